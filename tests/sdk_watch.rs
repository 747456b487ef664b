//! Waiting for a run while following its log (`wait_with_log`, `call_with_log`): both callbacks
//! on the caller's thread, the log complete and in order, each stop honoured.
#![cfg(feature = "emulator")]

use std::ops::ControlFlow;

use apify::{CallOptions, Error, RunStatus, RunsOptions, StartOptions, WaitOptions};
use serde_json::json;

#[path = "common/sdk.rs"]
mod sdk;
use sdk::setup;

#[test]
fn call_with_log_delivers_statuses_and_the_whole_log_on_this_thread() {
    let (_emu, client) = setup();
    let me = std::thread::current().id();
    let mut statuses = Vec::new();
    let mut log = String::new();
    let run = client
        .actor("emulator/generator")
        .call_with_log(
            &json!({"logLines": 15, "durationSecs": 1}),
            &CallOptions::default(),
            |r| {
                assert_eq!(std::thread::current().id(), me);
                statuses.push(r.status.clone());
                ControlFlow::Continue(())
            },
            |text| {
                assert_eq!(std::thread::current().id(), me);
                log.push_str(text);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(statuses.last(), Some(&RunStatus::Succeeded));
    assert_eq!(log, client.run(&run.id).log().unwrap());
}

#[test]
fn reruns_follow_each_runs_log() {
    let (_emu, client) = setup();
    let mut log = String::new();
    let options = CallOptions::default().reruns_on_failure(1);
    let run = client
        .actor("emulator/generator")
        .call_with_log(
            &json!({"logLines": 2, "outcome": "FAILED"}),
            &options,
            |_| ControlFlow::Continue(()),
            |text| {
                log.push_str(text);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    let runs = client
        .actor("emulator/generator")
        .runs(&RunsOptions::default().limit(10))
        .unwrap();
    assert_eq!(runs.total, 2);
    let both: String = runs
        .items
        .iter()
        .map(|r| client.run(&r.id).log().unwrap())
        .collect();
    assert_eq!(log, both);
}

#[test]
fn a_progress_break_cancels_and_a_log_break_only_stops_the_log() {
    let (_emu, client) = setup();
    let actor = client.actor("emulator/generator");
    let run = actor
        .start(
            &json!({"logLines": 30, "durationSecs": 1}),
            &StartOptions::default(),
        )
        .unwrap();
    let err = client
        .run(&run.id)
        .wait_with_log(
            &WaitOptions::default(),
            |_| ControlFlow::Break(()),
            |_| ControlFlow::Continue(()),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    let mut pieces = 0;
    let done = client
        .run(&run.id)
        .wait_with_log(
            &WaitOptions::default(),
            |_| ControlFlow::Continue(()),
            |_| {
                pieces += 1;
                ControlFlow::Break(())
            },
        )
        .unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(
        pieces, 1,
        "after a break the log callback is not called again"
    );
}
