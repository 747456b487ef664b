//! A small blocking HTTP/1.1 server: one thread per connection, keep-alive, chunked bodies in and
//! out. Hand-written rather than taken from a crate because the fault injection needs control that
//! servers do not give: closing a connection without an answer, or after half a body.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The largest request body the server reads (the API's 9 MB limit); larger ones answer 413.
pub(crate) const MAX_BODY_BYTES: usize = 9_437_184;
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Oversized bodies up to this size are read and dropped, so the client sees the 413 instead of a
/// broken pipe; larger ones are answered at once and the connection closed.
const DRAIN_LIMIT: u64 = 256 * 1024 * 1024;
const IDLE_POLL: Duration = Duration::from_millis(200);
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// The body was over [`MAX_BODY_BYTES`] and was dropped.
    pub body_too_large: bool,
    /// The oversized body was not even read: the connection is out of step and must close.
    pub body_unread: bool,
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

/// Runs the accept loop on its own thread until `stop` is set and the listener is woken.
pub(crate) fn serve(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    handler: Handler,
) -> JoinHandle<()> {
    thread::Builder::new()
        .name("emulator-accept".into())
        .spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let stop = stop.clone();
                let handler = handler.clone();
                let _ = thread::Builder::new()
                    .name("emulator-conn".into())
                    .spawn(move || {
                        let _ = serve_connection(stream, &stop, &handler);
                    });
            }
        })
        .expect("spawn accept thread")
}

fn serve_connection(stream: TcpStream, stop: &AtomicBool, handler: &Handler) -> io::Result<()> {
    let peer = stream.peer_addr()?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    loop {
        // Wait for the next request, waking now and then to notice a stop.
        reader.get_ref().set_read_timeout(Some(IDLE_POLL))?;
        loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            match reader.fill_buf() {
                Ok([]) => return Ok(()),
                Ok(_) => break,
                Err(e) if is_timeout(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        reader
            .get_ref()
            .set_read_timeout(Some(REQUEST_READ_TIMEOUT))?;
        let request = match read_request(&mut reader, peer) {
            Ok(r) => r,
            Err(e) => {
                let body = format!(
                    "{{\"error\":{{\"type\":\"invalid-request\",\"message\":\"Malformed HTTP request: {}\"}}}}",
                    e.to_string().replace('"', "'")
                );
                let resp =
                    Response::bytes(400, "application/json; charset=utf-8", body.into_bytes());
                let _ = write_response(&mut writer, resp, false, Delivery::Normal, true);
                return Ok(());
            }
        };
        let close_requested = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        // An unread body leaves the stream out of step: close after answering.
        let must_close = close_requested || request.body_unread;
        let is_head = request.method == "HEAD";
        let outcome = handler(&request);
        match outcome.delivery {
            Delivery::Close => {
                let _ = writer.shutdown(Shutdown::Both);
                return Ok(());
            }
            delivery => {
                write_response(&mut writer, outcome.response, is_head, delivery, must_close)?;
                if delivery == Delivery::Truncate || must_close {
                    let _ = writer.shutdown(Shutdown::Both);
                    return Ok(());
                }
            }
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> io::Result<String> {
    let mut line = Vec::new();
    let n = reader
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(bad("connection closed in the middle of the request head"));
    }
    if n > *budget {
        return Err(bad("request head too large"));
    }
    *budget -= n;
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| bad("request head is not UTF-8"))
}

fn read_request(reader: &mut BufReader<TcpStream>, peer: SocketAddr) -> io::Result<Request> {
    let mut budget = MAX_HEAD_BYTES;
    let start_line = read_line(reader, &mut budget)?;
    let mut parts = start_line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("bad request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad("only HTTP/1.x is served"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| bad("bad header line"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut request = Request {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
        body_too_large: false,
        body_unread: false,
        peer,
    };
    if request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        read_chunked(reader, &mut request)?;
    } else if let Some(len) = request.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad Content-Length"))?;
        if len > MAX_BODY_BYTES {
            request.body_too_large = true;
            if len as u64 <= DRAIN_LIMIT {
                io::copy(&mut reader.by_ref().take(len as u64), &mut io::sink())?;
            } else {
                request.body_unread = true;
            }
        } else {
            request.body = vec![0; len];
            reader.read_exact(&mut request.body)?;
        }
    }
    Ok(request)
}

fn read_chunked(reader: &mut BufReader<TcpStream>, request: &mut Request) -> io::Result<()> {
    let mut total: u64 = 0;
    loop {
        let mut budget = 1024;
        let size_line = read_line(reader, &mut budget)?;
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, then the blank line.
            let mut budget = MAX_HEAD_BYTES;
            while !read_line(reader, &mut budget)?.is_empty() {}
            return Ok(());
        }
        total += size as u64;
        if total > DRAIN_LIMIT {
            request.body_too_large = true;
            request.body_unread = true;
            request.body = Vec::new();
            return Ok(());
        }
        if total > MAX_BODY_BYTES as u64 {
            request.body_too_large = true;
            request.body = Vec::new();
            io::copy(&mut reader.by_ref().take(size as u64), &mut io::sink())?;
        } else {
            let at = request.body.len();
            request.body.resize(at + size, 0);
            reader.read_exact(&mut request.body[at..])?;
        }
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(bad("chunk not followed by CRLF"));
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn write_response(
    w: &mut TcpStream,
    response: Response,
    is_head: bool,
    delivery: Delivery,
    close: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if close || delivery == Delivery::Truncate {
        head.push_str("Connection: close\r\n");
    }
    match response.body {
        Body::Bytes(body) => {
            if response.status != 204 && response.status != 304 {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            head.push_str("\r\n");
            let mut out = head.into_bytes();
            if !is_head {
                let upto = if delivery == Delivery::Truncate {
                    body.len() / 2
                } else {
                    body.len()
                };
                out.extend_from_slice(&body[..upto]);
            }
            w.write_all(&out)?;
        }
        Body::Stream(produce) => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            w.write_all(head.as_bytes())?;
            if is_head || delivery == Delivery::Truncate {
                return w.flush();
            }
            let mut chunked = ChunkedWriter { inner: w };
            produce(&mut chunked)?;
            w.write_all(b"0\r\n\r\n")?;
        }
    }
    w.flush()
}

struct ChunkedWriter<'a> {
    inner: &'a mut TcpStream,
}

impl Write for ChunkedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut out = format!("{:X}\r\n", buf.len()).into_bytes();
        out.extend_from_slice(buf);
        out.extend_from_slice(b"\r\n");
        self.inner.write_all(&out)?;
        self.inner.flush()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

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
