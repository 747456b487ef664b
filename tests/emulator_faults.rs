//! Faults with a probability and a seed (the same seed, the same hits), typed actions that refuse
//! unknown kinds and fields, and faults on webhook deliveries (drop, duplicate).
#![cfg(feature = "emulator")]

mod common;

use std::time::{Duration, Instant};

use apify::emulator::EmulatorConfig;
use base64::Engine;
use common::receiver::Receiver;
use common::Api;
use serde_json::{json, Value};

/// The statuses of 200 reads of /v2/users/me with a 30 % 503 fault seeded `seed`.
fn statuses(seed: u64) -> (Vec<u16>, Value) {
    let api = Api::start();
    api.post_json(
        "/_emulator/faults",
        &json!({"method": "GET", "path": "/v2/users/me", "probability": 0.3, "seed": seed,
                "action": {"kind": "status", "status": 503}}),
    )
    .expect(201);
    let got = (0..200).map(|_| api.get("/v2/users/me").status).collect();
    let journal = api
        .get("/_emulator/requests?fault=status&limit=3")
        .expect(200)
        .json();
    (got, journal)
}

#[test]
fn probabilistic_faults_repeat_with_their_seed() {
    let (a, journal) = statuses(42);
    let (b, _) = statuses(42);
    let (c, _) = statuses(43);
    assert_eq!(a, b, "the same seed gives the same hits");
    assert_ne!(a, c);
    let hits = a.iter().filter(|s| **s == 503).count();
    assert!((30..=90).contains(&hits), "{hits} of 200 at 30 %");
    assert!(a.iter().all(|s| *s == 503 || *s == 200));
    assert_eq!(
        journal["total"], hits,
        "the journal counts the faulted requests"
    );
    assert_eq!(journal["count"], 3);
    assert_eq!(journal["data"][0]["fault"], "status");
}

#[test]
fn faults_list_their_probability_and_hits_and_refuse_unknown_fields() {
    let api = Api::start();
    let f = api
        .post_json(
            "/_emulator/faults",
            &json!({"path": "/v2/users/me", "probability": 1.0, "seed": 5, "times": 2,
                    "action": {"kind": "status", "status": 500}}),
        )
        .expect(201)
        .data();
    assert_eq!(f["seed"], 5);
    assert_eq!(f["on"], "request");
    api.get("/v2/users/me").expect(500);
    let listed = api.get("/_emulator/faults").expect(200).data();
    assert_eq!(listed[0]["hits"], 1);
    assert_eq!(listed[0]["times"], 1);
    for (body, needle) in [
        (
            json!({"path": "/x", "colour": "red", "action": {"kind": "reset"}}),
            "'colour'",
        ),
        (
            json!({"path": "/x", "action": {"kind": "reset", "soft": true}}),
            "'action.soft'",
        ),
        (json!({"path": "/x", "action": {"kind": "melt"}}), "melt"),
        (
            json!({"path": "/x", "probability": 1.5, "action": {"kind": "reset"}}),
            "'probability'",
        ),
        (
            json!({"path": "/x", "action": {"kind": "duplicate"}}),
            "does not apply to requests",
        ),
        (
            json!({"path": "/x", "on": "webhookDelivery", "action": {"kind": "truncate"}}),
            "does not apply to webhook deliveries",
        ),
    ] {
        let r = api.post_json("/_emulator/faults", &body).expect(400);
        assert!(r.text().contains(needle), "{needle}: {}", r.text());
    }
}

/// The dispatch id of each request `receiver` got.
fn dispatch_ids(receiver: &Receiver) -> Vec<String> {
    receiver
        .hits()
        .iter()
        .filter_map(|h| h.header("x-apify-webhook-dispatch-id"))
        .map(str::to_string)
        .collect()
}

/// Runs hello-world with an ad-hoc webhook on SUCCEEDED to `url`; returns the settled dispatch.
fn run_with_webhook(api: &Api, url: &str) -> Value {
    let hooks = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": url}]);
    let param = base64::engine::general_purpose::STANDARD.encode(hooks.to_string());
    api.post_json(
        &format!("/v2/acts/apify~hello-world/runs?waitForFinish=30&webhooks={param}"),
        &json!({}),
    )
    .expect(201);
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let all = api.get("/_emulator/webhook-dispatches").expect(200).data();
        let d = all
            .as_array()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or(Value::Null);
        if (d["status"] == "SUCCEEDED" || d["status"] == "FAILED") || Instant::now() > end {
            return d;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn webhook_delivery_faults_drop_and_duplicate_attempts() {
    let api = Api::start_with(EmulatorConfig {
        webhook_retry_delay: Duration::from_millis(20),
        ..EmulatorConfig::default()
    });
    let receiver = Receiver::start(Vec::new());
    let url = format!("http://127.0.0.1:{}/hook/in", receiver.port);
    // Dropped once: the first attempt is not sent and counts as failed; the retry arrives.
    api.post_json(
        "/_emulator/faults",
        &json!({"on": "webhookDelivery", "path": "/hook/**", "action": {"kind": "drop"}}),
    )
    .expect(201);
    let d = run_with_webhook(&api, &url);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let calls = d["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{d}");
    assert!(calls[0]["errorMessage"]
        .as_str()
        .unwrap()
        .contains("dropped by an injected fault"));
    assert_eq!(calls[1]["responseStatus"], 200);
    let first = d["id"].as_str().unwrap().to_string();
    assert_eq!(dispatch_ids(&receiver), std::slice::from_ref(&first));
    // Duplicated: the receiver gets the same dispatch twice.
    api.post_json(
        "/_emulator/faults",
        &json!({"on": "webhookDelivery", "path": "/hook/in", "action": {"kind": "duplicate"}}),
    )
    .expect(201);
    let d = run_with_webhook(&api, &url);
    let second = d["id"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let end = Instant::now() + Duration::from_secs(5);
    while dispatch_ids(&receiver).len() < 3 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(dispatch_ids(&receiver), [first, second.clone(), second]);
    assert_eq!(d["calls"].as_array().unwrap().len(), 2, "{d}");
    // Request faults never touch deliveries, and delivery faults never touch requests.
    assert!(api
        .get("/_emulator/faults")
        .expect(200)
        .data()
        .as_array()
        .unwrap()
        .is_empty());
}
