/*
 * A tiny assertion kit for the C tests of libapify (C99, header only).
 *
 * CHECK(cond) counts a passed check or prints file:line, the condition and this thread's last
 * error, then exits with status 1. CHECK_STATUS(call, status) also checks the last error: absent
 * after a success; after a failure a non-empty message and a JSON object whose "status" and
 * "statusName" match. CHECK_FAILS(status, out, call) presets the out-parameter `out` to a
 * sentinel and checks that `call` fails with `status` and leaves `out` untouched.
 * check_done() prints "N passed, 0 failed".
 *
 * Reading JSON through apify_json_get: CHECK_JSON_GET(json, pointer, buf) copies the text at a
 * pointer into an array, CHECK_JSON_LONG reads an integer, CHECK_JSON_IS compares the text,
 * CHECK_JSON_ABSENT checks that a pointer matches nothing (NOT_FOUND). struct check_buf collects
 * the bytes a callback receives; check_count_lines counts their lines.
 */
#ifndef APIFY_TEST_CHECK_H
#define APIFY_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

static int check_passed = 0;

/* What out-parameters are preset to: a recognisable address that is never written through. */
static inline void *check_sentinel(void) {
    static double area[4];
    return area;
}
#define SENTINEL check_sentinel()

/* Invalid UTF-8 (a lone continuation byte and a truncated sequence) inside otherwise good text. */
#define BAD_UTF8 "bad\x80utf8\xc3"
#define BAD_UTF8_JSON "{\"message\": \"bad\x80utf8\xc3\"}"

static inline void check_print_last_error(void) {
    char *message = apify_last_error_message();
    char *json = apify_last_error_json();
    fprintf(stderr, "  last error: %s\n  last error JSON: %s\n",
            message ? message : "(none)", json ? json : "(none)");
    apify_string_free(message);
    apify_string_free(json);
}

static inline void check_fail(const char *file, int line, const char *what) {
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    check_print_last_error();
    exit(1);
}

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) check_fail(__FILE__, __LINE__, #cond);                                 \
        check_passed++;                                                                     \
    } while (0)

/* Checks that the last error is absent (status OK) or describes `status`. */
static inline void check_last_error_is(const char *file, int line, apify_status status) {
    char *message = apify_last_error_message();
    char *json = apify_last_error_json();
    char want_status[64], want_name[96];
    int ok;
    if (status == APIFY_STATUS_OK) {
        ok = message == NULL && json == NULL;
    } else {
        snprintf(want_status, sizeof want_status, "\"status\":%d", (int)status);
        snprintf(want_name, sizeof want_name, "\"statusName\":\"%s\"", apify_status_name(status));
        ok = message != NULL && message[0] != '\0' && json != NULL && json[0] == '{' &&
             strstr(json, want_status) != NULL && strstr(json, want_name) != NULL &&
             strstr(json, "\"message\":\"") != NULL;
    }
    if (!ok) {
        fprintf(stderr, "%s:%d: the last error does not match status %d (%s)\n", file, line,
                (int)status, apify_status_name(status));
        fprintf(stderr, "  last error: %s\n  last error JSON: %s\n",
                message ? message : "(none)", json ? json : "(none)");
        apify_string_free(message);
        apify_string_free(json);
        exit(1);
    }
    apify_string_free(message);
    apify_string_free(json);
    check_passed++;
}

#define CHECK_STATUS(call, expected)                                                        \
    do {                                                                                    \
        apify_status check_st_ = (call);                                                    \
        if (check_st_ != (expected)) {                                                      \
            fprintf(stderr, "%s:%d: %s\n  returned %d (%s), expected %d (%s)\n", __FILE__,  \
                    __LINE__, #call, (int)check_st_, apify_status_name(check_st_),          \
                    (int)(expected), apify_status_name(expected));                          \
            check_print_last_error();                                                       \
            exit(1);                                                                        \
        }                                                                                   \
        check_passed++;                                                                     \
        check_last_error_is(__FILE__, __LINE__, check_st_);                                 \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, APIFY_STATUS_OK)

/* `out` is an lvalue of pointer type that `call` writes through on success only. */
#define CHECK_FAILS(expected, out, call)                                                    \
    do {                                                                                    \
        (out) = SENTINEL;                                                                   \
        CHECK_STATUS(call, expected);                                                       \
        if ((void *)(out) != SENTINEL)                                                      \
            check_fail(__FILE__, __LINE__, "the out-parameter " #out " was written by a failing call"); \
        check_passed++;                                                                     \
    } while (0)

/* Checks that the last error's JSON contains `needle` (e.g. "\"type\":\"invalid-token\""). */
#define CHECK_ERROR_JSON_HAS(needle)                                                        \
    do {                                                                                    \
        char *check_json_ = apify_last_error_json();                                        \
        int check_found_ = check_json_ != NULL && strstr(check_json_, (needle)) != NULL;    \
        if (!check_found_) {                                                                \
            fprintf(stderr, "%s:%d: the last error JSON lacks %s\n", __FILE__, __LINE__,    \
                    (needle));                                                              \
            check_print_last_error();                                                       \
            apify_string_free(check_json_);                                                 \
            exit(1);                                                                        \
        }                                                                                   \
        apify_string_free(check_json_);                                                     \
        check_passed++;                                                                     \
    } while (0)

/* Checks that the last error's message contains `needle`. */
#define CHECK_ERROR_MESSAGE_HAS(needle)                                                     \
    do {                                                                                    \
        char *check_msg_ = apify_last_error_message();                                      \
        int check_found_ = check_msg_ != NULL && strstr(check_msg_, (needle)) != NULL;      \
        if (!check_found_) {                                                                \
            fprintf(stderr, "%s:%d: the last error message lacks %s\n", __FILE__, __LINE__, \
                    (needle));                                                              \
            check_print_last_error();                                                       \
            apify_string_free(check_msg_);                                                  \
            exit(1);                                                                        \
        }                                                                                   \
        apify_string_free(check_msg_);                                                      \
        check_passed++;                                                                     \
    } while (0)

/* A client from APIFY_TOKEN and APIFY_API_BASE_URL (NULL options). */
static inline apify_client *check_client_from_env(void) {
    apify_client *client = NULL;
    if (getenv("APIFY_API_BASE_URL") == NULL || getenv("APIFY_TOKEN") == NULL) {
        fprintf(stderr, "APIFY_API_BASE_URL and APIFY_TOKEN must be set (an emulator's)\n");
        exit(1);
    }
    CHECK_OK(apify_client_new(NULL, &client));
    CHECK(client != NULL);
    return client;
}

/* The emulator's request journal ({"data": [...]}); the caller frees it. */
static inline char *check_journal(const apify_client *client) {
    char *journal = NULL;
    CHECK_OK(apify_request(client, "GET", "/_emulator/requests", NULL, NULL, &journal));
    CHECK(journal != NULL);
    return journal;
}

/* Adds a fault through the emulator's test API (POST /_emulator/faults with this JSON). */
static inline void check_add_fault(const apify_client *client, const char *fault_json) {
    char *out = NULL;
    CHECK_OK(apify_request(client, "POST", "/_emulator/faults", NULL, fault_json, &out));
    apify_string_free(out);
}

/* Clears the emulator's pending faults. */
static inline void check_clear_faults(const apify_client *client) {
    char *out = NULL;
    CHECK_OK(apify_request(client, "DELETE", "/_emulator/faults", NULL, NULL, &out));
    apify_string_free(out);
}

/* Clears the emulator's request journal. */
static inline void check_clear_journal(const apify_client *client) {
    char *out = NULL;
    CHECK_OK(apify_request(client, "DELETE", "/_emulator/requests", NULL, NULL, &out));
    apify_string_free(out);
}

/* Checks that the emulator received no API request since the journal was last cleared. */
#define CHECK_NO_REQUESTS(client)                                                           \
    do {                                                                                    \
        char *check_j_ = check_journal(client);                                             \
        int check_empty_ = strstr(check_j_, "\"data\":[]") != NULL;                        \
        if (!check_empty_) {                                                                \
            fprintf(stderr, "%s:%d: requests reached the server: %.2000s\n", __FILE__,      \
                    __LINE__, check_j_);                                                    \
            apify_string_free(check_j_);                                                    \
            exit(1);                                                                        \
        }                                                                                   \
        apify_string_free(check_j_);                                                        \
        check_passed++;                                                                     \
    } while (0)

/*
 * Copies the string value of the first `"key": "..."` in `json` into `buf` (no unescaping; the
 * values read here are ids and statuses). Returns 1 if found, 0 if absent or null.
 */
static inline int check_json_string(const char *json, const char *key, char *buf, size_t size) {
    char pattern[128];
    const char *p, *end;
    size_t n;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = strstr(json, pattern);
    if (p == NULL) return 0;
    p += strlen(pattern);
    while (*p == ' ') p++;
    if (*p != '"') return 0;
    p++;
    end = strchr(p, '"');
    if (end == NULL) return 0;
    n = (size_t)(end - p);
    if (n + 1 > size) return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 1;
}

/* ------------------------------------------------------------------ reading JSON (apify_json_get) */

/*
 * Copies the text at a JSON pointer in `json` (apify_json_get: a string unquoted, anything else
 * as JSON text) into `buf`; the test fails if the pointer matches nothing or the text is longer
 * than `buf`. CHECK_JSON_GET(json, "/id", buf) takes sizeof buf itself (buf must be an array).
 */
static inline void check_json_get_at(const char *file, int line, const char *json,
                                     const char *pointer, char *buf, size_t size) {
    char *text = NULL;
    apify_status st = apify_json_get(json, pointer, &text);
    if (st != APIFY_STATUS_OK || text == NULL || strlen(text) + 1 > size) {
        fprintf(stderr, "%s:%d: apify_json_get(\"%s\") answered %s%s in %.2000s\n", file, line,
                pointer, apify_status_name(st),
                st == APIFY_STATUS_OK ? " with a text too long for the buffer" : "",
                json ? json : "(NULL)");
        check_print_last_error();
        apify_string_free(text);
        exit(1);
    }
    memcpy(buf, text, strlen(text) + 1);
    apify_string_free(text);
    check_passed++;
}
#define CHECK_JSON_GET(json, pointer, buf)                                                  \
    check_json_get_at(__FILE__, __LINE__, (json), (pointer), (buf), sizeof(buf))

/* The integer at a JSON pointer; the test fails if it is absent or not an integer. */
static inline long check_json_long_at(const char *file, int line, const char *json,
                                      const char *pointer) {
    char text[64];
    char *end = NULL;
    long v;
    check_json_get_at(file, line, json, pointer, text, sizeof text);
    v = strtol(text, &end, 10);
    if (text[0] == '\0' || end == NULL || *end != '\0') {
        fprintf(stderr, "%s:%d: the value at %s is %s, not an integer\n", file, line, pointer, text);
        exit(1);
    }
    return v;
}
#define CHECK_JSON_LONG(json, pointer) check_json_long_at(__FILE__, __LINE__, (json), (pointer))

/* Checks that the text at a JSON pointer equals `want`. */
static inline void check_json_is_at(const char *file, int line, const char *json,
                                    const char *pointer, const char *want) {
    char got[1024];
    check_json_get_at(file, line, json, pointer, got, sizeof got);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "%s:%d: the value at %s is \"%s\", expected \"%s\"\n", file, line,
                pointer, got, want);
        exit(1);
    }
    check_passed++;
}
#define CHECK_JSON_IS(json, pointer, want)                                                  \
    check_json_is_at(__FILE__, __LINE__, (json), (pointer), (want))

/* Checks that a JSON pointer matches nothing in `json` (apify_json_get answers NOT_FOUND). */
#define CHECK_JSON_ABSENT(json, pointer)                                                    \
    do {                                                                                    \
        char *check_absent_;                                                                \
        CHECK_FAILS(APIFY_STATUS_NOT_FOUND, check_absent_,                                  \
                    apify_json_get((json), (pointer), &check_absent_));                     \
    } while (0)

/* ------------------------------------------------------------------ a growing byte buffer */

/* Bytes collected by a callback (log text, an export); NUL-terminated; free with check_buf_free. */
struct check_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Appends `len` bytes; 0 if memory ran out. */
static inline int check_buf_add(struct check_buf *b, const void *data, size_t len) {
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + len + 1) cap *= 2;
        p = (char *)realloc(b->data, cap);
        if (p == NULL) return 0;
        b->data = p;
        b->cap = cap;
    }
    if (len > 0) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 1;
}

static inline void check_buf_free(struct check_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* How many '\n'-terminated lines (a last line without one counts too). */
static inline size_t check_count_lines(const char *data, size_t len) {
    size_t i, n = 0;
    for (i = 0; i < len; i++)
        if (data[i] == '\n') n++;
    if (len > 0 && data[len - 1] != '\n') n++;
    return n;
}

static inline int check_done(void) {
    printf("%d passed, 0 failed\n", check_passed);
    return 0;
}

#endif /* APIFY_TEST_CHECK_H */
