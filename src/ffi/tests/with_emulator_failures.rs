//! Transport failures through the C ABI: a closed port, a name that cannot resolve and TLS
//! against a plain-HTTP port answer TRANSPORT at once with `"sent": false` and a message that
//! names the server; a start says no run was started; a wait cancelled by its callback names
//! the run and its status.

use std::time::{Duration, Instant};

use super::helpers::*;
use super::live::*;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A client of `base_url` (no proxy, a token that must never show).
fn client_at(base_url: &str) -> *mut apify_client {
    new_client(&format!(
        r#"{{"baseUrl": "{base_url}", "token": "ffi-secret-token", "proxy": ""}}"#
    ))
}

/// Checks a transport failure with nothing sent, naming `server`, within 3 s of `began`.
#[track_caller]
fn expect_nothing_sent(status: apify_status, began: Instant, server: &str) -> serde_json::Value {
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    let json = expect_failure(status, APIFY_STATUS_TRANSPORT, server);
    assert_eq!(json["sent"], false, "{json}");
    let message = json["message"].as_str().unwrap();
    assert!(message.contains("nothing was sent"), "{message}");
    assert!(!message.contains("ffi-secret-token"), "{message}");
    json
}

#[test]
fn a_closed_port_answers_transport_with_nothing_sent() {
    let port = closed_port();
    let server = format!("127.0.0.1:{port}");
    let c = client_at(&format!("http://{server}"));

    let began = Instant::now();
    let r = text_call(|out| unsafe {
        apify_dataset_list_items(c, cs("abc").as_ptr(), ptr::null(), out)
    });
    let json = expect_nothing_sent(r.unwrap_err(), began, &server);
    assert_eq!(json["method"], "GET");

    let began = Instant::now();
    let r = run_text(apify_actor_start, c, "apify/hello-world", Some("{}"), None);
    let json = expect_nothing_sent(r.unwrap_err(), began, &server);
    let message = json["message"].as_str().unwrap();
    assert!(message.contains("no run was started"), "{message}");
    assert!(!message.contains("may have"), "{message}");
    assert_eq!(json["runId"], serde_json::Value::Null);
    unsafe { apify_client_free(c) };
}

#[test]
fn an_unresolvable_name_answers_transport_without_retries() {
    let c = client_at("http://no-such-host.invalid");
    let began = Instant::now();
    let r = run_text(apify_actor_call, c, "apify/hello-world", None, None);
    let json = expect_nothing_sent(r.unwrap_err(), began, "no-such-host.invalid");
    assert_eq!(json["attempt"], 1, "{json}");
    unsafe { apify_client_free(c) };
}

#[test]
fn tls_against_plain_http_answers_transport_without_retries() {
    let live = Live::new();
    let https = live.emu.base_url().replacen("http://", "https://", 1);
    let c = client_at(&https);
    let began = Instant::now();
    let r = text_call(|out| unsafe { apify_run_get(c, cs("someRun").as_ptr(), out) });
    let json = expect_nothing_sent(r.unwrap_err(), began, https.trim_start_matches("https://"));
    assert_eq!(json["attempt"], 1, "{json}");
    assert!(json["message"].as_str().unwrap().contains("TLS"), "{json}");
    unsafe { apify_client_free(c) };
}

#[test]
fn an_answer_refused_by_the_server_is_sent_true() {
    let live = Live::new();
    let r = text_call(|out| unsafe {
        apify_dataset_list_items(live.client, cs("noSuchDataset").as_ptr(), ptr::null(), out)
    });
    let json = expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, "noSuchDataset");
    assert_eq!(json["sent"], true, "{json}");
}
