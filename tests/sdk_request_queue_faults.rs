//! Request queues through failures (faults injected in the in-process emulator, 127.0.0.1 only):
//! which operations are resent after a lost answer or a 503 and which are not, and batch deletes.
#![cfg(feature = "emulator")]

use std::time::Duration;

use apify::{BatchOptions, Client, RequestQueueClient};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{add_fault, journal, new_queue, requests, setup};

const MINUTE: Duration = Duration::from_secs(60);

fn fault(client: &Client, method: &str, path: &str, action: Value) {
    add_fault(
        client,
        json!({"method": method, "path": path, "times": 1, "action": action}),
    );
}

fn attempts(client: &Client, method: &str, path: &str) -> usize {
    journal(client, method, path).len()
}

fn pending(q: &RequestQueueClient) -> u64 {
    q.get().unwrap().unwrap().pending_request_count
}

#[test]
fn batches_are_resent_after_a_503_and_a_lost_answer() {
    let (_emu, client) = setup();
    let q = new_queue(&client);
    let path = "/v2/request-queues/*/requests/batch";
    fault(
        &client,
        "POST",
        path,
        json!({"kind": "status", "status": 503}),
    );
    let out = q
        .add_batch(&requests("f", 30), &BatchOptions::default())
        .unwrap();
    assert_eq!(out.processed.len(), 30);
    assert_eq!(
        attempts(&client, "POST", path),
        3,
        "two batches, one resent"
    );
    // After a lost answer the resend finds the requests there: the key deduplicates them.
    fault(&client, "POST", path, json!({"kind": "lostResponse"}));
    let more = requests("f", 32)[30..].to_vec();
    let out = q.add_batch(&more, &BatchOptions::default()).unwrap();
    assert!(out.processed.iter().all(|p| p.was_already_present));
    assert_eq!(q.get().unwrap().unwrap().total_request_count, 32);
}

#[test]
fn a_lost_head_lock_is_not_resent() {
    let (_emu, client) = setup();
    let q = new_queue(&client);
    q.add_batch(&requests("f", 10), &BatchOptions::default())
        .unwrap();
    let path = "/v2/request-queues/*/head/lock";
    fault(&client, "POST", path, json!({"kind": "lostResponse"}));
    let e = q.list_and_lock_head(MINUTE, 4).unwrap_err();
    assert_eq!(attempts(&client, "POST", path), 1, "{e}");
    // The server locked them for this client, which can give them back at once.
    assert_eq!(q.unlock().unwrap(), 4);
    assert_eq!(q.list_and_lock_head(MINUTE, 25).unwrap().items.len(), 10);
}

#[test]
fn deletes_survive_lost_answers() {
    let (_emu, client) = setup();
    let q = new_queue(&client);
    let added = q
        .add_batch(&requests("f", 40), &BatchOptions::default())
        .unwrap();
    let ids: Vec<&str> = added
        .processed
        .iter()
        .map(|p| p.request_id.as_str())
        .collect();

    fault(
        &client,
        "DELETE",
        "/v2/request-queues/*/requests/*",
        json!({"kind": "lostResponse"}),
    );
    q.delete_request(ids[0]).unwrap();
    assert!(q.get_request(ids[0]).unwrap().is_none());

    // 39 left, deleted in two batches, one answer lost; missing ids are no error.
    let path = "/v2/request-queues/*/requests/batch";
    fault(&client, "DELETE", path, json!({"kind": "lostResponse"}));
    let left = q.delete_requests(&ids).unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(attempts(&client, "DELETE", path), 3);
    assert_eq!(pending(&q), 0);
    assert_eq!(q.iter_requests(&Default::default()).count(), 0);

    let e = q.delete_requests(&["a", " "]).unwrap_err();
    assert!(e.to_string().contains("request id 1"), "{e}");
}
