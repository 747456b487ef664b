/*
 * Quick start: run the Actor apify/hello-world synchronously, print its OUTPUT record, then run
 * it again and print its dataset items.
 *
 * The client reads APIFY_TOKEN and APIFY_API_BASE_URL (apify_client_new with NULL options).
 * Every call's status is checked; on a failure the last error is printed and the program exits
 * with status 1. Everything the library returned is freed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "apify.h"

/* Prints what failed, the status and this thread's last error (text and JSON). */
static void report(const char *what, apify_status status) {
    char *message = apify_last_error_message();
    char *json = apify_last_error_json();
    fprintf(stderr, "%s failed: %s (%d)\n  %s\n  %s\n", what, apify_status_name(status),
            (int)status, message ? message : "(no message)", json ? json : "(no JSON)");
    apify_string_free(message);
    apify_string_free(json);
}

int main(void) {
    const char *input = "{\"message\": \"Hello from C!\"}";
    apify_client *client = NULL;
    apify_record *output = NULL;
    char *items = NULL;
    apify_status status;
    int exit_code = 1;

    printf("libapify %s\n", apify_version());
    status = apify_client_new(NULL, &client);
    if (status != APIFY_STATUS_OK) {
        report("apify_client_new", status);
        goto done;
    }

    /* One synchronous run: its OUTPUT record. */
    status = apify_actor_run_sync(client, "apify/hello-world", input, NULL, &output);
    if (status != APIFY_STATUS_OK) {
        report("apify_actor_run_sync", status);
        goto done;
    }
    printf("OUTPUT (%s, %zu bytes): %.*s\n", apify_record_content_type(output),
           apify_record_len(output), (int)apify_record_len(output),
           (const char *)apify_record_data(output));

    /* Another one: its dataset items, as a JSON array. */
    status = apify_actor_run_sync_get_items(client, "apify/hello-world", input, NULL, &items);
    if (status != APIFY_STATUS_OK) {
        report("apify_actor_run_sync_get_items", status);
        goto done;
    }
    printf("items: %s\n", items);
    exit_code = 0;

done:
    apify_string_free(items);
    apify_record_free(output);
    apify_client_free(client);
    return exit_code;
}
