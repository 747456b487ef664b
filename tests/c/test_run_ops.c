/*
 * Run operations through the C ABI, against the emulator:
 *   - apify_run_set_status_message on a running run;
 *   - apify_run_metamorph into apify/hello-world, then apify_run_wait: the target's OUTPUT;
 *   - apify_run_reboot of a running run (rebootCount), refused once it has finished;
 *   - apify_run_charge on a pay-per-event Actor made with apify_request: a repeated
 *     idempotencyKey charges once, a charge over maxTotalChargeUsd is API_ERROR limit-reached;
 *   - apify_runs_list with status, desc and startedAfter;
 *   - NULL arguments, bad JSON and bad options refused before any request.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <time.h>

#include "check.h"

#define GENERATOR "emulator/generator"
#define HELLO "apify/hello-world"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts a run of `actor` that goes on for 30 s; its id in `id` once it is RUNNING. */
static void start_running(const apify_client *c, const char *actor, const char *options,
                          char *id, size_t id_size) {
    char *run = NULL, status[32];
    int tries;
    CHECK_OK(apify_actor_start(c, actor, "{\"durationSecs\": 30, \"count\": 2}", options, &run));
    check_json_get_at(__FILE__, __LINE__, run, "/id", id, id_size);
    apify_string_free(run);
    for (tries = 0; tries < 1500; tries++) {
        CHECK_OK(apify_run_get(c, id, &run));
        CHECK_JSON_GET(run, "/status", status);
        apify_string_free(run);
        if (strcmp(status, "RUNNING") == 0) return;
        sleep_ms(20);
    }
    check_fail(__FILE__, __LINE__, "the run never became RUNNING");
}

static void abort_run(const apify_client *c, const char *id) {
    char *run = NULL;
    CHECK_OK(apify_run_abort(c, id, 0, &run));
    apify_string_free(run);
}

static void status_message(const apify_client *c) {
    char id[64], *run = NULL;
    start_running(c, GENERATOR, NULL, id, sizeof id);
    CHECK_OK(apify_run_set_status_message(c, id, "Half way from C", 0, &run));
    CHECK_JSON_IS(run, "/statusMessage", "Half way from C");
    CHECK_JSON_IS(run, "/isStatusMessageTerminal", "false");
    apify_string_free(run);
    CHECK_OK(apify_run_set_status_message(c, id, "Done soon", 1, &run));
    CHECK_JSON_IS(run, "/isStatusMessageTerminal", "true");
    apify_string_free(run);
    abort_run(c, id);
}

static void metamorph_then_wait(const apify_client *c) {
    char id[64], hello_id[64], *run = NULL, *actor = NULL, *output = NULL, path[160];
    CHECK_OK(apify_request(c, "GET", "/v2/acts/apify~hello-world", NULL, NULL, &actor));
    CHECK_JSON_GET(actor, "/data/id", hello_id);
    apify_string_free(actor);
    start_running(c, GENERATOR, NULL, id, sizeof id);
    CHECK_OK(apify_run_metamorph(c, id, HELLO, "{\"message\": \"from C\"}", "{\"build\": \"latest\"}",
                                 &run));
    CHECK_JSON_IS(run, "/id", id);
    CHECK_JSON_IS(run, "/actId", hello_id);
    CHECK_JSON_IS(run, "/metamorphs/0/inputKey", "INPUT-METAMORPH-1");
    apify_string_free(run);
    CHECK_OK(apify_run_wait(c, id, 60, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    apify_string_free(run);
    snprintf(path, sizeof path, "/v2/actor-runs/%s/key-value-store/records/OUTPUT", id);
    CHECK_OK(apify_request(c, "GET", path, NULL, NULL, &output));
    CHECK_JSON_IS(output, "/message", "from C");
    apify_string_free(output);
    /* A finished run cannot be metamorphed. */
    CHECK_FAILS(APIFY_STATUS_API_ERROR, run, apify_run_metamorph(c, id, HELLO, NULL, NULL, &run));
    CHECK_ERROR_JSON_HAS("\"type\":\"job-finished\"");
}

static void reboot(const apify_client *c) {
    char id[64], *run = NULL;
    start_running(c, GENERATOR, NULL, id, sizeof id);
    CHECK_OK(apify_run_reboot(c, id, &run));
    CHECK(CHECK_JSON_LONG(run, "/stats/rebootCount") == 1);
    apify_string_free(run);
    abort_run(c, id);
    CHECK_FAILS(APIFY_STATUS_API_ERROR, run, apify_run_reboot(c, id, &run));
    CHECK_ERROR_JSON_HAS("\"type\":\"job-finished\"");
}

static void charges(const apify_client *c) {
    char *actor = NULL, *build = NULL, *run = NULL, actor_id[64], id[64], path[128];
    const char *body =
        "{\"name\": \"ppe-from-c\", \"versions\": [{\"versionNumber\": \"0.0\", \"sourceFiles\": "
        "[{\"name\": \".actor/actor.json\", \"format\": \"TEXT\", \"content\": \"{}\"}]}], "
        "\"pricingInfos\": [{\"pricingModel\": \"PAY_PER_EVENT\", \"pricingPerEvent\": "
        "{\"actorChargeEvents\": {\"page\": {\"eventTitle\": \"Page\", \"eventDescription\": "
        "\"One page\", \"eventPriceUsd\": 0.25}}}}]}";
    CHECK_OK(apify_request(c, "POST", "/v2/acts", NULL, body, &actor));
    CHECK_JSON_GET(actor, "/data/id", actor_id);
    apify_string_free(actor);
    snprintf(path, sizeof path, "/v2/acts/%s/builds", actor_id);
    CHECK_OK(apify_request(c, "POST", path, "{\"version\": \"0.0\", \"waitForFinish\": 30}", NULL,
                           &build));
    apify_string_free(build);
    start_running(c, actor_id, "{\"maxTotalChargeUsd\": 0.5}", id, sizeof id);
    CHECK_OK(apify_run_charge(c, id, "{\"eventName\": \"page\", \"idempotencyKey\": \"c-1\"}"));
    CHECK_OK(apify_run_charge(c, id, "{\"eventName\": \"page\", \"idempotencyKey\": \"c-1\"}"));
    CHECK_OK(apify_run_get(c, id, &run));
    CHECK(CHECK_JSON_LONG(run, "/chargedEventCounts/page") == 1);
    apify_string_free(run);
    CHECK_OK(apify_run_charge(c, id, "{\"eventName\": \"page\", \"count\": 1}"));
    CHECK_STATUS(apify_run_charge(c, id, "{\"eventName\": \"page\"}"), APIFY_STATUS_API_ERROR);
    CHECK_ERROR_JSON_HAS("\"type\":\"limit-reached\"");
    CHECK_OK(apify_run_get(c, id, &run));
    CHECK(CHECK_JSON_LONG(run, "/chargedEventCounts/page") == 2);
    CHECK_JSON_IS(run, "/usageTotalUsd", "0.5");
    apify_string_free(run);
    abort_run(c, id);
}

static void run_lists(const apify_client *c) {
    char *page = NULL, *run = NULL, first_started[64], options[160];
    CHECK_OK(apify_runs_list(c, NULL, &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 4);
    CHECK_JSON_GET(page, "/items/0/startedAt", first_started);
    /* The items as the API sent them: the list's short form has no stats or options. */
    CHECK_JSON_ABSENT(page, "/items/0/stats");
    CHECK_JSON_ABSENT(page, "/items/0/options");
    apify_string_free(page);
    CHECK_OK(apify_runs_list(c, "{\"status\": \"SUCCEEDED\", \"desc\": true, \"limit\": 10}", &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 1); /* the metamorphed one */
    CHECK_JSON_IS(page, "/desc", "true");
    CHECK_JSON_IS(page, "/items/0/status", "SUCCEEDED");
    apify_string_free(page);
    CHECK_OK(apify_runs_list(c, "{\"status\": \"ABORTED,SUCCEEDED\"}", &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 4);
    apify_string_free(page);
    snprintf(options, sizeof options, "{\"startedBefore\": \"%s\"}", first_started);
    CHECK_OK(apify_runs_list(c, options, &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 1);
    apify_string_free(page);
    (void)run;
}

static void bad_arguments(const apify_client *c) {
    char *out = NULL;
    check_clear_journal(c);
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out, apify_run_reboot(c, NULL, &out));
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out, apify_run_reboot(NULL, "r", &out));
    CHECK_STATUS(apify_run_reboot(c, "r", NULL), APIFY_STATUS_NULL_ARGUMENT);
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out, apify_run_metamorph(c, "r", NULL, NULL, NULL, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_run_metamorph(c, "r", HELLO, "[1]", NULL, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, out,
                apify_run_metamorph(c, "r", HELLO, "{nope", NULL, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_run_metamorph(c, "r", HELLO, NULL, "{\"tag\": \"x\"}", &out));
    CHECK_ERROR_MESSAGE_HAS("unknown option 'tag'");
    CHECK_STATUS(apify_run_charge(c, "r", NULL), APIFY_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(apify_run_charge(c, "r", "{\"count\": 2}"), APIFY_STATUS_INVALID_ARGUMENT);
    CHECK_ERROR_MESSAGE_HAS("eventName");
    CHECK_STATUS(apify_run_charge(c, "r", "{\"eventName\": \"page\", \"count\": 0}"),
                 APIFY_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(apify_run_charge(c, "r", "{\"eventName\": \"page\", \"count\": -1}"),
                 APIFY_STATUS_INVALID_ARGUMENT);
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out, apify_run_set_status_message(c, "r", NULL, 0, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, out,
                apify_run_set_status_message(c, "r", BAD_UTF8, 0, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_runs_list(c, "{\"limit\": 0}", &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_runs_list(c, "{\"startedAfter\": \"yesterday\"}", &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out, apify_runs_list(c, "[]", &out));
    CHECK_NO_REQUESTS(c);
}

int main(void) {
    apify_client *c = check_client_from_env();
    status_message(c);
    metamorph_then_wait(c);
    reboot(c);
    charges(c);
    run_lists(c);
    bad_arguments(c);
    apify_client_free(c);
    check_done();
    return 0;
}
