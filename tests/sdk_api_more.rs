//! The Rust SDK's storage get-or-create and delete, log following, connect timeout and raw byte
//! requests, against the in-process emulator.
#![cfg(feature = "emulator")]

use std::ops::ControlFlow;
use std::time::Duration;

use apify::{Client, Error, StartOptions, WaitOptions};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{add_fault, journal, setup, support};

fn id_of(meta: &Value) -> String {
    meta["id"]
        .as_str()
        .expect("metadata with an id")
        .to_string()
}

/// Follows a run's log to its end and answers the texts delivered.
fn follow(client: &Client, run_id: &str) -> Vec<String> {
    let mut texts = Vec::new();
    client
        .run(run_id)
        .follow_log(|t| {
            texts.push(t.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
    texts
}

fn start_generator(client: &Client, input: Value) -> String {
    client
        .actor("emulator/generator")
        .start(&input, &StartOptions::default())
        .unwrap()
        .id
}

// ---------------------------------------------------------------- get-or-create

#[test]
fn named_get_or_create_answers_one_storage_and_unnamed_a_new_one_each_time() {
    let (_emu, client) = setup();
    let a = client.get_or_create_dataset(Some("my-items")).unwrap();
    let b = client.get_or_create_dataset(Some("my-items")).unwrap();
    assert_eq!(id_of(&a), id_of(&b));
    assert_eq!(a["name"], "my-items");
    let other = client.get_or_create_dataset(Some("other-items")).unwrap();
    assert_ne!(id_of(&a), id_of(&other));
    let u1 = client.get_or_create_dataset(None).unwrap();
    let u2 = client.get_or_create_dataset(None).unwrap();
    assert_ne!(id_of(&u1), id_of(&u2));
    assert!(u1["name"].is_null(), "{u1}");
    // The ids reach the storages.
    assert!(client.dataset(&id_of(&a)).get().unwrap().is_some());
    assert!(client.dataset(&id_of(&u1)).get().unwrap().is_some());

    let s1 = client
        .get_or_create_key_value_store(Some("my-store"))
        .unwrap();
    let s2 = client
        .get_or_create_key_value_store(Some("my-store"))
        .unwrap();
    assert_eq!(id_of(&s1), id_of(&s2));
    assert_eq!(s1["name"], "my-store");
    let v1 = client.get_or_create_key_value_store(None).unwrap();
    let v2 = client.get_or_create_key_value_store(None).unwrap();
    assert_ne!(id_of(&v1), id_of(&v2));
    assert!(client.key_value_store(&id_of(&v1)).get().unwrap().is_some());
}

#[test]
fn empty_storage_names_are_refused_before_sending() {
    let (_emu, client) = setup();
    support(&client, "DELETE", "/_emulator/requests", None);
    for name in ["", "   "] {
        let e = client.get_or_create_dataset(Some(name)).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
        let e = client
            .get_or_create_key_value_store(Some(name))
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    assert!(journal(&client, "POST", "/v2/**").is_empty());
}

#[test]
fn a_lost_answer_repeats_a_named_get_or_create_but_not_an_unnamed_one() {
    let (_emu, client) = setup();
    let lost = json!({"kind": "lostResponse"});
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/datasets", "times": 1, "action": lost.clone()}),
    );
    let named = client.get_or_create_dataset(Some("after-loss")).unwrap();
    assert_eq!(journal(&client, "POST", "/v2/datasets").len(), 2);
    assert_eq!(
        id_of(&named),
        id_of(&client.get_or_create_dataset(Some("after-loss")).unwrap())
    );

    support(&client, "DELETE", "/_emulator/requests", None);
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/key-value-stores", "times": 1, "action": lost}),
    );
    let e = client.get_or_create_key_value_store(None).unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert_eq!(journal(&client, "POST", "/v2/key-value-stores").len(), 1);
}

// ---------------------------------------------------------------- delete

#[test]
fn deleted_storages_are_gone_and_deleting_again_is_a_404() {
    let (_emu, client) = setup();
    let ds = client.dataset(&id_of(&client.get_or_create_dataset(None).unwrap()));
    ds.push_items(&[json!({"a": 1})]).unwrap();
    ds.delete().unwrap();
    assert!(ds.get().unwrap().is_none());
    let e = ds.delete().unwrap_err();
    assert!(e.is_not_found(), "{e:?}");

    let named = client
        .get_or_create_key_value_store(Some("to-delete"))
        .unwrap();
    let store = client.key_value_store(&id_of(&named));
    store.set_text("A", "a").unwrap();
    store.delete().unwrap();
    assert!(store.get().unwrap().is_none());
    let e = store.delete().unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    // The name is free again: a new store.
    let again = client
        .get_or_create_key_value_store(Some("to-delete"))
        .unwrap();
    assert_ne!(id_of(&again), id_of(&named));

    let e = client.dataset("no-such-dataset").delete().unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = client
        .key_value_store("no-such-store")
        .delete()
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[test]
fn deleting_with_an_empty_id_is_refused() {
    let (_emu, client) = setup();
    support(&client, "DELETE", "/_emulator/requests", None);
    for e in [
        client.dataset(" ").delete().unwrap_err(),
        client.key_value_store("").delete().unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    assert!(journal(&client, "DELETE", "/v2/**").is_empty());
}

#[test]
fn a_delete_whose_answer_was_lost_succeeds() {
    let (_emu, client) = setup();
    let id = id_of(&client.get_or_create_dataset(None).unwrap());
    add_fault(
        &client,
        json!({"method": "DELETE", "path": format!("/v2/datasets/{id}"), "times": 1,
               "action": {"kind": "lostResponse"}}),
    );
    client.dataset(&id).delete().unwrap();
    assert!(client.dataset(&id).get().unwrap().is_none());
    let statuses: Vec<u64> = journal(&client, "DELETE", &format!("/v2/datasets/{id}"))
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    // The first attempt deleted it; the resend's 404 is that success.
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert_eq!(statuses[1], 404);
}

// ---------------------------------------------------------------- follow_log

#[test]
fn following_a_running_log_delivers_it_whole_and_in_order() {
    let (_emu, client) = setup();
    let id = start_generator(&client, json!({"logLines": 20, "durationSecs": 1.5}));
    // The stream ends as the run finishes; a final stream reads the log again and must skip
    // everything already delivered.
    let texts = follow(&client, &id);
    let run = client.run(&id).get().unwrap().unwrap();
    assert!(run.status.is_terminal(), "{:?}", run.status);
    let log = client.run(&id).log().unwrap();
    assert!(log.contains("log line 19"), "{log}");
    assert!(texts.iter().all(|t| !t.is_empty()));
    assert_eq!(texts.concat(), log);
}

#[test]
fn a_break_from_the_callback_cancels_the_follow() {
    let (_emu, client) = setup();
    let id = start_generator(&client, json!({"logLines": 20, "durationSecs": 1.5}));
    let mut calls = 0;
    let e = client
        .run(&id)
        .follow_log(|_| {
            calls += 1;
            ControlFlow::Break(())
        })
        .unwrap_err();
    assert!(matches!(e, Error::Cancelled { .. }), "{e:?}");
    assert_eq!(calls, 1);
}

#[test]
fn following_a_finished_run_delivers_its_log_once() {
    let (_emu, client) = setup();
    let id = start_generator(&client, json!({"logLines": 5}));
    let run = client.run(&id).wait(&WaitOptions::default()).unwrap();
    assert!(run.status.is_terminal());
    support(&client, "DELETE", "/_emulator/requests", None);
    let texts = follow(&client, &id);
    assert_eq!(texts.concat(), client.run(&id).log().unwrap());
    // One stream was enough: the run was known to be finished before it was opened.
    assert_eq!(journal(&client, "GET", "/v2/logs/*").len(), 1);
}

#[test]
fn a_cut_log_stream_is_reopened_without_repeating_text() {
    let (_emu, client) = setup();
    let id = start_generator(&client, json!({"logLines": 20, "durationSecs": 1.5}));
    add_fault(
        &client,
        json!({"method": "GET", "path": "/v2/logs/*", "times": 2, "action": {"kind": "truncate"}}),
    );
    let texts = follow(&client, &id);
    assert_eq!(texts.concat(), client.run(&id).log().unwrap());
    let streams = journal(&client, "GET", "/v2/logs/*");
    let faulted = streams.iter().filter(|e| !e["fault"].is_null()).count();
    assert_eq!(faulted, 2, "{streams:?}");
    assert!(streams.len() >= 3, "{streams:?}");
}

#[test]
fn following_a_missing_or_empty_run_id_fails() {
    let (_emu, client) = setup();
    let e = client
        .run("no-such-run")
        .follow_log(|_| ControlFlow::Continue(()))
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = client
        .run("  ")
        .follow_log(|_| ControlFlow::Continue(()))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
}

// ---------------------------------------------------------------- connect timeout

#[test]
fn a_zero_connect_timeout_is_refused_and_a_positive_one_works() {
    let (emu, _client) = setup();
    let e = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .proxy(None)
        .connect_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .proxy(None)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert!(client.get_or_create_dataset(None).is_ok());
}

// ---------------------------------------------------------------- request_bytes

#[test]
fn request_bytes_stores_and_reads_a_record_with_its_content_type() {
    let (_emu, client) = setup();
    let store = id_of(&client.get_or_create_key_value_store(None).unwrap());
    let path = format!("/v2/key-value-stores/{store}/records/NOTE");
    let body: &[u8] = b"plain text \xff\x00 with any bytes";
    let put = client
        .request_bytes("put", &path, &[], Some((body, "text/plain")))
        .unwrap();
    assert!(put.data.is_empty() || put.content_type.starts_with("application/json"));
    let got = client.request_bytes("GET", &path, &[], None).unwrap();
    assert_eq!(got.data, body);
    assert_eq!(got.content_type, "text/plain");
    // The typed call sees the same record.
    let record = client.key_value_store(&store).get_record("NOTE").unwrap();
    assert_eq!(record.unwrap().data, body);
    // Query parameters are passed on.
    let keys = client
        .request_bytes(
            "GET",
            &format!("/v2/key-value-stores/{store}/keys"),
            &[("limit", "1")],
            None,
        )
        .unwrap();
    assert!(keys.content_type.starts_with("application/json"));
    let keys: Value = serde_json::from_slice(&keys.data).unwrap();
    assert_eq!(keys["data"]["items"][0]["key"], "NOTE");
    // A missing record is the API's 404.
    let e = client
        .request_bytes(
            "GET",
            &format!("/v2/key-value-stores/{store}/records/MISSING"),
            &[],
            None,
        )
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[test]
fn request_bytes_refuses_bad_arguments_before_sending() {
    let (_emu, client) = setup();
    support(&client, "DELETE", "/_emulator/requests", None);
    let bad = [
        client.request_bytes("BREW", "/v2/users/me", &[], None),
        client.request_bytes("GET", "v2/users/me", &[], None),
        client.request_bytes(
            "POST",
            "/v2/key-value-stores",
            &[],
            Some((b"x".as_slice(), " ")),
        ),
    ];
    for r in bad {
        let e = r.unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    // request_raw shares the checks.
    let e = client
        .request_raw("BREW", "/v2/users/me", &[], None)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    assert!(journal(&client, "*", "/v2/**").is_empty());
}
