//! The emulator's HTTP/1.1 layer, the bottom of its stack: what the routes see of a request and
//! give back. The server itself is in `http_server` (connections, limits, threads), request
//! framing in `http_framing` (heads parsed by `httparse`, bodies by RFC 9112) and the writing of
//! answers in `http_write`. The connection loop is our own rather than a crate's because fault
//! injection needs what servers do not give: closing a connection without an answer, or after half
//! a body.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The largest request body the server reads (the API's 9 MB limit); a larger one is answered 413
/// by the HTTP layer before any route runs.
pub(crate) const MAX_BODY_BYTES: usize = 9_437_184;

/// One parsed request.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    /// The path as sent, still percent-encoded, without the query.
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was over [`MAX_BODY_BYTES`]. Always false since the HTTP layer answers 413 itself
    /// before any route runs; kept so that the routes' own check stays a second line of defence.
    pub body_too_large: bool,
    pub peer: SocketAddr,
}

impl Request {
    /// The first value of a header (name in any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A function that writes a streamed body; each write goes out as one chunk.
pub(crate) type StreamFn = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + Send>;

/// A response body.
pub(crate) enum Body {
    Bytes(Vec<u8>),
    /// Sent with chunked transfer encoding as it is produced.
    Stream(StreamFn),
}

/// A response ready to be written.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub(crate) fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body),
        }
    }

    pub(crate) fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
        }
    }

    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// How the connection treats a response: the fault kinds that change the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    Normal,
    /// Close the connection without writing anything.
    Close,
    /// Write the head and half of the body, then close.
    Truncate,
}

/// What a handler decided.
pub(crate) struct Outcome {
    pub response: Response,
    pub delivery: Delivery,
}

pub(crate) type Handler = Arc<dyn Fn(&Request) -> Outcome + Send + Sync>;

/// A request the HTTP layer answered itself, before any route ran: what was known of it.
#[derive(Debug)]
pub(crate) struct Rejection<'a> {
    pub status: u16,
    /// Why, in a word: `bad-framing`, `body-too-large`, `connection-cap`, ...
    pub reason: &'static str,
    /// As parsed when the head was whole, else the first word read of the request line (or "").
    pub method: &'a str,
    /// The target (path and query) as sent, or what was read of it (or "").
    pub target: &'a str,
    /// Empty unless the head was whole.
    pub headers: &'a [(String, String)],
}

/// Told of every [`Rejection`] (the emulator journals them); the HTTP layer knows no journal.
pub(crate) type RejectHook = Arc<dyn Fn(&Rejection<'_>) + Send + Sync>;

/// Connects to the listener once so that a blocked `accept` returns and sees the stop flag.
pub(crate) fn wake(addr: SocketAddr) {
    let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
}

/// Sleeps up to `d`, waking early when `stop` is set.
pub(crate) fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= end {
            return;
        }
        thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}
