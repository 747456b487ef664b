/*
 * Bad text and bad JSON, refused before any request: invalid UTF-8 in every string argument
 * (INVALID_UTF8), malformed JSON in every JSON argument (INVALID_JSON), a JSON array (or another
 * non-object) where an object is needed, unknown option keys, options of the wrong type and
 * out-of-range values (INVALID_ARGUMENT). Each leaves its out-parameter untouched and a readable
 * last error, and the server sees no request at all.
 */
#include "check.h"

#define HELLO "apify/hello-world"
#define INPUT "{\"message\": \"hi\"}"
#define UTF8 APIFY_STATUS_INVALID_UTF8
#define JSON APIFY_STATUS_INVALID_JSON
#define ARG APIFY_STATUS_INVALID_ARGUMENT

static const uint8_t BYTES[3] = {1, 2, 3};

/* The eight run functions share one signature shape per out type. */
typedef apify_status (*start_fn)(const apify_client *, const char *, const char *, const char *,
                                 char **);
typedef apify_status (*sync_fn)(const apify_client *, const char *, const char *, const char *,
                                apify_record **);

/* Every argument check of a function that answers a string, with id `id`. */
static void check_runnable_str(apify_client *c, start_fn f, const char *id, int items_options) {
    char *s;
    CHECK_FAILS(UTF8, s, f(c, BAD_UTF8, INPUT, NULL, &s));
    CHECK_FAILS(UTF8, s, f(c, id, BAD_UTF8_JSON, NULL, &s));
    CHECK_FAILS(UTF8, s, f(c, id, INPUT, "{\"build\": \"" BAD_UTF8 "\"}", &s));
    CHECK_FAILS(JSON, s, f(c, id, "{\"message\": ", NULL, &s));
    CHECK_FAILS(JSON, s, f(c, id, "{message: 1}", NULL, &s));
    CHECK_FAILS(JSON, s, f(c, id, "", NULL, &s));
    CHECK_FAILS(JSON, s, f(c, id, INPUT, "{\"memory\": 256,}", &s));
    CHECK_FAILS(JSON, s, f(c, id, INPUT, "{} trailing", &s));
    CHECK_FAILS(ARG, s, f(c, id, "[1, 2]", NULL, &s));
    CHECK_FAILS(ARG, s, f(c, id, "[{\"message\": \"hi\"}]", NULL, &s));
    CHECK_FAILS(ARG, s, f(c, id, "\"text\"", NULL, &s));
    CHECK_FAILS(ARG, s, f(c, id, "42", NULL, &s));
    CHECK_FAILS(ARG, s, f(c, id, INPUT, "[]", &s));
    CHECK_FAILS(ARG, s, f(c, id, INPUT, "[{\"memory\": 256}]", &s));
    CHECK_FAILS(ARG, s, f(c, id, INPUT, "{\"memroy\": 256}", &s));
    CHECK_ERROR_MESSAGE_HAS("memroy");
    CHECK_FAILS(ARG, s, f(c, id, INPUT, "{\"memory\": \"lots\"}", &s));
    CHECK_FAILS(ARG, s, f(c, id, INPUT, "{\"memory\": -1}", &s));
    CHECK_FAILS(ARG, s, f(c, id, INPUT, "{\"restartOnError\": \"yes\"}", &s));
    CHECK_FAILS(ARG, s, f(c, id, INPUT, "{\"webhooks\": {}}", &s));
    if (items_options) CHECK_FAILS(ARG, s, f(c, id, INPUT, "{\"limit\": \"ten\"}", &s));
    CHECK_FAILS(ARG, s, f(c, "", INPUT, NULL, &s));
}

static void check_runnable_sync(apify_client *c, sync_fn f, const char *id) {
    apify_record *r;
    CHECK_FAILS(UTF8, r, f(c, BAD_UTF8, INPUT, NULL, &r));
    CHECK_FAILS(UTF8, r, f(c, id, BAD_UTF8_JSON, NULL, &r));
    CHECK_FAILS(UTF8, r, f(c, id, INPUT, "{\"build\": \"" BAD_UTF8 "\"}", &r));
    CHECK_FAILS(JSON, r, f(c, id, "{\"message\": ", NULL, &r));
    CHECK_FAILS(JSON, r, f(c, id, INPUT, "{\"memory\": 256,}", &r));
    CHECK_FAILS(ARG, r, f(c, id, "[1, 2]", NULL, &r));
    CHECK_FAILS(ARG, r, f(c, id, INPUT, "[]", &r));
    CHECK_FAILS(ARG, r, f(c, id, INPUT, "{\"outputRecordKy\": \"OUTPUT\"}", &r));
    CHECK_ERROR_MESSAGE_HAS("outputRecordKy");
    CHECK_FAILS(ARG, r, f(c, id, INPUT, "{\"outputRecordKey\": 5}", &r));
    CHECK_FAILS(ARG, r, f(c, id, INPUT, "{\"outputRecordKey\": \"no/slashes\"}", &r));
    CHECK_FAILS(ARG, r, f(c, "", INPUT, NULL, &r));
}

int main(void) {
    apify_client *client = check_client_from_env();
    apify_client *other;
    char *s;
    apify_record *record;
    apify_dataset_iter *ds_iter;
    apify_key_iter *key_iter;
    char run_id[64], dataset_id[64], store_id[64];

    s = NULL;
    CHECK_OK(apify_actor_start(client, "emulator/generator", "{\"count\": 3}",
                               "{\"waitForFinish\": 10}", &s));
    CHECK(s != NULL);
    CHECK(check_json_string(s, "id", run_id, sizeof run_id));
    CHECK(check_json_string(s, "defaultDatasetId", dataset_id, sizeof dataset_id));
    CHECK(check_json_string(s, "defaultKeyValueStoreId", store_id, sizeof store_id));
    apify_string_free(s);
    check_clear_journal(client);

    /* Client options. */
    CHECK_FAILS(UTF8, other, apify_client_new("{\"token\": \"" BAD_UTF8 "\"}", &other));
    CHECK_FAILS(JSON, other, apify_client_new("{\"token\": ", &other));
    CHECK_FAILS(JSON, other, apify_client_new("not json", &other));
    CHECK_FAILS(ARG, other, apify_client_new("[]", &other));
    CHECK_FAILS(ARG, other, apify_client_new("[{\"maxRetries\": 1}]", &other));
    CHECK_FAILS(ARG, other, apify_client_new("\"token\"", &other));
    CHECK_FAILS(ARG, other, apify_client_new("{\"tokn\": \"x\"}", &other));
    CHECK_ERROR_MESSAGE_HAS("tokn");
    CHECK_FAILS(ARG, other, apify_client_new("{\"maxRetries\": \"many\"}", &other));
    CHECK_FAILS(ARG, other, apify_client_new("{\"maxRetries\": -1}", &other));
    CHECK_FAILS(ARG, other, apify_client_new("{\"timeoutSecs\": 0}", &other));
    CHECK_FAILS(ARG, other, apify_client_new("{\"timeoutSecs\": -5}", &other));
    CHECK_FAILS(ARG, other, apify_client_new("{\"baseUrl\": 17}", &other));

    /* Actors and tasks. */
    check_runnable_str(client, apify_actor_start, HELLO, 0);
    check_runnable_str(client, apify_actor_call, HELLO, 0);
    check_runnable_str(client, apify_actor_run_sync_get_items, HELLO, 1);
    check_runnable_str(client, apify_task_start, "some-task", 0);
    check_runnable_str(client, apify_task_call, "some-task", 0);
    check_runnable_str(client, apify_task_run_sync_get_items, "some-task", 1);
    check_runnable_sync(client, apify_actor_run_sync, HELLO);
    check_runnable_sync(client, apify_task_run_sync, "some-task");
    CHECK_FAILS(ARG, s, apify_actor_call(client, HELLO, INPUT, "{\"waitSecs\": \"long\"}", &s));

    /* Runs. */
    CHECK_FAILS(UTF8, s, apify_run_get(client, BAD_UTF8, &s));
    CHECK_FAILS(UTF8, s, apify_run_wait(client, BAD_UTF8, 0, &s));
    CHECK_FAILS(UTF8, s, apify_run_abort(client, BAD_UTF8, 0, &s));
    CHECK_FAILS(ARG, s, apify_run_get(client, "", &s));
    CHECK_FAILS(ARG, s, apify_run_wait(client, "  ", 0, &s));
    CHECK_FAILS(ARG, s, apify_run_abort(client, "", 1, &s));

    /* Datasets. */
    CHECK_FAILS(UTF8, s, apify_dataset_list_items(client, BAD_UTF8, NULL, &s));
    CHECK_FAILS(UTF8, s, apify_dataset_list_items(client, dataset_id, "{\"view\": \"" BAD_UTF8 "\"}", &s));
    CHECK_FAILS(JSON, s, apify_dataset_list_items(client, dataset_id, "{\"limit\": }", &s));
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, dataset_id, "[]", &s));
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, dataset_id, "[{\"limit\": 1}]", &s));
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, dataset_id, "{\"lmit\": 1}", &s));
    CHECK_ERROR_MESSAGE_HAS("lmit");
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, dataset_id, "{\"limit\": \"ten\"}", &s));
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, dataset_id, "{\"offset\": -1}", &s));
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, dataset_id, "{\"desc\": 1}", &s));
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, dataset_id, "{\"fields\": 7}", &s));
    CHECK_FAILS(ARG, s, apify_dataset_list_items(client, "", NULL, &s));

    CHECK_FAILS(UTF8, ds_iter, apify_dataset_iter_new(client, BAD_UTF8, NULL, &ds_iter));
    CHECK_FAILS(UTF8, ds_iter, apify_dataset_iter_new(client, dataset_id, "{\"fields\": \"" BAD_UTF8 "\"}", &ds_iter));
    CHECK_FAILS(JSON, ds_iter, apify_dataset_iter_new(client, dataset_id, "{chunkSize: 5}", &ds_iter));
    CHECK_FAILS(ARG, ds_iter, apify_dataset_iter_new(client, dataset_id, "[]", &ds_iter));
    CHECK_FAILS(ARG, ds_iter, apify_dataset_iter_new(client, dataset_id, "[{\"chunkSize\": 5}]", &ds_iter));
    CHECK_FAILS(ARG, ds_iter, apify_dataset_iter_new(client, dataset_id, "{\"chunksize\": 5}", &ds_iter));
    CHECK_ERROR_MESSAGE_HAS("chunksize");
    CHECK_FAILS(ARG, ds_iter, apify_dataset_iter_new(client, dataset_id, "{\"chunkSize\": 0}", &ds_iter));
    CHECK_FAILS(ARG, ds_iter, apify_dataset_iter_new(client, dataset_id, "{\"chunkSize\": -1}", &ds_iter));
    CHECK_FAILS(ARG, ds_iter, apify_dataset_iter_new(client, dataset_id, "{\"chunkSize\": \"big\"}", &ds_iter));
    CHECK_FAILS(ARG, ds_iter, apify_dataset_iter_new(client, "", NULL, &ds_iter));

    CHECK_STATUS(apify_dataset_push_items(client, BAD_UTF8, "{\"a\": 1}"), UTF8);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, BAD_UTF8_JSON), UTF8);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, "{\"a\": "), JSON);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, "[{\"a\": 1},"), JSON);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, "{\"a\": 1} {\"b\": 2}"), JSON);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, ""), JSON);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, "[1, 2]"), ARG);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, "[{\"a\": 1}, [2]]"), ARG);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, "\"text\""), ARG);
    CHECK_STATUS(apify_dataset_push_items(client, dataset_id, "null"), ARG);

    /* Key-value stores. */
    CHECK_FAILS(UTF8, record, apify_kvs_get_record(client, BAD_UTF8, "OUTPUT", &record));
    CHECK_FAILS(UTF8, record, apify_kvs_get_record(client, store_id, BAD_UTF8, &record));
    CHECK_FAILS(ARG, record, apify_kvs_get_record(client, store_id, "no/slashes", &record));
    CHECK_FAILS(ARG, record, apify_kvs_get_record(client, store_id, "", &record));
    CHECK_FAILS(ARG, record, apify_kvs_get_record(client, "", "OUTPUT", &record));
    CHECK_STATUS(apify_kvs_set_record(client, BAD_UTF8, "k", BYTES, 3, "text/plain"), UTF8);
    CHECK_STATUS(apify_kvs_set_record(client, store_id, BAD_UTF8, BYTES, 3, "text/plain"), UTF8);
    CHECK_STATUS(apify_kvs_set_record(client, store_id, "k", BYTES, 3, BAD_UTF8), UTF8);
    CHECK_STATUS(apify_kvs_set_record(client, store_id, "a key", BYTES, 3, "text/plain"), ARG);
    CHECK_STATUS(apify_kvs_set_record(client, store_id, "k", BYTES, 3, "text/plain\r\nX-Evil: 1"), ARG);
    CHECK_STATUS(apify_kvs_delete_record(client, BAD_UTF8, "k"), UTF8);
    CHECK_STATUS(apify_kvs_delete_record(client, store_id, BAD_UTF8), UTF8);
    CHECK_STATUS(apify_kvs_delete_record(client, store_id, "k?x=1"), ARG);
    CHECK_FAILS(UTF8, s, apify_kvs_list_keys(client, BAD_UTF8, NULL, &s));
    CHECK_FAILS(UTF8, s, apify_kvs_list_keys(client, store_id, "{\"prefix\": \"" BAD_UTF8 "\"}", &s));
    CHECK_FAILS(JSON, s, apify_kvs_list_keys(client, store_id, "{\"limit\": 1", &s));
    CHECK_FAILS(ARG, s, apify_kvs_list_keys(client, store_id, "[]", &s));
    CHECK_FAILS(ARG, s, apify_kvs_list_keys(client, store_id, "[{\"limit\": 1}]", &s));
    CHECK_FAILS(ARG, s, apify_kvs_list_keys(client, store_id, "{\"lmit\": 1}", &s));
    CHECK_ERROR_MESSAGE_HAS("lmit");
    CHECK_FAILS(ARG, s, apify_kvs_list_keys(client, store_id, "{\"limit\": \"ten\"}", &s));
    CHECK_FAILS(ARG, s, apify_kvs_list_keys(client, "", NULL, &s));
    CHECK_FAILS(UTF8, key_iter, apify_key_iter_new(client, BAD_UTF8, NULL, &key_iter));
    CHECK_FAILS(UTF8, key_iter, apify_key_iter_new(client, store_id, "{\"prefix\": \"" BAD_UTF8 "\"}", &key_iter));
    CHECK_FAILS(JSON, key_iter, apify_key_iter_new(client, store_id, "{'limit': 1}", &key_iter));
    CHECK_FAILS(ARG, key_iter, apify_key_iter_new(client, store_id, "[]", &key_iter));
    CHECK_FAILS(ARG, key_iter, apify_key_iter_new(client, store_id, "{\"pageSize\": 1}", &key_iter));
    CHECK_ERROR_MESSAGE_HAS("pageSize");
    CHECK_FAILS(ARG, key_iter, apify_key_iter_new(client, store_id, "{\"limit\": 0}", &key_iter));
    CHECK_FAILS(ARG, key_iter, apify_key_iter_new(client, store_id, "{\"limit\": 1001}", &key_iter));
    CHECK_FAILS(ARG, key_iter, apify_key_iter_new(client, "", NULL, &key_iter));

    /* Any operation. */
    CHECK_FAILS(UTF8, s, apify_request(client, BAD_UTF8, "/v2/users/me", NULL, NULL, &s));
    CHECK_FAILS(UTF8, s, apify_request(client, "GET", "/v2/" BAD_UTF8, NULL, NULL, &s));
    CHECK_FAILS(UTF8, s, apify_request(client, "GET", "/v2/users/me", "{\"a\": \"" BAD_UTF8 "\"}", NULL, &s));
    CHECK_FAILS(UTF8, s, apify_request(client, "POST", "/v2/datasets", NULL, BAD_UTF8_JSON, &s));
    CHECK_FAILS(JSON, s, apify_request(client, "GET", "/v2/users/me", "{\"a\": ", NULL, &s));
    CHECK_FAILS(JSON, s, apify_request(client, "POST", "/v2/datasets", NULL, "{\"name\": ", &s));
    CHECK_FAILS(ARG, s, apify_request(client, "GET", "/v2/users/me", "[]", NULL, &s));
    CHECK_FAILS(ARG, s, apify_request(client, "GET", "/v2/users/me", "[[\"a\", \"b\"]]", NULL, &s));
    CHECK_FAILS(ARG, s, apify_request(client, "GET", "/v2/users/me", "{\"a\": {\"b\": 1}}", NULL, &s));
    CHECK_FAILS(ARG, s, apify_request(client, "GET", "/v2/users/me", "{\"a\": [1]}", NULL, &s));
    CHECK_FAILS(ARG, s, apify_request(client, "FETCH", "/v2/users/me", NULL, NULL, &s));
    CHECK_FAILS(ARG, s, apify_request(client, "GET", "v2/users/me", NULL, NULL, &s));

    /* Nothing above reached the server. */
    CHECK_NO_REQUESTS(client);

    /* A succeeding call clears the last error. */
    CHECK_FAILS(JSON, s, apify_dataset_list_items(client, dataset_id, "{", &s));
    s = NULL;
    CHECK_OK(apify_run_get(client, run_id, &s));
    CHECK(s != NULL && strstr(s, "\"SUCCEEDED\"") != NULL);
    apify_string_free(s);

    apify_client_free(client);
    return check_done();
}
