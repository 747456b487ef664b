//! The Rust SDK's request queues against the in-process emulator over real HTTP on 127.0.0.1:
//! queue metadata, update and delete, adding one request and batches (split by 25, duplicates),
//! requests by id, head locks (expiry, prolong, release, unlock) owned by each client's
//! `clientKey`, the cursor iterator, and the errors; plus the resend of unprocessed requests
//! against a server that never takes them.
#![cfg(feature = "emulator")]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use apify::{
    BatchOptions, Client, Error, QueueListOptions, QueueRequest, QueueUpdate, RequestQueueClient,
    RequestsOptions, StartOptions,
};
use serde_json::json;

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{journal, new_queue, requests, setup, support};

#[path = "common/rogue.rs"]
mod rogue;

const MINUTE: Duration = Duration::from_secs(60);

/// (total, handled, pending)
fn counts(q: &RequestQueueClient) -> (u64, u64, u64) {
    let m = q.get().unwrap().expect("the queue exists");
    (
        m.total_request_count,
        m.handled_request_count,
        m.pending_request_count,
    )
}

fn invalid_argument(e: Error) -> String {
    match e {
        Error::InvalidArgument(m) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn queues_are_created_listed_updated_and_deleted() {
    let (_emu, client) = setup();
    let made = client
        .get_or_create_request_queue(Some("frontier"))
        .unwrap();
    assert_eq!(made.name.as_deref(), Some("frontier"));
    assert_eq!(made.total_request_count, 0);
    let again = client
        .request_queues()
        .get_or_create(Some("frontier"))
        .unwrap();
    assert_eq!(
        again.id, made.id,
        "get-or-create by name answers the same queue"
    );
    let unnamed = client.get_or_create_request_queue(None).unwrap();
    assert_ne!(unnamed.id, made.id);

    let named = client
        .request_queues()
        .list(&QueueListOptions::default())
        .unwrap();
    let ids: Vec<&str> = named.items.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        [made.id.as_str()],
        "unnamed queues are listed only on request"
    );
    let all = client
        .request_queues()
        .list(&QueueListOptions::default().unnamed(true))
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert_eq!(all.total, 2);

    // By name as well as by id.
    let by_name = client.request_queue("frontier");
    assert_eq!(by_name.get().unwrap().unwrap().id, made.id);
    let updated = client
        .request_queue(&made.id)
        .update(
            &QueueUpdate::default()
                .name("frontier-2")
                .general_access("ANYONE_WITH_ID_CAN_READ"),
        )
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("frontier-2"));
    assert_eq!(
        updated.general_access.as_deref(),
        Some("ANYONE_WITH_ID_CAN_READ")
    );
    assert!(
        updated.extra.contains_key("consoleUrl"),
        "unknown fields are kept"
    );
    assert!(client.request_queue("frontier").get().unwrap().is_none());

    // The server refuses a bad general access, naming it.
    let e = client
        .request_queue(&made.id)
        .update(&QueueUpdate::default().general_access("EVERYONE"))
        .unwrap_err();
    assert_eq!(e.http_status(), Some(400));
    assert!(e.to_string().contains("generalAccess"), "{e}");

    client.request_queue(&made.id).delete().unwrap();
    assert!(client.request_queue(&made.id).get().unwrap().is_none());
    assert!(client
        .request_queue(&made.id)
        .delete()
        .unwrap_err()
        .is_not_found());
}

#[test]
fn requests_are_added_read_updated_handled_and_deleted() {
    let (_emu, client) = setup();
    let q = new_queue(&client);
    let first = q
        .add(
            &QueueRequest::new("https://example.com/a").user_data(json!({"depth": 1})),
            false,
        )
        .unwrap();
    assert!(!first.was_already_present);
    // The same URL spelled differently is the same request (the server derives the key).
    let dup = q
        .add(&QueueRequest::new("https://EXAMPLE.com/a/"), false)
        .unwrap();
    assert!(dup.was_already_present);
    assert_eq!(dup.request_id, first.request_id);
    let b = q
        .add(
            &QueueRequest::new("https://example.com/b").unique_key("bee"),
            false,
        )
        .unwrap();
    let front = q
        .add(&QueueRequest::new("https://example.com/urgent"), true)
        .unwrap();
    let head: Vec<String> = q
        .list_head(None)
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.id.unwrap())
        .collect();
    assert_eq!(
        head,
        [
            front.request_id,
            first.request_id.clone(),
            b.request_id.clone()
        ]
    );
    assert_eq!(counts(&q), (3, 0, 3));

    let got = q.get_request(&first.request_id).unwrap().unwrap();
    assert_eq!(got.url, "https://example.com/a");
    assert_eq!(got.extra["userData"]["depth"], 1);
    assert_eq!(got.method.as_deref(), Some("GET"));
    assert!(!got.is_handled());

    // Update keeps the unknown fields it was read with and changes what was set.
    let mut changed = got.clone();
    changed.extra.insert("userData".into(), json!({"depth": 2}));
    q.update_request(&changed, false).unwrap();
    let got = q.get_request(&first.request_id).unwrap().unwrap();
    assert_eq!(got.extra["userData"]["depth"], 2);

    let handled = q.mark_handled(got.id.as_deref().unwrap()).unwrap();
    assert_eq!(handled.request_id, first.request_id);
    let after = q.get_request(&first.request_id).unwrap().unwrap();
    assert!(after.is_handled());
    assert_eq!(
        after.extra["userData"]["depth"], 2,
        "marking handled keeps the fields"
    );
    assert_eq!(counts(&q), (3, 1, 2));
    let again = q
        .add(&QueueRequest::new("https://example.com/a"), false)
        .unwrap();
    assert!(again.was_already_present && again.was_already_handled);

    q.delete_request(&b.request_id).unwrap();
    assert!(q.get_request(&b.request_id).unwrap().is_none());
    assert!(q.delete_request(&b.request_id).unwrap_err().is_not_found());
    assert_eq!(counts(&q), (2, 1, 1));
}

#[test]
fn a_batch_of_60_with_duplicates_goes_in_three_requests() {
    let (_emu, client) = setup();
    let q = new_queue(&client);
    q.add(&QueueRequest::new("https://example.com/p/0"), false)
        .unwrap();
    // 40 unique URLs, then 20 of them again (one of which was in the queue before).
    let mut batch = requests("p", 40);
    batch.extend(requests("p", 20));
    let out = q.add_batch(&batch, &BatchOptions::default()).unwrap();
    assert!(out.unprocessed.is_empty());
    assert_eq!(out.processed.len(), 60);
    let present = out
        .processed
        .iter()
        .filter(|p| p.was_already_present)
        .count();
    assert_eq!(present, 21);
    let ids: HashSet<&str> = out
        .processed
        .iter()
        .map(|p| p.request_id.as_str())
        .collect();
    assert_eq!(ids.len(), 40);
    assert_eq!(counts(&q), (40, 0, 40));
    let posts = journal(&client, "POST", "/v2/request-queues/*/requests/batch");
    assert_eq!(posts.len(), 3, "60 requests go in batches of 25, 25 and 10");

    // Forefront batches go to the head.
    q.add_batch(
        &requests("first", 2),
        &BatchOptions::default().forefront(true),
    )
    .unwrap();
    let head = q.list_head(Some(2)).unwrap();
    assert!(head.items.iter().all(|r| r.url.contains("/first/")));

    // Every request is checked before any is sent; the error names the bad one.
    let mut bad = requests("bad", 30);
    bad[27] = QueueRequest::new("");
    let e = invalid_argument(q.add_batch(&bad, &BatchOptions::default()).unwrap_err());
    assert!(e.contains("request 27"), "{e}");
    assert_eq!(counts(&q).0, 42, "nothing of the bad batch was added");
}

#[test]
fn head_locks_belong_to_their_client_expire_and_are_given_back() {
    let (_emu, client) = setup();
    let a = new_queue(&client);
    let b = client.request_queue(a.id());
    assert_ne!(a.client_key(), b.client_key());
    a.add_batch(&requests("l", 10), &BatchOptions::default())
        .unwrap();

    let locked = a.list_and_lock_head(MINUTE, 4).unwrap();
    assert_eq!(locked.items.len(), 4);
    assert_eq!(locked.client_key.as_deref(), Some(a.client_key()));
    assert!(locked.items.iter().all(|r| r.lock_expires_at.is_some()));
    let mine: HashSet<String> = locked.items.iter().map(|r| r.id.clone().unwrap()).collect();

    // B gets the others, never A's.
    let theirs = b.list_and_lock_head(MINUTE, 25).unwrap();
    assert_eq!(theirs.items.len(), 6);
    assert!(theirs
        .items
        .iter()
        .all(|r| !mine.contains(r.id.as_ref().unwrap())));
    assert!(b.list_and_lock_head(MINUTE, 25).unwrap().items.is_empty());

    // Only the holder prolongs or releases its lock.
    let one = locked.items[0].id.clone().unwrap();
    let e = b.prolong_lock(&one, MINUTE, false).unwrap_err();
    assert_eq!(e.http_status(), Some(403), "{e}");
    let e = b.delete_lock(&one, false).unwrap_err();
    assert_eq!(e.http_status(), Some(403), "{e}");
    let until = a.prolong_lock(&one, MINUTE * 2, false).unwrap();
    assert!(
        until > locked.items[0].lock_expires_at.clone().unwrap(),
        "{until}"
    );

    // A gives one back to the head: B gets it next.
    a.delete_lock(&one, true).unwrap();
    a.delete_lock(&one, true).unwrap(); // a lock that is gone is no error
    let next = b.list_and_lock_head(MINUTE, 1).unwrap();
    assert_eq!(next.items[0].id.as_deref(), Some(one.as_str()));

    // A's other three go back at once; B's seven stay locked.
    assert_eq!(a.unlock().unwrap(), 3);
    assert_eq!(a.unlock().unwrap(), 0);
    let freed = a.list_and_lock_head(MINUTE, 25).unwrap();
    assert_eq!(freed.items.len(), 3);
    let locked_now = a
        .iter_requests(&RequestsOptions::default().locked(true))
        .count();
    assert_eq!(locked_now, 10);

    // A marks one handled while locked: it leaves the queue.
    let done = freed.items[0].clone();
    a.mark_handled(done.id.as_deref().unwrap()).unwrap();
    assert_eq!(counts(&a), (10, 1, 9));
    // B cannot change a request A holds.
    let e = b
        .mark_handled(freed.items[1].id.as_deref().unwrap())
        .unwrap_err();
    assert_eq!(e.http_status(), Some(403), "{e}");
}

#[test]
fn short_locks_expire_and_the_requests_come_back() {
    let (_emu, client) = setup();
    let a = new_queue(&client);
    let b = client.request_queue(a.id());
    a.add_batch(&requests("e", 3), &BatchOptions::default())
        .unwrap();
    let short = a.list_and_lock_head(Duration::from_millis(200), 3).unwrap();
    assert_eq!(short.items.len(), 3);
    assert_eq!(short.lock_secs, Some(0.2));
    // Poll (no timing asserted): once the locks have expired B can take all three.
    let deadline = Instant::now() + Duration::from_secs(30);
    let taken = loop {
        let got = b.list_and_lock_head(MINUTE, 3).unwrap();
        if !got.items.is_empty() {
            break got;
        }
        assert!(Instant::now() < deadline, "the short locks never expired");
        std::thread::sleep(Duration::from_millis(50));
    };
    let ids = |h: &apify::QueueHead| -> HashSet<String> {
        h.items.iter().map(|r| r.id.clone().unwrap()).collect()
    };
    assert_eq!(ids(&taken), ids(&short));
    // A's expired locks are not A's anymore.
    assert_eq!(a.unlock().unwrap(), 0);
    assert_eq!(b.unlock().unwrap(), 3);
}

#[test]
fn iter_requests_yields_every_request_once_across_pages() {
    let (_emu, client) = setup();
    let q = new_queue(&client);
    q.add_batch(&requests("i", 130), &BatchOptions::default())
        .unwrap();
    let options = RequestsOptions::default().limit(20);
    let page = q.list_requests(&options).unwrap();
    assert_eq!(page.items.len(), 20);
    assert!(page.next_cursor.is_some());

    let seen: Vec<QueueRequest> = q.iter_requests(&options).map(Result::unwrap).collect();
    assert_eq!(seen.len(), 130);
    let ids: HashSet<String> = seen.iter().map(|r| r.id.clone().unwrap()).collect();
    assert_eq!(ids.len(), 130);
    let urls: Vec<&str> = seen.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls[0], "https://example.com/i/0");
    assert_eq!(urls[129], "https://example.com/i/129");
    let pages = journal(&client, "GET", "/v2/request-queues/*/requests");
    assert_eq!(
        pages.len(),
        1 + 7,
        "one page alone, then 130 in pages of 20"
    );

    // Filters: the pending ones after a few are handled and a few locked.
    let locked = q.list_and_lock_head(MINUTE, 5).unwrap();
    q.mark_handled(locked.items[0].id.as_deref().unwrap())
        .unwrap();
    let pending = q
        .iter_requests(&RequestsOptions::default().pending(true).limit(50))
        .count();
    assert_eq!(pending, 130 - 5);
    let all = q.iter_requests(&RequestsOptions::default()).count();
    assert_eq!(all, 130);
}

#[test]
fn every_request_operation_sends_the_client_key() {
    let (_emu, client) = setup();
    let q = new_queue(&client).with_client_key("crawler-7").unwrap();
    let added = q
        .add(&QueueRequest::new("https://example.com/k"), false)
        .unwrap();
    q.add_batch(&requests("k", 2), &BatchOptions::default())
        .unwrap();
    q.list_head(None).unwrap();
    let locked = q.list_and_lock_head(MINUTE, 1).unwrap();
    assert_eq!(locked.client_key.as_deref(), Some("crawler-7"));
    q.prolong_lock(&added.request_id, MINUTE, false).unwrap();
    q.delete_lock(&added.request_id, false).unwrap();
    q.unlock().unwrap();
    q.list_requests(&RequestsOptions::default()).unwrap();
    let got = q.get_request(&added.request_id).unwrap().unwrap();
    q.update_request(&got, false).unwrap();
    q.delete_request(&added.request_id).unwrap();
    let mut seen = 0;
    for m in ["GET", "POST", "PUT", "DELETE"] {
        for e in journal(&client, m, "/v2/request-queues/*/*/**") {
            seen += 1;
            let query = e["query"].as_str().unwrap_or_default();
            assert!(
                query.contains("clientKey=crawler-7"),
                "{m} {} without the client key: {query:?}",
                e["path"]
            );
        }
    }
    assert!(seen >= 10, "{seen}");
}

#[test]
fn errors_name_what_was_wrong() {
    let (_emu, client) = setup();
    let missing = client.request_queue("no-such-queue");
    assert!(missing.get().unwrap().is_none());
    let e = missing
        .add(&QueueRequest::new("https://example.com"), false)
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert!(missing.list_head(None).unwrap_err().is_not_found());
    assert!(missing.get_request("r").unwrap_err().is_not_found());
    assert!(missing.unlock().unwrap_err().is_not_found());
    assert!(missing
        .iter_requests(&RequestsOptions::default())
        .next()
        .unwrap()
        .unwrap_err()
        .is_not_found());

    let q = new_queue(&client);
    for (e, name) in [
        (q.list_and_lock_head(MINUTE, 0).unwrap_err(), "lock limit"),
        (q.list_and_lock_head(MINUTE, 26).unwrap_err(), "lock limit"),
        (
            q.list_and_lock_head(Duration::ZERO, 1).unwrap_err(),
            "lock duration",
        ),
        (
            q.prolong_lock("r", Duration::ZERO, false).unwrap_err(),
            "lock duration",
        ),
        (q.get_request(" ").unwrap_err(), "request id"),
        (q.delete_lock("", false).unwrap_err(), "request id"),
        (q.list_head(Some(0)).unwrap_err(), "head limit"),
        (
            q.list_requests(&RequestsOptions::default().limit(0))
                .unwrap_err(),
            "requests limit",
        ),
        (q.add(&QueueRequest::new(" "), false).unwrap_err(), "url"),
        (
            q.add(&QueueRequest::new("https://x").unique_key(""), false)
                .unwrap_err(),
            "unique key",
        ),
        (
            q.update_request(&QueueRequest::new("https://x"), false)
                .unwrap_err(),
            "id",
        ),
        (
            q.update(&QueueUpdate::default()).unwrap_err(),
            "changes nothing",
        ),
        (
            client.request_queue(" ").get().unwrap_err(),
            "request queue id",
        ),
        (
            client.request_queue("q").with_client_key("").unwrap_err(),
            "client key",
        ),
        (
            client.get_or_create_request_queue(Some(" ")).unwrap_err(),
            "request queue name",
        ),
    ] {
        let m = invalid_argument(e);
        assert!(m.contains(name), "{m:?} does not name {name:?}");
    }

    // What only the server knows comes back as its error, with its message.
    let e = q
        .add(&QueueRequest::new("https://x").method("FETCH"), false)
        .unwrap_err();
    assert_eq!(e.http_status(), Some(400));
    assert!(e.to_string().contains("method"), "{e}");
    let e = q
        .list_requests(&RequestsOptions::default().cursor("garbage"))
        .unwrap_err();
    assert!(e.to_string().contains("cursor"), "{e}");
    let e = q
        .prolong_lock("no-such-request", MINUTE, false)
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[test]
fn requests_left_unprocessed_are_resent_then_reported() {
    // A server that takes nothing: every answer leaves both requests unprocessed.
    let body = json!({"data": {"processedRequests": [], "unprocessedRequests": [
        {"uniqueKey": "a", "url": "https://example.com/a", "method": "GET"},
        {"uniqueKey": "https://example.com/b", "url": "https://example.com/b", "method": "GET"},
    ]}});
    let server = rogue::Rogue::start(rogue::Behaviour::Json(body.to_string()));
    let client = Client::builder()
        .base_url(server.base_url())
        .token("t")
        .proxy(None)
        .build()
        .unwrap();
    let reqs = vec![
        QueueRequest::new("https://example.com/a").unique_key("a"),
        QueueRequest::new("https://example.com/b"),
        QueueRequest::new("https://example.com/c").unique_key("c"),
    ];
    let out = client
        .request_queue("q")
        .add_batch(
            &reqs,
            &BatchOptions::default()
                .max_unprocessed_retries(3)
                .min_delay(Duration::from_millis(1)),
        )
        .unwrap();
    assert_eq!(server.requests(), 4, "the first send and three resends");
    assert_eq!(out.unprocessed, reqs[..2].to_vec());
    assert!(out.processed.is_empty());
}

#[test]
fn requests_the_emulator_leaves_unprocessed_are_resent_until_all_are_in() {
    let (_emu, client) = setup();
    let q = new_queue(&client);
    // The next two batch answers each take only the first half of what they are sent.
    support(
        &client,
        "PUT",
        "/_emulator/settings",
        Some(json!({"rqUnprocessedBatches": 2})),
    );
    let out = q
        .add_batch(&requests("u", 10), &BatchOptions::default())
        .unwrap();
    assert!(out.unprocessed.is_empty(), "{:?}", out.unprocessed);
    assert_eq!(out.processed.len(), 10);
    assert_eq!(counts(&q), (10, 0, 10));
    // 10 -> 5 taken, the other 5 resent -> 3 taken, the last 2 resent -> taken.
    let posts = journal(&client, "POST", "/v2/request-queues/*/requests/batch");
    assert_eq!(posts.len(), 3);
}

#[test]
fn a_runs_default_request_queue_is_reached_through_the_run() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .start(&json!({"count": 1}), &StartOptions::default())
        .unwrap();
    let queue_id = run
        .default_request_queue_id
        .clone()
        .expect("a default queue");
    let q = client.run(&run.id).request_queue();
    assert_eq!(q.id(), run.id);
    q.add(&QueueRequest::new("https://example.com/from-run"), false)
        .unwrap();
    let meta = q.get().unwrap().expect("the run's queue");
    assert_eq!(meta.id, queue_id);
    assert_eq!(meta.total_request_count, 1);
    // The same queue by its own id.
    let direct = client.request_queue(&queue_id);
    let head = direct.list_head(None).unwrap();
    assert_eq!(head.items.len(), 1);
    assert_eq!(head.items[0].url, "https://example.com/from-run");
    let paths = journal(&client, "POST", "/v2/actor-runs/*/request-queue/requests");
    assert_eq!(paths.len(), 1);
}
