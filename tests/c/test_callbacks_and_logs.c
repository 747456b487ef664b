/*
 * Waiting with callbacks, logs, reruns, resurrection and run lists, and apify_json_get:
 *   - apify_json_get: strings unquoted, other values as JSON text, "" for the whole document,
 *     ~0 / ~1 escapes, array indexes; NOT_FOUND for a pointer that matches nothing,
 *     INVALID_ARGUMENT for one that is not a pointer, INVALID_JSON, INVALID_UTF8, NULL_ARGUMENT;
 *   - apify_actor_call_with, apify_task_call_with, apify_run_wait_with with struct
 *     apify_callbacks (APIFY_CALLBACKS_INIT): the progress callback sees each run's statuses in
 *     order, ending with a terminal one, on the calling thread; the log callback receives
 *     exactly the bytes apify_run_get_log answers afterwards (for reruns: every run's log, in
 *     order); progress answering non-zero: CANCELLED, out untouched, the run goes on; log
 *     answering non-zero: no more log, the wait goes on; version 0: INVALID_ARGUMENT;
 *   - call options waitSecs (a bounded wait answers OK with a RUNNING run), pollIntervalSecs,
 *     rerunsOnFailure (2 with outcome FAILED: 3 runs, the last one FAILED, answered OK: waiting
 *     calls answer OK whatever the final status), and their out-of-range values;
 *   - apify_run_follow_log (streaming a running run to its end, a finished run, a callback that
 *     stops: CANCELLED, a missing log callback), apify_run_get_log, apify_run_resurrect (a
 *     finished run again with the same storages; an unfinished one: API_ERROR 400);
 *   - apify_actor_last_run (with and without a status filter) and apify_actor_list_runs
 *     (total, offset, limit, desc, status), counted with apify_json_get on "/total";
 *   - NULL for each pointer argument, invalid UTF-8, malformed JSON and unknown ids for each of
 *     these functions, the refusals sending no request.
 * Every field read from JSON is read with apify_json_get.
 */
#include <pthread.h>

#include "check.h"

#define GENERATOR "emulator/generator"
#define HELLO "apify/hello-world"
#define TASK "emulator~gen"
#define MISSING "ZZZZZZZZZZZZZZZZZ"
#define NULL_ARG APIFY_STATUS_NULL_ARGUMENT
#define INVALID APIFY_STATUS_INVALID_ARGUMENT
#define NF APIFY_STATUS_NOT_FOUND
#define ID_LEN 64
#define MAX_POLLS 200

/* NULL_ARGUMENT naming the argument, out untouched. */
#define CHECK_NULL_OUT(arg, out, call)                                                      \
    do {                                                                                    \
        CHECK_FAILS(NULL_ARG, out, call);                                                   \
        CHECK_ERROR_MESSAGE_HAS("'" arg "'");                                               \
    } while (0)

/* A failure with `status` whose message contains `needle`, out untouched. */
#define CHECK_FAILS_SAYING(status, needle, out, call)                                       \
    do {                                                                                    \
        CHECK_FAILS(status, out, call);                                                     \
        CHECK_ERROR_MESSAGE_HAS(needle);                                                    \
    } while (0)

/* ------------------------------------------------------------------ what the callbacks saw */

struct watch {
    pthread_t caller;      /* the thread that made the call */
    int foreign_thread;    /* a callback ran on another thread */
    int bad_run_json;      /* a progress call whose JSON had no /id or /status */
    int polls;             /* progress calls */
    int cancel_at_poll;    /* > 0: progress answers 1 on this call */
    char statuses[MAX_POLLS][16];
    char ids[MAX_POLLS][ID_LEN];
    int log_calls;
    int stop_log_at_call;  /* > 0: log answers 1 on this call */
    int log_calls_after_stop;
    int polls_after_log_stop;
    int bad_log_text;      /* text not NUL-terminated at len, or a NUL inside */
    struct check_buf log;  /* every byte the log callback received */
};

static void watch_init(struct watch *w) {
    memset(w, 0, sizeof *w);
    w->caller = pthread_self();
}

static void watch_free(struct watch *w) { check_buf_free(&w->log); }

/* Copies apify_json_get's text into buf; 0 if it failed (the callbacks do not CHECK). */
static int json_text(const char *json, const char *pointer, char *buf, size_t size) {
    char *text = NULL;
    if (apify_json_get(json, pointer, &text) != APIFY_STATUS_OK || strlen(text) + 1 > size) {
        apify_string_free(text);
        return 0;
    }
    memcpy(buf, text, strlen(text) + 1);
    apify_string_free(text);
    return 1;
}

static int on_progress(const char *run_json, void *userdata) {
    struct watch *w = userdata;
    char status[16], id[ID_LEN];
    if (!pthread_equal(pthread_self(), w->caller)) w->foreign_thread = 1;
    if (!json_text(run_json, "/status", status, sizeof status) ||
        !json_text(run_json, "/id", id, sizeof id))
        w->bad_run_json = 1;
    else if (w->polls < MAX_POLLS) {
        strcpy(w->statuses[w->polls], status);
        strcpy(w->ids[w->polls], id);
    }
    w->polls++;
    if (w->stop_log_at_call > 0 && w->log_calls >= w->stop_log_at_call) w->polls_after_log_stop++;
    return w->cancel_at_poll > 0 && w->polls == w->cancel_at_poll;
}

static int on_log(const char *text, size_t len, void *userdata) {
    struct watch *w = userdata;
    if (!pthread_equal(pthread_self(), w->caller)) w->foreign_thread = 1;
    if (text == NULL || text[len] != '\0' || strlen(text) != len) w->bad_log_text = 1;
    if (w->stop_log_at_call > 0 && w->log_calls >= w->stop_log_at_call) {
        w->log_calls_after_stop++;
        return 1;
    }
    w->log_calls++;
    if (text != NULL && !check_buf_add(&w->log, text, len)) w->bad_log_text = 1;
    return w->stop_log_at_call > 0 && w->log_calls == w->stop_log_at_call;
}

/* Callbacks reporting to `w`: progress, log, or both. */
static apify_callbacks callbacks_for(struct watch *w, int progress, int log) {
    apify_callbacks cb = APIFY_CALLBACKS_INIT;
    cb.userdata = w;
    if (progress) cb.progress = on_progress;
    if (log) cb.log = on_log;
    return cb;
}

/* 0 READY, 1 RUNNING, 2 on the way to a terminal status, 3 terminal, -1 unknown. */
static int rank(const char *status) {
    if (strcmp(status, "READY") == 0) return 0;
    if (strcmp(status, "RUNNING") == 0) return 1;
    if (strcmp(status, "TIMING-OUT") == 0 || strcmp(status, "ABORTING") == 0) return 2;
    if (strcmp(status, "SUCCEEDED") == 0 || strcmp(status, "FAILED") == 0 ||
        strcmp(status, "TIMED-OUT") == 0 || strcmp(status, "ABORTED") == 0)
        return 3;
    return -1;
}

/*
 * The progress calls covered `runs` runs one after the other, each run's statuses in order and
 * ending with a terminal one (`final_status`, e.g. "FAILED"), the last of them the run in
 * `final_run`. Returns the ids of the runs in `run_ids`.
 */
static void check_progress(const struct watch *w, const char *final_run, int runs,
                           const char *final_status, char run_ids[][ID_LEN]) {
    int i, seen = 0;
    char final_id[ID_LEN];
    CHECK(!w->foreign_thread);
    CHECK(!w->bad_run_json);
    CHECK(w->polls >= runs && w->polls <= MAX_POLLS);
    CHECK_JSON_GET(final_run, "/id", final_id);
    for (i = 0; i < w->polls; i++) {
        int r = rank(w->statuses[i]);
        int first_of_run = i == 0 || strcmp(w->ids[i], w->ids[i - 1]) != 0;
        CHECK(r >= 0);
        if (first_of_run) {
            int j;
            /* The previous run ended with a terminal status; this is a new run. */
            if (i > 0) CHECK(rank(w->statuses[i - 1]) == 3);
            CHECK(seen < runs);
            for (j = 0; j < seen; j++) CHECK(strcmp(run_ids[j], w->ids[i]) != 0);
            strcpy(run_ids[seen++], w->ids[i]);
        } else {
            /* Within a run: never backwards, and nothing after a terminal status. */
            CHECK(r >= rank(w->statuses[i - 1]));
            CHECK(rank(w->statuses[i - 1]) < 3);
        }
        if (rank(w->statuses[i]) == 3) CHECK(strcmp(w->statuses[i], final_status) == 0);
    }
    CHECK(seen == runs);
    CHECK(rank(w->statuses[w->polls - 1]) == 3);
    CHECK(strcmp(w->ids[w->polls - 1], final_id) == 0);
    CHECK_JSON_IS(final_run, "/status", final_status);
}

/* The log callback received exactly the logs of these runs (apify_run_get_log), in order. */
static void check_log_is(const apify_client *c, const struct watch *w, char run_ids[][ID_LEN],
                         int runs) {
    struct check_buf want = {NULL, 0, 0};
    int i;
    CHECK(!w->foreign_thread);
    CHECK(!w->bad_log_text);
    CHECK(w->log_calls >= 1);
    for (i = 0; i < runs; i++) {
        char *log = NULL;
        CHECK_OK(apify_run_get_log(c, run_ids[i], &log));
        CHECK(log != NULL && strstr(log, "emulator/generator: dataset holds") != NULL);
        CHECK(check_buf_add(&want, log, strlen(log)));
        apify_string_free(log);
    }
    if (w->log.len != want.len || memcmp(w->log.data, want.data, want.len) != 0) {
        fprintf(stderr, "the log callback received %lu bytes:\n%s\n--- apify_run_get_log: %lu bytes:\n%s\n",
                (unsigned long)w->log.len, w->log.data ? w->log.data : "",
                (unsigned long)want.len, want.data);
        exit(1);
    }
    check_passed++;
    check_buf_free(&want);
}

/* The total of an Actor's run list (with these list options). */
static long total_runs(const apify_client *c, const char *actor, const char *options) {
    char *page = NULL;
    long total;
    CHECK_OK(apify_actor_list_runs(c, actor, options, &page));
    total = CHECK_JSON_LONG(page, "/total");
    apify_string_free(page);
    return total;
}

/* ------------------------------------------------------------------ apify_json_get */

static void check_json_get(void) {
    const char *doc =
        "{\"id\": \"abc\", \"n\": 42, \"x\": 1.5, \"ok\": true, \"none\": null,"
        " \"stats\": {\"computeUnits\": 0.25}, \"items\": [{\"url\": \"http://e/\\u00e9\"}, 7],"
        " \"a/b\": \"slash\", \"m~n\": \"tilde\", \"quoted\": \"say \\\"hi\\\"\", \"\": \"empty key\"}";
    char *s;
    char buf[256];

    CHECK_JSON_IS(doc, "/id", "abc");                 /* a string comes back unquoted */
    CHECK_JSON_IS(doc, "/n", "42");                   /* other values as JSON text */
    CHECK_JSON_IS(doc, "/x", "1.5");
    CHECK_JSON_IS(doc, "/ok", "true");
    CHECK_JSON_IS(doc, "/none", "null");
    CHECK_JSON_IS(doc, "/stats", "{\"computeUnits\":0.25}");
    CHECK_JSON_IS(doc, "/stats/computeUnits", "0.25");
    CHECK_JSON_IS(doc, "/items/0/url", "http://e/\xc3\xa9"); /* unescaped, UTF-8 */
    CHECK_JSON_IS(doc, "/items/1", "7");
    CHECK_JSON_IS(doc, "/a~1b", "slash");             /* ~1 is '/' */
    CHECK_JSON_IS(doc, "/m~0n", "tilde");             /* ~0 is '~' */
    CHECK_JSON_IS(doc, "/quoted", "say \"hi\"");
    CHECK_JSON_IS(doc, "/", "empty key");             /* "/" is the key "" */
    CHECK_JSON_IS("[1, 2]", "", "[1,2]");             /* "" is the whole document */
    CHECK_JSON_IS("\"just text\"", "", "just text");
    CHECK_JSON_GET(doc, "", buf);
    CHECK(buf[0] == '{');

    /* A pointer that matches nothing: NOT_FOUND naming it, out untouched. */
    CHECK_FAILS_SAYING(NF, "/nope", s, apify_json_get(doc, "/nope", &s));
    CHECK_JSON_ABSENT(doc, "/items/2");
    CHECK_JSON_ABSENT(doc, "/items/x");
    CHECK_JSON_ABSENT(doc, "/id/0");                  /* below a string */
    CHECK_JSON_ABSENT(doc, "/a/b");                   /* an unescaped '/' is a separator */
    /* Not a pointer. */
    CHECK_FAILS_SAYING(INVALID, "pointer", s, apify_json_get(doc, "id", &s));
    CHECK_FAILS(INVALID, s, apify_json_get(doc, "#/id", &s));
    /* Malformed JSON, invalid UTF-8. */
    CHECK_FAILS_SAYING(APIFY_STATUS_INVALID_JSON, "'json'", s, apify_json_get("{\"id\": ", "/id", &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, s, apify_json_get("", "", &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, s, apify_json_get("{\"a\": 1} trailing", "/a", &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_json_get(BAD_UTF8_JSON, "/message", &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_json_get(doc, "/" BAD_UTF8, &s));
    /* NULL for each argument. */
    CHECK_NULL_OUT("json", s, apify_json_get(NULL, "/id", &s));
    CHECK_NULL_OUT("pointer", s, apify_json_get(doc, NULL, &s));
    CHECK_STATUS(apify_json_get(doc, "/id", NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_text'");
    /* A success clears the last error. */
    s = NULL;
    CHECK_OK(apify_json_get(doc, "/id", &s));
    CHECK(s != NULL && strcmp(s, "abc") == 0);
    apify_string_free(s);
}

/* ------------------------------------------------------------------ refused before any request */

static void check_refusals(const apify_client *c) {
    apify_callbacks v0 = APIFY_CALLBACKS_INIT;
    apify_callbacks no_log = APIFY_CALLBACKS_INIT;
    apify_callbacks cb = APIFY_CALLBACKS_INIT;
    struct watch w;
    char *s;
    watch_init(&w);
    cb = callbacks_for(&w, 1, 1);
    v0 = cb;
    v0.version = 0;
    CHECK(APIFY_CALLBACKS_VERSION == 1);
    CHECK(no_log.version == APIFY_CALLBACKS_VERSION && no_log.userdata == NULL &&
          no_log.progress == NULL && no_log.log == NULL);

    check_clear_journal(c);
    /* NULL for each required pointer argument. */
    CHECK_NULL_OUT("c", s, apify_actor_call_with(NULL, GENERATOR, NULL, NULL, &cb, &s));
    CHECK_NULL_OUT("actor_id", s, apify_actor_call_with(c, NULL, NULL, NULL, &cb, &s));
    CHECK_STATUS(apify_actor_call_with(c, GENERATOR, NULL, NULL, &cb, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_run_json'");
    CHECK_NULL_OUT("c", s, apify_task_call_with(NULL, TASK, NULL, NULL, &cb, &s));
    CHECK_NULL_OUT("task_id", s, apify_task_call_with(c, NULL, NULL, NULL, &cb, &s));
    CHECK_STATUS(apify_task_call_with(c, TASK, NULL, NULL, &cb, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_run_json'");
    CHECK_NULL_OUT("c", s, apify_run_wait_with(NULL, MISSING, -1, &cb, &s));
    CHECK_NULL_OUT("run_id", s, apify_run_wait_with(c, NULL, -1, &cb, &s));
    CHECK_STATUS(apify_run_wait_with(c, MISSING, -1, &cb, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_run_json'");
    CHECK_NULL_OUT("c", s, apify_run_resurrect(NULL, MISSING, &s));
    CHECK_NULL_OUT("run_id", s, apify_run_resurrect(c, NULL, &s));
    CHECK_STATUS(apify_run_resurrect(c, MISSING, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_run_json'");
    CHECK_NULL_OUT("c", s, apify_run_get_log(NULL, MISSING, &s));
    CHECK_NULL_OUT("run_id", s, apify_run_get_log(c, NULL, &s));
    CHECK_STATUS(apify_run_get_log(c, MISSING, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_text'");
    CHECK_STATUS(apify_run_follow_log(NULL, MISSING, &cb), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'c'");
    CHECK_STATUS(apify_run_follow_log(c, NULL, &cb), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'run_id'");
    CHECK_STATUS(apify_run_follow_log(c, MISSING, NULL), NULL_ARG); /* required here */
    CHECK_ERROR_MESSAGE_HAS("'callbacks'");
    CHECK_NULL_OUT("c", s, apify_actor_last_run(NULL, GENERATOR, NULL, &s));
    CHECK_NULL_OUT("actor_id", s, apify_actor_last_run(c, NULL, NULL, &s));
    CHECK_STATUS(apify_actor_last_run(c, GENERATOR, NULL, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_run_json'");
    CHECK_NULL_OUT("c", s, apify_actor_list_runs(NULL, GENERATOR, NULL, &s));
    CHECK_NULL_OUT("actor_id", s, apify_actor_list_runs(c, NULL, NULL, &s));
    CHECK_STATUS(apify_actor_list_runs(c, GENERATOR, NULL, NULL), NULL_ARG);
    CHECK_ERROR_MESSAGE_HAS("'out_page_json'");

    /* Callbacks of version 0, and follow_log without a log callback. */
    CHECK_FAILS_SAYING(INVALID, "APIFY_CALLBACKS_VERSION", s,
                       apify_actor_call_with(c, GENERATOR, NULL, NULL, &v0, &s));
    CHECK_ERROR_MESSAGE_HAS("'callbacks'");
    CHECK_FAILS_SAYING(INVALID, "version 0", s, apify_task_call_with(c, TASK, NULL, NULL, &v0, &s));
    CHECK_FAILS_SAYING(INVALID, "version 0", s, apify_run_wait_with(c, MISSING, -1, &v0, &s));
    CHECK_STATUS(apify_run_follow_log(c, MISSING, &v0), INVALID);
    CHECK_ERROR_MESSAGE_HAS("version 0");
    no_log.progress = on_progress;
    no_log.userdata = &w;
    CHECK_STATUS(apify_run_follow_log(c, MISSING, &no_log), INVALID);
    CHECK_ERROR_MESSAGE_HAS("log callback");

    /* Invalid UTF-8 in each string argument. */
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_actor_call_with(c, BAD_UTF8, NULL, NULL, &cb, &s));
    CHECK_ERROR_MESSAGE_HAS("'actor_id'");
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_actor_call_with(c, GENERATOR, BAD_UTF8_JSON, NULL, &cb, &s));
    CHECK_ERROR_MESSAGE_HAS("'input_json'");
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_actor_call_with(c, GENERATOR, NULL, "{\"build\": \"" BAD_UTF8 "\"}", &cb, &s));
    CHECK_ERROR_MESSAGE_HAS("'options_json'");
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_task_call_with(c, BAD_UTF8, NULL, NULL, &cb, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_task_call_with(c, TASK, BAD_UTF8_JSON, NULL, &cb, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_run_wait_with(c, BAD_UTF8, -1, &cb, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_run_resurrect(c, BAD_UTF8, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_run_get_log(c, BAD_UTF8, &s));
    CHECK_STATUS(apify_run_follow_log(c, BAD_UTF8, &cb), APIFY_STATUS_INVALID_UTF8);
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_actor_last_run(c, BAD_UTF8, NULL, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_actor_last_run(c, GENERATOR, "{\"status\": \"" BAD_UTF8 "\"}", &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, s, apify_actor_list_runs(c, BAD_UTF8, NULL, &s));

    /* Malformed JSON. */
    CHECK_FAILS_SAYING(APIFY_STATUS_INVALID_JSON, "'input_json'", s,
                       apify_actor_call_with(c, GENERATOR, "{\"count\": ", NULL, &cb, &s));
    CHECK_FAILS_SAYING(APIFY_STATUS_INVALID_JSON, "'options_json'", s,
                       apify_actor_call_with(c, GENERATOR, NULL, "{waitSecs: 1}", &cb, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, s, apify_task_call_with(c, TASK, "[", NULL, &cb, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, s, apify_task_call_with(c, TASK, NULL, "}", &cb, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, s, apify_actor_last_run(c, GENERATOR, "{", &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, s, apify_actor_list_runs(c, GENERATOR, "{\"limit\": }", &s));

    /* Options out of range, of the wrong type, or unknown: INVALID_ARGUMENT naming them. */
    CHECK_FAILS_SAYING(INVALID, "rerunsOnFailure", s,
                       apify_actor_call_with(c, GENERATOR, NULL, "{\"rerunsOnFailure\": -1}", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "rerunsOnFailure", s,
                       apify_task_call_with(c, TASK, NULL, "{\"rerunsOnFailure\": \"twice\"}", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "waitSecs", s,
                       apify_actor_call_with(c, GENERATOR, NULL, "{\"waitSecs\": 1e300}", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "waitSecs", s,
                       apify_task_call_with(c, TASK, NULL, "{\"waitSecs\": \"soon\"}", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "pollIntervalSecs", s,
                       apify_actor_call_with(c, GENERATOR, NULL, "{\"pollIntervalSecs\": 0}", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "pollIntervalSecs", s,
                       apify_actor_call_with(c, GENERATOR, NULL, "{\"pollIntervalSecs\": 1e300}", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "pollIntervalSecs", s,
                       apify_task_call_with(c, TASK, NULL, "{\"pollIntervalSecs\": -0.5}", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "waitSec", s,
                       apify_actor_call_with(c, GENERATOR, NULL, "{\"waitSec\": 1}", &cb, &s));
    CHECK_FAILS(INVALID, s, apify_actor_call_with(c, GENERATOR, NULL, "[]", &cb, &s));
    CHECK_FAILS_SAYING(INVALID, "limit", s, apify_actor_list_runs(c, GENERATOR, "{\"limit\": \"ten\"}", &s));
    CHECK_FAILS_SAYING(INVALID, "statuses", s, apify_actor_list_runs(c, GENERATOR, "{\"statuses\": \"FAILED\"}", &s));
    CHECK_FAILS(INVALID, s, apify_actor_list_runs(c, GENERATOR, "[1]", &s));
    CHECK_FAILS_SAYING(INVALID, "stat", s, apify_actor_last_run(c, GENERATOR, "{\"stat\": \"FAILED\"}", &s));
    CHECK_FAILS_SAYING(INVALID, "status", s, apify_actor_last_run(c, GENERATOR, "{\"status\": 3}", &s));
    /* Empty ids. */
    CHECK_FAILS(INVALID, s, apify_run_get_log(c, "", &s));
    CHECK_FAILS(INVALID, s, apify_run_resurrect(c, " ", &s));
    CHECK_FAILS(INVALID, s, apify_run_wait_with(c, "", 0, &cb, &s));
    CHECK_STATUS(apify_run_follow_log(c, "", &cb), INVALID);
    CHECK_FAILS(INVALID, s, apify_actor_call_with(c, "", NULL, NULL, &cb, &s));
    CHECK_FAILS(INVALID, s, apify_actor_list_runs(c, "", NULL, &s));

    /* None of these reached the server, and no callback ran. */
    CHECK_NO_REQUESTS(c);
    CHECK(w.polls == 0 && w.log_calls == 0);
    watch_free(&w);
}

/* ------------------------------------------------------------------ unknown ids */

static void check_unknown_ids(const apify_client *c) {
    struct watch w;
    apify_callbacks cb;
    char *s;
    watch_init(&w);
    cb = callbacks_for(&w, 1, 1);
    CHECK_FAILS(NF, s, apify_actor_call_with(c, "nobody/nothing", NULL, NULL, &cb, &s));
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_FAILS(NF, s, apify_task_call_with(c, "nobody~nothing", NULL, NULL, &cb, &s));
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    CHECK_FAILS(NF, s, apify_run_wait_with(c, MISSING, 0, &cb, &s));
    CHECK_FAILS(NF, s, apify_run_wait_with(c, MISSING, 0, NULL, &s));
    CHECK_FAILS(NF, s, apify_run_resurrect(c, MISSING, &s));
    CHECK_ERROR_MESSAGE_HAS(MISSING);
    CHECK_FAILS(NF, s, apify_run_get_log(c, MISSING, &s));
    CHECK_STATUS(apify_run_follow_log(c, MISSING, &cb), NF);
    CHECK_FAILS(NF, s, apify_actor_last_run(c, "nobody/nothing", NULL, &s));
    CHECK_FAILS(NF, s, apify_actor_list_runs(c, "nobody/nothing", NULL, &s));
    CHECK_ERROR_JSON_HAS("\"httpStatus\":404");
    /* An Actor that exists but has not run yet has no last run. */
    CHECK_FAILS_SAYING(NF, "no run", s, apify_actor_last_run(c, HELLO, NULL, &s));
    CHECK(total_runs(c, HELLO, NULL) == 0);
    CHECK(w.polls == 0 && w.log_calls == 0);
    watch_free(&w);
}

/* ------------------------------------------------------------------ progress and log in order */

/* A 1-second run polled every 0.2 s: its statuses in order, its whole log. */
static void check_call_with_progress_and_log(const apify_client *c) {
    struct watch w;
    apify_callbacks cb;
    char *run = NULL;
    char ids[MAX_POLLS][ID_LEN];
    watch_init(&w);
    cb = callbacks_for(&w, 1, 1);
    CHECK_OK(apify_actor_call_with(c, GENERATOR, "{\"count\": 4, \"durationSecs\": 1, \"logLines\": 2}",
                                   "{\"pollIntervalSecs\": 0.2}", &cb, &run));
    check_progress(&w, run, 1, "SUCCEEDED", ids);
    CHECK(w.polls >= 3);                     /* polled while it ran */
    CHECK(rank(w.statuses[0]) < 3);          /* the first answer: not finished yet */
    check_log_is(c, &w, ids, 1);
    CHECK(strstr(w.log.data, "emulator/generator: log line 1\n") != NULL);
    CHECK(strstr(w.log.data, "dataset holds 4 items; done.") != NULL);
    CHECK(CHECK_JSON_LONG(run, "/exitCode") == 0);
    CHECK_JSON_IS(run, "/actorTaskId", "null");
    apify_string_free(run);
    watch_free(&w);
}

/* Progress answering non-zero: CANCELLED, out untouched; the run goes on, and
 * apify_run_follow_log streams its log until it ends. Returns nothing; uses the run. */
static void check_cancel_then_follow_log(const apify_client *c) {
    struct watch w, followed;
    apify_callbacks cb, follow;
    char *s, *run = NULL;
    char id[ID_LEN], ids[1][ID_LEN];
    watch_init(&w);
    w.cancel_at_poll = 1;
    cb = callbacks_for(&w, 1, 1);
    CHECK_FAILS(APIFY_STATUS_CANCELLED, s,
                apify_actor_call_with(c, GENERATOR, "{\"count\": 2, \"durationSecs\": 1}",
                                      "{\"pollIntervalSecs\": 0.2}", &cb, &s));
    CHECK(w.polls == 1);                     /* nothing after the callback said stop */
    CHECK(!w.foreign_thread && !w.bad_run_json);
    strcpy(id, w.ids[0]);
    /* The run goes on. */
    CHECK_OK(apify_run_get(c, id, &run));
    CHECK(rank(w.statuses[0]) < 3);
    {
        char status[16];
        CHECK_JSON_GET(run, "/status", status);
        CHECK(rank(status) >= 0 && rank(status) < 3);
    }
    apify_string_free(run);
    run = NULL;

    /* Follow its log to the end: OK once the run is over, with every byte of its log. */
    watch_init(&followed);
    follow = callbacks_for(&followed, 0, 1);
    CHECK_OK(apify_run_follow_log(c, id, &follow));
    CHECK_OK(apify_run_get(c, id, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    apify_string_free(run);
    strcpy(ids[0], id);
    check_log_is(c, &followed, ids, 1);
    watch_free(&followed);

    /* Following the log of a finished run delivers it all and ends. */
    watch_init(&followed);
    follow = callbacks_for(&followed, 1, 1); /* progress is not used by follow_log */
    CHECK_OK(apify_run_follow_log(c, id, &follow));
    CHECK(followed.polls == 0);
    check_log_is(c, &followed, ids, 1);
    watch_free(&followed);

    /* A log callback answering non-zero stops following: CANCELLED, called once. */
    watch_init(&followed);
    followed.stop_log_at_call = 1;
    follow = callbacks_for(&followed, 0, 1);
    CHECK_STATUS(apify_run_follow_log(c, id, &follow), APIFY_STATUS_CANCELLED);
    CHECK(followed.log_calls == 1 && followed.log_calls_after_stop == 0);
    watch_free(&followed);
    watch_free(&w);
}

/* A log callback answering non-zero: no more log, but the wait goes on to the end. */
static void check_log_stop_does_not_stop_the_wait(const apify_client *c) {
    struct watch w;
    apify_callbacks cb;
    char *run = NULL, *log = NULL;
    char ids[MAX_POLLS][ID_LEN];
    watch_init(&w);
    w.stop_log_at_call = 1;
    cb = callbacks_for(&w, 1, 1);
    CHECK_OK(apify_actor_call_with(c, GENERATOR, "{\"count\": 2, \"durationSecs\": 1}",
                                   "{\"pollIntervalSecs\": 0.2}", &cb, &run));
    check_progress(&w, run, 1, "SUCCEEDED", ids);
    CHECK(w.log_calls == 1);
    CHECK(w.log_calls_after_stop == 0);     /* never called again */
    CHECK(w.polls_after_log_stop >= 1);     /* progress went on */
    CHECK(!w.bad_log_text && w.log.len > 0);
    /* What it got is the start of the log. */
    CHECK_OK(apify_run_get_log(c, ids[0], &log));
    CHECK(strlen(log) >= w.log.len && memcmp(log, w.log.data, w.log.len) == 0);
    apify_string_free(log);
    apify_string_free(run);
    watch_free(&w);
}

/* waitSecs bounds the wait: OK with a run still going. apify_run_wait_with then waits for it. */
static void check_wait_secs_and_wait_with(const apify_client *c) {
    struct watch w;
    apify_callbacks cb;
    char *run = NULL, *again = NULL;
    char id[ID_LEN], status[16], ids[MAX_POLLS][ID_LEN];
    CHECK_OK(apify_actor_call_with(c, GENERATOR, "{\"count\": 3, \"durationSecs\": 1.5}",
                                   "{\"waitSecs\": 0.2}", NULL, &run));
    CHECK_JSON_GET(run, "/id", id);
    CHECK_JSON_GET(run, "/status", status);
    CHECK(rank(status) >= 0 && rank(status) < 3); /* not an error: the run as it is */
    apify_string_free(run);
    run = NULL;

    /* wait_secs 0: one look, no wait; NULL callbacks are fine. */
    CHECK_OK(apify_run_wait_with(c, id, 0, NULL, &run));
    CHECK_JSON_IS(run, "/id", id);
    apify_string_free(run);
    run = NULL;

    /* Without a limit, with both callbacks (long polling: few progress calls). */
    watch_init(&w);
    cb = callbacks_for(&w, 1, 1);
    CHECK_OK(apify_run_wait_with(c, id, -1, &cb, &run));
    check_progress(&w, run, 1, "SUCCEEDED", ids);
    check_log_is(c, &w, ids, 1);
    watch_free(&w);

    /* A finished run: one progress call, the whole log, at once. */
    watch_init(&w);
    cb = callbacks_for(&w, 1, 1);
    CHECK_OK(apify_run_wait_with(c, id, 0, &cb, &again));
    CHECK(w.polls == 1);
    check_progress(&w, again, 1, "SUCCEEDED", ids);
    check_log_is(c, &w, ids, 1);
    watch_free(&w);
    apify_string_free(again);
    apify_string_free(run);
}

/* ------------------------------------------------------------------ reruns, last run, run lists */

static void check_reruns_on_failure(const apify_client *c) {
    struct watch w;
    apify_callbacks cb;
    char *run = NULL, *last = NULL;
    char ids[MAX_POLLS][ID_LEN], final_id[ID_LEN];
    long before = total_runs(c, GENERATOR, NULL);
    long failed_before = total_runs(c, GENERATOR, "{\"status\": \"FAILED\"}");
    watch_init(&w);
    cb = callbacks_for(&w, 1, 1);
    /* Waiting calls answer OK whatever the final status. */
    CHECK_OK(apify_actor_call_with(c, GENERATOR, "{\"outcome\": \"FAILED\", \"count\": 1}",
                                   "{\"rerunsOnFailure\": 2}", &cb, &run));
    CHECK_JSON_IS(run, "/status", "FAILED");
    CHECK(CHECK_JSON_LONG(run, "/exitCode") == 1);
    CHECK_JSON_GET(run, "/id", final_id);
    /* Three runs, one after the other, each seen to its FAILED end, each log in order. */
    check_progress(&w, run, 3, "FAILED", ids);
    check_log_is(c, &w, ids, 3);
    CHECK(total_runs(c, GENERATOR, NULL) == before + 3);
    CHECK(total_runs(c, GENERATOR, "{\"status\": \"FAILED\"}") == failed_before + 3);
    /* The last FAILED run is the one returned. */
    CHECK_OK(apify_actor_last_run(c, GENERATOR, "{\"status\": \"FAILED\"}", &last));
    CHECK_JSON_IS(last, "/id", final_id);
    CHECK_JSON_IS(last, "/status", "FAILED");
    apify_string_free(last);
    last = NULL;
    CHECK_OK(apify_actor_last_run(c, GENERATOR, NULL, &last));
    CHECK_JSON_IS(last, "/id", final_id);
    apify_string_free(last);
    last = NULL;
    /* The run list, newest first, one a page: the same run. */
    CHECK_OK(apify_actor_list_runs(c, GENERATOR, "{\"desc\": true, \"limit\": 1}", &last));
    CHECK(CHECK_JSON_LONG(last, "/count") == 1);
    CHECK(CHECK_JSON_LONG(last, "/limit") == 1);
    CHECK(CHECK_JSON_LONG(last, "/total") == before + 3);
    CHECK_JSON_IS(last, "/desc", "true");
    CHECK_JSON_IS(last, "/items/0/id", final_id);
    CHECK_JSON_IS(last, "/items/0/status", "FAILED");
    CHECK_JSON_ABSENT(last, "/items/1");
    apify_string_free(last);
    last = NULL;
    /* Oldest first, from an offset past the end: an empty page with the same total. */
    CHECK_OK(apify_actor_list_runs(c, GENERATOR, "{\"offset\": 1000}", &last));
    CHECK(CHECK_JSON_LONG(last, "/count") == 0);
    CHECK(CHECK_JSON_LONG(last, "/offset") == 1000);
    CHECK(CHECK_JSON_LONG(last, "/total") == before + 3);
    CHECK_JSON_IS(last, "/items", "[]");
    apify_string_free(last);
    apify_string_free(run);
    watch_free(&w);

    /* A run that succeeds is not rerun. */
    run = NULL;
    before = total_runs(c, GENERATOR, NULL);
    CHECK_OK(apify_actor_call_with(c, GENERATOR, "{\"count\": 1}", "{\"rerunsOnFailure\": 2}", NULL, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK(total_runs(c, GENERATOR, NULL) == before + 1);
    CHECK(total_runs(c, GENERATOR, "{\"status\": \"SUCCEEDED\"}") >= 1);
    apify_string_free(run);
}

static void check_hello_last_run(const apify_client *c) {
    char *run = NULL, *last = NULL, *s;
    char id[ID_LEN];
    CHECK_OK(apify_actor_call_with(c, HELLO, "{\"message\": \"hi\"}", NULL, NULL, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_GET(run, "/id", id);
    CHECK_OK(apify_actor_last_run(c, HELLO, NULL, &last));
    CHECK_JSON_IS(last, "/id", id);
    CHECK_JSON_GET(last, "/defaultDatasetId", id); /* a run object, with its storages */
    apify_string_free(last);
    last = NULL;
    CHECK_OK(apify_actor_last_run(c, HELLO, "{\"status\": \"SUCCEEDED\"}", &last));
    apify_string_free(last);
    CHECK_FAILS_SAYING(NF, "FAILED", s, apify_actor_last_run(c, HELLO, "{\"status\": \"FAILED\"}", &s));
    CHECK(total_runs(c, HELLO, NULL) == 1);
    CHECK(total_runs(c, HELLO, "{\"status\": \"FAILED\"}") == 0);
    apify_string_free(run);
}

/* ------------------------------------------------------------------ tasks */

static void check_task_call_with(const apify_client *c) {
    struct watch w;
    apify_callbacks cb;
    char *task = NULL, *run = NULL, *page = NULL;
    char task_id[ID_LEN], ids[MAX_POLLS][ID_LEN];
    CHECK_OK(apify_request(c, "POST", "/v2/actor-tasks", NULL,
                           "{\"actId\": \"" GENERATOR "\", \"name\": \"gen\", "
                           "\"input\": {\"count\": 3, \"logLines\": 1}}",
                           &task));
    CHECK_JSON_GET(task, "/data/id", task_id);
    CHECK_JSON_IS(task, "/data/name", "gen");
    apify_string_free(task);

    /* The task's input, overridden key by key; progress and log as for an Actor. */
    watch_init(&w);
    cb = callbacks_for(&w, 1, 1);
    CHECK_OK(apify_task_call_with(c, TASK, "{\"statusMessage\": \"from C\"}",
                                  "{\"rerunsOnFailure\": 1, \"pollIntervalSecs\": 0.1}", &cb, &run));
    check_progress(&w, run, 1, "SUCCEEDED", ids);
    check_log_is(c, &w, ids, 1);
    CHECK_JSON_IS(run, "/actorTaskId", task_id);
    CHECK_JSON_IS(run, "/statusMessage", "from C");
    CHECK(strstr(w.log.data, "dataset holds 3 items") != NULL);
    CHECK(strstr(w.log.data, "log line 1") == NULL); /* logLines 1 from the task */
    apify_string_free(run);
    run = NULL;
    watch_free(&w);

    /* FAILED with one rerun: two runs, the last returned, OK. */
    watch_init(&w);
    cb = callbacks_for(&w, 1, 0);
    CHECK_OK(apify_task_call_with(c, TASK, "{\"outcome\": \"FAILED\"}", "{\"rerunsOnFailure\": 1}", &cb, &run));
    check_progress(&w, run, 2, "FAILED", ids);
    CHECK(w.log_calls == 0);
    CHECK_JSON_IS(run, "/actorTaskId", task_id);
    CHECK_OK(apify_request(c, "GET", "/v2/actor-tasks/" TASK "/runs", NULL, NULL, &page));
    CHECK(CHECK_JSON_LONG(page, "/data/total") == 3);
    CHECK_JSON_IS(page, "/data/items/2/id", ids[1]);
    apify_string_free(page);
    apify_string_free(run);
    run = NULL;
    watch_free(&w);

    /* NULL callbacks and options; a version 0 struct is refused even for a task. */
    CHECK_OK(apify_task_call_with(c, TASK, NULL, NULL, NULL, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    apify_string_free(run);
}

/* ------------------------------------------------------------------ resurrect */

static void check_resurrect(const apify_client *c) {
    char *run = NULL, *again = NULL, *ds = NULL, *log = NULL, *s;
    char id[ID_LEN], dataset_id[ID_LEN], status[16];
    CHECK_OK(apify_actor_call(c, GENERATOR, "{\"count\": 3}", NULL, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_GET(run, "/id", id);
    CHECK_JSON_GET(run, "/defaultDatasetId", dataset_id);
    CHECK(CHECK_JSON_LONG(run, "/stats/resurrectCount") == 0);
    /* The same run, again, with the same storages. */
    CHECK_OK(apify_run_resurrect(c, id, &again));
    CHECK_JSON_IS(again, "/id", id);
    CHECK_JSON_IS(again, "/defaultDatasetId", dataset_id);
    CHECK_JSON_GET(again, "/status", status);
    CHECK(rank(status) >= 0);
    apify_string_free(again);
    again = NULL;
    CHECK_OK(apify_run_wait_with(c, id, 30, NULL, &again));
    CHECK_JSON_IS(again, "/status", "SUCCEEDED");
    CHECK(CHECK_JSON_LONG(again, "/stats/resurrectCount") == 1);
    CHECK_OK(apify_dataset_get(c, dataset_id, &ds));
    CHECK(CHECK_JSON_LONG(ds, "/itemCount") == 6); /* 3 items a run, in the same dataset */
    CHECK_OK(apify_run_get_log(c, id, &log));
    CHECK(strstr(log, "Resurrecting run.") != NULL);
    CHECK(strstr(log, "dataset holds 6 items; done.") != NULL);
    apify_string_free(log);
    apify_string_free(ds);
    apify_string_free(again);
    apify_string_free(run);
    run = NULL;

    /* A run that has not finished cannot be resurrected: the API's 400. */
    CHECK_OK(apify_actor_start(c, GENERATOR, "{\"count\": 1, \"durationSecs\": 30}", NULL, &run));
    CHECK_JSON_GET(run, "/id", id);
    CHECK_FAILS(APIFY_STATUS_API_ERROR, s, apify_run_resurrect(c, id, &s));
    CHECK_ERROR_JSON_HAS("\"httpStatus\":400");
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-request\""); /* it is READY or RUNNING */
    apify_string_free(run);
    run = NULL;
    /* Aborted instead: the wait answers OK with ABORTED. */
    CHECK_OK(apify_run_abort(c, id, 0, &run));
    apify_string_free(run);
    run = NULL;
    CHECK_OK(apify_run_wait_with(c, id, 10, NULL, &run));
    CHECK_JSON_IS(run, "/status", "ABORTED");
    apify_string_free(run);
}

int main(void) {
    apify_client *client = check_client_from_env();
    check_json_get();
    check_refusals(client);
    check_unknown_ids(client);
    check_reruns_on_failure(client);
    check_hello_last_run(client);
    check_call_with_progress_and_log(client);
    check_cancel_then_follow_log(client);
    check_log_stop_does_not_stop_the_wait(client);
    check_wait_secs_and_wait_with(client);
    check_task_call_with(client);
    check_resurrect(client);
    apify_client_free(client);
    return check_done();
}
