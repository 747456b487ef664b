/*
 * Streams a large dataset item by item: a run of emulator/generator pushes COUNT items
 * {"index": i, ...}; the dataset iterator fetches them 1000 at a time (memory stays bounded by
 * one page), the program counts them, checks that the indexes are 0, 1, 2, ... with no gap or
 * repeat, and optionally writes them to a JSON Lines file.
 *
 * Usage: dataset_export [count [out.jsonl]] (default 20000 items, no file).
 * The client reads APIFY_TOKEN and APIFY_API_BASE_URL. Exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

static void report(const char *what, apify_status status) {
    char *message = apify_last_error_message();
    char *json = apify_last_error_json();
    fprintf(stderr, "%s failed: %s (%d)\n  %s\n  %s\n", what, apify_status_name(status),
            (int)status, message ? message : "(no message)", json ? json : "(no JSON)");
    apify_string_free(message);
    apify_string_free(json);
}

/* Copies the text at a JSON pointer (apify_json_get: a string comes back unquoted) into buf;
 * 0 if the pointer matches nothing or the text does not fit. */
static int json_text(const char *json, const char *pointer, char *buf, size_t size) {
    char *text = NULL;
    size_t n;
    if (apify_json_get(json, pointer, &text) != APIFY_STATUS_OK) return 0;
    n = strlen(text);
    if (n >= size) {
        apify_string_free(text);
        return 0;
    }
    memcpy(buf, text, n + 1);
    apify_string_free(text);
    return 1;
}

/* The item's "index" (read with apify_json_get), or -1. */
static long item_index(const char *item) {
    char text[32];
    char *end;
    long v;
    if (!json_text(item, "/index", text, sizeof text)) return -1;
    v = strtol(text, &end, 10);
    return end == text || *end != '\0' ? -1 : v;
}

int main(int argc, char **argv) {
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    const char *out_path = argc > 2 ? argv[2] : NULL;
    char input[128], dataset_id[64], status_text[32];
    apify_client *client = NULL;
    apify_dataset_iter *iter = NULL;
    char *run = NULL;
    FILE *out = NULL;
    apify_status status;
    long n = 0;
    size_t bytes = 0;
    int exit_code = 1;

    if (count < 0) {
        fprintf(stderr, "usage: %s [count [out.jsonl]]\n", argv[0]);
        return 2;
    }
    status = apify_client_new(NULL, &client);
    if (status != APIFY_STATUS_OK) {
        report("apify_client_new", status);
        goto done;
    }

    /* Start the run and wait for it (apify_actor_call; waitSecs bounds the wait). */
    snprintf(input, sizeof input, "{\"count\": %ld}", count);
    status = apify_actor_call(client, "emulator/generator", input, "{\"waitSecs\": 600}", &run);
    if (status != APIFY_STATUS_OK) {
        report("apify_actor_call", status);
        goto done;
    }
    if (!json_text(run, "/status", status_text, sizeof status_text) ||
        strcmp(status_text, "SUCCEEDED") != 0 ||
        !json_text(run, "/defaultDatasetId", dataset_id, sizeof dataset_id)) {
        fprintf(stderr, "the run did not succeed: %s\n", run);
        goto done;
    }

    if (out_path != NULL) {
        out = fopen(out_path, "w");
        if (out == NULL) {
            perror(out_path);
            goto done;
        }
    }

    /* Stream the items, 1000 a request. */
    status = apify_dataset_iter_new(client, dataset_id, "{\"chunkSize\": 1000}", &iter);
    if (status != APIFY_STATUS_OK) {
        report("apify_dataset_iter_new", status);
        goto done;
    }
    for (;;) {
        char *item = NULL;
        long index;
        status = apify_dataset_iter_next(iter, &item);
        if (status != APIFY_STATUS_OK) {
            fprintf(stderr, "after %ld items:\n", n);
            report("apify_dataset_iter_next", status);
            goto done;
        }
        if (item == NULL) break;
        index = item_index(item);
        bytes += strlen(item);
        if (out != NULL && fprintf(out, "%s\n", item) < 0) {
            perror(out_path);
            apify_string_free(item);
            goto done;
        }
        apify_string_free(item);
        if (index != n) {
            fprintf(stderr, "item %ld has index %ld: the indexes are not consecutive\n", n, index);
            goto done;
        }
        n++;
    }
    if (n != count) {
        fprintf(stderr, "expected %ld items, got %ld\n", count, n);
        goto done;
    }
    printf("exported %ld items (%lu bytes of JSON) from dataset %s; indexes 0..%ld consecutive\n",
           n, (unsigned long)bytes, dataset_id, n - 1);
    exit_code = 0;

done:
    if (out != NULL && fclose(out) != 0) {
        perror(out_path);
        exit_code = 1;
    }
    apify_dataset_iter_free(iter);
    apify_string_free(run);
    apify_client_free(client);
    return exit_code;
}
