//! Inputs checked against an Actor's input schema before anything starts: every problem at its
//! pointer, defaults, builds by tag and number, tasks, the compiled schema kept per client,
//! `StartOptions::validate_input` on every kind of start (the journal shows no start request),
//! and the server's check (`validate-input`): the emulator's agrees with the local one, and a
//! stub server answers as the platform documents it.
#![cfg(feature = "emulator")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use apify::{CallOptions, Client, Error, ItemsOptions, StartOptions, WaitOptions};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{setup, support};

const GENERATOR: &str = "emulator/generator";

/// The emulator's journal: `(method, path)` of each request, oldest first.
fn journal(client: &Client) -> Vec<(String, String)> {
    let v = support(client, "GET", "/_emulator/requests", None);
    let list = v.as_array().or_else(|| v["data"].as_array()).unwrap();
    list.iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn clear_journal(client: &Client) {
    support(client, "DELETE", "/_emulator/requests", None);
}

fn bad_input() -> Value {
    json!({"count": -5, "outcome": "MAYBE", "itemBytes": "ten"})
}

#[test]
fn the_generator_schema_reports_every_problem() {
    let (_emu, client) = setup();
    let actor = client.actor(GENERATOR);
    let report = actor.validate_input(&bad_input()).unwrap();
    assert!(!report.valid);
    let rows: Vec<(String, &str, &str, &str)> = report
        .errors
        .iter()
        .map(|p| {
            (
                p.field(),
                p.pointer.as_str(),
                p.expected.as_str(),
                p.given.as_str(),
            )
        })
        .collect();
    // The generator's schema: count is an integer with minimum 0, itemBytes an integer,
    // outcome one of SUCCEEDED and FAILED.
    assert_eq!(
        rows,
        [
            ("count".to_string(), "/count", ">= 0", "-5"),
            ("itemBytes".to_string(), "/itemBytes", "integer", "\"ten\""),
            (
                "outcome".to_string(),
                "/outcome",
                "one of \"SUCCEEDED\", \"FAILED\"",
                "\"MAYBE\""
            ),
        ]
    );
    assert_eq!(
        serde_json::to_value(&report).unwrap()["errors"][0],
        json!({"pointer": "/count", "field": "count", "expected": ">= 0", "given": "-5",
               "message": "must be >= 0, got -5"})
    );
    // Defaults fill what was not given; what was given stays.
    let input = report.input.as_ref().unwrap();
    assert_eq!(input["logLines"], 3);
    assert_eq!(input["count"], -5);

    let ok = actor
        .validate_input(&json!({"count": 3, "outcome": "FAILED"}))
        .unwrap();
    assert!(ok.valid, "{ok:?}");
    assert_eq!(
        serde_json::to_value(&ok).unwrap(),
        json!({"valid": true, "errors": []})
    );
    assert_eq!(ok.input.as_ref().unwrap()["itemBytes"], 0);
    // No input at all: the defaults.
    let none = actor.validate_input(&Value::Null).unwrap();
    assert!(none.valid);
    assert_eq!(none.input.unwrap()["count"], 10);
    // Not an object: refused before any request.
    let e = actor.validate_input(&json!([1])).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");

    let hello = client.actor("apify/hello-world");
    let report = hello.validate_input(&json!({"message": 5})).unwrap();
    assert_eq!(report.summary(), "message: must be a string, got 5");
}

#[test]
fn a_valid_input_starts_normally_and_an_invalid_one_starts_nothing() {
    let (_emu, client) = setup();
    let actor = client.actor(GENERATOR);
    let check = StartOptions::default().validate_input(true);
    clear_journal(&client);
    let e = actor.start(&bad_input(), &check).unwrap_err();
    let Error::InvalidInput(report) = &e else {
        panic!("not InvalidInput: {e:?}");
    };
    assert_eq!(report.errors.len(), 3);
    assert_eq!(
        e.to_string(),
        "the input is not valid for emulator/generator: count: must be >= 0, got -5; \
         itemBytes: must be an integer, got \"ten\"; \
         outcome: must be one of \"SUCCEEDED\", \"FAILED\", got \"MAYBE\""
    );
    assert_eq!(e.sent(), Some(apify::Sent::No));
    assert_eq!(e.input_report(), Some(&**report));
    let call = CallOptions::default().start(check.clone());
    let e = actor.call(&bad_input(), &call).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    let e = actor.run_sync(&bad_input(), &check, None).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    let e = actor
        .run_sync_get_items::<Value, _>(&bad_input(), &check, &ItemsOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    let e = actor
        .start_raw(b"count=1", "text/plain", &check)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    let requests = journal(&client);
    assert!(
        requests.iter().all(|(m, _)| m == "GET"),
        "only reads before a refused start: {requests:?}"
    );
    assert!(!requests.is_empty());

    // A valid input starts as usual.
    let run = actor.start(&json!({"count": 2}), &check).unwrap();
    let run = client.run(&run.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(run.status, apify::RunStatus::Succeeded);
    let items: Vec<Value> = actor
        .run_sync_get_items(&json!({"count": 2}), &check, &ItemsOptions::default())
        .unwrap();
    assert_eq!(items.len(), 2);
    // Without the option, the server is the one that refuses (at start).
    let e = actor
        .start(&bad_input(), &StartOptions::default())
        .unwrap_err();
    assert_eq!(e.http_status(), Some(400), "{e}");
}

#[test]
fn the_compiled_schema_is_kept_per_client() {
    let (_emu, client) = setup();
    let actor = client.actor(GENERATOR);
    clear_journal(&client);
    actor.validate_input(&bad_input()).unwrap();
    actor.validate_input(&json!({"count": 1})).unwrap();
    // A clone shares the cache.
    client
        .clone()
        .actor("emulator~generator")
        .validate_input_for_build(&json!({}), Some("latest"))
        .unwrap();
    let requests = journal(&client);
    let builds = requests
        .iter()
        .filter(|(_, p)| p.starts_with("/v2/actor-builds/"))
        .count();
    let actors = requests
        .iter()
        .filter(|(_, p)| p.starts_with("/v2/actors/") || p.starts_with("/v2/acts/"))
        .count();
    assert_eq!((builds, actors), (1, 3), "{requests:?}");
    // Another client reads it again.
    let other = Client::builder()
        .base_url(client.base_url())
        .token(_emu.token())
        .proxy(None)
        .build()
        .unwrap();
    clear_journal(&client);
    other.actor(GENERATOR).validate_input(&json!({})).unwrap();
    let builds = journal(&client)
        .iter()
        .filter(|(_, p)| p.starts_with("/v2/actor-builds/"))
        .count();
    assert_eq!(builds, 1);
}

#[test]
fn builds_by_tag_and_number() {
    let (_emu, client) = setup();
    let actor = client.actor(GENERATOR);
    let number = actor.get().unwrap().unwrap()["taggedBuilds"]["latest"]["buildNumber"]
        .as_str()
        .unwrap()
        .to_string();
    // A number is looked up in the build list.
    let report = actor
        .validate_input_for_build(&bad_input(), Some(&number))
        .unwrap();
    assert_eq!(report.errors.len(), 3);
    let e = actor
        .validate_input_for_build(&bad_input(), Some("9.9.9"))
        .unwrap_err();
    assert!(e.to_string().contains("no build number 9.9.9"), "{e}");
    let e = actor
        .validate_input_for_build(&bad_input(), Some("beta"))
        .unwrap_err();
    assert!(e.to_string().contains("no build tagged 'beta'"), "{e}");
    let e = client
        .actor("nobody/nothing")
        .validate_input(&bad_input())
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[test]
fn a_task_is_checked_with_its_input_under_the_given_one() {
    let (_emu, client) = setup();
    let task = support(
        &client,
        "POST",
        "/v2/actor-tasks",
        Some(json!({"actId": "emulator~generator", "name": "schema-task",
                    "input": {"count": 2, "statusMessage": "from the task"}})),
    );
    let id = task["data"]["id"].as_str().unwrap();
    let task = client.task(id);
    let report = task
        .validate_input(&json!({"outcome": "MAYBE", "statusMessage": 7}))
        .unwrap();
    let fields: Vec<String> = report.errors.iter().map(|p| p.field()).collect();
    assert_eq!(fields, ["outcome", "statusMessage"]);
    let ok = task.validate_input(&json!({"itemBytes": 4})).unwrap();
    assert!(ok.valid, "{ok:?}");
    let input = ok.input.unwrap();
    assert_eq!(
        (
            &input["count"],
            &input["itemBytes"],
            &input["statusMessage"]
        ),
        (&json!(2), &json!(4), &json!("from the task"))
    );
    // A start of the task checks the same way.
    let check = StartOptions::default().validate_input(true);
    clear_journal(&client);
    let e = task.start(&json!({"count": "many"}), &check).unwrap_err();
    assert_eq!(e.input_report().unwrap().errors[0].pointer, "/count");
    assert!(journal(&client).iter().all(|(m, _)| m == "GET"));
    let run = task.start(&Value::Null, &check).unwrap();
    assert!(!run.id.is_empty());
}

/// A one-answer-per-connection HTTP server on 127.0.0.1 that answers every request with
/// `status` and `body`, and keeps each request's head line and body.
struct Stub {
    base_url: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Stub {
    fn start(status: u16, body: Value) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().take(20) {
                let Ok(mut conn) = conn else { return };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut head = String::new();
                reader.read_line(&mut head).unwrap();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                }
                let mut request = vec![0; length];
                reader.read_exact(&mut request).unwrap();
                log.lock()
                    .unwrap()
                    .push((head.trim().to_string(), String::from_utf8(request).unwrap()));
                let text = body.to_string();
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                conn.write_all(answer.as_bytes()).unwrap();
            }
        });
        Stub { base_url, seen }
    }

    fn client(&self) -> Client {
        Client::builder()
            .base_url(&self.base_url)
            .token("stub-token")
            .max_retries(0)
            .proxy(None)
            .build()
            .unwrap()
    }
}

#[test]
fn the_servers_check_is_mapped_to_a_report() {
    let stub = Stub::start(200, json!({"valid": true}));
    let report = stub
        .client()
        .actor(GENERATOR)
        .validate_input_remote_for_build(&json!({"count": 1}), Some("0.0.1"))
        .unwrap();
    assert!(report.valid);
    assert_eq!(report.errors, []);
    let seen = stub.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [(
            "POST /v2/actors/emulator~generator/validate-input?build=0.0.1 HTTP/1.1".to_string(),
            r#"{"count":1}"#.to_string()
        )]
    );

    let refusal = json!({"error": {"type": "invalid-input",
        "message": "Input is not valid: Field input.count must be >= 0; Field input.outcome must be equal to one of the allowed values"}});
    let stub = Stub::start(400, refusal);
    let report = stub
        .client()
        .actor(GENERATOR)
        .validate_input_remote(&bad_input())
        .unwrap();
    assert!(!report.valid);
    let rows: Vec<(String, &str, &str)> = report
        .errors
        .iter()
        .map(|p| (p.field(), p.given.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("count".to_string(), "-5", "must be >= 0"),
            (
                "outcome".to_string(),
                "\"MAYBE\"",
                "must be equal to one of the allowed values"
            ),
        ]
    );
    let detailed = json!({"error": {"type": "invalid-input", "message": "Input is not valid",
        "data": {"errors": [{"instancePath": "/itemBytes", "keyword": "type",
                             "params": {"type": "integer"}, "message": "must be integer"}]}}});
    let stub = Stub::start(400, detailed);
    let report = stub
        .client()
        .actor(GENERATOR)
        .validate_input_remote(&bad_input())
        .unwrap();
    assert_eq!(report.errors.len(), 1);
    assert_eq!(
        (
            report.errors[0].expected.as_str(),
            report.errors[0].given.as_str()
        ),
        ("integer", "\"ten\"")
    );
    // Other refusals are errors.
    let other = json!({"error": {"type": "record-not-found", "message": "Actor was not found"}});
    let stub = Stub::start(404, other);
    let e = stub
        .client()
        .actor(GENERATOR)
        .validate_input_remote(&bad_input())
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

/// A user Actor of the emulator whose version's input schema is `schema`, built once.
fn user_actor(client: &Client, name: &str, schema: &Value) -> String {
    let version = |schema: &Value| {
        let definition = json!({"actorSpecification": 1, "name": name, "version": "0.0",
                                "emulatorProgram": "generator", "input": schema});
        json!({"versionNumber": "0.0", "sourceType": "SOURCE_FILES", "buildTag": "latest",
               "sourceFiles": [{"name": ".actor/actor.json", "format": "TEXT",
                                "content": definition.to_string()}]})
    };
    let actor = support(
        client,
        "POST",
        "/v2/acts",
        Some(json!({"name": name, "versions": [version(schema)]})),
    );
    let id = actor["data"]["id"].as_str().unwrap().to_string();
    build(client, &id);
    id
}

/// Builds version 0.0 of an Actor (moving `latest`); its build number.
fn build(client: &Client, id: &str) -> String {
    let path = format!("/v2/acts/{id}/builds");
    let b = client
        .request(
            "POST",
            &path,
            &[("version", "0.0"), ("waitForFinish", "60")],
            None,
        )
        .unwrap();
    b["data"]["buildNumber"].as_str().unwrap().to_string()
}

#[test]
fn each_build_has_its_own_schema() {
    let (_emu, client) = setup();
    let schema = |max: u64| {
        json!({"title": "n", "type": "object", "schemaVersion": 1,
               "properties": {"n": {"title": "N", "type": "integer", "maximum": max,
                                    "editor": "number"}},
               "required": ["n"]})
    };
    let id = user_actor(&client, "schema-builds", &schema(5));
    let version = json!({"sourceFiles": [{"name": ".actor/actor.json", "format": "TEXT",
        "content": json!({"actorSpecification": 1, "name": "schema-builds", "version": "0.0",
                          "input": schema(10)}).to_string()}]});
    support(
        &client,
        "PUT",
        &format!("/v2/acts/{id}/versions/0.0"),
        Some(version),
    );
    let second = build(&client, &id);
    let actor = client.actor(&id);
    let input = json!({"n": 7});
    assert!(actor.validate_input(&input).unwrap().valid);
    assert!(
        actor
            .validate_input_for_build(&input, Some(&second))
            .unwrap()
            .valid
    );
    let first = actor
        .validate_input_for_build(&input, Some("0.0.1"))
        .unwrap();
    assert_eq!(first.summary(), "n: must be <= 5, got 7");
    let missing = actor.validate_input(&json!({})).unwrap();
    assert_eq!(missing.errors[0].given, "(missing)");
    // The server agrees, build by build.
    assert!(actor.validate_input_remote(&input).unwrap().valid);
    let remote = actor
        .validate_input_remote_for_build(&input, Some("0.0.1"))
        .unwrap();
    assert_eq!(remote.errors.len(), 1, "{remote:?}");
    assert_eq!(
        (
            remote.errors[0].pointer.as_str(),
            remote.errors[0].expected.as_str()
        ),
        ("/n", "<= 5")
    );
}

#[test]
fn the_local_check_agrees_with_the_emulators_validate_input() {
    let (_emu, client) = setup();
    let actor = client.actor(GENERATOR);
    let inputs = [
        bad_input(),
        json!({}),
        json!({"count": 3, "hidden": "yes", "durationSecs": -1}),
        json!({"statusMessage": 5, "outputText": null, "logLines": 2.5}),
        json!({"count": 1, "records": 2, "outcome": "FAILED"}),
    ];
    for input in inputs {
        let local = actor.validate_input(&input).unwrap();
        let remote = actor.validate_input_remote(&input).unwrap();
        let pointers = |r: &apify::InputReport| -> Vec<String> {
            let mut p: Vec<String> = r.errors.iter().map(|e| e.pointer.clone()).collect();
            p.sort();
            p
        };
        assert_eq!(local.valid, remote.valid, "{input}: {local:?} {remote:?}");
        assert_eq!(pointers(&local), pointers(&remote), "{input}");
        for (l, r) in local.errors.iter().zip(&remote.errors) {
            assert_eq!(l.given, r.given, "{input}");
        }
    }
}

/// A user Actor with a required string and a pattern, and most of the dialect beside them.
fn shop_schema() -> Value {
    json!({"title": "Shop", "type": "object", "schemaVersion": 1,
        "properties": {
            "sku": {"title": "SKU", "type": "string", "editor": "textfield",
                    "pattern": "^[A-Z]{3}-[0-9]{2}$", "description": "three letters, two digits"},
            "qty": {"title": "Qty", "type": "integer", "minimum": 1, "maximum": 10, "default": 1,
                    "editor": "number"},
            "mode": {"title": "Mode", "type": "string", "enum": ["fast", "slow"],
                     "enumTitles": ["Fast", "Slow"], "editor": "select", "prefill": "fast"},
            "tags": {"title": "Tags", "type": "array", "minItems": 1, "maxItems": 3,
                     "uniqueItems": true, "editor": "stringList"},
            "note": {"title": "Note", "type": "string", "nullable": true, "maxLength": 5,
                     "editor": "textfield"},
            "ship": {"title": "Ship", "type": "object", "editor": "json",
                     "properties": {"city": {"title": "City", "type": "string"}},
                     "required": ["city"]}
        },
        "required": ["sku"]})
}

#[test]
fn local_and_server_checks_agree_on_a_user_actor_over_24_inputs() {
    let (_emu, client) = setup();
    let id = user_actor(&client, "shop", &shop_schema());
    let actor = client.actor(&id);
    let table = [
        (json!({"sku": "ABC-12"}), vec![]),
        (json!({"sku": "ABC-12", "qty": 10, "mode": "slow"}), vec![]),
        (
            json!({"sku": "ABC-12", "tags": ["a", "b"], "note": null}),
            vec![],
        ),
        (json!({"sku": "ABC-12", "ship": {"city": "Brno"}}), vec![]),
        (json!({"sku": "ABC-12", "note": "hi"}), vec![]),
        (json!({"sku": "XYZ-99", "qty": 1, "tags": ["x"]}), vec![]),
        (json!({}), vec!["/sku"]),
        (json!({"qty": 2}), vec!["/sku"]),
        (json!({"sku": "abc-12"}), vec!["/sku"]),
        (json!({"sku": "ABC-123"}), vec!["/sku"]),
        (json!({"sku": 12}), vec!["/sku"]),
        (json!({"sku": "ABC-12", "qty": 0}), vec!["/qty"]),
        (json!({"sku": "ABC-12", "qty": 11}), vec!["/qty"]),
        (json!({"sku": "ABC-12", "qty": 2.5}), vec!["/qty"]),
        (json!({"sku": "ABC-12", "mode": "medium"}), vec!["/mode"]),
        (json!({"sku": "ABC-12", "tags": []}), vec!["/tags"]),
        (json!({"sku": "ABC-12", "tags": ["a", "a"]}), vec!["/tags"]),
        (
            json!({"sku": "ABC-12", "tags": ["a", "b", "c", "d"]}),
            vec!["/tags"],
        ),
        (json!({"sku": "ABC-12", "tags": "a"}), vec!["/tags"]),
        (json!({"sku": "ABC-12", "note": "too long"}), vec!["/note"]),
        (json!({"sku": "ABC-12", "ship": {}}), vec!["/ship"]),
        (json!({"sku": "ABC-12", "ship": "Brno"}), vec!["/ship"]),
        (
            json!({"qty": 0, "mode": "x"}),
            vec!["/mode", "/qty", "/sku"],
        ),
        (
            json!({"sku": "no", "qty": 99, "tags": [], "note": 5}),
            vec!["/note", "/qty", "/sku", "/tags"],
        ),
    ];
    assert!(table.len() >= 20);
    for (input, fields) in &table {
        let local = actor.validate_input(input).unwrap();
        let remote = actor.validate_input_remote(input).unwrap();
        let fields_of = |r: &apify::InputReport| -> Vec<String> {
            let mut p: Vec<String> = r
                .errors
                .iter()
                .map(|e| {
                    // A problem inside an object is the object's field (the server may name
                    // the object where the local check names the missing member).
                    let mut it = e.pointer.splitn(3, '/');
                    format!("/{}", it.nth(1).unwrap_or(""))
                })
                .collect();
            p.sort();
            p.dedup();
            p
        };
        assert_eq!(&fields_of(&local), fields, "local {input}: {local:?}");
        assert_eq!(&fields_of(&remote), fields, "server {input}: {remote:?}");
        // A start agrees too: refused before a run exists, or started.
        let started = actor.start(input, &StartOptions::default());
        match (fields.is_empty(), started) {
            (true, Ok(_)) => {}
            (false, Err(e)) => assert_eq!(e.http_status(), Some(400), "{input}: {e}"),
            (valid, other) => panic!("{input}: valid {valid}, start {other:?}"),
        }
    }
    // With validate_input, a bad input is refused locally: no start request is sent.
    clear_journal(&client);
    let e = actor
        .start(
            &json!({"sku": "bad"}),
            &StartOptions::default().validate_input(true),
        )
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(e.to_string().contains("sku"), "{e}");
    assert!(journal(&client).iter().all(|(m, _)| m == "GET"));
    // The default, not the prefill, fills the run's input.
    let run = actor
        .call(&json!({"sku": "ABC-12"}), &CallOptions::default())
        .unwrap();
    let input = client
        .run(&run.id)
        .key_value_store()
        .get_record("INPUT")
        .unwrap()
        .unwrap();
    let input: Value = serde_json::from_slice(&input.data).unwrap();
    assert_eq!(input["qty"], 1, "{input}");
    assert!(input.get("mode").is_none(), "{input}");
}
