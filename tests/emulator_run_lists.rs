//! Pay-per-event charges, the run lists' filters and the Actor-scoped run routes, against the
//! emulator: every operation and every refusal; every JSON answer is validated against the spec
//! by `common::Api`. (Update, delete, metamorph and reboot: emulator_run_ops.rs.)
#![cfg(feature = "emulator")]

mod common;

use std::time::Duration;

use common::runs::{actor_id, error, get_run, id, running};
use common::Api;
use serde_json::{json, Value};

const HELLO: &str = "apify~hello-world";
const GENERATOR: &str = "emulator~generator";

/// A pay-per-event Actor (the generator's program): `page` costs 0.25 USD, `tiered` 0.1 USD at
/// the user's tier.
fn ppe_actor(api: &Api) -> String {
    let actor = api
        .post_json(
            "/v2/acts",
            &json!({
                "name": "ppe",
                "versions": [{"versionNumber": "0.0", "sourceFiles": [
                    {"name": ".actor/actor.json", "format": "TEXT", "content": "{\"actorSpecification\": 1}"}
                ]}],
                "pricingInfos": [{
                    "pricingModel": "PAY_PER_EVENT",
                    "pricingPerEvent": {"actorChargeEvents": {
                        "page": {"eventTitle": "Page", "eventDescription": "One page", "eventPriceUsd": 0.25},
                        "tiered": {"eventTitle": "Tiered", "eventDescription": "By tier",
                                   "eventTieredPricingUsd": {"FREE": {"tieredEventPriceUsd": 0.1}}}
                    }}
                }]
            }),
        )
        .expect(201)
        .data();
    assert_eq!(actor["pricingInfos"][0]["apifyMarginPercentage"], 0.2);
    let id = id(&actor);
    api.post_empty(&format!(
        "/v2/acts/{id}/builds?version=0.0&waitForFinish=30"
    ))
    .expect(201);
    id
}

#[test]
fn charges_follow_the_pricing_the_limit_and_idempotency_keys() {
    let api = Api::start();
    let ppe = ppe_actor(&api);
    let run = api.start_run(&ppe, &json!({"durationSecs": 30}), "?maxTotalChargeUsd=1");
    let rid = id(&run);
    let path = format!("/v2/actor-runs/{rid}/charge");
    let charge = |body: Value, key: Option<&str>| {
        let headers: Vec<(&str, &str)> = match key {
            Some(k) => vec![("Content-Type", "application/json"), ("idempotency-key", k)],
            None => vec![("Content-Type", "application/json")],
        };
        api.request("POST", &path, &headers, Some(body.to_string().as_bytes()))
    };
    let r = charge(json!({"eventName": "page", "count": 2}), None).expect(201);
    assert_eq!(r.json(), json!({}));
    let got = get_run(&api, &rid);
    assert_eq!(got["chargedEventCounts"], json!({"page": 2}));
    assert_eq!(got["usageTotalUsd"], 0.5);
    assert_eq!(got["pricingInfo"]["pricingModel"], "PAY_PER_EVENT");
    // A retried charge with the same key counts once.
    charge(json!({"eventName": "tiered", "count": 1}), Some("k-1")).expect(201);
    charge(json!({"eventName": "tiered", "count": 1}), Some("k-1")).expect(201);
    let got = get_run(&api, &rid);
    assert_eq!(got["chargedEventCounts"], json!({"page": 2, "tiered": 1}));
    assert_eq!(got["usageTotalUsd"], 0.6);
    // 0.6 + 2 × 0.25 is over the limit of 1 USD: refused, nothing charged.
    let r = charge(json!({"eventName": "page", "count": 2}), Some("k-2")).expect(400);
    let (kind, message) = error(&r);
    assert_eq!(kind, "limit-reached");
    assert!(message.contains("maxTotalChargeUsd"), "{message}");
    assert_eq!(r.json()["error"]["data"]["maxTotalChargeUsd"], 1.0);
    assert_eq!(get_run(&api, &rid)["usageTotalUsd"], 0.6);
    // The refused key was not used up; up to the limit exactly is fine.
    charge(json!({"eventName": "tiered", "count": 4}), Some("k-2")).expect(201);
    let got = get_run(&api, &rid);
    assert_eq!(got["usageTotalUsd"], 1.0);
    assert_eq!(got["chargedEventCounts"]["tiered"], 5);
    let list = api.get(&format!("/v2/acts/{ppe}/runs")).expect(200).data();
    assert_eq!(list["items"][0]["usageTotalUsd"], 1.0);
    charge(json!({"eventName": "tiered", "count": 1}), None).expect(400);
    for (body, key, kind) in [
        (
            json!({"eventName": "nothing", "count": 1}),
            None,
            "invalid-input",
        ),
        (
            json!({"eventName": "apify-actor-start", "count": 1}),
            None,
            "cannot-charge-apify-event",
        ),
        (json!({"eventName": "page"}), None, "invalid-input"),
        (
            json!({"eventName": "page", "count": 0}),
            None,
            "invalid-input",
        ),
        (
            json!({"eventName": "page", "count": 1.5}),
            None,
            "invalid-input",
        ),
        (json!({"count": 1}), None, "invalid-input"),
        (json!({"eventName": "", "count": 1}), None, "invalid-input"),
        (
            json!([{"eventName": "page", "count": 1}]),
            None,
            "invalid-input",
        ),
        (
            json!({"eventName": "page", "count": 1}),
            Some(" "),
            "invalid-idempotency-key",
        ),
    ] {
        let r = charge(body.clone(), key).expect(400);
        assert_eq!(error(&r).0, kind, "{body}");
    }
    let long = "k".repeat(300);
    let r = charge(json!({"eventName": "page", "count": 1}), Some(&long)).expect(400);
    assert_eq!(error(&r).0, "invalid-idempotency-key");
    api.post_empty(&format!("/v2/actor-runs/{rid}/abort"))
        .expect(200);
    let r = charge(json!({"eventName": "page", "count": 1}), None).expect(400);
    assert_eq!(error(&r).0, "job-finished");
    // The key of a charge made before the finish still answers as that charge did.
    charge(json!({"eventName": "tiered", "count": 1}), Some("k-1")).expect(201);
    // An Actor without pay-per-event pricing cannot charge.
    let run = api.start_run(GENERATOR, &json!({"durationSecs": 30}), "");
    let r = api
        .post_json(
            &format!("/v2/actor-runs/{}/charge", id(&run)),
            &json!({"eventName": "page", "count": 1}),
        )
        .expect(400);
    assert_eq!(error(&r).0, "cannot-charge-non-pay-per-event-actor");
    assert!(get_run(&api, &id(&run)).get("chargedEventCounts").is_none());
    api.post_empty(&format!("/v2/actor-runs/{}/abort", id(&run)))
        .expect(200);
    // Bad pricing is refused when the Actor is created.
    let r = api
        .post_json(
            "/v2/acts",
            &json!({"name": "bad-pricing", "pricingInfos": [{"pricingModel": "PAY_PER_EVENT"}]}),
        )
        .expect(400);
    assert!(error(&r).1.contains("actorChargeEvents"), "{}", r.text());
}

#[test]
fn run_lists_filter_by_status_and_start_time() {
    let api = Api::start();
    let mut done = Vec::new();
    for _ in 0..3 {
        done.push(api.start_run(HELLO, &json!({}), "?waitForFinish=30"));
        // Distinct start times (the filters compare milliseconds).
        std::thread::sleep(Duration::from_millis(5));
    }
    let slow = running(&api, GENERATOR, &json!({"durationSecs": 30}), "");
    let ids = |q: &str| -> Vec<String> {
        api.get(&format!("/v2/actor-runs{q}")).expect(200).data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect()
    };
    let all: Vec<String> = done.iter().chain([&slow]).map(id).collect();
    assert_eq!(ids(""), all);
    assert_eq!(ids("?status=SUCCEEDED"), all[..3]);
    assert_eq!(ids("?status=RUNNING,READY"), all[3..]);
    let second = done[1]["startedAt"].as_str().unwrap();
    assert_eq!(
        ids(&format!("?startedAfter={second}")),
        all[1..],
        "inclusive"
    );
    assert_eq!(
        ids(&format!("?startedBefore={second}")),
        all[..2],
        "inclusive"
    );
    assert_eq!(
        ids(&format!(
            "?startedAfter={second}&startedBefore={second}&status=SUCCEEDED"
        )),
        all[1..2]
    );
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(ids("?desc=1"), reversed);
    assert_eq!(ids("?desc=true&offset=1&limit=2"), reversed[1..3]);
    let page = api
        .get("/v2/actor-runs?status=SUCCEEDED&limit=1")
        .expect(200)
        .data();
    assert_eq!(
        (page["total"].as_u64(), page["count"].as_u64()),
        (Some(3), Some(1))
    );
    // The Actor's list takes the same filters.
    let hello_ids: Vec<String> = api
        .get(&format!("/v2/acts/{HELLO}/runs?startedAfter={second}"))
        .expect(200)
        .data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(hello_ids, all[1..3]);
    for q in [
        "?status=WAITING",
        "?startedAfter=yesterday",
        "?startedBefore=2026-13-01T00:00:00Z",
        "?limit=x",
    ] {
        let r = api.get(&format!("/v2/actor-runs{q}")).expect(400);
        assert_eq!(r.error_type(), "invalid-parameter", "{q}");
    }
    api.post_empty(&format!("/v2/actor-runs/{}/abort", id(&slow)))
        .expect(200);
}

#[test]
fn actor_scoped_run_routes_answer_for_the_actors_own_runs() {
    let api = Api::start();
    let run = running(&api, GENERATOR, &json!({"durationSecs": 30}), "");
    let rid = id(&run);
    let gen = actor_id(&api, GENERATOR);
    for actor in [GENERATOR.to_string(), gen] {
        let got = api
            .get(&format!("/v2/acts/{actor}/runs/{rid}"))
            .expect(200)
            .data();
        assert_eq!(got["id"], rid.as_str());
    }
    api.get(&format!("/v2/acts/{HELLO}/runs/{rid}")).expect(404);
    api.post_empty(&format!("/v2/acts/{HELLO}/runs/{rid}/abort"))
        .expect(404);
    let aborted = api
        .post_empty(&format!("/v2/acts/{GENERATOR}/runs/{rid}/abort"))
        .expect(200)
        .data();
    assert_eq!(aborted["status"], "ABORTED");
    let back = api
        .post_empty(&format!("/v2/acts/{GENERATOR}/runs/{rid}/resurrect"))
        .expect(200)
        .data();
    assert_eq!(back["stats"]["resurrectCount"], 1);
    let r = api
        .post_empty(&format!("/v2/acts/{GENERATOR}/runs/{rid}/resurrect"))
        .expect(400);
    assert!(error(&r).1.contains("only a finished run"), "{}", r.text());
    // Only the run path has update, delete and charge.
    for (method, path) in [
        ("PUT", format!("/v2/acts/{GENERATOR}/runs/{rid}")),
        ("DELETE", format!("/v2/acts/{GENERATOR}/runs/{rid}")),
    ] {
        let r = api.request(
            method,
            &path,
            &[("Content-Type", "application/json")],
            Some(b"{}"),
        );
        assert_eq!(
            r.expect(405).error_type(),
            "method-not-allowed",
            "{method} {path}"
        );
    }
    let r = api.post_empty(&format!("/v2/acts/{GENERATOR}/runs/{rid}/charge"));
    assert_eq!(r.expect(404).error_type(), "page-not-found");
    api.post_empty(&format!("/v2/actor-runs/{rid}/abort"))
        .expect(200);
}
