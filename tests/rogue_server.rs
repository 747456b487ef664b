//! The misbehaving test server (tests/common/rogue.rs), driven by a plain std `TcpStream`: each
//! behaviour answers as documented, to any method and path, and dropping the server stops it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[path = "common/rogue.rs"]
mod rogue;
use rogue::{trickle_body, Behaviour, Rogue};

fn connect(server: &Rogue) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).expect("connects to the rogue server");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Reads an answer's head; answers it (without the blank line) and the body bytes read with it.
fn read_head(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(got[..end].to_vec()).expect("the head is text");
            return (head, got[end + 4..].to_vec());
        }
        let n = stream.read(&mut buf).expect("the head arrives");
        assert!(
            n > 0,
            "the connection closed before the head ended: {got:?}"
        );
        got.extend_from_slice(&buf[..n]);
    }
}

fn status(head: &str) -> u16 {
    head.split(' ').nth(1).unwrap().parse().unwrap()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Reads a whole answer framed by its `Content-Length` (send the next request only after it:
/// bytes read past it are dropped).
fn read_answer(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let (head, mut body) = read_head(stream);
    let len: usize = header(&head, "content-length")
        .expect("a Content-Length")
        .parse()
        .unwrap();
    let mut buf = [0u8; 4096];
    while body.len() < len {
        let n = stream.read(&mut buf).expect("the body arrives");
        assert!(n > 0, "the connection closed inside the body");
        body.extend_from_slice(&buf[..n]);
    }
    assert_eq!(body.len(), len, "bytes past the Content-Length");
    (head, body)
}

/// The server counts a write once it returned, so a client may see the bytes a moment before.
fn assert_sent(server: &Rogue, expected: u64) {
    eventually(Duration::from_secs(2), || server.bytes_sent() >= expected);
    assert_eq!(server.bytes_sent(), expected);
}

/// Polls `cond` for up to `within`.
fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

#[test]
fn endless_json_keeps_streaming_past_a_megabyte_until_the_client_leaves() {
    let server = Rogue::start(Behaviour::EndlessJson);
    let mut stream = connect(&server);
    stream
        .write_all(b"GET /v2/datasets/abc/items?offset=0&limit=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, mut body) = read_head(&mut stream);
    assert_eq!(status(&head), 200, "{head}");
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    assert_eq!(header(&head, "transfer-encoding"), Some("chunked"));
    assert_eq!(header(&head, "content-length"), None);

    let mut buf = vec![0u8; 65536];
    while body.len() < 1_100_000 {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended after {} bytes", body.len());
        body.extend_from_slice(&buf[..n]);
    }
    // A chunk with `[`, then chunks of items.
    assert!(body.starts_with(b"1\r\n[\r\n"), "{:?}", &body[..20]);
    let text = String::from_utf8_lossy(&body[..100_000]);
    let second = text[6..].split_once("\r\n").unwrap().1;
    assert!(second.starts_with("{\"a\":\"xxxx"), "{}", &second[..40]);
    assert!(text.contains("\"},{\"a\":\""));
    assert_eq!(server.requests(), 1);

    // It keeps going.
    let read = body.len() as u64;
    assert!(eventually(Duration::from_secs(2), || server.bytes_sent() >= read));
    let sent = server.bytes_sent();
    let mut more = 0;
    while more < 300_000 {
        more += stream.read(&mut buf).unwrap();
    }
    assert!(
        eventually(Duration::from_secs(2), || server.bytes_sent() > sent),
        "no more bytes after {sent}"
    );

    // The client goes away: the connection's writes fail and it stops.
    drop(stream);
    let mut last = server.bytes_sent();
    assert!(
        eventually(Duration::from_secs(3), || {
            std::thread::sleep(Duration::from_millis(200));
            let now = server.bytes_sent();
            std::mem::replace(&mut last, now) == now
        }),
        "the server kept writing after the client left"
    );
}

#[test]
fn trickle_sends_its_body_one_byte_per_interval() {
    let every = Duration::from_millis(40);
    let server = Rogue::start(Behaviour::Trickle { every, len: 10 });
    let mut stream = connect(&server);
    let started = Instant::now();
    stream
        .write_all(b"GET /anything HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, mut body) = read_head(&mut stream);
    assert_eq!(status(&head), 200, "{head}");
    assert_eq!(header(&head, "content-length"), Some("10"));
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    let mut reads = 0;
    let mut buf = [0u8; 64];
    while body.len() < 10 {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the connection closed inside the body");
        body.extend_from_slice(&buf[..n]);
        reads += 1;
    }
    let took = started.elapsed();
    assert_eq!(body, b"[{},{},{}]");
    assert!(took >= every * 9, "10 bytes took only {took:?}");
    assert!(reads >= 5, "the body came in {reads} reads");
    assert_sent(&server, 10);
    assert_eq!(server.requests(), 1);
}

#[test]
fn trickle_body_is_json_of_the_asked_length() {
    assert_eq!(trickle_body(0), b"");
    assert_eq!(trickle_body(1), b"0");
    for len in 2..60 {
        let body = String::from_utf8(trickle_body(len)).unwrap();
        assert_eq!(body.len(), len, "{body:?}");
        let inner = body
            .strip_prefix('[')
            .and_then(|b| b.strip_suffix(']'))
            .unwrap_or_else(|| panic!("not an array: {body:?}"))
            .trim_end();
        assert!(
            inner.is_empty() || inner.split(',').all(|item| item == "{}"),
            "{body:?}"
        );
    }
}

#[test]
fn redirect_answers_its_location_to_any_request() {
    for code in [302, 307] {
        let location = "http://127.0.0.1:9/v2/elsewhere?x=1".to_string();
        let server = Rogue::start(Behaviour::Redirect {
            status: code,
            location: location.clone(),
        });
        let mut stream = connect(&server);
        // A request with a body, then another on the same connection: the body was read.
        let requests: [&[u8]; 2] = [
            b"POST /v2/acts/a~b/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            b"DELETE /v2/datasets/d HTTP/1.1\r\nHost: x\r\n\r\n",
        ];
        for request in requests {
            stream.write_all(request).unwrap();
            let (head, body) = read_answer(&mut stream);
            assert_eq!(status(&head), code, "{head}");
            assert_eq!(header(&head, "location"), Some(location.as_str()));
            assert_eq!(header(&head, "content-length"), Some("0"));
            assert!(body.is_empty());
        }
        assert_eq!(server.requests(), 2);
        assert_eq!(server.bytes_sent(), 0);
    }
}

#[test]
fn echo_headers_answers_the_request_head_in_an_error_envelope() {
    let server = Rogue::start(Behaviour::EchoHeaders { status: 401 });
    let mut stream = connect(&server);
    stream
        .write_all(
            b"GET /v2/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret-token\r\n\
              X-Probe: a \"quoted\" \\ value\r\n\r\n",
        )
        .unwrap();
    let (head, body) = read_answer(&mut stream);
    assert_eq!(status(&head), 401, "{head}");
    assert!(header(&head, "content-type")
        .unwrap()
        .starts_with("application/json"));
    let body = String::from_utf8(body).unwrap();
    let expected = concat!(
        r#"{"error":{"type":"echo","message":"#,
        r#""GET /v2/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret-token\r\n"#,
        r#"X-Probe: a \"quoted\" \\ value"}}"#
    );
    assert_eq!(body, expected);
    assert_sent(&server, body.len() as u64);
    assert_eq!(server.requests(), 1);
}

#[test]
fn json_answers_its_body_to_any_method_and_path() {
    let json = r#"{"data":{"id":"foreign","items":[1,2,3]}}"#;
    let server = Rogue::start(Behaviour::Json(json.to_string()));
    let mut stream = connect(&server);
    let requests: [&[u8]; 2] = [
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
        b"PUT /b/c?d=e HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\n\r\n{}",
    ];
    for request in requests {
        stream.write_all(request).unwrap();
        let (head, body) = read_answer(&mut stream);
        assert_eq!(status(&head), 200, "{head}");
        assert_eq!(body, json.as_bytes());
    }
    assert_eq!(server.requests(), 2);
    assert_sent(&server, 2 * json.len() as u64);
}

#[test]
fn dropping_the_server_stops_it_promptly() {
    // A client that stopped reading an endless answer, an idle one, one with half a head.
    let endless = Rogue::start(Behaviour::EndlessJson);
    let addr = endless.addr();
    let mut stuck = connect(&endless);
    stuck
        .write_all(b"GET /items HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let _ = read_head(&mut stuck);
    let _idle = connect(&endless);
    let mut half = connect(&endless);
    half.write_all(b"GET /items HTTP/1.1\r\nHo").unwrap();
    assert!(eventually(Duration::from_secs(2), || endless.bytes_sent() > 100_000));
    // A trickle that would take 100 s.
    let trickle = Rogue::start(Behaviour::Trickle {
        every: Duration::from_secs(1),
        len: 100,
    });
    let mut slow = connect(&trickle);
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let _ = read_head(&mut slow);

    let started = Instant::now();
    drop(endless);
    drop(trickle);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "the drops took {took:?}");

    // Nothing listens any more (or, were the port taken again, nothing answers as before).
    match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}"),
        Ok(mut s) => {
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            let mut buf = [0u8; 16];
            assert!(!matches!(s.read(&mut buf), Ok(n) if n > 0));
        }
    }
    // The open connections were closed: the stuck client reads what was buffered, then the end.
    let mut buf = vec![0u8; 65536];
    let end = Instant::now() + Duration::from_secs(3);
    for stream in [&mut stuck, &mut slow] {
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => assert!(Instant::now() < end, "the stream goes on after the drop"),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    panic!("the connection stays open after the drop")
                }
                Err(_) => break, // reset
            }
        }
    }
}
