/*
 * Soak reader (run by tests/soak.rs, not by c_programs: it is slow under valgrind): reads a whole
 * dataset through apify_dataset_iter_next_view with fixed-size pages while the emulator faults
 * part of the items requests, and prints what it read:
 *
 *   soak_read DATASET_ID CHUNK_SIZE
 *   -> "items N fnv1a HASH retries R\n" on stdout
 *
 * HASH is 64-bit FNV-1a over every item's text followed by '\n', in order; R is the number of
 * retries the library logged (APIFY_LOG_WARN messages that say "retrying": requests retried by
 * the transport, and pages cut short read again from where they stopped). Token and base URL
 * come from APIFY_TOKEN and APIFY_API_BASE_URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

static unsigned long long retries = 0;

static void on_log(int level, const char *message, void *userdata) {
    (void)userdata;
    if (level == APIFY_LOG_WARN && strstr(message, "retrying")) {
        retries++;
    }
}

static int fail(const char *what) {
    char *msg = apify_last_error_message();
    fprintf(stderr, "soak_read: %s: %s\n", what, msg ? msg : "(no message)");
    apify_string_free(msg);
    return 1;
}

static unsigned long long fnv1a(unsigned long long h, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: soak_read DATASET_ID CHUNK_SIZE\n");
        return 2;
    }
    long chunk = strtol(argv[2], NULL, 10);
    apify_set_log_handler(on_log, NULL);
    /* Many retries, short delays: a fault costs a retry, never the read. */
    apify_client *client = NULL;
    if (apify_client_new("{\"proxy\": \"\", \"maxRetries\": 30, "
                         "\"minDelayBetweenRetriesMillis\": 1}",
                         &client) != APIFY_STATUS_OK) {
        return fail("client");
    }
    char options[64];
    snprintf(options, sizeof options, "{\"chunkSize\": %ld}", chunk);
    apify_dataset_iter *it = NULL;
    if (apify_dataset_iter_new(client, argv[1], options, &it) != APIFY_STATUS_OK) {
        return fail("iterator");
    }
    unsigned long long count = 0, hash = 14695981039346656037ULL;
    for (;;) {
        const char *item = NULL;
        size_t len = 0;
        if (apify_dataset_iter_next_view(it, &item, &len) != APIFY_STATUS_OK) {
            return fail("next_view");
        }
        if (!item) {
            break;
        }
        hash = fnv1a(hash, (const unsigned char *)item, len);
        hash = fnv1a(hash, (const unsigned char *)"\n", 1);
        count++;
    }
    apify_dataset_iter_free(it);
    apify_client_free(client);
    apify_set_log_handler(NULL, NULL);
    printf("items %llu fnv1a %016llx retries %llu\n", count, hash, retries);
    return 0;
}
