/*
 * NULL for every pointer argument of every function: each required one gives
 * APIFY_STATUS_NULL_ARGUMENT with a message naming the argument as the header does, leaves the out-parameter untouched, sets a
 * readable last error and sends no request; each optional one (input_json, options_json,
 * query_json, body_json, data with len 0) is accepted; every free function takes NULL; the
 * record accessors answer NULL / 0 for a NULL record.
 */
#include "check.h"

#define HELLO "apify/hello-world"
#define INPUT "{\"message\": \"hi\"}"
#define NULL_ARG APIFY_STATUS_NULL_ARGUMENT

/* Fails with NULL_ARGUMENT, leaves `out` untouched, and the message names `arg`. */
#define CHECK_NULL_OUT(arg, out, call)                                                      \
    do {                                                                                    \
        CHECK_FAILS(NULL_ARG, out, call);                                                   \
        CHECK_ERROR_MESSAGE_HAS("'" arg "'");                                               \
    } while (0)

/* The same for functions without an out-parameter. */
#define CHECK_NULL(arg, call)                                                               \
    do {                                                                                    \
        CHECK_STATUS(call, NULL_ARG);                                                       \
        CHECK_ERROR_MESSAGE_HAS("'" arg "'");                                               \
    } while (0)

static const uint8_t BYTES[3] = {1, 2, 3};

int main(void) {
    apify_client *client = check_client_from_env();
    apify_client *other_client;
    char *s;
    apify_record *record;
    apify_dataset_iter *ds_iter = NULL;
    apify_key_iter *key_iter = NULL;
    char run_id[64], dataset_id[64], store_id[64];

    /* A real run, dataset and store, so that only the NULL argument can make a call fail. */
    s = NULL;
    CHECK_OK(apify_actor_start(client, "emulator/generator", "{\"count\": 3}",
                               "{\"waitForFinish\": 10}", &s));
    CHECK(s != NULL);
    CHECK(check_json_string(s, "id", run_id, sizeof run_id));
    CHECK(check_json_string(s, "defaultDatasetId", dataset_id, sizeof dataset_id));
    CHECK(check_json_string(s, "defaultKeyValueStoreId", store_id, sizeof store_id));
    apify_string_free(s);
    CHECK_OK(apify_dataset_iter_new(client, dataset_id, NULL, &ds_iter));
    CHECK_OK(apify_key_iter_new(client, store_id, NULL, &key_iter));
    check_clear_journal(client);

    /* The client. */
    CHECK_NULL_OUT("out_client", other_client, apify_client_new(NULL, NULL));
    CHECK_STATUS(apify_client_new("{\"maxRetries\": 1}", NULL), NULL_ARG);

    /* Actors and tasks. */
    CHECK_NULL_OUT("c", s, apify_actor_start(NULL, HELLO, INPUT, NULL, &s));
    CHECK_NULL_OUT("actor_id", s, apify_actor_start(client, NULL, INPUT, NULL, &s));
    CHECK_NULL("out_run_json", apify_actor_start(client, HELLO, INPUT, NULL, NULL));
    CHECK_NULL_OUT("c", s, apify_actor_call(NULL, HELLO, INPUT, NULL, &s));
    CHECK_NULL_OUT("actor_id", s, apify_actor_call(client, NULL, INPUT, NULL, &s));
    CHECK_NULL("out_run_json", apify_actor_call(client, HELLO, INPUT, NULL, NULL));
    CHECK_NULL_OUT("c", record, apify_actor_run_sync(NULL, HELLO, INPUT, NULL, &record));
    CHECK_NULL_OUT("actor_id", record, apify_actor_run_sync(client, NULL, INPUT, NULL, &record));
    CHECK_NULL("out_output", apify_actor_run_sync(client, HELLO, INPUT, NULL, NULL));
    CHECK_NULL_OUT("c", s, apify_actor_run_sync_get_items(NULL, HELLO, INPUT, NULL, &s));
    CHECK_NULL_OUT("actor_id", s, apify_actor_run_sync_get_items(client, NULL, INPUT, NULL, &s));
    CHECK_NULL("out_items_json", apify_actor_run_sync_get_items(client, HELLO, INPUT, NULL, NULL));
    CHECK_NULL_OUT("c", s, apify_task_start(NULL, "task", INPUT, NULL, &s));
    CHECK_NULL_OUT("task_id", s, apify_task_start(client, NULL, INPUT, NULL, &s));
    CHECK_NULL("out_run_json", apify_task_start(client, "task", INPUT, NULL, NULL));
    CHECK_NULL_OUT("c", s, apify_task_call(NULL, "task", INPUT, NULL, &s));
    CHECK_NULL_OUT("task_id", s, apify_task_call(client, NULL, INPUT, NULL, &s));
    CHECK_NULL("out_run_json", apify_task_call(client, "task", INPUT, NULL, NULL));
    CHECK_NULL_OUT("c", record, apify_task_run_sync(NULL, "task", INPUT, NULL, &record));
    CHECK_NULL_OUT("task_id", record, apify_task_run_sync(client, NULL, INPUT, NULL, &record));
    CHECK_NULL("out_output", apify_task_run_sync(client, "task", INPUT, NULL, NULL));
    CHECK_NULL_OUT("c", s, apify_task_run_sync_get_items(NULL, "task", INPUT, NULL, &s));
    CHECK_NULL_OUT("task_id", s, apify_task_run_sync_get_items(client, NULL, INPUT, NULL, &s));
    CHECK_NULL("out_items_json", apify_task_run_sync_get_items(client, "task", INPUT, NULL, NULL));

    /* Runs. */
    CHECK_NULL_OUT("c", s, apify_run_get(NULL, run_id, &s));
    CHECK_NULL_OUT("run_id", s, apify_run_get(client, NULL, &s));
    CHECK_NULL("out_run_json", apify_run_get(client, run_id, NULL));
    CHECK_NULL_OUT("c", s, apify_run_wait(NULL, run_id, 0, &s));
    CHECK_NULL_OUT("run_id", s, apify_run_wait(client, NULL, 0, &s));
    CHECK_NULL("out_run_json", apify_run_wait(client, run_id, 0, NULL));
    CHECK_NULL_OUT("c", s, apify_run_abort(NULL, run_id, 0, &s));
    CHECK_NULL_OUT("run_id", s, apify_run_abort(client, NULL, 0, &s));
    CHECK_NULL("out_run_json", apify_run_abort(client, run_id, 0, NULL));

    /* Datasets. */
    CHECK_NULL_OUT("c", s, apify_dataset_list_items(NULL, dataset_id, NULL, &s));
    CHECK_NULL_OUT("dataset_id", s, apify_dataset_list_items(client, NULL, NULL, &s));
    CHECK_NULL("out_page_json", apify_dataset_list_items(client, dataset_id, NULL, NULL));
    {
        apify_dataset_iter *it;
        CHECK_NULL_OUT("c", it, apify_dataset_iter_new(NULL, dataset_id, NULL, &it));
        CHECK_NULL_OUT("dataset_id", it, apify_dataset_iter_new(client, NULL, NULL, &it));
        CHECK_NULL("out_iter", apify_dataset_iter_new(client, dataset_id, NULL, NULL));
    }
    CHECK_NULL_OUT("it", s, apify_dataset_iter_next(NULL, &s));
    CHECK_NULL("out_item_json", apify_dataset_iter_next(ds_iter, NULL));
    CHECK_NULL("c", apify_dataset_push_items(NULL, dataset_id, "{\"a\": 1}"));
    CHECK_NULL("dataset_id", apify_dataset_push_items(client, NULL, "{\"a\": 1}"));
    CHECK_NULL("items_json", apify_dataset_push_items(client, dataset_id, NULL));

    /* Key-value stores and records. */
    CHECK_NULL_OUT("c", record, apify_kvs_get_record(NULL, store_id, "OUTPUT", &record));
    CHECK_NULL_OUT("store_id", record, apify_kvs_get_record(client, NULL, "OUTPUT", &record));
    CHECK_NULL_OUT("key", record, apify_kvs_get_record(client, store_id, NULL, &record));
    CHECK_NULL("out_record", apify_kvs_get_record(client, store_id, "OUTPUT", NULL));
    CHECK_NULL("c", apify_kvs_set_record(NULL, store_id, "k", BYTES, 3, "text/plain"));
    CHECK_NULL("store_id", apify_kvs_set_record(client, NULL, "k", BYTES, 3, "text/plain"));
    CHECK_NULL("key", apify_kvs_set_record(client, store_id, NULL, BYTES, 3, "text/plain"));
    CHECK_NULL("data", apify_kvs_set_record(client, store_id, "k", NULL, 3, "text/plain"));
    CHECK_NULL("content_type", apify_kvs_set_record(client, store_id, "k", BYTES, 3, NULL));
    CHECK_NULL("c", apify_kvs_delete_record(NULL, store_id, "OUTPUT"));
    CHECK_NULL("store_id", apify_kvs_delete_record(client, NULL, "OUTPUT"));
    CHECK_NULL("key", apify_kvs_delete_record(client, store_id, NULL));
    CHECK_NULL_OUT("c", s, apify_kvs_list_keys(NULL, store_id, NULL, &s));
    CHECK_NULL_OUT("store_id", s, apify_kvs_list_keys(client, NULL, NULL, &s));
    CHECK_NULL("out_page_json", apify_kvs_list_keys(client, store_id, NULL, NULL));
    {
        apify_key_iter *it;
        CHECK_NULL_OUT("c", it, apify_key_iter_new(NULL, store_id, NULL, &it));
        CHECK_NULL_OUT("store_id", it, apify_key_iter_new(client, NULL, NULL, &it));
        CHECK_NULL("out_iter", apify_key_iter_new(client, store_id, NULL, NULL));
    }
    CHECK_NULL_OUT("it", s, apify_key_iter_next(NULL, &s));
    CHECK_NULL("out_key", apify_key_iter_next(key_iter, NULL));

    /* Any operation. */
    CHECK_NULL_OUT("c", s, apify_request(NULL, "GET", "/v2/users/me", NULL, NULL, &s));
    CHECK_NULL_OUT("method", s, apify_request(client, NULL, "/v2/users/me", NULL, NULL, &s));
    CHECK_NULL_OUT("path", s, apify_request(client, "GET", NULL, NULL, NULL, &s));
    CHECK_NULL("out_response_json", apify_request(client, "GET", "/v2/users/me", NULL, NULL, NULL));

    /* None of the calls above reached the server. */
    CHECK_NO_REQUESTS(client);

    /* The iterators still work after the refused calls: 3 items, then the end. */
    {
        int n = 0;
        for (;;) {
            char *item = NULL;
            CHECK_OK(apify_dataset_iter_next(ds_iter, &item));
            if (item == NULL) break;
            CHECK(strstr(item, "\"index\":") != NULL);
            apify_string_free(item);
            n++;
        }
        CHECK(n == 3);
    }
    {
        int found_output = 0;
        for (;;) {
            char *key = NULL;
            CHECK_OK(apify_key_iter_next(key_iter, &key));
            if (key == NULL) break;
            if (strcmp(key, "OUTPUT") == 0) found_output = 1;
            apify_string_free(key);
        }
        CHECK(found_output);
    }

    /* Optional pointers may be NULL. */
    s = NULL;
    CHECK_OK(apify_actor_run_sync_get_items(client, HELLO, NULL, NULL, &s));
    CHECK(s != NULL && strstr(s, "Hello, world!") != NULL);
    apify_string_free(s);
    s = NULL;
    CHECK_OK(apify_dataset_list_items(client, dataset_id, NULL, &s));
    CHECK(s != NULL && strstr(s, "\"items\":[") != NULL);
    apify_string_free(s);
    s = NULL;
    CHECK_OK(apify_kvs_list_keys(client, store_id, NULL, &s));
    CHECK(s != NULL && strstr(s, "\"OUTPUT\"") != NULL);
    apify_string_free(s);
    s = NULL;
    CHECK_OK(apify_request(client, "GET", "/v2/users/me", NULL, NULL, &s));
    CHECK(s != NULL && strstr(s, "\"data\"") != NULL);
    apify_string_free(s);
    CHECK_OK(apify_kvs_set_record(client, store_id, "empty", NULL, 0, "application/octet-stream"));
    record = NULL;
    CHECK_OK(apify_kvs_get_record(client, store_id, "empty", &record));
    CHECK(record != NULL);
    CHECK(apify_record_len(record) == 0);
    CHECK(apify_record_data(record) != NULL || apify_record_len(record) == 0);
    CHECK(strncmp(apify_record_content_type(record), "application/octet-stream", 24) == 0);
    apify_record_free(record);

    /* The record accessors and every free function take NULL. */
    CHECK(apify_record_data(NULL) == NULL);
    CHECK(apify_record_len(NULL) == 0);
    CHECK(apify_record_content_type(NULL) == NULL);
    apify_record_free(NULL);
    apify_string_free(NULL);
    apify_client_free(NULL);
    apify_dataset_iter_free(NULL);
    apify_key_iter_free(NULL);

    apify_dataset_iter_free(ds_iter);
    apify_key_iter_free(key_iter);
    apify_client_free(client);
    (void)other_client;
    return check_done();
}
