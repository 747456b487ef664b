/*
 * The asynchronous flow: start a longer run of emulator/generator, wait for it with a budget
 * (apify_run_wait, printing the status as it goes), then read its dataset item by item through
 * apify_dataset_iter_* and its OUTPUT record through apify_kvs_get_record.
 *
 * Usage: async_run [count] (default 50 items pushed over 1 second).
 * The client reads APIFY_TOKEN and APIFY_API_BASE_URL. Exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

#define WAIT_BUDGET_SECS 120 /* the whole wait */
#define WAIT_STEP_SECS 1     /* one apify_run_wait call: at most this long */

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

static int is_terminal(const char *status) {
    return strcmp(status, "SUCCEEDED") == 0 || strcmp(status, "FAILED") == 0 ||
           strcmp(status, "TIMED-OUT") == 0 || strcmp(status, "ABORTED") == 0;
}

int main(int argc, char **argv) {
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 50;
    char input[128];
    apify_client *client = NULL;
    apify_dataset_iter *iter = NULL;
    apify_record *output = NULL;
    char *run = NULL;
    char run_id[64], status_text[32] = "", dataset_id[64], store_id[64];
    apify_status status;
    long items = 0, waited = 0;
    int exit_code = 1;

    status = apify_client_new(NULL, &client);
    if (status != APIFY_STATUS_OK) {
        report("apify_client_new", status);
        goto done;
    }

    /* Start: the answer comes at once, with the run in READY or RUNNING. */
    snprintf(input, sizeof input, "{\"count\": %ld, \"durationSecs\": 1}", count);
    status = apify_actor_start(client, "emulator/generator", input, NULL, &run);
    if (status != APIFY_STATUS_OK) {
        report("apify_actor_start", status);
        goto done;
    }
    if (!json_text(run, "/id", run_id, sizeof run_id) ||
        !json_text(run, "/status", status_text, sizeof status_text)) {
        fprintf(stderr, "unexpected run JSON: %s\n", run);
        goto done;
    }
    printf("started run %s (%s)\n", run_id, status_text);

    /* Wait with a budget: each call waits at most WAIT_STEP_SECS and answers the run as it is
     * then; a run still going after the whole budget is a failure here. */
    while (!is_terminal(status_text)) {
        if (waited >= WAIT_BUDGET_SECS) {
            fprintf(stderr, "run %s still %s after %d s\n", run_id, status_text, WAIT_BUDGET_SECS);
            goto done;
        }
        apify_string_free(run);
        run = NULL;
        status = apify_run_wait(client, run_id, WAIT_STEP_SECS, &run);
        if (status != APIFY_STATUS_OK) {
            report("apify_run_wait", status);
            goto done;
        }
        waited += WAIT_STEP_SECS;
        if (!json_text(run, "/status", status_text, sizeof status_text)) {
            fprintf(stderr, "unexpected run JSON: %s\n", run);
            goto done;
        }
        printf("  status: %s\n", status_text);
    }
    if (strcmp(status_text, "SUCCEEDED") != 0) {
        fprintf(stderr, "run %s finished with status %s\n", run_id, status_text);
        goto done;
    }
    if (!json_text(run, "/defaultDatasetId", dataset_id, sizeof dataset_id) ||
        !json_text(run, "/defaultKeyValueStoreId", store_id, sizeof store_id)) {
        fprintf(stderr, "unexpected run JSON: %s\n", run);
        goto done;
    }
    printf("run %s SUCCEEDED\n", run_id);

    /* The dataset, item by item (20 items a request). */
    status = apify_dataset_iter_new(client, dataset_id, "{\"chunkSize\": 20}", &iter);
    if (status != APIFY_STATUS_OK) {
        report("apify_dataset_iter_new", status);
        goto done;
    }
    for (;;) {
        char *item = NULL;
        status = apify_dataset_iter_next(iter, &item);
        if (status != APIFY_STATUS_OK) {
            report("apify_dataset_iter_next", status);
            goto done;
        }
        if (item == NULL) break; /* the end */
        if (items < 3) printf("  item %ld: %s\n", items, item);
        items++;
        apify_string_free(item);
    }
    printf("dataset %s: %ld items\n", dataset_id, items);
    if (items != count) {
        fprintf(stderr, "expected %ld items, got %ld\n", count, items);
        goto done;
    }

    /* The OUTPUT record of the run's key-value store. */
    status = apify_kvs_get_record(client, store_id, "OUTPUT", &output);
    if (status != APIFY_STATUS_OK) {
        report("apify_kvs_get_record", status);
        goto done;
    }
    printf("OUTPUT (%s): %.*s\n", apify_record_content_type(output), (int)apify_record_len(output),
           (const char *)apify_record_data(output));
    exit_code = 0;

done:
    apify_record_free(output);
    apify_dataset_iter_free(iter);
    apify_string_free(run);
    apify_client_free(client);
    return exit_code;
}
