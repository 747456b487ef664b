//! Persistent webhooks and webhook dispatches of the emulator, driven over real HTTP on 127.0.0.1
//! with a plain client; deliveries go to a small receiver on 127.0.0.1.
#![cfg(feature = "emulator")]

mod common;

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use apify::emulator::EmulatorConfig;
use base64::Engine;
use common::error_message as message;
use common::receiver::{Hit, Receiver};
use common::runs::{actor_id, id as id_of};
use common::Api;
use serde_json::{json, Value};

const HELLO: &str = "apify~hello-world";
const GENERATOR: &str = "emulator~generator";

// ---------------------------------------------------------------- receiver

/// What `receiver` got once at least `n` requests arrived (see [`Receiver::wait_for`]); every
/// one is a POST with a Content-Length body.
fn posts(receiver: &Receiver, n: usize, linger: Duration) -> Vec<Hit> {
    let hits = receiver.wait_for(n, linger);
    for hit in &hits {
        assert!(
            hit.request_line.starts_with("POST "),
            "{}",
            hit.request_line
        );
        assert!(
            hit.header("content-length").is_some(),
            "the webhook request has a Content-Length"
        );
    }
    hits
}

// ---------------------------------------------------------------- helpers

/// An emulator whose webhook retries come after 30 ms, 60 ms, ...
fn fast_api(retries: u32) -> Api {
    Api::start_with(EmulatorConfig {
        webhook_retry_delay: Duration::from_millis(30),
        webhook_retries: retries,
        ..EmulatorConfig::default()
    })
}

fn create(api: &Api, body: &Value) -> Value {
    api.post_json("/v2/webhooks", body).expect(201).data()
}

/// A webhook on `events` of the Actor `actor` that posts to `url`.
fn hook_on_actor(api: &Api, actor: &str, events: &[&str], url: &str) -> Value {
    create(
        api,
        &json!({"eventTypes": events, "condition": {"actorId": actor_id(api, actor)},
                "requestUrl": url}),
    )
}

/// Runs an Actor to its end and returns the run.
fn run(api: &Api, actor: &str, input: &Value) -> Value {
    api.post_json(&format!("/v2/acts/{actor}/runs?waitForFinish=30"), input)
        .expect(201)
        .data()
}

/// Polls a dispatch until it is no longer ACTIVE (at most 15 s).
fn settled_dispatch(api: &Api, id: &str) -> Value {
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let d = api
            .get(&format!("/v2/webhook-dispatches/{id}"))
            .expect(200)
            .data();
        if d["status"] != "ACTIVE" || Instant::now() > end {
            return d;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn list(api: &Api, path: &str) -> Value {
    api.get(path).expect(200).data()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

// ---------------------------------------------------------------- CRUD

#[test]
fn webhooks_are_created_listed_read_updated_and_deleted() {
    let api = Api::start();
    let hello = actor_id(&api, HELLO);
    let created = api
        .post_json(
            "/v2/webhooks",
            &json!({
                "isAdHoc": false,
                "eventTypes": ["ACTOR.RUN.SUCCEEDED", "ACTOR.RUN.FAILED"],
                "condition": {"actorId": HELLO},
                "requestUrl": "http://127.0.0.1:9/hook?secret=1",
                "payloadTemplate": "{\"id\": {{resource.id}}}",
                "description": "first",
                "shouldInterpolateStrings": true,
            }),
        )
        .expect(201);
    let w = created.data();
    let id = id_of(&w);
    assert!(created
        .header("location")
        .is_some_and(|l| l.ends_with(&format!("/v2/webhooks/{id}"))));
    assert_eq!(w["condition"], json!({"actorId": hello}), "stored by id");
    assert_eq!(
        w["eventTypes"],
        json!(["ACTOR.RUN.SUCCEEDED", "ACTOR.RUN.FAILED"])
    );
    assert_eq!(w["requestUrl"], "http://127.0.0.1:9/hook?secret=1");
    assert_eq!(w["isAdHoc"], false);
    assert_eq!(w["doNotRetry"], false);
    assert_eq!(w["ignoreSslErrors"], false);
    assert_eq!(w["shouldInterpolateStrings"], true);
    assert_eq!(w["headersTemplate"], Value::Null);
    assert_eq!(w["lastDispatch"], Value::Null);
    assert_eq!(w["stats"]["totalDispatches"], 0);
    assert_eq!(
        w["userId"],
        api.get("/v2/users/me").expect(200).data()["id"]
    );
    assert_eq!(w["createdAt"], w["modifiedAt"]);

    assert_eq!(api.get(&format!("/v2/webhooks/{id}")).expect(200).data(), w);

    // A partial update changes what it names and nothing else.
    thread::sleep(Duration::from_millis(5));
    let updated = api
        .put_json(
            &format!("/v2/webhooks/{id}"),
            &json!({"description": "second", "doNotRetry": true, "payloadTemplate": null,
                    "headersTemplate": "{\"X-A\": \"b\"}"}),
        )
        .expect(200)
        .data();
    assert_eq!(updated["description"], "second");
    assert_eq!(updated["doNotRetry"], true);
    assert_eq!(updated["payloadTemplate"], Value::Null);
    assert_eq!(updated["headersTemplate"], "{\"X-A\": \"b\"}");
    assert_eq!(updated["eventTypes"], w["eventTypes"]);
    assert_eq!(updated["condition"], w["condition"]);
    assert_eq!(updated["requestUrl"], w["requestUrl"]);
    assert_eq!(updated["createdAt"], w["createdAt"]);
    assert_ne!(updated["modifiedAt"], w["modifiedAt"]);
    assert_eq!(
        api.get(&format!("/v2/webhooks/{id}")).expect(200).data(),
        updated
    );
    let moved = api
        .put_json(
            &format!("/v2/webhooks/{id}"),
            &json!({"condition": {"actorId": GENERATOR}, "eventTypes": ["ACTOR.RUN.CREATED"]}),
        )
        .expect(200)
        .data();
    assert_eq!(
        moved["condition"],
        json!({"actorId": actor_id(&api, GENERATOR)})
    );
    assert_eq!(moved["eventTypes"], json!(["ACTOR.RUN.CREATED"]));

    // Lists: creation order, offset, limit, desc.
    let second = id_of(&create(
        &api,
        &json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorId": hello},
                "requestUrl": "http://localhost:9/b"}),
    ));
    let third = id_of(&create(
        &api,
        &json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorId": hello},
                "requestUrl": "http://[::1]:9/c"}),
    ));
    let all = list(&api, "/v2/webhooks");
    assert_eq!(all["total"], 3);
    assert_eq!(all["count"], 3);
    assert_eq!(ids(&all), [id.clone(), second.clone(), third.clone()]);
    let page = list(&api, "/v2/webhooks?offset=1&limit=1");
    assert_eq!(
        (
            page["total"].as_u64(),
            page["offset"].as_u64(),
            page["limit"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(ids(&page), [second.as_str()]);
    let desc = list(&api, "/v2/webhooks?desc=1");
    assert_eq!(desc["desc"], true);
    assert_eq!(ids(&desc), [third.clone(), second.clone(), id.clone()]);

    // The Actor's list has the webhooks whose condition names it.
    let of_hello = list(&api, &format!("/v2/acts/{HELLO}/webhooks"));
    assert_eq!(ids(&of_hello), [second.clone(), third.clone()]);
    let of_generator = list(
        &api,
        &format!("/v2/actors/{}/webhooks", actor_id(&api, GENERATOR)),
    );
    assert_eq!(ids(&of_generator), [id.as_str()]);
    let r = api.get("/v2/acts/nobody~nothing/webhooks").expect(404);
    assert_eq!(r.error_type(), "record-not-found");

    // Delete: 204, then 404 everywhere.
    let r = api.delete(&format!("/v2/webhooks/{second}"));
    assert_eq!(r.status, 204, "{}", r.text());
    for path in [
        format!("/v2/webhooks/{second}"),
        format!("/v2/webhooks/{second}/dispatches"),
    ] {
        let r = api.get(&path).expect(404);
        assert_eq!(r.error_type(), "record-not-found");
    }
    api.delete(&format!("/v2/webhooks/{second}")).expect(404);
    api.put_json(&format!("/v2/webhooks/{second}"), &json!({}))
        .expect(404);
    api.post_empty(&format!("/v2/webhooks/{second}/test"))
        .expect(404);
    assert_eq!(ids(&list(&api, "/v2/webhooks")), [id, third]);
    // A method the path does not have.
    let r = api.request("PATCH", "/v2/webhooks", &[], None).expect(405);
    assert_eq!(r.error_type(), "method-not-allowed");
}

#[test]
fn task_webhooks_are_listed_under_the_task() {
    let api = Api::start();
    let task = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": HELLO, "name": "greeter"}),
        )
        .expect(201)
        .data();
    let task_id = id_of(&task);
    let on_task = create(
        &api,
        &json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorTaskId": "greeter"},
                "requestUrl": "http://127.0.0.1:9/t"}),
    );
    assert_eq!(on_task["condition"], json!({"actorTaskId": task_id}));
    hook_on_actor(
        &api,
        HELLO,
        &["ACTOR.RUN.SUCCEEDED"],
        "http://127.0.0.1:9/a",
    );
    let page = list(&api, &format!("/v2/actor-tasks/{task_id}/webhooks"));
    assert_eq!(ids(&page), [id_of(&on_task)]);
    let page = list(&api, "/v2/actor-tasks/emulator~greeter/webhooks?limit=5");
    assert_eq!(page["total"], 1);
    api.get("/v2/actor-tasks/nope/webhooks").expect(404);
}

#[test]
fn the_same_idempotency_key_answers_the_first_webhook() {
    let api = Api::start();
    let body = json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorId": HELLO},
                      "requestUrl": "http://127.0.0.1:9/x", "idempotencyKey": "key-7f3a"});
    let first = create(&api, &body);
    let mut changed = body.clone();
    changed["description"] = json!("a retried request");
    let again = api.post_json("/v2/webhooks", &changed).expect(201).data();
    assert_eq!(again, first, "the existing webhook, unchanged");
    assert_eq!(list(&api, "/v2/webhooks")["total"], 1);
    let mut other = body.clone();
    other["idempotencyKey"] = json!("key-other");
    assert_ne!(id_of(&create(&api, &other)), id_of(&first));
    let mut none = body;
    none.as_object_mut().unwrap().remove("idempotencyKey");
    create(&api, &none);
    create(&api, &none);
    assert_eq!(list(&api, "/v2/webhooks")["total"], 4);
}

#[test]
fn request_urls_off_loopback_are_refused() {
    let api = Api::start();
    for url in [
        "http://example.com/x",
        "http://10.0.0.1/x",
        "https://127.0.0.1/x",
        "http://127.0.0.1.example.com/x",
        "http://127.0.0.1@example.com/x",
        "http://[::ffff:10.0.0.1]/x",
        "http://example.com\\@127.0.0.1/x",
        "ftp://127.0.0.1/x",
    ] {
        let r = api
            .post_json(
                "/v2/webhooks",
                &json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorId": HELLO},
                        "requestUrl": url}),
            )
            .expect(400);
        assert_eq!(r.error_type(), "invalid-parameter", "{url}");
        assert!(message(&r).contains("loopback"), "{url}: {}", r.text());
    }
    assert_eq!(list(&api, "/v2/webhooks")["total"], 0);
    // An update cannot move a webhook off loopback either.
    let w = hook_on_actor(
        &api,
        HELLO,
        &["ACTOR.RUN.SUCCEEDED"],
        "http://127.0.0.1:9/x",
    );
    let r = api
        .put_json(
            &format!("/v2/webhooks/{}", id_of(&w)),
            &json!({"requestUrl": "http://192.168.1.1/x"}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-parameter");
    assert_eq!(
        api.get(&format!("/v2/webhooks/{}", id_of(&w)))
            .expect(200)
            .data()["requestUrl"],
        "http://127.0.0.1:9/x"
    );
}

#[test]
fn invalid_webhook_bodies_are_refused() {
    let api = Api::start();
    let good = json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorId": HELLO},
                      "requestUrl": "http://127.0.0.1:9/x"});
    let with = |key: &str, value: Value| {
        let mut b = good.clone();
        if value.is_null() {
            b.as_object_mut().unwrap().remove(key);
        } else {
            b[key] = value;
        }
        b
    };
    for (body, status, words) in [
        (with("eventTypes", Value::Null), 400, "eventTypes"),
        (with("eventTypes", json!([])), 400, "eventTypes"),
        (
            with("eventTypes", json!(["ACTOR.RUN.EXPLODED"])),
            400,
            "ACTOR.RUN.EXPLODED",
        ),
        (with("condition", Value::Null), 400, "condition"),
        (with("condition", json!({})), 400, "condition"),
        (with("condition", json!("x")), 400, "condition"),
        (with("requestUrl", Value::Null), 400, "requestUrl"),
        (with("doNotRetry", json!("yes")), 400, "doNotRetry"),
        (
            with("payloadTemplate", json!({"a": 1})),
            400,
            "payloadTemplate",
        ),
        (
            with("condition", json!({"actorId": "nobody~nothing"})),
            404,
            "nobody~nothing",
        ),
        (
            with("condition", json!({"actorTaskId": "no-task"})),
            404,
            "no-task",
        ),
        (
            with("condition", json!({"actorRunId": "AAAAAAAAAAAAAAAAA"})),
            404,
            "AAAAAAAAAAAAAAAAA",
        ),
    ] {
        let r = api.post_json("/v2/webhooks", &body).expect(status);
        r.error_type();
        assert!(message(&r).contains(words), "{body}: {}", r.text());
    }
    api.request(
        "POST",
        "/v2/webhooks",
        &[("Content-Type", "application/json")],
        Some(b"{nope"),
    )
    .expect(400);
    assert_eq!(list(&api, "/v2/webhooks")["total"], 0);
}

// ---------------------------------------------------------------- run events

#[test]
fn a_run_fires_the_webhooks_of_its_actor_only() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    let mine = hook_on_actor(
        &api,
        HELLO,
        &["ACTOR.RUN.SUCCEEDED", "ACTOR.RUN.FAILED"],
        &receiver.url,
    );
    let other = hook_on_actor(
        &api,
        GENERATOR,
        &["ACTOR.RUN.SUCCEEDED", "ACTOR.RUN.CREATED"],
        &receiver.url,
    );
    let run = run(&api, HELLO, &json!({"message": "hooked"}));
    let run_id = id_of(&run);
    let hits = posts(&receiver, 1, Duration::from_millis(400));
    assert_eq!(hits.len(), 1, "exactly one delivery: {hits:?}");
    let hit = &hits[0];
    assert_eq!(hit.path, "/hook");
    assert!(hit
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    assert_eq!(hit.header("x-apify-webhook"), mine["id"].as_str());
    let dispatch_id = hit
        .header("x-apify-webhook-dispatch-id")
        .expect("X-Apify-Webhook-Dispatch-Id")
        .to_string();
    let p = hit.json();
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["userId", "createdAt", "eventType", "eventData", "resource"]
    );
    assert_eq!(p["eventType"], "ACTOR.RUN.SUCCEEDED");
    assert_eq!(
        p["eventData"],
        json!({"actorId": actor_id(&api, HELLO), "actorRunId": run_id})
    );
    assert_eq!(p["resource"]["id"], run_id.as_str());
    assert_eq!(p["resource"]["status"], "SUCCEEDED");

    let d = settled_dispatch(&api, &dispatch_id);
    assert_eq!(d["id"], dispatch_id.as_str());
    assert_eq!(d["webhookId"], mine["id"]);
    assert_eq!(d["userId"], p["userId"]);
    assert_eq!(d["createdAt"], p["createdAt"]);
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["eventType"], "ACTOR.RUN.SUCCEEDED");
    assert_eq!(d["eventData"], p["eventData"]);
    assert_eq!(
        d["webhook"],
        json!({"actionType": "HTTP_REQUEST", "condition": mine["condition"],
               "requestUrl": receiver.url, "isAdHoc": false})
    );
    let calls = d["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["responseStatus"], 200);
    assert_eq!(calls[0]["responseBody"], "answer 200");
    assert_eq!(calls[0]["errorMessage"], Value::Null);

    let mine_id = id_of(&mine);
    let page = list(&api, &format!("/v2/webhooks/{mine_id}/dispatches"));
    assert_eq!(ids(&page), [dispatch_id.as_str()]);
    let page = list(&api, &format!("/v2/webhooks/{}/dispatches", id_of(&other)));
    assert_eq!(page["total"], 0, "the other Actor's webhook did not fire");
    assert_eq!(ids(&list(&api, "/v2/webhook-dispatches")), [dispatch_id]);
    let w = api
        .get(&format!("/v2/webhooks/{mine_id}"))
        .expect(200)
        .data();
    assert_eq!(w["stats"]["totalDispatches"], 1);
    assert_eq!(w["lastDispatch"]["status"], "SUCCEEDED");
    assert_eq!(w["lastDispatch"]["finishedAt"], calls[0]["finishedAt"]);
    api.get("/v2/webhook-dispatches/AAAAAAAAAAAAAAAAA")
        .expect(404);
}

#[test]
fn task_and_run_conditions_pick_their_runs() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    let task_id = id_of(
        &api.post_json(
            "/v2/actor-tasks",
            &json!({"actId": HELLO, "name": "hooked-task"}),
        )
        .expect(201)
        .data(),
    );
    let on_task = create(
        &api,
        &json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorTaskId": task_id},
                "requestUrl": receiver.url}),
    );
    let on_actor = hook_on_actor(&api, HELLO, &["ACTOR.RUN.SUCCEEDED"], &receiver.url);
    let task_run = api
        .post_json(
            &format!("/v2/actor-tasks/{task_id}/runs?waitForFinish=30"),
            &json!({}),
        )
        .expect(201)
        .data();
    let direct_run = run(&api, HELLO, &json!({}));
    // A webhook on one long run, made while it runs, fires when that run ends.
    let long = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/runs"),
            &json!({"durationSecs": 30}),
        )
        .expect(201)
        .data();
    let on_run = create(
        &api,
        &json!({"eventTypes": ["ACTOR.RUN.ABORTED"], "condition": {"actorRunId": id_of(&long)},
                "requestUrl": receiver.url}),
    );
    api.post_empty(&format!("/v2/actor-runs/{}/abort", id_of(&long)))
        .expect(200);
    let hits = posts(&receiver, 4, Duration::from_millis(400));
    let mut seen: Vec<(String, String)> = hits
        .iter()
        .map(|h| {
            (
                h.header("x-apify-webhook").unwrap().to_string(),
                h.json()["eventData"]["actorRunId"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (id_of(&on_task), id_of(&task_run)),
        (id_of(&on_actor), id_of(&task_run)),
        (id_of(&on_actor), id_of(&direct_run)),
        (id_of(&on_run), id_of(&long)),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    let task_hit = hits
        .iter()
        .find(|h| h.header("x-apify-webhook") == on_task["id"].as_str())
        .unwrap();
    assert_eq!(
        task_hit.json()["eventData"]["actorTaskId"],
        task_id.as_str()
    );
}

#[test]
fn ad_hoc_and_persistent_webhooks_both_become_dispatches() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    hook_on_actor(&api, HELLO, &["ACTOR.RUN.SUCCEEDED"], &receiver.url);
    let ad_hoc = json!([{"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "requestUrl": receiver.url}]);
    let param = base64::engine::general_purpose::STANDARD.encode(ad_hoc.to_string());
    let param: String = param
        .bytes()
        .map(|b| match b {
            b'+' => "%2B".to_string(),
            b'/' => "%2F".to_string(),
            b'=' => "%3D".to_string(),
            b => (b as char).to_string(),
        })
        .collect();
    let run = api
        .post_json(
            &format!("/v2/acts/{HELLO}/runs?waitForFinish=30&webhooks={param}"),
            &json!({}),
        )
        .expect(201)
        .data();
    let hits = posts(&receiver, 2, Duration::from_millis(400));
    assert_eq!(hits.len(), 2, "one delivery per webhook: {hits:?}");
    let page = list(&api, "/v2/webhook-dispatches");
    assert_eq!(page["total"], 2);
    let items = page["items"].as_array().unwrap();
    let ad_hoc_dispatch = items
        .iter()
        .find(|d| d["webhook"]["isAdHoc"] == true)
        .expect("the ad-hoc webhook's dispatch");
    assert_eq!(
        ad_hoc_dispatch["webhook"]["condition"],
        json!({"actorRunId": id_of(&run)})
    );
    // The test-support list has the same dispatches with the run and attempt numbers.
    let support = api.get("/_emulator/webhook-dispatches").expect(200).data();
    let support = support.as_array().unwrap();
    assert_eq!(support.len(), 2);
    assert!(support.iter().all(|d| d["runId"] == run["id"]));
    let settled: Vec<Value> = support
        .iter()
        .map(|d| settled_dispatch(&api, d["id"].as_str().unwrap()))
        .collect();
    assert!(settled.iter().all(|d| d["status"] == "SUCCEEDED"));
}

#[test]
fn templates_and_string_interpolation_apply_to_persistent_webhooks() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    create(
        &api,
        &json!({
            "eventTypes": ["ACTOR.RUN.SUCCEEDED"],
            "condition": {"actorId": HELLO},
            "requestUrl": receiver.url,
            "payloadTemplate": "{\"text\": \"run {{resource.id}} is {{resource.status}}\", \"id\": {{resource.id}}}",
            "headersTemplate": "{\"X-Run\": {{resource.id}}, \"X-Apify-Webhook\": \"forged\"}",
            "shouldInterpolateStrings": true,
            "idempotencyKey": "templates-1",
        }),
    );
    let run_id = id_of(&run(&api, HELLO, &json!({})));
    let hits = posts(&receiver, 1, Duration::from_millis(200));
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].json(),
        json!({"text": format!("run {run_id} is SUCCEEDED"), "id": run_id})
    );
    assert_eq!(hits[0].header("x-run"), Some(run_id.as_str()));
    assert_ne!(
        hits[0].header("x-apify-webhook"),
        Some("forged"),
        "the platform's own headers win"
    );
    assert_eq!(
        hits[0].header("x-apify-webhook-idempotency-key"),
        Some("templates-1")
    );
}

// ---------------------------------------------------------------- test, retries

#[test]
fn test_delivers_a_test_event_and_answers_the_dispatch() {
    let api = Api::start();
    let receiver = Receiver::start(Vec::new());
    let w = hook_on_actor(&api, HELLO, &["ACTOR.RUN.SUCCEEDED"], &receiver.url);
    let d = api
        .post_empty(&format!("/v2/webhooks/{}/test", id_of(&w)))
        .expect(201)
        .data();
    assert_eq!(d["eventType"], "TEST");
    assert_eq!(d["webhookId"], w["id"]);
    assert_eq!(
        d["status"], "SUCCEEDED",
        "the answer waits for the first attempt"
    );
    assert_eq!(d["calls"][0]["responseStatus"], 200);
    assert_eq!(d["eventData"], json!({"actorId": actor_id(&api, HELLO)}));
    let hits = posts(&receiver, 1, Duration::from_millis(200));
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].header("x-apify-webhook-dispatch-id"),
        d["id"].as_str()
    );
    let p = hits[0].json();
    assert_eq!(p["eventType"], "TEST");
    assert_eq!(p["eventData"], d["eventData"]);
    assert_eq!(p["userId"], d["userId"]);
    let page = list(&api, &format!("/v2/webhooks/{}/dispatches", id_of(&w)));
    assert_eq!(ids(&page), [id_of(&d)]);
}

#[test]
fn failed_attempts_are_retried_within_one_dispatch() {
    let api = fast_api(11);
    let receiver = Receiver::start(Receiver::statuses(500, 2));
    let w = hook_on_actor(&api, HELLO, &["ACTOR.RUN.SUCCEEDED"], &receiver.url);
    let run_id = id_of(&run(&api, HELLO, &json!({})));
    let hits = posts(&receiver, 3, Duration::from_millis(300));
    assert_eq!(hits.len(), 3, "two failures, then success: {hits:?}");
    let dispatch_id = hits[0].header("x-apify-webhook-dispatch-id").unwrap();
    assert!(hits
        .iter()
        .all(|h| h.header("x-apify-webhook-dispatch-id") == Some(dispatch_id)));
    assert!(hits.iter().all(|h| h.body == hits[0].body));
    assert_eq!(hits[2].json()["resource"]["id"], run_id.as_str());
    let page = list(&api, &format!("/v2/webhooks/{}/dispatches", id_of(&w)));
    assert_eq!(page["total"], 1, "one dispatch for one event");
    let d = settled_dispatch(&api, dispatch_id);
    assert_eq!(d["status"], "SUCCEEDED");
    let statuses: Vec<&Value> = d["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["responseStatus"])
        .collect();
    assert_eq!(statuses, [500, 500, 200]);
    assert_eq!(d["calls"][0]["responseBody"], "answer 500");
}

#[test]
fn do_not_retry_means_one_call_and_failed() {
    let api = fast_api(11);
    let receiver = Receiver::start(Receiver::statuses(500, 20));
    let w = create(
        &api,
        &json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"], "condition": {"actorId": HELLO},
                "requestUrl": receiver.url, "doNotRetry": true}),
    );
    run(&api, HELLO, &json!({}));
    let hits = posts(&receiver, 1, Duration::from_millis(500));
    assert_eq!(hits.len(), 1, "doNotRetry: {hits:?}");
    let page = list(&api, &format!("/v2/webhooks/{}/dispatches", id_of(&w)));
    let d = settled_dispatch(&api, &ids(&page)[0]);
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["calls"].as_array().unwrap().len(), 1);
    let w = api
        .get(&format!("/v2/webhooks/{}", id_of(&w)))
        .expect(200)
        .data();
    assert_eq!(w["lastDispatch"]["status"], "FAILED");
}

#[test]
fn retries_run_out_into_failed_and_a_dead_receiver_is_an_error_message() {
    let api = fast_api(2);
    let receiver = Receiver::start(Receiver::statuses(503, 20));
    hook_on_actor(&api, HELLO, &["ACTOR.RUN.SUCCEEDED"], &receiver.url);
    // A port nobody listens on: connection refused on every attempt.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/gone", dead.local_addr().unwrap());
    drop(dead);
    hook_on_actor(&api, HELLO, &["ACTOR.RUN.SUCCEEDED"], &dead_url);
    run(&api, HELLO, &json!({}));
    let hits = posts(&receiver, 3, Duration::from_millis(400));
    assert_eq!(hits.len(), 3, "the first attempt and 2 retries: {hits:?}");
    let page = list(&api, "/v2/webhook-dispatches");
    assert_eq!(page["total"], 2);
    for item in page["items"].as_array().unwrap() {
        let d = settled_dispatch(&api, item["id"].as_str().unwrap());
        assert_eq!(d["status"], "FAILED", "{d}");
        let calls = d["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 3, "{d}");
        if d["webhook"]["requestUrl"] == dead_url.as_str() {
            assert!(calls.iter().all(|c| c["responseStatus"].is_null()
                && c["errorMessage"].as_str().is_some_and(|m| !m.is_empty())));
        } else {
            assert!(calls.iter().all(|c| c["responseStatus"] == 503));
        }
    }
}
