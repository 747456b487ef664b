/*
 * Storages, exports, raw requests and client options:
 *   - apify_dataset_export: csv (1 header line + N lines), jsonl, json, xml, html, rss, with
 *     dataset-items options; a large dataset in buffers of at most 64 KiB whose bytes equal the
 *     raw API answer (apify_request_bytes); a write callback answering non-zero: CANCELLED after
 *     one call; an unknown format: INVALID_ARGUMENT with no request; xlsx (known to the library,
 *     refused by the emulator): API_ERROR; a stream cut short: TRANSPORT; an empty dataset;
 *   - apify_dataset_get / _get_or_create / _delete and apify_kvs_get / _get_or_create / _delete:
 *     metadata, the same store for the same name, a new one for NULL, NOT_FOUND after delete;
 *   - apify_kvs_record_exists (1, 0, a deleted record, a bad key, a missing store);
 *   - apify_key_iter_new / _next / _free (the renamed key iterator): pages, prefix, the end;
 *   - apify_request_bytes: binary bodies both ways with content types, a query, JSON answers
 *     read with apify_json_get, a body without content type, NULL body with a length;
 *   - apify_client_new options proxy, caFile, caPem, connectTimeoutSecs and timeoutSecs, in and
 *     out of range ({"timeoutSecs": 1e300}: INVALID_ARGUMENT naming timeoutSecs);
 *   - NULL for each pointer argument (NULL_ARGUMENT naming it, out untouched), invalid UTF-8,
 *     malformed JSON and unknown ids for each of these functions.
 * Every field read from JSON is read with apify_json_get.
 */
#include "check.h"

#define GENERATOR "emulator/generator"
#define MISSING "ZZZZZZZZZZZZZZZZZ"
#define NULL_ARG APIFY_STATUS_NULL_ARGUMENT
#define INVALID APIFY_STATUS_INVALID_ARGUMENT
#define BAD_UTF8_STATUS APIFY_STATUS_INVALID_UTF8
#define NF APIFY_STATUS_NOT_FOUND
#define ID_LEN 64
#define ITEMS 25
#define BIG_ITEMS 3000

/* A PEM root certificate (a self-signed test CA; nothing is signed with it). */
static const char TEST_CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBjTCCATOgAwIBAgIUJ3WgzcBmJASPt3u04fjbcZsGZAgwCgYIKoZIzj0EAwIw\n"
    "GzEZMBcGA1UEAwwQbGliYXBpZnkgdGVzdCBDQTAgFw0yNjEyMDQxNzUyMzRaGA8y\n"
    "MTI2MTExMDE3NTIzNFowGzEZMBcGA1UEAwwQbGliYXBpZnkgdGVzdCBDQTBZMBMG\n"
    "ByqGSM49AgEGCCqGSM49AwEHA0IABNXajN19oMSBdtxuBkEInd5fLjiuobpkfvx/\n"
    "BTrXlJtxQvMoQiuQ8+8KS+xowK0ULvzuw2A1od0DuxGC8lfJqISjUzBRMB0GA1Ud\n"
    "DgQWBBStLYKomDRWZhEfiR3y1ShDByfjOjAfBgNVHSMEGDAWgBStLYKomDRWZhEf\n"
    "iR3y1ShDByfjOjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCICvV\n"
    "5McBl9w4QME2fwFNiDWa6E2nOQ6m8w+aJtxmje3OAiEAjsGxyxXI0fCmsEOKlTEq\n"
    "hoXUef7i9vwCIZPaj8bAeuQ=\n"
    "-----END CERTIFICATE-----\n";

/* NULL_ARGUMENT naming the argument, out untouched. */
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

#define CHECK_FAILS_SAYING(status, needle, out, call)                                       \
    do {                                                                                    \
        CHECK_FAILS(status, out, call);                                                     \
        CHECK_ERROR_MESSAGE_HAS(needle);                                                    \
    } while (0)

/* ------------------------------------------------------------------ the export's sink */

struct sink {
    struct check_buf data;
    int calls;
    size_t largest;       /* the largest buffer handed over */
    int stop_at_call;     /* > 0: answer 1 on this call */
    int bad;              /* NULL data or a 0-length call */
};

static void sink_init(struct sink *s) { memset(s, 0, sizeof *s); }

static int on_write(const uint8_t *data, size_t len, void *userdata) {
    struct sink *s = userdata;
    s->calls++;
    if (data == NULL || len == 0) s->bad = 1;
    if (len > s->largest) s->largest = len;
    if (data != NULL && !check_buf_add(&s->data, data, len)) s->bad = 1;
    return s->stop_at_call > 0 && s->calls == s->stop_at_call;
}

/* A write callback for NULL userdata: counts into a global. */
static int writes_without_userdata = 0;
static int count_write(const uint8_t *data, size_t len, void *userdata) {
    (void)data;
    (void)len;
    if (userdata == NULL) writes_without_userdata++;
    return 0;
}

/* Exports a dataset into a fresh sink (which the caller frees). */
static void export_ok(const apify_client *c, const char *dataset_id, const char *format,
                      const char *options, struct sink *s) {
    sink_init(s);
    CHECK_OK(apify_dataset_export(c, dataset_id, format, options, on_write, s));
    CHECK(!s->bad);
    CHECK(s->largest <= 64 * 1024);
}

/* Checks that every line of a JSON Lines text is an item whose /index counts up from `first`
 * (each line read with apify_json_get); returns the number of lines. */
static long check_jsonl(const char *text, long first) {
    const char *p = text;
    long n = 0;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(len + 1);
        CHECK(line != NULL);
        memcpy(line, p, len);
        line[len] = '\0';
        CHECK(CHECK_JSON_LONG(line, "/index") == first + n);
        free(line);
        n++;
        p += len + (nl ? 1 : 0);
    }
    return n;
}

/* ------------------------------------------------------------------ helpers */

static apify_client *client_with(const char *options_json) {
    apify_client *c = NULL;
    CHECK_OK(apify_client_new(options_json, &c));
    CHECK(c != NULL);
    return c;
}

/* A run of the generator (to its end) and its default dataset's id. */
static void generate(const apify_client *c, const char *input, char *dataset_id) {
    char *run = NULL;
    char buf[ID_LEN];
    CHECK_OK(apify_actor_call(c, GENERATOR, input, NULL, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_GET(run, "/defaultDatasetId", buf);
    strcpy(dataset_id, buf);
    apify_string_free(run);
}

/* ------------------------------------------------------------------ exports */

static void check_exports(const apify_client *c) {
    char ds[ID_LEN], big[ID_LEN], path[128];
    struct sink s;
    apify_record *raw = NULL;
    char *empty = NULL;
    char empty_id[ID_LEN];

    generate(c, "{\"count\": 25, \"itemBytes\": 4}", ds);

    /* CSV: a header line and one line per item. */
    export_ok(c, ds, "csv", NULL, &s);
    CHECK(check_count_lines(s.data.data, s.data.len) == 1 + ITEMS);
    CHECK(strstr(s.data.data, "index,text\n") != NULL);
    CHECK(strstr(s.data.data, "\n24,xxxx\n") != NULL);
    check_buf_free(&s.data);
    /* JSON Lines: one item a line, in order. */
    export_ok(c, ds, "jsonl", NULL, &s);
    CHECK(check_count_lines(s.data.data, s.data.len) == ITEMS);
    CHECK(check_jsonl(s.data.data, 0) == ITEMS);
    check_buf_free(&s.data);
    /* JSON: one array. */
    export_ok(c, ds, "json", NULL, &s);
    CHECK(CHECK_JSON_LONG(s.data.data, "/0/index") == 0);
    CHECK(CHECK_JSON_LONG(s.data.data, "/24/index") == 24);
    CHECK_JSON_IS(s.data.data, "/24/text", "xxxx");
    CHECK_JSON_ABSENT(s.data.data, "/25");
    check_buf_free(&s.data);
    /* The dataset-items options apply. */
    export_ok(c, ds, "jsonl", "{\"offset\": 10, \"limit\": 5, \"fields\": [\"index\"]}", &s);
    CHECK(check_jsonl(s.data.data, 10) == 5);
    check_buf_free(&s.data);
    export_ok(c, ds, "json", "{\"offset\": 10, \"limit\": 5, \"fields\": \"index\"}", &s);
    CHECK(CHECK_JSON_LONG(s.data.data, "/0/index") == 10);
    CHECK(CHECK_JSON_LONG(s.data.data, "/4/index") == 14);
    CHECK_JSON_ABSENT(s.data.data, "/0/text");
    CHECK_JSON_ABSENT(s.data.data, "/5");
    check_buf_free(&s.data);
    export_ok(c, ds, "json", "{\"desc\": true, \"limit\": 2, \"omit\": \"text\"}", &s);
    CHECK(CHECK_JSON_LONG(s.data.data, "/0/index") == 24);
    CHECK(CHECK_JSON_LONG(s.data.data, "/1/index") == 23);
    CHECK_JSON_ABSENT(s.data.data, "/0/text");
    CHECK_JSON_ABSENT(s.data.data, "/2");
    check_buf_free(&s.data);
    export_ok(c, ds, "csv", "{\"limit\": 3}", &s);
    CHECK(check_count_lines(s.data.data, s.data.len) == 1 + 3);
    check_buf_free(&s.data);
    /* The markup formats. */
    export_ok(c, ds, "xml", NULL, &s);
    CHECK(strstr(s.data.data, "<?xml") != NULL && strstr(s.data.data, "xxxx") != NULL);
    check_buf_free(&s.data);
    export_ok(c, ds, "html", NULL, &s);
    CHECK(strstr(s.data.data, "<table") != NULL && strstr(s.data.data, "xxxx") != NULL);
    check_buf_free(&s.data);
    export_ok(c, ds, "rss", NULL, &s);
    CHECK(strstr(s.data.data, "<rss") != NULL);
    check_buf_free(&s.data);
    /* NULL userdata is passed as NULL. */
    writes_without_userdata = 0;
    CHECK_OK(apify_dataset_export(c, ds, "csv", NULL, count_write, NULL));
    CHECK(writes_without_userdata >= 1);

    /* An empty dataset: a CSV with an empty header line, an empty JSON array, no JSON lines. */
    CHECK_OK(apify_dataset_get_or_create(c, NULL, &empty));
    CHECK_JSON_GET(empty, "/id", empty_id);
    apify_string_free(empty);
    export_ok(c, empty_id, "csv", NULL, &s);
    CHECK(check_count_lines(s.data.data, s.data.len) <= 1);
    check_buf_free(&s.data);
    export_ok(c, empty_id, "json", NULL, &s);
    CHECK(s.data.len == 2 && strcmp(s.data.data, "[]") == 0);
    check_buf_free(&s.data);
    export_ok(c, empty_id, "jsonl", NULL, &s);
    CHECK(s.data.len == 0 && s.calls == 0);
    check_buf_free(&s.data);

    /* A large dataset: many buffers of at most 64 KiB, together the API's exact bytes. */
    generate(c, "{\"count\": 3000, \"itemBytes\": 100}", big);
    export_ok(c, big, "jsonl", NULL, &s);
    CHECK(s.calls >= 5);
    CHECK(check_count_lines(s.data.data, s.data.len) == BIG_ITEMS);
    CHECK(check_jsonl(s.data.data, 0) == BIG_ITEMS);
    snprintf(path, sizeof path, "/v2/datasets/%s/items", big);
    CHECK_OK(apify_request_bytes(c, "GET", path, "{\"format\": \"jsonl\"}", NULL, 0, NULL, &raw));
    CHECK(apify_record_len(raw) == s.data.len);
    CHECK(memcmp(apify_record_data(raw), s.data.data, s.data.len) == 0);
    apify_record_free(raw);
    check_buf_free(&s.data);
    export_ok(c, big, "csv", NULL, &s);
    CHECK(check_count_lines(s.data.data, s.data.len) == 1 + BIG_ITEMS);
    check_buf_free(&s.data);

    /* A write callback answering non-zero: CANCELLED, and it is not called again. */
    sink_init(&s);
    s.stop_at_call = 1;
    CHECK_STATUS(apify_dataset_export(c, big, "jsonl", NULL, on_write, &s), APIFY_STATUS_CANCELLED);
    CHECK_ERROR_MESSAGE_HAS("write callback");
    CHECK(s.calls == 1 && s.data.len > 0 && s.data.len < 64 * 1024 + 1);
    check_buf_free(&s.data);
    sink_init(&s);
    s.stop_at_call = 3;
    CHECK_STATUS(apify_dataset_export(c, big, "csv", NULL, on_write, &s), APIFY_STATUS_CANCELLED);
    CHECK(s.calls == 3);
    check_buf_free(&s.data);
    /* ... and the client goes on working. */
    export_ok(c, ds, "csv", NULL, &s);
    CHECK(check_count_lines(s.data.data, s.data.len) == 1 + ITEMS);
    check_buf_free(&s.data);

    /* Refused before any request: an unknown format, bad arguments; the sink is not called. */
    check_clear_journal(c);
    sink_init(&s);
    CHECK_STATUS(apify_dataset_export(c, ds, "pdf", NULL, on_write, &s), INVALID);
    CHECK_ERROR_MESSAGE_HAS("'pdf'");
    CHECK_ERROR_MESSAGE_HAS("csv");
    CHECK_STATUS(apify_dataset_export(c, ds, "", NULL, on_write, &s), INVALID);
    CHECK_STATUS(apify_dataset_export(c, ds, "csv&x=1", NULL, on_write, &s), INVALID);
    CHECK_NULL("c", apify_dataset_export(NULL, ds, "csv", NULL, on_write, &s));
    CHECK_NULL("dataset_id", apify_dataset_export(c, NULL, "csv", NULL, on_write, &s));
    CHECK_NULL("format", apify_dataset_export(c, ds, NULL, NULL, on_write, &s));
    CHECK_NULL("write", apify_dataset_export(c, ds, "csv", NULL, NULL, &s));
    CHECK_STATUS(apify_dataset_export(c, BAD_UTF8, "csv", NULL, on_write, &s), BAD_UTF8_STATUS);
    CHECK_ERROR_MESSAGE_HAS("'dataset_id'");
    CHECK_STATUS(apify_dataset_export(c, ds, BAD_UTF8, NULL, on_write, &s), BAD_UTF8_STATUS);
    CHECK_ERROR_MESSAGE_HAS("'format'");
    CHECK_STATUS(apify_dataset_export(c, ds, "csv", "{\"fields\": \"" BAD_UTF8 "\"}", on_write, &s), BAD_UTF8_STATUS);
    CHECK_STATUS(apify_dataset_export(c, ds, "csv", "{\"limit\": ", on_write, &s), APIFY_STATUS_INVALID_JSON);
    CHECK_ERROR_MESSAGE_HAS("'options_json'");
    CHECK_STATUS(apify_dataset_export(c, ds, "csv", "{\"chunkSize\": 5, \"limits\": 5}", on_write, &s), INVALID);
    CHECK_ERROR_MESSAGE_HAS("limits");
    CHECK_STATUS(apify_dataset_export(c, ds, "csv", "{\"limit\": \"five\"}", on_write, &s), INVALID);
    CHECK_ERROR_MESSAGE_HAS("limit");
    CHECK_STATUS(apify_dataset_export(c, "", "csv", NULL, on_write, &s), INVALID);
    CHECK_NO_REQUESTS(c);
    CHECK(s.calls == 0);

    /* Answered by the API: an unknown dataset, a format the emulator does not make. */
    CHECK_STATUS(apify_dataset_export(c, MISSING, "csv", NULL, on_write, &s), NF);
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_STATUS(apify_dataset_export(c, ds, "xlsx", NULL, on_write, &s), APIFY_STATUS_API_ERROR);
    CHECK_ERROR_JSON_HAS("\"httpStatus\":400");
    CHECK(s.calls == 0);

    /* A 503 is retried; a stream cut in the middle is TRANSPORT after part of the bytes. */
    {
        apify_client *fast = client_with("{\"maxRetries\": 2, \"minDelayBetweenRetriesMillis\": 10}");
        check_add_fault(c, "{\"method\": \"GET\", \"path\": \"/v2/datasets/*/items\", \"times\": 1, "
                     "\"action\": {\"kind\": \"status\", \"status\": 503}}");
        export_ok(fast, ds, "csv", NULL, &s);
        CHECK(check_count_lines(s.data.data, s.data.len) == 1 + ITEMS);
        check_buf_free(&s.data);
        check_add_fault(c, "{\"method\": \"GET\", \"path\": \"/v2/datasets/*/items\", \"times\": 1, "
                     "\"action\": {\"kind\": \"truncate\"}}");
        sink_init(&s);
        CHECK_STATUS(apify_dataset_export(fast, big, "jsonl", NULL, on_write, &s), APIFY_STATUS_TRANSPORT);
        CHECK(s.data.len < (size_t)BIG_ITEMS * 100);
        check_buf_free(&s.data);
        apify_client_free(fast);
    }
}

/* ------------------------------------------------------------------ datasets and stores */

/* The get / get_or_create / delete trio of one storage kind. */
typedef apify_status (*get_fn)(const apify_client *, const char *, char **);
typedef apify_status (*delete_fn)(const apify_client *, const char *);

static void check_storage_kind(const apify_client *c, const char *kind, get_fn get,
                               get_fn get_or_create, delete_fn del) {
    char *a = NULL, *b = NULL, *s;
    char name[64], id[ID_LEN], again[ID_LEN], other[ID_LEN], fresh[ID_LEN];
    snprintf(name, sizeof name, "c-test-%s", kind);

    /* By name: created once, then the same one. */
    CHECK_OK(get_or_create(c, name, &a));
    CHECK_JSON_GET(a, "/id", id);
    CHECK_JSON_IS(a, "/name", name);
    CHECK_OK(get_or_create(c, name, &b));
    CHECK_JSON_GET(b, "/id", again);
    CHECK(strcmp(id, again) == 0);
    apify_string_free(a);
    apify_string_free(b);
    a = b = NULL;
    /* NULL: a new unnamed one each time. */
    CHECK_OK(get_or_create(c, NULL, &a));
    CHECK_JSON_GET(a, "/id", other);
    CHECK_JSON_IS(a, "/name", "null");
    CHECK_OK(get_or_create(c, NULL, &b));
    CHECK_JSON_GET(b, "/id", again);
    CHECK(strcmp(other, again) != 0 && strcmp(other, id) != 0);
    apify_string_free(a);
    apify_string_free(b);
    a = NULL;
    /* Its metadata, by id and by name. */
    CHECK_OK(get(c, id, &a));
    CHECK_JSON_IS(a, "/id", id);
    CHECK_JSON_IS(a, "/name", name);
    apify_string_free(a);
    a = NULL;
    CHECK_OK(get(c, name, &a));
    CHECK_JSON_IS(a, "/id", id);
    apify_string_free(a);
    a = NULL;

    /* Deleted: gone, and deleting it again is NOT_FOUND; the name makes a new one. */
    CHECK_OK(del(c, id));
    CHECK_FAILS(NF, s, get(c, id, &s));
    CHECK_ERROR_MESSAGE_HAS(id);
    CHECK_STATUS(del(c, id), NF);
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_OK(get_or_create(c, name, &a));
    CHECK_JSON_GET(a, "/id", fresh);
    CHECK(strcmp(fresh, id) != 0);
    apify_string_free(a);
    CHECK_OK(del(c, fresh));
    CHECK_OK(del(c, other));
    CHECK_OK(del(c, again));

    /* Unknown ids, NULL, invalid UTF-8 and empty ids. */
    CHECK_FAILS(NF, s, get(c, MISSING, &s));
    CHECK_STATUS(del(c, MISSING), NF);
    check_clear_journal(c);
    CHECK_NULL_OUT("c", s, get(NULL, MISSING, &s));
    CHECK_NULL_OUT("c", s, get_or_create(NULL, name, &s));
    CHECK_NULL("c", del(NULL, MISSING));
    CHECK_STATUS(get(c, MISSING, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_json'");
    CHECK_STATUS(get_or_create(c, name, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_json'");
    CHECK_FAILS(BAD_UTF8_STATUS, s, get(c, BAD_UTF8, &s));
    CHECK_FAILS(BAD_UTF8_STATUS, s, get_or_create(c, BAD_UTF8, &s));
    CHECK_ERROR_MESSAGE_HAS("'name'");
    CHECK_STATUS(del(c, BAD_UTF8), BAD_UTF8_STATUS);
    CHECK_FAILS(INVALID, s, get(c, "", &s));
    CHECK_STATUS(del(c, " "), INVALID);
    CHECK_NO_REQUESTS(c);
}

static void check_dataset_metadata(const apify_client *c) {
    char *meta = NULL, *named = NULL;
    char ds[ID_LEN], id[ID_LEN];
    struct sink s;
    check_storage_kind(c, "dataset", apify_dataset_get, apify_dataset_get_or_create, apify_dataset_delete);
    /* A run's dataset: its item count; a pushed-to named one: its items exported. */
    generate(c, "{\"count\": 7}", ds);
    CHECK_OK(apify_dataset_get(c, ds, &meta));
    CHECK_JSON_IS(meta, "/id", ds);
    CHECK(CHECK_JSON_LONG(meta, "/itemCount") == 7);
    apify_string_free(meta);
    CHECK_OK(apify_dataset_get_or_create(c, "c-pushed", &named));
    CHECK_JSON_GET(named, "/id", id);
    CHECK_OK(apify_dataset_push_items(c, id, "[{\"index\": 0}, {\"index\": 1}]"));
    export_ok(c, id, "jsonl", NULL, &s);
    CHECK(check_jsonl(s.data.data, 0) == 2);
    check_buf_free(&s.data);
    CHECK_OK(apify_dataset_delete(c, id));
    sink_init(&s);
    CHECK_STATUS(apify_dataset_export(c, id, "csv", NULL, on_write, &s), NF);
    CHECK(s.calls == 0);
    apify_string_free(named);
}

static void check_kvs_metadata_and_records(const apify_client *c) {
    char *store = NULL;
    char id[ID_LEN], path[160];
    int exists;
    apify_key_iter *it = NULL;
    char *key, *page = NULL;
    const char *keys[] = {"alpha", "beta", "gamma", "pre-1", "pre-2"};
    int i;

    check_storage_kind(c, "kvs", apify_kvs_get, apify_kvs_get_or_create, apify_kvs_delete);

    CHECK_OK(apify_kvs_get_or_create(c, "c-records", &store));
    CHECK_JSON_GET(store, "/id", id);
    apify_string_free(store);
    for (i = 0; i < 5; i++)
        CHECK_OK(apify_kvs_set_record(c, id, keys[i], (const uint8_t *)"v", 1, "text/plain"));

    /* apify_kvs_record_exists: 1, 0, 0 once deleted. */
    exists = 42;
    CHECK_OK(apify_kvs_record_exists(c, id, "alpha", &exists));
    CHECK(exists == 1);
    exists = 42;
    CHECK_OK(apify_kvs_record_exists(c, id, "absent", &exists));
    CHECK(exists == 0);
    CHECK_OK(apify_kvs_delete_record(c, id, "beta"));
    exists = 42;
    CHECK_OK(apify_kvs_record_exists(c, id, "beta", &exists));
    CHECK(exists == 0);
    /* A missing store: NOT_FOUND, out untouched (a HEAD 404 alone cannot tell it from a
     * missing record; the library asks the store). */
    exists = 42;
    CHECK_STATUS(apify_kvs_record_exists(c, MISSING, "alpha", &exists), NF);
    CHECK(exists == 42);
    /* Refused before any request: NULLs (out untouched), invalid UTF-8, bad keys. */
    check_clear_journal(c);
    exists = 42;
    CHECK_NULL("c", apify_kvs_record_exists(NULL, id, "alpha", &exists));
    CHECK_NULL("store_id", apify_kvs_record_exists(c, NULL, "alpha", &exists));
    CHECK_NULL("key", apify_kvs_record_exists(c, id, NULL, &exists));
    CHECK_NULL("out_exists", apify_kvs_record_exists(c, id, "alpha", NULL));
    CHECK_STATUS(apify_kvs_record_exists(c, BAD_UTF8, "alpha", &exists), BAD_UTF8_STATUS);
    CHECK_STATUS(apify_kvs_record_exists(c, id, BAD_UTF8, &exists), BAD_UTF8_STATUS);
    CHECK_ERROR_MESSAGE_HAS("'key'");
    CHECK_STATUS(apify_kvs_record_exists(c, id, "no spaces allowed", &exists), INVALID);
    CHECK_ERROR_MESSAGE_HAS("no spaces allowed");
    CHECK_STATUS(apify_kvs_record_exists(c, id, "", &exists), INVALID);
    CHECK(exists == 42);
    CHECK_NO_REQUESTS(c);

    /* The key iterator: every key across pages of 2, then the end again and again. */
    CHECK_OK(apify_key_iter_new(c, id, "{\"limit\": 2}", &it));
    {
        const char *want[] = {"alpha", "gamma", "pre-1", "pre-2"};
        for (i = 0; i < 4; i++) {
            key = NULL;
            CHECK_OK(apify_key_iter_next(it, &key));
            CHECK(key != NULL && strcmp(key, want[i]) == 0);
            apify_string_free(key);
        }
        for (i = 0; i < 2; i++) {
            key = SENTINEL;
            CHECK_OK(apify_key_iter_next(it, &key));
            CHECK(key == NULL);
        }
    }
    apify_key_iter_free(it);
    it = NULL;
    /* With a prefix; NULL options. */
    CHECK_OK(apify_key_iter_new(c, id, "{\"prefix\": \"pre-\"}", &it));
    for (i = 0; i < 3; i++) {
        key = NULL;
        CHECK_OK(apify_key_iter_next(it, &key));
        if (i < 2) CHECK(key != NULL && strncmp(key, "pre-", 4) == 0);
        else CHECK(key == NULL);
        apify_string_free(key);
    }
    apify_key_iter_free(it);
    it = NULL;
    CHECK_OK(apify_key_iter_new(c, id, NULL, &it));
    key = NULL;
    CHECK_OK(apify_key_iter_next(it, &key));
    CHECK(key != NULL && strcmp(key, "alpha") == 0);
    apify_string_free(key);
    apify_key_iter_free(it); /* before the end: fine */
    it = NULL;
    /* Its bad inputs. */
    CHECK_NULL_OUT("c", it, apify_key_iter_new(NULL, id, NULL, &it));
    CHECK_NULL_OUT("store_id", it, apify_key_iter_new(c, NULL, NULL, &it));
    CHECK_NULL("out_iter", apify_key_iter_new(c, id, NULL, NULL));
    CHECK_NULL_OUT("it", key, apify_key_iter_next(NULL, &key));
    CHECK_FAILS(BAD_UTF8_STATUS, it, apify_key_iter_new(c, BAD_UTF8, NULL, &it));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, it, apify_key_iter_new(c, id, "{\"limit\"", &it));
    CHECK_FAILS_SAYING(INVALID, "limit", it, apify_key_iter_new(c, id, "{\"limit\": 0}", &it));
    CHECK_FAILS_SAYING(INVALID, "pageSize", it, apify_key_iter_new(c, id, "{\"pageSize\": 2}", &it));
    apify_key_iter_free(NULL);
    it = NULL;
    CHECK_OK(apify_key_iter_new(c, MISSING, NULL, &it)); /* lazy: no request yet */
    CHECK_FAILS(NF, key, apify_key_iter_next(it, &key));
    CHECK_FAILS(NF, key, apify_key_iter_next(it, &key)); /* the same failure, never an end */
    apify_key_iter_free(it);

    /* The store's own metadata; deleting it removes its records. */
    CHECK_OK(apify_kvs_get(c, id, &page));
    CHECK_JSON_IS(page, "/name", "c-records");
    apify_string_free(page);
    snprintf(path, sizeof path, "/v2/key-value-stores/%s/keys", id);
    CHECK_OK(apify_kvs_delete(c, id));
    CHECK_FAILS(NF, page, apify_request(c, "GET", path, NULL, NULL, &page));
}

/* ------------------------------------------------------------------ apify_request_bytes */

static void check_request_bytes(const apify_client *c) {
    uint8_t binary[256];
    apify_record *r = NULL;
    char *store = NULL, *json = NULL;
    char id[ID_LEN], path[160], ds[ID_LEN];
    size_t len;
    int i;
    for (i = 0; i < 256; i++) binary[i] = (uint8_t)i;

    CHECK_OK(apify_kvs_get_or_create(c, "c-bytes", &store));
    CHECK_JSON_GET(store, "/id", id);
    apify_string_free(store);
    snprintf(path, sizeof path, "/v2/key-value-stores/%s/records/bin", id);

    /* Bytes up (zeros and non-UTF-8 included), the same bytes and content type down. */
    CHECK_OK(apify_request_bytes(c, "PUT", path, NULL, binary, sizeof binary,
                                 "application/octet-stream", &r));
    apify_record_free(r);
    r = NULL;
    CHECK_OK(apify_request_bytes(c, "GET", path, NULL, NULL, 0, NULL, &r));
    CHECK(apify_record_len(r) == sizeof binary);
    CHECK(memcmp(apify_record_data(r), binary, sizeof binary) == 0);
    CHECK(strcmp(apify_record_content_type(r), "application/octet-stream") == 0);
    apify_record_free(r);
    r = NULL;
    /* ... as the record API sees it. */
    {
        int exists = 0;
        CHECK_OK(apify_kvs_record_exists(c, id, "bin", &exists));
        CHECK(exists == 1);
        CHECK_OK(apify_kvs_get_record(c, id, "bin", &r));
        CHECK(apify_record_len(r) == sizeof binary);
        apify_record_free(r);
        r = NULL;
    }
    /* An empty body with a content type is a body; a JSON answer comes as bytes. */
    CHECK_OK(apify_request_bytes(c, "PUT", path, NULL, NULL, 0, "text/plain", &r));
    apify_record_free(r);
    r = NULL;
    CHECK_OK(apify_request_bytes(c, "GET", path, NULL, NULL, 0, NULL, &r));
    CHECK(apify_record_len(r) == 0);
    CHECK(strncmp(apify_record_content_type(r), "text/plain", 10) == 0);
    apify_record_free(r);
    r = NULL;
    CHECK_OK(apify_request_bytes(c, "GET", "/v2/users/me", NULL, NULL, 0, NULL, &r));
    CHECK(strncmp(apify_record_content_type(r), "application/json", 16) == 0);
    len = apify_record_len(r);
    json = malloc(len + 1);
    CHECK(json != NULL);
    memcpy(json, apify_record_data(r), len);
    json[len] = '\0';
    CHECK_JSON_GET(json, "/data/id", ds);
    free(json);
    apify_record_free(r);
    r = NULL;
    /* A query: a dataset's items as CSV. */
    generate(c, "{\"count\": 4}", ds);
    snprintf(path, sizeof path, "/v2/datasets/%s/items", ds);
    CHECK_OK(apify_request_bytes(c, "GET", path, "{\"format\": \"csv\", \"limit\": 2, \"bom\": false}",
                                 NULL, 0, NULL, &r));
    CHECK(strncmp(apify_record_content_type(r), "text/csv", 8) == 0);
    CHECK(check_count_lines((const char *)apify_record_data(r), apify_record_len(r)) == 3);
    CHECK(memcmp(apify_record_data(r), "index,text\n", 11) == 0);
    apify_record_free(r);
    r = NULL;

    /* Errors: an unknown path, an unknown record. */
    CHECK_FAILS(NF, r, apify_request_bytes(c, "GET", "/v2/no-such-thing", NULL, NULL, 0, NULL, &r));
    CHECK_ERROR_JSON_HAS("\"type\":\"page-not-found\"");
    snprintf(path, sizeof path, "/v2/key-value-stores/%s/records/none", id);
    CHECK_FAILS(NF, r, apify_request_bytes(c, "GET", path, NULL, NULL, 0, NULL, &r));

    /* Refused before any request. */
    check_clear_journal(c);
    CHECK_NULL_OUT("c", r, apify_request_bytes(NULL, "GET", path, NULL, NULL, 0, NULL, &r));
    CHECK_NULL_OUT("method", r, apify_request_bytes(c, NULL, path, NULL, NULL, 0, NULL, &r));
    CHECK_NULL_OUT("path", r, apify_request_bytes(c, "GET", NULL, NULL, NULL, 0, NULL, &r));
    CHECK_NULL_OUT("body", r, apify_request_bytes(c, "PUT", path, NULL, NULL, 3, "text/plain", &r));
    CHECK_NULL("out_response", apify_request_bytes(c, "GET", path, NULL, NULL, 0, NULL, NULL));
    CHECK_FAILS_SAYING(INVALID, "content_type", r,
                       apify_request_bytes(c, "PUT", path, NULL, binary, 3, NULL, &r));
    CHECK_FAILS(BAD_UTF8_STATUS, r, apify_request_bytes(c, "GET", "/v2/" BAD_UTF8, NULL, NULL, 0, NULL, &r));
    CHECK_ERROR_MESSAGE_HAS("'path'");
    CHECK_FAILS(BAD_UTF8_STATUS, r, apify_request_bytes(c, BAD_UTF8, path, NULL, NULL, 0, NULL, &r));
    CHECK_FAILS(BAD_UTF8_STATUS, r, apify_request_bytes(c, "PUT", path, NULL, binary, 3, BAD_UTF8, &r));
    CHECK_ERROR_MESSAGE_HAS("'content_type'");
    CHECK_FAILS(BAD_UTF8_STATUS, r, apify_request_bytes(c, "GET", path, "{\"q\": \"" BAD_UTF8 "\"}", NULL, 0, NULL, &r));
    CHECK_FAILS_SAYING(APIFY_STATUS_INVALID_JSON, "'query_json'", r,
                       apify_request_bytes(c, "GET", path, "{\"format\": ", NULL, 0, NULL, &r));
    CHECK_FAILS(INVALID, r, apify_request_bytes(c, "GET", path, "[\"csv\"]", NULL, 0, NULL, &r));
    CHECK_FAILS_SAYING(INVALID, "fields", r,
                       apify_request_bytes(c, "GET", path, "{\"fields\": [\"a\"]}", NULL, 0, NULL, &r));
    CHECK_NO_REQUESTS(c);
}

/* ------------------------------------------------------------------ client options */

static void check_client_options(const char *self) {
    apify_client *c = NULL;
    char *s = NULL;
    char options[2048], ca_path[1024];
    FILE *f;

    /* timeoutSecs and connectTimeoutSecs: in range they work, out of range they are named. */
    c = client_with("{\"timeoutSecs\": 30, \"connectTimeoutSecs\": 2.5}");
    CHECK_OK(apify_request(c, "GET", "/v2/users/me", NULL, NULL, &s));
    apify_string_free(s);
    apify_client_free(c);
    CHECK_FAILS_SAYING(INVALID, "timeoutSecs", c, apify_client_new("{\"timeoutSecs\": 1e300}", &c));
    CHECK_FAILS_SAYING(INVALID, "timeoutSecs", c, apify_client_new("{\"timeoutSecs\": 0}", &c));
    CHECK_FAILS_SAYING(INVALID, "timeoutSecs", c, apify_client_new("{\"timeoutSecs\": -1}", &c));
    CHECK_FAILS_SAYING(INVALID, "timeoutSecs", c, apify_client_new("{\"timeoutSecs\": \"60\"}", &c));
    CHECK_FAILS_SAYING(INVALID, "connectTimeoutSecs", c, apify_client_new("{\"connectTimeoutSecs\": 1e300}", &c));
    CHECK_FAILS_SAYING(INVALID, "connectTimeoutSecs", c, apify_client_new("{\"connectTimeoutSecs\": 0}", &c));
    CHECK_FAILS_SAYING(INVALID, "connectTimeoutSecs", c, apify_client_new("{\"connectTimeoutSecs\": []}", &c));
    CHECK_FAILS_SAYING(INVALID, "connectTimeout", c, apify_client_new("{\"connectTimeout\": 5}", &c));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, c, apify_client_new("{\"timeoutSecs\": }", &c));
    CHECK_FAILS(BAD_UTF8_STATUS, c, apify_client_new("{\"proxy\": \"" BAD_UTF8 "\"}", &c));
    CHECK_STATUS(apify_client_new(NULL, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_client'");

    /* proxy: "" is none (the emulator is reached directly); a proxy that refuses connections
     * is TRANSPORT; a URL that is not one is refused. */
    c = client_with("{\"proxy\": \"\"}");
    CHECK_OK(apify_request(c, "GET", "/v2/users/me", NULL, NULL, &s));
    apify_string_free(s);
    apify_client_free(c);
    c = client_with("{\"proxy\": \"http://127.0.0.1:1\", \"maxRetries\": 0}");
    CHECK_FAILS(APIFY_STATUS_TRANSPORT, s, apify_request(c, "GET", "/v2/users/me", NULL, NULL, &s));
    apify_client_free(c);
    CHECK_FAILS_SAYING(INVALID, "proxy", c, apify_client_new("{\"proxy\": \"http://exa mple:99999999\"}", &c));
    CHECK_FAILS_SAYING(INVALID, "proxy", c, apify_client_new("{\"proxy\": 8080}", &c));

    /* caPem and caFile: a valid PEM is added (and plain http:// still works), anything else is
     * refused naming the option. */
    snprintf(options, sizeof options, "{\"caPem\": \"");
    {
        /* The PEM as a JSON string: newlines as \n. */
        const char *p;
        size_t n = strlen(options);
        for (p = TEST_CA_PEM; *p && n + 4 < sizeof options; p++) {
            if (*p == '\n') {
                options[n++] = '\\';
                options[n++] = 'n';
            } else {
                options[n++] = *p;
            }
        }
        options[n] = '\0';
        strncat(options, "\"}", sizeof options - strlen(options) - 1);
    }
    c = client_with(options);
    CHECK_OK(apify_request(c, "GET", "/v2/users/me", NULL, NULL, &s));
    apify_string_free(s);
    apify_client_free(c);
    CHECK_FAILS_SAYING(INVALID, "PEM", c, apify_client_new("{\"caPem\": \"not a certificate\"}", &c));
    CHECK_FAILS_SAYING(INVALID, "caPem", c, apify_client_new("{\"caPem\": true}", &c));
    snprintf(ca_path, sizeof ca_path, "%s.ca.pem", self);
    f = fopen(ca_path, "w");
    CHECK(f != NULL);
    CHECK(fputs(TEST_CA_PEM, f) >= 0);
    CHECK(fclose(f) == 0);
    snprintf(options, sizeof options, "{\"caFile\": \"%s\"}", ca_path);
    c = client_with(options);
    CHECK_OK(apify_request(c, "GET", "/v2/users/me", NULL, NULL, &s));
    apify_string_free(s);
    apify_client_free(c);
    CHECK(remove(ca_path) == 0);
    snprintf(options, sizeof options, "{\"caFile\": \"%s\"}", ca_path); /* now missing */
    CHECK_FAILS_SAYING(INVALID, "caFile", c, apify_client_new(options, &c));
    CHECK_ERROR_MESSAGE_HAS(ca_path);
}

int main(int argc, char **argv) {
    apify_client *client = check_client_from_env();
    (void)argc;
    check_exports(client);
    check_dataset_metadata(client);
    check_kvs_metadata_and_records(client);
    check_request_bytes(client);
    check_client_options(argv[0]);
    apify_client_free(client);
    return check_done();
}
