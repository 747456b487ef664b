//! The SDK against a broken or hostile server on loopback (tests/common/rogue.rs): an endless
//! body stops at its cap and is not retried, a trickled body fails after the request timeout,
//! a redirect to another origin is refused, an error body that echoes the request leaves no
//! token in the error.

use std::time::{Duration, Instant};

use apify::{Client, Error, ItemsOptions, Sent};
use serde_json::Value;

#[path = "common/rogue.rs"]
mod rogue;
use rogue::{Behaviour, Rogue};

const TOKEN: &str = "hostile-test-token-5f3a";

fn client_of(server: &Rogue) -> apify::ClientBuilder {
    Client::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .min_retry_delay(Duration::from_millis(10))
        .proxy(None)
}

fn page(limit: u64) -> ItemsOptions {
    ItemsOptions::default().limit(limit)
}

#[test]
fn an_endless_page_stops_at_its_cap_and_is_not_retried() {
    let server = Rogue::start(Behaviour::EndlessJson);
    let client = client_of(&server).build().unwrap();
    let began = Instant::now();
    let e = client
        .dataset("endless")
        .list_items::<Value>(&page(10))
        .unwrap_err();
    let Error::ResponseTooLarge { limit, attempt, .. } = &e else {
        panic!("{e:?}")
    };
    // 10 items ask for the smallest page cap.
    assert_eq!(*limit, apify::MIN_PAGE_BYTES);
    assert_eq!(*attempt, 1);
    assert_eq!(server.requests(), 1, "retried");
    assert_eq!(e.sent(), Some(Sent::Yes));
    // The read stopped at the cap (what was in flight aside), in bounded time.
    let sent = server.bytes_sent();
    assert!(
        sent < limit + (16 << 20),
        "{sent} bytes sent for a cap of {limit}"
    );
    assert!(began.elapsed() < Duration::from_secs(30));
    assert!(e.to_string().contains("not resent"), "{e}");
}

#[test]
fn a_page_cap_can_be_set_and_iterators_stop_on_it() {
    let server = Rogue::start(Behaviour::EndlessJson);
    let client = client_of(&server).max_page_bytes(1 << 20).build().unwrap();
    let mut items = client
        .dataset("endless")
        .iter_items::<Value>(&ItemsOptions::default(), 1000);
    // Pages are streamed: the items before the cap may come first, then the error.
    let mut before = 0;
    let e = loop {
        match items.next().unwrap() {
            Ok(_) => before += 1,
            Err(e) => break e,
        }
    };
    assert!(
        matches!(e, Error::ResponseTooLarge { limit, .. } if limit == 1 << 20),
        "{e:?}"
    );
    assert!(before < (1 << 20) / 1000, "{before} items before the cap");
    assert!(items.next().is_none());
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_record_over_its_cap_is_refused() {
    let server = Rogue::start(Behaviour::EndlessJson);
    let client = client_of(&server).max_record_bytes(4096).build().unwrap();
    let e = client
        .key_value_store("store")
        .get_record("OUTPUT")
        .unwrap_err();
    assert!(
        matches!(e, Error::ResponseTooLarge { limit: 4096, .. }),
        "{e:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_trickled_body_fails_after_the_request_timeout() {
    let server = Rogue::start(Behaviour::Trickle {
        every: Duration::from_millis(100),
        len: 100_000,
    });
    let client = client_of(&server)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let began = Instant::now();
    let e = client.dataset("slow").get().unwrap_err();
    let took = began.elapsed();
    assert!(
        matches!(
            e,
            Error::Timeout {
                sent: Sent::Yes,
                attempt: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(
        server.requests(),
        1,
        "a server that trickles is not asked again"
    );
}

#[test]
fn a_redirect_to_another_origin_is_refused() {
    let foreign = Rogue::start(Behaviour::Json(r#"{"data": {"id": "foreign"}}"#.into()));
    for status in [302, 307] {
        let redirector = Rogue::start(Behaviour::Redirect {
            status,
            location: format!("{}/v2/datasets/elsewhere?token=abc", foreign.base_url()),
        });
        let client = client_of(&redirector).build().unwrap();
        let e = client.dataset("d").get().unwrap_err();
        let Error::RedirectRefused {
            status: s,
            location,
            attempt,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!((*s, *attempt), (status, 1));
        assert_eq!(
            location,
            &format!("http://{}/v2/datasets/elsewhere", foreign.addr())
        );
        assert!(e.to_string().contains(&foreign.addr().to_string()), "{e}");
        assert_eq!(redirector.requests(), 1, "retried");
    }
    assert_eq!(foreign.requests(), 0, "the foreign origin was contacted");
}

#[test]
fn a_redirect_within_the_origin_is_followed_a_few_times() {
    // A server that redirects to itself: followed, up to the limit, then refused.
    let looping = Rogue::start(Behaviour::Redirect {
        status: 302,
        location: "/v2/datasets/again".into(),
    });
    let client = client_of(&looping).build().unwrap();
    let e = client.dataset("d").get().unwrap_err();
    assert!(
        e.to_string().contains("redirected more than 5 times"),
        "{e}"
    );
    assert_eq!(looping.requests(), 6);
}

#[test]
fn an_error_body_echoing_the_request_leaves_no_token_anywhere() {
    let server = Rogue::start(Behaviour::EchoHeaders { status: 400 });
    let client = client_of(&server).build().unwrap();
    let e = client.dataset("d").get().unwrap_err();
    let api = e.api().expect("an API error");
    assert_eq!(api.status, 400);
    // The echo really carried the header, with the token taken out.
    assert!(api.message.contains("Bearer ***"), "{}", api.message);
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    // The same for a 5xx that is retried and logged, and for a start.
    let server = Rogue::start(Behaviour::EchoHeaders { status: 503 });
    let client = client_of(&server).max_retries(1).build().unwrap();
    let e = client.dataset("d").get().unwrap_err();
    assert!(!format!("{e} {e:?}").contains(TOKEN));
    assert_eq!(server.requests(), 2);
}
