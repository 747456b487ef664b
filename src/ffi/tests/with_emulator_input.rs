//! Inputs checked against the input schema through the C ABI, against the emulator:
//! `apify_actor_validate_input` (every problem in the report, `inputReport` in the last error,
//! the out-parameter left alone), and the start options' `validateInput`, which starts nothing
//! for an invalid input.

use super::helpers::*;
use super::live::*;

const BAD: &str = r#"{"count": -5, "outcome": "MAYBE", "itemBytes": "ten"}"#;

/// `apify_actor_validate_input`: the report text, or the status (out-parameter untouched).
fn validate(
    c: *const apify_client,
    actor: &str,
    input: Option<&str>,
    options: Option<&str>,
) -> Result<String, apify_status> {
    run_text(apify_actor_validate_input, c, actor, input, options)
}

/// The journal's `(method, path)` pairs, oldest first.
fn requests(c: *const apify_client) -> Vec<(String, String)> {
    let v = request_json(c, "GET", "/_emulator/requests", None);
    let list = v
        .as_array()
        .or_else(|| v["data"].as_array())
        .unwrap()
        .clone();
    list.iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn clear(c: *const apify_client) {
    request(c, "DELETE", "/_emulator/requests", None, None).unwrap();
}

/// The last error of a refused input: INVALID_INPUT naming each field, with its report.
#[track_caller]
fn expect_invalid(status: apify_status, fields: &[&str]) -> Value {
    let json = expect_failure(
        status,
        APIFY_STATUS_INVALID_INPUT,
        "the input is not valid for",
    );
    let report = &json["inputReport"];
    assert_eq!(report["valid"], false, "{json}");
    let got: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(got, fields, "{json}");
    let message = json["message"].as_str().unwrap();
    for field in fields {
        assert!(message.contains(&format!("{field}: ")), "{message}");
    }
    assert_eq!(json["sent"], false, "{json}");
    json
}

#[test]
fn validate_input_reports_every_problem() {
    let live = Live::new();
    let c = live.client;
    let st = validate(c, GENERATOR, Some(BAD), None).unwrap_err();
    let json = expect_invalid(st, &["count", "itemBytes", "outcome"]);
    assert_eq!(
        json["inputReport"]["errors"][0],
        json!({"pointer": "/count", "field": "count", "expected": ">= 0", "given": "-5",
               "message": "must be >= 0, got -5"})
    );
    let ok = validate(
        c,
        GENERATOR,
        Some(r#"{"count": 2}"#),
        Some(r#"{"build": "latest"}"#),
    );
    assert_eq!(ok.unwrap(), r#"{"valid":true,"errors":[]}"#);
    assert_eq!(
        validate(c, GENERATOR, None, None).unwrap(),
        r#"{"valid":true,"errors":[]}"#
    );
    // Other failures carry no report.
    let st = validate(c, GENERATOR, Some(BAD), Some(r#"{"build": "nope"}"#)).unwrap_err();
    let json = expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "no build tagged 'nope'");
    assert_eq!(json["inputReport"], Value::Null);
    let st = validate(c, "nobody/nothing", Some(BAD), None).unwrap_err();
    expect_failure(st, APIFY_STATUS_NOT_FOUND, "");
    let st = validate(c, GENERATOR, Some(BAD), Some(r#"{"remote": "yes"}"#)).unwrap_err();
    expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "'remote'");

    // The schema is read once per client: later checks read only the Actor.
    clear(c);
    for _ in 0..3 {
        validate(c, GENERATOR, Some(BAD), None).unwrap_err();
    }
    let builds = requests(c)
        .iter()
        .filter(|r| r.1.starts_with("/v2/actor-builds/"))
        .count();
    assert_eq!(builds, 0, "the build was read before and kept");

    // The server's check: the emulator's validate-input names the same fields.
    clear(c);
    let remote = Some(r#"{"remote": true, "build": "latest"}"#);
    let st = validate(c, GENERATOR, Some(BAD), remote).unwrap_err();
    expect_invalid(st, &["count", "itemBytes", "outcome"]);
    let ok = validate(c, GENERATOR, Some(r#"{"count": 2}"#), remote);
    assert_eq!(ok.unwrap(), r#"{"valid":true,"errors":[]}"#);
    let seen = requests(c);
    let posts = seen
        .iter()
        .filter(|r| {
            *r == &(
                "POST".into(),
                "/v2/actors/emulator~generator/validate-input".into(),
            )
        })
        .count();
    assert_eq!(posts, 2, "{seen:?}");
}

#[test]
fn validate_input_option_starts_nothing_for_an_invalid_input() {
    let live = Live::new();
    let c = live.client;
    let check = Some(r#"{"validateInput": true}"#);
    let task = request_json(
        c,
        "POST",
        "/v2/actor-tasks",
        Some(
            r#"{"actId": "emulator~generator", "name": "ffi-schema-task", "input": {"count": 1}}"#,
        ),
    );
    let task_id = task["data"]["id"].as_str().unwrap().to_owned();
    clear(c);
    let fields = ["count", "itemBytes", "outcome"];
    for f in [
        apify_actor_start,
        apify_actor_call,
        apify_actor_run_sync_get_items,
    ] {
        expect_invalid(
            run_text(f, c, GENERATOR, Some(BAD), check).unwrap_err(),
            &fields,
        );
    }
    let r = run_sync_record(apify_actor_run_sync, c, GENERATOR, Some(BAD), check);
    expect_invalid(r.unwrap_err(), &fields);
    let st = run_text(
        apify_task_start,
        c,
        &task_id,
        Some(r#"{"outcome": "MAYBE"}"#),
        check,
    )
    .unwrap_err();
    expect_invalid(st, &["outcome"]);
    let seen = requests(c);
    assert!(seen.iter().all(|(m, _)| m == "GET"), "{seen:?}");

    // A valid input starts as usual.
    let run = run_json(
        apify_actor_call,
        c,
        GENERATOR,
        Some(r#"{"count": 2}"#),
        check,
    );
    assert_eq!(run["status"], "SUCCEEDED");
    let items = run_json(apify_task_run_sync_get_items, c, &task_id, None, check);
    assert_eq!(items.as_array().unwrap().len(), 1);
}
