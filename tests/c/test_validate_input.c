/*
 * Inputs checked against the Actor's input schema, from C. apify_actor_validate_input reports
 * every problem of {"count": -5, "outcome": "MAYBE", "itemBytes": "ten"} for emulator/generator
 * (APIFY_STATUS_INVALID_INPUT; the report in the last error JSON's "inputReport", each problem
 * naming its field; the out-parameter untouched); a valid input answers OK with
 * {"valid":true,"errors":[]}; the server's check ("remote": true) names the same fields; the
 * schema is read once per client. The start options' "validateInput": true refuse the bad input
 * before any start request (the emulator's journal shows no POST at all) and start a good one
 * as usual.
 */
#include "check.h"

#define GENERATOR "emulator/generator"
#define BAD "{\"count\": -5, \"outcome\": \"MAYBE\", \"itemBytes\": \"ten\"}"
#define VALIDATE "{\"validateInput\": true}"

/* The last error is an INVALID_INPUT whose report names count, itemBytes and outcome. */
static void check_generator_report(void) {
    char *json;
    CHECK_ERROR_MESSAGE_HAS("the input is not valid for " GENERATOR ": count: must be >= 0, got -5; ");
    CHECK_ERROR_MESSAGE_HAS("itemBytes: must be an integer, got \"ten\"");
    CHECK_ERROR_MESSAGE_HAS("outcome: must be one of \"SUCCEEDED\", \"FAILED\", got \"MAYBE\"");
    json = apify_last_error_json();
    CHECK(json != NULL);
    CHECK_JSON_IS(json, "/statusName", "INVALID_INPUT");
    CHECK_JSON_IS(json, "/sent", "false");
    CHECK_JSON_IS(json, "/inputReport/valid", "false");
    CHECK_JSON_IS(json, "/inputReport/errors/0/pointer", "/count");
    CHECK_JSON_IS(json, "/inputReport/errors/0/field", "count");
    CHECK_JSON_IS(json, "/inputReport/errors/0/expected", ">= 0");
    CHECK_JSON_IS(json, "/inputReport/errors/0/given", "-5");
    CHECK_JSON_IS(json, "/inputReport/errors/0/message", "must be >= 0, got -5");
    CHECK_JSON_IS(json, "/inputReport/errors/1/field", "itemBytes");
    CHECK_JSON_IS(json, "/inputReport/errors/1/expected", "integer");
    CHECK_JSON_IS(json, "/inputReport/errors/1/given", "\"ten\"");
    CHECK_JSON_IS(json, "/inputReport/errors/2/field", "outcome");
    CHECK_JSON_ABSENT(json, "/inputReport/errors/3");
    apify_string_free(json);
}

/* The journal since it was cleared has no POST (no run was started) and read the Actor. */
static void check_only_reads(const apify_client *client) {
    char *journal = check_journal(client);
    if (strstr(journal, "\"method\":\"POST\"") != NULL) {
        fprintf(stderr, "a request other than a read reached the server: %.2000s\n", journal);
        exit(1);
    }
    CHECK(strstr(journal, "/v2/actors/emulator~generator") != NULL);
    apify_string_free(journal);
}

int main(void) {
    apify_client *client = check_client_from_env();
    char *s = NULL;
    apify_record *record = NULL;
    char status[32];

    /* apify_actor_validate_input: every problem, the out-parameter untouched. */
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, s,
                apify_actor_validate_input(client, GENERATOR, BAD, NULL, &s));
    check_generator_report();
    CHECK_OK(apify_actor_validate_input(client, GENERATOR, "{\"count\": 2}", "{\"build\": \"latest\"}", &s));
    CHECK(strcmp(s, "{\"valid\":true,\"errors\":[]}") == 0);
    apify_string_free(s);
    s = NULL;
    CHECK_OK(apify_actor_validate_input(client, GENERATOR, NULL, NULL, &s));
    CHECK(strcmp(s, "{\"valid\":true,\"errors\":[]}") == 0);
    apify_string_free(s);
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, s, apify_actor_validate_input(client, NULL, BAD, NULL, &s));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, s,
                apify_actor_validate_input(client, GENERATOR, BAD, "{\"bulid\": \"latest\"}", &s));
    CHECK_ERROR_MESSAGE_HAS("bulid");
    CHECK_ERROR_JSON_HAS("\"inputReport\":null");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, s,
                apify_actor_validate_input(client, GENERATOR, "[1]", NULL, &s));
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, s,
                apify_actor_validate_input(client, "nobody/nothing", BAD, NULL, &s));

    /* The server's check (the emulator's validate-input) names the same fields. */
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, s,
                apify_actor_validate_input(client, GENERATOR, BAD, "{\"remote\": true}", &s));
    {
        char *json = apify_last_error_json();
        CHECK(json != NULL);
        CHECK_JSON_IS(json, "/inputReport/errors/0/field", "count");
        CHECK_JSON_IS(json, "/inputReport/errors/0/given", "-5");
        CHECK_JSON_IS(json, "/inputReport/errors/1/field", "itemBytes");
        CHECK_JSON_IS(json, "/inputReport/errors/2/field", "outcome");
        CHECK_JSON_ABSENT(json, "/inputReport/errors/3");
        apify_string_free(json);
    }

    /* The schema is kept: checking again reads the Actor, not its build. */
    check_clear_journal(client);
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, s,
                apify_actor_validate_input(client, GENERATOR, BAD, NULL, &s));
    {
        char *journal = check_journal(client);
        CHECK(strstr(journal, "/v2/actor-builds/") == NULL);
        apify_string_free(journal);
    }

    /* "validateInput": true refuses the bad input before any start, on every kind of start. */
    check_clear_journal(client);
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, s, apify_actor_start(client, GENERATOR, BAD, VALIDATE, &s));
    check_generator_report();
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, s, apify_actor_call(client, GENERATOR, BAD, VALIDATE, &s));
    check_generator_report();
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, s,
                apify_actor_run_sync_get_items(client, GENERATOR, BAD, VALIDATE, &s));
    check_generator_report();
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, record,
                apify_actor_run_sync(client, GENERATOR, BAD, VALIDATE, &record));
    check_generator_report();
    check_only_reads(client);

    /* A valid input starts as usual. */
    s = NULL;
    CHECK_OK(apify_actor_call(client, GENERATOR, "{\"count\": 2}", VALIDATE, &s));
    CHECK_JSON_GET(s, "/status", status);
    CHECK(strcmp(status, "SUCCEEDED") == 0);
    apify_string_free(s);
    s = NULL;
    CHECK_OK(apify_actor_run_sync_get_items(client, GENERATOR, "{\"count\": 3}", VALIDATE, &s));
    CHECK(CHECK_JSON_LONG(s, "/2/index") == 2);
    CHECK_JSON_ABSENT(s, "/3");
    apify_string_free(s);

    apify_client_free(client);
    return check_done();
}
