//! A misbehaving HTTP/1.1 server for tests: raw TCP on 127.0.0.1 (a free port), std only, one
//! thread per connection. Every request, whatever its method and path, gets the answer of the
//! server's [`Behaviour`]. Dropping the [`Rogue`] stops it: no new connection is served, and each
//! connection thread ends at its next read or write (they all wake up at least every
//! [`TICK`]); the drop returns once every thread has ended.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a connection thread blocked in a read, a write or a pause looks at the stop flag.
const TICK: Duration = Duration::from_millis(50);
/// The longest request head read; a longer one closes the connection.
const MAX_HEAD: usize = 64 * 1024;
/// The text of one item of [`Behaviour::EndlessJson`].
const ENDLESS_ITEM_TEXT: usize = 1000;
/// Items in one chunk of [`Behaviour::EndlessJson`] (about 16 KiB a chunk).
const ENDLESS_ITEMS_PER_CHUNK: usize = 16;

/// What the server answers to every request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200, `Content-Type: application/json`, `Transfer-Encoding: chunked`, then chunks of
    /// `[{"a":"xxxx…"},` forever (until the client goes away).
    EndlessJson,
    /// 200 with a `Content-Length` of `len` bytes of valid JSON (an array of `{}` padded with
    /// spaces, see [`trickle_body`]), written one byte per `every` (flushed after each byte)
    /// until all is sent or the client goes away.
    Trickle { every: Duration, len: usize },
    /// Answer `status` (302 or 307) with `Location: location` and an empty body.
    Redirect { status: u16, location: String },
    /// Answer `status` with a JSON error envelope
    /// `{"error":{"type":"echo","message": <the whole request head as text, headers included>}}`.
    EchoHeaders { status: u16 },
    /// Answer 200 with this JSON body (`Content-Length`): the foreign target of a redirect.
    Json(String),
}

/// The running server; dropping it stops it.
pub struct Rogue {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    behaviour: Behaviour,
    stop: AtomicBool,
    requests: AtomicUsize,
    bytes_sent: AtomicU64,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl Rogue {
    /// Starts the server on 127.0.0.1, port 0 (a free port).
    pub fn start(behaviour: Behaviour) -> Rogue {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the rogue server binds");
        let addr = listener
            .local_addr()
            .expect("the rogue server has an address");
        let shared = Arc::new(Shared {
            behaviour,
            stop: AtomicBool::new(false),
            requests: AtomicUsize::new(0),
            bytes_sent: AtomicU64::new(0),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("rogue-accept".into())
                .spawn(move || accept_loop(listener, shared))
                .expect("the rogue accept thread starts")
        };
        Rogue {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far (those whose head was read completely).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Body bytes written so far, over all connections (for a chunked answer, the chunked
    /// encoding as sent; never the status line and headers).
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::SeqCst)
    }
}

impl Drop for Rogue {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then closes the listener and joins the connections.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    for incoming in listener.incoming() {
        if shared.stopped() {
            break;
        }
        match incoming {
            Ok(stream) => {
                connections.retain(|c| !c.is_finished());
                let shared = Arc::clone(&shared);
                let spawned = std::thread::Builder::new()
                    .name("rogue-connection".into())
                    .spawn(move || Connection::new(stream, shared).serve());
                if let Ok(handle) = spawned {
                    connections.push(handle);
                }
            }
            // Out of descriptors or an aborted handshake: try again shortly.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    drop(listener);
    for connection in connections {
        let _ = connection.join();
    }
}

/// One accepted connection: its stream and the bytes read past the last request.
struct Connection {
    stream: TcpStream,
    shared: Arc<Shared>,
    buffered: Vec<u8>,
}

/// How the body of a request is framed.
enum RequestBody {
    Length(usize),
    /// Chunked or otherwise unframed: answered, then the connection is closed.
    Unframed,
}

impl Connection {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> Connection {
        // Short timeouts so that a blocked read or write looks at the stop flag every TICK.
        let _ = stream.set_read_timeout(Some(TICK));
        let _ = stream.set_write_timeout(Some(TICK));
        let _ = stream.set_nodelay(true);
        Connection {
            stream,
            shared,
            buffered: Vec::new(),
        }
    }

    /// Answers requests on this connection until the client goes away, an answer does not let
    /// the connection go on, or the server stops.
    fn serve(mut self) {
        loop {
            let Some(head) = self.read_head() else {
                return;
            };
            self.shared.requests.fetch_add(1, Ordering::SeqCst);
            let keep_alive = match request_body(&head) {
                RequestBody::Length(n) => {
                    if !self.skip(n) {
                        return;
                    }
                    true
                }
                RequestBody::Unframed => false,
            };
            if !self.answer(&head) || !keep_alive {
                return;
            }
        }
    }

    /// Reads up to the blank line ending a request head; answers the head without it. `None`
    /// when the client went away, the head is too long or the server stops.
    fn read_head(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(end) = find(&self.buffered, b"\r\n\r\n") {
                let head = self.buffered[..end].to_vec();
                self.buffered.drain(..end + 4);
                return Some(head);
            }
            if self.buffered.len() > MAX_HEAD || !self.fill() {
                return None;
            }
        }
    }

    /// Reads and drops `n` bytes of request body.
    fn skip(&mut self, mut n: usize) -> bool {
        loop {
            let have = n.min(self.buffered.len());
            self.buffered.drain(..have);
            n -= have;
            if n == 0 {
                return true;
            }
            if !self.fill() {
                return false;
            }
        }
    }

    /// Reads more bytes into the buffer; false when the client went away or the server stops.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        loop {
            if self.shared.stopped() {
                return false;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    self.buffered.extend_from_slice(&chunk[..n]);
                    return true;
                }
                Err(e) if waits(&e) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Writes all of `data` (counting it as body bytes if `body`); false when a write fails or
    /// the server stops.
    fn send(&mut self, mut data: &[u8], body: bool) -> bool {
        while !data.is_empty() {
            if self.shared.stopped() {
                return false;
            }
            match self.stream.write(data) {
                Ok(0) => return false,
                Ok(n) => {
                    if body {
                        self.shared.bytes_sent.fetch_add(n as u64, Ordering::SeqCst);
                    }
                    data = &data[n..];
                }
                Err(e) if waits(&e) => continue,
                Err(_) => return false,
            }
        }
        self.stream.flush().is_ok()
    }

    /// Sleeps `d` in steps of at most TICK; false if the server stops meanwhile.
    fn pause(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if self.shared.stopped() {
                return false;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(TICK));
        }
    }

    /// Sends the behaviour's answer; true when it is complete and the connection may go on.
    fn answer(&mut self, head: &[u8]) -> bool {
        match self.shared.behaviour.clone() {
            Behaviour::EndlessJson => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                            Transfer-Encoding: chunked\r\n\r\n";
                if !self.send(head.as_bytes(), false) || !self.send(b"1\r\n[\r\n", true) {
                    return false;
                }
                let item = format!("{{\"a\":\"{}\"}},", "x".repeat(ENDLESS_ITEM_TEXT));
                let payload = item.repeat(ENDLESS_ITEMS_PER_CHUNK);
                let chunk = format!("{:x}\r\n{payload}\r\n", payload.len());
                while self.send(chunk.as_bytes(), true) {}
                false
            }
            Behaviour::Trickle { every, len } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
                );
                if !self.send(head.as_bytes(), false) {
                    return false;
                }
                for byte in trickle_body(len) {
                    if !self.pause(every) || !self.send(&[byte], true) {
                        return false;
                    }
                }
                true
            }
            Behaviour::Redirect { status, location } => {
                let head = format!(
                    "HTTP/1.1 {status} {}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n",
                    reason(status)
                );
                self.send(head.as_bytes(), false)
            }
            Behaviour::EchoHeaders { status } => {
                let message = json_string(&String::from_utf8_lossy(head));
                let body = format!("{{\"error\":{{\"type\":\"echo\",\"message\":{message}}}}}");
                self.send_json(status, &body)
            }
            Behaviour::Json(body) => self.send_json(200, &body),
        }
    }

    fn send_json(&mut self, status: u16, body: &str) -> bool {
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Length: {}\r\n\r\n",
            reason(status),
            body.len()
        );
        self.send(head.as_bytes(), false) && self.send(body.as_bytes(), true)
    }
}

/// A read or write that ran into its timeout (or a signal): try again.
fn waits(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The request's body framing from its head (header names in any case).
fn request_body(head: &[u8]) -> RequestBody {
    let text = String::from_utf8_lossy(head);
    let mut length = 0;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return RequestBody::Unframed;
        }
        if name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse() {
                Ok(n) => length = n,
                Err(_) => return RequestBody::Unframed,
            }
        }
    }
    RequestBody::Length(length)
}

/// `len` bytes of JSON: `[` + `{},{},…,{}` + spaces + `]` (`[]` padded for short lengths; a
/// length of 1 is `0`, of 0 nothing).
pub fn trickle_body(len: usize) -> Vec<u8> {
    match len {
        0 => Vec::new(),
        1 => b"0".to_vec(),
        _ => {
            let inner = len - 2;
            // n items take 3n - 1 bytes.
            let items = (inner + 1) / 3;
            let mut body = String::with_capacity(len);
            body.push('[');
            body.push_str(&vec!["{}"; items].join(","));
            while body.len() < len - 1 {
                body.push(' ');
            }
            body.push(']');
            body.into_bytes()
        }
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
