//! Builds in the emulator over real HTTP on 127.0.0.1: their life (READY, RUNNING, SUCCEEDED or
//! FAILED, ABORTED), log, long poll, abort, delete, OpenAPI document, tags and the runs they
//! make possible; and the environment variables of versions. Every JSON answer is validated
//! against the OpenAPI document by the `Api` harness.
#![cfg(feature = "emulator")]

mod common;

use common::error_message as message;
use common::Api;
use serde_json::{json, Value};

// ---------------------------------------------------------------- helpers

fn schema(max: u64) -> Value {
    json!({
        "title": "Count input", "type": "object", "schemaVersion": 1,
        "properties": {
            "n": {"title": "N", "type": "integer", "editor": "number", "minimum": 1,
                  "maximum": max, "prefill": 2},
            "label": {"title": "Label", "type": "string", "editor": "textfield", "default": "x"}
        },
        "required": ["n"]
    })
}

/// A version with `.actor/actor.json` (generator program) and an input schema file.
fn version(number: &str, tag: &str, schema_text: &str) -> Value {
    let actor_json = json!({"actorSpecification": 1, "name": "counter", "version": number,
                            "emulatorProgram": "generator", "input": "./input_schema.json"});
    json!({
        "versionNumber": number, "sourceType": "SOURCE_FILES", "buildTag": tag,
        "sourceFiles": [
            {"name": ".actor/actor.json", "format": "TEXT", "content": actor_json.to_string()},
            {"name": ".actor/input_schema.json", "format": "TEXT", "content": schema_text},
        ]
    })
}

/// Creates the `counter` Actor with versions 0.0 (`latest`, n <= 5) and 0.1 (`beta`, n <= 50).
fn counter(api: &Api) -> String {
    let versions = json!([
        version("0.0", "latest", &schema(5).to_string()),
        version("0.1", "beta", &schema(50).to_string()),
    ]);
    api.post_json(
        "/v2/acts",
        &json!({"name": "counter", "title": "Counter", "versions": versions}),
    )
    .expect(201)
    .data()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn set_build_duration(api: &Api, ms: u64) {
    let s = api
        .put_json("/_emulator/settings", &json!({"buildDurationMillis": ms}))
        .expect(200)
        .data();
    assert_eq!(s["buildDurationMillis"], ms);
}

/// Starts a build of `version` (waiting up to `wait` s) and answers it.
fn build(api: &Api, id: &str, version: &str, wait: u64) -> Value {
    api.post_empty(&format!(
        "/v2/acts/{id}/builds?version={version}&waitForFinish={wait}"
    ))
    .expect(201)
    .data()
}

fn sid(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn log(api: &Api, build_id: &str) -> String {
    api.get(&format!("/v2/actor-builds/{build_id}/log"))
        .expect(200)
        .text()
}

// ---------------------------------------------------------------- life of a build

#[test]
fn builds_wait_run_log_and_finish_then_their_tag_moves() {
    let api = Api::start();
    let id = counter(&api);
    // A long build stays READY: no tag yet, no run by its tag or number.
    set_build_duration(&api, 600_000);
    let r = api
        .post_empty(&format!("/v2/acts/{id}/builds?version=0.0"))
        .expect(201);
    let slow = r.data();
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/v2/actor-builds/{}", api.base, sid(&slow))
    );
    assert_eq!(slow["status"], "READY");
    assert_eq!(slow["finishedAt"], Value::Null);
    assert_eq!(slow["buildNumber"], "0.0.1");
    let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
    assert_eq!(actor["taggedBuilds"], json!({}));
    let r = api
        .post_json(&format!("/v2/acts/{id}/runs"), &json!({"n": 1}))
        .expect(404);
    assert_eq!(r.error_type(), "unknown-build-tag");
    let r = api
        .post_json(&format!("/v2/acts/{id}/runs?build=0.0.1"), &json!({"n": 1}))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-build");
    assert!(message(&r).contains("READY"), "{}", r.text());
    assert!(log(&api, &sid(&slow)).contains("waiting for a builder"));
    // A long poll with a short wait answers the build as it is.
    let b = api
        .get(&format!("/v2/actor-builds/{}?waitForFinish=1", sid(&slow)))
        .expect(200)
        .data();
    assert!(["READY", "RUNNING"].contains(&b["status"].as_str().unwrap()));

    // Abort: ABORTED with a finish time; a second abort changes nothing.
    let aborted = api
        .post_empty(&format!("/v2/actor-builds/{}/abort", sid(&slow)))
        .expect(200)
        .data();
    assert_eq!(aborted["status"], "ABORTED");
    assert!(aborted["finishedAt"].is_string());
    let again = api
        .post_empty(&format!("/v2/acts/{id}/builds/{}/abort", sid(&slow)))
        .expect(200)
        .data();
    assert_eq!(again["status"], "ABORTED");
    assert_eq!(again["finishedAt"], aborted["finishedAt"]);
    assert!(log(&api, &sid(&slow)).contains("Build aborted."));

    // A short build, waited for at its start: SUCCEEDED, its log complete, its tag moved.
    set_build_duration(&api, 300);
    let done = build(&api, &id, "0.0", 60);
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(done["buildNumber"], "0.0.2");
    assert_eq!(done["actVersion"]["buildTag"], "latest");
    assert!(done["stats"]["durationMillis"].as_u64().is_some());
    let text = log(&api, &sid(&done));
    for line in [
        "waiting for a builder",
        "Build started.",
        "generator",
        "status SUCCEEDED",
    ] {
        assert!(text.contains(line), "{line} not in {text}");
    }
    assert_eq!(
        api.get(&format!("/v2/logs/{}", sid(&done)))
            .expect(200)
            .text(),
        text
    );
    assert_eq!(
        api.get(&format!("/v2/actor-builds/{}/log?stream=true", sid(&done)))
            .expect(200)
            .text(),
        text
    );
    let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
    assert_eq!(actor["taggedBuilds"]["latest"]["buildId"], done["id"]);
    // A build started without a wait is READY or RUNNING, then finishes under a long poll.
    let next = build(&api, &id, "0.0", 0);
    assert_ne!(next["status"], "SUCCEEDED");
    let next = api
        .get(&format!(
            "/v2/acts/{id}/builds/{}?waitForFinish=60",
            sid(&next)
        ))
        .expect(200)
        .data();
    assert_eq!(next["status"], "SUCCEEDED");
    let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
    assert_eq!(actor["taggedBuilds"]["latest"]["buildNumber"], "0.0.3");
    // Lists show every build with its status.
    let list = api.get(&format!("/v2/acts/{id}/builds")).expect(200).data();
    let statuses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ABORTED", "SUCCEEDED", "SUCCEEDED"]);
    let r = api
        .get(&format!(
            "/v2/actor-builds/{}?waitForFinish=soon",
            sid(&next)
        ))
        .expect(400);
    assert!(message(&r).contains("waitForFinish"));
}

#[test]
fn runs_by_tag_use_that_build_and_its_input_schema() {
    let api = Api::start();
    set_build_duration(&api, 50);
    let id = counter(&api);
    let latest = build(&api, &id, "0.0", 60);
    let beta = build(&api, &id, "0.1", 60);
    assert_eq!(beta["buildNumber"], "0.1.1");
    assert_eq!(beta["actVersion"]["buildTag"], "beta");
    let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
    assert_eq!(actor["taggedBuilds"]["beta"]["buildId"], beta["id"]);
    assert_eq!(actor["taggedBuilds"]["latest"]["buildId"], latest["id"]);
    // n = 20 fits beta's schema (n <= 50), not latest's (n <= 5).
    let run = api.start_run(&id, &json!({"n": 20}), "?build=beta&waitForFinish=30");
    assert_eq!(run["buildId"], beta["id"]);
    assert_eq!(run["options"]["build"], "beta");
    assert_eq!(run["status"], "SUCCEEDED");
    let r = api
        .post_json(
            &format!("/v2/acts/{id}/runs?build=latest"),
            &json!({"n": 20}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    assert!(message(&r).contains("n"), "{}", r.text());
    let r = api
        .post_json(&format!("/v2/acts/{id}/runs?build=beta"), &json!({"n": 99}))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    // The version number names its newest successful build.
    let run = api.start_run(&id, &json!({"n": 2}), "?build=0.1");
    assert_eq!(run["buildId"], beta["id"]);
}

#[test]
fn broken_sources_fail_the_build_and_keep_the_tag() {
    let api = Api::start();
    set_build_duration(&api, 30);
    let id = counter(&api);
    let good = build(&api, &id, "0.0", 60);
    api.put_json(
        &format!("/v2/acts/{id}/versions/0.0"),
        &version("0.0", "latest", "{\"type\": \"object\""),
    )
    .expect(200);
    let bad = build(&api, &id, "0.0", 60);
    assert_eq!(bad["status"], "FAILED");
    assert!(bad["finishedAt"].is_string());
    let text = log(&api, &sid(&bad));
    assert!(
        text.contains("Build failed: [invalid-input-schema]"),
        "{text}"
    );
    assert!(text.contains("input_schema.json"), "{text}");
    let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
    assert_eq!(actor["taggedBuilds"]["latest"]["buildId"], good["id"]);
    let r = api
        .post_json(&format!("/v2/acts/{id}/runs?build=0.0.2"), &json!({"n": 1}))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-build");
    assert!(message(&r).contains("FAILED"));
}

#[test]
fn delete_refuses_the_default_and_unfinished_builds() {
    let api = Api::start();
    set_build_duration(&api, 20);
    let id = counter(&api);
    let first = build(&api, &id, "0.0", 60);
    let second = build(&api, &id, "0.0", 60);
    // `second` holds `latest`, the default build.
    let r = api
        .delete(&format!("/v2/actor-builds/{}", sid(&second)))
        .expect(400);
    assert_eq!(r.error_type(), "deleting-default-build");
    set_build_duration(&api, 600_000);
    let pending = build(&api, &id, "0.0", 0);
    let r = api
        .delete(&format!("/v2/actor-builds/{}", sid(&pending)))
        .expect(400);
    assert_eq!(r.error_type(), "deleting-unfinished-build");
    api.delete(&format!("/v2/actor-builds/{}", sid(&first)))
        .expect(204);
    let r = api
        .get(&format!("/v2/actor-builds/{}", sid(&first)))
        .expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    api.delete(&format!("/v2/actor-builds/{}", sid(&first)))
        .expect(404);
    // Re-tagging `latest` to another build frees `second`.
    api.put_json(
        &format!("/v2/acts/{id}"),
        &json!({"taggedBuilds": {"latest": null}}),
    )
    .expect(200);
    api.delete(&format!("/v2/actor-builds/{}", sid(&second)))
        .expect(204);
    let list = api.get(&format!("/v2/acts/{id}/builds")).expect(200).data();
    assert_eq!(list["total"], 1);
    // The built-in Actors' builds stay.
    let hello = api
        .get("/v2/acts/apify~hello-world/builds/default")
        .expect(200)
        .data();
    let r = api
        .delete(&format!("/v2/actor-builds/{}", sid(&hello)))
        .expect(403);
    assert_eq!(r.error_type(), "insufficient-permissions");
}

#[test]
fn the_openapi_document_describes_running_the_build() {
    let api = Api::start();
    set_build_duration(&api, 20);
    let id = counter(&api);
    let b = build(&api, &id, "0.0", 60);
    let doc = api
        .get(&format!("/v2/actor-builds/{}/openapi.json", sid(&b)))
        .expect(200)
        .json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["version"], "0.0.1");
    assert_eq!(doc["info"]["title"], "Counter");
    assert_eq!(doc["servers"][0]["url"], format!("{}/v2", api.base));
    let input = &doc["components"]["schemas"]["inputSchema"];
    assert_eq!(input["required"], json!(["n"]));
    assert_eq!(input["properties"]["n"]["maximum"], 5);
    assert!(input["properties"]["n"].get("editor").is_none());
    for path in ["runs", "run-sync", "run-sync-get-dataset-items"] {
        let op = &doc["paths"][format!("/acts/emulator~counter/{path}")]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/inputSchema",
            "{path}"
        );
    }
    // The Actor-scoped route, by id and as `default`, answers the same document.
    for which in [sid(&b), "default".to_string()] {
        let other = api
            .get(&format!("/v2/acts/{id}/builds/{which}/openapi.json"))
            .expect(200)
            .json();
        assert_eq!(other, doc);
    }
    // The build's id is its credential: no token needed for it and its document.
    let anon = api.with_token(None);
    let open = anon
        .get(&format!("/v2/actor-builds/{}", sid(&b)))
        .expect(200)
        .data();
    assert_eq!(open["id"], b["id"]);
    assert!(open.get("usageTotalUsd").is_none());
    anon.get(&format!("/v2/actor-builds/{}/openapi.json", sid(&b)))
        .expect(200);
    anon.get(&format!("/v2/actor-builds/{}/log", sid(&b)))
        .expect(401);
    anon.get("/v2/actor-builds/AAAAAAAAAAAAAAAAA").expect(401);
    api.get("/v2/actor-builds/AAAAAAAAAAAAAAAAA/openapi.json")
        .expect(404);
}

// ---------------------------------------------------------------- environment variables

#[test]
fn env_vars_are_listed_created_changed_and_deleted_and_secrets_stay_hidden() {
    let api = Api::start();
    let id = counter(&api);
    let base = format!("/v2/acts/{id}/versions/0.0/env-vars");
    let list = api.get(&base).expect(200).data();
    assert_eq!(list, json!({"total": 0, "items": []}));
    let r = api
        .post_json(&base, &json!({"name": "DOMAIN", "value": "example.com"}))
        .expect(201);
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/v2/actors/{id}/versions/0.0/env-vars/DOMAIN", api.base)
    );
    assert_eq!(r.data(), json!({"name": "DOMAIN", "value": "example.com"}));
    let secret = api
        .post_json(
            &base,
            &json!({"name": "PASSWORD", "value": "hunter2", "isSecret": true}),
        )
        .expect(201)
        .data();
    assert_eq!(secret, json!({"name": "PASSWORD", "isSecret": true}));
    // The secret value shows nowhere: not in the variable, the list, the version, the Actor.
    let got = api.get(&format!("{base}/PASSWORD")).expect(200).data();
    assert!(got.get("value").is_none());
    for path in [
        base.clone(),
        format!("/v2/acts/{id}/versions/0.0"),
        format!("/v2/acts/{id}/versions"),
        format!("/v2/acts/{id}"),
    ] {
        let text = api.get(&path).expect(200).text();
        assert!(!text.contains("hunter2"), "{path}: {text}");
        assert!(text.contains("PASSWORD"), "{path}");
    }
    // Update: the fields given change; PUT and its POST alias.
    let v = api
        .put_json(&format!("{base}/DOMAIN"), &json!({"value": "apify.com"}))
        .expect(200)
        .data();
    assert_eq!(v["value"], "apify.com");
    let v = api
        .post_json(&format!("{base}/DOMAIN"), &json!({"isSecret": true}))
        .expect(200)
        .data();
    assert_eq!(v, json!({"name": "DOMAIN", "isSecret": true}));
    // Refused: duplicates, renames, bad names and values, missing ones.
    let r = api
        .post_json(&base, &json!({"name": "DOMAIN", "value": "x"}))
        .expect(400);
    assert_eq!(r.error_type(), "env-var-already-exists");
    let r = api
        .put_json(&format!("{base}/DOMAIN"), &json!({"name": "HOST"}))
        .expect(400);
    assert_eq!(r.error_type(), "cannot-rename-env-var");
    for (body, needle) in [
        (json!({"name": "2BAD", "value": "x"}), "2BAD"),
        (json!({"name": "A-B", "value": "x"}), "A-B"),
        (json!({"name": "OK"}), "value"),
        (json!({"name": "OK", "value": 5}), "value"),
        (
            json!({"name": "OK", "value": "x", "isSecret": "yes"}),
            "isSecret",
        ),
        (json!({"value": "x"}), "name"),
    ] {
        let r = api.post_json(&base, &body).expect(400);
        assert_eq!(r.error_type(), "invalid-value", "{body}");
        assert!(message(&r).contains(needle), "{body}: {}", r.text());
    }
    let r = api.get(&format!("{base}/NOPE")).expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    api.get(&format!("/v2/acts/{id}/versions/9.9/env-vars"))
        .expect(404);
    // Delete.
    api.delete(&format!("{base}/DOMAIN")).expect(204);
    api.delete(&format!("{base}/DOMAIN")).expect(404);
    let list = api.get(&base).expect(200).data();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "PASSWORD");
    // A whole version's list is checked the same way.
    let r = api
        .put_json(
            &format!("/v2/acts/{id}/versions/0.0"),
            &json!({"envVars": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "env-var-already-exists");
    // The built-in Actors' variables are read-only.
    let r = api
        .post_json(
            "/v2/acts/apify~hello-world/versions/0.0/env-vars",
            &json!({"name": "X", "value": "1"}),
        )
        .expect(403);
    assert_eq!(r.error_type(), "insufficient-permissions");
}

#[test]
fn post_on_a_version_updates_it() {
    let api = Api::start();
    let id = counter(&api);
    let v = api
        .post_json(
            &format!("/v2/acts/{id}/versions/0.1"),
            &json!({"buildTag": "next", "applyEnvVarsToBuild": true}),
        )
        .expect(200)
        .data();
    assert_eq!(v["buildTag"], "next");
    assert_eq!(v["applyEnvVarsToBuild"], true);
    assert_eq!(v["versionNumber"], "0.1");
    let again = api
        .get(&format!("/v2/acts/{id}/versions/0.1"))
        .expect(200)
        .data();
    assert_eq!(again, v);
    let r = api
        .post_json(
            &format!("/v2/acts/{id}/versions/0.1"),
            &json!({"versionNumber": "0.2"}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-value");
}
