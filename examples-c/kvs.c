/*
 * Key-value store records and keys: get or create a named store (apify_kvs_get_or_create),
 * store records with different content types (text, JSON, and binary bytes with zeros in them),
 * read them back byte for byte, list the keys page by page (apify_kvs_list_keys following
 * nextExclusiveStartKey while isTruncated) and with the key iterator, delete a record and see
 * it gone (NOT_FOUND, apify_kvs_record_exists 0), then delete the store (apify_kvs_delete).
 * Fields of the JSON answers are read with apify_json_get.
 *
 * The client reads APIFY_TOKEN and APIFY_API_BASE_URL. Exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

#define ITEM_RECORDS 5

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

/* Stores a record; 1 on success. */
static int put(apify_client *c, const char *store, const char *key, const void *data, size_t len,
               const char *content_type) {
    apify_status status = apify_kvs_set_record(c, store, key, data, len, content_type);
    if (status != APIFY_STATUS_OK) {
        report("apify_kvs_set_record", status);
        return 0;
    }
    printf("stored %-10s %4lu bytes  %s\n", key, (unsigned long)len, content_type);
    return 1;
}

/* Reads a record back and compares its bytes and content type; 1 if they match. */
static int check(apify_client *c, const char *store, const char *key, const void *data, size_t len,
                 const char *content_type) {
    apify_record *record = NULL;
    apify_status status = apify_kvs_get_record(c, store, key, &record);
    int same;
    if (status != APIFY_STATUS_OK) {
        report("apify_kvs_get_record", status);
        return 0;
    }
    same = apify_record_len(record) == len &&
           (len == 0 || memcmp(apify_record_data(record), data, len) == 0) &&
           strncmp(apify_record_content_type(record), content_type, strlen(content_type)) == 0;
    printf("read   %-10s %4lu bytes  %s: %s\n", key, (unsigned long)apify_record_len(record),
           apify_record_content_type(record), same ? "same bytes" : "DIFFERENT");
    apify_record_free(record);
    return same;
}

int main(void) {
    const char *text = "Hello, key-value store!";
    const char *json = "{\"answer\": 42, \"list\": [1, 2, 3]}";
    unsigned char binary[256];
    char *store_json = NULL, *page = NULL;
    char store_id[64], next[300] = "";
    apify_client *client = NULL;
    apify_key_iter *iter = NULL;
    apify_record *gone = NULL;
    apify_status status;
    int i, pages = 0, listed = 0, iterated = 0, exit_code = 1;

    for (i = 0; i < 256; i++) binary[i] = (unsigned char)i; /* zeros and non-UTF-8 bytes */

    status = apify_client_new(NULL, &client);
    if (status != APIFY_STATUS_OK) {
        report("apify_client_new", status);
        goto done;
    }

    /* A named store: created the first time, the same store afterwards. */
    status = apify_kvs_get_or_create(client, "c-example-kvs", &store_json);
    if (status != APIFY_STATUS_OK) {
        report("apify_kvs_get_or_create", status);
        goto done;
    }
    if (!json_text(store_json, "/id", store_id, sizeof store_id)) {
        fprintf(stderr, "unexpected answer: %s\n", store_json);
        goto done;
    }
    printf("store c-example-kvs: %s\n", store_id);

    /* Records of three kinds, and a few more to page through. */
    if (!put(client, store_id, "greeting", text, strlen(text), "text/plain; charset=utf-8") ||
        !put(client, store_id, "config", json, strlen(json), "application/json") ||
        !put(client, store_id, "blob", binary, sizeof binary, "application/octet-stream"))
        goto done;
    for (i = 0; i < ITEM_RECORDS; i++) {
        char key[32], value[64];
        snprintf(key, sizeof key, "item-%d", i);
        snprintf(value, sizeof value, "{\"item\": %d}", i);
        if (!put(client, store_id, key, value, strlen(value), "application/json")) goto done;
    }
    if (!check(client, store_id, "greeting", text, strlen(text), "text/plain") ||
        !check(client, store_id, "config", json, strlen(json), "application/json") ||
        !check(client, store_id, "blob", binary, sizeof binary, "application/octet-stream"))
        goto done;

    /* The keys, 3 to a page, following nextExclusiveStartKey while the list is truncated. */
    for (;;) {
        char options[400], key[300], truncated[8];
        char pointer[32];
        int k;
        if (next[0] == '\0')
            snprintf(options, sizeof options, "{\"limit\": 3}");
        else
            snprintf(options, sizeof options, "{\"limit\": 3, \"exclusiveStartKey\": \"%s\"}", next);
        status = apify_kvs_list_keys(client, store_id, options, &page);
        if (status != APIFY_STATUS_OK) {
            report("apify_kvs_list_keys", status);
            goto done;
        }
        pages++;
        printf("page %d:", pages);
        for (k = 0;; k++) {
            snprintf(pointer, sizeof pointer, "/items/%d/key", k);
            if (!json_text(page, pointer, key, sizeof key)) break; /* past the last item */
            printf(" %s", key);
            listed++;
        }
        printf("\n");
        if (!json_text(page, "/isTruncated", truncated, sizeof truncated) ||
            strcmp(truncated, "true") != 0)
            break; /* the last page */
        if (!json_text(page, "/nextExclusiveStartKey", next, sizeof next)) {
            fprintf(stderr, "a truncated page without nextExclusiveStartKey: %s\n", page);
            goto done;
        }
        apify_string_free(page);
        page = NULL;
        if (pages > 100) {
            fprintf(stderr, "too many pages\n");
            goto done;
        }
    }
    printf("%d keys in %d pages\n", listed, pages);

    /* The same keys through the iterator, which follows the pages itself. */
    status = apify_key_iter_new(client, store_id, "{\"limit\": 2}", &iter);
    if (status != APIFY_STATUS_OK) {
        report("apify_key_iter_new", status);
        goto done;
    }
    printf("iterator:");
    for (;;) {
        char *key = NULL;
        status = apify_key_iter_next(iter, &key);
        if (status != APIFY_STATUS_OK) {
            printf("\n");
            report("apify_key_iter_next", status);
            goto done;
        }
        if (key == NULL) break;
        printf(" %s", key);
        iterated++;
        apify_string_free(key);
    }
    printf("\n");
    if (listed != 3 + ITEM_RECORDS || iterated != listed) {
        fprintf(stderr, "expected %d keys, listed %d, iterated %d\n", 3 + ITEM_RECORDS, listed, iterated);
        goto done;
    }

    /* Delete a record: reading it then answers NOT_FOUND. */
    status = apify_kvs_delete_record(client, store_id, "greeting");
    if (status != APIFY_STATUS_OK) {
        report("apify_kvs_delete_record", status);
        goto done;
    }
    status = apify_kvs_get_record(client, store_id, "greeting", &gone);
    if (status != APIFY_STATUS_NOT_FOUND) {
        fprintf(stderr, "a deleted record answered %s\n", apify_status_name(status));
        goto done;
    }
    printf("deleted greeting: reading it answers %s\n", apify_status_name(status));
    {
        int exists = -1;
        status = apify_kvs_record_exists(client, store_id, "greeting", &exists);
        if (status != APIFY_STATUS_OK) {
            report("apify_kvs_record_exists", status);
            goto done;
        }
        printf("greeting exists: %d\n", exists);
        if (exists != 0) goto done;
    }

    /* Delete the store. */
    status = apify_kvs_delete(client, store_id);
    if (status != APIFY_STATUS_OK) {
        report("apify_kvs_delete", status);
        goto done;
    }
    printf("deleted store %s\n", store_id);
    exit_code = 0;

done:
    apify_record_free(gone);
    apify_key_iter_free(iter);
    apify_string_free(page);
    apify_string_free(store_json);
    apify_client_free(client);
    return exit_code;
}
