//! Actors, builds, tasks, runs, run-sync, logs and ad-hoc webhooks of the emulator, driven over
//! real HTTP on 127.0.0.1 with a plain client.
#![cfg(feature = "emulator")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use apify::emulator::EmulatorConfig;
use base64::Engine;
use common::receiver::{Hit, Receiver};
use common::runs::{record, total_runs};
use common::{error_message, Api, Resp};
use serde_json::{json, Value};

const HELLO: &str = "apify~hello-world";
const GENERATOR: &str = "emulator~generator";
const TERMINAL: [&str; 4] = ["SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"];

// ---------------------------------------------------------------- helpers

/// Percent-encodes a query value (everything but the unreserved characters).
fn qenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `webhooks` query value: standard base64 of the JSON, percent-encoded.
fn webhooks_param(hooks: &Value) -> String {
    qenc(&base64::engine::general_purpose::STANDARD.encode(hooks.to_string()))
}

fn is_iso_millis(v: &Value) -> bool {
    let re = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").unwrap();
    v.as_str().is_some_and(|s| re.is_match(s))
}

fn status(run: &Value) -> &str {
    run["status"].as_str().expect("run has a status")
}

fn is_terminal(run: &Value) -> bool {
    TERMINAL.contains(&status(run))
}

fn run_id(run: &Value) -> String {
    run["id"].as_str().expect("run has an id").to_string()
}

/// The default dataset's items (bare JSON array).
fn items(api: &Api, run: &Value, query: &str) -> Vec<Value> {
    let ds = run["defaultDatasetId"].as_str().unwrap();
    api.get(&format!("/v2/datasets/{ds}/items{query}"))
        .expect(200)
        .json()
        .as_array()
        .expect("items are an array")
        .clone()
}

/// Waits (long polling) until the run is terminal, at most about a minute: a run that never
/// finishes fails the test instead of hanging it.
fn wait(api: &Api, id: &str) -> Value {
    for _ in 0..3 {
        let run = api
            .get(&format!("/v2/actor-runs/{id}?waitForFinish=20"))
            .expect(200)
            .data();
        if is_terminal(&run) {
            return run;
        }
    }
    panic!("run {id} did not finish within a minute");
}

fn get_run(api: &Api, id: &str) -> Value {
    api.get(&format!("/v2/actor-runs/{id}")).expect(200).data()
}

fn actor_id(api: &Api, name: &str) -> String {
    api.get(&format!("/v2/actors/{name}")).expect(200).data()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A CSV body without its BOM, with `\n` line ends and no trailing newline.
fn csv_text(resp: &Resp) -> String {
    resp.text()
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .trim_end()
        .to_string()
}

/// A long generator run to abort, time out or wait on.
fn long_run(api: &Api, secs: u64) -> Value {
    api.start_run(
        GENERATOR,
        &json!({"durationSecs": secs, "count": 5, "logLines": 1}),
        "",
    )
}

fn abort(api: &Api, id: &str) -> Value {
    api.post_empty(&format!("/v2/actor-runs/{id}/abort"))
        .expect(200)
        .data()
}

/// Sends a GET on a raw connection (`Connection: close`) and returns the stream to read from.
fn raw_get(api: &Api, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(api.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        api.addr(),
        api.token
    );
    s.write_all(req.as_bytes()).unwrap();
    s
}

// ---------------------------------------------------------------- webhook receiver

/// The emulator's record of webhook deliveries.
fn dispatches(api: &Api) -> Vec<Value> {
    api.get("/_emulator/webhook-dispatches")
        .expect(200)
        .data()
        .as_array()
        .unwrap()
        .clone()
}

// ---------------------------------------------------------------- Actors and builds

#[test]
fn actors_are_listed_and_found_by_id_name_and_alias() {
    let api = Api::start();
    let list = api.get("/v2/actors").expect(200).data();
    assert_eq!(list["total"], 2, "{list}");
    let names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}~{}", a["username"].as_str().unwrap(), a["name"]))
        .collect();
    assert!(
        names.contains(&"apify~\"hello-world\"".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"emulator~\"generator\"".to_string()),
        "{names:?}"
    );
    // The deprecated alias lists the same.
    assert_eq!(
        api.get("/v2/acts").expect(200).data()["items"],
        list["items"]
    );

    let hello = api.get(&format!("/v2/actors/{HELLO}")).expect(200).data();
    let id = hello["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 17);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    assert_eq!(hello["name"], "hello-world");
    assert_eq!(hello["username"], "apify");
    for path in [
        format!("/v2/actors/{id}"),
        format!("/v2/acts/{id}"),
        "/v2/actors/apify%2Fhello-world".to_string(),
        "/v2/acts/apify%2Fhello-world".to_string(),
        "/v2/acts/apify~hello-world".to_string(),
    ] {
        let a = api.get(&path).expect(200).data();
        assert_eq!(a["id"], id.as_str(), "{path}");
        assert_eq!(a["name"], "hello-world", "{path}");
    }
    let generator = api
        .get("/v2/actors/emulator%2Fgenerator")
        .expect(200)
        .data();
    assert_eq!(generator["name"], "generator");
    assert_ne!(generator["id"], id.as_str());
    assert_eq!(
        api.get(&format!("/v2/acts/{GENERATOR}")).expect(200).data()["id"],
        generator["id"]
    );
}

#[test]
fn unknown_actors_answer_404_record_not_found() {
    let api = Api::start();
    for path in [
        "/v2/actors/nobody~nothing",
        "/v2/actors/AAAAAAAAAAAAAAAAA",
        "/v2/acts/apify%2Fgoodbye-world",
        "/v2/actors/nobody~nothing/runs",
        "/v2/actors/nobody~nothing/builds/default",
        "/v2/actors/nobody~nothing/runs/last",
    ] {
        let r = api.get(path).expect(404);
        assert_eq!(r.error_type(), "record-not-found", "{path}");
    }
    let r = api
        .post_json("/v2/acts/nobody~nothing/runs", &json!({}))
        .expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    assert_eq!(total_runs(&api), 0);
}

#[test]
fn default_build_carries_the_input_schema() {
    let api = Api::start();
    let actor = api
        .get(&format!("/v2/actors/{GENERATOR}"))
        .expect(200)
        .data();
    let build = api
        .get(&format!("/v2/actors/{GENERATOR}/builds/default"))
        .expect(200)
        .data();
    assert_eq!(build["actId"], actor["id"]);
    assert_eq!(build["status"], "SUCCEEDED");
    let schema: Value = serde_json::from_str(build["inputSchema"].as_str().unwrap()).unwrap();
    let props = schema["properties"].as_object().unwrap();
    for field in [
        "count",
        "itemBytes",
        "emptyEvery",
        "hidden",
        "durationSecs",
        "outcome",
        "output",
        "outputText",
        "outputContentType",
        "records",
        "logLines",
        "statusMessage",
    ] {
        assert!(props.contains_key(field), "schema lacks {field}: {schema}");
    }
    assert_eq!(props["count"]["default"], 10);
    assert_eq!(props["logLines"]["default"], 3);

    let build_id = build["id"].as_str().unwrap();
    let by_id = api
        .get(&format!("/v2/actor-builds/{build_id}"))
        .expect(200)
        .data();
    assert_eq!(by_id["id"], build["id"]);
    assert_eq!(by_id["inputSchema"], build["inputSchema"]);
    // The build a run reports is this build.
    let run = api.start_run(GENERATOR, &json!({"count": 1}), "?waitForFinish=30");
    assert_eq!(run["buildId"], build["id"]);
    assert_eq!(run["buildNumber"], build["buildNumber"]);

    let hello = api
        .get("/v2/acts/apify%2Fhello-world/builds/default")
        .expect(200)
        .data();
    let hello_schema: Value = serde_json::from_str(hello["inputSchema"].as_str().unwrap()).unwrap();
    assert!(hello_schema["properties"]["message"].is_object());
    assert_ne!(hello["id"], build["id"]);

    let r = api.get("/v2/actor-builds/AAAAAAAAAAAAAAAAA").expect(404);
    assert_eq!(r.error_type(), "record-not-found");
}

#[test]
fn unimplemented_operations_answer_501_and_wrong_methods_405() {
    let api = Api::start();
    let id = actor_id(&api, HELLO);
    // Every operation of the spec is implemented (tests/coverage.rs probes them all).
    // The built-in Actors can be read, not changed or deleted.
    for (method, path) in [
        ("PUT", format!("/v2/actors/{id}")),
        ("PUT", format!("/v2/acts/{HELLO}")),
        ("DELETE", format!("/v2/actors/{id}")),
        ("POST", format!("/v2/acts/{GENERATOR}/builds?version=0.0")),
    ] {
        let r = api
            .request(
                method,
                &path,
                &[("Content-Type", "application/json")],
                Some(b"{\"name\": \"renamed\"}"),
            )
            .expect(403);
        assert_eq!(r.error_type(), "insufficient-permissions");
        assert!(error_message(&r).contains("built-in"), "{}", r.text());
    }
    // The actor is still there and unchanged.
    assert_eq!(
        api.get(&format!("/v2/actors/{id}")).expect(200).data()["name"],
        "hello-world"
    );
    // A run that exists answers the run operations (tests/emulator_run_ops.rs); the wrong
    // methods on it are still refused below.
    let run = api.start_run(HELLO, &json!({}), "?waitForFinish=30");
    let rid = run_id(&run);
    assert_eq!(status(&get_run(&api, &rid)), "SUCCEEDED");
    // Known paths, methods the spec does not list.
    for (method, path) in [
        ("PATCH", "/v2/actors".to_string()),
        ("DELETE", format!("/v2/actors/{id}/builds/default")),
        ("PUT", "/v2/actor-runs".to_string()),
    ] {
        let r = api.request(method, &path, &[], None).expect(405);
        assert_eq!(r.error_type(), "method-not-allowed", "{method} {path}");
    }
}

// ---------------------------------------------------------------- starting runs

#[test]
fn json_input_is_stored_as_input_exactly() {
    let api = Api::start();
    // Odd spacing and key order: the bytes must come back as sent, not re-serialized.
    let body = b"{ \"message\" :  \"stored as is\",\n  \"extra\": [1, 2.50] }";
    let r = api
        .request(
            "POST",
            &format!("/v2/acts/{HELLO}/runs"),
            &[("Content-Type", "application/json; charset=utf-8")],
            Some(body),
        )
        .expect(201);
    let run = r.data();
    let id = run_id(&run);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/v2/actor-runs/{id}", api.base).as_str())
    );
    assert_eq!(run["meta"]["origin"], "API");
    assert_eq!(run["stats"]["inputBodyLen"], body.len());
    let input = record(&api, &run, "INPUT").expect(200);
    assert_eq!(input.body, body);
    assert_eq!(
        input.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let run = wait(&api, &id);
    assert_eq!(status(&run), "SUCCEEDED");
    // The program read the JSON input.
    assert_eq!(
        items(&api, &run, ""),
        vec![json!({"message": "stored as is"})]
    );
}

#[test]
fn non_json_input_is_stored_with_its_content_type() {
    let api = Api::start();
    let bytes: Vec<u8> = vec![0, 159, 146, 150, 255, b'\r', b'\n', b'x'];
    let run = api
        .request(
            "POST",
            &format!("/v2/acts/{GENERATOR}/runs"),
            &[("Content-Type", "application/octet-stream")],
            Some(&bytes),
        )
        .expect(201)
        .data();
    let input = record(&api, &run, "INPUT").expect(200);
    assert_eq!(input.body, bytes);
    assert_eq!(
        input.header("content-type"),
        Some("application/octet-stream")
    );

    let text = "message=not json at all";
    let run = api
        .request(
            "POST",
            &format!("/v2/acts/{HELLO}/runs?waitForFinish=30"),
            &[("Content-Type", "text/plain; charset=utf-8")],
            Some(text.as_bytes()),
        )
        .expect(201)
        .data();
    let input = record(&api, &run, "INPUT").expect(200);
    assert_eq!(input.text(), text);
    assert_eq!(
        input.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    // Non-JSON input means no input for hello-world: the default message.
    let run = wait(&api, &run_id(&run));
    assert_eq!(status(&run), "SUCCEEDED");
    assert_eq!(
        items(&api, &run, ""),
        vec![json!({"message": "Hello, world!"})]
    );

    // An empty body stores no INPUT.
    let run = api
        .request("POST", &format!("/v2/acts/{HELLO}/runs"), &[], None)
        .expect(201)
        .data();
    let r = record(&api, &run, "INPUT").expect(404);
    assert_eq!(r.error_type(), "record-not-found");
}

#[test]
fn each_run_gets_fresh_default_storages() {
    let api = Api::start();
    let a = api.start_run(HELLO, &json!({"message": "a"}), "?waitForFinish=30");
    let b = api.start_run(HELLO, &json!({"message": "b"}), "?waitForFinish=30");
    for key in [
        "defaultDatasetId",
        "defaultKeyValueStoreId",
        "defaultRequestQueueId",
    ] {
        assert!(a[key].as_str().is_some_and(|s| s.len() == 17), "{a}");
        assert_ne!(a[key], b[key], "{key}");
    }
    assert_ne!(a["id"], b["id"]);
    assert_eq!(items(&api, &a, ""), vec![json!({"message": "a"})]);
    assert_eq!(items(&api, &b, ""), vec![json!({"message": "b"})]);
    // The storages know their run.
    let ds = api
        .get(&format!(
            "/v2/datasets/{}",
            a["defaultDatasetId"].as_str().unwrap()
        ))
        .expect(200)
        .data();
    assert_eq!(ds["actRunId"], a["id"]);
    assert_eq!(ds["actId"], a["actId"]);
    let kvs = api
        .get(&format!(
            "/v2/key-value-stores/{}",
            b["defaultKeyValueStoreId"].as_str().unwrap()
        ))
        .expect(200)
        .data();
    assert_eq!(kvs["actRunId"], b["id"]);
}

#[test]
fn query_options_are_reflected_in_run_options() {
    let api = Api::start();
    let run = api.start_run(
        GENERATOR,
        &json!({"count": 3}),
        "?timeout=120&memory=256&build=latest&maxItems=7&maxTotalChargeUsd=1.5&restartOnError=false&waitForFinish=30",
    );
    assert_eq!(status(&run), "SUCCEEDED", "waitForFinish held the start");
    let o = &run["options"];
    assert_eq!(o["timeoutSecs"], 120);
    assert_eq!(o["memoryMbytes"], 256);
    assert_eq!(o["build"], "latest");
    assert_eq!(o["maxItems"], 7);
    assert_eq!(o["maxTotalChargeUsd"], 1.5);
    assert!(o["diskMbytes"].as_u64().is_some());

    // Defaults, and the build given by number.
    let run = api.start_run(GENERATOR, &json!({"count": 1}), "?build=0.0.1");
    let o = &run["options"];
    assert_eq!(o["build"], "0.0.1");
    assert_eq!(o["memoryMbytes"], 1024);
    assert_eq!(o["timeoutSecs"], 3600);
    assert!(o.get("maxItems").is_none_or(Value::is_null), "{o}");
    // JS clients send booleans as digits.
    api.start_run(GENERATOR, &json!({"count": 1}), "?restartOnError=1");
}

#[test]
fn invalid_query_options_are_refused_and_start_nothing() {
    let api = Api::start();
    for (query, kind) in [
        ("memory=100", "invalid-parameter"),
        ("memory=1000", "invalid-parameter"),
        ("memory=65536", "invalid-parameter"),
        ("memory=64", "invalid-parameter"),
        ("memory=lots", "invalid-parameter"),
        ("timeout=-1", "invalid-parameter"),
        ("timeout=soon", "invalid-parameter"),
        ("maxItems=many", "invalid-parameter"),
        ("maxTotalChargeUsd=-2", "invalid-parameter"),
        ("restartOnError=maybe", "invalid-parameter"),
        ("waitForFinish=forever", "invalid-parameter"),
    ] {
        let r = api
            .post_json(&format!("/v2/acts/{HELLO}/runs?{query}"), &json!({}))
            .expect(400);
        assert_eq!(r.error_type(), kind, "{query}");
        let name = query.split('=').next().unwrap();
        assert!(error_message(&r).contains(name), "{query}: {}", r.text());
    }
    for build in ["9.9.9", "beta"] {
        let r = api
            .post_json(&format!("/v2/acts/{HELLO}/runs?build={build}"), &json!({}))
            .expect(404);
        assert!(error_message(&r).contains(build), "{}", r.text());
    }
    assert_eq!(total_runs(&api), 0, "a refused start created a run");
}

#[test]
fn max_items_caps_pushed_items() {
    let api = Api::start();
    let run = api.start_run(GENERATOR, &json!({"count": 10}), "?maxItems=4");
    let run = wait(&api, &run_id(&run));
    assert_eq!(status(&run), "SUCCEEDED");
    let got = items(&api, &run, "");
    assert_eq!(got.len(), 4);
    assert_eq!(got[3]["index"], 3);
    assert_eq!(run["stats"]["datasetItemCount"], 4);
    // maxItems above count changes nothing.
    let run = api.start_run(GENERATOR, &json!({"count": 3}), "?maxItems=100");
    let run = wait(&api, &run_id(&run));
    assert_eq!(items(&api, &run, "").len(), 3);
}

#[test]
fn restart_on_error_restarts_a_failed_run() {
    let api = Api::start();
    let input = json!({"count": 2, "outcome": "FAILED"});
    let plain = api.start_run(GENERATOR, &input, "");
    let restarted = api.start_run(GENERATOR, &input, "?restartOnError=true");
    let plain = wait(&api, &run_id(&plain));
    let restarted = wait(&api, &run_id(&restarted));
    assert_eq!(status(&plain), "FAILED");
    assert_eq!(plain["stats"]["restartCount"], 0);
    assert_eq!(status(&restarted), "FAILED");
    assert!(
        restarted["stats"]["restartCount"].as_u64().unwrap() >= 1,
        "{}",
        restarted["stats"]
    );
    let log = api
        .get(&format!("/v2/logs/{}", run_id(&restarted)))
        .expect(200)
        .text();
    assert!(log.contains("restartOnError"), "{log}");
    // A succeeding run is never restarted.
    let ok = api.start_run(GENERATOR, &json!({"count": 1}), "?restartOnError=true");
    let ok = wait(&api, &run_id(&ok));
    assert_eq!(status(&ok), "SUCCEEDED");
    assert_eq!(ok["stats"]["restartCount"], 0);
}

#[test]
fn hello_world_pushes_and_stores_its_message() {
    let api = Api::start();
    let run = api.start_run(HELLO, &json!({}), "?waitForFinish=30");
    assert_eq!(status(&run), "SUCCEEDED");
    assert_eq!(run["exitCode"], 0);
    assert_eq!(
        items(&api, &run, ""),
        vec![json!({"message": "Hello, world!"})]
    );
    let out = record(&api, &run, "OUTPUT").expect(200);
    assert_eq!(out.json(), json!({"message": "Hello, world!"}));
    assert!(out
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));

    let run = api.start_run(HELLO, &json!({"message": "Ahoj"}), "?waitForFinish=30");
    assert_eq!(status(&run), "SUCCEEDED");
    assert_eq!(items(&api, &run, ""), vec![json!({"message": "Ahoj"})]);
    assert_eq!(
        record(&api, &run, "OUTPUT").expect(200).json(),
        json!({"message": "Ahoj"})
    );
    let r = api
        .post_json(&format!("/v2/acts/{HELLO}/runs"), &json!({"message": 5}))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    assert!(error_message(&r).contains("message"));
}

#[test]
fn generator_items_follow_count_item_bytes_empty_every_and_hidden() {
    let api = Api::start();
    let run = api.start_run(GENERATOR, &json!({}), "?waitForFinish=30");
    assert_eq!(status(&run), "SUCCEEDED");
    let got = items(&api, &run, "");
    assert_eq!(got.len(), 10, "default count");
    for (i, item) in got.iter().enumerate() {
        assert_eq!(*item, json!({"index": i, "text": ""}));
    }
    assert_eq!(
        record(&api, &run, "OUTPUT").expect(200).json(),
        json!({"count": 10})
    );

    let run = api.start_run(
        GENERATOR,
        &json!({"count": 7, "itemBytes": 5, "emptyEvery": 3, "hidden": true}),
        "?waitForFinish=30",
    );
    assert_eq!(status(&run), "SUCCEEDED");
    let got = items(&api, &run, "");
    assert_eq!(got.len(), 7);
    for (i, item) in got.iter().enumerate() {
        if (i + 1) % 3 == 0 {
            assert_eq!(*item, json!({}), "item {i}");
        } else {
            assert_eq!(
                *item,
                json!({"index": i, "text": "xxxxx", "#debug": {"index": i}}),
                "item {i}"
            );
        }
    }
    // clean = skipEmpty + skipHidden.
    let clean = items(&api, &run, "?clean=true");
    assert_eq!(clean.len(), 5);
    assert!(clean.iter().all(|i| i.get("#debug").is_none()), "{clean:?}");

    let run = api.start_run(GENERATOR, &json!({"count": 0}), "?waitForFinish=30");
    assert_eq!(status(&run), "SUCCEEDED");
    assert!(items(&api, &run, "").is_empty());
}

#[test]
fn generator_output_records_log_lines_and_status_message() {
    let api = Api::start();
    let run = api.start_run(
        GENERATOR,
        &json!({
            "count": 2,
            "output": {"answer": [42, "x"], "nested": {"ok": true}},
            "records": 3,
            "logLines": 5,
            "statusMessage": "Crunching numbers",
        }),
        "?waitForFinish=30",
    );
    assert_eq!(status(&run), "SUCCEEDED");
    assert_eq!(run["statusMessage"], "Crunching numbers");
    let out = record(&api, &run, "OUTPUT").expect(200);
    assert_eq!(
        out.json(),
        json!({"answer": [42, "x"], "nested": {"ok": true}})
    );
    assert!(out
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    for i in 0..3 {
        let r = record(&api, &run, &format!("record-{i:05}")).expect(200);
        assert_eq!(r.json(), json!({"index": i}));
    }
    record(&api, &run, "record-00003").expect(404);
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    let keys = api
        .get(&format!("/v2/key-value-stores/{kvs}/keys"))
        .expect(200)
        .data();
    let keys: Vec<&str> = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "INPUT",
            "OUTPUT",
            "record-00000",
            "record-00001",
            "record-00002"
        ]
    );
    let log = api
        .get(&format!("/v2/logs/{}", run_id(&run)))
        .expect(200)
        .text();
    for i in 0..5 {
        assert!(log.contains(&format!("log line {i}")), "{log}");
    }
    assert!(!log.contains("log line 5"), "{log}");

    let run = api.start_run(GENERATOR, &json!({"logLines": 0}), "?waitForFinish=30");
    let log = api
        .get(&format!("/v2/logs/{}", run_id(&run)))
        .expect(200)
        .text();
    assert!(!log.contains("log line"), "{log}");
    // Without statusMessage the run still ends with one.
    assert!(run["statusMessage"].as_str().is_some_and(|m| !m.is_empty()));
}

#[test]
fn generator_output_text_keeps_its_content_type() {
    let api = Api::start();
    let run = api.start_run(
        GENERATOR,
        &json!({"count": 1, "outputText": "a,b\n1,2\n", "outputContentType": "text/csv"}),
        "?waitForFinish=30",
    );
    assert_eq!(status(&run), "SUCCEEDED");
    let out = record(&api, &run, "OUTPUT").expect(200);
    assert_eq!(out.text(), "a,b\n1,2\n");
    assert_eq!(out.header("content-type"), Some("text/csv"));
    // outputText without a content type is plain text.
    let run = api.start_run(
        GENERATOR,
        &json!({"outputText": "<p>hi</p>"}),
        "?waitForFinish=30",
    );
    let out = record(&api, &run, "OUTPUT").expect(200);
    assert_eq!(out.text(), "<p>hi</p>");
    assert!(out
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
}

#[test]
fn generator_outcome_failed_exits_with_1() {
    let api = Api::start();
    let run = api.start_run(
        GENERATOR,
        &json!({"count": 3, "outcome": "FAILED"}),
        "?waitForFinish=30",
    );
    assert_eq!(status(&run), "FAILED");
    assert_eq!(run["exitCode"], 1);
    assert!(is_iso_millis(&run["finishedAt"]));
    // It did its work before failing.
    assert_eq!(items(&api, &run, "").len(), 3);
    let log = api
        .get(&format!("/v2/logs/{}", run_id(&run)))
        .expect(200)
        .text();
    assert!(log.contains("FAILED"), "{log}");
}

#[test]
fn input_that_breaks_the_schema_is_refused_at_start() {
    let api = Api::start();
    for (input, field) in [
        (json!({"count": "ten"}), "count"),
        (json!({"count": -1}), "count"),
        (json!({"count": 1.5}), "count"),
        (json!({"itemBytes": "5"}), "itemBytes"),
        (json!({"emptyEvery": true}), "emptyEvery"),
        (json!({"hidden": "yes"}), "hidden"),
        (json!({"durationSecs": -3}), "durationSecs"),
        (json!({"durationSecs": "1"}), "durationSecs"),
        (json!({"outcome": "MAYBE"}), "outcome"),
        (json!({"records": [1]}), "records"),
        (json!({"logLines": {}}), "logLines"),
        (json!({"outputText": 5}), "outputText"),
        (json!({"outputContentType": 5}), "outputContentType"),
        (json!({"statusMessage": false}), "statusMessage"),
    ] {
        let r = api
            .post_json(&format!("/v2/acts/{GENERATOR}/runs"), &input)
            .expect(400);
        assert_eq!(r.error_type(), "invalid-input", "{input}");
        assert!(
            error_message(&r).contains(&format!("'{field}'")),
            "{input}: {}",
            r.text()
        );
    }
    // Not an object at all.
    let r = api
        .post_json(&format!("/v2/acts/{GENERATOR}/runs"), &json!([1, 2]))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    // Malformed JSON.
    for body in [&b"{\"count\": "[..], b"{count: 1}", b"\xff\xfe"] {
        let r = api
            .request(
                "POST",
                &format!("/v2/acts/{GENERATOR}/runs"),
                &[("Content-Type", "application/json")],
                Some(body),
            )
            .expect(400);
        r.error_type();
        assert!(error_message(&r).contains("JSON"), "{}", r.text());
    }
    // run-sync refuses the same input before starting anything.
    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync"),
            &json!({"count": "ten"}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    assert_eq!(total_runs(&api), 0, "a refused start created a run");
    // The emulator keeps serving.
    api.start_run(GENERATOR, &json!({"count": 1}), "");
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn run_goes_from_running_to_succeeded_with_timestamps_and_stats() {
    let api = Api::start();
    let run = api.start_run(
        GENERATOR,
        &json!({"count": 4, "durationSecs": 0.8, "statusMessage": "working"}),
        "",
    );
    assert!(
        ["READY", "RUNNING"].contains(&status(&run)),
        "fresh run: {run}"
    );
    assert!(is_iso_millis(&run["startedAt"]), "{}", run["startedAt"]);
    assert!(run["finishedAt"].is_null());
    assert!(run["exitCode"].is_null());
    let id = run_id(&run);
    assert!(id.len() == 17 && id.chars().all(|c| c.is_ascii_alphanumeric()));
    // While it runs, the status is RUNNING (the run lasts 0.8 s; READY only before the worker starts).
    let now = get_run(&api, &id);
    if !is_terminal(&now) {
        assert!(["READY", "RUNNING"].contains(&status(&now)), "{now}");
    }
    let done = wait(&api, &id);
    assert_eq!(status(&done), "SUCCEEDED");
    assert_eq!(done["exitCode"], 0);
    assert_eq!(done["statusMessage"], "working");
    assert_eq!(done["isStatusMessageTerminal"], true);
    assert_eq!(done["startedAt"], run["startedAt"]);
    assert!(is_iso_millis(&done["finishedAt"]), "{}", done["finishedAt"]);
    assert!(done["finishedAt"].as_str() >= done["startedAt"].as_str());
    let stats = &done["stats"];
    assert!(stats["durationMillis"].as_u64().unwrap() >= 700, "{stats}");
    assert!(stats["runTimeSecs"].as_f64().unwrap() >= 0.7, "{stats}");
    assert_eq!(stats["resurrectCount"], 0);
    assert_eq!(stats["restartCount"], 0);
    assert_eq!(done["meta"]["origin"], "API");
    assert_eq!(items(&api, &done, "").len(), 4);
    // A finished run stays as it is.
    assert_eq!(get_run(&api, &id)["finishedAt"], done["finishedAt"]);

    let r = api.get("/v2/actor-runs/AAAAAAAAAAAAAAAAA").expect(404);
    assert_eq!(r.error_type(), "record-not-found");
}

#[test]
fn run_timeout_ends_in_timed_out() {
    let api = Api::start();
    let run = api.start_run(
        GENERATOR,
        &json!({"durationSecs": 30, "count": 3}),
        "?timeout=1",
    );
    assert_eq!(run["options"]["timeoutSecs"], 1);
    let done = wait(&api, &run_id(&run));
    assert_eq!(status(&done), "TIMED-OUT");
    assert!(is_iso_millis(&done["finishedAt"]));
    // It stopped long before its 30 s: it pushed at most the first item (due at 10 s).
    assert!(items(&api, &done, "").is_empty());
    let log = api
        .get(&format!("/v2/logs/{}", run_id(&run)))
        .expect(200)
        .text();
    assert!(log.contains("TIMED-OUT"), "{log}");
}

#[test]
fn abort_stops_a_run_at_once() {
    let api = Api::start();
    let run = long_run(&api, 30);
    let id = run_id(&run);
    let aborted = abort(&api, &id);
    assert_eq!(status(&aborted), "ABORTED");
    assert!(is_iso_millis(&aborted["finishedAt"]));
    let now = get_run(&api, &id);
    assert_eq!(status(&now), "ABORTED");
    assert_eq!(now["finishedAt"], aborted["finishedAt"]);
    // The worker is gone: no item appears later (the first was due at 6 s).
    assert!(items(&api, &now, "").is_empty());
    let log = api.get(&format!("/v2/logs/{id}")).expect(200).text();
    assert!(log.contains("ABORTED"), "{log}");
    // Aborting again changes nothing.
    let again = abort(&api, &id);
    assert_eq!(status(&again), "ABORTED");
    assert_eq!(again["finishedAt"], aborted["finishedAt"]);
    let r = api
        .post_empty("/v2/actor-runs/AAAAAAAAAAAAAAAAA/abort")
        .expect(404);
    assert_eq!(r.error_type(), "record-not-found");
}

#[test]
fn graceful_abort_goes_through_aborting() {
    let api = Api::start();
    let run = long_run(&api, 30);
    let id = run_id(&run);
    let r = api
        .post_empty(&format!("/v2/actor-runs/{id}/abort?gracefully=true"))
        .expect(200)
        .data();
    assert_eq!(status(&r), "ABORTING");
    assert!(r["finishedAt"].is_null());
    let done = wait(&api, &id);
    assert_eq!(status(&done), "ABORTED");
    assert!(is_iso_millis(&done["finishedAt"]));
}

#[test]
fn abort_of_a_finished_run_leaves_it_as_is() {
    let api = Api::start();
    let run = api.start_run(HELLO, &json!({}), "?waitForFinish=30");
    assert_eq!(status(&run), "SUCCEEDED");
    for query in ["", "?gracefully=true"] {
        let after = api
            .post_empty(&format!("/v2/actor-runs/{}/abort{query}", run_id(&run)))
            .expect(200)
            .data();
        assert_eq!(status(&after), "SUCCEEDED");
        assert_eq!(after["finishedAt"], run["finishedAt"]);
        assert_eq!(after["exitCode"], 0);
    }
}

#[test]
fn resurrect_runs_a_finished_run_again_with_the_same_storages() {
    let api = Api::start();
    let run = api.start_run(HELLO, &json!({"message": "again"}), "?waitForFinish=30");
    assert_eq!(status(&run), "SUCCEEDED");
    let id = run_id(&run);
    let r = api
        .post_empty(&format!("/v2/actor-runs/{id}/resurrect"))
        .expect(200)
        .data();
    assert_eq!(r["id"], run["id"]);
    assert!(
        ["READY", "RUNNING", "SUCCEEDED"].contains(&status(&r)),
        "{r}"
    );
    assert_eq!(r["stats"]["resurrectCount"], 1);
    let done = wait(&api, &id);
    assert_eq!(status(&done), "SUCCEEDED");
    assert_eq!(done["stats"]["resurrectCount"], 1);
    for key in [
        "defaultDatasetId",
        "defaultKeyValueStoreId",
        "defaultRequestQueueId",
    ] {
        assert_eq!(done[key], run[key], "{key}");
    }
    // It ran again on the same storages with the same input: a second item.
    assert_eq!(
        items(&api, &done, ""),
        vec![json!({"message": "again"}), json!({"message": "again"})]
    );
    assert_eq!(total_runs(&api), 1, "resurrect made no new run");

    // A failed run can be resurrected as well; a running one cannot.
    let failed = api.start_run(
        GENERATOR,
        &json!({"outcome": "FAILED"}),
        "?waitForFinish=30",
    );
    assert_eq!(status(&failed), "FAILED");
    api.post_empty(&format!("/v2/actor-runs/{}/resurrect", run_id(&failed)))
        .expect(200);
    let failed = wait(&api, &run_id(&failed));
    assert_eq!(status(&failed), "FAILED");
    assert_eq!(failed["stats"]["resurrectCount"], 1);
}

#[test]
fn resurrect_of_a_running_run_is_400() {
    let api = Api::start();
    let run = long_run(&api, 30);
    let id = run_id(&run);
    let r = api
        .post_empty(&format!("/v2/actor-runs/{id}/resurrect"))
        .expect(400);
    r.error_type();
    assert!(error_message(&r).contains(&id), "{}", r.text());
    let now = get_run(&api, &id);
    assert!(["READY", "RUNNING"].contains(&status(&now)));
    assert_eq!(now["stats"]["resurrectCount"], 0);
    // Aborted, it can be resurrected, and then aborted again.
    abort(&api, &id);
    let r = api
        .post_empty(&format!("/v2/actor-runs/{id}/resurrect"))
        .expect(200)
        .data();
    assert!(r["finishedAt"].is_null(), "{r}");
    let r = get_run(&api, &id);
    assert!(["READY", "RUNNING"].contains(&status(&r)), "{r}");
    assert_eq!(status(&abort(&api, &id)), "ABORTED");
}

// ---------------------------------------------------------------- waiting

#[test]
fn wait_for_finish_returns_when_the_run_finishes() {
    let api = Api::start();
    let run = api.start_run(GENERATOR, &json!({"durationSecs": 1, "count": 2}), "");
    let id = run_id(&run);
    // The run takes 1 s; a 30 s wait must come back with the finished run, not a RUNNING one
    // after 30 s (which would still be terminal but is caught by the bounded test below).
    let done = api
        .get(&format!("/v2/actor-runs/{id}?waitForFinish=30"))
        .expect(200)
        .data();
    assert_eq!(status(&done), "SUCCEEDED");
    assert_eq!(items(&api, &done, "").len(), 2);
    // On the start request too.
    let done = api.start_run(
        GENERATOR,
        &json!({"durationSecs": 0.3, "count": 1}),
        "?waitForFinish=30",
    );
    assert_eq!(status(&done), "SUCCEEDED");
    // waitForFinish=0 answers at once.
    let run = long_run(&api, 30);
    let now = api
        .get(&format!("/v2/actor-runs/{}?waitForFinish=0", run_id(&run)))
        .expect(200)
        .data();
    assert!(!is_terminal(&now));
    abort(&api, &run_id(&run));
}

#[test]
fn bounded_wait_returns_the_running_run() {
    let api = Api::start();
    let run = long_run(&api, 30);
    let id = run_id(&run);
    let now = api
        .get(&format!("/v2/actor-runs/{id}?waitForFinish=1"))
        .expect(200)
        .data();
    assert_eq!(status(&now), "RUNNING");
    assert!(now["finishedAt"].is_null());
    let started = api.start_run(GENERATOR, &json!({"durationSecs": 30}), "?waitForFinish=1");
    assert_eq!(status(&started), "RUNNING");
    abort(&api, &id);
    abort(&api, &run_id(&started));
}

#[test]
fn max_wait_secs_caps_wait_for_finish() {
    let api = Api::start_with(EmulatorConfig {
        max_wait_secs: 1,
        ..EmulatorConfig::default()
    });
    // A 4 s run: an uncapped 60 s wait would return it SUCCEEDED; the 1 s cap returns it RUNNING.
    let run = api.start_run(GENERATOR, &json!({"durationSecs": 4, "count": 1}), "");
    let id = run_id(&run);
    let now = api
        .get(&format!("/v2/actor-runs/{id}?waitForFinish=60"))
        .expect(200)
        .data();
    assert_eq!(status(&now), "RUNNING", "the cap was not honoured");
    let started = api.start_run(
        GENERATOR,
        &json!({"durationSecs": 4, "count": 1}),
        "?waitForFinish=60",
    );
    assert_eq!(status(&started), "RUNNING", "the cap was not honoured");
    abort(&api, &id);
    abort(&api, &run_id(&started));
}

#[test]
fn hundred_long_polls_do_not_block_other_requests() {
    const POLLS: usize = 100;
    let api = Api::start();
    let run = long_run(&api, 60);
    let id = run_id(&run);
    let done = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(POLLS + 1));
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for _ in 0..POLLS {
        let (base, token, id) = (api.base.clone(), api.token.clone(), id.clone());
        let (done, barrier, tx) = (done.clone(), barrier.clone(), tx.clone());
        handles.push(thread::spawn(move || {
            let client = Api::connect(&base, &token);
            barrier.wait();
            let r = client
                .get(&format!("/v2/actor-runs/{id}?waitForFinish=60"))
                .expect(200)
                .data();
            done.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(status(&r).to_string());
        }));
    }
    drop(tx);
    barrier.wait();
    // Give the polls a moment to reach the server, then use it while they all wait.
    thread::sleep(Duration::from_millis(500));
    let me = api.get("/v2/users/me").expect(200).data();
    assert_eq!(me["username"], "emulator");
    let now = get_run(&api, &id);
    assert_eq!(status(&now), "RUNNING");
    api.start_run(HELLO, &json!({}), "?waitForFinish=10");
    assert_eq!(
        done.load(Ordering::SeqCst),
        0,
        "a poll returned before the run finished"
    );
    assert_eq!(status(&abort(&api, &id)), "ABORTED");
    // Every poll comes back with the aborted run, long before its 60 s wait.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut statuses = Vec::new();
    for _ in 0..POLLS {
        let left = deadline.saturating_duration_since(Instant::now());
        statuses.push(
            rx.recv_timeout(left)
                .expect("a long poll was not woken by the abort"),
        );
    }
    assert!(statuses.iter().all(|s| s == "ABORTED"), "{statuses:?}");
    for h in handles {
        h.join().unwrap();
    }
}

// ---------------------------------------------------------------- run-sync

#[test]
fn run_sync_answers_the_output_record_with_its_content_type() {
    let api = Api::start();
    let r = api
        .post_json(
            &format!("/v2/acts/{HELLO}/run-sync"),
            &json!({"message": "sync"}),
        )
        .expect(201);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(r.json(), json!({"message": "sync"}));
    let r = api.get(&format!("/v2/actors/{HELLO}/run-sync")).expect(201);
    assert_eq!(r.json(), json!({"message": "Hello, world!"}));

    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync?timeout=60&memory=512"),
            &json!({"outputText": "<b>done</b>", "outputContentType": "text/html; charset=utf-8"}),
        )
        .expect(201);
    assert_eq!(r.text(), "<b>done</b>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    // The run's options took the query.
    let last = api
        .get(&format!("/v2/acts/{GENERATOR}/runs/last"))
        .expect(200)
        .data();
    assert_eq!(last["options"]["memoryMbytes"], 512);
    assert_eq!(last["options"]["timeoutSecs"], 60);
    assert_eq!(status(&last), "SUCCEEDED");

    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync?outputRecordKey=record-00001"),
            &json!({"records": 3}),
        )
        .expect(201);
    assert_eq!(r.json(), json!({"index": 1}));
    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync?outputRecordKey=missing"),
            &json!({}),
        )
        .expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync?outputRecordKey=bad%20key"),
            &json!({}),
        )
        .expect(400);
    r.error_type();
    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync?memory=3"),
            &json!({}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-parameter");
}

#[test]
fn run_sync_get_dataset_items_takes_the_item_parameters() {
    let api = Api::start();
    let input = json!({"count": 9, "emptyEvery": 3, "hidden": true, "itemBytes": 2});
    let path = format!("/v2/acts/{GENERATOR}/run-sync-get-dataset-items");
    let all = api.post_json(&path, &input).expect(201).json();
    assert_eq!(all.as_array().unwrap().len(), 9);
    assert_eq!(
        all[0],
        json!({"index": 0, "text": "xx", "#debug": {"index": 0}})
    );
    assert_eq!(all[2], json!({}));

    let clean = api
        .post_json(&format!("{path}?clean=true"), &input)
        .expect(201)
        .json();
    let clean = clean.as_array().unwrap();
    assert_eq!(clean.len(), 6);
    assert!(clean
        .iter()
        .all(|i| i.get("#debug").is_none() && i != &json!({})));

    let fields = api
        .post_json(&format!("{path}?fields=index&limit=2&offset=1"), &input)
        .expect(201)
        .json();
    assert_eq!(fields, json!([{"index": 1}, {}]));

    let desc = api
        .post_json(&format!("{path}?desc=true&limit=1"), &input)
        .expect(201)
        .json();
    assert_eq!(desc, json!([{}]));

    let csv = api
        .post_json(
            &format!("{path}?format=csv&fields=index,text&clean=1"),
            &json!({"count": 2, "itemBytes": 1}),
        )
        .expect(201);
    assert!(
        csv.header("content-type").unwrap().starts_with("text/csv"),
        "{:?}",
        csv.headers
    );
    // CSV starts with a BOM by default (the spec's `bom` parameter).
    assert!(
        csv.body.starts_with("\u{feff}".as_bytes()),
        "{}",
        csv.text()
    );
    assert_eq!(csv_text(&csv), "index,text\n0,x\n1,x");
    let no_bom = api
        .post_json(
            &format!("{path}?format=csv&fields=index&bom=0&limit=1"),
            &json!({"count": 2}),
        )
        .expect(201);
    assert_eq!(no_bom.text().replace("\r\n", "\n").trim_end(), "index\n0");

    // GET takes no input: the defaults.
    let got = api
        .get(&format!(
            "/v2/actors/{GENERATOR}/run-sync-get-dataset-items?limit=3"
        ))
        .expect(201)
        .json();
    assert_eq!(
        got,
        json!([{"index": 0, "text": ""}, {"index": 1, "text": ""}, {"index": 2, "text": ""}])
    );
    let hello = api
        .get(&format!("/v2/acts/{HELLO}/run-sync-get-dataset-items"))
        .expect(201)
        .json();
    assert_eq!(hello, json!([{"message": "Hello, world!"}]));
    // maxItems caps what the run pushed.
    let capped = api
        .post_json(&format!("{path}?maxItems=2"), &json!({"count": 5}))
        .expect(201)
        .json();
    assert_eq!(capped.as_array().unwrap().len(), 2);
}

#[test]
fn run_sync_of_a_failed_run_is_400_run_failed() {
    let api = Api::start();
    for endpoint in ["run-sync", "run-sync-get-dataset-items"] {
        let r = api
            .post_json(
                &format!("/v2/acts/{GENERATOR}/{endpoint}"),
                &json!({"outcome": "FAILED", "count": 1}),
            )
            .expect(400);
        assert_eq!(r.error_type(), "run-failed");
        let last = api
            .get(&format!("/v2/acts/{GENERATOR}/runs/last"))
            .expect(200)
            .data();
        assert_eq!(status(&last), "FAILED");
        let msg = error_message(&r);
        assert!(msg.contains(&run_id(&last)), "{msg}");
        assert!(msg.contains("FAILED"), "{msg}");
    }
    // A run that times out is reported the same way, with its status.
    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync?timeout=1"),
            &json!({"durationSecs": 30}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "run-failed");
    assert!(error_message(&r).contains("TIMED-OUT"), "{}", r.text());
}

#[test]
fn run_sync_past_the_sync_timeout_is_408_and_the_run_goes_on() {
    let api = Api::start_with(EmulatorConfig {
        sync_timeout: Duration::from_millis(500),
        ..EmulatorConfig::default()
    });
    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/run-sync"),
            &json!({"durationSecs": 3, "count": 2}),
        )
        .expect(408);
    assert_eq!(r.error_type(), "run-timeout-exceeded");
    let last = api
        .get(&format!("/v2/acts/{GENERATOR}/runs/last"))
        .expect(200)
        .data();
    assert_eq!(status(&last), "RUNNING", "the run must go on");
    let r = api
        .get(&format!("/v2/acts/{HELLO}/run-sync-get-dataset-items"))
        .expect(201);
    assert_eq!(r.json(), json!([{"message": "Hello, world!"}]));
    let done = wait(&api, &run_id(&last));
    assert_eq!(status(&done), "SUCCEEDED");
    assert_eq!(items(&api, &done, "").len(), 2);
    assert_eq!(
        record(&api, &done, "OUTPUT").expect(200).json(),
        json!({"count": 2})
    );
}

// ---------------------------------------------------------------- runs lists, last, aliases, logs

#[test]
fn runs_lists_paginate_and_filter_by_status() {
    let api = Api::start();
    let mut hello_ids = Vec::new();
    for i in 0..3 {
        let run = api.start_run(HELLO, &json!({"message": format!("m{i}")}), "");
        hello_ids.push(run_id(&run));
        wait(&api, &run_id(&run));
    }
    let failed = api.start_run(
        GENERATOR,
        &json!({"outcome": "FAILED"}),
        "?waitForFinish=30",
    );
    assert_eq!(status(&failed), "FAILED");
    let running = long_run(&api, 30);

    let all = api.get("/v2/actor-runs").expect(200).data();
    assert_eq!(all["total"], 5);
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids[..3],
        hello_ids.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    assert_eq!(ids[4], run_id(&running));

    let hello = api
        .get(&format!("/v2/acts/{HELLO}/runs"))
        .expect(200)
        .data();
    assert_eq!(hello["total"], 3);
    assert!(hello["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "SUCCEEDED" && r["actId"] == all["items"][0]["actId"]));

    let page = api
        .get(&format!("/v2/actors/{HELLO}/runs?offset=1&limit=1"))
        .expect(200)
        .data();
    assert_eq!(page["total"], 3);
    assert_eq!(page["offset"], 1);
    assert_eq!(page["limit"], 1);
    assert_eq!(page["count"], 1);
    assert_eq!(page["items"][0]["id"], hello_ids[1].as_str());

    let desc = api
        .get(&format!("/v2/acts/{HELLO}/runs?desc=true&limit=2"))
        .expect(200)
        .data();
    assert_eq!(desc["desc"], true);
    assert_eq!(desc["items"][0]["id"], hello_ids[2].as_str());
    assert_eq!(desc["items"][1]["id"], hello_ids[1].as_str());
    let desc1 = api.get("/v2/actor-runs?desc=1").expect(200).data();
    assert_eq!(desc1["items"][0]["id"], running["id"]);

    let status_list = |path: &str| -> Vec<String> {
        api.get(path).expect(200).data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        status_list("/v2/actor-runs?status=FAILED,RUNNING"),
        ["FAILED", "RUNNING"]
    );
    assert_eq!(
        status_list("/v2/actor-runs?status=SUCCEEDED"),
        ["SUCCEEDED"; 3]
    );
    assert_eq!(
        status_list(&format!("/v2/acts/{GENERATOR}/runs?status=SUCCEEDED")).len(),
        0
    );
    assert_eq!(
        status_list(&format!(
            "/v2/acts/{GENERATOR}/runs?status=RUNNING,FAILED&desc=true"
        )),
        ["RUNNING", "FAILED"]
    );
    let r = api.get("/v2/actor-runs?status=DONE").expect(400);
    r.error_type();
    let r = api.get("/v2/actor-runs?limit=x").expect(400);
    r.error_type();
    abort(&api, &run_id(&running));
    assert_eq!(status_list("/v2/actor-runs?status=ABORTED"), ["ABORTED"]);
}

#[test]
fn runs_last_and_its_aliases() {
    let api = Api::start();
    let r = api.get(&format!("/v2/acts/{HELLO}/runs/last")).expect(404);
    assert_eq!(r.error_type(), "record-not-found");

    let first = api.start_run(HELLO, &json!({"message": "first"}), "?waitForFinish=30");
    let second = api.start_run(HELLO, &json!({"message": "second"}), "?waitForFinish=30");
    let failed = api.start_run(
        GENERATOR,
        &json!({"outcome": "FAILED"}),
        "?waitForFinish=30",
    );
    assert_eq!(status(&failed), "FAILED");
    // A start refused for its input creates no run: "second" stays the last one.
    api.post_json(&format!("/v2/acts/{HELLO}/runs"), &json!({"message": 1}))
        .expect(400);
    let last = api
        .get(&format!("/v2/acts/{HELLO}/runs/last"))
        .expect(200)
        .data();
    assert_eq!(last["id"], second["id"]);
    let gen_last = api
        .get(&format!("/v2/acts/{GENERATOR}/runs/last?status=SUCCEEDED"))
        .expect(404);
    assert_eq!(gen_last.error_type(), "record-not-found");
    let gen_failed = api
        .get(&format!("/v2/acts/{GENERATOR}/runs/last?status=FAILED"))
        .expect(200)
        .data();
    assert_eq!(gen_failed["id"], failed["id"]);

    // hello-world finishes at once, so the running run is a generator's.
    let running = long_run(&api, 30);
    let last_ok = api
        .get(&format!(
            "/v2/acts/{GENERATOR}/runs/last?status=FAILED,SUCCEEDED"
        ))
        .expect(200)
        .data();
    assert_eq!(last_ok["id"], failed["id"]);
    let last_any = api
        .get(&format!("/v2/acts/{GENERATOR}/runs/last"))
        .expect(200)
        .data();
    assert_eq!(last_any["id"], running["id"]);
    abort(&api, &run_id(&running));

    let items = api
        .get(&format!("/v2/acts/{HELLO}/runs/last/dataset/items"))
        .expect(200)
        .json();
    assert_eq!(items, json!([{"message": "second"}]));
    let out = api
        .get(&format!(
            "/v2/acts/{HELLO}/runs/last/key-value-store/records/OUTPUT"
        ))
        .expect(200);
    assert_eq!(out.json(), json!({"message": "second"}));
    let log = api
        .get(&format!("/v2/acts/{HELLO}/runs/last/log"))
        .expect(200);
    assert!(log
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert!(log.text().contains("second"), "{}", log.text());
    assert!(!log.text().contains("first"), "{}", log.text());
    // The status filter applies to the aliases as well.
    let out = api
        .get(&format!(
            "/v2/acts/{GENERATOR}/runs/last/key-value-store/records/OUTPUT?status=FAILED"
        ))
        .expect(200);
    assert_eq!(out.json(), json!({"count": 10}));
    let ds = api
        .get(&format!("/v2/acts/{HELLO}/runs/last/dataset"))
        .expect(200)
        .data();
    assert_eq!(ds["id"], second["defaultDatasetId"]);
    let ds = api
        .get(&format!(
            "/v2/acts/{HELLO}/runs/last/dataset?status=SUCCEEDED"
        ))
        .expect(200)
        .data();
    assert_eq!(ds["id"], second["defaultDatasetId"]);
    assert_ne!(ds["id"], first["defaultDatasetId"]);
}

#[test]
fn runs_are_reached_through_their_actor() {
    let api = Api::start();
    let run = long_run(&api, 30);
    let id = run_id(&run);
    let gen_id = actor_id(&api, GENERATOR);
    for path in [
        format!("/v2/acts/{GENERATOR}/runs/{id}"),
        format!("/v2/actors/{gen_id}/runs/{id}?waitForFinish=0"),
    ] {
        let r = api.get(&path).expect(200).data();
        assert_eq!(r["id"], id.as_str(), "{path}");
    }
    // Another Actor's path does not reach it.
    let r = api.get(&format!("/v2/acts/{HELLO}/runs/{id}")).expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    api.post_empty(&format!("/v2/acts/{HELLO}/runs/{id}/abort"))
        .expect(404);
    assert_eq!(status(&get_run(&api, &id)), "RUNNING");
    let aborted = api
        .post_empty(&format!("/v2/actors/{GENERATOR}/runs/{id}/abort"))
        .expect(200)
        .data();
    assert_eq!(status(&aborted), "ABORTED");

    // runs/last/abort aborts the last run.
    let second = long_run(&api, 30);
    let r = api
        .post_empty(&format!(
            "/v2/acts/{GENERATOR}/runs/last/abort?gracefully=true"
        ))
        .expect(200)
        .data();
    assert_eq!(r["id"], second["id"]);
    assert_eq!(status(&r), "ABORTING");
    assert_eq!(status(&wait(&api, &run_id(&second))), "ABORTED");
}

#[test]
fn run_aliases_reach_its_dataset_store_and_log() {
    let api = Api::start();
    let run = api.start_run(
        GENERATOR,
        &json!({"count": 3, "records": 1, "output": [1, 2]}),
        "?waitForFinish=30",
    );
    let id = run_id(&run);
    let got = api
        .get(&format!("/v2/actor-runs/{id}/dataset/items?limit=2"))
        .expect(200);
    assert_eq!(
        got.json(),
        json!([{"index": 0, "text": ""}, {"index": 1, "text": ""}])
    );
    assert_eq!(got.header("x-apify-pagination-total"), Some("3"));
    let ds = api
        .get(&format!("/v2/actor-runs/{id}/dataset"))
        .expect(200)
        .data();
    assert_eq!(ds["id"], run["defaultDatasetId"]);
    assert_eq!(ds["itemCount"], 3);
    let kvs = api
        .get(&format!("/v2/actor-runs/{id}/key-value-store"))
        .expect(200)
        .data();
    assert_eq!(kvs["id"], run["defaultKeyValueStoreId"]);
    // An OUTPUT may be any JSON (spec defect `json-record-any-value` in tests/common/openapi.rs).
    let out = api
        .get(&format!(
            "/v2/actor-runs/{id}/key-value-store/records/OUTPUT"
        ))
        .expect(200);
    assert_eq!(out.json(), json!([1, 2]));
    let rec = api
        .get(&format!(
            "/v2/actor-runs/{id}/key-value-store/records/record-00000"
        ))
        .expect(200);
    assert_eq!(rec.json(), json!({"index": 0}));
    let keys = api
        .get(&format!("/v2/actor-runs/{id}/key-value-store/keys"))
        .expect(200)
        .data();
    assert_eq!(keys["count"], 3);
    // Writes through the alias land in the run's store.
    api.request(
        "PUT",
        &format!("/v2/actor-runs/{id}/key-value-store/records/extra"),
        &[("Content-Type", "text/plain")],
        Some(b"hi"),
    );
    assert_eq!(record(&api, &run, "extra").expect(200).text(), "hi");
    let log = api
        .get(&format!("/v2/actor-runs/{id}/log"))
        .expect(200)
        .text();
    let direct = api.get(&format!("/v2/logs/{id}")).expect(200).text();
    assert_eq!(log, direct);
    assert!(log.contains("log line 2"), "{log}");
    for sub in ["dataset/items", "key-value-store/records/OUTPUT", "log"] {
        let r = api
            .get(&format!("/v2/actor-runs/AAAAAAAAAAAAAAAAA/{sub}"))
            .expect(404);
        assert_eq!(r.error_type(), "record-not-found");
    }
}

#[test]
fn logs_as_text_and_streamed() {
    let api = Api::start();
    let run = api.start_run(HELLO, &json!({"message": "logged"}), "?waitForFinish=30");
    let r = api.get(&format!("/v2/logs/{}", run_id(&run))).expect(200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let log = r.text();
    assert!(log.contains("logged"), "{log}");
    assert!(log.contains("SUCCEEDED"), "{log}");
    // Lines are timestamped.
    let first = log.lines().next().unwrap();
    assert!(
        is_iso_millis(&json!(first.split(' ').next().unwrap())),
        "{first}"
    );
    // stream=true on a finished run: the whole log, then the end.
    let streamed = api
        .get(&format!("/v2/logs/{}?stream=true", run_id(&run)))
        .expect(200)
        .text();
    assert_eq!(streamed, log);
    let r = api.get("/v2/logs/AAAAAAAAAAAAAAAAA").expect(404);
    assert_eq!(r.error_type(), "record-not-found");

    // A run with durationSecs: the stream delivers the first lines while the run is still
    // running, and ends once it is terminal.
    let run = api.start_run(
        GENERATOR,
        &json!({"durationSecs": 2, "count": 2, "logLines": 2}),
        "",
    );
    let id = run_id(&run);
    let mut s = raw_get(&api, &format!("/v2/logs/{id}?stream=1"));
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("log line 1") {
        let n = s.read(&mut buf).expect("stream read");
        assert!(
            n > 0,
            "stream ended early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&got).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.contains("finished with status"), "{head}");
    let mid = get_run(&api, &id);
    assert_eq!(status(&mid), "RUNNING", "the lines came before the end");
    loop {
        let n = s.read(&mut buf).expect("stream read");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let all = String::from_utf8_lossy(&got).into_owned();
    assert!(all.contains("Run finished with status SUCCEEDED"), "{all}");
    assert!(all.contains("dataset holds 2 items"), "{all}");
    // The stream ended because the run is terminal.
    assert_eq!(status(&get_run(&api, &id)), "SUCCEEDED");

    // An aborted run ends its stream as well.
    let run = long_run(&api, 30);
    let id = run_id(&run);
    let (tx, rx) = mpsc::channel();
    let (base, token, id2) = (api.base.clone(), api.token.clone(), id.clone());
    thread::spawn(move || {
        let client = Api::connect(&base, &token);
        let text = client
            .get(&format!("/v2/logs/{id2}?stream=true"))
            .expect(200)
            .text();
        let _ = tx.send(text);
    });
    thread::sleep(Duration::from_millis(300));
    abort(&api, &id);
    let text = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the stream ended with the run");
    assert!(text.contains("ABORTED"), "{text}");
}

// ---------------------------------------------------------------- tasks

#[test]
fn task_create_validates_name_actor_input_and_options() {
    let api = Api::start();
    let r = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": GENERATOR, "name": "my-task-1", "input": {"count": 2},
                    "options": {"memoryMbytes": 256}}),
        )
        .expect(201);
    let task = r.data();
    let id = task["id"].as_str().unwrap();
    assert_eq!(id.len(), 17);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/v2/actor-tasks/{id}", api.base).as_str())
    );
    assert_eq!(task["name"], "my-task-1");
    assert_eq!(task["actId"], actor_id(&api, GENERATOR).as_str());
    assert_eq!(task["input"], json!({"count": 2}));
    assert_eq!(task["options"]["memoryMbytes"], 256);
    assert!(is_iso_millis(&task["createdAt"]));
    // By Actor id and with the slash form too.
    let hello_id = actor_id(&api, HELLO);
    api.post_json(
        "/v2/actor-tasks",
        &json!({"actId": hello_id, "name": "by-id"}),
    )
    .expect(201);
    let t = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": "apify/hello-world", "name": "by-slash"}),
        )
        .expect(201)
        .data();
    assert_eq!(t["actId"], hello_id.as_str());

    let dup = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": HELLO, "name": "my-task-1"}),
        )
        .expect(400);
    assert_eq!(dup.error_type(), "actor-task-name-not-unique");
    assert!(error_message(&dup).contains("my-task-1"));

    for name in [
        json!("bad name"),
        json!("under_score"),
        json!(""),
        json!("a".repeat(64)),
        json!("ümlaut"),
        json!(5),
    ] {
        let r = api
            .post_json("/v2/actor-tasks", &json!({"actId": HELLO, "name": name}))
            .expect(400);
        assert_eq!(r.error_type(), "invalid-value", "{name}");
    }
    api.post_json(
        "/v2/actor-tasks",
        &json!({"actId": HELLO, "name": "a".repeat(63)}),
    )
    .expect(201);

    let r = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": "nobody~nothing", "name": "orphan"}),
        )
        .expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    let r = api
        .post_json("/v2/actor-tasks", &json!({"name": "no-actor"}))
        .expect(400);
    assert!(error_message(&r).contains("actId"));

    for (body, kind) in [
        (json!({"actId": HELLO, "input": [1]}), "invalid-input"),
        (json!({"actId": HELLO, "input": "text"}), "invalid-input"),
        (
            json!({"actId": GENERATOR, "input": {"count": "ten"}}),
            "invalid-input",
        ),
        (json!({"actId": HELLO, "options": "fast"}), "invalid-value"),
        (
            json!({"actId": HELLO, "options": {"memoryMbytes": "lots"}}),
            "invalid-value",
        ),
        (
            json!({"actId": HELLO, "options": {"timeoutSecs": -5}}),
            "invalid-value",
        ),
        (
            json!({"actId": HELLO, "options": {"build": 1}}),
            "invalid-value",
        ),
        (
            json!({"actId": HELLO, "options": {"restartOnError": "yes"}}),
            "invalid-value",
        ),
    ] {
        let r = api.post_json("/v2/actor-tasks", &body).expect(400);
        assert_eq!(r.error_type(), kind, "{body}");
    }
    let r = api
        .request(
            "POST",
            "/v2/actor-tasks",
            &[("Content-Type", "application/json")],
            Some(b"{\"actId\": "),
        )
        .expect(400);
    r.error_type();
    // A name is made up when none is given.
    let t = api
        .post_json("/v2/actor-tasks", &json!({"actId": HELLO}))
        .expect(201)
        .data();
    assert!(t["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(
        api.get("/v2/actor-tasks").expect(200).data()["total"],
        5,
        "only the valid tasks exist"
    );
}

#[test]
fn task_list_get_update_delete() {
    let api = Api::start();
    let a = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": HELLO, "name": "alpha", "input": {"message": "a"}}),
        )
        .expect(201)
        .data();
    let b = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": GENERATOR, "name": "beta", "options": {"timeoutSecs": 9}}),
        )
        .expect(201)
        .data();
    let list = api.get("/v2/actor-tasks").expect(200).data();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], a["id"]);
    assert_eq!(list["items"][1]["id"], b["id"]);
    assert_eq!(list["items"][1]["name"], "beta");
    let page = api
        .get("/v2/actor-tasks?offset=1&limit=1")
        .expect(200)
        .data();
    assert_eq!(page["count"], 1);
    assert_eq!(page["items"][0]["id"], b["id"]);

    let aid = a["id"].as_str().unwrap();
    for path in [
        format!("/v2/actor-tasks/{aid}"),
        "/v2/actor-tasks/emulator~alpha".to_string(),
        "/v2/actor-tasks/emulator%2Falpha".to_string(),
    ] {
        let t = api.get(&path).expect(200).data();
        assert_eq!(t["id"], a["id"], "{path}");
        assert_eq!(t["input"], json!({"message": "a"}));
    }
    for path in [
        "/v2/actor-tasks/AAAAAAAAAAAAAAAAA",
        "/v2/actor-tasks/someone~alpha",
        "/v2/actor-tasks/emulator~gamma",
    ] {
        let r = api.get(path).expect(404);
        assert_eq!(r.error_type(), "record-not-found", "{path}");
    }

    let updated = api
        .put_json(
            &format!("/v2/actor-tasks/{aid}"),
            &json!({"name": "alpha-2", "options": {"memoryMbytes": 512, "build": "latest"},
                    "input": {"message": "changed"}}),
        )
        .expect(200)
        .data();
    assert_eq!(updated["name"], "alpha-2");
    assert_eq!(updated["options"]["memoryMbytes"], 512);
    assert_eq!(updated["input"], json!({"message": "changed"}));
    let again = api
        .get("/v2/actor-tasks/emulator~alpha-2")
        .expect(200)
        .data();
    assert_eq!(again["id"], a["id"]);
    assert_eq!(again["input"], json!({"message": "changed"}));
    assert!(again["modifiedAt"].as_str() >= a["modifiedAt"].as_str());
    api.get("/v2/actor-tasks/emulator~alpha").expect(404);
    // A partial update keeps the rest.
    let partial = api
        .put_json(
            &format!("/v2/actor-tasks/{aid}"),
            &json!({"title": "Alpha"}),
        )
        .expect(200)
        .data();
    assert_eq!(partial["name"], "alpha-2");
    assert_eq!(partial["options"]["memoryMbytes"], 512);
    // Bad updates change nothing.
    let r = api
        .put_json(&format!("/v2/actor-tasks/{aid}"), &json!({"name": "beta"}))
        .expect(400);
    assert_eq!(r.error_type(), "actor-task-name-not-unique");
    api.put_json(
        &format!("/v2/actor-tasks/{aid}"),
        &json!({"name": "no way"}),
    )
    .expect(400);
    api.put_json(
        &format!("/v2/actor-tasks/{aid}"),
        &json!({"options": {"memoryMbytes": "x"}}),
    )
    .expect(400);
    api.put_json(
        &format!("/v2/actor-tasks/{aid}"),
        &json!({"input": {"message": 1}}),
    )
    .expect(400);
    let same = api
        .get(&format!("/v2/actor-tasks/{aid}"))
        .expect(200)
        .data();
    assert_eq!(same["name"], "alpha-2");
    assert_eq!(same["options"]["memoryMbytes"], 512);
    assert_eq!(same["input"], json!({"message": "changed"}));
    api.put_json("/v2/actor-tasks/AAAAAAAAAAAAAAAAA", &json!({"name": "x"}))
        .expect(404);

    let r = api.delete(&format!("/v2/actor-tasks/{aid}")).expect(204);
    assert!(r.body.is_empty());
    let r = api.get(&format!("/v2/actor-tasks/{aid}")).expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    api.delete(&format!("/v2/actor-tasks/{aid}")).expect(404);
    assert_eq!(api.get("/v2/actor-tasks").expect(200).data()["total"], 1);
    // The name is free again.
    api.post_json(
        "/v2/actor-tasks",
        &json!({"actId": HELLO, "name": "alpha-2"}),
    )
    .expect(201);
}

#[test]
fn task_input_get_and_put() {
    let api = Api::start();
    let t = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": GENERATOR, "name": "inputs", "input": {"count": 3}}),
        )
        .expect(201)
        .data();
    let id = t["id"].as_str().unwrap();
    let input = api.get(&format!("/v2/actor-tasks/{id}/input")).expect(200);
    // Bare, not wrapped in data.
    assert_eq!(input.json(), json!({"count": 3}));
    let put = api
        .put_json(
            "/v2/actor-tasks/emulator~inputs/input",
            &json!({"count": 4, "hidden": true}),
        )
        .expect(200);
    assert_eq!(put.json(), json!({"count": 4, "hidden": true}));
    assert_eq!(
        api.get(&format!("/v2/actor-tasks/{id}/input"))
            .expect(200)
            .json(),
        json!({"count": 4, "hidden": true})
    );
    assert_eq!(
        api.get(&format!("/v2/actor-tasks/{id}")).expect(200).data()["input"],
        json!({"count": 4, "hidden": true})
    );
    for body in [json!([1]), json!({"count": "ten"}), json!("x")] {
        let r = api
            .put_json(&format!("/v2/actor-tasks/{id}/input"), &body)
            .expect(400);
        r.error_type();
    }
    assert_eq!(
        api.get(&format!("/v2/actor-tasks/{id}/input"))
            .expect(200)
            .json(),
        json!({"count": 4, "hidden": true})
    );
    api.get("/v2/actor-tasks/AAAAAAAAAAAAAAAAA/input")
        .expect(404);
}

#[test]
fn task_runs_merge_input_and_options() {
    let api = Api::start();
    let task = api
        .post_json(
            "/v2/actor-tasks",
            &json!({
                "actId": GENERATOR,
                "name": "merging",
                "input": {"count": 5, "itemBytes": 3, "statusMessage": "from task"},
                "options": {"memoryMbytes": 256, "timeoutSecs": 100, "build": "latest", "maxItems": 4},
            }),
        )
        .expect(201)
        .data();
    let tid = task["id"].as_str().unwrap();
    let gen_id = actor_id(&api, GENERATOR);

    // Request input wins key by key; query options win over the task's.
    let r = api
        .post_json(
            &format!("/v2/actor-tasks/{tid}/runs?memory=512&waitForFinish=30"),
            &json!({"count": 6, "statusMessage": "from request"}),
        )
        .expect(201);
    assert!(r
        .header("location")
        .is_some_and(|l| l.starts_with(&format!("{}/v2/actor-runs/", api.base))));
    let run = r.data();
    assert_eq!(status(&run), "SUCCEEDED");
    assert_eq!(run["actorTaskId"], tid);
    assert_eq!(run["actId"], gen_id.as_str());
    let o = &run["options"];
    assert_eq!(o["memoryMbytes"], 512);
    assert_eq!(o["timeoutSecs"], 100);
    assert_eq!(o["build"], "latest");
    assert_eq!(o["maxItems"], 4);
    let input = record(&api, &run, "INPUT").expect(200);
    assert_eq!(
        input.json(),
        json!({"count": 6, "itemBytes": 3, "statusMessage": "from request"})
    );
    assert!(input
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(run["statusMessage"], "from request");
    let got = items(&api, &run, "");
    assert_eq!(got.len(), 4, "the task's maxItems applies");
    assert_eq!(got[0], json!({"index": 0, "text": "xxx"}));

    // No body: the task's input as is, the task's options.
    let run = api
        .post_empty("/v2/actor-tasks/emulator~merging/runs?waitForFinish=30")
        .expect(201)
        .data();
    assert_eq!(
        record(&api, &run, "INPUT").expect(200).json(),
        json!({"count": 5, "itemBytes": 3, "statusMessage": "from task"})
    );
    assert_eq!(run["options"]["memoryMbytes"], 256);
    assert_eq!(run["options"]["timeoutSecs"], 100);
    assert_eq!(run["statusMessage"], "from task");

    // Query overrides of timeout, maxItems and build.
    let run = api
        .post_json(
            &format!(
                "/v2/actor-tasks/{tid}/runs?timeout=50&maxItems=10&build=0.0.1&waitForFinish=30"
            ),
            &json!({}),
        )
        .expect(201)
        .data();
    assert_eq!(run["options"]["timeoutSecs"], 50);
    assert_eq!(run["options"]["maxItems"], 10);
    assert_eq!(run["options"]["build"], "0.0.1");
    assert_eq!(run["options"]["memoryMbytes"], 256);
    assert_eq!(items(&api, &run, "").len(), 5);

    // The merged input is validated; a non-object body is refused.
    let r = api
        .post_json(
            &format!("/v2/actor-tasks/{tid}/runs"),
            &json!({"count": "x"}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    let r = api
        .post_json(&format!("/v2/actor-tasks/{tid}/runs"), &json!([1]))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    let r = api
        .post_json(&format!("/v2/actor-tasks/{tid}/runs?memory=7"), &json!({}))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-parameter");
    api.post_json("/v2/actor-tasks/AAAAAAAAAAAAAAAAA/runs", &json!({}))
        .expect(404);
    assert_eq!(total_runs(&api), 3);
    // The task's stats count its runs.
    assert_eq!(
        api.get(&format!("/v2/actor-tasks/{tid}"))
            .expect(200)
            .data()["stats"]["totalRuns"],
        3
    );
}

#[test]
fn task_runs_list_last_and_sync() {
    let api = Api::start();
    let task = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": HELLO, "name": "greeter", "input": {"message": "from task"}}),
        )
        .expect(201)
        .data();
    let tid = task["id"].as_str().unwrap();
    let r = api
        .get(&format!("/v2/actor-tasks/{tid}/runs/last"))
        .expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    // A direct run of the same Actor is not a task run.
    let direct = api.start_run(HELLO, &json!({}), "?waitForFinish=30");
    assert!(direct["actorTaskId"].is_null());

    let one = api
        .post_empty(&format!("/v2/actor-tasks/{tid}/runs?waitForFinish=30"))
        .expect(201)
        .data();
    let two = api
        .post_json(
            &format!("/v2/actor-tasks/{tid}/runs?waitForFinish=30"),
            &json!({"message": "override"}),
        )
        .expect(201)
        .data();
    let list = api
        .get(&format!("/v2/actor-tasks/{tid}/runs"))
        .expect(200)
        .data();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], one["id"]);
    assert_eq!(list["items"][1]["id"], two["id"]);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["actorTaskId"] == tid));
    let desc = api
        .get("/v2/actor-tasks/emulator~greeter/runs?desc=true&limit=1")
        .expect(200)
        .data();
    assert_eq!(desc["items"][0]["id"], two["id"]);
    let by_status = api
        .get(&format!("/v2/actor-tasks/{tid}/runs?status=FAILED"))
        .expect(200)
        .data();
    assert_eq!(by_status["total"], 0);

    let last = api
        .get(&format!("/v2/actor-tasks/{tid}/runs/last"))
        .expect(200)
        .data();
    assert_eq!(last["id"], two["id"]);
    assert_eq!(last["actorTaskId"], tid);
    let last_items = api
        .get(&format!("/v2/actor-tasks/{tid}/runs/last/dataset/items"))
        .expect(200)
        .json();
    assert_eq!(last_items, json!([{"message": "override"}]));
    let out = api
        .get(&format!(
            "/v2/actor-tasks/{tid}/runs/last/key-value-store/records/OUTPUT"
        ))
        .expect(200)
        .json();
    assert_eq!(out, json!({"message": "override"}));
    let log = api
        .get(&format!("/v2/actor-tasks/{tid}/runs/last/log"))
        .expect(200)
        .text();
    assert!(log.contains("override"), "{log}");
    api.get(&format!("/v2/actor-tasks/{tid}/runs/last?status=FAILED"))
        .expect(404);

    // run-sync and run-sync-get-dataset-items, GET and POST.
    let out = api
        .get(&format!("/v2/actor-tasks/{tid}/run-sync"))
        .expect(201);
    assert!(out
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(out.json(), json!({"message": "from task"}));
    let out = api
        .post_json(
            &format!("/v2/actor-tasks/{tid}/run-sync"),
            &json!({"message": "sync override"}),
        )
        .expect(201);
    assert_eq!(out.json(), json!({"message": "sync override"}));
    // The items array (spec defect `task-sync-items-get-is-array` in tests/common/openapi.rs).
    let got = api
        .get("/v2/actor-tasks/emulator~greeter/run-sync-get-dataset-items")
        .expect(201)
        .json();
    assert_eq!(got, json!([{"message": "from task"}]));
    let got = api
        .post_json(
            &format!("/v2/actor-tasks/{tid}/run-sync-get-dataset-items?format=csv"),
            &json!({"message": "csv"}),
        )
        .expect(201);
    assert_eq!(csv_text(&got), "message\ncsv");
    let last = api
        .get(&format!("/v2/actor-tasks/{tid}/runs/last"))
        .expect(200)
        .data();
    assert_eq!(last["actorTaskId"], tid);
    assert_eq!(
        api.get(&format!("/v2/actor-tasks/{tid}/runs"))
            .expect(200)
            .data()["total"],
        6
    );

    // A task of the generator: failure and outputRecordKey through run-sync.
    let gen = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": GENERATOR, "name": "gen-task", "input": {"records": 2}}),
        )
        .expect(201)
        .data();
    let gid = gen["id"].as_str().unwrap();
    let rec = api
        .post_json(
            &format!("/v2/actor-tasks/{gid}/run-sync?outputRecordKey=record-00001"),
            &json!({}),
        )
        .expect(201);
    assert_eq!(rec.json(), json!({"index": 1}));
    let r = api
        .post_json(
            &format!("/v2/actor-tasks/{gid}/run-sync-get-dataset-items"),
            &json!({"outcome": "FAILED"}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "run-failed");
    let failed = api
        .get(&format!("/v2/actor-tasks/{gid}/runs/last"))
        .expect(200)
        .data();
    assert!(error_message(&r).contains(&run_id(&failed)));
    assert_eq!(status(&failed), "FAILED");
}

// ---------------------------------------------------------------- webhooks

#[test]
fn ad_hoc_webhook_gets_the_default_payload_and_headers() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    let hooks = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": receiver.url,
                        "description": "on success"}]);
    let run = api.start_run(
        HELLO,
        &json!({"message": "hooked"}),
        &format!("?webhooks={}", webhooks_param(&hooks)),
    );
    let id = run_id(&run);
    let hits = receiver.wait_for(1, Duration::from_millis(300));
    assert_eq!(hits.len(), 1, "exactly one delivery: {hits:?}");
    let hit = &hits[0];
    assert!(
        hit.request_line.starts_with("POST /hook "),
        "{}",
        hit.request_line
    );
    assert!(hit
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    let webhook_id = hit.header("x-apify-webhook").expect("X-Apify-Webhook");
    let dispatch_id = hit
        .header("x-apify-webhook-dispatch-id")
        .expect("X-Apify-Webhook-Dispatch-Id");
    assert!(!webhook_id.is_empty() && !dispatch_id.is_empty());
    let p = hit.json();
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["userId", "createdAt", "eventType", "eventData", "resource"]
    );
    assert_eq!(
        p["userId"],
        api.get("/v2/users/me").expect(200).data()["id"]
    );
    assert!(is_iso_millis(&p["createdAt"]), "{}", p["createdAt"]);
    assert_eq!(p["eventType"], "ACTOR.RUN.SUCCEEDED");
    assert_eq!(
        p["eventData"],
        json!({"actorId": actor_id(&api, HELLO), "actorRunId": id})
    );
    assert_eq!(p["resource"]["id"], id.as_str());
    assert_eq!(p["resource"]["status"], "SUCCEEDED");
    assert!(is_iso_millis(&p["resource"]["finishedAt"]));

    let d = dispatches(&api);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["id"], dispatch_id);
    assert_eq!(d[0]["webhookId"], webhook_id);
    assert_eq!(d[0]["eventType"], "ACTOR.RUN.SUCCEEDED");
    assert_eq!(d[0]["runId"], id.as_str());
    assert_eq!(d[0]["status"], "SUCCEEDED");
    assert_eq!(d[0]["description"], "on success");
    assert_eq!(d[0]["calls"].as_array().unwrap().len(), 1);
    assert_eq!(d[0]["calls"][0]["responseStatus"], 200);
}

#[test]
fn webhooks_fire_on_their_events_only() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    let hooks = json!([
        {"eventTypes": ["ACTOR.RUN.FAILED", "ACTOR.RUN.ABORTED", "ACTOR.RUN.TIMED_OUT"],
         "requestUrl": receiver.url},
        {"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": receiver.url},
    ]);
    let param = webhooks_param(&hooks);
    let failed = api.start_run(
        GENERATOR,
        &json!({"outcome": "FAILED", "count": 1}),
        &format!("?webhooks={param}&waitForFinish=30"),
    );
    let running = api.start_run(
        GENERATOR,
        &json!({"durationSecs": 30}),
        &format!("?webhooks={param}"),
    );
    abort(&api, &run_id(&running));
    let timed_out = api.start_run(
        GENERATOR,
        &json!({"durationSecs": 30}),
        &format!("?webhooks={param}&timeout=1"),
    );
    let hits = receiver.wait_for(3, Duration::from_millis(500));
    let mut events: Vec<(String, String)> = hits
        .iter()
        .map(|h| {
            let p = h.json();
            (
                p["eventType"].as_str().unwrap().to_string(),
                p["eventData"]["actorRunId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("ACTOR.RUN.ABORTED".to_string(), run_id(&running)),
            ("ACTOR.RUN.FAILED".to_string(), run_id(&failed)),
            ("ACTOR.RUN.TIMED_OUT".to_string(), run_id(&timed_out)),
        ]
    );
    // The payload's resource is the run in its final status.
    let timed_out_hit = hits
        .iter()
        .map(Hit::json)
        .find(|p| p["eventType"] == "ACTOR.RUN.TIMED_OUT")
        .unwrap();
    assert_eq!(timed_out_hit["resource"]["status"], "TIMED-OUT");
}

#[test]
fn webhook_answered_500_is_retried() {
    let api = Api::start();
    let receiver = Receiver::start(vec!["500 Internal Server Error".into()]);
    let hooks = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": receiver.url}]);
    let run = api.start_run(
        HELLO,
        &json!({}),
        &format!("?webhooks={}", webhooks_param(&hooks)),
    );
    let hits = receiver.wait_for(2, Duration::from_millis(500));
    assert_eq!(hits.len(), 2, "one failure, one retry: {hits:?}");
    // Both attempts are the same dispatch with the same payload.
    assert_eq!(
        hits[0].header("x-apify-webhook-dispatch-id"),
        hits[1].header("x-apify-webhook-dispatch-id")
    );
    assert_eq!(hits[0].body, hits[1].body);
    assert_eq!(hits[1].json()["resource"]["id"], run["id"]);
    let d = dispatches(&api);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["status"], "SUCCEEDED");
    let calls = d[0]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0]["responseStatus"], 500);
    assert_eq!(calls[1]["responseStatus"], 200);
}

#[test]
fn webhook_templates_and_idempotency_key_are_applied() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    let hooks = json!([{
        "eventTypes": ["ACTOR.RUN.SUCCEEDED"],
        "requestUrl": receiver.url,
        "payloadTemplate": "{\"run\": {{resource.id}}, \"event\": {{eventType}}, \"data\": {{eventData}}, \"fixed\": \"yes\"}",
        "headersTemplate": "{\"X-Custom\": \"abc\", \"X-Run-Status\": {{resource.status}}}",
        "idempotencyKey": "key-123",
    }]);
    let run = api.start_run(
        HELLO,
        &json!({}),
        &format!("?webhooks={}", webhooks_param(&hooks)),
    );
    let id = run_id(&run);
    let hits = receiver.wait_for(1, Duration::from_millis(300));
    assert_eq!(hits.len(), 1, "{hits:?}");
    let p = hits[0].json();
    assert_eq!(
        p,
        json!({"run": id, "event": "ACTOR.RUN.SUCCEEDED",
               "data": {"actorId": actor_id(&api, HELLO), "actorRunId": id}, "fixed": "yes"})
    );
    assert_eq!(hits[0].header("x-custom"), Some("abc"));
    assert_eq!(hits[0].header("x-run-status"), Some("SUCCEEDED"));
    assert_eq!(
        hits[0].header("x-apify-webhook-idempotency-key"),
        Some("key-123")
    );
    assert!(hits[0].header("x-apify-webhook").is_some());
}

#[test]
fn webhook_with_do_not_retry_is_sent_once() {
    let api = Api::start();
    let receiver = Receiver::start(vec!["500 Internal Server Error".into(); 5]);
    let hooks = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": receiver.url,
                        "doNotRetry": true}]);
    api.start_run(
        HELLO,
        &json!({}),
        &format!("?webhooks={}", webhooks_param(&hooks)),
    );
    let hits = receiver.wait_for(1, Duration::from_millis(1500));
    assert_eq!(hits.len(), 1, "doNotRetry means one attempt: {hits:?}");
    let d = dispatches(&api);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["status"], "FAILED");
    assert_eq!(d[0]["calls"].as_array().unwrap().len(), 1);
}

#[test]
fn webhook_to_another_host_is_refused_at_start() {
    let api = Api::start();
    for url in [
        "http://example.com/x",
        "http://10.0.0.1/x",
        "https://127.0.0.1/x",
        "http://127.0.0.1.example.com/x",
        "http://127.0.0.1@example.com/x",
        "http://192.168.1.1:8080/hook",
        "http://[::ffff:10.0.0.1]/x",
        "http://example.com\\@127.0.0.1/x",
        "ftp://127.0.0.1/x",
    ] {
        let hooks = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": url}]);
        let r = api
            .post_json(
                &format!("/v2/acts/{HELLO}/runs?webhooks={}", webhooks_param(&hooks)),
                &json!({}),
            )
            .expect(400);
        r.error_type();
        let msg = error_message(&r);
        assert!(msg.contains("webhooks"), "{url}: {msg}");
        assert!(msg.contains("loopback"), "{url}: {msg}");
        // The same for run-sync and task runs.
        api.post_json(
            &format!(
                "/v2/acts/{HELLO}/run-sync?webhooks={}",
                webhooks_param(&hooks)
            ),
            &json!({}),
        )
        .expect(400);
    }
    // One bad hook among good ones refuses the whole start.
    let hooks = json!([
        {"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": "http://127.0.0.1:9/ok"},
        {"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": "http://10.1.2.3/no"},
    ]);
    let r = api
        .post_json(
            &format!("/v2/acts/{HELLO}/runs?webhooks={}", webhooks_param(&hooks)),
            &json!({}),
        )
        .expect(400);
    assert!(error_message(&r).contains("10.1.2.3"), "{}", r.text());
    assert_eq!(total_runs(&api), 0, "no run was started");
    assert!(dispatches(&api).is_empty(), "no delivery was attempted");
}

#[test]
fn invalid_webhooks_parameter_is_400() {
    let api = Api::start();
    let b64 = |s: &str| qenc(&base64::engine::general_purpose::STANDARD.encode(s));
    for param in [
        "not*base64!".to_string(),
        b64("not json"),
        b64("{\"eventTypes\": [\"ACTOR.RUN.SUCCEEDED\"], \"requestUrl\": \"http://127.0.0.1/\"}"),
        b64("[1]"),
        b64("[{\"eventTypes\": [], \"requestUrl\": \"http://127.0.0.1/\"}]"),
        b64("[{\"eventTypes\": [\"ACTOR.RUN.EXPLODED\"], \"requestUrl\": \"http://127.0.0.1/\"}]"),
        b64("[{\"eventTypes\": [\"ACTOR.RUN.SUCCEEDED\"]}]"),
        b64("[{\"eventTypes\": [\"ACTOR.RUN.SUCCEEDED\"], \"requestUrl\": \"http://127.0.0.1/\", \"payloadTemplate\": 5}]"),
    ] {
        let r = api
            .post_json(&format!("/v2/acts/{HELLO}/runs?webhooks={param}"), &json!({}))
            .expect(400);
        assert_eq!(r.error_type(), "invalid-parameter", "{param}");
        assert!(error_message(&r).contains("webhooks"), "{}", r.text());
    }
    assert_eq!(total_runs(&api), 0);
    // A client that left '+' unescaped still gets its webhooks: base64 has no spaces.
    let hooks =
        json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": "http://127.0.0.1:9/?a=>>>"}]);
    let raw = base64::engine::general_purpose::STANDARD.encode(hooks.to_string());
    assert!(raw.contains('+'), "{raw}");
    let raw = raw.replace('=', "%3D").replace('/', "%2F");
    api.post_json(&format!("/v2/acts/{HELLO}/runs?webhooks={raw}"), &json!({}))
        .expect(201);
}

#[test]
fn webhook_redirects_are_not_followed() {
    let api = Api::start();
    // The redirect target is a second loopback receiver: it must never be contacted.
    let target = Receiver::start(Vec::new());
    let first = Receiver::start(vec![format!("302 Found\r\nLocation: {}", target.url)]);
    let hooks = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": first.url,
                        "doNotRetry": true}]);
    api.start_run(
        HELLO,
        &json!({}),
        &format!("?webhooks={}", webhooks_param(&hooks)),
    );
    assert_eq!(first.wait_for(1, Duration::from_millis(2000)).len(), 1);
    // The target has listened since before the run: with the 2 s above, 2.5 s in all.
    let followed = target.wait_for(0, Duration::from_millis(500));
    assert!(
        followed.is_empty(),
        "the redirect was followed: {followed:?}"
    );
    let d = dispatches(&api);
    assert_eq!(d[0]["calls"][0]["responseStatus"], 302);
    assert_eq!(d[0]["status"], "FAILED", "a redirect is not a delivery");
}

/// The child half of [`webhooks_ignore_proxy_settings`]: runs only in a child process whose
/// environment names a proxy.
#[test]
#[ignore = "run by webhooks_ignore_proxy_settings in a child process"]
fn webhook_proxy_child() {
    let Ok(proxy_port) = std::env::var("EMULATOR_TEST_PROXY_PORT") else {
        return;
    };
    let api = Api::start();
    // The test client talks to 127.0.0.1, which NO_PROXY exempts; the webhook goes to localhost,
    // which a proxy-aware client would send through the proxy.
    let receiver = Receiver::start(Vec::new());
    let url = format!("http://localhost:{}/hook", receiver.port);
    let hooks = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": url}]);
    api.start_run(
        HELLO,
        &json!({}),
        &format!("?webhooks={}", webhooks_param(&hooks)),
    );
    let hits = receiver.wait_for(1, Duration::from_millis(300));
    assert_eq!(
        hits.len(),
        1,
        "the webhook went elsewhere (proxy {proxy_port})"
    );
}

#[test]
fn webhooks_ignore_proxy_settings() {
    let proxy = Receiver::start(Vec::new());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "webhook_proxy_child",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env("EMULATOR_TEST_PROXY_PORT", proxy.port.to_string())
        .env("HTTP_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .env("http_proxy", format!("http://127.0.0.1:{}", proxy.port))
        .env("ALL_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("no_proxy")
        .output()
        .expect("child test runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let via_proxy = proxy.stop();
    assert!(
        via_proxy.is_empty(),
        "the proxy was contacted: {via_proxy:?}"
    );
}
