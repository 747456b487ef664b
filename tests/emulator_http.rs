//! The emulator's HTTP layer against hostile clients, over raw TCP on 127.0.0.1: framing that
//! RFC 9112 calls ambiguous is refused and the connection closed, limits answer 413/414/431/501
//! before any route runs, and connections are bounded (cap, idle, head and write timeouts).
//! No emulator thread may panic: every test checks a panic hook's count at its end.
#![cfg(feature = "emulator")]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use apify::emulator::EmulatorConfig;
use common::Api;
use serde_json::json;

static EMULATOR_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts panics on the emulator's threads (all named `emulator-...`), then reports them as usual.
fn watch_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("emulator"))
            {
                EMULATOR_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
}

fn no_panics() {
    assert_eq!(
        EMULATOR_PANICS.load(Ordering::SeqCst),
        0,
        "an emulator thread panicked"
    );
}

/// What came back on one connection.
struct Reply {
    text: String,
    /// The server closed the connection (end of stream or reset) within the read timeout.
    closed: bool,
}

impl Reply {
    fn status(&self) -> u16 {
        self.text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|t| t.get(..3))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {:?}", self.text))
    }
}

fn connect(api: &Api) -> TcpStream {
    let s = TcpStream::connect(api.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until the server closes or `timeout` passes.
fn read_all(s: &mut TcpStream) -> Reply {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    Reply {
        text: String::from_utf8_lossy(&out).into_owned(),
        closed,
    }
}

/// Sends `bytes` on a new connection (a write the server cut short is fine) and reads all.
fn send(api: &Api, bytes: &[u8]) -> Reply {
    let mut s = connect(api);
    let _ = s.write_all(bytes);
    read_all(&mut s)
}

/// Asserts a refusal with `status`, on a connection the server then closed.
fn refused(api: &Api, request: &str, status: u16) {
    let reply = send(api, request.as_bytes());
    assert_eq!(reply.status(), status, "for {request:?}: {}", reply.text);
    assert!(reply.text.contains("\"error\""), "{}", reply.text);
    assert!(reply.closed, "connection left open after {request:?}");
}

fn auth(api: &Api) -> String {
    format!("Authorization: Bearer {}\r\n", api.token)
}

#[test]
fn ambiguous_lengths_are_400_and_close_the_connection() {
    watch_panics();
    let api = Api::start();
    let a = auth(&api);
    let post = |extra: &str| format!("POST /v2/datasets HTTP/1.1\r\nHost: x\r\n{a}{extra}\r\n");
    for extra in [
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: 5, 6\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: -1\r\n",
        "Content-Length:  5x\r\n",
        "Content-Length: 0x5\r\n",
        "Content-Length: \r\n",
    ] {
        refused(&api, &format!("{}hello", post(extra)), 400);
    }
    // Transfer-Encoding from an HTTP/1.0 client is faulty framing too.
    refused(
        &api,
        "POST /v2/datasets HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    );
    // Repeated equal lengths are one length.
    let ok = send(
        &api,
        format!(
            "{}{{}}",
            post("Content-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n")
        )
        .as_bytes(),
    );
    assert_eq!(ok.status(), 201, "{}", ok.text);
    api.get("/v2/users/me").expect(200);
    no_panics();
}

#[test]
fn transfer_codings_other_than_a_final_chunked_are_refused() {
    watch_panics();
    let api = Api::start();
    let put = |te: &str| {
        format!("PUT /v2/key-value-stores/x/records/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {te}\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    };
    refused(&api, &put("notchunked"), 501);
    refused(&api, &put("chunked, br"), 501);
    refused(&api, &put("gzip, chunked"), 501);
    refused(&api, &put("gzip"), 400);
    refused(&api, &put("chunked, chunked"), 400);
    refused(&api, &put("chunked, gzip"), 400);
    let journal = api.get("/_emulator/requests?status=501").expect(200).json();
    let refusals = journal["data"].as_array().unwrap();
    assert_eq!(refusals.len(), 3, "{journal}");
    for e in refusals {
        assert_eq!(e["rejected"], "transfer-coding", "{e}");
        assert_eq!(e["path"], "/v2/key-value-stores/x/records/k", "{e}");
    }
    no_panics();
}

#[test]
fn huge_or_malformed_chunk_sizes_never_wrap() {
    watch_panics();
    let api = Api::start();
    let id = api.post_empty("/v2/key-value-stores").expect(201).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = auth(&api);
    let put = |chunks: &str| {
        format!("PUT /v2/key-value-stores/{id}/records/k HTTP/1.1\r\nHost: x\r\n{a}Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}")
    };
    refused(&api, &put("5\r\nhello\r\nFFFFFFFFFFFFFFF0\r\nabc"), 413);
    refused(&api, &put("FFFFFFFFFFFFFFFFF\r\nabc"), 400);
    refused(&api, &put("-5\r\nhello\r\n0\r\n\r\n"), 400);
    refused(&api, &put("\r\nhello\r\n0\r\n\r\n"), 400);
    refused(&api, &put("5\r\nhelloXX0\r\n\r\n"), 400);
    // Nothing was stored by any of them.
    api.get(&format!("/v2/key-value-stores/{id}/records/k"))
        .expect(404);
    no_panics();
}

#[test]
fn chunk_extensions_and_trailers_are_read_and_the_connection_goes_on() {
    watch_panics();
    let api = Api::start();
    let id = api.post_empty("/v2/key-value-stores").expect(201).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = auth(&api);
    let raw = format!(
        "PUT /v2/key-value-stores/{id}/records/k HTTP/1.1\r\nHost: x\r\n{a}Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value;other\r\nhello\r\n6 ; quoted=\"a;b\"\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\nGET /v2/key-value-stores/{id}/records/k HTTP/1.1\r\nHost: x\r\n{a}Connection: close\r\n\r\n"
    );
    let reply = send(&api, raw.as_bytes());
    assert!(reply.text.starts_with("HTTP/1.1 201 "), "{}", reply.text);
    assert_eq!(
        reply.text.matches("HTTP/1.1 2").count(),
        2,
        "{}",
        reply.text
    );
    assert!(
        reply.text.ends_with("\r\n\r\nhello world"),
        "{}",
        reply.text
    );
    no_panics();
}

#[test]
fn malformed_heads_are_400() {
    watch_panics();
    let api = Api::start();
    for raw in [
        "GET /v2/users/me HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET /v2/users/me HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
        "GET /v2/users/me HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
        "GET /v2/users/me HTTP/1.1\r\nHost: x\r\nX-A: a\nb\r\n\r\n",
        "GET /v2/users/me HTTP/1.junk\r\nHost: x\r\n\r\n",
        "GET /v2/users/me HTTP/1.1\r\n\r\n",
        "GET /v2/users/me HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        "GET /v2/users/me HTTP/1.1\r\nHost: x\r\n  folded: line\r\n\r\n",
        "GET  /v2/users/me HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        refused(&api, raw, 400);
    }
    api.get("/v2/users/me").expect(200);
    no_panics();
}

#[test]
fn a_body_over_the_limit_is_413_before_any_route_runs() {
    watch_panics();
    let api = Api::start();
    let a = auth(&api);
    refused(
        &api,
        &format!("POST /v2/datasets?name=never HTTP/1.1\r\nHost: x\r\n{a}Content-Length: 1000000000000\r\n\r\n"),
        413,
    );
    // Beyond u64 as well.
    refused(
        &api,
        &format!("POST /v2/datasets?name=never HTTP/1.1\r\nHost: x\r\n{a}Content-Length: 99999999999999999999999\r\n\r\n"),
        413,
    );
    // A client that waits for 100 Continue gets the 413 instead, never a 100.
    let reply = send(
        &api,
        format!("POST /v2/datasets?name=never HTTP/1.1\r\nHost: x\r\n{a}Expect: 100-continue\r\nContent-Length: 9437185\r\n\r\n").as_bytes(),
    );
    assert!(reply.text.starts_with("HTTP/1.1 413 "), "{}", reply.text);
    assert!(reply.closed);
    api.get("/v2/datasets/never").expect(404);
    no_panics();
}

#[test]
fn long_targets_are_414_and_large_heads_431() {
    watch_panics();
    let api = Api::start();
    let a = auth(&api);
    let target = format!("/v2/users/me?x={}", "a".repeat(20 * 1024));
    refused(
        &api,
        &format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"),
        414,
    );
    // A megabyte of target, answered before the end of it.
    let target = format!("/v2/users/me?x={}", "a".repeat(1 << 20));
    refused(
        &api,
        &format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"),
        414,
    );
    let header = format!("X-Big: {}\r\n", "b".repeat(70 * 1024));
    refused(
        &api,
        &format!("GET /v2/users/me HTTP/1.1\r\nHost: x\r\n{header}\r\n"),
        431,
    );
    let header = format!("X-Big: {}\r\n", "b".repeat(1 << 20));
    refused(
        &api,
        &format!("GET /v2/users/me HTTP/1.1\r\nHost: x\r\n{header}\r\n"),
        431,
    );
    // Many small headers within the limit are fine, and so is a long `fields` list.
    let many: String = (0..3000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let reply = send(
        &api,
        format!("GET /v2/users/me HTTP/1.1\r\nHost: x\r\n{a}{many}Connection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(reply.status(), 200, "{}", reply.text);
    let id = api.post_empty("/v2/datasets").expect(201).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fields: Vec<String> = (0..1000).map(|i| format!("field{i}")).collect();
    api.get(&format!(
        "/v2/datasets/{id}/items?fields={}",
        fields.join(",")
    ))
    .expect(200);
    no_panics();
}

/// The one journal entry with `status`, which must be a refusal for `reason`.
fn only_rejection(api: &Api, status: u16, reason: &str) -> serde_json::Value {
    let page = api
        .get(&format!("/_emulator/requests?status={status}"))
        .expect(200)
        .json();
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "entries with status {status}: {page}");
    assert_eq!(data[0]["rejected"], reason, "{page}");
    data[0].clone()
}

#[test]
fn refusals_before_routing_are_journaled_with_their_reason() {
    watch_panics();
    let api = Api::start();
    let a = auth(&api);
    let t = &api.token;
    refused(
        &api,
        &format!("POST /v2/datasets?name=big HTTP/1.1\r\nHost: x\r\n{a}Content-Length: 1000000000000\r\n\r\n"),
        413,
    );
    let filler = "a".repeat(20 * 1024);
    refused(
        &api,
        &format!("GET /v2/key-value-stores?token={t}&x={filler} HTTP/1.1\r\nHost: x\r\n\r\n"),
        414,
    );
    let big = "b".repeat(70 * 1024);
    refused(
        &api,
        &format!("GET /v2/users/me?token={t} HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"),
        431,
    );
    refused(
        &api,
        &format!("PUT /v2/datasets/x HTTP/1.1\r\nHost: x\r\n{a}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabc"),
        400,
    );
    // Garbage for a request line: what was read of it is kept.
    refused(&api, "BAD\x01LINE /v2/x HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    api.get("/v2/users/me").expect(200);

    // A whole head is journaled as usual (headers, the token masked).
    let e = only_rejection(&api, 413, "body-too-large");
    assert_eq!(e["method"], "POST");
    assert_eq!(e["path"], "/v2/datasets");
    assert_eq!(e["query"], "name=big");
    assert_eq!(e["headers"]["authorization"], "Bearer ***");
    assert_eq!(e["headers"]["content-length"], "1000000000000");
    // A head that never parsed: the request line as read, cut to the journal's limits.
    let e = only_rejection(&api, 414, "target-too-long");
    assert_eq!(e["method"], "GET");
    assert_eq!(e["path"], "/v2/key-value-stores");
    let query = e["query"].as_str().unwrap();
    assert!(query.starts_with("token=***&x=aaa"), "{query}");
    assert!(
        query.ends_with('…') && query.len() < 4200,
        "{}",
        query.len()
    );
    assert_eq!(e["headers"], json!({}));
    let e = only_rejection(&api, 431, "head-too-large");
    assert_eq!(e["method"], "GET");
    assert_eq!(e["path"], "/v2/users/me");
    assert_eq!(e["query"], "token=***");
    let bad = api.get("/_emulator/requests?status=400").expect(200).json();
    let bad = bad["data"].as_array().unwrap().clone();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad.iter().all(|e| e["rejected"] == "bad-framing"),
        "{bad:?}"
    );
    assert_eq!(bad[0]["method"], "PUT");
    assert_eq!(bad[0]["path"], "/v2/datasets/x");
    assert_eq!(bad[1]["method"], "BAD\u{1}LINE");
    assert_eq!(bad[1]["path"], "/v2/x");

    // Served requests carry no reason; `rejected=*` picks the refusals only.
    let ok = api.get("/_emulator/requests?status=200").expect(200).json();
    assert_eq!(ok["data"][0]["rejected"], serde_json::Value::Null);
    let all = api.get("/_emulator/requests?rejected=*").expect(200).json();
    assert_eq!(all["total"], 5, "{all}");
    let text = api.get("/_emulator/requests").expect(200).text();
    assert!(
        !text.contains(t.as_str()),
        "the token leaked into the journal"
    );
    no_panics();
}

#[test]
fn two_thousand_open_connections_leave_room_for_a_request() {
    watch_panics();
    // The default cap (1024): the connections beyond it take the places of idle ones.
    let api = Api::start();
    let mut open = Vec::with_capacity(2000);
    let t0 = Instant::now();
    for _ in 0..2000 {
        open.push(TcpStream::connect(api.addr()).expect("connect"));
    }
    eprintln!("2,000 connects took {:?}", t0.elapsed());
    let started = Instant::now();
    let reply = send(
        &api,
        format!(
            "GET /v2/users/me HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n",
            auth(&api)
        )
        .as_bytes(),
    );
    let took = started.elapsed();
    assert_eq!(reply.status(), 200, "{}", reply.text);
    eprintln!("with 2,000 connections open, a request took {took:?}");
    // Generous (the issue asks for under 2 s; the machine is shared): a stuck server fails it.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let t0 = Instant::now();
    drop(open);
    drop(api);
    eprintln!("closing took {:?}", t0.elapsed());
    no_panics();
}

#[test]
fn at_the_cap_with_every_connection_busy_a_newcomer_gets_503() {
    watch_panics();
    let api = Api::start_with(EmulatorConfig {
        max_connections: 3,
        ..EmulatorConfig::default()
    });
    let id = api.post_empty("/v2/key-value-stores").expect(201).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = auth(&api);
    // Three connections inside a request: heads sent, bodies still owed.
    let mut busy: Vec<TcpStream> = (0..3)
        .map(|i| {
            let mut s = connect(&api);
            let head = format!("PUT /v2/key-value-stores/{id}/records/k{i} HTTP/1.1\r\nHost: x\r\n{a}Content-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
            s.write_all(head.as_bytes()).unwrap();
            // The interim answer proves the server has read the head: the connection is inside
            // a request, not idle (an idle one could be replaced by the newcomer).
            let mut seen = Vec::new();
            let mut byte = [0u8; 1];
            while !seen.ends_with(b"\r\n\r\n") {
                s.read_exact(&mut byte).expect("100 Continue");
                seen.push(byte[0]);
            }
            assert!(seen.starts_with(b"HTTP/1.1 100"), "{}", String::from_utf8_lossy(&seen));
            s
        })
        .collect();
    // The newcomer sends nothing.
    let reply = read_all(&mut connect(&api));
    assert_eq!(reply.status(), 503, "{}", reply.text);
    assert!(reply.text.contains("Retry-After: 1"), "{}", reply.text);
    assert!(reply.closed);
    // The busy ones finish normally, and then there is room again.
    for s in &mut busy {
        s.write_all(b"abcde").unwrap();
        let r = read_all(s);
        assert_eq!(r.status(), 201, "{}", r.text);
    }
    api.get(&format!("/v2/key-value-stores/{id}/records/k2"))
        .expect(200);
    // The refusal is journaled; the newcomer sent nothing, so nothing of it is known.
    let e = only_rejection(&api, 503, "connection-cap");
    assert_eq!(
        (e["method"].as_str(), e["path"].as_str()),
        (Some(""), Some(""))
    );
    no_panics();
}

/// Waits for the server to close `s`, up to `limit`; false if it did not.
fn closed_within(s: &mut TcpStream, limit: Duration) -> (bool, String) {
    s.set_read_timeout(Some(limit)).unwrap();
    let r = read_all(s);
    (r.closed, r.text)
}

#[test]
fn idle_and_trickling_connections_are_closed_at_their_limits() {
    watch_panics();
    let api = Api::start_with(EmulatorConfig {
        idle_timeout: Duration::from_secs(1),
        head_timeout: Duration::from_secs(1),
        ..EmulatorConfig::default()
    });
    // A connection that never sends anything.
    let mut silent = connect(&api);
    // One kept alive after a request.
    let mut kept = connect(&api);
    let req = format!("GET /v2/users/me HTTP/1.1\r\nHost: x\r\n{}\r\n", auth(&api));
    kept.write_all(req.as_bytes()).unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let (closed, _) = closed_within(&mut silent, Duration::from_secs(15));
    assert!(closed, "a silent connection was not closed");
    let (closed, _) = closed_within(&mut kept, Duration::from_secs(15));
    assert!(closed, "an idle kept-alive connection was not closed");

    // A head sent one byte every 200 ms: answered 408 and closed at the head deadline, whatever
    // each single read's wait. The client stops sending once the answer comes (bytes sent after
    // the server's close would reset the connection and lose the answer).
    let mut slow = connect(&api);
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let head = b"GET /v2/users/me HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut answer = Vec::new();
    for b in head.iter() {
        if slow.write_all(&[*b]).is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match slow.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    let (closed, rest) = closed_within(&mut slow, Duration::from_secs(15));
    let text = String::from_utf8_lossy(&answer).into_owned() + &rest;
    assert!(closed, "a trickling connection was not closed: {text}");
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    only_rejection(&api, 408, "head-timeout");
    no_panics();
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    watch_panics();
    let api = Api::start_with(EmulatorConfig {
        io_timeout: Duration::from_secs(1),
        ..EmulatorConfig::default()
    });
    let id = api.post_empty("/v2/datasets").expect(201).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // About 30 MB of items: more than the socket buffers on both sides hold.
    let item = json!({"pad": "p".repeat(1000)});
    let batch = serde_json::Value::Array(vec![item; 8000]);
    for _ in 0..4 {
        api.post_json(&format!("/v2/datasets/{id}/items"), &batch)
            .expect(201);
    }
    let mut s = connect(&api);
    let req = format!(
        "GET /v2/datasets/{id}/items HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n",
        auth(&api)
    );
    s.write_all(req.as_bytes()).unwrap();
    // Not reading for several write timeouts.
    std::thread::sleep(Duration::from_secs(4));
    let reply = read_all(&mut s);
    assert!(reply.closed);
    let (head, body) = reply.text.split_once("\r\n\r\n").expect("a head");
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    match head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
    {
        Some(declared) => assert!(
            body.len() < declared.parse().unwrap(),
            "the whole answer arrived: {} bytes",
            body.len()
        ),
        None => assert!(!body.ends_with("0\r\n\r\n"), "the whole stream arrived"),
    }
    // The server is fine.
    api.get("/v2/users/me").expect(200);
    no_panics();
}

#[test]
fn connection_limits_on_the_command_line() {
    let bin = env!("CARGO_BIN_EXE_apify-emulator");
    for (flag, value) in [
        ("--max-connections", "0"),
        ("--idle-timeout-secs", "0"),
        ("--head-timeout-secs", "x"),
        ("--io-timeout-secs", "-1"),
        ("--max-head-bytes", "10"),
        ("--max-target-bytes", "0"),
    ] {
        let out = Command::new(bin).args([flag, value]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
    let out = Command::new(bin).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--max-connections",
        "--idle-timeout-secs",
        "--io-timeout-secs",
    ] {
        assert!(help.contains(flag), "{help}");
    }
}
