//! Public URLs of records, keys and items: opened without a token against the emulator, which
//! checks signatures as the platform does; a changed signature is refused.
#![cfg(feature = "emulator")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

#[path = "common/sdk.rs"]
mod sdk;
use sdk::setup;

/// A GET without any token: (status, body).
fn anonymous_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The URL with its signature's last character changed.
fn tampered(url: &str) -> String {
    let mut u = url.to_string();
    let last = u.pop().unwrap();
    u.push(if last == 'A' { 'B' } else { 'A' });
    u
}

#[test]
fn records_keys_and_items_open_without_a_token_and_only_when_signed_right() {
    let (_emu, client) = setup();
    let store = client.get_or_create_key_value_store(None).unwrap();
    let kvs = client.key_value_store(store["id"].as_str().unwrap());
    kvs.set_record("report", b"hello public", "text/plain")
        .unwrap();

    let url = kvs.record_public_url("report").unwrap();
    assert!(url.contains("/records/report?signature="), "{url}");
    assert_eq!(anonymous_get(&url), (200, "hello public".to_string()));
    assert_eq!(anonymous_get(&tampered(&url)).0, 403);
    let unsigned = url.split('?').next().unwrap();
    assert_eq!(anonymous_get(unsigned).0, 401);

    let keys = kvs.keys_public_url(Some(Duration::from_secs(600))).unwrap();
    let (status, body) = anonymous_get(&keys);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"report\""), "{body}");

    let ds = client.get_or_create_dataset(None).unwrap();
    let dataset = client.dataset(ds["id"].as_str().unwrap());
    dataset
        .push_items(&[json!({"n": 1}), json!({"n": 2})])
        .unwrap();
    let items = dataset.items_public_url(None).unwrap();
    let (status, body) = anonymous_get(&items);
    assert_eq!(status, 200, "{body}");
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed, json!([{"n": 1}, {"n": 2}]));
    assert_eq!(anonymous_get(&tampered(&items)).0, 403);

    // Bad input is refused before any request.
    assert!(kvs.record_public_url("").is_err());
    assert!(dataset.items_public_url(Some(Duration::ZERO)).is_err());
}
