//! Failures say what the server may have seen, and come fast: a closed port, a name that does
//! not resolve, TLS against a plain-HTTP port, a start whose run cannot be looked up; secrets
//! stay out of every message and `Debug` output; causes are chained.
#![cfg(feature = "emulator")]

use std::error::Error as _;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use apify::{Client, Error, ItemsOptions, Sent, StartOptions};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{add_fault, setup, support};

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn client_of(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .token("failures-token")
        .proxy(None)
        .build()
        .unwrap()
}

/// A start with `client` that must fail within 3 s, nothing sent, saying no run was started:
/// its message.
#[track_caller]
fn start_fails_with_nothing_sent(client: &Client) -> String {
    let began = Instant::now();
    let e = client
        .actor("apify/hello-world")
        .start(&json!({}), &StartOptions::default())
        .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert!(
        matches!(e, Error::Transport { sent: Sent::No, .. }),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("no run was started"), "{text}");
    assert!(!text.contains("may have"), "{text}");
    text
}

#[test]
fn a_closed_port_fails_fast_saying_nothing_was_sent() {
    let port = closed_port();
    let client = client_of(&format!("http://127.0.0.1:{port}"));
    let began = Instant::now();
    let e = client.dataset("some-dataset").get().unwrap_err();
    let took = began.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let Error::Transport {
        message,
        sent,
        attempt,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*sent, Sent::No);
    assert_eq!(e.sent(), Some(Sent::No));
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("nothing was sent"), "{message}");
    assert!(message.contains("(http)"), "{message}");
    // Retried briefly: more than once, but only a few times.
    assert!((2..=5).contains(attempt), "attempt {attempt}");
    // The I/O error is chained.
    let source = e.source().expect("a source");
    let io = source
        .downcast_ref::<std::io::Error>()
        .expect("an io::Error");
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn a_start_against_a_closed_port_says_no_run_was_started() {
    let port = closed_port();
    let client = client_of(&format!("http://127.0.0.1:{port}"));
    let text = start_fails_with_nothing_sent(&client);
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
}

#[test]
fn a_name_that_does_not_resolve_is_not_retried() {
    let client = client_of("http://no-such-host.invalid:8765");
    let began = Instant::now();
    let e = client.run("someRunId").get().unwrap_err();
    assert!(began.elapsed() < Duration::from_secs(3));
    let Error::Transport {
        message,
        sent,
        attempt,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*sent, *attempt), (Sent::No, 1));
    assert!(message.contains("no-such-host.invalid"), "{message}");
    assert!(message.contains("could not be resolved"), "{message}");
    assert!(message.contains("nothing was sent"), "{message}");
}

#[test]
fn tls_against_a_plain_http_port_fails_at_once_with_nothing_sent() {
    let (emu, _) = setup();
    let https = emu.base_url().replacen("http://", "https://", 1);
    let client = client_of(&https);
    let text = start_fails_with_nothing_sent(&client);
    assert!(text.contains("TLS handshake"), "{text}");
    assert!(text.ends_with("(attempt 1)"), "{text}");
    let host = https.trim_start_matches("https://");
    assert!(text.contains(host), "{text}");
}

#[test]
fn a_start_whose_run_list_fails_is_outcome_unknown_with_advice() {
    let (emu, _) = setup();
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .min_retry_delay(Duration::from_millis(10))
        .max_retries(2)
        .reconcile_window(Duration::from_millis(300))
        .proxy(None)
        .build()
        .unwrap();
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actors/*/runs", "action": {"kind": "lostResponse"}}),
    );
    add_fault(
        &client,
        json!({"method": "GET", "path": "/v2/actors/*/runs", "times": 50, "action": {"kind": "status", "status": 500}}),
    );
    let e = client
        .actor("apify/hello-world")
        .start(&json!({"message": "lost"}), &StartOptions::default())
        .unwrap_err();
    let Error::OutcomeUnknown {
        message,
        run_id,
        start_marker,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(run_id.is_none());
    let marker = start_marker.as_deref().unwrap();
    assert!(message.contains("a run may have started"), "{message}");
    assert!(message.contains("run list"), "{message}");
    assert!(message.contains(marker), "{message}");
    assert_eq!(e.sent(), Some(Sent::Unknown));
    // The cause is the lost answer.
    let cause = e.source().unwrap().downcast_ref::<Error>().unwrap();
    assert_eq!(cause.sent(), Some(Sent::Unknown), "{cause:?}");
    // Exactly one run exists, and it carries the marker: nothing was resent.
    support(&client, "DELETE", "/_emulator/faults", None);
    let runs = support(&client, "GET", "/v2/actors/apify~hello-world/runs", None);
    let items = runs["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let ua = items[0]["meta"]["userAgent"].as_str().unwrap();
    assert!(ua.ends_with(marker), "{ua}");
}

#[test]
fn a_lost_start_is_still_reconciled_to_its_one_run() {
    let (_emu, client) = setup();
    add_fault(
        &client,
        json!({"method": "POST", "path": "/v2/actors/*/runs", "times": 2, "action": {"kind": "lostResponse"}}),
    );
    let run = client
        .actor("apify/hello-world")
        .start(&json!({"message": "found"}), &StartOptions::default())
        .unwrap();
    let runs = support(&client, "GET", "/v2/actors/apify~hello-world/runs", None);
    let items = runs["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], Value::from(run.id));
}

#[test]
fn a_401_without_a_token_says_no_token_was_given() {
    let (emu, _) = setup();
    // The builder falls back to APIFY_TOKEN only when no token is set: give an empty one.
    let client = Client::builder()
        .base_url(emu.base_url())
        .token("")
        .proxy(None)
        .build()
        .unwrap();
    let e = client
        .dataset("whatever")
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap_err();
    assert_eq!(e.http_status(), Some(401));
    let text = e.to_string();
    assert!(
        text.contains("no API token was given (set APIFY_TOKEN or the token option)"),
        "{text}"
    );
}

#[test]
fn credentials_in_the_base_url_never_show() {
    let port = closed_port();
    let client = Client::builder()
        .base_url(format!("http://alice:pa55-w0rd@127.0.0.1:{port}"))
        .token("tok-123456")
        .proxy(None)
        .build()
        .unwrap();
    let e = client.dataset("d").get().unwrap_err();
    for text in [
        format!("{e}"),
        format!("{e:?}"),
        format!("{client:?}"),
        client.base_url().to_string(),
    ] {
        assert!(!text.contains("pa55-w0rd"), "{text}");
        assert!(!text.contains("tok-123456"), "{text}");
    }
}

#[test]
fn a_proxy_that_refuses_is_named_and_nothing_was_sent() {
    let (emu, _) = setup();
    let proxy_port = closed_port();
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .proxy(Some(&format!("http://127.0.0.1:{proxy_port}")))
        .build()
        .unwrap();
    let began = Instant::now();
    let e = client
        .actor("apify/hello-world")
        .start(&json!({}), &StartOptions::default())
        .unwrap_err();
    assert!(began.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(e, Error::Transport { sent: Sent::No, .. }),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("proxy 127.0.0.1:{proxy_port}")),
        "{text}"
    );
    assert!(text.contains("no run was started"), "{text}");
}
