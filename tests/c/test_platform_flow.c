/*
 * Issue 17's platform flow from C, against the emulator: a pay-per-event Actor whose version
 * (tagged `beta`) holds an input schema, created with apify_request; built and waited for with
 * apify_actor_build_and_wait; run by `beta` with apify_actor_start / apify_actor_call (a bad
 * input refused with the schema's reason, a good one runs); a task (apify_request) run with
 * apify_task_call on its own input; a schedule for it (apify_request, nextRunAt checked); a
 * running run given a status message and charged (apify_run_set_status_message,
 * apify_run_charge; a charge over maxTotalChargeUsd refused), then aborted; the runs listed
 * (apify_runs_list, apify_actor_list_runs); the month's usage (apify_request) showing the
 * charges; then schedule, task, runs, build and Actor deleted, each checked gone (NOT_FOUND),
 * the deleted runs' charges still in the usage.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <time.h>

#include "check.h"

#define ACTOR "emulator/c-flow"

/* `.actor/actor.json`: the generator program and the input schema file. */
#define ACTOR_JSON                                                                          \
    "{\\\"actorSpecification\\\": 1, \\\"name\\\": \\\"c-flow\\\", "                        \
    "\\\"emulatorProgram\\\": \\\"generator\\\", \\\"input\\\": \\\"./input_schema.json\\\"}"
/* The input schema: `count` is a required integer from 0 to 10, `durationSecs` 0 to 120. */
#define SCHEMA                                                                              \
    "{\\\"title\\\": \\\"Pages\\\", \\\"type\\\": \\\"object\\\", \\\"schemaVersion\\\": 1, " \
    "\\\"properties\\\": {\\\"count\\\": {\\\"title\\\": \\\"Count\\\", "                    \
    "\\\"type\\\": \\\"integer\\\", \\\"editor\\\": \\\"number\\\", \\\"minimum\\\": 0, "     \
    "\\\"maximum\\\": 10}, \\\"durationSecs\\\": {\\\"title\\\": \\\"Duration\\\", "         \
    "\\\"type\\\": \\\"integer\\\", \\\"editor\\\": \\\"number\\\", \\\"minimum\\\": 0, "     \
    "\\\"maximum\\\": 120}}, \\\"required\\\": [\\\"count\\\"]}"
/* The Actor: version 0.0 tagged beta, `page` events at 0.25 USD. */
#define NEW_ACTOR                                                                           \
    "{\"name\": \"c-flow\", \"versions\": [{\"versionNumber\": \"0.0\", "                   \
    "\"buildTag\": \"beta\", \"sourceType\": \"SOURCE_FILES\", \"sourceFiles\": ["           \
    "{\"name\": \".actor/actor.json\", \"format\": \"TEXT\", \"content\": \"" ACTOR_JSON "\"}," \
    "{\"name\": \".actor/input_schema.json\", \"format\": \"TEXT\", \"content\": \"" SCHEMA "\"}]}], " \
    "\"pricingInfos\": [{\"pricingModel\": \"PAY_PER_EVENT\", \"pricingPerEvent\": "        \
    "{\"actorChargeEvents\": {\"page\": {\"eventTitle\": \"Page\", "                        \
    "\"eventDescription\": \"One page\", \"eventPriceUsd\": 0.25}}}}]}"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until the run `id` is RUNNING (the test fails if it ends first). */
static void until_running(const apify_client *c, const char *id) {
    char *run = NULL, status[32];
    int tries;
    for (tries = 0; tries < 3000; tries++) {
        CHECK_OK(apify_run_get(c, id, &run));
        CHECK_JSON_GET(run, "/status", status);
        apify_string_free(run);
        if (strcmp(status, "RUNNING") == 0) return;
        CHECK(strcmp(status, "READY") == 0);
        sleep_ms(20);
    }
    check_fail(__FILE__, __LINE__, "the run never became RUNNING");
}

/* `GET path` answers NOT_FOUND (the thing is gone) and writes nothing. */
static void check_gone(const apify_client *c, const char *path) {
    char *out;
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, out, apify_request(c, "GET", path, NULL, NULL, &out));
}

/* `DELETE path` succeeds; then the thing is gone. */
static void delete_and_check(const apify_client *c, const char *path) {
    char *out = NULL;
    CHECK_OK(apify_request(c, "DELETE", path, NULL, NULL, &out));
    apify_string_free(out);
    check_gone(c, path);
}

int main(void) {
    apify_client *client = check_client_from_env();
    char *s = NULL, *build = NULL, *run = NULL, *page = NULL;
    char actor_id[64], build_id[64], first_id[64], task_id[64], task_run_id[64], charged_id[64];
    char schedule_id[64], next_run[64], finished[64], path[192], body[512];
    char cron[32], at_hour[32];
    int hour;

    /* ---- the Actor, with its pricing and its version tagged beta */
    CHECK_OK(apify_request(client, "POST", "/v2/acts", NULL, NEW_ACTOR, &s));
    CHECK_JSON_IS(s, "/data/name", "c-flow");
    CHECK_JSON_IS(s, "/data/versions/0/buildTag", "beta");
    CHECK_JSON_IS(s, "/data/pricingInfos/0/pricingModel", "PAY_PER_EVENT");
    CHECK_JSON_GET(s, "/data/id", actor_id);
    apify_string_free(s);

    /* ---- built and waited for: SUCCEEDED under beta, with the version's input schema */
    CHECK_OK(apify_actor_build_and_wait(client, ACTOR, "{\"version\": \"0.0\"}", &build));
    CHECK_JSON_IS(build, "/status", "SUCCEEDED");
    CHECK_JSON_IS(build, "/actVersion/buildTag", "beta");
    CHECK(strstr(build, "\"inputSchema\"") != NULL);
    CHECK_JSON_GET(build, "/id", build_id);
    apify_string_free(build);
    CHECK_OK(apify_request(client, "GET", "/v2/acts/emulator~c-flow", NULL, NULL, &s));
    CHECK_JSON_IS(s, "/data/taggedBuilds/beta/buildId", build_id);
    apify_string_free(s);

    /* ---- run by beta: a bad input refused with the schema's reason, a good one runs */
    CHECK_FAILS(APIFY_STATUS_API_ERROR, run,
                apify_actor_start(client, ACTOR, "{\"count\": 11}", "{\"build\": \"beta\"}", &run));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-input\"");
    CHECK_ERROR_MESSAGE_HAS("count");
    CHECK_ERROR_MESSAGE_HAS("<= 10");
    CHECK_OK(apify_actor_call(client, ACTOR, "{\"count\": 4}", "{\"build\": \"beta\"}", &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_IS(run, "/buildId", build_id);
    CHECK(CHECK_JSON_LONG(run, "/stats/datasetItemCount") == 4);
    CHECK_JSON_GET(run, "/id", first_id);
    apify_string_free(run);

    /* ---- a task with its own input, run on it; a schedule for the task */
    snprintf(body, sizeof body,
             "{\"actId\": \"%s\", \"name\": \"c-flow-task\", \"input\": {\"count\": 3}, "
             "\"options\": {\"build\": \"beta\"}}",
             actor_id);
    CHECK_OK(apify_request(client, "POST", "/v2/actor-tasks", NULL, body, &s));
    CHECK_JSON_IS(s, "/data/actId", actor_id);
    CHECK(CHECK_JSON_LONG(s, "/data/input/count") == 3);
    CHECK_JSON_GET(s, "/data/id", task_id);
    apify_string_free(s);
    CHECK_OK(apify_task_call(client, task_id, NULL, NULL, &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_IS(run, "/actorTaskId", task_id);
    CHECK_JSON_IS(run, "/buildId", build_id);
    CHECK(CHECK_JSON_LONG(run, "/stats/datasetItemCount") == 3);
    CHECK_JSON_GET(run, "/id", task_run_id);
    CHECK_JSON_GET(run, "/finishedAt", finished);
    apify_string_free(run);

    /* Daily, twelve hours away from now, so that it does not fire during the test. */
    hour = (atoi(finished + 11) + 12) % 24;
    snprintf(cron, sizeof cron, "0 %d * * *", hour);
    snprintf(at_hour, sizeof at_hour, "T%02d:00:00.000Z", hour);
    snprintf(body, sizeof body,
             "{\"name\": \"c-flow-nightly\", \"cronExpression\": \"%s\", "
             "\"timezone\": \"UTC\", \"isEnabled\": true, "
             "\"actions\": [{\"type\": \"RUN_ACTOR_TASK\", \"actorTaskId\": \"%s\"}]}",
             cron, task_id);
    CHECK_OK(apify_request(client, "POST", "/v2/schedules", NULL, body, &s));
    CHECK_JSON_IS(s, "/data/cronExpression", cron);
    CHECK_JSON_IS(s, "/data/actions/0/actorTaskId", task_id);
    CHECK_JSON_GET(s, "/data/id", schedule_id);
    CHECK_JSON_GET(s, "/data/nextRunAt", next_run);
    apify_string_free(s);
    CHECK(strlen(next_run) == 24 && strcmp(next_run + 10, at_hour) == 0);
    CHECK(strcmp(next_run, finished) > 0); /* ISO 8601 UTC compares as text */

    /* ---- a running run: a status message, charges up to its maxTotalChargeUsd */
    CHECK_OK(apify_actor_start(client, ACTOR, "{\"count\": 2, \"durationSecs\": 60}",
                               "{\"build\": \"beta\", \"maxTotalChargeUsd\": 0.5}", &run));
    CHECK_JSON_GET(run, "/id", charged_id);
    apify_string_free(run);
    until_running(client, charged_id);
    CHECK_OK(apify_run_set_status_message(client, charged_id, "Charging pages", 0, &run));
    CHECK_JSON_IS(run, "/statusMessage", "Charging pages");
    apify_string_free(run);
    CHECK_OK(apify_run_charge(client, charged_id, "{\"eventName\": \"page\", \"count\": 2}"));
    CHECK_STATUS(apify_run_charge(client, charged_id, "{\"eventName\": \"page\"}"),
                 APIFY_STATUS_API_ERROR);
    CHECK_ERROR_JSON_HAS("\"type\":\"limit-reached\"");
    CHECK_OK(apify_run_get(client, charged_id, &run));
    CHECK(CHECK_JSON_LONG(run, "/chargedEventCounts/page") == 2);
    CHECK_JSON_IS(run, "/usageTotalUsd", "0.5");
    apify_string_free(run);
    CHECK_OK(apify_run_abort(client, charged_id, 0, &run));
    CHECK_JSON_IS(run, "/status", "ABORTED");
    apify_string_free(run);

    /* ---- the runs: all the user's, and the Actor's */
    CHECK_OK(apify_runs_list(client, "{\"desc\": true}", &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 3);
    CHECK_JSON_IS(page, "/items/0/id", charged_id);
    CHECK_JSON_IS(page, "/items/2/id", first_id);
    apify_string_free(page);
    CHECK_OK(apify_runs_list(client, "{\"status\": \"SUCCEEDED\"}", &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 2);
    apify_string_free(page);
    CHECK_OK(apify_actor_list_runs(client, ACTOR, "{\"status\": \"ABORTED\"}", &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 1);
    CHECK_JSON_IS(page, "/items/0/id", charged_id);
    apify_string_free(page);

    /* ---- the month's usage: the charges on their own line, in the total */
    CHECK_OK(apify_request(client, "GET", "/v2/users/me/usage/monthly", NULL, NULL, &s));
    CHECK_JSON_IS(s, "/data/monthlyServiceUsage/PAY_PER_EVENT/quantity", "2.0");
    CHECK_JSON_IS(s, "/data/monthlyServiceUsage/PAY_PER_EVENT/baseAmountUsd", "0.5");
    {
        char total[64];
        CHECK_JSON_GET(s, "/data/totalUsageCreditsUsdBeforeVolumeDiscount", total);
        CHECK(strtod(total, NULL) >= 0.5);
    }
    apify_string_free(s);

    /* ---- everything deleted, each checked gone */
    snprintf(path, sizeof path, "/v2/schedules/%s", schedule_id);
    delete_and_check(client, path);
    snprintf(path, sizeof path, "/v2/actor-tasks/%s", task_id);
    delete_and_check(client, path);
    snprintf(path, sizeof path, "/v2/actor-runs/%s", first_id);
    delete_and_check(client, path);
    snprintf(path, sizeof path, "/v2/actor-runs/%s", task_run_id);
    delete_and_check(client, path);
    snprintf(path, sizeof path, "/v2/actor-runs/%s", charged_id);
    delete_and_check(client, path);
    CHECK_OK(apify_runs_list(client, NULL, &page));
    CHECK(CHECK_JSON_LONG(page, "/total") == 0);
    apify_string_free(page);
    /* what the deleted runs used (and charged) stays in the month's usage */
    CHECK_OK(apify_request(client, "GET", "/v2/users/me/usage/monthly", NULL, NULL, &s));
    CHECK_JSON_IS(s, "/data/monthlyServiceUsage/PAY_PER_EVENT/quantity", "2.0");
    CHECK_JSON_IS(s, "/data/monthlyServiceUsage/PAY_PER_EVENT/baseAmountUsd", "0.5");
    apify_string_free(s);
    snprintf(path, sizeof path, "/v2/actor-builds/%s", build_id);
    delete_and_check(client, path);
    delete_and_check(client, "/v2/acts/emulator~c-flow");

    apify_client_free(client);
    check_done();
    return 0;
}
