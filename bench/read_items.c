/*
 * Benchmark reader: reads a whole dataset through the C ABI iterator and prints the item count.
 *
 *   read_items DATASET_ID [CHUNK] [--view] [--options JSON]
 *
 * CHUNK 0 or absent: no options (the library's default chunkSize); --options: these iterator
 * options instead (e.g. '{"prefetchPages": 0}'). --view uses
 * apify_dataset_iter_next_view (borrowed item text, no copy) when built with
 * -DAPIFY_HAS_ITER_VIEW; otherwise it fails. Token and base URL come from APIFY_TOKEN and
 * APIFY_API_BASE_URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

static int fail(const char *what) {
    char *msg = apify_last_error_message();
    fprintf(stderr, "read_items: %s: %s\n", what, msg ? msg : "(no message)");
    apify_string_free(msg);
    return 1;
}

int main(int argc, char **argv) {
    const char *id = NULL;
    long chunk = 0;
    int view = 0;
    const char *given = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--view") == 0) {
            view = 1;
        } else if (strcmp(argv[i], "--options") == 0 && i + 1 < argc) {
            given = argv[++i];
        } else if (!id) {
            id = argv[i];
        } else {
            chunk = strtol(argv[i], NULL, 10);
        }
    }
    if (!id) {
        fprintf(stderr, "usage: read_items DATASET_ID [CHUNK] [--view] [--options JSON]\n");
        return 2;
    }
#ifndef APIFY_HAS_ITER_VIEW
    if (view) {
        fprintf(stderr, "read_items: built without apify_dataset_iter_next_view\n");
        return 2;
    }
#endif

    apify_client *client = NULL;
    if (apify_client_new("{\"proxy\": \"\"}", &client) != APIFY_STATUS_OK) {
        return fail("client");
    }
    char options[64];
    if (chunk > 0) {
        snprintf(options, sizeof options, "{\"chunkSize\": %ld}", chunk);
    }
    apify_dataset_iter *it = NULL;
    const char *chosen = given ? given : chunk > 0 ? options : NULL;
    if (apify_dataset_iter_new(client, id, chosen, &it) != APIFY_STATUS_OK) {
        return fail("iterator");
    }

    unsigned long long count = 0, bytes = 0;
    for (;;) {
        if (view) {
#ifdef APIFY_HAS_ITER_VIEW
            const char *item = NULL;
            size_t len = 0;
            if (apify_dataset_iter_next_view(it, &item, &len) != APIFY_STATUS_OK) {
                return fail("next_view");
            }
            if (!item) break;
            bytes += len;
#endif
        } else {
            char *item = NULL;
            if (apify_dataset_iter_next(it, &item) != APIFY_STATUS_OK) {
                return fail("next");
            }
            if (!item) break;
            bytes += strlen(item);
            apify_string_free(item);
        }
        count++;
    }
    apify_dataset_iter_free(it);
    apify_client_free(client);
    fprintf(stderr, "read_items: %llu bytes of item text\n", bytes);
    printf("%llu\n", count);
    return 0;
}
