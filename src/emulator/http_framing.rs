//! Request framing per RFC 9112: the head parsed by `httparse`, then checked for what the parser
//! leaves to the server (Host, Content-Length, Transfer-Encoding), then the body read by
//! Content-Length or chunked coding with every size added by checked arithmetic. Whatever makes
//! the framing ambiguous closes the connection, so that no byte of one request is ever read as the
//! start of the next.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;

use super::http::{Request, Response, MAX_BODY_BYTES};
use super::http_conn::{is_timeout, Conn};

/// Oversized bodies up to this size are read and dropped, so that the client sees the 413 rather
/// than a broken pipe and the connection stays usable; larger ones are answered at once and the
/// connection closed.
const DRAIN_LIMIT: u64 = 256 * 1024 * 1024;
/// The longest chunk-size line (size and extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// The limits a request is read under.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Request line and header fields together (and, separately, a chunked body's trailers).
    pub max_head_bytes: usize,
    /// The request target (path and query).
    pub max_target_bytes: usize,
    /// From the first byte of a request to the end of its head.
    pub head_timeout: Duration,
    /// The longest wait for one read of a body or one write of an answer.
    pub io_timeout: Duration,
}

/// A request that cannot be served as sent: answered with `status` and the API's error envelope.
#[derive(Debug)]
pub(crate) struct HttpError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    /// The connection is out of step (or the client is gone): close it after the answer.
    pub close: bool,
    /// Why, in a word, for the request journal: `bad-framing`, `body-too-large`, ...
    pub reason: &'static str,
}

/// A request refused while it was read: the error, and its head if that was read whole (else the
/// journal gets what was read of the request line, from the connection's buffer).
#[derive(Debug)]
pub(crate) struct Refused {
    pub error: HttpError,
    pub head: Option<Head>,
}

impl HttpError {
    fn bad(message: impl Into<String>) -> HttpError {
        HttpError {
            status: 400,
            kind: "invalid-request",
            message: format!("Malformed HTTP request: {}", message.into()),
            close: true,
            reason: "bad-framing",
        }
    }

    /// The client closed the connection before the request was whole.
    fn incomplete(message: &str) -> HttpError {
        HttpError {
            reason: "incomplete",
            ..HttpError::bad(message)
        }
    }

    fn new(
        status: u16,
        kind: &'static str,
        reason: &'static str,
        message: String,
        close: bool,
    ) -> HttpError {
        HttpError {
            status,
            kind,
            message,
            close,
            reason,
        }
    }

    fn too_large(close: bool) -> HttpError {
        HttpError::new(
            413,
            "request-too-large",
            "body-too-large",
            format!("The request body is larger than the limit of {MAX_BODY_BYTES} bytes"),
            close,
        )
    }

    /// A read failed: a timeout is 408, a closed or broken connection gets no answer worth
    /// sending but is reported the same way.
    fn io(e: io::Error, during: &str) -> HttpError {
        if is_timeout(&e) {
            HttpError::new(
                408,
                "request-timeout",
                if during == "head" {
                    "head-timeout"
                } else {
                    "body-timeout"
                },
                format!("The client took too long to send the request {during}"),
                true,
            )
        } else if e.kind() == io::ErrorKind::UnexpectedEof {
            HttpError::incomplete(&e.to_string())
        } else {
            HttpError {
                reason: "read-failed",
                ..HttpError::bad(format!("reading the request {during} failed: {e}"))
            }
        }
    }

    pub(crate) fn into_response(self) -> Response {
        let body = json!({"error": {"type": self.kind, "message": self.message}});
        Response::bytes(
            self.status,
            "application/json; charset=utf-8",
            body.to_string().into_bytes(),
        )
    }
}

/// A head as parsed, before its body is read.
#[derive(Debug)]
pub(crate) struct Head {
    pub method: String,
    pub target: String,
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Head {
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the connection stays open after this request (RFC 9112 section 9.3).
    pub(crate) fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.values("connection")
                .flat_map(|v| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.minor == 0 {
            has("keep-alive") && !has("close")
        } else {
            !has("close")
        }
    }
}

/// How the body is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// Reads one request: the head within `deadline`, then the body. The caller has seen at least
/// one byte of it arrive.
pub(crate) fn read_request(
    conn: &mut Conn<'_>,
    peer: SocketAddr,
    limits: &Limits,
    deadline: Instant,
) -> Result<(Head, Request), Refused> {
    let head = read_head(conn, limits, deadline).map_err(|error| Refused { error, head: None })?;
    let body = match read_body(conn, &head, limits) {
        Ok(body) => body,
        Err(error) => {
            return Err(Refused {
                error,
                head: Some(head),
            })
        }
    };
    let (path, query) = head.target.split_once('?').unwrap_or((&head.target, ""));
    let request = Request {
        method: head.method.clone(),
        path: path.to_string(),
        query: query.to_string(),
        headers: head.headers.clone(),
        body,
        body_too_large: false,
        peer,
    };
    Ok((head, request))
}

/// The body `head` announces, read whole (or refused).
fn read_body(conn: &mut Conn<'_>, head: &Head, limits: &Limits) -> Result<Vec<u8>, HttpError> {
    let framing = framing(head)?;
    let expects_continue = head
        .values("expect")
        .any(|v| v.trim().eq_ignore_ascii_case("100-continue"));
    if let Framing::Length(len) = framing {
        if len > MAX_BODY_BYTES as u64 {
            // A client waiting for 100 Continue has not sent the body: answer now and close.
            let drain = !expects_continue && len <= DRAIN_LIMIT;
            if drain {
                conn.read_body(len, None, limits.io_timeout)
                    .map_err(|e| HttpError::io(e, "body"))?;
            }
            return Err(HttpError::too_large(!drain));
        }
    }
    let has_body = matches!(framing, Framing::Chunked | Framing::Length(1..));
    if expects_continue && head.minor == 1 && has_body {
        let mut w = conn.stream;
        io::Write::write_all(&mut w, b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|e| HttpError::io(e, "body"))?;
    }
    let mut body = Vec::new();
    match framing {
        Framing::None => {}
        Framing::Length(len) => conn
            .read_body(len, Some(&mut body), limits.io_timeout)
            .map_err(|e| HttpError::io(e, "body"))?,
        Framing::Chunked => read_chunked(conn, &mut body, limits)?,
    }
    Ok(body)
}

/// What was read of a request line whose head never parsed: its first two words (method and
/// target), at most `max` bytes of it looked at, as text.
pub(crate) fn partial_line(bytes: &[u8], max: usize) -> (String, String) {
    let start = bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[start..];
    let line = &line[..line.len().min(max)];
    let line = &line[..line.iter().position(|b| *b == b'\n').unwrap_or(line.len())];
    let text = String::from_utf8_lossy(line);
    let mut words = text.split_ascii_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let target = words.next().unwrap_or_default().to_string();
    (method, target)
}

/// Reads until `httparse` has a whole head, answering 431 or 414 once it cannot fit.
fn read_head(conn: &mut Conn<'_>, limits: &Limits, deadline: Instant) -> Result<Head, HttpError> {
    // Room for the method and version around the target.
    const LINE_SLACK: usize = 64;
    // Parse again only when it can tell something new (a head ends at a line end, and limits
    // are crossed): a head trickled a byte at a time costs no parse per byte.
    let mut scanned = 0;
    let mut seen_line = false;
    loop {
        let avail = conn.buffered();
        let fresh_line = avail[scanned.min(avail.len())..].contains(&b'\n');
        seen_line |= fresh_line;
        if scanned == 0
            || fresh_line
            || avail.len() > limits.max_head_bytes
            || (!seen_line && avail.len() > limits.max_target_bytes + LINE_SLACK)
        {
            if let Some((used, head)) = parse_head(avail, limits)? {
                conn.consume(used);
                return Ok(head);
            }
        }
        scanned = avail.len();
        match conn.fill_until(deadline) {
            Ok(0) => {
                return Err(HttpError::incomplete(
                    "the connection closed in the middle of the request head",
                ))
            }
            Ok(_) => {}
            Err(e) => return Err(HttpError::io(e, "head")),
        }
    }
}

/// Parses a head from the start of `bytes`: `None` while it is incomplete and may still fit.
pub(crate) fn parse_head(
    bytes: &[u8],
    limits: &Limits,
) -> Result<Option<(usize, Head)>, HttpError> {
    // One slot per line is enough for any head in `bytes`, and costs nothing for small ones.
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let mut slots = vec![httparse::EMPTY_HEADER; lines + 1];
    let mut parsed = httparse::Request::new(&mut slots);
    let status = parsed.parse(bytes).map_err(|e| {
        HttpError::bad(match e {
            httparse::Error::HeaderName => {
                "a header name has a character a token cannot have (a space before the colon?)"
            }
            httparse::Error::HeaderValue => {
                "a header value has a control character (NUL, CR or LF)"
            }
            httparse::Error::NewLine => "a line does not end with CRLF",
            httparse::Error::Token => "the request line is not METHOD TARGET VERSION",
            httparse::Error::Version => "the HTTP version is not HTTP/1.0 or HTTP/1.1",
            httparse::Error::TooManyHeaders => "too many header fields",
            httparse::Error::Status => "bad request line",
        })
    })?;
    let used = match status {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => {
            check_partial(bytes, limits)?;
            return Ok(None);
        }
    };
    if used > limits.max_head_bytes {
        return Err(head_too_large(limits));
    }
    let target = parsed.path.unwrap_or_default();
    if target.len() > limits.max_target_bytes {
        return Err(target_too_long(limits));
    }
    let mut headers = Vec::with_capacity(parsed.headers.len());
    for h in parsed.headers.iter() {
        let value = std::str::from_utf8(h.value).map_err(|_| {
            HttpError::bad(format!("the value of header '{}' is not UTF-8", h.name))
        })?;
        headers.push((h.name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let head = Head {
        method: parsed.method.unwrap_or_default().to_ascii_uppercase(),
        target: target.to_string(),
        minor: parsed.version.unwrap_or(1),
        headers,
    };
    check_host(&head)?;
    Ok(Some((used, head)))
}

/// An incomplete head that can no longer fit: 414 if the request line is what does not fit.
fn check_partial(bytes: &[u8], limits: &Limits) -> Result<(), HttpError> {
    const LINE_SLACK: usize = 64;
    let start = bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[start..];
    let line_len = line.iter().position(|b| *b == b'\n').unwrap_or(line.len());
    if line_len > limits.max_target_bytes + LINE_SLACK {
        return Err(target_too_long(limits));
    }
    if bytes.len() > limits.max_head_bytes {
        return Err(head_too_large(limits));
    }
    Ok(())
}

fn head_too_large(limits: &Limits) -> HttpError {
    HttpError::new(
        431,
        "request-header-fields-too-large",
        "head-too-large",
        format!(
            "The request head is larger than the limit of {} bytes",
            limits.max_head_bytes
        ),
        true,
    )
}

fn target_too_long(limits: &Limits) -> HttpError {
    HttpError::new(
        414,
        "request-uri-too-long",
        "target-too-long",
        format!(
            "The request target is longer than the limit of {} bytes",
            limits.max_target_bytes
        ),
        true,
    )
}

/// HTTP/1.1 needs exactly one Host; HTTP/1.0 at most one (RFC 9112 section 3.2).
fn check_host(head: &Head) -> Result<(), HttpError> {
    match head.values("host").count() {
        0 if head.minor == 1 => Err(HttpError::bad("an HTTP/1.1 request needs a Host header")),
        0 | 1 => Ok(()),
        _ => Err(HttpError::bad("more than one Host header")),
    }
}

/// The body's framing from Transfer-Encoding and Content-Length (RFC 9112 section 6).
fn framing(head: &Head) -> Result<Framing, HttpError> {
    let codings: Vec<String> = head
        .values("transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let lengths: Vec<&str> = head
        .values("content-length")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if !codings.is_empty() {
        if !lengths.is_empty() {
            return Err(HttpError::bad(
                "Transfer-Encoding and Content-Length together",
            ));
        }
        if head.minor == 0 {
            return Err(HttpError::bad("Transfer-Encoding in an HTTP/1.0 request"));
        }
        return transfer_codings(&codings);
    }
    let Some(first) = lengths.first() else {
        return Ok(Framing::None);
    };
    if lengths.iter().any(|l| l != first) {
        return Err(HttpError::bad("Content-Length values that differ"));
    }
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::bad(format!(
            "Content-Length '{first}' is not a number of bytes"
        )));
    }
    // Digits only, so the one way to fail is a number beyond u64: far too large anyway.
    match first.parse::<u64>() {
        Ok(n) => Ok(Framing::Length(n)),
        Err(_) => Err(HttpError::too_large(true)),
    }
}

/// Only a lone, final `chunked` is served: other known codings are 501, unknown ones too, and a
/// list whose last coding is not `chunked` leaves the length unknown (400).
fn transfer_codings(codings: &[String]) -> Result<Framing, HttpError> {
    const KNOWN: [&str; 6] = [
        "chunked",
        "gzip",
        "x-gzip",
        "deflate",
        "compress",
        "x-compress",
    ];
    if let Some(unknown) = codings.iter().find(|c| !KNOWN.contains(&c.as_str())) {
        return Err(HttpError::new(
            501,
            "not-implemented",
            "transfer-coding",
            format!("Transfer-Encoding '{unknown}' is not a coding this server knows"),
            true,
        ));
    }
    let chunked_at = codings.iter().position(|c| c == "chunked");
    if chunked_at != Some(codings.len() - 1)
        || codings.iter().filter(|c| *c == "chunked").count() > 1
    {
        return Err(HttpError::bad(
            "Transfer-Encoding must end with chunked, once",
        ));
    }
    if codings.len() > 1 {
        return Err(HttpError::new(
            501,
            "not-implemented",
            "transfer-coding",
            format!(
                "Transfer-Encoding '{}' is not served; send the body with chunked only",
                codings.join(", ")
            ),
            true,
        ));
    }
    Ok(Framing::Chunked)
}

/// A chunked body: sizes and the running total by checked arithmetic; extensions ignored;
/// trailers read and dropped.
fn read_chunked(conn: &mut Conn<'_>, body: &mut Vec<u8>, limits: &Limits) -> Result<(), HttpError> {
    let io_err = |e| HttpError::io(e, "body");
    let mut total: u64 = 0;
    loop {
        let (used, size) = loop {
            let avail = conn.buffered();
            if avail.first().is_some_and(|b| !b.is_ascii_hexdigit()) {
                return Err(HttpError::bad("a chunk size is not hexadecimal"));
            }
            match httparse::parse_chunk_size(avail) {
                Ok(httparse::Status::Complete(found)) => break found,
                Ok(httparse::Status::Partial) if avail.len() <= MAX_CHUNK_LINE => {}
                Ok(httparse::Status::Partial) => {
                    return Err(HttpError::bad("a chunk-size line is too long"))
                }
                Err(_) => {
                    return Err(HttpError::bad(
                        "a chunk size is not hexadecimal or is too large",
                    ))
                }
            }
            if conn.fill(limits.io_timeout).map_err(io_err)? == 0 {
                return Err(HttpError::incomplete(
                    "the connection closed in the middle of a chunked body",
                ));
            }
        };
        conn.consume(used);
        if size == 0 {
            read_trailers(conn, limits)?;
            // Read whole and in step: the connection can go on after the 413.
            if total > MAX_BODY_BYTES as u64 {
                return Err(HttpError::too_large(false));
            }
            return Ok(());
        }
        total = match total.checked_add(size) {
            Some(t) if t <= DRAIN_LIMIT => t,
            _ => return Err(HttpError::too_large(true)),
        };
        let keep = total <= MAX_BODY_BYTES as u64;
        if !keep {
            *body = Vec::new();
        }
        let out = if keep { Some(&mut *body) } else { None };
        conn.read_body(size, out, limits.io_timeout)
            .map_err(io_err)?;
        if !conn
            .expect_bytes(b"\r\n", limits.io_timeout)
            .map_err(io_err)?
        {
            return Err(HttpError::bad("a chunk is not followed by CRLF"));
        }
    }
}

/// The trailer section after the last chunk: fields up to a blank line, parsed and dropped.
fn read_trailers(conn: &mut Conn<'_>, limits: &Limits) -> Result<(), HttpError> {
    loop {
        let avail = conn.buffered();
        let lines = avail.iter().filter(|b| **b == b'\n').count();
        let mut slots = vec![httparse::EMPTY_HEADER; lines + 1];
        match httparse::parse_headers(avail, &mut slots) {
            Ok(httparse::Status::Complete((used, _))) => {
                conn.consume(used);
                return Ok(());
            }
            Ok(httparse::Status::Partial) if avail.len() <= limits.max_head_bytes => {}
            Ok(httparse::Status::Partial) => return Err(head_too_large(limits)),
            Err(_) => return Err(HttpError::bad("a trailer field is malformed")),
        }
        if conn
            .fill(limits.io_timeout)
            .map_err(|e| HttpError::io(e, "trailers"))?
            == 0
        {
            return Err(HttpError::incomplete(
                "the connection closed in the middle of the trailers",
            ));
        }
    }
}
