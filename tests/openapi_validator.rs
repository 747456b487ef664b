//! The response checker of the emulator tests (`tests/common/openapi.rs`): deliberately wrong
//! bodies fail with a message naming the operation and each problem's JSON pointer, and each
//! named spec defect is real. (Routing and the whole document: `tests/openapi_copy.rs`.)

// tests/common/ starts emulators.
#![cfg(feature = "emulator")]

mod common;

use std::path::PathBuf;

use common::openapi::{apply_defects, Defect, Spec, Validator, SPEC_DEFECTS};
use serde_json::{json, Value};

fn spec() -> &'static Spec {
    Spec::get()
}

const RUN_PATH: &str = "/v2/acts/apify~hello-world/runs";

fn good_run() -> Value {
    json!({
        "id": "HG7ML7M8z78YcAPEB",
        "actId": "HDSasDasz78YcAPEB",
        "userId": "7sT5jcggjjA9fNcxF",
        "actorTaskId": null,
        "startedAt": "2019-11-30T07:34:24.202Z",
        "finishedAt": null,
        "status": "RUNNING",
        "statusMessage": null,
        "meta": { "origin": "API", "userAgent": "libapify" },
        "stats": { "inputBodyLen": 240, "restartCount": 0, "computeUnits": 0.0 },
        "options": { "build": "latest", "timeoutSecs": 300, "memoryMbytes": 1024, "diskMbytes": 2048 },
        "buildId": "7sT5jcggjjA9fNcxF",
        "buildNumber": "0.0.36",
        "exitCode": null,
        "defaultKeyValueStoreId": "eJNzqsbPiopwJcgGQ",
        "defaultDatasetId": "wmKPijuyDnPZAPRMk",
        "defaultRequestQueueId": "FL35cSF7jrxr3BY39",
        "generalAccess": "RESTRICTED",
        "usage": null,
        "chargedEventCounts": { "actor-start": 1 }
    })
}

/// The error for a run body that breaks the schema of POST /v2/acts/{actorId}/runs.
fn run_error(run: Value) -> String {
    spec()
        .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
        .unwrap_err()
}

fn assert_has(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "`{p}` not in:\n{err}");
    }
}

// ----- deliberately wrong bodies -----------------------------------------------------------------

#[test]
fn accepts_good_run() {
    let s = spec();
    let body = json!({ "data": good_run() });
    assert_eq!(s.validate_response("POST", RUN_PATH, 201, &body), Ok(true));
    assert_eq!(
        s.validate_response("GET", "/v2/actor-runs/HG7ML7M8z78YcAPEB", 200, &body),
        Ok(true)
    );
    assert_eq!(
        s.validate_response("GET", "/v2/actors/X/runs/last", 200, &body),
        Ok(true)
    );
}

#[test]
fn rejects_missing_required_field() {
    let mut run = good_run();
    run.as_object_mut().unwrap().remove("defaultDatasetId");
    let err = run_error(run);
    assert_has(
        &err,
        &[
            "`actors_runs_post`",
            "status 201",
            "at '/data' [S#/components/schemas/Run/required]",
            "missing properties 'defaultDatasetId'",
        ],
    );
    // The `{"data": ...}` wrapper itself.
    let err = spec()
        .validate_response("POST", RUN_PATH, 201, &good_run())
        .unwrap_err();
    assert_has(&err, &["at ''", "missing properties 'data'"]);
}

#[test]
fn rejects_wrong_type() {
    let mut run = good_run();
    run["options"]["timeoutSecs"] = json!("300");
    let err = run_error(run);
    assert_has(
        &err,
        &[
            "at '/data/options/timeoutSecs'",
            "want integer, but got string",
        ],
    );
    // An integer has no fractional part: 300.0 is one, 300.5 is not.
    let mut run = good_run();
    run["options"]["timeoutSecs"] = json!(300.0);
    let body = json!({ "data": run });
    assert_eq!(
        spec().validate_response("POST", RUN_PATH, 201, &body),
        Ok(true)
    );
    let mut run = good_run();
    run["options"]["timeoutSecs"] = json!(300.5);
    assert_has(&run_error(run), &["at '/data/options/timeoutSecs'"]);
    // minimum / maximum
    let mut run = good_run();
    run["options"]["memoryMbytes"] = json!(64);
    assert_has(&run_error(run), &["must be >=128, but got 64"]);
    let mut run = good_run();
    run["options"]["memoryMbytes"] = json!(65536);
    assert_has(&run_error(run), &["must be <=32768, but got 65536"]);
}

#[test]
fn rejects_bad_enum_value() {
    let s = spec();
    let mut run = good_run();
    run["status"] = json!("DONE");
    let err = s
        .validate_response("GET", "/v2/actor-runs/x", 200, &json!({ "data": run }))
        .unwrap_err();
    assert_has(
        &err,
        &[
            "`actorRun_get`",
            "at '/data/status' [S#/components/schemas/ActorJobStatus/enum]",
            "value must be one of 'READY', 'RUNNING'",
        ],
    );
    let mut run = good_run();
    run["generalAccess"] = json!("EVERYONE");
    let r = s.validate_response("GET", "/v2/actor-runs/x", 200, &json!({ "data": run }));
    assert!(r.is_err_and(|e| e.contains("at '/data/generalAccess'")));
}

#[test]
fn null_only_where_the_spec_allows_it() {
    let s = spec();
    // `["string", "null"]`: null accepted.
    let mut run = good_run();
    run["statusMessage"] = Value::Null;
    let body = json!({ "data": run });
    assert_eq!(s.validate_response("POST", RUN_PATH, 201, &body), Ok(true));
    // `"string"`: null refused.
    let mut run = good_run();
    run["defaultDatasetId"] = Value::Null;
    assert_has(
        &run_error(run),
        &["at '/data/defaultDatasetId'", "want string, but got null"],
    );
    // anyOf [RunUsage, null]: null accepted, a string refused.
    let mut run = good_run();
    run["usage"] = json!("lots");
    assert_has(&run_error(run), &["at '/data/usage'", "anyOf failed"]);
}

/// OpenAPI 3.0 writes a nullable field as `nullable: true`; it is read as a type union.
#[test]
fn openapi_3_0_nullable() {
    let doc = json!({
        "openapi": "3.0.3",
        "paths": {},
        "components": { "schemas": {
            "Thing": { "type": "object", "properties": {
                "name": { "type": "string", "nullable": true },
                "kind": { "type": "string", "enum": ["a", "b"], "nullable": true },
                "size": { "type": "integer" }
            } }
        } }
    });
    let mut v = Validator::new(&doc);
    let thing = "/components/schemas/Thing";
    let ok = json!({ "name": null, "kind": null, "size": 1 });
    assert_eq!(v.validate_at(thing, &ok), Ok(()));
    let err = v.validate_at(thing, &json!({ "size": null })).unwrap_err();
    assert_has(&err, &["at '/size'", "want integer, but got null"]);
    let err = v.validate_at(thing, &json!({ "name": 5 })).unwrap_err();
    assert_has(&err, &["at '/name'", "want null or string, but got number"]);
    let err = v.validate_at(thing, &json!({ "kind": "c" })).unwrap_err();
    assert_has(&err, &["at '/kind'", "value must be one of 'a', 'b', null"]);
}

#[test]
fn rejects_bad_pattern() {
    let mut run = good_run();
    run["buildNumber"] = json!("0.0");
    assert_has(
        &run_error(run),
        &["at '/data/buildNumber'", "does not match pattern"],
    );
}

#[test]
fn one_of_with_const_discriminated_branches() {
    let mut v = spec().validator();
    let pricing = "/components/schemas/ActorRunPricingInfo";
    let ppe = json!({
        "pricingModel": "PAY_PER_EVENT",
        "apifyMarginPercentage": 0.2,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "startedAt": "2024-01-01T00:00:00.000Z",
        "pricingPerEvent": { "actorChargeEvents": {
            "actor-start": { "eventTitle": "Start", "eventDescription": "Run started", "eventPriceUsd": 0.01 }
        } }
    });
    assert_eq!(v.validate_at(pricing, &ppe), Ok(()));
    let free = json!({
        "pricingModel": "FREE",
        "apifyMarginPercentage": 0,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "startedAt": "2024-01-01T00:00:00.000Z"
    });
    assert_eq!(v.validate_at(pricing, &free), Ok(()));
    let mut bad = free.clone();
    bad["pricingModel"] = json!("BOGUS");
    assert_has(
        &v.validate_at(pricing, &bad).unwrap_err(),
        &["oneOf failed, none matched"],
    );
    // Inside a run, with the pointer.
    let mut run = good_run();
    run["pricingInfo"] = bad;
    assert_has(&run_error(run), &["at '/data/pricingInfo'"]);
}

#[test]
fn additional_properties_false_and_schema() {
    let s = spec();
    // POST /v2/actor-runs/{runId}/charge -> 201 {"type":"object","additionalProperties":false}
    let p = "/v2/actor-runs/R/charge";
    assert_eq!(s.validate_response("POST", p, 201, &json!({})), Ok(true));
    let err = s
        .validate_response("POST", p, 201, &json!({ "ok": true }))
        .unwrap_err();
    assert_has(&err, &["additionalProperties 'ok' not allowed"]);
    // chargedEventCounts: additionalProperties {type: integer}
    let mut run = good_run();
    run["chargedEventCounts"] = json!({ "a": 1, "b/c": "x" });
    assert_has(&run_error(run), &["at '/data/chargedEventCounts/b~1c'"]);
}

#[test]
fn list_and_error_responses() {
    let s = spec();
    let list = json!({ "data": {
        "total": 1, "offset": 0, "limit": 1000, "desc": false, "count": 1,
        "items": [ {
            "id": "a", "actId": "b", "status": "SUCCEEDED", "startedAt": "2019-11-30T07:34:24.202Z",
            "buildId": "c", "meta": { "origin": "WEB" }, "usageTotalUsd": 0.1,
            "defaultKeyValueStoreId": "d", "defaultDatasetId": "e", "defaultRequestQueueId": "f"
        } ]
    } });
    assert_eq!(
        s.validate_response("GET", "/v2/acts/X/runs", 200, &list),
        Ok(true)
    );
    let mut bad = list.clone();
    bad["data"]["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("usageTotalUsd");
    let err = s
        .validate_response("GET", "/v2/actor-runs", 200, &bad)
        .unwrap_err();
    assert_has(
        &err,
        &[
            "`actorRuns_get`",
            "at '/data/items/0'",
            "missing properties 'usageTotalUsd'",
        ],
    );
    // Error bodies come from `#/components/responses/NotFound`, a `$ref`ed response.
    let e =
        json!({ "error": { "type": "record-not-found", "message": "Actor run was not found" } });
    assert_eq!(
        s.validate_response("GET", "/v2/actor-runs/nope", 404, &e),
        Ok(true)
    );
    let e = json!({ "error": { "type": "no-such-error-type", "message": "x" } });
    let err = s
        .validate_response("GET", "/v2/actor-runs/nope", 404, &e)
        .unwrap_err();
    assert_has(&err, &["status 404", "at '/error/type'"]);
}

#[test]
fn ok_false_when_nothing_to_validate() {
    let s = spec();
    let body = json!({});
    // No such operation.
    assert_eq!(
        s.validate_response("GET", "/v2/nope", 200, &body),
        Ok(false)
    );
    // Status not documented and no 2XX/default entry.
    assert_eq!(
        s.validate_response("GET", "/v2/actor-runs/x", 299, &body),
        Ok(false)
    );
    // 204 has no content.
    assert_eq!(
        s.validate_response("DELETE", "/v2/datasets/x", 204, &body),
        Ok(false)
    );
    // Only text/plain content (log).
    assert_eq!(
        s.validate_response("GET", "/v2/actor-runs/x/log", 200, &body),
        Ok(false)
    );
}

/// An inline document: "2XX" and "default" entries, a `$ref`ed response, a media type with
/// parameters, and a recursive schema.
fn inline_spec() -> Spec {
    let doc = json!({
        "openapi": "3.1.0",
        "paths": { "/v2/thing/{id}": { "get": {
            "operationId": "thing_get",
            "responses": {
                "2XX": { "content": { "application/json; charset=utf-8": { "schema": { "type": "object", "required": ["a"] } } } },
                "default": { "$ref": "#/components/responses/Err" }
            }
        } },
        "/v2/tree": { "get": {
            "operationId": "tree_get",
            "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Tree" } } } } }
        } } },
        "components": {
            "responses": { "Err": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/E" } } } } },
            "schemas": {
                "E": { "type": "object", "required": ["error"] },
                "Tree": { "type": "object", "properties": { "children": { "type": "array", "items": { "$ref": "#/components/schemas/Tree" } } } }
            }
        }
    });
    Spec::from_value_as_is(doc, PathBuf::from("<inline>"))
}

#[test]
fn status_fallbacks_2xx_and_default() {
    let s = inline_spec();
    let get = |status, body: Value| s.validate_response("GET", "/v2/thing/1", status, &body);
    assert_eq!(get(200, json!({ "a": 1 })), Ok(true));
    assert!(get(201, json!({})).is_err_and(|e| e.contains("\"2XX\"")));
    assert_eq!(get(500, json!({ "error": 1 })), Ok(true));
    assert!(get(404, json!({})).is_err_and(|e| e.contains("missing properties 'error'")));
}

#[test]
fn recursive_refs() {
    let s = inline_spec();
    let tree = json!({ "children": [ { "children": [ { "children": [] } ] }, {} ] });
    assert_eq!(s.validate_response("GET", "/v2/tree", 200, &tree), Ok(true));
    let bad = json!({ "children": [ { "children": 5 } ] });
    let err = s
        .validate_response("GET", "/v2/tree", 200, &bad)
        .unwrap_err();
    assert_has(
        &err,
        &["at '/children/0/children'", "want array, but got number"],
    );
}

#[test]
fn unresolvable_ref_is_named() {
    let doc = json!({ "openapi": "3.1.0", "paths": {}, "components": { "schemas": {
        "A": { "$ref": "#/components/schemas/NoSuch" }
    } } });
    let err = Validator::new(&doc)
        .validate_at("/components/schemas/A", &json!(1))
        .unwrap_err();
    assert_has(&err, &["does not compile", "NoSuch"]);
}

#[test]
fn dataset_items_and_records() {
    let s = spec();
    let items = json!([ { "foo": "bar" }, { "n": 1 } ]);
    for (m, p) in [
        ("GET", "/v2/datasets/X/items"),
        ("POST", "/v2/acts/X/run-sync-get-dataset-items"),
    ] {
        let status = if m == "GET" { 200 } else { 201 };
        assert_eq!(
            s.validate_response(m, p, status, &items),
            Ok(true),
            "{m} {p}"
        );
    }
    // The spec types dataset items as objects only.
    let err = s
        .validate_response("GET", "/v2/datasets/X/items", 200, &json!([{}, 1]))
        .unwrap_err();
    assert_has(&err, &["at '/1'", "want object, but got number"]);
}

// ----- the named spec defects ----------------------------------------------------------------

/// Each defect is still in the spec (the published schema refuses what the API answers) and the
/// replacement accepts it while still checking the rest.
#[test]
fn each_spec_defect_is_real_and_replaced() {
    let text = std::fs::read_to_string(common::openapi::reduced_copy_path()).unwrap();
    let as_published = Spec::from_value_as_is(serde_json::from_str(&text).unwrap(), "copy".into());
    let s = spec();
    let dataset = json!({
        "id": "d", "name": null, "userId": "u", "createdAt": "2024-01-01T00:00:00.000Z",
        "modifiedAt": "2024-01-01T00:00:00.000Z", "accessedAt": "2024-01-01T00:00:00.000Z",
        "itemCount": 0, "cleanItemCount": 0
    });
    let list = json!({ "data": {
        "total": 1, "offset": 0, "limit": 1000, "desc": false, "count": 1, "items": [dataset]
    } });
    let items = json!([{ "message": "from task" }]);
    let cases = [
        (
            "unnamed-dataset-name-null",
            "GET",
            "/v2/datasets",
            200,
            list,
        ),
        (
            "json-record-any-value",
            "GET",
            "/v2/actor-runs/R/key-value-store/records/OUTPUT",
            200,
            json!([1, 2]),
        ),
        (
            "task-sync-items-get-is-array",
            "GET",
            "/v2/actor-tasks/T/run-sync-get-dataset-items",
            201,
            items.clone(),
        ),
        (
            "task-sync-items-post-is-array",
            "POST",
            "/v2/actor-tasks/T/run-sync-get-dataset-items",
            201,
            items,
        ),
    ];
    let names: Vec<&str> = SPEC_DEFECTS.iter().map(|d| d.name).collect();
    assert_eq!(names, cases.iter().map(|c| c.0).collect::<Vec<_>>());
    for (name, m, p, status, body) in &cases {
        let published = as_published.validate_response(m, p, *status, body);
        assert!(
            published.is_err(),
            "{name}: the published spec accepts it: {published:?}"
        );
        assert_eq!(s.validate_response(m, p, *status, body), Ok(true), "{name}");
    }
    // Only the defect is let through: a listing's other fields are still checked.
    let mut bad = cases[0].4.clone();
    bad["data"]["items"][0]["itemCount"] = json!("0");
    let err = s
        .validate_response("GET", "/v2/datasets", 200, &bad)
        .unwrap_err();
    assert_has(&err, &["at '/data/items/0/itemCount'"]);
    let err = s
        .validate_response(
            "GET",
            "/v2/actor-tasks/T/run-sync-get-dataset-items",
            201,
            &json!({}),
        )
        .unwrap_err();
    assert_has(&err, &["want array, but got object"]);
}

/// A defect entry that no longer matches the spec (fixed or moved upstream) is an error naming it.
#[test]
fn a_stale_defect_entry_is_named() {
    let mut doc = spec().doc().clone();
    let fixed = Defect {
        name: "some-fixed-defect",
        why: "test",
        pointer: "/components/schemas/Run/properties/id",
        spec_says: r#"{"type": "integer"}"#,
        instead: "{}",
    };
    let err = apply_defects(&mut doc, &[fixed]).unwrap_err();
    assert_has(
        &err,
        &[
            "`some-fixed-defect`",
            "#/components/schemas/Run/properties/id",
        ],
    );
    let gone = Defect {
        name: "some-fixed-defect",
        why: "test",
        pointer: "/components/schemas/NoSuch",
        spec_says: r#"{"type": "integer"}"#,
        instead: "{}",
    };
    let err = apply_defects(&mut doc, &[gone]).unwrap_err();
    assert_has(
        &err,
        &[
            "`some-fixed-defect`",
            "nothing at #/components/schemas/NoSuch",
        ],
    );
}

/// The emulator tests' client really runs the check: a JSON answer of the emulator counts as
/// validated.
#[test]
fn the_test_client_validates_emulator_answers() {
    use std::sync::atomic::Ordering;
    let api = common::Api::start();
    let before = common::VALIDATED.load(Ordering::Relaxed);
    let me = api.get("/v2/users/me").expect(200).data();
    assert!(me["id"].is_string(), "{me}");
    assert!(common::VALIDATED.load(Ordering::Relaxed) > before);
}
