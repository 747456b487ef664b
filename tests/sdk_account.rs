//! The Store, the user's account and the tools through the Rust SDK against the in-process
//! emulator: typed Store pages with filters, users (me and public profiles), monthly usage,
//! limits and their update, browser info, encode-and-sign / decode-and-verify, and the
//! arguments refused before any request.
#![cfg(feature = "emulator")]
#![allow(clippy::result_large_err)]

use apify::{Error, LimitsUpdate, RunStatus, StartOptions, StoreListOptions, WaitOptions};
use serde_json::json;

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{setup, support};

/// API requests the emulator has seen (its journal, which leaves out `/_emulator/` calls), to
/// show a refused call sent none.
fn requests_seen(client: &apify::Client) -> usize {
    let journal = support(client, "GET", "/_emulator/requests", None);
    journal["total"].as_u64().unwrap() as usize
}

#[test]
fn the_store_lists_typed_public_actors() {
    let (_emu, client) = setup();
    let page = client.store().list(&StoreListOptions::default()).unwrap();
    assert_eq!(page.total, 2);
    let hello = page
        .items
        .iter()
        .find(|a| a.full_name() == "apify/hello-world")
        .unwrap();
    assert_eq!(hello.pricing_model(), Some("FREE"));
    assert_eq!(hello.stats.total_runs, Some(0));
    assert!(hello.url.is_some());

    client
        .actor("apify/hello-world")
        .call(&json!({"message": "m"}), &Default::default())
        .unwrap();
    let page = client
        .store()
        .list(
            &StoreListOptions::default()
                .search("hello")
                .sort_by("popularity")
                .pricing_model("FREE")
                .limit(1),
        )
        .unwrap();
    assert_eq!((page.total, page.count, page.limit), (1, 1, 1));
    let hello = &page.items[0];
    assert_eq!(hello.username, "apify");
    assert_eq!(hello.stats.total_runs, Some(1));
    assert_eq!(hello.stats.total_users, Some(1));
    assert!(hello.stats.last_run_started_at.is_some());
    let page = client
        .store()
        .list(&StoreListOptions::default().username("nobody"))
        .unwrap();
    assert!(page.items.is_empty());
    let agent = client
        .store()
        .list(&StoreListOptions::default().response_format("agent"))
        .unwrap();
    assert!(agent.items.iter().all(|a| a.current_pricing_info.is_none()));

    let before = requests_seen(&client);
    let e = client
        .store()
        .list(&StoreListOptions::default().sort_by("cheapest"))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    assert_eq!(requests_seen(&client), before, "no request was sent");
}

#[test]
fn users_me_public_profiles_and_missing_users() {
    let (_emu, client) = setup();
    let me = client.user("me").get().unwrap().unwrap();
    assert_eq!(me.username, "emulator");
    let id = me.id.clone().unwrap();
    assert!(me.plan.is_some() && me.email.is_some());
    assert_eq!(me.is_paying, Some(false));
    for who in [id.as_str(), "emulator"] {
        let public = client.user(who).get().unwrap().unwrap();
        assert_eq!(public.username, "emulator");
        assert_eq!(public.profile["name"], "Emulator user");
        assert!(public.id.is_none() && public.email.is_none() && public.plan.is_none());
    }
    assert!(client.user("no-such-user").get().unwrap().is_none());
    for e in [
        client.user("").get().unwrap_err(),
        client.user(&id).monthly_usage(None).unwrap_err(),
        client.user("emulator").limits().unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    }
}

#[test]
fn usage_and_limits_follow_the_runs_and_the_updates() {
    let (_emu, client) = setup();
    let me = client.user("me");
    let usage = me.monthly_usage(None).unwrap();
    assert_eq!(usage.total_usage_credits_usd_before_volume_discount, 0.0);
    assert!(usage.daily_service_usages.is_empty());

    let run = client
        .actor("emulator/generator")
        .start(
            &json!({"count": 4, "durationSecs": 0.2}),
            &StartOptions::default(),
        )
        .unwrap();
    let run = client.run(&run.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    let usage = me.monthly_usage(None).unwrap();
    let compute = &usage.monthly_service_usage["ACTOR_COMPUTE_UNITS"];
    assert!(compute.quantity > 0.0 && compute.base_amount_usd > 0.0);
    assert_eq!(usage.monthly_service_usage["DATASET_WRITES"].quantity, 4.0);
    assert_eq!(usage.daily_service_usages.len(), 1);
    let day = usage.daily_service_usages[0].date.clone();
    let same = me.monthly_usage(Some(&day)).unwrap();
    assert_eq!(same.usage_cycle, usage.usage_cycle);
    let old = me.monthly_usage(Some("2021-03-15")).unwrap();
    assert_eq!(old.usage_cycle.start_at, "2021-03-01T00:00:00.000Z");
    assert!(old
        .monthly_service_usage
        .values()
        .all(|u| u.quantity == 0.0));
    // A date the server finds wrong is its 400; one of the wrong shape never leaves.
    let e = me.monthly_usage(Some("2021-02-30")).unwrap_err();
    assert_eq!(e.http_status(), Some(400), "{e}");
    let e = me.monthly_usage(Some("March 2021")).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");

    let limits = me.limits().unwrap();
    assert!(limits.current.monthly_usage_usd > 0.0);
    assert_eq!(limits.current.active_actor_job_count, 0);
    me.update_limits(
        &LimitsUpdate::default()
            .max_monthly_usage_usd(12.5)
            .data_retention_days(21),
    )
    .unwrap();
    let after = me.limits().unwrap();
    assert_eq!(after.limits.max_monthly_usage_usd, 12.5);
    assert_eq!(after.limits.data_retention_days, 21);
    assert_eq!(after.limits.max_actor_count, limits.limits.max_actor_count);
    // Past what the server allows: its error, and nothing changed.
    let e = me
        .update_limits(&LimitsUpdate::default().data_retention_days(5000))
        .unwrap_err();
    assert_eq!(e.http_status(), Some(400), "{e}");
    assert_eq!(me.limits().unwrap().limits.data_retention_days, 21);
    let e = me.update_limits(&LimitsUpdate::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
}

#[test]
fn tools_echo_requests_and_sign_values() {
    let (_emu, client) = setup();
    let tools = client.tools();
    for method in ["GET", "post", "Put", "DELETE"] {
        let info = tools.browser_info(method).unwrap();
        assert_eq!(info.method, method.to_ascii_uppercase());
        assert_eq!(info.client_ip.as_deref(), Some("127.0.0.1"));
        assert!(info.headers["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("libapify/"));
        // The token is sent, but not handed back.
        assert!(!info.headers.contains_key("authorization"));
        assert!(!format!("{info:?}").contains(_emu.token()));
    }
    let e = tools.browser_info("PATCH").unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");

    let value = json!({"state": [1, "two", {"three": 3.0}]});
    let encoded = tools.encode_and_sign(&value).unwrap();
    let decoded = tools.decode_and_verify(&encoded).unwrap();
    assert_eq!(decoded.decoded, value);
    let me = client.user("me").get().unwrap().unwrap();
    assert_eq!(decoded.encoded_by_user_id, me.id);
    // One character changed: refused by the server.
    let mut bytes = encoded.into_bytes();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let e = tools.decode_and_verify(&tampered).unwrap_err();
    assert_eq!(e.http_status(), Some(400), "{e}");
    for e in [
        tools.encode_and_sign(&json!("a string")).unwrap_err(),
        tools.decode_and_verify(" ").unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    }
}
