/*
 * Failures say what the server may have seen, and come fast (read through the last error JSON):
 *   - a closed loopback port: TRANSPORT within 3 s, "sent": false, the message names
 *     127.0.0.1:<port> and says nothing was sent; for a start it says no run was started and
 *     does not claim one may exist;
 *   - a name that cannot resolve (no-such-host.invalid): the same, after one attempt;
 *   - TLS against the emulator's plain-HTTP port: the same, after one attempt;
 *   - a start whose answer is lost after the run was created is reconciled to that one run;
 *   - a lost start whose run list cannot be read: OUTCOME_UNKNOWN, runId null, the start's
 *     marker and where to look in the message, exactly one run on the server;
 *   - an answer the server refused: "sent": true; no message carries the token.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define ACTOR "apify/hello-world"
#define RUNS_PATH "/v2/actors/apify~hello-world/runs"

static double now_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A loopback port nothing listens on: bound, read, closed. */
static int closed_port(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    CHECK(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static apify_client *client_at(const char *base_url, const char *extra) {
    char options[512];
    apify_client *c = NULL;
    snprintf(options, sizeof options,
             "{\"baseUrl\": \"%s\", \"token\": \"c-secret-token-77\", \"proxy\": \"\"%s}", base_url,
             extra);
    CHECK_OK(apify_client_new(options, &c));
    return c;
}

/* The last error JSON's value at `pointer` as text, into buf (reading it clears the last
 * error: apify_json_get is a call like any other). */
static void last_error_at(const char *pointer, char *buf, size_t size) {
    char *json = apify_last_error_json();
    char *text = NULL;
    CHECK(json != NULL);
    CHECK_OK(apify_json_get(json, pointer, &text));
    CHECK(strlen(text) < size);
    strcpy(buf, text);
    apify_string_free(text);
    apify_string_free(json);
}

/* How much slower this run is (a sanitizer or valgrind), as the harness says. */
static double slowdown(void) {
    const char *s = getenv("APIFY_TEST_SLOWDOWN");
    double f = s != NULL ? atof(s) : 1.0;
    return f >= 1.0 ? f : 1.0;
}

/*
 * The last error says nothing was sent, names `server`, contains `needle` (if not NULL), does not
 * say a run may exist, carries no token, came within 3 s of `began`, and (with `once`) after one
 * attempt.
 */
static void check_nothing_sent(const char *server, const char *needle, int once, double began) {
    char sent[32], attempt[16];
    double took = now_secs() - began;
    char *message = apify_last_error_message();
    /* 3 s, stretched for a sanitizer or valgrind (the brief retries count attempts too). */
    CHECK(took < 3.0 * slowdown());
    CHECK(message != NULL);
    CHECK(strstr(message, server) != NULL);
    CHECK(strstr(message, "nothing was sent") != NULL);
    CHECK(needle == NULL || strstr(message, needle) != NULL);
    CHECK(strstr(message, "may have") == NULL);
    CHECK(strstr(message, "c-secret-token-77") == NULL);
    apify_string_free(message);
    {
        char *json = apify_last_error_json();
        CHECK(json != NULL);
        CHECK_JSON_GET(json, "/sent", sent);
        CHECK_JSON_GET(json, "/attempt", attempt);
        apify_string_free(json);
    }
    CHECK(strcmp(sent, "false") == 0);
    CHECK(!once || strcmp(attempt, "1") == 0);
}

static long run_count(const apify_client *c) {
    char *runs = NULL;
    long n;
    CHECK_OK(apify_request(c, "GET", RUNS_PATH, NULL, NULL, &runs));
    n = CHECK_JSON_LONG(runs, "/data/total");
    apify_string_free(runs);
    return n;
}

static void closed_port_and_bad_names(const char *emulator_url) {
    char url[256], server[128], https[256];
    char *s = SENTINEL;
    apify_client *c;
    double began;
    int port = closed_port();

    snprintf(server, sizeof server, "127.0.0.1:%d", port);
    snprintf(url, sizeof url, "http://%s", server);
    c = client_at(url, "");
    began = now_secs();
    CHECK_FAILS(APIFY_STATUS_TRANSPORT, s, apify_dataset_list_items(c, "someDataset", NULL, &s));
    check_nothing_sent(server, "refused", 0, began);
    began = now_secs();
    CHECK_FAILS(APIFY_STATUS_TRANSPORT, s, apify_actor_start(c, ACTOR, "{}", NULL, &s));
    check_nothing_sent(server, "no run was started", 0, began);
    apify_client_free(c);

    c = client_at("http://no-such-host.invalid:8765", "");
    began = now_secs();
    CHECK_FAILS(APIFY_STATUS_TRANSPORT, s, apify_run_get(c, "someRun", &s));
    check_nothing_sent("no-such-host.invalid", "could not be resolved", 1, began);
    apify_client_free(c);

    /* The emulator speaks plain HTTP: a TLS client gets no handshake. */
    CHECK(strncmp(emulator_url, "http://", 7) == 0);
    snprintf(https, sizeof https, "https://%s", emulator_url + 7);
    c = client_at(https, "");
    began = now_secs();
    CHECK_FAILS(APIFY_STATUS_TRANSPORT, s, apify_actor_start(c, ACTOR, "{}", NULL, &s));
    check_nothing_sent(emulator_url + 7, "TLS handshake", 1, began);
    apify_client_free(c);
}

static void lost_starts(const apify_client *env) {
    char *run = NULL, *s = SENTINEL;
    char marker[96];
    apify_client *c;
    long before = run_count(env);

    /* Reconciliation finds the run the lost answer created: no duplicate. */
    check_add_fault(env, "{\"method\": \"POST\", \"path\": \"" RUNS_PATH "\", "
                   "\"action\": {\"kind\": \"lostResponse\"}}");
    CHECK_OK(apify_actor_start(env, ACTOR, "{\"message\": \"lost once\"}", NULL, &run));
    CHECK(run_count(env) == before + 1);
    apify_string_free(run);

    /* The run list fails too: nothing proves where the run is, so nothing is resent. */
    CHECK_OK(apify_client_new("{\"maxRetries\": 1, \"minDelayBetweenRetriesMillis\": 10, "
                              "\"reconcileWindowSecs\": 0.3, \"proxy\": \"\"}",
                              &c));
    check_add_fault(env, "{\"method\": \"POST\", \"path\": \"" RUNS_PATH "\", "
                   "\"action\": {\"kind\": \"lostResponse\"}}");
    check_add_fault(env, "{\"method\": \"GET\", \"path\": \"" RUNS_PATH "\", \"times\": 20, "
                   "\"action\": {\"kind\": \"status\", \"status\": 500}}");
    CHECK_FAILS(APIFY_STATUS_OUTCOME_UNKNOWN, s,
                apify_actor_start(c, ACTOR, "{\"message\": \"lost twice\"}", NULL, &s));
    CHECK_ERROR_JSON_HAS("\"runId\":null");
    CHECK_ERROR_JSON_HAS("\"sent\":\"unknown\"");
    CHECK_ERROR_MESSAGE_HAS("a run may have started");
    CHECK_ERROR_MESSAGE_HAS("run list");
    last_error_at("/startMarker", marker, sizeof marker);
    CHECK(strncmp(marker, "libapify-start/", 15) == 0);
    check_clear_faults(env);
    /* Exactly one more run, and it is the one carrying the marker. */
    CHECK(run_count(env) == before + 2);
    {
        char *last = NULL, ua[512];
        CHECK_OK(apify_actor_last_run(env, ACTOR, NULL, &last));
        CHECK_JSON_GET(last, "/meta/userAgent", ua);
        CHECK(strstr(ua, marker) != NULL);
        apify_string_free(last);
    }
    apify_client_free(c);
}

static void refused_answers_are_sent_true(const apify_client *env) {
    char sent[32];
    char *s = SENTINEL;
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, s, apify_dataset_list_items(env, "noSuchDataset", NULL, &s));
    last_error_at("/sent", sent, sizeof sent);
    CHECK(strcmp(sent, "true") == 0);
}

int main(void) {
    apify_client *env = check_client_from_env();
    closed_port_and_bad_names(getenv("APIFY_API_BASE_URL"));
    lost_starts(env);
    refused_answers_are_sent_true(env);
    apify_client_free(env);
    return check_done();
}
