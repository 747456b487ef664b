/*
 * The library's plain parts and the last-error rules: apify_version equals the header's
 * APIFY_VERSION macros; apify_status_name names every status and answers "UNKNOWN" otherwise;
 * no last error before any call; every client option is accepted; and every fallible function,
 * called successfully right after a failure, clears the last error (and each call to
 * apify_last_error_* answers a fresh string to free).
 */
#include "check.h"

#define GENERATOR "emulator/generator"
#define MISSING "ZZZZZZZZZZZZZZZZZ"

static apify_client *client;

/* Makes the last error NOT_FOUND (a run that does not exist). */
static void fail_once(void) {
    char *s;
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, s, apify_run_get(client, MISSING, &s));
}

int main(void) {
    char version[32];
    char *s, *s2;
    char run_id[64], dataset_id[64], store_id[64], actor_id[64], task_id[64], body[256];
    apify_record *record;
    apify_dataset_iter *ds_iter;
    apify_key_iter *key_iter;

    /* ---- before any call: no last error */
    CHECK(apify_last_error_message() == NULL);
    CHECK(apify_last_error_json() == NULL);

    /* ---- the version */
    snprintf(version, sizeof version, "%d.%d.%d", APIFY_VERSION_MAJOR, APIFY_VERSION_MINOR,
             APIFY_VERSION_PATCH);
    CHECK(apify_version() != NULL);
    CHECK(strcmp(apify_version(), version) == 0);
    CHECK(strcmp(apify_version(), APIFY_VERSION) == 0);
    CHECK(apify_version() == apify_version()); /* static */

    /* ---- status names */
    CHECK(strcmp(apify_status_name(APIFY_STATUS_OK), "OK") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_NULL_ARGUMENT), "NULL_ARGUMENT") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_INVALID_UTF8), "INVALID_UTF8") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_INVALID_JSON), "INVALID_JSON") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_INVALID_ARGUMENT), "INVALID_ARGUMENT") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_API_ERROR), "API_ERROR") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_NOT_FOUND), "NOT_FOUND") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_UNAUTHORIZED), "UNAUTHORIZED") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_RATE_LIMITED), "RATE_LIMITED") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_RUN_FAILED), "RUN_FAILED") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_SYNC_TIMEOUT), "SYNC_TIMEOUT") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_OUTCOME_UNKNOWN), "OUTCOME_UNKNOWN") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_TRANSPORT), "TRANSPORT") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_TIMEOUT), "TIMEOUT") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_CANCELLED), "CANCELLED") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_RESPONSE_TOO_LARGE), "RESPONSE_TOO_LARGE") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_REDIRECT_REFUSED), "REDIRECT_REFUSED") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_INVALID_INPUT), "INVALID_INPUT") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_INTERNAL), "INTERNAL") == 0);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_PANIC), "PANIC") == 0);
    CHECK(APIFY_STATUS_OK == 0 && APIFY_STATUS_NULL_ARGUMENT == 1 && APIFY_STATUS_INVALID_UTF8 == 2 &&
          APIFY_STATUS_INVALID_JSON == 3 && APIFY_STATUS_INVALID_ARGUMENT == 4 &&
          APIFY_STATUS_API_ERROR == 10 && APIFY_STATUS_NOT_FOUND == 11 &&
          APIFY_STATUS_UNAUTHORIZED == 12 && APIFY_STATUS_RATE_LIMITED == 13 &&
          APIFY_STATUS_RUN_FAILED == 14 && APIFY_STATUS_SYNC_TIMEOUT == 15 &&
          APIFY_STATUS_OUTCOME_UNKNOWN == 16 &&
          APIFY_STATUS_TRANSPORT == 20 && APIFY_STATUS_TIMEOUT == 21 &&
          APIFY_STATUS_CANCELLED == 22 && APIFY_STATUS_RESPONSE_TOO_LARGE == 23 &&
          APIFY_STATUS_REDIRECT_REFUSED == 24 && APIFY_STATUS_INVALID_INPUT == 25 &&
          APIFY_STATUS_INTERNAL == 90 &&
          APIFY_STATUS_PANIC == 99);
    {
        const int32_t unknown[] = {-1, 5, 9, 17, 26, 89, 98, 100, INT32_MIN, INT32_MAX};
        size_t i;
        for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
            CHECK(strcmp(apify_status_name(unknown[i]), "UNKNOWN") == 0);
    }
    /* Plain calls do not touch the last error. */
    CHECK(apify_last_error_message() == NULL);

    /* ---- clients */
    client = check_client_from_env();
    {
        apify_client *c = NULL;
        char options[512];
        snprintf(options, sizeof options,
                 "{\"token\": \"%s\", \"baseUrl\": \"%s\", \"maxRetries\": 3, "
                 "\"minDelayBetweenRetriesMillis\": 50, \"timeoutSecs\": 30.5, "
                 "\"userAgentSuffix\": \"c-tests\"}",
                 getenv("APIFY_TOKEN"), getenv("APIFY_API_BASE_URL"));
        CHECK_OK(apify_client_new(options, &c));
        CHECK(c != NULL && c != client);
        s = NULL;
        CHECK_OK(apify_request(c, "GET", "/v2/users/me", NULL, NULL, &s));
        CHECK(strstr(s, "\"username\"") != NULL);
        apify_string_free(s);
        apify_client_free(c);
        c = NULL;
        CHECK_OK(apify_client_new("{}", &c));
        apify_client_free(c);
        c = NULL;
        CHECK_OK(apify_client_new("null", &c));
        apify_client_free(c);
    }

    /* ---- the last error: each read answers a fresh copy; reading does not clear it */
    fail_once();
    s = apify_last_error_message();
    s2 = apify_last_error_message();
    CHECK(s != NULL && s2 != NULL && s != s2 && strcmp(s, s2) == 0);
    apify_string_free(s);
    apify_string_free(s2);
    s = apify_last_error_json();
    s2 = apify_last_error_json();
    CHECK(s != NULL && s2 != NULL && s != s2 && strcmp(s, s2) == 0);
    CHECK(strstr(s, "\"httpStatus\":") && strstr(s, "\"type\":") && strstr(s, "\"method\":") &&
          strstr(s, "\"path\":") && strstr(s, "\"attempt\":") && strstr(s, "\"message\":"));
    apify_string_free(s);
    apify_string_free(s2);

    /* ---- every fallible function clears the last error when it succeeds */
    fail_once();
    s = NULL;
    CHECK_OK(apify_actor_start(client, GENERATOR, "{\"count\": 4, \"records\": 2}", "{\"waitForFinish\": 10}", &s));
    CHECK(check_json_string(s, "id", run_id, sizeof run_id));
    CHECK(check_json_string(s, "actId", actor_id, sizeof actor_id));
    CHECK(check_json_string(s, "defaultDatasetId", dataset_id, sizeof dataset_id));
    CHECK(check_json_string(s, "defaultKeyValueStoreId", store_id, sizeof store_id));
    apify_string_free(s);
    fail_once();
    s = NULL;
    CHECK_OK(apify_actor_call(client, GENERATOR, NULL, NULL, &s));
    CHECK(strstr(s, "\"status\":\"SUCCEEDED\"") != NULL);
    apify_string_free(s);
    fail_once();
    record = NULL;
    CHECK_OK(apify_actor_run_sync(client, GENERATOR, "{\"count\": 2}", NULL, &record));
    CHECK(apify_record_len(record) == strlen("{\"count\":2}"));
    CHECK(memcmp(apify_record_data(record), "{\"count\":2}", apify_record_len(record)) == 0);
    CHECK(strncmp(apify_record_content_type(record), "application/json", 16) == 0);
    apify_record_free(record);
    fail_once();
    s = NULL;
    CHECK_OK(apify_actor_run_sync_get_items(client, GENERATOR, "{\"count\": 2}", "{\"desc\": true}", &s));
    CHECK(strcmp(s, "[{\"index\":1,\"text\":\"\"},{\"index\":0,\"text\":\"\"}]") == 0);
    apify_string_free(s);

    snprintf(body, sizeof body, "{\"actId\": \"%s\", \"name\": \"c-basics\", \"input\": {\"count\": 1}}", actor_id);
    fail_once();
    s = NULL;
    CHECK_OK(apify_request(client, "POST", "/v2/actor-tasks", NULL, body, &s));
    CHECK(check_json_string(s, "id", task_id, sizeof task_id));
    apify_string_free(s);
    fail_once();
    s = NULL;
    CHECK_OK(apify_task_start(client, task_id, NULL, NULL, &s));
    CHECK(strstr(s, "\"actorTaskId\":\"") != NULL);
    apify_string_free(s);
    fail_once();
    s = NULL;
    CHECK_OK(apify_task_call(client, task_id, "{\"count\": 3}", NULL, &s));
    CHECK(strstr(s, "\"status\":\"SUCCEEDED\"") != NULL);
    apify_string_free(s);
    fail_once();
    record = NULL;
    CHECK_OK(apify_task_run_sync(client, task_id, NULL, NULL, &record));
    CHECK(apify_record_len(record) == strlen("{\"count\":1}"));
    apify_record_free(record);
    fail_once();
    s = NULL;
    CHECK_OK(apify_task_run_sync_get_items(client, task_id, NULL, NULL, &s));
    CHECK(strcmp(s, "[{\"index\":0,\"text\":\"\"}]") == 0);
    apify_string_free(s);

    fail_once();
    s = NULL;
    CHECK_OK(apify_run_get(client, run_id, &s));
    CHECK(strstr(s, run_id) != NULL);
    apify_string_free(s);
    fail_once();
    s = NULL;
    CHECK_OK(apify_run_wait(client, run_id, -1, &s));
    CHECK(strstr(s, "\"status\":\"SUCCEEDED\"") != NULL);
    apify_string_free(s);
    fail_once();
    s = NULL;
    CHECK_OK(apify_run_abort(client, run_id, 0, &s)); /* a finished run: answered as it is */
    CHECK(strstr(s, run_id) != NULL);
    apify_string_free(s);

    fail_once();
    s = NULL;
    CHECK_OK(apify_dataset_list_items(client, dataset_id, "{\"limit\": 1}", &s));
    CHECK(strncmp(s, "{\"items\":[{\"index\":0,", 21) == 0);
    apify_string_free(s);
    fail_once();
    CHECK_OK(apify_dataset_push_items(client, dataset_id, "{\"pushed\": true}"));
    fail_once();
    ds_iter = NULL;
    CHECK_OK(apify_dataset_iter_new(client, dataset_id, "{\"offset\": 4}", &ds_iter));
    fail_once();
    s = NULL;
    CHECK_OK(apify_dataset_iter_next(ds_iter, &s));
    CHECK(s != NULL && strcmp(s, "{\"pushed\": true}") == 0);
    apify_string_free(s);
    fail_once();
    s = SENTINEL;
    CHECK_OK(apify_dataset_iter_next(ds_iter, &s));
    CHECK(s == NULL);
    apify_dataset_iter_free(ds_iter);

    fail_once();
    CHECK_OK(apify_kvs_set_record(client, store_id, "basics", (const uint8_t *)"abc", 3, "text/plain"));
    fail_once();
    record = NULL;
    CHECK_OK(apify_kvs_get_record(client, store_id, "basics", &record));
    CHECK(apify_record_len(record) == 3 && memcmp(apify_record_data(record), "abc", 3) == 0);
    CHECK(strncmp(apify_record_content_type(record), "text/plain", 10) == 0);
    apify_record_free(record);
    fail_once();
    CHECK_OK(apify_kvs_delete_record(client, store_id, "basics"));
    fail_once();
    s = NULL;
    CHECK_OK(apify_kvs_list_keys(client, store_id, "{\"prefix\": \"record-\"}", &s));
    CHECK(strstr(s, "\"key\":\"record-00000\"") && strstr(s, "\"key\":\"record-00001\""));
    apify_string_free(s);
    fail_once();
    key_iter = NULL;
    CHECK_OK(apify_key_iter_new(client, store_id, "{\"prefix\": \"record-\"}", &key_iter));
    fail_once();
    s = NULL;
    CHECK_OK(apify_key_iter_next(key_iter, &s));
    CHECK(s != NULL && strcmp(s, "record-00000") == 0);
    apify_string_free(s);
    apify_key_iter_free(key_iter);

    fail_once();
    s = NULL;
    CHECK_OK(apify_request(client, "get", "/v2/users/me", "{\"unused\": 1, \"flag\": true, \"x\": \"y\"}", NULL, &s));
    CHECK(strncmp(s, "{\"data\":", 8) == 0);
    apify_string_free(s);
    fail_once();
    s = NULL;
    CHECK_OK(apify_request(client, "DELETE", "/_emulator/requests", NULL, NULL, &s));
    CHECK(s != NULL);
    apify_string_free(s);
    fail_once();
    {
        apify_client *c = NULL;
        CHECK_OK(apify_client_new(NULL, &c));
        apify_client_free(c);
    }

    apify_client_free(client);
    return check_done();
}
