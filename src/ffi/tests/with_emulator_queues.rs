//! The request-queue functions against the emulator: one `clientKey` per handle (the same on
//! every call, another for another handle), locked heads with `lockExpiresAt`, and batches
//! larger than the API's 25.

use std::collections::BTreeSet;

use super::helpers::*;
use super::live::*;

/// The `clientKey` of every journal entry under `/v2/request-queues/{queue}`.
fn client_keys(c: *const apify_client, queue: &str) -> BTreeSet<String> {
    let journal = request_json(c, "GET", "/_emulator/requests", None);
    let entries = journal["data"].as_array().unwrap();
    let prefix = format!("/v2/request-queues/{queue}");
    entries
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with(&prefix))
        .filter_map(|e| {
            e["query"]
                .as_str()
                .unwrap()
                .split('&')
                .find_map(|kv| kv.strip_prefix("clientKey="))
                .map(str::to_owned)
        })
        .collect()
}

fn lock_head(c: *const apify_client, queue: &str, limit: c_int) -> Value {
    let q = cs(queue);
    json_of(
        "lock head",
        text_call(|out| unsafe { apify_rq_lock_head(c, q.as_ptr(), 30.0, limit, out) }),
    )
}

#[test]
fn each_handle_has_one_client_key_and_owns_its_locks() {
    let live = Live::new();
    let (a, b) = (live.client, client_of(&live.emu, live.emu.token(), 8));
    let name = cs("ffi-queue");
    let queue = json_of(
        "get or create",
        text_call(|out| unsafe { apify_rq_get_or_create(a, name.as_ptr(), out) }),
    );
    let id = queue["id"].as_str().unwrap().to_owned();
    let qid = cs(&id);
    // 60 requests: three batches of the API's 25 at most, all taken.
    let requests: Vec<Value> = (0..60)
        .map(|i| json!({"url": format!("https://example.com/{i}")}))
        .collect();
    let requests = cs(&Value::from(requests).to_string());
    let added = json_of(
        "add batch",
        text_call(|out| unsafe { apify_rq_add_batch(a, qid.as_ptr(), requests.as_ptr(), 0, out) }),
    );
    assert_eq!(added["processedRequests"].as_array().unwrap().len(), 60);
    assert_eq!(added["unprocessedRequests"], json!([]));
    request_json(a, "DELETE", "/_emulator/requests", None);

    let head_a = lock_head(a, &id, 25);
    let head_b = lock_head(b, &id, 25);
    let items_a = head_a.as_array().unwrap();
    assert_eq!(items_a.len(), 25);
    assert_eq!(items_a[0]["url"], "https://example.com/0");
    assert!(items_a[0]["lockExpiresAt"].is_string(), "{}", items_a[0]);
    assert_eq!(head_b[0]["url"], "https://example.com/25");
    let keys = client_keys(a, &id);
    assert_eq!(keys.len(), 2, "one key per handle: {keys:?}");

    // B cannot release or handle A's lock; A can, with the same key as before.
    let req = cs(items_a[0]["id"].as_str().unwrap());
    let st = unsafe { apify_rq_delete_lock(b, qid.as_ptr(), req.as_ptr(), 0) };
    expect_failure(st, APIFY_STATUS_UNAUTHORIZED, "clientKey");
    let st = unsafe { apify_rq_mark_handled(b, qid.as_ptr(), req.as_ptr()) };
    expect_failure(st, APIFY_STATUS_UNAUTHORIZED, "clientKey");
    expect_ok(
        unsafe { apify_rq_mark_handled(a, qid.as_ptr(), req.as_ptr()) },
        "mark handled",
    );
    let req = cs(items_a[1]["id"].as_str().unwrap());
    expect_ok(
        unsafe { apify_rq_delete_lock(a, qid.as_ptr(), req.as_ptr(), 1) },
        "delete lock",
    );
    assert_eq!(client_keys(a, &id), keys, "a handle's key never changes");
    // The released request went to the head: B gets it next.
    assert_eq!(lock_head(b, &id, 1)[0]["url"], "https://example.com/1");

    expect_ok(unsafe { apify_rq_delete(a, qid.as_ptr()) }, "delete");
    unsafe { apify_client_free(b) };
}
