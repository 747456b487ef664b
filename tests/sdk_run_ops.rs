//! The SDK's run operations against the in-process emulator: status message and general
//! access, metamorph (then wait for the target's output), reboot, pay-per-event charges (the
//! limit refused, a lost answer retried under the same idempotency key and counted once),
//! delete, run lists with filters, the Actor's own run paths, and bad arguments refused before
//! any request.
#![cfg(feature = "emulator")]

use std::time::{Duration, Instant};

use apify::{
    ChargeOptions, Client, Error, MetamorphOptions, Run, RunStatus, RunUpdate, RunsOptions,
    StartOptions, WaitOptions,
};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{add_fault, journal, setup};

const GENERATOR: &str = "emulator/generator";
const HELLO: &str = "apify/hello-world";

/// Starts a generator run that goes on for 30 s and returns it once RUNNING.
fn running(client: &Client, actor: &str, options: &StartOptions) -> Run {
    let run = client
        .actor(actor)
        .start(&json!({"durationSecs": 30, "count": 2}), options)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = client.run(&run.id).get().unwrap().unwrap();
        if run.status == RunStatus::Running {
            return run;
        }
        assert!(Instant::now() < deadline, "never RUNNING: {run:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn api_kind(e: &Error) -> (u16, String) {
    match e {
        Error::Api(a) => (a.status, a.kind.clone()),
        other => panic!("not an API error: {other:?}"),
    }
}

fn is_invalid_argument(e: &Error, says: &str) -> bool {
    matches!(e, Error::InvalidArgument(m) if m.contains(says))
}

#[test]
fn status_message_and_general_access() {
    let (_emu, client) = setup();
    let run = running(&client, GENERATOR, &StartOptions::default());
    let rc = client.run(&run.id);
    let updated = rc.set_status_message("Working on it", false).unwrap();
    assert_eq!(updated.status_message.as_deref(), Some("Working on it"));
    assert_eq!(updated.extra["isStatusMessageTerminal"], false);
    let updated = rc
        .update(&RunUpdate::default().general_access("RESTRICTED"))
        .unwrap();
    assert_eq!(updated.extra["generalAccess"], "RESTRICTED");
    assert_eq!(updated.status_message.as_deref(), Some("Working on it"));
    let updated = rc.set_status_message("Last words", true).unwrap();
    assert_eq!(updated.extra["isStatusMessageTerminal"], true);
    // Refused before any request.
    for (update, says) in [
        (RunUpdate::default(), "changes nothing"),
        (
            RunUpdate::default().is_status_message_terminal(true),
            "needs a status_message",
        ),
        (RunUpdate::default().general_access(" "), "general_access"),
    ] {
        let e = rc.update(&update).unwrap_err();
        assert!(is_invalid_argument(&e, says), "{e:?}");
    }
    let e = client.run(" ").set_status_message("x", false).unwrap_err();
    assert!(is_invalid_argument(&e, "run id"), "{e:?}");
    let e = client
        .actor(GENERATOR)
        .run(&run.id)
        .set_status_message("x", false)
        .unwrap_err();
    assert!(is_invalid_argument(&e, "Client::run"), "{e:?}");
    assert_eq!(journal(&client, "PUT", "/v2/**").len(), 3);
    // Refused by the server.
    let e = rc
        .update(&RunUpdate::default().general_access("EVERYONE"))
        .unwrap_err();
    assert_eq!(api_kind(&e), (400, "invalid-input".into()));
    let e = client
        .run("AAAAAAAAAAAAAAAAA")
        .set_status_message("x", false)
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    rc.abort(false).unwrap();
}

#[test]
fn metamorph_then_wait_for_the_targets_output() {
    let (_emu, client) = setup();
    let hello_id = client.actor(HELLO).get().unwrap().unwrap()["id"].clone();
    let run = running(&client, GENERATOR, &StartOptions::default());
    let rc = client.run(&run.id);
    let morphed = rc
        .metamorph(
            HELLO,
            &json!({"message": "morphed"}),
            &MetamorphOptions::default().build("latest"),
        )
        .unwrap();
    assert_eq!(morphed.id, run.id);
    assert_eq!(json!(morphed.act_id), hello_id);
    assert_eq!(morphed.default_dataset_id, run.default_dataset_id);
    let m = morphed.metamorphs();
    assert_eq!(m.len(), 1);
    assert_eq!(json!(m[0].actor_id), hello_id);
    assert_eq!(m[0].input_key.as_deref(), Some("INPUT-METAMORPH-1"));
    let done = rc.wait(&WaitOptions::default()).unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    let output = rc.key_value_store().get_record("OUTPUT").unwrap().unwrap();
    assert_eq!(
        output.json::<Value>().unwrap(),
        json!({"message": "morphed"})
    );
    let input = rc
        .key_value_store()
        .get_record("INPUT-METAMORPH-1")
        .unwrap()
        .unwrap();
    assert_eq!(
        input.json::<Value>().unwrap(),
        json!({"message": "morphed"})
    );
    // A finished run cannot be metamorphed.
    let e = rc
        .metamorph(HELLO, &json!({}), &MetamorphOptions::default())
        .unwrap_err();
    assert_eq!(api_kind(&e), (400, "job-finished".into()));

    // Through the Actor's own run path and through the last-run alias.
    let run = running(&client, GENERATOR, &StartOptions::default());
    let scoped = client.actor(GENERATOR).run(&run.id);
    let m = scoped
        .metamorph(
            GENERATOR,
            &json!({"durationSecs": 30}),
            &MetamorphOptions::default(),
        )
        .unwrap();
    assert_eq!(m.metamorphs().len(), 1);
    let last = client.actor(GENERATOR).last_run_client(Some("RUNNING"));
    let m = last
        .metamorph(HELLO, &(), &MetamorphOptions::default())
        .unwrap();
    assert_eq!(m.id, run.id);
    assert_eq!(
        m.metamorphs()[1].input_key.as_deref(),
        Some("INPUT-METAMORPH-2")
    );
    let done = client.run(&run.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    // Without input the target ran with its defaults.
    let output = client.run(&run.id).key_value_store().get_record("OUTPUT");
    assert_eq!(
        output.unwrap().unwrap().json::<Value>().unwrap(),
        json!({"message": "Hello, world!"})
    );

    // Bad arguments, refused before any request.
    let before = journal(&client, "POST", "/v2/**/metamorph").len();
    for (target, input, options, says) in [
        (
            " ",
            json!({}),
            MetamorphOptions::default(),
            "target Actor id",
        ),
        (
            HELLO,
            json!([1]),
            MetamorphOptions::default(),
            "JSON object",
        ),
        (
            HELLO,
            json!({}),
            MetamorphOptions::default().build(""),
            "build",
        ),
    ] {
        let e = rc.metamorph(target, &input, &options).unwrap_err();
        assert!(is_invalid_argument(&e, says), "{e:?}");
    }
    assert_eq!(journal(&client, "POST", "/v2/**/metamorph").len(), before);
}

#[test]
fn reboot_restarts_a_running_run() {
    let (_emu, client) = setup();
    let run = running(&client, GENERATOR, &StartOptions::default());
    let rc = client.run(&run.id);
    let r = rc.reboot().unwrap();
    assert_eq!(r.id, run.id);
    assert_eq!(r.stats["rebootCount"], 1);
    assert_eq!(r.default_key_value_store_id, run.default_key_value_store_id);
    let r = client
        .actor(GENERATOR)
        .last_run_client(None)
        .reboot()
        .unwrap();
    assert_eq!(r.stats["rebootCount"], 2);
    let log = client.actor(GENERATOR).last_run_client(None).log().unwrap();
    assert_eq!(log.matches("Rebooting").count(), 2, "{log}");
    let e = client.actor(GENERATOR).run(&run.id).reboot().unwrap_err();
    assert!(is_invalid_argument(&e, "Client::run"), "{e:?}");
    let aborted = client
        .actor(GENERATOR)
        .last_run_client(None)
        .abort(false)
        .unwrap();
    assert_eq!(aborted.status, RunStatus::Aborted);
    let e = rc.reboot().unwrap_err();
    assert_eq!(api_kind(&e), (400, "job-finished".into()));
}

/// A pay-per-event Actor: `page` costs 0.25 USD.
fn ppe_actor(client: &Client) -> String {
    let actor = client
        .request(
            "POST",
            "/v2/acts",
            &[],
            Some(&json!({
                "name": "ppe",
                "versions": [{"versionNumber": "0.0", "sourceFiles": [
                    {"name": ".actor/actor.json", "format": "TEXT", "content": "{\"actorSpecification\": 1}"}
                ]}],
                "pricingInfos": [{"pricingModel": "PAY_PER_EVENT", "pricingPerEvent": {"actorChargeEvents": {
                    "page": {"eventTitle": "Page", "eventDescription": "One page", "eventPriceUsd": 0.25}
                }}}]
            })),
        )
        .unwrap();
    let id = actor["data"]["id"].as_str().unwrap().to_string();
    client
        .request(
            "POST",
            &format!("/v2/acts/{id}/builds?version=0.0&waitForFinish=30"),
            &[],
            None,
        )
        .unwrap();
    id
}

#[test]
fn charges_respect_the_limit_and_count_a_retry_once() {
    let (_emu, client) = setup();
    let ppe = ppe_actor(&client);
    let run = running(
        &client,
        &ppe,
        &StartOptions::default().max_total_charge_usd(1.0),
    );
    let rc = client.run(&run.id);
    rc.charge(&ChargeOptions::new("page").count(2)).unwrap();
    let got = rc.get().unwrap().unwrap();
    assert_eq!(got.charged_event_count("page"), 2);
    assert_eq!(got.usage_total_usd(), Some(0.5));
    // The answer is lost: the SDK sends the charge again with the same key; it counts once.
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actor-runs/*/charge", "times": 1,
               "action": {"kind": "lostResponse"}}),
    );
    rc.charge(&ChargeOptions::new("page")).unwrap();
    let sent = journal(&client, "POST", "/v2/actor-runs/*/charge");
    let keys: Vec<String> = sent
        .iter()
        .map(|e| {
            let headers = e["headers"].as_object().unwrap();
            let (_, v) = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("idempotency-key"))
                .expect("every charge carries an idempotency key");
            v.as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(keys.len(), 3, "{sent:?}");
    assert_ne!(keys[0], keys[1], "each charge has a key of its own");
    assert_eq!(keys[1], keys[2], "the retry repeats its charge's key");
    assert_eq!(rc.get().unwrap().unwrap().charged_event_count("page"), 3);
    // A key given by the caller: sending it again charges nothing more.
    let keyed = ChargeOptions::new("page").idempotency_key("order-17");
    rc.charge(&keyed).unwrap();
    rc.charge(&keyed).unwrap();
    let got = rc.get().unwrap().unwrap();
    assert_eq!(got.charged_event_count("page"), 4);
    assert_eq!(got.usage_total_usd(), Some(1.0));
    // Over maxTotalChargeUsd: refused, not retried.
    let e = rc.charge(&ChargeOptions::new("page")).unwrap_err();
    assert_eq!(api_kind(&e), (400, "limit-reached".into()));
    // Bad arguments, refused before any request.
    let before = journal(&client, "POST", "/v2/actor-runs/*/charge").len();
    for (options, says) in [
        (ChargeOptions::new("page").count(0), "count"),
        (ChargeOptions::new(" "), "event name"),
        (
            ChargeOptions::new("page").idempotency_key(""),
            "idempotency key",
        ),
        (
            ChargeOptions::new("page").idempotency_key(" k"),
            "idempotency key",
        ),
        (
            ChargeOptions::new("page").idempotency_key("k".repeat(257)),
            "idempotency key",
        ),
    ] {
        let e = rc.charge(&options).unwrap_err();
        assert!(is_invalid_argument(&e, says), "{e:?}");
    }
    let e = client
        .actor(&ppe)
        .run(&run.id)
        .charge(&ChargeOptions::new("page"))
        .unwrap_err();
    assert!(is_invalid_argument(&e, "Client::run"), "{e:?}");
    assert_eq!(
        journal(&client, "POST", "/v2/actor-runs/*/charge").len(),
        before
    );
    // An event the pricing lacks; an Actor without pay-per-event pricing.
    let e = rc.charge(&ChargeOptions::new("nothing")).unwrap_err();
    assert_eq!(api_kind(&e), (400, "invalid-input".into()));
    rc.abort(false).unwrap();
    let free = running(&client, GENERATOR, &StartOptions::default());
    let e = client
        .run(&free.id)
        .charge(&ChargeOptions::new("page"))
        .unwrap_err();
    assert_eq!(
        api_kind(&e),
        (400, "cannot-charge-non-pay-per-event-actor".into())
    );
    client.run(&free.id).abort(false).unwrap();
}

#[test]
fn only_a_finished_run_is_deleted() {
    let (_emu, client) = setup();
    let run = running(&client, GENERATOR, &StartOptions::default());
    let rc = client.run(&run.id);
    let e = rc.delete().unwrap_err();
    assert_eq!(api_kind(&e), (400, "cannot-remove-running-run".into()));
    rc.abort(false).unwrap();
    rc.delete().unwrap();
    assert!(rc.get().unwrap().is_none());
    assert!(client
        .dataset(&run.default_dataset_id)
        .get()
        .unwrap()
        .is_none());
    assert!(rc.delete().unwrap_err().is_not_found());
    // The answer to a delete is lost: sent again, its 404 means done.
    let run = client
        .actor(HELLO)
        .start(
            &json!({}),
            &StartOptions::default().wait_for_finish(Duration::from_secs(30)),
        )
        .unwrap();
    add_fault(
        &client,
        json!({"method": "DELETE", "path": "/v2/actor-runs/*", "times": 1,
               "action": {"kind": "lostResponse"}}),
    );
    client.run(&run.id).delete().unwrap();
    assert_eq!(
        journal(&client, "DELETE", &format!("/v2/actor-runs/{}", run.id)).len(),
        2
    );
    assert!(client.run(&run.id).get().unwrap().is_none());
    let e = client.actor(GENERATOR).run(&run.id).delete().unwrap_err();
    assert!(is_invalid_argument(&e, "Client::run"), "{e:?}");
}

#[test]
fn run_lists_take_filters() {
    let (_emu, client) = setup();
    let finished = StartOptions::default().wait_for_finish(Duration::from_secs(30));
    let mut done = Vec::new();
    for _ in 0..3 {
        done.push(client.actor(HELLO).start(&json!({}), &finished).unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    let slow = running(&client, GENERATOR, &StartOptions::default());
    let ids = |page: apify::Page<Run>| page.items.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all: Vec<String> = done.iter().chain([&slow]).map(|r| r.id.clone()).collect();
    assert_eq!(ids(client.runs(&RunsOptions::default()).unwrap()), all);
    let ok = client
        .runs(&RunsOptions::default().status(RunStatus::Succeeded))
        .unwrap();
    assert_eq!(ok.total, 3);
    assert!(ok.items.iter().all(|r| r.status == RunStatus::Succeeded));
    let going = RunsOptions::default().statuses([RunStatus::Running, RunStatus::Ready]);
    assert_eq!(ids(client.runs(&going).unwrap()), all[3..]);
    let second = done[1].started_at.clone();
    let after = RunsOptions::default().started_after(second.clone());
    assert_eq!(ids(client.runs(&after).unwrap()), all[1..]);
    let window = after.clone().started_before(second);
    assert_eq!(ids(client.runs(&window).unwrap()), all[1..2]);
    let newest = client
        .runs(&RunsOptions::default().desc(true).offset(1).limit(2))
        .unwrap();
    assert_eq!((newest.desc, newest.count), (true, 2));
    assert_eq!(ids(newest), [all[2].clone(), all[1].clone()]);
    // The Actor's list takes the same options.
    assert_eq!(ids(client.actor(HELLO).runs(&after).unwrap()), all[1..3]);
    // Refused before any request, and by the server.
    let before = journal(&client, "GET", "/v2/actor-runs").len();
    for (o, says) in [
        (RunsOptions::default().limit(0), "limit"),
        (
            RunsOptions::default().started_before("soon"),
            "started_before",
        ),
    ] {
        let e = client.runs(&o).unwrap_err();
        assert!(is_invalid_argument(&e, says), "{e:?}");
    }
    assert_eq!(journal(&client, "GET", "/v2/actor-runs").len(), before);
    let e = client
        .runs(&RunsOptions::default().status(RunStatus::Unknown("WAITING".into())))
        .unwrap_err();
    assert_eq!(api_kind(&e), (400, "invalid-parameter".into()));
    client.run(&slow.id).abort(false).unwrap();
}

#[test]
fn an_actors_own_run_paths() {
    let (_emu, client) = setup();
    let run = running(&client, GENERATOR, &StartOptions::default());
    let scoped = client.actor(GENERATOR).run(&run.id);
    assert_eq!(scoped.id(), run.id);
    assert_eq!(scoped.get().unwrap().unwrap().id, run.id);
    assert!(client.actor(HELLO).run(&run.id).get().unwrap().is_none());
    let aborted = scoped.abort(false).unwrap();
    assert_eq!(aborted.status, RunStatus::Aborted);
    let back = scoped.resurrect().unwrap();
    assert_eq!(back.stats["resurrectCount"], 1);
    let paths: Vec<String> = journal(&client, "POST", "/v2/actors/**")
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        paths.contains(&format!(
            "/v2/actors/emulator~generator/runs/{}/resurrect",
            run.id
        )),
        "{paths:?}"
    );
    client.run(&run.id).abort(false).unwrap();
}
