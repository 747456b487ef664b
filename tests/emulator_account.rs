//! The Store listing, the user's account (public profile, private data, monthly usage,
//! limits) and the tools endpoints (browser info, encode-and-sign / decode-and-verify), over
//! real HTTP on 127.0.0.1. Every JSON answer is validated against the spec by `common::Api`.
#![cfg(feature = "emulator")]

mod common;

use base64::Engine;
use common::Api;
use serde_json::{json, Value};

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["username"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            )
        })
        .collect()
}

/// A public Actor of the user's own, with a category.
fn public_actor(api: &Api, name: &str, categories: &[&str]) -> Value {
    api.post_json(
        "/v2/acts",
        &json!({"name": name, "title": format!("Title of {name}"), "isPublic": true,
                "categories": categories,
                "versions": [{"versionNumber": "0.1", "sourceType": "SOURCE_FILES",
                              "buildTag": "latest", "sourceFiles": []}]}),
    )
    .expect(201)
    .data()
}

#[test]
fn the_store_lists_public_actors_filtered_sorted_and_paged() {
    let api = Api::start();
    let page = api.get("/v2/store").expect(200).data();
    assert_eq!(page["total"], 2);
    assert_eq!(page["limit"], 1000);
    let all = names(&page);
    assert!(all.contains(&"apify/hello-world".to_string()), "{all:?}");
    assert!(all.contains(&"emulator/generator".to_string()), "{all:?}");
    let hello = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "hello-world")
        .unwrap();
    assert_eq!(hello["currentPricingInfo"]["pricingModel"], "FREE");
    assert_eq!(hello["stats"]["totalRuns"], 0);

    // A private Actor is not listed; a public one is, and its runs count.
    api.post_json("/v2/acts", &json!({"name": "hidden-one"}))
        .expect(201);
    public_actor(&api, "shown-one", &["AI", "DEVELOPER_TOOLS"]);
    api.start_run("apify~hello-world", &json!({"message": "x"}), "");
    let run = api.start_run("apify~hello-world", &json!({"message": "y"}), "");
    api.wait_run(run["id"].as_str().unwrap());
    let page = api.get("/v2/store?sortBy=popularity").expect(200).data();
    assert_eq!(page["total"], 3);
    let all = names(&page);
    assert_eq!(all[0], "apify/hello-world", "{all:?}");
    assert!(!all.iter().any(|n| n.ends_with("/hidden-one")), "{all:?}");
    assert_eq!(page["items"][0]["stats"]["totalRuns"], 2);
    assert_eq!(page["items"][0]["stats"]["totalUsers"], 1);
    assert!(page["items"][0]["stats"]["lastRunStartedAt"].is_string());

    // Filters.
    let page = api.get("/v2/store?category=ai").expect(200).data();
    assert_eq!(names(&page), ["emulator/shown-one"]);
    let page = api.get("/v2/store?username=apify").expect(200).data();
    assert_eq!(names(&page), ["apify/hello-world"]);
    let page = api
        .get("/v2/store?search=GENERATES%20items")
        .expect(200)
        .data();
    assert_eq!(names(&page), ["emulator/generator"]);
    let page = api
        .get("/v2/store?search=nothing-like-this")
        .expect(200)
        .data();
    assert_eq!(page["total"], 0);
    assert_eq!(page["count"], 0);
    let page = api
        .get("/v2/store?pricingModel=PAY_PER_EVENT")
        .expect(200)
        .data();
    assert_eq!(page["total"], 0);
    let page = api
        .get("/v2/store?pricingModel=FREE&allowsAgenticUsers=false&includeUnrunnableActors=true")
        .expect(200)
        .data();
    assert_eq!(page["total"], 3);
    // The newest first: the Actor created last.
    let page = api.get("/v2/store?sortBy=newest").expect(200).data();
    assert_eq!(names(&page)[0], "emulator/shown-one");

    // Paging: total stays, the page moves.
    let first = api
        .get("/v2/store?limit=2&sortBy=newest")
        .expect(200)
        .data();
    let rest = api
        .get("/v2/store?limit=2&offset=2&sortBy=newest")
        .expect(200)
        .data();
    assert_eq!(
        (first["count"].as_u64(), rest["count"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(first["total"], 3);
    assert_eq!(rest["offset"], 2);
    let mut paged = names(&first);
    paged.extend(names(&rest));
    assert_eq!(paged, names(&page));

    // The agent format keeps a reduced set of fields.
    let page = api
        .get("/v2/store?responseFormat=agent&username=apify")
        .expect(200)
        .data();
    let item = page["items"][0].as_object().unwrap();
    assert!(item.contains_key("description") && item.contains_key("stats"));
    assert!(!item.contains_key("currentPricingInfo") && !item.contains_key("url"));

    // Bad parameters are refused, naming the parameter.
    for (query, named) in [
        ("sortBy=cheapest", "sortBy"),
        ("pricingModel=GRATIS", "pricingModel"),
        ("responseFormat=xml", "responseFormat"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
        ("allowsAgenticUsers=maybe", "allowsAgenticUsers"),
    ] {
        let r = api.get(&format!("/v2/store?{query}")).expect(400);
        assert!(r.text().contains(named), "{query}: {}", r.text());
    }
    api.post_json("/v2/store", &json!({})).expect(405);
}

#[test]
fn public_profiles_need_no_token_and_show_no_private_fields() {
    let api = Api::start();
    let me = api.get("/v2/users/me").expect(200).data();
    assert!(me["plan"]["maxMonthlyUsageUsd"].is_number());
    let anonymous = api.with_token(None);
    anonymous.get("/v2/users/me").expect(401);
    for id in [me["id"].as_str().unwrap(), "emulator"] {
        let user = anonymous.get(&format!("/v2/users/{id}")).expect(200).data();
        assert_eq!(user["username"], "emulator");
        assert_eq!(user["profile"]["name"], "Emulator user");
        let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["username", "profile"]);
    }
    // No token is fine; a wrong one is refused as on every other operation.
    let wrong = api.with_token(Some("not-a-token"));
    for path in ["/v2/users/emulator", "/v2/browser-info"] {
        let r = wrong.get(path).expect(401);
        assert_eq!(r.error_type(), "invalid-token", "{path}");
    }
    // The owner of a public Actor has a profile too.
    let apify = api.get("/v2/users/apify").expect(200).data();
    assert_eq!(apify["username"], "apify");
    let r = api.get("/v2/users/nobody-here").expect(404);
    assert_eq!(r.error_type(), "record-not-found");
}

#[test]
fn monthly_usage_counts_the_runs_of_the_cycle() {
    let api = Api::start();
    let empty = api.get("/v2/users/me/usage/monthly").expect(200).data();
    assert_eq!(empty["totalUsageCreditsUsdBeforeVolumeDiscount"], 0.0);
    assert_eq!(empty["dailyServiceUsages"], json!([]));
    let run = api.start_run(
        "emulator~generator",
        &json!({"count": 7, "records": 2, "durationSecs": 0.3}),
        "?memory=2048",
    );
    api.wait_run(run["id"].as_str().unwrap());
    let usage = api.get("/v2/users/me/usage/monthly").expect(200).data();
    let services = &usage["monthlyServiceUsage"];
    let cu = services["ACTOR_COMPUTE_UNITS"]["quantity"]
        .as_f64()
        .unwrap();
    // 2 GB for at least 0.3 s.
    assert!(cu >= 2.0 * 0.3 / 3600.0, "{cu}");
    assert_eq!(services["DATASET_WRITES"]["quantity"], 7.0);
    // OUTPUT, INPUT and the two extra records.
    assert!(
        services["KEY_VALUE_STORE_WRITES"]["quantity"]
            .as_f64()
            .unwrap()
            >= 3.0
    );
    let days = usage["dailyServiceUsages"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    let total = usage["totalUsageCreditsUsdBeforeVolumeDiscount"]
        .as_f64()
        .unwrap();
    assert!(total > 0.0);
    assert!((days[0]["totalUsageCreditsUsd"].as_f64().unwrap() - total).abs() < 1e-12);
    // The cycle holds today.
    let today = &days[0]["date"].as_str().unwrap().to_string();
    let start = usage["usageCycle"]["startAt"].as_str().unwrap();
    assert_eq!(&start[..8], &today[..8]);
    assert!(start.ends_with("-01T00:00:00.000Z"), "{start}");
    let same = api
        .get(&format!("/v2/users/me/usage/monthly?date={today}"))
        .expect(200)
        .data();
    assert_eq!(same["dailyServiceUsages"].as_array().unwrap().len(), 1);
    // Another month: nothing used then.
    let past = api
        .get("/v2/users/me/usage/monthly?date=2020-02-29")
        .expect(200)
        .data();
    assert_eq!(past["usageCycle"]["startAt"], "2020-02-01T00:00:00.000Z");
    assert_eq!(past["usageCycle"]["endAt"], "2020-02-29T23:59:59.999Z");
    assert_eq!(past["totalUsageCreditsUsdAfterVolumeDiscount"], 0.0);
    // The limits' current usage agrees.
    let limits = api.get("/v2/users/me/limits").expect(200).data();
    let current = limits["current"]["monthlyUsageUsd"].as_f64().unwrap();
    assert!(current >= total, "{current} < {total}");
    for bad in ["2021-02-29", "14.06.2020", "2020-6-14", "yesterday"] {
        let r = api
            .get(&format!("/v2/users/me/usage/monthly?date={bad}"))
            .expect(400);
        assert!(r.text().contains("YYYY-MM-DD"), "{}", r.text());
    }
}

#[test]
fn monthly_usage_counts_pay_per_event_charges() {
    let api = Api::start();
    // A pay-per-event Actor: `page` at 0.25 USD, `lead` at 0.1 USD.
    let actor = api
        .post_json(
            "/v2/acts",
            &json!({"name": "ppe-usage",
                    "versions": [{"versionNumber": "0.0", "sourceType": "SOURCE_FILES",
                                  "sourceFiles": [{"name": ".actor/actor.json", "format": "TEXT",
                                                   "content": "{\"actorSpecification\": 1}"}]}],
                    "pricingInfos": [{"pricingModel": "PAY_PER_EVENT", "pricingPerEvent": {
                        "actorChargeEvents": {
                            "page": {"eventTitle": "Page", "eventDescription": "A page",
                                     "eventPriceUsd": 0.25},
                            "lead": {"eventTitle": "Lead", "eventDescription": "A lead",
                                     "eventPriceUsd": 0.1}}}}]}),
        )
        .expect(201)
        .data();
    let id = actor["id"].as_str().unwrap();
    let build = api
        .post_empty(&format!(
            "/v2/acts/{id}/builds?version=0.0&waitForFinish=60"
        ))
        .expect(201)
        .data();
    assert_eq!(build["status"], "SUCCEEDED");
    let run = api.start_run(id, &json!({"durationSecs": 30}), "");
    let rid = run["id"].as_str().unwrap();
    for (event, count) in [("page", 2), ("lead", 1)] {
        let body = json!({"eventName": event, "count": count}).to_string();
        api.request(
            "POST",
            &format!("/v2/actor-runs/{rid}/charge"),
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
        .expect(201);
    }
    api.post_empty(&format!("/v2/actor-runs/{rid}/abort"))
        .expect(200);
    let charged = api.get(&format!("/v2/actor-runs/{rid}")).expect(200).data();
    assert_eq!(charged["usageTotalUsd"], 0.6);
    // A free Actor's run adds to the other lines only.
    let free = api.start_run("emulator~generator", &json!({"count": 1}), "");
    api.wait_run(free["id"].as_str().unwrap());

    let usage = api.get("/v2/users/me/usage/monthly").expect(200).data();
    let ppe = &usage["monthlyServiceUsage"]["PAY_PER_EVENT"];
    assert_eq!(ppe["quantity"], 3.0, "{usage}");
    assert_eq!(ppe["baseAmountUsd"], 0.6);
    let day = &usage["dailyServiceUsages"][0];
    assert_eq!(day["serviceUsage"]["PAY_PER_EVENT"], *ppe);
    let sum: f64 = usage["monthlyServiceUsage"]
        .as_object()
        .unwrap()
        .values()
        .map(|u| u["baseAmountUsd"].as_f64().unwrap())
        .sum();
    let total = usage["totalUsageCreditsUsdBeforeVolumeDiscount"]
        .as_f64()
        .unwrap();
    assert!(
        (sum - total).abs() < 1e-12 && total > 0.6,
        "{sum} vs {total}"
    );
    assert!((day["totalUsageCreditsUsd"].as_f64().unwrap() - total).abs() < 1e-12);
    let limits = api.get("/v2/users/me/limits").expect(200).data();
    assert!(limits["current"]["monthlyUsageUsd"].as_f64().unwrap() >= total);
    // Deleting the charged run keeps what it used (and charged) in the month's usage.
    api.delete(&format!("/v2/actor-runs/{rid}")).expect(204);
    api.get(&format!("/v2/actor-runs/{rid}")).expect(404);
    let kept = api.get("/v2/users/me/usage/monthly").expect(200).data();
    assert_eq!(kept["monthlyServiceUsage"]["PAY_PER_EVENT"], *ppe);
    let kept_total = kept["totalUsageCreditsUsdBeforeVolumeDiscount"]
        .as_f64()
        .unwrap();
    assert!((kept_total - total).abs() < 1e-9, "{kept_total} vs {total}");
    // Another month: no charges, no line.
    let past = api
        .get("/v2/users/me/usage/monthly?date=2020-02-29")
        .expect(200)
        .data();
    assert!(past["monthlyServiceUsage"].get("PAY_PER_EVENT").is_none());
}

#[test]
fn limits_show_the_account_and_change_only_what_may_change() {
    let api = Api::start();
    let limits = api.get("/v2/users/me/limits").expect(200).data();
    assert_eq!(limits["current"]["actorCount"], 0);
    assert_eq!(limits["current"]["actorTaskCount"], 0);
    assert_eq!(limits["current"]["activeActorJobCount"], 0);
    let before = limits["limits"].clone();
    // A running run and an own Actor show in the current figures.
    let run = api.start_run(
        "emulator~generator",
        &json!({"durationSecs": 30}),
        "?memory=512",
    );
    public_actor(&api, "mine", &[]);
    let limits = api.get("/v2/users/me/limits").expect(200).data();
    assert_eq!(limits["current"]["activeActorJobCount"], 1);
    assert_eq!(limits["current"]["actorMemoryGbytes"], 0.5);
    assert_eq!(limits["current"]["actorCount"], 1);
    api.post_empty(&format!(
        "/v2/actor-runs/{}/abort",
        run["id"].as_str().unwrap()
    ))
    .expect(200);

    let r = api
        .put_json(
            "/v2/users/me/limits",
            &json!({"maxMonthlyUsageUsd": 42.5, "dataRetentionDays": 30}),
        )
        .expect(201);
    assert!(r.json().is_object());
    let after = api.get("/v2/users/me/limits").expect(200).data();
    assert_eq!(after["limits"]["maxMonthlyUsageUsd"], 42.5);
    assert_eq!(after["limits"]["dataRetentionDays"], 30);
    assert_eq!(after["limits"]["maxActorCount"], before["maxActorCount"]);
    let me = api.get("/v2/users/me").expect(200).data();
    assert_eq!(me["plan"]["maxMonthlyUsageUsd"], 42.5);
    api.put_json("/v2/users/me/limits", &json!({"dataRetentionDays": 7}))
        .expect(201);
    let after = api.get("/v2/users/me/limits").expect(200).data();
    assert_eq!(after["limits"]["maxMonthlyUsageUsd"], 42.5);
    assert_eq!(after["limits"]["dataRetentionDays"], 7);

    for (body, named) in [
        (json!({"maxActorCount": 5}), "maxActorCount"),
        (json!({"maxMonthlyUsageUsd": -1}), "maxMonthlyUsageUsd"),
        (json!({"maxMonthlyUsageUsd": "10"}), "maxMonthlyUsageUsd"),
        (json!({"dataRetentionDays": 0}), "dataRetentionDays"),
        (json!({"dataRetentionDays": 2.5}), "dataRetentionDays"),
        (json!({"dataRetentionDays": 366}), "dataRetentionDays"),
        (json!({}), "changes nothing"),
        (json!([1]), "JSON object"),
    ] {
        let r = api.put_json("/v2/users/me/limits", &body).expect(400);
        assert!(r.text().contains(named), "{body}: {}", r.text());
    }
    // Refused updates changed nothing.
    let after = api.get("/v2/users/me/limits").expect(200).data();
    assert_eq!(after["limits"]["dataRetentionDays"], 7);
}

#[test]
fn browser_info_echoes_the_request_with_any_method_and_no_token() {
    let api = Api::start();
    let anonymous = api.with_token(None);
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let body = (method != "GET").then_some(&b"twelve bytes"[..]);
        let r = anonymous
            .request(method, "/v2/browser-info", &[("X-Probe", "one")], body)
            .expect(200);
        let info = r.json();
        assert_eq!(info["method"], method);
        assert_eq!(info["clientIp"], "127.0.0.1");
        assert!(info["countryCode"].is_null());
        assert_eq!(info["bodyLength"], if body.is_some() { 12 } else { 0 });
        assert_eq!(info["headers"]["x-probe"], "one");
        assert!(info.get("rawHeaders").is_none());
    }
    // With a token it answers the same.
    let info = api
        .get("/v2/browser-info?skipHeaders=1&rawHeaders=true")
        .expect(200)
        .json();
    assert!(info.get("headers").is_none());
    let raw: Vec<&str> = info["rawHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(raw.len() % 2, 0);
    let at = raw
        .iter()
        .position(|h| h.eq_ignore_ascii_case("host"))
        .unwrap();
    assert_eq!(raw[at + 1], api.addr());
    // A repeated header is a list.
    let info = api
        .request(
            "GET",
            "/v2/browser-info",
            &[("X-Twice", "a"), ("X-Twice", "b")],
            None,
        )
        .expect(200)
        .json();
    assert_eq!(info["headers"]["x-twice"], json!(["a", "b"]));
    let r = api.get("/v2/browser-info?skipHeaders=perhaps").expect(400);
    assert!(r.text().contains("skipHeaders"));
    api.request("PATCH", "/v2/browser-info", &[], None)
        .expect(405);
}

#[test]
fn encoded_values_decode_and_tampered_ones_are_refused() {
    let api = Api::start();
    let me = api.get("/v2/users/me").expect(200).data();
    let value = json!({"key": "value", "nested": {"n": [1, 2, 3]}});
    let encoded = api
        .post_json("/v2/tools/encode-and-sign", &value)
        .expect(200)
        .data()["encoded"]
        .as_str()
        .unwrap()
        .to_string();
    // Decoding needs no token.
    let anonymous = api.with_token(None);
    let decoded = anonymous
        .post_json("/v2/tools/decode-and-verify", &json!({"encoded": encoded}))
        .expect(200)
        .data();
    assert_eq!(decoded["decoded"], value);
    assert_eq!(decoded["encodedByUserId"], me["id"]);
    assert_eq!(decoded["isVerifiedUser"], false);
    // Encoding does.
    anonymous
        .post_json("/v2/tools/encode-and-sign", &value)
        .expect(401);

    // Change the payload inside and encode it again: the signature no longer matches.
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut envelope: Value = serde_json::from_slice(&b64.decode(&encoded).unwrap()).unwrap();
    envelope["payload"] = json!(r#"{"key":"other"}"#);
    let tampered = b64.encode(envelope.to_string());
    let r = api
        .post_json("/v2/tools/decode-and-verify", &json!({"encoded": tampered}))
        .expect(400);
    assert!(r.text().contains("signature"), "{}", r.text());
    for bad in [
        json!({"encoded": "not base64!"}),
        json!({"encoded": b64.encode("[1]")}),
    ] {
        let r = api
            .post_json("/v2/tools/decode-and-verify", &bad)
            .expect(400);
        assert!(r.text().contains("encode-and-sign"), "{}", r.text());
    }
    let r = api
        .post_json("/v2/tools/decode-and-verify", &json!({"encoded": 5}))
        .expect(400);
    assert!(r.text().contains("'encoded'"));
    api.post_json("/v2/tools/decode-and-verify", &json!({}))
        .expect(400);
    // Only objects are encoded, and only JSON is taken.
    let r = api
        .post_json("/v2/tools/encode-and-sign", &json!([1, 2]))
        .expect(400);
    assert!(r.text().contains("JSON object"), "{}", r.text());
    api.request(
        "POST",
        "/v2/tools/encode-and-sign",
        &[("Content-Type", "text/plain")],
        Some(b"{}"),
    )
    .expect(415);
}

/// Each operation's answers really meet a schema of the spec (the harness skips a body the spec
/// has no schema for; here that would be a failure).
#[test]
fn every_account_answer_has_a_schema_and_meets_it() {
    let api = Api::start();
    let me = api.get("/v2/users/me").expect(200).data();
    let encoded = api
        .post_json("/v2/tools/encode-and-sign", &json!({"a": 1}))
        .expect(200)
        .data()["encoded"]
        .clone();
    let cases: Vec<(&str, String, Option<Value>, u16)> = vec![
        ("GET", "/v2/store".into(), None, 200),
        ("GET", "/v2/store?sortBy=x".into(), None, 400),
        (
            "GET",
            format!("/v2/users/{}", me["id"].as_str().unwrap()),
            None,
            200,
        ),
        ("GET", "/v2/users/nobody-here".into(), None, 404),
        ("GET", "/v2/users/me".into(), None, 200),
        ("GET", "/v2/users/me/usage/monthly".into(), None, 200),
        ("GET", "/v2/users/me/usage/monthly?date=x".into(), None, 400),
        ("GET", "/v2/users/me/limits".into(), None, 200),
        (
            "PUT",
            "/v2/users/me/limits".into(),
            Some(json!({"dataRetentionDays": 9})),
            201,
        ),
        (
            "PUT",
            "/v2/users/me/limits".into(),
            Some(json!({"x": 1})),
            400,
        ),
        ("GET", "/v2/browser-info".into(), None, 200),
        ("POST", "/v2/browser-info".into(), Some(json!({})), 200),
        (
            "PUT",
            "/v2/browser-info?rawHeaders=1".into(),
            Some(json!({})),
            200,
        ),
        ("DELETE", "/v2/browser-info".into(), None, 200),
        (
            "POST",
            "/v2/tools/encode-and-sign".into(),
            Some(json!({"b": 2})),
            200,
        ),
        (
            "POST",
            "/v2/tools/encode-and-sign".into(),
            Some(json!(3)),
            400,
        ),
        (
            "POST",
            "/v2/tools/decode-and-verify".into(),
            Some(json!({"encoded": encoded})),
            200,
        ),
        (
            "POST",
            "/v2/tools/decode-and-verify".into(),
            Some(json!({"encoded": "x"})),
            400,
        ),
    ];
    for (method, path, body, status) in cases {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let r = api
            .request(
                method,
                &path,
                &[("Content-Type", "application/json")],
                bytes.as_deref(),
            )
            .expect(status);
        let bare = path.split('?').next().unwrap();
        let checked =
            common::openapi::Spec::get().validate_response(method, bare, status, &r.json());
        assert_eq!(checked, Ok(true), "{method} {path} {status}");
    }
}
