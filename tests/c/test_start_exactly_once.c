/*
 * A run start happens exactly once and never takes another start's run, across threads, clients
 * and processes, counted by the runs the emulator holds (faults injected through
 * /_emulator/faults with apify_request):
 *   (a) a second process (this program, re-executed with "--child") repeats the first process's
 *       8 identical starts while each is answered with a connection reset before the emulator
 *       handles it: it creates 8 runs of its own and returns none of the first process's ids;
 *   (b) 4 concurrent starts with timeoutSecs 1 against a 3 s server-side delay leave exactly 4
 *       runs, each returned to exactly one caller;
 *   (c) 16 clients, one thread each, the same input, 12 lost answers: 16 runs, 16 distinct ids,
 *       each caller's run carries its own User-Agent suffix (its own request created it);
 *   (e) a synchronous run whose answer is lost is not resent: OUTCOME_UNKNOWN, and the error
 *       names the run by its start marker;
 *   (d) a server that does not record the marker (PUT /_emulator/settings) turns an ambiguous
 *       start into OUTCOME_UNKNOWN and creates no second run, for a fresh client and for one
 *       that has learned it from a normal start.
 * Threads do not use CHECK (its counter is not atomic): they store what happened, and the main
 * thread checks it.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define ACTOR "apify/hello-world"
#define RUNS_PATH "/v2/actors/apify~hello-world/runs"
#define INPUT "{\"message\": \"the same input\"}"
#define MARKER "libapify-start/"
#define ID_LEN 64

/* ------------------------------------------------------------------ tiny JSON scanning */

/* Copies the string value of the first "key":"..." in json into out; 0 if absent. */
static int json_text(const char *json, const char *key, char *out, size_t n) {
    char pattern[64];
    const char *p, *end;
    size_t len;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    p = json ? strstr(json, pattern) : NULL;
    if (p == NULL) return 0;
    p += strlen(pattern);
    end = strchr(p, '"');
    if (end == NULL) return 0;
    len = (size_t)(end - p);
    if (len >= n) len = n - 1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 1;
}

/* Copies at most ID_LEN - 1 bytes of src (an id) into dst. */
static void copy_id(char *dst, const char *src) {
    size_t len = strlen(src);
    if (len >= ID_LEN) len = ID_LEN - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static long json_number(const char *json, const char *key) {
    char pattern[64];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = json ? strstr(json, pattern) : NULL;
    return p ? strtol(p + strlen(pattern), NULL, 10) : -1;
}

/* ------------------------------------------------------------------ emulator helpers */

static apify_client *client_with(const char *options_json) {
    apify_client *c = NULL;
    CHECK_OK(apify_client_new(options_json, &c));
    CHECK(c != NULL);
    return c;
}

static void support_call(const apify_client *c, const char *method, const char *path,
                         const char *body) {
    char *out = NULL;
    CHECK_OK(apify_request(c, method, path, NULL, body, &out));
    apify_string_free(out);
}

static void add_fault(const apify_client *c, const char *path, const char *action, int times) {
    char body[512];
    snprintf(body, sizeof body,
             "{\"method\": \"POST\", \"path\": \"%s\", \"times\": %d, \"action\": %s}", path,
             times, action);
    support_call(c, "POST", "/_emulator/faults", body);
}

/* Every fault was used up: the starts really met them. */
static void check_faults_used(const apify_client *c) {
    char *out = NULL;
    CHECK_OK(apify_request(c, "GET", "/_emulator/faults", NULL, NULL, &out));
    CHECK(out != NULL && strstr(out, "\"data\":[]") != NULL);
    apify_string_free(out);
}

/* The emulator's journal shows exactly n start requests answered by a reset. */
static void check_resets(const apify_client *c, int n) {
    char *out = NULL;
    const char *p;
    int resets = 0;
    CHECK_OK(apify_request(c, "GET", "/_emulator/requests", "{\"method\": \"POST\"}", NULL, &out));
    for (p = out; (p = strstr(p, "\"fault\":\"reset\"")) != NULL; p++) resets++;
    apify_string_free(out);
    CHECK(resets == n);
}

/* How many runs of the Actor the emulator holds. */
static long count_runs(const apify_client *c) {
    char *out = NULL;
    long total;
    CHECK_OK(apify_request(c, "GET", RUNS_PATH, "{\"limit\": 1}", NULL, &out));
    total = json_number(out, "total");
    apify_string_free(out);
    CHECK(total >= 0);
    return total;
}

/* True if the emulator holds a run with this id. */
static int emulator_has_run(const apify_client *c, const char *id) {
    char path[32 + ID_LEN];
    char *out = NULL;
    apify_status st;
    strcpy(path, "/v2/actor-runs/");
    strncat(path, id, ID_LEN - 1);
    st = apify_request(c, "GET", path, NULL, NULL, &out);
    apify_string_free(out);
    return st == APIFY_STATUS_OK;
}

static int distinct(char ids[][ID_LEN], int n) {
    int i, j;
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (strcmp(ids[i], ids[j]) == 0) return 0;
    return 1;
}

/* ------------------------------------------------------------------ (a) another process */

#define PROCESS_STARTS 8

/* The child: 8 identical starts with a fresh client, the first attempt of each answered with a
 * reset before the emulator handles it; prints "run ID" per start. */
static int child_main(void) {
    apify_client *c = NULL;
    int i;
    if (apify_client_new("{\"reconcileWindowSecs\": 0.3, \"minDelayBetweenRetriesMillis\": 20}",
                         &c) != APIFY_STATUS_OK)
        return 3;
    for (i = 0; i < PROCESS_STARTS; i++) {
        char *run = NULL;
        char id[ID_LEN];
        apify_status st = apify_request(
            c, "POST", "/_emulator/faults", NULL,
            "{\"method\": \"POST\", \"path\": \"/v2/actors/*/runs\", \"action\": {\"kind\": \"reset\"}}",
            &run);
        apify_string_free(run);
        run = NULL;
        if (st == APIFY_STATUS_OK) st = apify_actor_start(c, ACTOR, INPUT, NULL, &run);
        if (st != APIFY_STATUS_OK || !json_text(run, "id", id, sizeof id)) {
            check_print_last_error();
            apify_string_free(run);
            apify_client_free(c);
            return 4;
        }
        printf("run %s\n", id);
        apify_string_free(run);
    }
    apify_client_free(c);
    fflush(stdout);
    return 0;
}

static void check_second_process(const char *self) {
    apify_client *c = client_with(NULL);
    char first[PROCESS_STARTS][ID_LEN], second[PROCESS_STARTS][ID_LEN];
    char line[256];
    int pipefd[2], i, j, got = 0, status = 0;
    long before;
    pid_t pid;
    FILE *from_child;
    before = count_runs(c);
    for (i = 0; i < PROCESS_STARTS; i++) {
        char *run = NULL;
        CHECK_OK(apify_actor_start(c, ACTOR, INPUT, NULL, &run));
        CHECK(json_text(run, "id", first[i], ID_LEN));
        apify_string_free(run);
    }
    CHECK(count_runs(c) == before + PROCESS_STARTS);
    CHECK(pipe(pipefd) == 0);
    fflush(stdout);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *args[3];
        args[0] = (char *)self;
        args[1] = (char *)"--child";
        args[2] = NULL;
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(self, args);
        _exit(127);
    }
    close(pipefd[1]);
    from_child = fdopen(pipefd[0], "r");
    CHECK(from_child != NULL);
    while (fgets(line, sizeof line, from_child) != NULL) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (strncmp(line, "run ", 4) == 0 && got < PROCESS_STARTS) {
            copy_id(second[got], line + 4);
            got++;
        }
    }
    fclose(from_child);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(got == PROCESS_STARTS);
    check_faults_used(c);
    check_resets(c, PROCESS_STARTS);
    /* Its own 8 runs: created, distinct, and none of them the first process's. */
    CHECK(count_runs(c) == before + 2 * PROCESS_STARTS);
    CHECK(distinct(second, PROCESS_STARTS));
    for (i = 0; i < PROCESS_STARTS; i++) {
        CHECK(emulator_has_run(c, second[i]));
        for (j = 0; j < PROCESS_STARTS; j++) CHECK(strcmp(second[i], first[j]) != 0);
    }
    apify_client_free(c);
}

/* ------------------------------------------------------------------ threads */

struct start_job {
    apify_client *client;
    int own_client;     /* 1: this thread's client, made with userAgentSuffix caller-<index> */
    int index;
    apify_status status;
    char id[ID_LEN];
    char user_agent[512];
};

static void *start_thread(void *arg) {
    struct start_job *job = arg;
    char *run = NULL;
    apify_client *c = job->client;
    if (job->own_client) {
        char options[128];
        snprintf(options, sizeof options,
                 "{\"userAgentSuffix\": \"caller-%d\", \"minDelayBetweenRetriesMillis\": 20}",
                 job->index);
        job->status = apify_client_new(options, &c);
        if (job->status != APIFY_STATUS_OK) return NULL;
    }
    job->status = apify_actor_start(c, ACTOR, INPUT, NULL, &run);
    if (job->status == APIFY_STATUS_OK) {
        json_text(run, "id", job->id, sizeof job->id);
        json_text(run, "userAgent", job->user_agent, sizeof job->user_agent);
    }
    apify_string_free(run);
    if (job->own_client) apify_client_free(c);
    return NULL;
}

static void run_jobs(struct start_job *jobs, int n) {
    pthread_t threads[16];
    int i;
    CHECK(n <= 16);
    for (i = 0; i < n; i++) CHECK(pthread_create(&threads[i], NULL, start_thread, &jobs[i]) == 0);
    for (i = 0; i < n; i++) CHECK(pthread_join(threads[i], NULL) == 0);
}

/* (b) 4 concurrent starts on one client whose requests time out after 1 s; the emulator takes
 * 3 s to accept each of them. */
static void check_slow_server(void) {
    apify_client *c = client_with("{\"timeoutSecs\": 1, \"minDelayBetweenRetriesMillis\": 20}");
    struct start_job jobs[4];
    char ids[4][ID_LEN];
    long before = count_runs(c);
    int i;
    memset(jobs, 0, sizeof jobs);
    add_fault(c, "/v2/actors/*/runs", "{\"kind\": \"delay\", \"ms\": 3000}", 4);
    for (i = 0; i < 4; i++) {
        jobs[i].client = c;
        jobs[i].index = i;
    }
    run_jobs(jobs, 4);
    for (i = 0; i < 4; i++) {
        CHECK(jobs[i].status == APIFY_STATUS_OK);
        CHECK(strstr(jobs[i].user_agent, MARKER) != NULL);
        copy_id(ids[i], jobs[i].id);
    }
    check_faults_used(c);
    CHECK(distinct(ids, 4));
    CHECK(count_runs(c) == before + 4);
    apify_client_free(c);
}

/* (c) 16 clients in one process, the same input; 12 of the 16 answers are lost after the run
 * was created. */
static void check_lost_answers(void) {
    apify_client *c = client_with(NULL);
    struct start_job jobs[16];
    char ids[16][ID_LEN];
    long before = count_runs(c);
    int i;
    memset(jobs, 0, sizeof jobs);
    add_fault(c, "/v2/actors/*/runs", "{\"kind\": \"lostResponse\"}", 12);
    for (i = 0; i < 16; i++) {
        jobs[i].own_client = 1;
        jobs[i].index = i;
    }
    run_jobs(jobs, 16);
    for (i = 0; i < 16; i++) {
        char own[64];
        const char *marker;
        CHECK(jobs[i].status == APIFY_STATUS_OK);
        /* The run's recorded User-Agent is this caller's: its suffix, then its start marker. */
        snprintf(own, sizeof own, " caller-%d " MARKER, i);
        marker = strstr(jobs[i].user_agent, own);
        CHECK(marker != NULL);
        CHECK(strlen(marker) == strlen(own) + 32);
        copy_id(ids[i], jobs[i].id);
    }
    check_faults_used(c);
    CHECK(distinct(ids, 16));
    CHECK(count_runs(c) == before + 16);
    apify_client_free(c);
}

/* ------------------------------------------------------------------ (e) sync, (d) no marker */

static void check_lost_sync_run(void) {
    apify_client *c = client_with(NULL);
    apify_record *record = NULL;
    long before = count_runs(c);
    char *json;
    char run_id[ID_LEN];
    add_fault(c, "/v2/actors/*/run-sync", "{\"kind\": \"lostResponse\"}", 1);
    CHECK_FAILS(APIFY_STATUS_OUTCOME_UNKNOWN, record,
                apify_actor_run_sync(c, ACTOR, INPUT, NULL, &record));
    CHECK_ERROR_JSON_HAS("\"startMarker\":\"" MARKER);
    CHECK_ERROR_MESSAGE_HAS("never resent");
    json = apify_last_error_json();
    CHECK(json_text(json, "runId", run_id, sizeof run_id));
    apify_string_free(json);
    CHECK(emulator_has_run(c, run_id));
    CHECK(count_runs(c) == before + 1);
    apify_client_free(c);
}

static void check_server_without_marker(void) {
    apify_client *admin = client_with(NULL);
    apify_client *fresh = client_with("{\"reconcileWindowSecs\": 0.3}");
    apify_client *taught = client_with(NULL);
    char *run = NULL;
    long before;
    support_call(admin, "PUT", "/_emulator/settings", "{\"recordUserAgent\": false}");
    before = count_runs(admin);
    /* A fresh client: the lost start's run shows no marker, so it may be ours: not resent. */
    add_fault(admin, "/v2/actors/*/runs", "{\"kind\": \"lostResponse\"}", 1);
    CHECK_FAILS(APIFY_STATUS_OUTCOME_UNKNOWN, run,
                apify_actor_start(fresh, ACTOR, INPUT, NULL, &run));
    CHECK_ERROR_JSON_HAS("\"startMarker\":\"" MARKER);
    CHECK_ERROR_JSON_HAS("\"runId\":null");
    CHECK_ERROR_MESSAGE_HAS("run list");
    check_faults_used(admin);
    CHECK(count_runs(admin) == before + 1);
    /* A client that saw a normal start come back without its marker does not even look. */
    CHECK_OK(apify_actor_start(taught, ACTOR, INPUT, NULL, &run));
    apify_string_free(run);
    add_fault(admin, "/v2/actors/*/runs", "{\"kind\": \"lostResponse\"}", 1);
    CHECK_FAILS(APIFY_STATUS_OUTCOME_UNKNOWN, run,
                apify_actor_start(taught, ACTOR, INPUT, NULL, &run));
    CHECK_ERROR_MESSAGE_HAS("does not record");
    CHECK(count_runs(admin) == before + 3);
    support_call(admin, "PUT", "/_emulator/settings", "{\"recordUserAgent\": true}");
    apify_client_free(fresh);
    apify_client_free(taught);
    apify_client_free(admin);
}

static double now_secs(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs one scenario and says how long it took (on stdout: a clean run writes nothing to stderr). */
static void scenario(const char *name, void (*check)(void)) {
    double start = now_secs();
    check();
    printf("%s: %.2f s\n", name, now_secs() - start);
    fflush(stdout);
}

static const char *self_path;

static void check_second_process_of_self(void) { check_second_process(self_path); }

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--child") == 0) return child_main();
    CHECK(APIFY_STATUS_OUTCOME_UNKNOWN == 16);
    CHECK(strcmp(apify_status_name(APIFY_STATUS_OUTCOME_UNKNOWN), "OUTCOME_UNKNOWN") == 0);
    self_path = argv[0];
    scenario("(a) a second process under resets", check_second_process_of_self);
    scenario("(b) 4 starts, timeoutSecs 1, 3 s server delay", check_slow_server);
    scenario("(c) 16 clients, 12 lost answers", check_lost_answers);
    scenario("(e) a lost synchronous run", check_lost_sync_run);
    scenario("(d) a server that does not record the marker", check_server_without_marker);
    check_done();
    return 0;
}
