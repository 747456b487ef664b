/*
 * One client shared by several threads: 8 pthreads each run apify/hello-world synchronously a
 * few times through the same apify_client (which is safe to use from many threads at once),
 * alternating apify_actor_run_sync_get_items and apify_actor_run_sync, and check that each run
 * answered its own message. Errors are per thread: a failing worker prints its own last error.
 *
 * Usage: threads [runs-per-thread] (default 5).
 * The client reads APIFY_TOKEN and APIFY_API_BASE_URL. Exits non-zero on any failure.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

#define THREADS 8

struct worker {
    const apify_client *client; /* shared */
    int number;
    int runs;
    int succeeded;
};

static void report(int thread, const char *what, apify_status status) {
    char *message = apify_last_error_message(); /* this thread's */
    char *json = apify_last_error_json();
    fprintf(stderr, "thread %d: %s failed: %s (%d)\n  %s\n  %s\n", thread, what,
            apify_status_name(status), (int)status, message ? message : "(no message)",
            json ? json : "(no JSON)");
    apify_string_free(message);
    apify_string_free(json);
}

static void *work(void *arg) {
    struct worker *w = arg;
    int i;
    for (i = 0; i < w->runs; i++) {
        char message[64], input[128], expected[128];
        apify_status status;
        snprintf(message, sizeof message, "thread %d run %d", w->number, i);
        snprintf(input, sizeof input, "{\"message\": \"%s\"}", message);
        if (i % 2 == 0) {
            char *items = NULL;
            snprintf(expected, sizeof expected, "[{\"message\":\"%s\"}]", message);
            status = apify_actor_run_sync_get_items(w->client, "apify/hello-world", input, NULL, &items);
            if (status != APIFY_STATUS_OK) {
                report(w->number, "apify_actor_run_sync_get_items", status);
                continue;
            }
            if (strcmp(items, expected) == 0)
                w->succeeded++;
            else
                fprintf(stderr, "thread %d: expected %s, got %s\n", w->number, expected, items);
            apify_string_free(items);
        } else {
            apify_record *output = NULL;
            size_t len;
            snprintf(expected, sizeof expected, "{\"message\":\"%s\"}", message);
            status = apify_actor_run_sync(w->client, "apify/hello-world", input, NULL, &output);
            if (status != APIFY_STATUS_OK) {
                report(w->number, "apify_actor_run_sync", status);
                continue;
            }
            len = apify_record_len(output);
            if (len == strlen(expected) && memcmp(apify_record_data(output), expected, len) == 0)
                w->succeeded++;
            else
                fprintf(stderr, "thread %d: expected %s, got %.*s\n", w->number, expected,
                        (int)len, (const char *)apify_record_data(output));
            apify_record_free(output);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    apify_client *client = NULL;
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    int started = 0, i, total = 0, exit_code = 1;
    apify_status status;

    if (runs < 1) {
        fprintf(stderr, "usage: %s [runs-per-thread]\n", argv[0]);
        return 2;
    }
    status = apify_client_new(NULL, &client);
    if (status != APIFY_STATUS_OK) {
        report(0, "apify_client_new", status);
        return 1;
    }
    for (i = 0; i < THREADS; i++) {
        workers[i].client = client;
        workers[i].number = i;
        workers[i].runs = runs;
        workers[i].succeeded = 0;
        if (pthread_create(&threads[i], NULL, work, &workers[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++) pthread_join(threads[i], NULL);
    for (i = 0; i < started; i++) {
        printf("thread %d: %d of %d runs succeeded\n", i, workers[i].succeeded, runs);
        total += workers[i].succeeded;
    }
    printf("%d threads x %d runs: %d of %d succeeded\n", THREADS, runs, total, THREADS * runs);
    if (started == THREADS && total == THREADS * runs) exit_code = 0;

    apify_client_free(client); /* after every thread is done with it */
    return exit_code;
}
