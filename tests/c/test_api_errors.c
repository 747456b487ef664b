/*
 * Failures the API (or the connection) reports, each with the right status, its out-parameter
 * untouched and a readable last error:
 *   - an unknown Actor, task, run, dataset, store or record, or path: NOT_FOUND (HTTP 404 in
 *     apify_last_error_json);
 *   - a wrong token: UNAUTHORIZED, with the API's "invalid-token" type and HTTP 401 in
 *     apify_last_error_json;
 *   - a run that ends FAILED or TIMED-OUT, run synchronously: RUN_FAILED;
 *   - input the Actor refuses: API_ERROR (400 invalid-input); 503 after the retries: API_ERROR;
 *   - 429 after the retries: RATE_LIMITED; a client-side timeout: TIMEOUT; a refused
 *     connection: TRANSPORT; run-sync beyond the server's limit: SYNC_TIMEOUT (when the harness
 *     says the emulator's limit is short, via APIFY_TEST_SYNC_TIMEOUT_SECS);
 *   - the last error is per thread, and a succeeding call clears it.
 * Faults are injected with the emulator's /_emulator/faults API through apify_request.
 */
#include <pthread.h>

#include "check.h"

#define GENERATOR "emulator/generator"
#define NF APIFY_STATUS_NOT_FOUND
#define UNAUTH APIFY_STATUS_UNAUTHORIZED
#define MISSING "ZZZZZZZZZZZZZZZZZ"

/* NOT_FOUND with the API's 404 in the last error. */
#define CHECK_NOT_FOUND(out, call)                                                          \
    do {                                                                                    \
        CHECK_FAILS(NF, out, call);                                                         \
        CHECK_ERROR_JSON_HAS("\"httpStatus\":404");                                         \
    } while (0)

/* A client with the environment's base URL and these extra options. */
static apify_client *client_with(const char *options_json) {
    apify_client *c = NULL;
    CHECK_OK(apify_client_new(options_json, &c));
    CHECK(c != NULL);
    return c;
}

/* ------------------------------------------------------------------ last error per thread */

struct thread_check {
    apify_client *client;
    int ok;
};

static void *thread_main(void *arg) {
    struct thread_check *t = arg;
    char *message = apify_last_error_message();
    char *json = apify_last_error_json();
    char *s = SENTINEL;
    apify_status st;
    /* A fresh thread has no last error, whatever the main thread's is. */
    t->ok = message == NULL && json == NULL;
    apify_string_free(message);
    apify_string_free(json);
    /* Its own failure is its own. */
    st = apify_run_get(t->client, MISSING, &s);
    message = apify_last_error_message();
    t->ok = t->ok && st == NF && s == SENTINEL && message != NULL && strstr(message, MISSING);
    apify_string_free(message);
    return NULL;
}

static void check_last_error_is_per_thread(apify_client *client) {
    pthread_t thread;
    struct thread_check t;
    char *s;
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, s, apify_dataset_list_items(client, MISSING, "{", &s));
    t.client = client;
    t.ok = 0;
    CHECK(pthread_create(&thread, NULL, thread_main, &t) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(t.ok);
    /* The thread's NOT_FOUND did not replace this thread's INVALID_JSON. */
    check_last_error_is(__FILE__, __LINE__, APIFY_STATUS_INVALID_JSON);
    CHECK_ERROR_MESSAGE_HAS("options_json");
}

/* ------------------------------------------------------------------ main */

int main(void) {
    apify_client *client = check_client_from_env();
    apify_client *bad;
    char *s;
    apify_record *record;
    apify_dataset_iter *ds_iter;
    apify_key_iter *key_iter;
    char run_id[64], dataset_id[64], store_id[64], actor_id[64], task_id[64];
    char body[512];

    s = NULL;
    CHECK_OK(apify_actor_start(client, GENERATOR, "{\"count\": 3}", "{\"waitForFinish\": 10}", &s));
    CHECK(check_json_string(s, "id", run_id, sizeof run_id));
    CHECK(check_json_string(s, "actId", actor_id, sizeof actor_id));
    CHECK(check_json_string(s, "defaultDatasetId", dataset_id, sizeof dataset_id));
    CHECK(check_json_string(s, "defaultKeyValueStoreId", store_id, sizeof store_id));
    apify_string_free(s);

    /* A task whose runs fail. */
    snprintf(body, sizeof body,
             "{\"actId\": \"%s\", \"name\": \"c-failing-task\", \"input\": {\"outcome\": \"FAILED\"}}",
             actor_id);
    s = NULL;
    CHECK_OK(apify_request(client, "POST", "/v2/actor-tasks", NULL, body, &s));
    CHECK(strncmp(s, "{\"data\":", 8) == 0);
    CHECK(check_json_string(s, "id", task_id, sizeof task_id));
    apify_string_free(s);

    /* ---- NOT_FOUND */
    CHECK_NOT_FOUND(s, apify_actor_start(client, "nobody/nothing", NULL, NULL, &s));
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_ERROR_JSON_HAS("\"type\":\"record-not-found\"");
    CHECK_ERROR_JSON_HAS("\"method\":\"POST\"");
    CHECK_ERROR_JSON_HAS("\"path\":\"/v2/actors/nobody~nothing/runs\"");
    CHECK_NOT_FOUND(s, apify_actor_call(client, "nobody/nothing", NULL, NULL, &s));
    CHECK_NOT_FOUND(record, apify_actor_run_sync(client, "nobody/nothing", NULL, NULL, &record));
    CHECK_NOT_FOUND(s, apify_actor_run_sync_get_items(client, "nobody/nothing", NULL, NULL, &s));
    CHECK_NOT_FOUND(s, apify_task_start(client, MISSING, NULL, NULL, &s));
    CHECK_NOT_FOUND(s, apify_task_call(client, MISSING, NULL, NULL, &s));
    CHECK_NOT_FOUND(record, apify_task_run_sync(client, MISSING, NULL, NULL, &record));
    CHECK_NOT_FOUND(s, apify_task_run_sync_get_items(client, MISSING, NULL, NULL, &s));
    CHECK_NOT_FOUND(s, apify_run_get(client, MISSING, &s));
    CHECK_ERROR_MESSAGE_HAS(MISSING);
    CHECK_NOT_FOUND(s, apify_run_wait(client, MISSING, 0, &s));
    CHECK_NOT_FOUND(s, apify_run_wait(client, MISSING, 1, &s));
    CHECK_NOT_FOUND(s, apify_run_abort(client, MISSING, 0, &s));
    CHECK_NOT_FOUND(s, apify_dataset_list_items(client, MISSING, NULL, &s));
    CHECK_STATUS(apify_dataset_push_items(client, MISSING, "{\"a\": 1}"), NF);
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    ds_iter = NULL;
    CHECK_OK(apify_dataset_iter_new(client, MISSING, NULL, &ds_iter)); /* lazy: no request yet */
    CHECK(ds_iter != NULL);
    CHECK_NOT_FOUND(s, apify_dataset_iter_next(ds_iter, &s));
    apify_dataset_iter_free(ds_iter);
    CHECK_NOT_FOUND(record, apify_kvs_get_record(client, store_id, "NO-SUCH-KEY", &record));
    CHECK_ERROR_MESSAGE_HAS("NO-SUCH-KEY");
    CHECK_NOT_FOUND(record, apify_kvs_get_record(client, MISSING, "OUTPUT", &record));
    CHECK_STATUS(apify_kvs_set_record(client, MISSING, "k", (const uint8_t *)"v", 1, "text/plain"), NF);
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_OK(apify_kvs_delete_record(client, store_id, "NO-SUCH-KEY")); /* missing record: fine */
    CHECK_STATUS(apify_kvs_delete_record(client, MISSING, "OUTPUT"), NF); /* missing store: not */
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_NOT_FOUND(s, apify_kvs_list_keys(client, MISSING, NULL, &s));
    key_iter = NULL;
    CHECK_OK(apify_key_iter_new(client, MISSING, NULL, &key_iter));
    CHECK_NOT_FOUND(s, apify_key_iter_next(key_iter, &s));
    apify_key_iter_free(key_iter);
    CHECK_NOT_FOUND(s, apify_request(client, "GET", "/v2/no-such-thing", NULL, NULL, &s));
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_ERROR_JSON_HAS("\"type\":\"page-not-found\"");
    CHECK_NOT_FOUND(s, apify_request(client, "GET", "/v2/actor-runs/" MISSING, NULL, NULL, &s));

    /* ---- a wrong token */
    bad = client_with("{\"token\": \"wrong-token\", \"maxRetries\": 0}");
    CHECK_FAILS(UNAUTH, s, apify_run_get(bad, run_id, &s));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-token\"");
    CHECK_ERROR_JSON_HAS("\"httpStatus\":401");
    CHECK_ERROR_JSON_HAS("\"method\":\"GET\"");
    {
        /* The token appears in no error. */
        char *m = apify_last_error_message();
        char *j = apify_last_error_json();
        CHECK(m != NULL && strstr(m, "wrong-token") == NULL);
        CHECK(j != NULL && strstr(j, "wrong-token") == NULL);
        apify_string_free(m);
        apify_string_free(j);
    }
    CHECK_FAILS(UNAUTH, s, apify_actor_start(bad, GENERATOR, NULL, NULL, &s));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-token\"");
    CHECK_FAILS(UNAUTH, s, apify_actor_call(bad, GENERATOR, NULL, NULL, &s));
    CHECK_FAILS(UNAUTH, record, apify_actor_run_sync(bad, "apify/hello-world", NULL, NULL, &record));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-token\"");
    CHECK_FAILS(UNAUTH, s, apify_actor_run_sync_get_items(bad, "apify/hello-world", NULL, NULL, &s));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-token\"");
    CHECK_FAILS(UNAUTH, s, apify_task_start(bad, task_id, NULL, NULL, &s));
    CHECK_FAILS(UNAUTH, record, apify_task_run_sync(bad, task_id, NULL, NULL, &record));
    CHECK_FAILS(UNAUTH, s, apify_run_wait(bad, run_id, 0, &s));
    CHECK_FAILS(UNAUTH, s, apify_run_abort(bad, run_id, 0, &s));
    CHECK_FAILS(UNAUTH, s, apify_dataset_list_items(bad, dataset_id, NULL, &s));
    CHECK_STATUS(apify_dataset_push_items(bad, dataset_id, "{\"a\": 1}"), UNAUTH);
    ds_iter = NULL;
    CHECK_OK(apify_dataset_iter_new(bad, dataset_id, NULL, &ds_iter));
    CHECK_FAILS(UNAUTH, s, apify_dataset_iter_next(ds_iter, &s));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-token\"");
    apify_dataset_iter_free(ds_iter);
    CHECK_FAILS(UNAUTH, record, apify_kvs_get_record(bad, store_id, "OUTPUT", &record));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-token\"");
    CHECK_STATUS(apify_kvs_set_record(bad, store_id, "k", (const uint8_t *)"v", 1, "text/plain"), UNAUTH);
    CHECK_STATUS(apify_kvs_delete_record(bad, store_id, "OUTPUT"), UNAUTH);
    CHECK_FAILS(UNAUTH, s, apify_kvs_list_keys(bad, store_id, NULL, &s));
    key_iter = NULL;
    CHECK_OK(apify_key_iter_new(bad, store_id, NULL, &key_iter));
    CHECK_FAILS(UNAUTH, s, apify_key_iter_next(key_iter, &s));
    apify_key_iter_free(key_iter);
    CHECK_FAILS(UNAUTH, s, apify_request(bad, "GET", "/v2/users/me", NULL, NULL, &s));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-token\"");
    apify_client_free(bad);
    /* ... and the record the wrong client tried to delete is still there. */
    record = NULL;
    CHECK_OK(apify_kvs_get_record(client, store_id, "OUTPUT", &record));
    CHECK(apify_record_len(record) > 0);
    apify_record_free(record);

    /* ---- runs that do not succeed, run synchronously */
    CHECK_FAILS(APIFY_STATUS_RUN_FAILED, record,
                apify_actor_run_sync(client, GENERATOR, "{\"outcome\": \"FAILED\"}", NULL, &record));
    CHECK_ERROR_MESSAGE_HAS("FAILED");
    CHECK_FAILS(APIFY_STATUS_RUN_FAILED, s,
                apify_actor_run_sync_get_items(client, GENERATOR, "{\"outcome\": \"FAILED\"}", NULL, &s));
    CHECK_ERROR_MESSAGE_HAS("FAILED");
    CHECK_FAILS(APIFY_STATUS_RUN_FAILED, record, apify_task_run_sync(client, task_id, NULL, NULL, &record));
    CHECK_FAILS(APIFY_STATUS_RUN_FAILED, s, apify_task_run_sync_get_items(client, task_id, NULL, NULL, &s));
    /* The task's input is overridden key by key: this run succeeds. */
    s = NULL;
    CHECK_OK(apify_task_run_sync_get_items(client, task_id, "{\"outcome\": \"SUCCEEDED\", \"count\": 2}", NULL, &s));
    CHECK(strcmp(s, "[{\"index\":0,\"text\":\"\"},{\"index\":1,\"text\":\"\"}]") == 0);
    apify_string_free(s);
    /* A run that times out (after 1 s) is not a success either. */
    CHECK_FAILS(APIFY_STATUS_RUN_FAILED, record,
                apify_actor_run_sync(client, GENERATOR, "{\"durationSecs\": 30}", "{\"timeout\": 1}", &record));
    CHECK_ERROR_MESSAGE_HAS("TIMED-OUT");
    /* Asynchronously, a failed run is a result, not an error. */
    s = NULL;
    CHECK_OK(apify_actor_call(client, GENERATOR, "{\"outcome\": \"FAILED\"}", NULL, &s));
    CHECK(strstr(s, "\"status\":\"FAILED\"") != NULL);
    apify_string_free(s);

    /* ---- input the Actor refuses */
    CHECK_FAILS(APIFY_STATUS_API_ERROR, s, apify_actor_start(client, GENERATOR, "{\"count\": \"ten\"}", NULL, &s));
    CHECK_ERROR_JSON_HAS("\"httpStatus\":400");
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-input\"");
    CHECK_ERROR_MESSAGE_HAS("count");
    CHECK_FAILS(APIFY_STATUS_API_ERROR, record,
                apify_actor_run_sync(client, GENERATOR, "{\"count\": \"ten\"}", NULL, &record));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-input\"");

    /* ---- faults: 503 and 429 after the retries, a slow answer, a refused connection */
    {
        apify_client *fast = client_with("{\"maxRetries\": 2, \"minDelayBetweenRetriesMillis\": 10}");
        check_add_fault(client, "{\"method\": \"GET\", \"path\": \"/v2/users/me\", \"times\": 3, "
                          "\"action\": {\"kind\": \"status\", \"status\": 503}}");
        CHECK_FAILS(APIFY_STATUS_API_ERROR, s, apify_request(fast, "GET", "/v2/users/me", NULL, NULL, &s));
        CHECK_ERROR_JSON_HAS("\"httpStatus\":503");
        CHECK_ERROR_JSON_HAS("\"attempt\":3");
        check_add_fault(client, "{\"method\": \"GET\", \"path\": \"/v2/actor-runs/*\", \"times\": 3, "
                          "\"action\": {\"kind\": \"status\", \"status\": 429}}");
        CHECK_FAILS(APIFY_STATUS_RATE_LIMITED, s, apify_run_get(fast, run_id, &s));
        CHECK_ERROR_JSON_HAS("\"httpStatus\":429");
        /* One 503, then the answer: the retry hides it. */
        check_add_fault(client, "{\"method\": \"GET\", \"path\": \"/v2/actor-runs/*\", \"times\": 1, "
                          "\"action\": {\"kind\": \"status\", \"status\": 503}}");
        s = NULL;
        CHECK_OK(apify_run_get(fast, run_id, &s));
        CHECK(strstr(s, run_id) != NULL);
        apify_string_free(s);
        apify_client_free(fast);
    }
    {
        apify_client *impatient = client_with("{\"timeoutSecs\": 0.3, \"maxRetries\": 0}");
        check_add_fault(client, "{\"method\": \"GET\", \"path\": \"/v2/users/me\", \"times\": 1, "
                          "\"action\": {\"kind\": \"delay\", \"ms\": 1500}}");
        CHECK_FAILS(APIFY_STATUS_TIMEOUT, s, apify_request(impatient, "GET", "/v2/users/me", NULL, NULL, &s));
        apify_client_free(impatient);
        check_clear_faults(client);
    }
    {
        apify_client *nowhere = client_with("{\"baseUrl\": \"http://127.0.0.1:1\", \"maxRetries\": 0}");
        CHECK_FAILS(APIFY_STATUS_TRANSPORT, s, apify_run_get(nowhere, run_id, &s));
        CHECK_ERROR_JSON_HAS("\"method\":\"GET\"");
        CHECK_FAILS(APIFY_STATUS_TRANSPORT, record,
                    apify_kvs_get_record(nowhere, store_id, "OUTPUT", &record));
        apify_client_free(nowhere);
    }

    /* ---- run-sync beyond the server's limit (only when the harness made the limit short) */
    {
        const char *limit = getenv("APIFY_TEST_SYNC_TIMEOUT_SECS");
        if (limit != NULL && atoi(limit) > 0 && atoi(limit) < 30) {
            char input[64];
            snprintf(input, sizeof input, "{\"durationSecs\": %d}", atoi(limit) + 30);
            CHECK_FAILS(APIFY_STATUS_SYNC_TIMEOUT, record,
                        apify_actor_run_sync(client, GENERATOR, input, NULL, &record));
            CHECK_ERROR_JSON_HAS("\"httpStatus\":408");
            CHECK_ERROR_JSON_HAS("\"type\":\"run-timeout-exceeded\"");
        } else {
            printf("SYNC_TIMEOUT not checked: APIFY_TEST_SYNC_TIMEOUT_SECS is not set\n");
        }
    }

    /* ---- the last error is per thread, and a succeeding call clears it */
    check_last_error_is_per_thread(client);
    CHECK_NOT_FOUND(s, apify_run_get(client, MISSING, &s));
    CHECK_STATUS(apify_kvs_set_record(client, store_id, "cleared", (const uint8_t *)"x", 1, "text/plain"),
                 APIFY_STATUS_OK); /* CHECK_STATUS checks that no last error is left */
    CHECK_NOT_FOUND(s, apify_run_get(client, MISSING, &s));
    CHECK_OK(apify_kvs_delete_record(client, store_id, "cleared"));
    CHECK_NOT_FOUND(s, apify_run_get(client, MISSING, &s));
    CHECK_OK(apify_dataset_push_items(client, dataset_id, "[{\"a\": 1}, {\"b\": 2}]"));
    CHECK_NOT_FOUND(s, apify_run_get(client, MISSING, &s));
    ds_iter = NULL;
    CHECK_OK(apify_dataset_iter_new(client, dataset_id, "{\"offset\": 3}", &ds_iter));
    apify_dataset_iter_free(ds_iter);
    CHECK_NOT_FOUND(s, apify_run_get(client, MISSING, &s));
    {
        apify_client *c2 = NULL;
        CHECK_OK(apify_client_new("{\"maxRetries\": 1}", &c2));
        apify_client_free(c2);
    }
    /* Reading the last error does not clear it. */
    CHECK_NOT_FOUND(s, apify_run_get(client, MISSING, &s));
    check_last_error_is(__FILE__, __LINE__, NF);
    check_last_error_is(__FILE__, __LINE__, NF);

    apify_client_free(client);
    return check_done();
}
