/*
 * The library's log from C (apify_set_log_handler, APIFY_LOG):
 *   - a handler collects every message: with three 503 answers to a dataset's items injected,
 *     the read succeeds and exactly three lines at APIFY_LOG_WARN name the items path and say
 *     "retrying", every call on the calling thread with a level in range and the userdata given;
 *     no line contains the token;
 *   - after apify_set_log_handler(NULL, NULL) nothing more reaches it;
 *   - a handler may call the library: one that removes itself on its first call gets that call
 *     only, and its removal answers OK (no deadlock);
 *   - APIFY_LOG without a handler: this program run again ("--child DATASET_ID") with
 *     APIFY_LOG=Warn prints the three retries to stderr, one line each, "apify WARN: GET
 *     /v2/datasets/ID/items: ... retrying ...", and nothing else; with APIFY_LOG=error or an
 *     unknown value it prints nothing.
 * Faults are injected with the emulator's /_emulator/faults API through apify_request.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define FAULTS 3
#define CLIENT_OPTIONS "{\"minDelayBetweenRetriesMillis\": 10}"
#define FAULT_JSON                                                                           \
    "{\"method\": \"GET\", \"path\": \"/v2/datasets/*/items\", \"times\": 3,"               \
    " \"action\": {\"kind\": \"status\", \"status\": 503}}"
#define ID_LEN 64

/* ------------------------------------------------------------------ what the handler saw */

struct line {
    int level;
    char *text;
};

struct collected {
    pthread_t caller;   /* the thread that uses the library */
    struct line *lines; /* every message, in order */
    size_t n, cap;
    int foreign_thread; /* a call came on another thread */
    int bad_call;       /* a level out of range, a NULL message, or memory ran out */
};

static void on_log(int level, const char *message, void *userdata) {
    struct collected *c = (struct collected *)userdata;
    size_t len;
    char *copy;
    if (!pthread_equal(pthread_self(), c->caller)) c->foreign_thread = 1;
    if (message == NULL || level < APIFY_LOG_ERROR || level > APIFY_LOG_TRACE) {
        c->bad_call = 1;
        return;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        struct line *p = realloc(c->lines, cap * sizeof *p);
        if (p == NULL) {
            c->bad_call = 1;
            return;
        }
        c->lines = p;
        c->cap = cap;
    }
    len = strlen(message);
    copy = malloc(len + 1);
    if (copy == NULL) {
        c->bad_call = 1;
        return;
    }
    memcpy(copy, message, len + 1);
    c->lines[c->n].level = level;
    c->lines[c->n].text = copy;
    c->n++;
}

static void collected_free(struct collected *c) {
    size_t i;
    for (i = 0; i < c->n; i++) free(c->lines[i].text);
    free(c->lines);
    c->lines = NULL;
    c->n = c->cap = 0;
}

/* Lines at APIFY_LOG_WARN that name `path` and say "retrying". */
static int count_retries(const struct collected *c, const char *path) {
    size_t i;
    int n = 0;
    for (i = 0; i < c->n; i++)
        if (c->lines[i].level == APIFY_LOG_WARN && strstr(c->lines[i].text, path) != NULL &&
            strstr(c->lines[i].text, "retrying") != NULL)
            n++;
    return n;
}

static void print_lines(const struct collected *c) {
    size_t i;
    for (i = 0; i < c->n; i++) fprintf(stderr, "  [%d] %s\n", c->lines[i].level, c->lines[i].text);
}

/* A handler that removes itself on its first call. */
struct self_removing {
    int calls;
    apify_status removal;
};

static void remove_self(int level, const char *message, void *userdata) {
    struct self_removing *r = (struct self_removing *)userdata;
    (void)level;
    (void)message;
    r->calls++;
    r->removal = apify_set_log_handler(NULL, NULL);
}

/* ------------------------------------------------------------------ the emulator */

/* Every fault was used up: the read really met them. */
static void check_faults_used(const apify_client *c) {
    char *out = NULL;
    CHECK_OK(apify_request(c, "GET", "/_emulator/faults", NULL, NULL, &out));
    CHECK(out != NULL && strstr(out, "\"data\":[]") != NULL);
    apify_string_free(out);
}

/* Reads the dataset's one item, {"n": 1}. */
static void read_items(const apify_client *c, const char *id) {
    char *page = NULL;
    CHECK_OK(apify_dataset_list_items(c, id, NULL, &page));
    CHECK(CHECK_JSON_LONG(page, "/count") == 1);
    CHECK(CHECK_JSON_LONG(page, "/items/0/n") == 1);
    apify_string_free(page);
}

/* ------------------------------------------------------------------ APIFY_LOG, in a child */

/* The child: a read of the dataset's items through three 503s, with no handler. */
static int child_main(const char *id) {
    apify_client *c = NULL;
    char *out = NULL;
    apify_status st = apify_client_new(CLIENT_OPTIONS, &c);
    if (st == APIFY_STATUS_OK)
        st = apify_request(c, "POST", "/_emulator/faults", NULL, FAULT_JSON, &out);
    apify_string_free(out);
    out = NULL;
    if (st == APIFY_STATUS_OK) st = apify_dataset_list_items(c, id, NULL, &out);
    apify_string_free(out);
    apify_client_free(c);
    return st == APIFY_STATUS_OK ? 0 : 3;
}

/* Runs the child with APIFY_LOG=level; its stderr into `err`. */
static void run_child(const char *self, const char *level, const char *id, struct check_buf *err) {
    int pipefd[2], status = 0;
    char chunk[512];
    ssize_t n;
    pid_t pid;
    CHECK(pipe(pipefd) == 0);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *args[4];
        args[0] = (char *)self;
        args[1] = (char *)"--child";
        args[2] = (char *)id;
        args[3] = NULL;
        if (setenv("APIFY_LOG", level, 1) != 0) _exit(126);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(self, args);
        _exit(127);
    }
    close(pipefd[1]);
    while ((n = read(pipefd[0], chunk, sizeof chunk)) > 0) CHECK(check_buf_add(err, chunk, (size_t)n));
    close(pipefd[0]);
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "the child with APIFY_LOG=%s failed (wait status %d); its stderr:\n%s\n",
                level, status, err->data ? err->data : "");
        exit(1);
    }
    check_passed++;
}

/* APIFY_LOG=Warn: exactly the three retries, one line each; error or unknown: nothing. */
static void check_apify_log(const char *self, const char *id, const char *token) {
    static const char *const quiet[] = {"error", "loud"};
    char prefix[128];
    struct check_buf err = {NULL, 0, 0};
    const char *p;
    size_t i;
    int lines = 0;
    snprintf(prefix, sizeof prefix, "apify WARN: GET /v2/datasets/%s/items: ", id);
    run_child(self, "Warn", id, &err);
    for (p = err.data; p != NULL && *p != '\0'; lines++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[1024];
        if (end == NULL || len >= sizeof line) {
            fprintf(stderr, "unexpected stderr of the child with APIFY_LOG=Warn:\n%s\n", err.data);
            exit(1);
        }
        memcpy(line, p, len);
        line[len] = '\0';
        if (strncmp(line, prefix, strlen(prefix)) != 0 || strstr(line, "retrying") == NULL ||
            strstr(line, token) != NULL) {
            fprintf(stderr, "unexpected line on the child's stderr: %s\n", line);
            exit(1);
        }
        check_passed++;
        p = end + 1;
    }
    CHECK(lines == FAULTS);
    check_buf_free(&err);
    for (i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        run_child(self, quiet[i], id, &err);
        if (err.len != 0) {
            fprintf(stderr, "the child with APIFY_LOG=%s wrote to stderr:\n%s\n", quiet[i],
                    err.data);
            exit(1);
        }
        check_passed++;
        check_buf_free(&err);
    }
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
    apify_client *client = NULL;
    struct collected seen;
    struct self_removing r;
    char *dataset = NULL;
    char id[ID_LEN], items_path[ID_LEN + 32];
    const char *token = getenv("APIFY_TOKEN");
    size_t i, before;

    if (argc == 3 && strcmp(argv[1], "--child") == 0) return child_main(argv[2]);
    if (token == NULL || token[0] == '\0' || getenv("APIFY_API_BASE_URL") == NULL) {
        fprintf(stderr, "APIFY_API_BASE_URL and APIFY_TOKEN must be set (an emulator's)\n");
        return 1;
    }
    CHECK(APIFY_LOG_ERROR == 1 && APIFY_LOG_WARN == 2 && APIFY_LOG_INFO == 3 &&
          APIFY_LOG_DEBUG == 4 && APIFY_LOG_TRACE == 5);

    /* The handler first: it sees everything from the start. */
    memset(&seen, 0, sizeof seen);
    seen.caller = pthread_self();
    CHECK_OK(apify_set_log_handler(on_log, &seen));
    CHECK_OK(apify_client_new(CLIENT_OPTIONS, &client));
    CHECK_OK(apify_dataset_get_or_create(client, NULL, &dataset));
    CHECK_JSON_GET(dataset, "/id", id);
    apify_string_free(dataset);
    CHECK_OK(apify_dataset_push_items(client, id, "[{\"n\": 1}]"));
    snprintf(items_path, sizeof items_path, "/v2/datasets/%s/items", id);

    /* Three 503s: the read succeeds, and the handler saw each retry at WARN. */
    check_add_fault(client, FAULT_JSON);
    read_items(client, id);
    check_faults_used(client);
    if (count_retries(&seen, items_path) != FAULTS) print_lines(&seen);
    CHECK(count_retries(&seen, items_path) == FAULTS);
    CHECK(!seen.foreign_thread);
    CHECK(!seen.bad_call);
    for (i = 0; i < seen.n; i++) CHECK(strstr(seen.lines[i].text, token) == NULL);

    /* Removed: nothing more reaches it. */
    CHECK_OK(apify_set_log_handler(NULL, NULL));
    before = seen.n;
    check_add_fault(client, FAULT_JSON);
    read_items(client, id);
    check_faults_used(client);
    CHECK(seen.n == before);

    /* A handler that calls the library: it removes itself on its first call. */
    r.calls = 0;
    r.removal = -1;
    CHECK_OK(apify_set_log_handler(remove_self, &r));
    check_add_fault(client, FAULT_JSON);
    read_items(client, id);
    check_faults_used(client);
    CHECK(r.calls == 1);
    CHECK(r.removal == APIFY_STATUS_OK);

    /* APIFY_LOG, in children of this program. */
    check_apify_log(argv[0], id, token);

    CHECK_OK(apify_dataset_delete(client, id));
    apify_client_free(client);
    collected_free(&seen);
    return check_done();
}
