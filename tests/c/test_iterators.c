/*
 * Dataset and key iterators: every item once and in order across pages, then OK with NULL at
 * the end, and OK with NULL again for every call after the end; empty datasets; offset, limit,
 * desc, fields and skipEmpty; items as the text the server sent; an iterator that fails
 * (NOT_FOUND) answers that failure again on every later call; iterators interleaved and freed
 * half-way; the page functions (apify_dataset_list_items, apify_kvs_list_keys) followed page
 * by page.
 */
#include "check.h"

#define GENERATOR "emulator/generator"

struct run_ids {
    char dataset[64];
    char store[64];
};

static struct run_ids run_generator(apify_client *c, const char *input) {
    struct run_ids ids;
    char *run = NULL;
    CHECK_OK(apify_actor_call(c, GENERATOR, input, NULL, &run));
    CHECK(strstr(run, "\"status\":\"SUCCEEDED\"") != NULL);
    CHECK(check_json_string(run, "defaultDatasetId", ids.dataset, sizeof ids.dataset));
    CHECK(check_json_string(run, "defaultKeyValueStoreId", ids.store, sizeof ids.store));
    apify_string_free(run);
    return ids;
}

/* The "index" of an item's text, or -1. */
static long item_index(const char *item) {
    const char *p = strstr(item, "\"index\":");
    return p ? strtol(p + 8, NULL, 10) : -1;
}

/* Iterates the dataset with these options; checks the indexes are first, first+step, ... and
 * answers how many items there were. */
static int iterate(apify_client *c, const char *dataset, const char *options, long first, long step) {
    apify_dataset_iter *it = NULL;
    int n = 0, i;
    CHECK_OK(apify_dataset_iter_new(c, dataset, options, &it));
    CHECK(it != NULL);
    for (;;) {
        char *item = SENTINEL;
        CHECK_OK(apify_dataset_iter_next(it, &item));
        CHECK(item != SENTINEL);
        if (item == NULL) break;
        if (item_index(item) != first + step * n) {
            fprintf(stderr, "options %s: item %d is %s, expected index %ld\n",
                    options ? options : "NULL", n, item, first + step * n);
            CHECK(item_index(item) == first + step * n);
        }
        apify_string_free(item);
        n++;
    }
    /* Used after its end: OK and NULL, every time. */
    for (i = 0; i < 3; i++) {
        char *item = SENTINEL;
        CHECK_OK(apify_dataset_iter_next(it, &item));
        CHECK(item == NULL);
    }
    apify_dataset_iter_free(it);
    return n;
}

int main(void) {
    apify_client *client = check_client_from_env();
    struct run_ids big = run_generator(client, "{\"count\": 25, \"records\": 7}");
    struct run_ids empty = run_generator(client, "{\"count\": 0}");
    struct run_ids holes = run_generator(client, "{\"count\": 10, \"emptyEvery\": 3}");
    char *s;
    int n;

    /* ---- dataset iterators */
    CHECK(iterate(client, big.dataset, NULL, 0, 1) == 25);
    CHECK(iterate(client, big.dataset, "{\"chunkSize\": 10}", 0, 1) == 25);
    CHECK(iterate(client, big.dataset, "{\"chunkSize\": 1}", 0, 1) == 25);
    CHECK(iterate(client, big.dataset, "{\"chunkSize\": 25}", 0, 1) == 25);
    CHECK(iterate(client, big.dataset, "{\"offset\": 5, \"limit\": 7, \"chunkSize\": 3}", 5, 1) == 7);
    CHECK(iterate(client, big.dataset, "{\"offset\": 30}", 0, 1) == 0);
    CHECK(iterate(client, big.dataset, "{\"desc\": true, \"chunkSize\": 4}", 24, -1) == 25);
    CHECK(iterate(client, empty.dataset, NULL, 0, 1) == 0);
    CHECK(iterate(client, empty.dataset, "{\"chunkSize\": 1}", 0, 1) == 0);
    /* Items 2, 5 and 8 are {}: skipEmpty leaves 7 items. */
    {
        apify_dataset_iter *it = NULL;
        long expected[] = {0, 1, 3, 4, 6, 7, 9};
        n = 0;
        CHECK_OK(apify_dataset_iter_new(client, holes.dataset, "{\"skipEmpty\": true, \"chunkSize\": 2}", &it));
        for (;;) {
            char *item = NULL;
            CHECK_OK(apify_dataset_iter_next(it, &item));
            if (item == NULL) break;
            CHECK(n < 7 && item_index(item) == expected[n]);
            apify_string_free(item);
            n++;
        }
        CHECK(n == 7);
        apify_dataset_iter_free(it);
        /* Without skipEmpty the empty items are there. */
        n = 0;
        CHECK_OK(apify_dataset_iter_new(client, holes.dataset, "{\"chunkSize\": 3}", &it));
        for (;;) {
            char *item = NULL;
            CHECK_OK(apify_dataset_iter_next(it, &item));
            if (item == NULL) break;
            CHECK(n % 3 == 2 ? strcmp(item, "{}") == 0 : item_index(item) == n);
            apify_string_free(item);
            n++;
        }
        CHECK(n == 10);
        apify_dataset_iter_free(it);
    }
    /* fields: the item text is exactly the selected field. */
    {
        apify_dataset_iter *it = NULL;
        char *item = NULL;
        CHECK_OK(apify_dataset_iter_new(client, big.dataset, "{\"fields\": \"index\", \"offset\": 3}", &it));
        CHECK_OK(apify_dataset_iter_next(it, &item));
        CHECK(item != NULL && strcmp(item, "{\"index\":3}") == 0);
        apify_string_free(item);
        apify_dataset_iter_free(it); /* freed half-way */
    }
    /* Items come back as the text that was pushed (no re-serialization on the way). */
    {
        apify_dataset_iter *it = NULL;
        char *item = NULL;
        const char *pushed = "{\"z\": 1,  \"a\": 1.50, \"s\": \"caf\xc3\xa9 \\u00e9\"}";
        CHECK_OK(apify_dataset_push_items(client, empty.dataset, pushed));
        CHECK_OK(apify_dataset_iter_new(client, empty.dataset, NULL, &it));
        CHECK_OK(apify_dataset_iter_next(it, &item));
        CHECK(item != NULL);
        if (strcmp(item, pushed) != 0) {
            fprintf(stderr, "pushed:   %s\nreturned: %s\n", pushed, item);
            CHECK(strcmp(item, pushed) == 0);
        }
        apify_string_free(item);
        item = SENTINEL;
        CHECK_OK(apify_dataset_iter_next(it, &item));
        CHECK(item == NULL);
        apify_dataset_iter_free(it);
    }
    /* Two iterators over one client, interleaved. */
    {
        apify_dataset_iter *a = NULL, *b = NULL;
        long i;
        CHECK_OK(apify_dataset_iter_new(client, big.dataset, "{\"chunkSize\": 4}", &a));
        CHECK_OK(apify_dataset_iter_new(client, big.dataset, "{\"chunkSize\": 3, \"desc\": true}", &b));
        for (i = 0; i < 25; i++) {
            char *x = NULL, *y = NULL;
            CHECK_OK(apify_dataset_iter_next(a, &x));
            CHECK_OK(apify_dataset_iter_next(b, &y));
            CHECK(x != NULL && y != NULL);
            CHECK(item_index(x) == i && item_index(y) == 24 - i);
            apify_string_free(x);
            apify_string_free(y);
        }
        apify_dataset_iter_free(a);
        apify_dataset_iter_free(b);
    }
    /* Borrowed items (next_view) are the copying iterator's items, byte for byte; mixed calls
     * on one iterator go on in order; the end is NULL with length 0. */
    {
        apify_dataset_iter *copy = NULL, *view = NULL;
        long i;
        CHECK_OK(apify_dataset_iter_new(client, big.dataset, "{\"chunkSize\": 7}", &copy));
        CHECK_OK(apify_dataset_iter_new(client, big.dataset, "{\"chunkSize\": 7}", &view));
        for (i = 0; i < 25; i++) {
            char *x = NULL;
            const char *y = SENTINEL;
            size_t len = 12345;
            CHECK_OK(apify_dataset_iter_next(copy, &x));
            if (i % 5 == 4) {
                char *z = NULL;
                CHECK_OK(apify_dataset_iter_next(view, &z));
                CHECK(z != NULL && strcmp(x, z) == 0);
                apify_string_free(z);
            } else {
                CHECK_OK(apify_dataset_iter_next_view(view, &y, &len));
                CHECK(y != NULL && len == strlen(x) && memcmp(x, y, len) == 0);
            }
            apify_string_free(x);
        }
        {
            const char *y = SENTINEL;
            size_t len = 12345;
            CHECK_OK(apify_dataset_iter_next_view(view, &y, &len));
            CHECK(y == NULL && len == 0);
            CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, y, apify_dataset_iter_next_view(view, &y, NULL));
        }
        apify_dataset_iter_free(copy);
        apify_dataset_iter_free(view);
    }
    /* An iterator that fails: NOT_FOUND with the out-parameter untouched; used again, it
     * answers the same failure every time (never a false end). */
    {
        apify_dataset_iter *it = NULL;
        int i;
        CHECK_OK(apify_dataset_iter_new(client, "ZZZZZZZZZZZZZZZZZ", "{\"chunkSize\": 5}", &it));
        for (i = 0; i < 3; i++) {
            CHECK_FAILS(APIFY_STATUS_NOT_FOUND, s, apify_dataset_iter_next(it, &s));
            CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
        }
        apify_dataset_iter_free(it);
    }
    {
        apify_key_iter *it = NULL;
        int i;
        CHECK_OK(apify_key_iter_new(client, "ZZZZZZZZZZZZZZZZZ", NULL, &it));
        for (i = 0; i < 3; i++) {
            CHECK_FAILS(APIFY_STATUS_NOT_FOUND, s, apify_key_iter_next(it, &s));
            CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
        }
        apify_key_iter_free(it);
    }

    /* ---- one page of items */
    s = NULL;
    CHECK_OK(apify_dataset_list_items(client, big.dataset, "{\"offset\": 2, \"limit\": 3}", &s));
    CHECK(strncmp(s, "{\"items\":[{\"index\":2,", 21) == 0);
    CHECK(strstr(s, "\"offset\":2") && strstr(s, "\"limit\":3") && strstr(s, "\"count\":3") && strstr(s, "\"total\":25"));
    apify_string_free(s);
    s = NULL;
    CHECK_OK(apify_dataset_list_items(client, empty.dataset, "{\"offset\": 5}", &s));
    CHECK(strncmp(s, "{\"items\":[]", 11) == 0);
    apify_string_free(s);

    /* ---- key iterators: OUTPUT, INPUT and record-00000..record-00006 */
    {
        const char *options[] = {NULL, "{\"limit\": 1}", "{\"limit\": 2}", "{\"limit\": 1000}"};
        size_t k;
        for (k = 0; k < sizeof options / sizeof options[0]; k++) {
            apify_key_iter *it = NULL;
            int records = 0, output = 0, total = 0, i;
            char previous[300] = "";
            CHECK_OK(apify_key_iter_new(client, big.store, options[k], &it));
            for (;;) {
                char *key = SENTINEL;
                CHECK_OK(apify_key_iter_next(it, &key));
                CHECK(key != SENTINEL);
                if (key == NULL) break;
                CHECK(strlen(key) < sizeof previous);
                CHECK(strcmp(previous, key) < 0); /* ascending, each key once */
                strcpy(previous, key);
                if (strncmp(key, "record-", 7) == 0) records++;
                if (strcmp(key, "OUTPUT") == 0) output++;
                total++;
                apify_string_free(key);
            }
            CHECK(records == 7 && output == 1 && total >= 8);
            for (i = 0; i < 3; i++) {
                char *key = SENTINEL;
                CHECK_OK(apify_key_iter_next(it, &key));
                CHECK(key == NULL);
            }
            apify_key_iter_free(it);
        }
    }
    {
        apify_key_iter *it = NULL;
        int i;
        CHECK_OK(apify_key_iter_new(client, big.store, "{\"prefix\": \"record-\", \"limit\": 3, \"exclusiveStartKey\": \"record-00001\"}", &it));
        for (i = 2; i <= 6; i++) {
            char *key = NULL;
            char want[32];
            snprintf(want, sizeof want, "record-%05d", i);
            CHECK_OK(apify_key_iter_next(it, &key));
            CHECK(key != NULL && strcmp(key, want) == 0);
            apify_string_free(key);
        }
        s = SENTINEL;
        CHECK_OK(apify_key_iter_next(it, &s));
        CHECK(s == NULL);
        apify_key_iter_free(it);
    }
    {
        apify_key_iter *it = NULL;
        CHECK_OK(apify_key_iter_new(client, big.store, "{\"prefix\": \"nothing-\"}", &it));
        s = SENTINEL;
        CHECK_OK(apify_key_iter_next(it, &s));
        CHECK(s == NULL);
        s = SENTINEL;
        CHECK_OK(apify_key_iter_next(it, &s));
        CHECK(s == NULL);
        apify_key_iter_free(it);
    }
    {
        /* Freed half-way. */
        apify_key_iter *it = NULL;
        char *key = NULL;
        CHECK_OK(apify_key_iter_new(client, big.store, "{\"limit\": 2}", &it));
        CHECK_OK(apify_key_iter_next(it, &key));
        CHECK(key != NULL);
        apify_string_free(key);
        apify_key_iter_free(it);
    }

    /* ---- pages of keys, followed by nextExclusiveStartKey */
    {
        char options[400], next[300] = "";
        int pages = 0, found = 0;
        for (;;) {
            char *page = NULL;
            if (next[0] == '\0') {
                snprintf(options, sizeof options, "{\"limit\": 3, \"prefix\": \"record-\"}");
            } else {
                snprintf(options, sizeof options,
                         "{\"limit\": 3, \"prefix\": \"record-\", \"exclusiveStartKey\": \"%s\"}", next);
            }
            CHECK_OK(apify_kvs_list_keys(client, big.store, options, &page));
            CHECK(page != NULL && strstr(page, "\"items\":[") != NULL);
            {
                const char *p = page;
                while ((p = strstr(p, "\"key\":\"record-")) != NULL) {
                    found++;
                    p++;
                }
            }
            pages++;
            if (!check_json_string(page, "nextExclusiveStartKey", next, sizeof next)) {
                CHECK(strstr(page, "\"nextExclusiveStartKey\":null") != NULL);
                CHECK(strstr(page, "\"isTruncated\":false") != NULL);
                apify_string_free(page);
                break;
            }
            CHECK(strstr(page, "\"isTruncated\":true") != NULL);
            apify_string_free(page);
            CHECK(pages < 10);
        }
        CHECK(pages == 3 && found == 7);
    }

    apify_client_free(client);
    return check_done();
}
