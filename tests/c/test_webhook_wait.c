/*
 * Waiting for a run by webhook from C ("waitStrategy": "webhook"), against the emulator:
 *   - a 3-second run comes back SUCCEEDED with at most two GETs of the run in the journal;
 *   - with webhookPublicUrl on a closed port (the webhook never arrives) and
 *     webhookFallbackSecs 2, the finished run still comes back;
 *   - a delivery repeated by a forwarder (a stand-in for a tunnel) ends the wait once;
 *   - 8 threads on one client (one receiver) each get their own run;
 *   - wrong webhook options are INVALID_ARGUMENT; apify_webhook_parse reads a payload and
 *     refuses what is not one.
 * Threads do not use CHECK (its counter is not atomic): they store what happened.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define GENERATOR "emulator/generator"

static double now_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A listening loopback socket on a free port (its port in *port). */
static int listen_any(int *port) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(fd, 8) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

/* A port nothing listens on. */
static int free_port(void) {
    int port, fd = listen_any(&port);
    close(fd);
    return port;
}

/* The number of GETs of run `id` in the emulator's journal. */
static int run_gets(const apify_client *c, const char *id) {
    char query[256], *journal = NULL;
    const char *p;
    int n = 0;
    snprintf(query, sizeof query, "{\"method\": \"GET\", \"path\": \"/v2/actor-runs/%s\"}", id);
    CHECK_OK(apify_request(c, "GET", "/_emulator/requests", query, NULL, &journal));
    for (p = journal; (p = strstr(p, "\"method\":")) != NULL; p++) n++;
    apify_string_free(journal);
    return n;
}

static void call_by_webhook(apify_client *c) {
    char *run = NULL, id[64];
    double began = now_secs();
    CHECK_OK(apify_actor_call(c, GENERATOR, "{\"count\": 5, \"durationSecs\": 3}",
                              "{\"waitStrategy\": \"webhook\"}", &run));
    CHECK(now_secs() - began >= 2.9);
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_GET(run, "/id", id);
    CHECK(run_gets(c, id) >= 1 && run_gets(c, id) <= 2);
    apify_string_free(run);
}

static void fallback_when_no_webhook_comes(apify_client *c) {
    char options[256], *run = NULL;
    snprintf(options, sizeof options,
             "{\"waitStrategy\": \"webhook\", \"webhookPublicUrl\": \"http://127.0.0.1:%d\", "
             "\"webhookFallbackSecs\": 2}",
             free_port());
    CHECK_OK(apify_actor_call(c, GENERATOR, "{\"count\": 2, \"durationSecs\": 3}", options, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    apify_string_free(run);
}

/* ------------------------------------------------------------------ a duplicating forwarder */

struct forwarder {
    int listen_fd;
    int target_port;
    int forwarded; /* deliveries sent on, each twice */
    int answers_ok;
};

/* Reads one request (head and Content-Length body) into buf; its length, or -1. */
static long read_request(int fd, char *buf, size_t size) {
    size_t have = 0;
    for (;;) {
        char *end;
        ssize_t n = read(fd, buf + have, size - 1 - have);
        if (n <= 0) return -1;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            const char *cl = strstr(buf, "Content-Length:");
            size_t body = 0, head = (size_t)(end - buf) + 4;
            if (cl == NULL) cl = strstr(buf, "content-length:");
            if (cl != NULL) body = (size_t)strtoul(cl + 15, NULL, 10);
            if (have >= head + body) return (long)have;
        }
        if (have + 1 >= size) return -1;
    }
}

static void *forward_main(void *arg) {
    struct forwarder *f = arg;
    static char request[1 << 20];
    int conn = accept(f->listen_fd, NULL, NULL);
    long len;
    int i;
    if (conn < 0) return NULL;
    len = read_request(conn, request, sizeof request);
    for (i = 0; len > 0 && i < 2; i++) {
        struct sockaddr_in addr;
        char answer[64] = {0};
        int out = socket(AF_INET, SOCK_STREAM, 0);
        memset(&addr, 0, sizeof addr);
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons((uint16_t)f->target_port);
        if (connect(out, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            write(out, request, (size_t)len) == len && read(out, answer, sizeof answer - 1) > 0 &&
            strncmp(answer, "HTTP/1.1 200", 12) == 0)
            f->answers_ok++;
        close(out);
    }
    f->forwarded = len > 0;
    {
        const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        if (write(conn, ok, sizeof ok - 1) < 0) f->forwarded = 0;
    }
    close(conn);
    return NULL;
}

static void repeated_delivery_ends_the_wait_once(apify_client *c) {
    struct forwarder f;
    pthread_t t;
    int public_port;
    char options[512], *run = NULL, id[64];
    memset(&f, 0, sizeof f);
    f.listen_fd = listen_any(&public_port);
    f.target_port = free_port();
    CHECK(pthread_create(&t, NULL, forward_main, &f) == 0);
    snprintf(options, sizeof options,
             "{\"waitStrategy\": \"webhook\", \"webhookListen\": \"127.0.0.1:%d\", "
             "\"webhookPublicUrl\": \"http://127.0.0.1:%d\"}",
             f.target_port, public_port);
    CHECK_OK(apify_actor_call(c, GENERATOR, "{\"count\": 2, \"durationSecs\": 1}", options, &run));
    CHECK(pthread_join(t, NULL) == 0);
    close(f.listen_fd);
    CHECK(f.forwarded == 1);
    CHECK(f.answers_ok == 2); /* both copies were taken (200), and counted once */
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_GET(run, "/id", id);
    CHECK(run_gets(c, id) <= 2);
    apify_string_free(run);
}

/* ------------------------------------------------------------------ 8 threads, one receiver */

struct waiter {
    apify_client *client;
    int index;
    apify_status status;
    char id[64];
    char marker[32];
};

static void *wait_main(void *arg) {
    struct waiter *w = arg;
    char input[128], *run = NULL, *id = NULL;
    snprintf(input, sizeof input, "{\"count\": 1, \"durationSecs\": 1, \"output\": {\"i\": %d}}",
             w->index);
    w->status = apify_actor_call(w->client, GENERATOR, input, "{\"waitStrategy\": \"webhook\"}", &run);
    if (w->status == APIFY_STATUS_OK && apify_json_get(run, "/id", &id) == APIFY_STATUS_OK) {
        snprintf(w->id, sizeof w->id, "%s", id);
        apify_string_free(id);
    }
    apify_string_free(run);
    return NULL;
}

static void eight_threads_one_receiver(apify_client *c) {
    struct waiter w[8];
    pthread_t t[8];
    int i, j;
    for (i = 0; i < 8; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].client = c;
        w[i].index = i;
        CHECK(pthread_create(&t[i], NULL, wait_main, &w[i]) == 0);
    }
    for (i = 0; i < 8; i++) CHECK(pthread_join(t[i], NULL) == 0);
    for (i = 0; i < 8; i++) {
        apify_record *output = NULL;
        char want[32];
        CHECK(w[i].status == APIFY_STATUS_OK);
        for (j = 0; j < i; j++) CHECK(strcmp(w[i].id, w[j].id) != 0);
        /* Each thread's run is the one it started: its OUTPUT carries the thread's index. */
        {
            char path[128];
            snprintf(path, sizeof path, "/v2/actor-runs/%s/key-value-store/records/OUTPUT", w[i].id);
            CHECK_OK(apify_request_bytes(c, "GET", path, NULL, NULL, 0, NULL, &output));
        }
        snprintf(want, sizeof want, "{\"i\":%d}", i);
        CHECK(apify_record_len(output) == strlen(want));
        CHECK(memcmp(apify_record_data(output), want, strlen(want)) == 0);
        apify_record_free(output);
    }
}

/* ------------------------------------------------------------------ options and parsing */

static void options_and_parsing(apify_client *c) {
    char *s = SENTINEL, *event = NULL;
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, s,
                apify_actor_call(c, GENERATOR, NULL, "{\"waitStrategy\": \"carrier-pigeon\"}", &s));
    CHECK_ERROR_MESSAGE_HAS("waitStrategy");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, s,
                apify_actor_call(c, GENERATOR, NULL, "{\"webhookFallbackSecs\": 2}", &s));
    CHECK_ERROR_MESSAGE_HAS("webhookFallbackSecs");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, s,
                apify_actor_call(c, GENERATOR, NULL,
                                 "{\"waitStrategy\": \"webhook\", \"webhookPublicUrl\": \"ftp://x\"}", &s));
    CHECK_ERROR_MESSAGE_HAS("webhookPublicUrl");

    CHECK_OK(apify_webhook_parse(
        "{\"userId\": \"u\", \"createdAt\": \"2026-12-07T10:00:00.000Z\", \"eventType\": "
        "\"ACTOR.RUN.FAILED\", \"eventData\": {\"actorId\": \"a1\", \"actorRunId\": \"r1\"}, "
        "\"resource\": {\"id\": \"r1\", \"actId\": \"a1\", \"status\": \"FAILED\"}}",
        &event));
    CHECK_JSON_IS(event, "/eventType", "ACTOR.RUN.FAILED");
    CHECK_JSON_IS(event, "/runId", "r1");
    CHECK_JSON_IS(event, "/actorId", "a1");
    CHECK_JSON_IS(event, "/status", "FAILED");
    CHECK_JSON_IS(event, "/createdAt", "2026-12-07T10:00:00.000Z");
    apify_string_free(event);
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, s, apify_webhook_parse("{\"hello\": 1}", &s));
    CHECK_ERROR_MESSAGE_HAS("not an Apify webhook payload");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, s, apify_webhook_parse("<html>", &s));
}

int main(void) {
    apify_client *c = check_client_from_env();
    options_and_parsing(c);
    call_by_webhook(c);
    fallback_when_no_webhook_comes(c);
    repeated_delivery_ends_the_wait_once(c);
    eight_threads_one_receiver(c);
    apify_client_free(c);
    return check_done();
}
