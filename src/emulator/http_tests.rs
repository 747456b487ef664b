//! Unit tests of the HTTP layer: head checks on bytes, and a server whose handler panics.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::http::{Body, Delivery, Handler, Outcome, Response};
use super::http_framing::{parse_head, partial_line, Limits};
use super::http_server::{serve, Server, ServerLimits};

fn limits() -> Limits {
    Limits {
        max_head_bytes: 1024,
        max_target_bytes: 100,
        head_timeout: Duration::from_secs(5),
        io_timeout: Duration::from_secs(5),
    }
}

/// The status a head is refused with, or 0 when it parses (`None` while incomplete).
fn status(bytes: &[u8]) -> Option<u16> {
    match parse_head(bytes, &limits()) {
        Ok(Some(_)) => Some(0),
        Ok(None) => None,
        Err(e) => Some(e.status),
    }
}

#[test]
fn heads_that_parse_and_those_that_do_not() {
    assert_eq!(status(b"GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n"), Some(0));
    assert_eq!(
        status(b"GET / HTTP/1.0\r\n\r\n"),
        Some(0),
        "1.0 needs no Host"
    );
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: x\r\n"), None, "incomplete");
    assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), Some(400), "no Host");
    assert_eq!(
        status(b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
        Some(400)
    );
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"), Some(400));
    assert_eq!(
        status(b"GET / HTTP/1.1\r\nHost: x\r\nA: b\0c\r\n\r\n"),
        Some(400)
    );
    assert_eq!(
        status(b"GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n"),
        Some(400)
    );
    assert_eq!(status(b"GET / HTTP/1.junk\r\nHost: x\r\n\r\n"), Some(400));
    assert_eq!(status(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"), Some(400));
    assert_eq!(
        status(b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"),
        Some(400)
    );
    assert_eq!(
        status(b"GET / HTTP/1.1\r\nHost: x\r\nA: \xff\r\n\r\n"),
        Some(400)
    );
}

#[test]
fn a_long_target_is_414_and_a_large_head_431() {
    let target = "/".repeat(101);
    let long = format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status(long.as_bytes()), Some(414));
    // Still sending the request line, already far past the limit.
    let partial = format!("GET /{}", "a".repeat(400));
    assert_eq!(status(partial.as_bytes()), Some(414));
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nA: {}\r\n\r\n",
        "b".repeat(1100)
    );
    assert_eq!(status(big.as_bytes()), Some(431));
    let partial = format!("GET / HTTP/1.1\r\nHost: x\r\nA: {}", "b".repeat(1100));
    assert_eq!(status(partial.as_bytes()), Some(431));
}

#[test]
fn header_names_are_lower_cased_and_values_trimmed() {
    let (used, head) = parse_head(
        b"post /p?q HTTP/1.1\r\nHOST: x\r\nX-A:  v  \r\n\r\nBODY",
        &limits(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(used, 42);
    assert_eq!(head.method, "POST");
    assert_eq!(head.target, "/p?q");
    assert_eq!(
        head.headers,
        vec![("host".into(), "x".into()), ("x-a".into(), "v".into())]
    );
}

#[test]
fn a_partial_request_line_gives_its_first_two_words_within_the_bound() {
    let words = partial_line;
    assert_eq!(
        words(b"\r\nGET /v2/x?a=1 HTTP/1.1\r\nHost: x", 100),
        ("GET".into(), "/v2/x?a=1".into())
    );
    assert_eq!(
        words(b"GET /v2/abcdef", 10),
        ("GET".into(), "/v2/ab".into())
    );
    assert_eq!(words(b"GE", 10), ("GE".into(), String::new()));
    assert_eq!(words(b"", 10), (String::new(), String::new()));
    assert_eq!(
        words(b"P\xffT /x HTTP/1.1\r\n", 100),
        ("P\u{fffd}T".into(), "/x".into())
    );
}

fn start(handler: Handler) -> (Server, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = ServerLimits {
        max_connections: 8,
        idle_timeout: Duration::from_secs(5),
        request: limits(),
    };
    let on_reject: super::http::RejectHook = Arc::new(|_| {});
    let server = serve(
        listener,
        Arc::new(AtomicBool::new(false)),
        handler,
        on_reject,
        limits,
    )
    .unwrap();
    (server, addr)
}

fn exchange(addr: std::net::SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_handler_that_panics_is_answered_500_and_the_server_goes_on() {
    let handler: Handler = Arc::new(|req| {
        if req.path == "/boom" {
            panic!("deliberate panic in a test handler");
        }
        if req.path == "/stream-boom" {
            let produce: super::http::StreamFn = Box::new(|w| {
                w.write_all(b"first")?;
                panic!("deliberate panic in a test stream");
            });
            return Outcome {
                response: Response {
                    status: 200,
                    headers: Vec::new(),
                    body: Body::Stream(produce),
                },
                delivery: Delivery::Normal,
            };
        }
        Outcome {
            response: Response::bytes(200, "text/plain", b"fine".to_vec()),
            delivery: Delivery::Normal,
        }
    });
    let (mut server, addr) = start(handler);
    let out = exchange(addr, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 500 "), "{out}");
    assert!(out.contains("internal-server-error"), "{out}");
    assert!(out.contains("Connection: close"), "{out}");
    // A stream that panics after its head went out: the body is cut short (no last chunk).
    let out = exchange(addr, "GET /stream-boom HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 200 "), "{out}");
    assert!(
        out.contains("first") && !out.ends_with("0\r\n\r\n"),
        "{out}"
    );
    let out = exchange(
        addr,
        "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 200 ") && out.ends_with("fine"),
        "{out}"
    );
    server.stop();
}

#[test]
fn http10_clients_get_streams_without_chunks_and_a_close() {
    let handler: Handler = Arc::new(|_| {
        let produce: super::http::StreamFn = Box::new(|w| w.write_all(b"raw body"));
        Outcome {
            response: Response {
                status: 200,
                headers: Vec::new(),
                body: Body::Stream(produce),
            },
            delivery: Delivery::Normal,
        }
    });
    let (mut server, addr) = start(handler);
    let out = exchange(addr, "GET / HTTP/1.0\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 200 "), "{out}");
    assert!(out.contains("Connection: close\r\n"), "{out}");
    assert!(!out.contains("chunked"), "{out}");
    assert!(out.ends_with("\r\n\r\nraw body"), "{out}");
    server.stop();
}
