//! Request queues of the emulator over real HTTP on 127.0.0.1: deduplication by `uniqueKey`,
//! forefront order, handling, head locks that expire, prolong/release/unlock by `clientKey`,
//! batches of 25, counts, cursor listing while adding, and the collection operations.
#![cfg(feature = "emulator")]

mod common;

use std::collections::HashSet;
use std::thread::sleep;
use std::time::Duration;

use common::Api;
use serde_json::{json, Value};

fn new_queue(api: &Api, name: Option<&str>) -> String {
    let q = name.map(|n| format!("?name={n}")).unwrap_or_default();
    api.post_empty(&format!("/v2/request-queues{q}"))
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn add(api: &Api, q: &str, body: Value, query: &str) -> Value {
    api.post_json(&format!("/v2/request-queues/{q}/requests?{query}"), &body)
        .expect(201)
        .data()
}

fn queue(api: &Api, q: &str) -> Value {
    api.get(&format!("/v2/request-queues/{q}"))
        .expect(200)
        .data()
}

fn head_urls(api: &Api, q: &str) -> Vec<String> {
    api.get(&format!("/v2/request-queues/{q}/head?limit=100"))
        .expect(200)
        .data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_string())
        .collect()
}

fn lock(api: &Api, q: &str, query: &str) -> Vec<Value> {
    api.post_empty(&format!("/v2/request-queues/{q}/head/lock?{query}"))
        .expect(201)
        .data()["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn counts(api: &Api, q: &str) -> (u64, u64, u64) {
    let d = queue(api, q);
    (
        d["totalRequestCount"].as_u64().unwrap(),
        d["handledRequestCount"].as_u64().unwrap(),
        d["pendingRequestCount"].as_u64().unwrap(),
    )
}

fn mark_handled(api: &Api, q: &str, request: &Value, client: &str) -> Value {
    let mut body = request.clone();
    body["handledAt"] = json!("2026-01-01T00:00:00.000Z");
    api.put_json(
        &format!(
            "/v2/request-queues/{q}/requests/{}?clientKey={client}",
            request["id"].as_str().unwrap()
        ),
        &body,
    )
    .expect(200)
    .data()
}

#[test]
fn unique_keys_deduplicate_and_default_to_the_normalized_url() {
    let api = Api::start();
    let q = new_queue(&api, None);
    let a = add(
        &api,
        &q,
        json!({"url": "https://Example.com/a/?b=2&a=1#top"}),
        "",
    );
    assert_eq!(a["wasAlreadyPresent"], false);
    assert_eq!(a["wasAlreadyHandled"], false);
    // Another spelling of the same page is the same request.
    let b = add(
        &api,
        &q,
        json!({"url": "https://example.com/a?a=1&b=2&utm_source=x"}),
        "",
    );
    assert_eq!(b["wasAlreadyPresent"], true);
    assert_eq!(b["requestId"], a["requestId"]);
    let got = api
        .get(&format!(
            "/v2/request-queues/{q}/requests/{}",
            a["requestId"].as_str().unwrap()
        ))
        .expect(200)
        .data();
    assert_eq!(got["uniqueKey"], "https://example.com/a?a=1&b=2");
    assert_eq!(got["url"], "https://Example.com/a/?b=2&a=1#top");
    assert_eq!(got["method"], "GET");
    assert_eq!(got["retryCount"], 0);
    // An explicit uniqueKey wins: the same URL twice under two keys is two requests.
    let c = add(
        &api,
        &q,
        json!({"url": "https://example.com/a", "uniqueKey": "k1"}),
        "",
    );
    assert_eq!(c["wasAlreadyPresent"], false);
    // Once handled, a duplicate says so.
    mark_handled(&api, &q, &got, "");
    let d = add(
        &api,
        &q,
        json!({"url": "https://example.com/a?b=2&a=1"}),
        "",
    );
    assert_eq!(d["wasAlreadyPresent"], true);
    assert_eq!(d["wasAlreadyHandled"], true);
    assert_eq!(counts(&api, &q), (2, 1, 1));
    // Bad requests are refused naming what is wrong.
    let r = api
        .post_json(
            &format!("/v2/request-queues/{q}/requests"),
            &json!({"uniqueKey": "x"}),
        )
        .expect(400);
    assert!(r.text().contains("'url'"), "{}", r.text());
    let r = api
        .post_json(
            &format!("/v2/request-queues/{q}/requests"),
            &json!({"url": "https://e.com", "method": "FETCH"}),
        )
        .expect(400);
    assert!(r.text().contains("'method'"), "{}", r.text());
}

#[test]
fn forefront_requests_come_first_and_handled_ones_leave_the_head() {
    let api = Api::start();
    let q = new_queue(&api, None);
    for u in ["https://e.com/1", "https://e.com/2"] {
        add(&api, &q, json!({"url": u}), "");
    }
    add(
        &api,
        &q,
        json!({"url": "https://e.com/f1"}),
        "forefront=true",
    );
    add(&api, &q, json!({"url": "https://e.com/f2"}), "forefront=1");
    assert_eq!(
        head_urls(&api, &q),
        [
            "https://e.com/f2",
            "https://e.com/f1",
            "https://e.com/1",
            "https://e.com/2"
        ]
    );
    // A request added already handled is handled, never in the head.
    add(
        &api,
        &q,
        json!({"url": "https://e.com/done", "handledAt": "2026-01-01T00:00:00Z"}),
        "",
    );
    assert_eq!(counts(&api, &q), (5, 1, 4));
    assert_eq!(head_urls(&api, &q).len(), 4);
    // Un-handling puts a request back (at the forefront when asked).
    let list = api
        .get(&format!("/v2/request-queues/{q}/requests"))
        .expect(200)
        .data();
    let done = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["url"] == "https://e.com/done")
        .unwrap()
        .clone();
    assert!(done["handledAt"].is_string());
    let mut body = done.clone();
    body["handledAt"] = Value::Null;
    let reg = api
        .put_json(
            &format!(
                "/v2/request-queues/{q}/requests/{}?forefront=true",
                done["id"].as_str().unwrap()
            ),
            &body,
        )
        .expect(200)
        .data();
    assert_eq!(reg["wasAlreadyHandled"], true);
    assert_eq!(head_urls(&api, &q)[0], "https://e.com/done");
    assert_eq!(counts(&api, &q), (5, 0, 5));
}

#[test]
fn locks_hide_requests_until_they_expire_or_are_released() {
    let api = Api::start();
    let q = new_queue(&api, None);
    for i in 0..4 {
        add(&api, &q, json!({"url": format!("https://e.com/{i}")}), "");
    }
    let a = lock(&api, &q, "lockSecs=1&limit=2&clientKey=a");
    assert_eq!(a.len(), 2);
    assert!(a[0]["lockExpiresAt"].is_string());
    assert_eq!(a[0]["url"], "https://e.com/0");
    // Client b gets the next two; nothing is left for c.
    let b = lock(&api, &q, "lockSecs=60&limit=25&clientKey=b");
    assert_eq!(b.len(), 2);
    assert_eq!(b[0]["url"], "https://e.com/2");
    assert!(lock(&api, &q, "lockSecs=60&clientKey=c").is_empty());
    assert!(head_urls(&api, &q).is_empty());
    // b cannot touch a's locks.
    let id0 = a[0]["id"].as_str().unwrap();
    let r = api
        .request(
            "PUT",
            &format!("/v2/request-queues/{q}/requests/{id0}/lock?lockSecs=60&clientKey=b"),
            &[],
            None,
        )
        .expect(403);
    assert_eq!(r.error_type(), "request-handled-or-locked");
    // a's one-second locks expire; their requests are available again, in their places.
    let mut again = Vec::new();
    for _ in 0..100 {
        sleep(Duration::from_millis(100));
        again = lock(&api, &q, "lockSecs=60&clientKey=c");
        if !again.is_empty() {
            break;
        }
    }
    let urls: Vec<&str> = again.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert_eq!(urls, ["https://e.com/0", "https://e.com/1"]);
    // b prolongs one lock and releases the other to the forefront.
    let b0 = b[0]["id"].as_str().unwrap();
    let b1 = b[1]["id"].as_str().unwrap();
    let p = api
        .request(
            "PUT",
            &format!("/v2/request-queues/{q}/requests/{b0}/lock?lockSecs=120&clientKey=b"),
            &[],
            None,
        )
        .expect(200)
        .data();
    assert!(p["lockExpiresAt"].as_str().unwrap() > b[0]["lockExpiresAt"].as_str().unwrap());
    api.delete(&format!(
        "/v2/request-queues/{q}/requests/{b1}/lock?clientKey=b&forefront=true"
    ))
    .expect(204);
    assert_eq!(head_urls(&api, &q), ["https://e.com/3"]);
    // Unlock releases every lock of c (2), none of b's.
    let n = api
        .post_empty(&format!(
            "/v2/request-queues/{q}/requests/unlock?clientKey=c"
        ))
        .expect(200)
        .data();
    assert_eq!(n["unlockedCount"], 2);
    assert_eq!(
        head_urls(&api, &q),
        ["https://e.com/3", "https://e.com/0", "https://e.com/1"]
    );
    let locked = api
        .get(&format!("/v2/request-queues/{q}/requests?filter=locked"))
        .expect(200)
        .data();
    let ids: Vec<&str> = locked["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b0]);
    assert_eq!(queue(&api, &q)["hadMultipleClients"], true);
    // lockSecs is required and a lock takes at most 25.
    api.post_empty(&format!("/v2/request-queues/{q}/head/lock"))
        .expect(400);
    api.post_empty(&format!(
        "/v2/request-queues/{q}/head/lock?lockSecs=5&limit=26"
    ))
    .expect(400);
}

#[test]
fn batches_take_25_requests_and_refuse_more() {
    let api = Api::start();
    let q = new_queue(&api, None);
    let batch: Vec<Value> = (0..25)
        .map(|i| json!({"url": format!("https://e.com/{}", i % 20)}))
        .collect();
    let r = api
        .post_json(
            &format!("/v2/request-queues/{q}/requests/batch"),
            &json!(batch),
        )
        .expect(201)
        .data();
    let processed = r["processedRequests"].as_array().unwrap();
    assert_eq!(processed.len(), 25);
    assert!(r["unprocessedRequests"].as_array().unwrap().is_empty());
    assert_eq!(
        processed
            .iter()
            .filter(|p| p["wasAlreadyPresent"] == true)
            .count(),
        5
    );
    assert_eq!(counts(&api, &q), (20, 0, 20));
    let too_many: Vec<Value> = (0..26)
        .map(|i| json!({"url": format!("https://e.com/x{i}")}))
        .collect();
    let r = api
        .post_json(
            &format!("/v2/request-queues/{q}/requests/batch"),
            &json!(too_many),
        )
        .expect(400);
    assert!(r.text().contains("25"), "{}", r.text());
    assert_eq!(counts(&api, &q), (20, 0, 20));
    // Batch delete by id and by uniqueKey.
    let del = json!([{"id": processed[0]["requestId"]}, {"uniqueKey": "https://e.com/1"}]);
    let r = api
        .request(
            "DELETE",
            &format!("/v2/request-queues/{q}/requests/batch"),
            &[("Content-Type", "application/json")],
            Some(del.to_string().as_bytes()),
        )
        .expect(200)
        .data();
    assert_eq!(r["processedRequests"].as_array().unwrap().len(), 2);
    assert_eq!(counts(&api, &q), (18, 0, 18));
}

#[test]
fn a_setting_leaves_part_of_the_next_batches_unprocessed() {
    let api = Api::start();
    let q = new_queue(&api, None);
    let put = |body: Value| {
        api.request(
            "PUT",
            "/_emulator/settings",
            &[("Content-Type", "application/json")],
            Some(body.to_string().as_bytes()),
        )
    };
    assert!(put(json!({"rqUnprocessedBatches": -1}))
        .expect(400)
        .text()
        .contains("rqUnprocessedBatches"));
    put(json!({"rqUnprocessedBatches": 1})).expect(200);
    let batch: Vec<Value> = (0..5)
        .map(|i| json!({"url": format!("https://e.com/u{i}"), "method": "POST"}))
        .collect();
    let path = format!("/v2/request-queues/{q}/requests/batch");
    let r = api.post_json(&path, &json!(batch)).expect(201).data();
    assert_eq!(r["processedRequests"].as_array().unwrap().len(), 3);
    let left = r["unprocessedRequests"].as_array().unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(left[0]["uniqueKey"], "https://e.com/u3");
    assert_eq!(left[0]["url"], "https://e.com/u3");
    assert_eq!(left[0]["method"], "POST");
    // Only what was processed is in the queue; the setting is used up.
    assert_eq!(counts(&api, &q), (3, 0, 3));
    assert_eq!(
        api.get("/_emulator/settings").expect(200).data()["rqUnprocessedBatches"],
        0
    );
    let r = api.post_json(&path, &json!(left)).expect(201).data();
    assert_eq!(r["processedRequests"].as_array().unwrap().len(), 2);
    assert!(r["unprocessedRequests"].as_array().unwrap().is_empty());
    assert_eq!(counts(&api, &q), (5, 0, 5));
}

#[test]
fn cursor_listing_loses_and_repeats_nothing_while_requests_are_added() {
    let api = Api::start();
    let q = new_queue(&api, None);
    for i in 0..30 {
        add(&api, &q, json!({"url": format!("https://e.com/{i}")}), "");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = 30;
    loop {
        let c = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let page = api
            .get(&format!("/v2/request-queues/{q}/requests?limit=7{c}"))
            .expect(200)
            .data();
        for r in page["items"].as_array().unwrap() {
            seen.push(r["url"].as_str().unwrap().to_string());
        }
        let Some(next) = page["nextCursor"].as_str() else {
            break;
        };
        cursor = Some(next.to_string());
        // Requests added during the listing (at the forefront, even) come after the cursor.
        if added < 40 {
            add(
                &api,
                &q,
                json!({"url": format!("https://e.com/{added}")}),
                "forefront=true",
            );
            added += 1;
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a request was listed twice");
    for i in 0..30 {
        assert!(
            seen.contains(&format!("https://e.com/{i}")),
            "lost request {i}"
        );
    }
    assert_eq!(seen.len() as u64, counts(&api, &q).0);
    // The deprecated exclusiveStartId skips up to and including the request named.
    let all = api
        .get(&format!("/v2/request-queues/{q}/requests?limit=3"))
        .expect(200)
        .data();
    let first = all["items"][0]["id"].as_str().unwrap();
    let after = api
        .get(&format!(
            "/v2/request-queues/{q}/requests?limit=2&exclusiveStartId={first}"
        ))
        .expect(200)
        .data();
    assert_eq!(after["items"][0]["id"], all["items"][1]["id"]);
    api.get(&format!("/v2/request-queues/{q}/requests?cursor=bogus"))
        .expect(400);
}

#[test]
fn queues_are_named_listed_renamed_and_deleted_and_runs_have_one() {
    let api = Api::start();
    let named = new_queue(&api, Some("frontier"));
    // Get-or-create by name answers the same queue.
    let again = api
        .post_empty("/v2/request-queues?name=frontier")
        .expect(200)
        .data();
    assert_eq!(again["id"], named.as_str());
    new_queue(&api, None);
    let list = api.get("/v2/request-queues").expect(200).data();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "frontier");
    // By name, renamed, general access stored.
    let by_name = api
        .get("/v2/request-queues/emulator~frontier")
        .expect(200)
        .data();
    assert_eq!(by_name["id"], named.as_str());
    let updated = api
        .put_json(
            &format!("/v2/request-queues/{named}"),
            &json!({"name": "frontier-2", "generalAccess": "ANYONE_WITH_ID_CAN_READ"}),
        )
        .expect(200)
        .data();
    assert_eq!(updated["name"], "frontier-2");
    assert_eq!(updated["generalAccess"], "ANYONE_WITH_ID_CAN_READ");
    // Readable without a token by id now, not by name; writes still need a token.
    let anonymous = api.with_token(None);
    anonymous
        .get(&format!("/v2/request-queues/{named}"))
        .expect(200);
    anonymous
        .get("/v2/request-queues/emulator~frontier-2")
        .expect(401);
    anonymous
        .post_json(
            &format!("/v2/request-queues/{named}/requests"),
            &json!({"url": "https://e.com"}),
        )
        .expect(401);
    api.put_json(
        &format!("/v2/request-queues/{named}"),
        &json!({"generalAccess": "EVERYONE"}),
    )
    .expect(400);
    api.delete(&format!("/v2/request-queues/{named}"))
        .expect(204);
    api.get(&format!("/v2/request-queues/{named}")).expect(404);
    // A run's default queue works through the run and the queue paths alike.
    let run = api.start_run("apify~hello-world", &json!({}), "?waitForFinish=60");
    let rid = run["id"].as_str().unwrap();
    let qid = run["defaultRequestQueueId"].as_str().unwrap();
    add(&api, qid, json!({"url": "https://e.com/run"}), "");
    let via_run = api
        .get(&format!("/v2/actor-runs/{rid}/request-queue"))
        .expect(200)
        .data();
    assert_eq!(via_run["id"], qid);
    assert_eq!(via_run["actRunId"], rid);
    assert_eq!(via_run["totalRequestCount"], 1);
}

/// Two crawler threads over one queue: 1,000 unique URLs and 1,000 duplicates added in batches
/// of 25, both lock the head and mark requests handled, and each lets some of its locks expire
/// (its lock cut to 0.2 s and never handled): every URL is handled exactly once and no lock is
/// left. Locks are otherwise long (60 s), so a slow machine cannot expire them by accident.
#[test]
fn two_crawlers_handle_every_unique_url_exactly_once() {
    let api = Api::start();
    let q = new_queue(&api, Some("crawl"));
    let urls: Vec<Value> = (0..2000)
        .map(|i| json!({"url": format!("https://e.com/page/{}", i % 1000)}))
        .collect();
    for chunk in urls.chunks(25) {
        let r = api
            .post_json(
                &format!("/v2/request-queues/{q}/requests/batch"),
                &json!(chunk),
            )
            .expect(201)
            .data();
        assert!(r["unprocessedRequests"].as_array().unwrap().is_empty());
    }
    assert_eq!(counts(&api, &q), (1000, 0, 1000));
    let crawl = |client: &'static str| {
        let api = Api::connect(&api.base, &api.token);
        let q = q.clone();
        move || {
            let mut handled = Vec::new();
            let mut dropped_once = HashSet::new();
            for _ in 0..10_000 {
                let locked = lock(
                    &api,
                    &q,
                    &format!("lockSecs=60&limit=10&clientKey={client}"),
                );
                if locked.is_empty() {
                    let (_, _, pending) = counts(&api, &q);
                    if pending == 0 {
                        return handled;
                    }
                    // Locked by the other crawler or expiring: look again shortly.
                    sleep(Duration::from_millis(50));
                    continue;
                }
                for r in locked {
                    let id = r["id"].as_str().unwrap().to_string();
                    // Every 97th request is abandoned once: its lock must expire.
                    let n: usize = r["url"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap();
                    if n % 97 == 0 && dropped_once.insert(id.clone()) {
                        api.request(
                            "PUT",
                            &format!(
                                "/v2/request-queues/{q}/requests/{id}/lock?lockSecs=0.2&clientKey={client}"
                            ),
                            &[],
                            None,
                        )
                        .expect(200);
                        continue;
                    }
                    let full = api
                        .get(&format!("/v2/request-queues/{q}/requests/{id}"))
                        .expect(200)
                        .data();
                    let reg = mark_handled(&api, &q, &full, client);
                    assert_eq!(reg["wasAlreadyHandled"], false, "{id} handled twice");
                    handled.push(r["url"].as_str().unwrap().to_string());
                }
            }
            panic!("crawler {client} did not finish");
        }
    };
    let a = std::thread::spawn(crawl("crawler-a"));
    let b = std::thread::spawn(crawl("crawler-b"));
    let mut all = a.join().unwrap();
    all.extend(b.join().unwrap());
    assert_eq!(all.len(), 1000);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 1000);
    assert_eq!(counts(&api, &q), (1000, 1000, 0));
    let d = queue(&api, &q);
    assert_eq!(d["hadMultipleClients"], true);
    let locked = api
        .get(&format!("/v2/request-queues/{q}/requests?filter=locked"))
        .expect(200)
        .data();
    assert!(locked["items"].as_array().unwrap().is_empty());
}
