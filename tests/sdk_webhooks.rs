//! Webhooks as resources through the Rust API, against the emulator: create (idempotently),
//! list, get, update, test, dispatches, delete; a run of the watched Actor fires it; a received
//! body parses.
#![cfg(feature = "emulator")]

use std::time::Duration;

use apify::{parse_webhook, Webhook, WebhookCondition, WebhookSpec};
use serde_json::json;

#[path = "common/receiver.rs"]
mod receiver;
#[path = "common/sdk.rs"]
mod sdk;
use receiver::Receiver;
use sdk::setup;

#[test]
fn webhooks_round_trip_and_fire_for_their_actor() {
    let (_emu, client) = setup();
    let receiver = Receiver::start(Vec::new());
    let url = receiver.url.clone();
    let actor = client.actor("apify/hello-world").get().unwrap().unwrap();
    let actor_id = actor["id"].as_str().unwrap().to_string();
    let spec = WebhookSpec::new(
        Webhook::new(["ACTOR.RUN.SUCCEEDED"], url.clone())
            .idempotency_key("sdk-webhooks-1")
            .description("first"),
    )
    .condition(WebhookCondition::default().actor_id(actor_id.clone()));
    let created = client.webhooks().create(&spec).unwrap();
    // The same idempotency key answers the same webhook.
    let again = client.webhooks().create(&spec).unwrap();
    assert_eq!(created.id, again.id);
    assert_eq!(created.request_url, url);
    assert_eq!(
        created.condition.as_ref().unwrap().actor_id.as_deref(),
        Some(actor_id.as_str())
    );
    let listed = client
        .webhooks()
        .list(&apify::ListOptions::default().limit(10))
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let hook = client.webhook(&created.id);
    assert_eq!(hook.get().unwrap().unwrap().id, created.id);
    let updated = hook
        .update(&WebhookSpec::new(Webhook::default().description("second")))
        .unwrap();
    assert_eq!(updated.extra["description"], "second");
    assert_eq!(updated.event_types, vec!["ACTOR.RUN.SUCCEEDED".to_string()]);

    // A run of the Actor fires it; the body parses.
    let run = client
        .actor("apify/hello-world")
        .call(&json!({}), &Default::default())
        .unwrap();
    let body = receiver.wait_for(1, Duration::ZERO)[0].body.clone();
    let event = parse_webhook(&body).unwrap();
    assert_eq!(event.event_type, "ACTOR.RUN.SUCCEEDED");
    assert_eq!(event.run_id.as_deref(), Some(run.id.as_str()));
    assert_eq!(event.actor_id.as_deref(), Some(actor_id.as_str()));
    assert_eq!(event.status.as_deref(), Some("SUCCEEDED"));

    // A test delivery, and the dispatches of both.
    let test = hook.test().unwrap();
    assert_eq!(test["eventType"], "TEST");
    let dispatches = hook
        .dispatches(&apify::ListOptions::default().limit(10))
        .unwrap();
    assert_eq!(dispatches.items.len(), 2, "{:?}", dispatches.items);
    let first = dispatches.items[0]["id"].as_str().unwrap();
    assert!(client.webhook_dispatch(first).unwrap().is_some());
    assert!(client
        .webhook_dispatch("noSuchDispatch1")
        .unwrap()
        .is_none());

    hook.delete().unwrap();
    assert!(hook.get().unwrap().is_none());
    assert!(hook.delete().unwrap_err().is_not_found());
}

#[test]
fn a_webhook_needs_events_and_a_url() {
    let (_emu, client) = setup();
    let e = client
        .webhooks()
        .create(&WebhookSpec::default())
        .unwrap_err();
    assert!(
        e.to_string().contains("event type and a request URL"),
        "{e}"
    );
}
