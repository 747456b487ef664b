//! Run starts through the Rust API: each start carries its own marker, a lost or slow start is
//! reconciled by that marker only, an extra run is aborted, and a server that does not record
//! the marker gets no resend. (The C ABI's cross-process and concurrency checks are in
//! tests/c/test_start_exactly_once.c.)
#![cfg(feature = "emulator")]

use std::time::Duration;

use apify::emulator::{Emulator, EmulatorConfig};
use apify::{Client, Error, RunStatus, RunsOptions, StartOptions};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{add_fault, journal, setup, setup_with};

#[test]
fn lost_responses_on_20_starts_give_exactly_20_runs() {
    let (_emu, client) = setup();
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actors/*/runs", "times": 20, "action": {"kind": "lostResponse"}}),
    );
    let actor = client.actor("apify/hello-world");
    let mut ids = std::collections::HashSet::new();
    for i in 0..20 {
        let run = actor
            .start(
                &json!({"message": format!("start {i}")}),
                &StartOptions::default(),
            )
            .unwrap();
        let input = client
            .key_value_store(&run.default_key_value_store_id)
            .get_record("INPUT")
            .unwrap()
            .unwrap();
        assert_eq!(
            input.json::<Value>().unwrap()["message"],
            format!("start {i}")
        );
        assert!(ids.insert(run.id));
    }
    assert_eq!(
        actor
            .runs(&RunsOptions::default().limit(1000))
            .unwrap()
            .total,
        20
    );
    // Identical inputs too: each caller still gets its own run.
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actors/*/runs", "times": 5, "action": {"kind": "lostResponse"}}),
    );
    for _ in 0..5 {
        let run = actor
            .start(&json!({"message": "same"}), &StartOptions::default())
            .unwrap();
        assert!(ids.insert(run.id));
    }
    assert_eq!(
        actor
            .runs(&RunsOptions::default().limit(1000))
            .unwrap()
            .total,
        25
    );
}

#[test]
fn lost_sync_run_is_not_resent() {
    let (_emu, client) = setup();
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actors/*/run-sync", "times": 1, "action": {"kind": "lostResponse"}}),
    );
    let actor = client.actor("apify/hello-world");
    let err = actor
        .run_sync(&json!({}), &StartOptions::default(), None)
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(
        actor.runs(&RunsOptions::default().limit(10)).unwrap().total,
        1
    );
}

#[test]
fn lost_task_start_is_reconciled() {
    let (_emu, client) = setup();
    client
        .request(
            "POST",
            "/v2/actor-tasks",
            &[],
            Some(&json!({"actId": "emulator/generator", "name": "gen", "input": {"count": 2}})),
        )
        .unwrap();
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actor-tasks/*/runs", "times": 3, "action": {"kind": "lostResponse"}}),
    );
    let task = client.task("emulator~gen");
    let a = task
        .start(&json!({"count": 3}), &StartOptions::default())
        .unwrap();
    let b = task.start(&(), &StartOptions::default()).unwrap();
    let c = task
        .start(&json!({"count": 3}), &StartOptions::default())
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_ne!(a.id, c.id);
    assert_ne!(b.id, c.id);
    assert_eq!(
        task.runs(&RunsOptions::default().limit(100)).unwrap().total,
        3
    );
}

#[test]
fn a_start_carries_its_marker_after_the_users_suffix() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .user_agent_suffix("my-app/2.0")
        .proxy(None)
        .build()
        .unwrap();
    let actor = client.actor("apify/hello-world");
    let a = actor.start(&json!({}), &StartOptions::default()).unwrap();
    let b = actor.start(&json!({}), &StartOptions::default()).unwrap();
    let ua = |run: &apify::Run| run.meta["userAgent"].as_str().unwrap().to_string();
    let re = regex::Regex::new(
        r"^libapify/\S+ \(Rust; blocking\) my-app/2\.0 libapify-start/[0-9a-f]{32}$",
    )
    .unwrap();
    assert!(re.is_match(&ua(&a)), "{}", ua(&a));
    assert!(re.is_match(&ua(&b)), "{}", ua(&b));
    assert_ne!(ua(&a), ua(&b), "every start has a marker of its own");
    // The run list shows the same meta.
    let page = actor.runs(&RunsOptions::default().limit(10)).unwrap();
    assert_eq!(page.items[0].meta["userAgent"], ua(&a));
    assert_eq!(page.items[0].meta["clientIp"], "127.0.0.1");
    // Other requests keep the plain User-Agent.
    let list = journal(&client, "", "/v2/actors/*/runs")
        .into_iter()
        .find(|e| e["method"] == "GET")
        .unwrap();
    assert!(!list["headers"]["user-agent"]
        .as_str()
        .unwrap()
        .contains("libapify-start/"));
}

#[test]
fn an_original_that_arrives_after_the_resend_is_kept_and_the_extra_run_aborted() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    // The original takes 1 s; the client gives up after 0.3 s, looks for no time at all, and
    // resends after a backoff of at least 1.2 s: the original is there when the resend answers.
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .timeout(Duration::from_millis(300))
        .min_retry_delay(Duration::from_millis(1200))
        .reconcile_window(Duration::ZERO)
        .proxy(None)
        .build()
        .unwrap();
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actors/*/runs", "action": {"kind": "delay", "ms": 1000}}),
    );
    let actor = client.actor("emulator/generator");
    let run = actor
        .start(&json!({"durationSecs": 30}), &StartOptions::default())
        .unwrap();
    let page = actor.runs(&RunsOptions::default().limit(10)).unwrap();
    assert_eq!(
        page.total, 2,
        "the original and the resend both reached the server"
    );
    let (oldest, extra) = (&page.items[0], &page.items[1]);
    assert_eq!(
        run.id, oldest.id,
        "the oldest run carrying the marker is kept"
    );
    assert_eq!(oldest.meta["userAgent"], extra.meta["userAgent"]);
    let extra = client.run(&extra.id).get().unwrap().unwrap();
    assert!(
        matches!(extra.status, RunStatus::Aborting | RunStatus::Aborted),
        "{:?}",
        extra.status
    );
    client.run(&run.id).abort(false).unwrap();
}

#[test]
fn a_server_that_does_not_record_the_marker_gets_no_resend() {
    let (_emu, client) = setup_with(EmulatorConfig {
        record_user_agent: false,
        ..EmulatorConfig::default()
    });
    let actor = client.actor("apify/hello-world");
    let run = actor.start(&json!({}), &StartOptions::default()).unwrap();
    assert!(run.meta["userAgent"].is_null());
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actors/*/runs", "action": {"kind": "lostResponse"}}),
    );
    let err = actor
        .start(&json!({}), &StartOptions::default())
        .unwrap_err();
    let Error::OutcomeUnknown {
        start_marker,
        run_id,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(start_marker
        .as_deref()
        .is_some_and(|m| m.starts_with(apify::START_MARKER_PREFIX)));
    assert!(run_id.is_none());
    assert!(message.contains("does not record"), "{message}");
    assert!(
        err.to_string()
            .contains("GET /v2/actors/apify~hello-world/runs?desc=true"),
        "{err}"
    );
    assert_eq!(
        actor.runs(&RunsOptions::default().limit(10)).unwrap().total,
        2
    );
}
