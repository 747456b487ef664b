/*
 * Building an Actor from C (the CI case): an Actor created through apify_request with a version
 * whose source files hold an input schema; apify_actor_build_and_wait builds it under the
 * `beta` tag and waits; a run by `beta` gets its input checked against that schema (a good input
 * runs, a bad one is refused); a build with a broken schema ends FAILED (still OK: read
 * `status`); a budget of 0 answers a slow build unfinished; bad options fail before any request
 * and leave the out-parameter alone; the Actor is deleted at the end.
 */
#include "check.h"

#define ACTOR "emulator/c-builder"

/* `.actor/actor.json` names the generator program and the input schema file. */
#define ACTOR_JSON                                                                          \
    "{\\\"actorSpecification\\\": 1, \\\"name\\\": \\\"c-builder\\\", "                    \
    "\\\"emulatorProgram\\\": \\\"generator\\\", \\\"input\\\": \\\"./input_schema.json\\\"}"
/* The input schema: `count` is a required integer from 0 to 7. */
#define SCHEMA                                                                              \
    "{\\\"title\\\": \\\"In\\\", \\\"type\\\": \\\"object\\\", \\\"schemaVersion\\\": 1, "   \
    "\\\"properties\\\": {\\\"count\\\": {\\\"title\\\": \\\"Count\\\", "                    \
    "\\\"type\\\": \\\"integer\\\", \\\"editor\\\": \\\"number\\\", \\\"minimum\\\": 0, "     \
    "\\\"maximum\\\": 7}}, \\\"required\\\": [\\\"count\\\"]}"
#define VERSION(number, schema)                                                             \
    "{\"versionNumber\": \"" number "\", \"sourceType\": \"SOURCE_FILES\", "                \
    "\"sourceFiles\": ["                                                                    \
    "{\"name\": \".actor/actor.json\", \"format\": \"TEXT\", \"content\": \"" ACTOR_JSON "\"}," \
    "{\"name\": \".actor/input_schema.json\", \"format\": \"TEXT\", \"content\": \"" schema "\"}]}"

int main(void) {
    apify_client *client = check_client_from_env();
    char *s = NULL, *build = NULL, *run = NULL, *out = NULL;
    char build_id[64], path[160];

    /* ---- an Actor with version 0.0 (good schema) and 0.1 (broken schema) */
    CHECK_OK(apify_request(client, "POST", "/v2/acts", NULL,
                           "{\"name\": \"c-builder\", \"versions\": [" VERSION("0.0", SCHEMA) ","
                           VERSION("0.1", "{\\\"type\\\": ") "]}",
                           &s));
    CHECK_JSON_IS(s, "/data/name", "c-builder");
    apify_string_free(s);

    /* ---- build 0.0 as beta and wait: SUCCEEDED, the tag moved */
    CHECK_OK(apify_actor_build_and_wait(client, ACTOR, "{\"version\": \"0.0\", \"tag\": \"beta\"}",
                                        &build));
    CHECK_JSON_IS(build, "/status", "SUCCEEDED");
    CHECK_JSON_IS(build, "/buildNumber", "0.0.1");
    CHECK_JSON_IS(build, "/actVersion/buildTag", "beta");
    CHECK_JSON_GET(build, "/id", build_id);
    CHECK_OK(apify_request(client, "GET", "/v2/acts/emulator~c-builder", NULL, NULL, &s));
    CHECK_JSON_IS(s, "/data/taggedBuilds/beta/buildId", build_id);
    apify_string_free(s);
    apify_string_free(build);

    /* ---- a run by the beta tag: a good input runs, a bad one is refused by the schema */
    CHECK_OK(apify_actor_call(client, ACTOR, "{\"count\": 6}", "{\"build\": \"beta\"}", &run));
    CHECK_JSON_IS(run, "/status", "SUCCEEDED");
    CHECK_JSON_IS(run, "/buildId", build_id);
    apify_string_free(run);
    CHECK_FAILS(APIFY_STATUS_API_ERROR, run,
                apify_actor_start(client, ACTOR, "{\"count\": 70}", "{\"build\": \"beta\"}", &run));
    CHECK_ERROR_JSON_HAS("\"type\":\"invalid-input\"");
    CHECK_FAILS(APIFY_STATUS_INVALID_INPUT, run,
                apify_actor_start(client, ACTOR, "{\"count\": \"x\"}",
                                  "{\"build\": \"beta\", \"validateInput\": true}", &run));

    /* ---- a broken input schema: the build ends FAILED, with the reason in its log */
    CHECK_OK(apify_actor_build_and_wait(client, ACTOR, "{\"version\": \"0.1\", \"waitSecs\": 60}",
                                        &build));
    CHECK_JSON_IS(build, "/status", "FAILED");
    CHECK_JSON_GET(build, "/id", build_id);
    apify_string_free(build);
    snprintf(path, sizeof path, "/v2/actor-builds/%s/log", build_id);
    {
        apify_record *log = NULL;
        size_t len;
        char *text;
        CHECK_OK(apify_request_bytes(client, "GET", path, NULL, NULL, 0, NULL, &log));
        len = apify_record_len(log);
        CHECK(len > 0);
        text = malloc(len + 1); /* the bytes are not NUL-terminated */
        CHECK(text != NULL);
        memcpy(text, apify_record_data(log), len);
        text[len] = '\0';
        CHECK(strstr(text, "invalid-input-schema") != NULL);
        free(text);
        apify_record_free(log);
    }

    /* ---- a slow build and no wait: answered unfinished, then aborted */
    CHECK_OK(apify_request(client, "PUT", "/_emulator/settings", NULL,
                           "{\"buildDurationMillis\": 600000}", &s));
    apify_string_free(s);
    CHECK_OK(apify_actor_build_and_wait(client, ACTOR,
                                        "{\"version\": \"0.0\", \"waitSecs\": 0, \"useCache\": true}",
                                        &build));
    CHECK_JSON_IS(build, "/status", "READY");
    CHECK_JSON_IS(build, "/options/useCache", "true");
    CHECK_JSON_GET(build, "/id", build_id);
    apify_string_free(build);
    snprintf(path, sizeof path, "/v2/actor-builds/%s/abort", build_id);
    CHECK_OK(apify_request(client, "POST", path, NULL, NULL, &s));
    CHECK_JSON_IS(s, "/data/status", "ABORTED");
    apify_string_free(s);

    /* ---- bad arguments: nothing is sent, the out-parameter stays as it was */
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_actor_build_and_wait(client, ACTOR, NULL, &out));
    CHECK_ERROR_MESSAGE_HAS("version");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_actor_build_and_wait(client, ACTOR, "{\"version\": \"0.0\", \"tags\": \"x\"}",
                                           &out));
    CHECK_ERROR_MESSAGE_HAS("tags");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_actor_build_and_wait(client, ACTOR, "{\"version\": \"zero\"}", &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, out,
                apify_actor_build_and_wait(client, ACTOR, "{\"version\": ", &out));
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out,
                apify_actor_build_and_wait(client, NULL, "{\"version\": \"0.0\"}", &out));
    CHECK_STATUS(apify_actor_build_and_wait(client, ACTOR, "{\"version\": \"0.0\"}", NULL),
                 APIFY_STATUS_NULL_ARGUMENT);
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, out,
                apify_actor_build_and_wait(client, "emulator/none", "{\"version\": \"0.0\"}", &out));

    /* ---- clean up */
    CHECK_OK(apify_request(client, "DELETE", "/v2/acts/emulator~c-builder", NULL, NULL, &s));
    apify_string_free(s);
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, s,
                apify_request(client, "GET", "/v2/acts/emulator~c-builder", NULL, NULL, &s));

    apify_client_free(client);
    check_done();
    return 0;
}
