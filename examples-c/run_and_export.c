/*
 * Run, watch, export: run emulator/generator with apify_actor_call_with, printing each status
 * the progress callback sees and the run's log as the log callback receives it; a FAILED run
 * is started again up to twice (rerunsOnFailure). Then read the final run's id, status and
 * default dataset with apify_json_get and export that dataset as CSV to a file through
 * apify_dataset_export's write callback. No JSON or string parsing of our own: every field is
 * read with apify_json_get.
 *
 * Usage: run_and_export [out.csv] (default run_and_export.csv in the current directory).
 * The client reads APIFY_TOKEN and APIFY_API_BASE_URL. Exits non-zero on any failure, and when
 * the last run did not succeed (the waiting call itself answers OK whatever the final status).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

#define INPUT "{\"count\": 20, \"itemBytes\": 8, \"durationSecs\": 1, \"logLines\": 3}"
#define OPTIONS "{\"rerunsOnFailure\": 2, \"pollIntervalSecs\": 0.25}"

static void report(const char *what, apify_status status) {
    char *message = apify_last_error_message();
    char *json = apify_last_error_json();
    fprintf(stderr, "%s failed: %s (%d)\n  %s\n  %s\n", what, apify_status_name(status),
            (int)status, message ? message : "(no message)", json ? json : "(no JSON)");
    apify_string_free(message);
    apify_string_free(json);
}

/* The text at a JSON pointer, or NULL (reported); free with apify_string_free. */
static char *json_get(const char *json, const char *pointer) {
    char *text = NULL;
    apify_status status = apify_json_get(json, pointer, &text);
    if (status != APIFY_STATUS_OK) {
        report(pointer, status);
        return NULL;
    }
    return text;
}

/* What the progress callback remembers: the last run and status it printed. */
struct progress {
    char *run_id;
    char *status;
    int attempts;
};

/* After every status answer: prints the status when it changed (a new attempt is a new run). */
static int on_progress(const char *run_json, void *userdata) {
    struct progress *p = userdata;
    char *id = json_get(run_json, "/id");
    char *status = json_get(run_json, "/status");
    int new_run, changed;
    if (id == NULL || status == NULL) {
        apify_string_free(id);
        apify_string_free(status);
        return 1; /* stops the wait: CANCELLED */
    }
    new_run = p->run_id == NULL || strcmp(p->run_id, id) != 0;
    changed = new_run || strcmp(p->status, status) != 0;
    if (new_run) p->attempts++;
    if (changed) printf("run %s: %s\n", id, status);
    apify_string_free(p->run_id);
    apify_string_free(p->status);
    p->run_id = id;
    p->status = status;
    fflush(stdout);
    return 0;
}

/* The run's log as it is written: each byte once, in order. */
static int on_log(const char *text, size_t len, void *userdata) {
    (void)userdata;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

/* The export's sink: the CSV file. Non-zero stops the export (CANCELLED). */
struct sink {
    FILE *file;
    size_t bytes;
};

static int write_csv(const uint8_t *data, size_t len, void *userdata) {
    struct sink *s = userdata;
    if (fwrite(data, 1, len, s->file) != len) return 1;
    s->bytes += len;
    return 0;
}

int main(int argc, char **argv) {
    const char *out_path = argc > 1 ? argv[1] : "run_and_export.csv";
    apify_client *client = NULL;
    apify_callbacks callbacks = APIFY_CALLBACKS_INIT;
    struct progress progress = {NULL, NULL, 0};
    struct sink sink = {NULL, 0};
    char *run = NULL, *run_id = NULL, *status = NULL, *dataset_id = NULL;
    char *dataset = NULL, *item_count = NULL;
    apify_status st;
    int exit_code = 1;

    st = apify_client_new(NULL, &client);
    if (st != APIFY_STATUS_OK) {
        report("apify_client_new", st);
        goto done;
    }

    /* Run and wait, with both callbacks (they run on this thread, one at a time). */
    callbacks.userdata = &progress;
    callbacks.progress = on_progress;
    callbacks.log = on_log;
    st = apify_actor_call_with(client, "emulator/generator", INPUT, OPTIONS, &callbacks, &run);
    if (st != APIFY_STATUS_OK) {
        report("apify_actor_call_with", st);
        goto done;
    }
    run_id = json_get(run, "/id");
    status = json_get(run, "/status");
    dataset_id = json_get(run, "/defaultDatasetId");
    if (run_id == NULL || status == NULL || dataset_id == NULL) goto done;
    printf("final run %s: status %s after %d attempt(s), dataset %s\n", run_id, status,
           progress.attempts, dataset_id);
    if (strcmp(status, "SUCCEEDED") != 0) {
        fprintf(stderr, "the last run ended %s\n", status);
        goto done;
    }

    /* The dataset as CSV, streamed into the file a buffer at a time. */
    sink.file = fopen(out_path, "wb");
    if (sink.file == NULL) {
        perror(out_path);
        goto done;
    }
    st = apify_dataset_export(client, dataset_id, "csv", NULL, write_csv, &sink);
    if (fclose(sink.file) != 0 && st == APIFY_STATUS_OK) {
        perror(out_path);
        goto done;
    }
    if (st != APIFY_STATUS_OK) {
        report("apify_dataset_export", st);
        goto done;
    }
    st = apify_dataset_get(client, dataset_id, &dataset);
    if (st != APIFY_STATUS_OK) {
        report("apify_dataset_get", st);
        goto done;
    }
    item_count = json_get(dataset, "/itemCount");
    if (item_count == NULL) goto done;
    printf("exported %s items as CSV (%lu bytes) to %s\n", item_count, (unsigned long)sink.bytes,
           out_path);
    exit_code = 0;

done:
    apify_string_free(item_count);
    apify_string_free(dataset);
    apify_string_free(dataset_id);
    apify_string_free(status);
    apify_string_free(run_id);
    apify_string_free(run);
    apify_string_free(progress.run_id);
    apify_string_free(progress.status);
    apify_client_free(client);
    return exit_code;
}
