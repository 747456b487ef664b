//! Writing an answer: the head, then the body whole (Content-Length) or as it is produced (chunked
//! to HTTP/1.1 clients, until close to HTTP/1.0 ones). A fault may cut it short. Every write is
//! bounded by the socket's write timeout, so a client that stops reading is dropped.

use std::io::{self, Write};
use std::net::TcpStream;

use super::http::{Body, Delivery, Response};

/// How one answer goes out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteMode {
    pub is_head: bool,
    pub delivery: Delivery,
    /// The connection closes after this answer.
    pub close: bool,
    /// The client speaks HTTP/1.0: no chunked coding.
    pub http10: bool,
}

/// Bodies up to this size go out in one write with the head.
const COALESCE: usize = 64 * 1024;

pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes `response`; with `Delivery::Truncate` only the head and half the body. `Delivery::Close`
/// is the caller's (nothing is written).
pub(crate) fn write_response(
    mut w: &TcpStream,
    response: Response,
    mode: WriteMode,
) -> io::Result<()> {
    let truncate = mode.delivery == Delivery::Truncate;
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let streamed_raw = matches!(response.body, Body::Stream(_)) && mode.http10;
    if mode.close || truncate || streamed_raw {
        head.push_str("Connection: close\r\n");
    } else if mode.http10 {
        head.push_str("Connection: keep-alive\r\n");
    }
    match response.body {
        Body::Bytes(body) => {
            if response.status != 204 && response.status != 304 {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            head.push_str("\r\n");
            let upto = match (mode.is_head, truncate) {
                (true, _) => 0,
                (false, true) => body.len() / 2,
                (false, false) => body.len(),
            };
            let body = &body[..upto];
            if body.len() <= COALESCE {
                let mut out = head.into_bytes();
                out.extend_from_slice(body);
                w.write_all(&out)?;
            } else {
                w.write_all(head.as_bytes())?;
                w.write_all(body)?;
            }
        }
        Body::Stream(produce) => {
            if !streamed_raw {
                head.push_str("Transfer-Encoding: chunked\r\n");
            }
            head.push_str("\r\n");
            w.write_all(head.as_bytes())?;
            if mode.is_head || truncate {
                return w.flush();
            }
            if streamed_raw {
                // The end of the body is the end of the connection.
                produce(&mut w)?;
            } else {
                produce(&mut ChunkedWriter { inner: w })?;
                w.write_all(b"0\r\n\r\n")?;
            }
        }
    }
    w.flush()
}

/// Sends each write as one chunk.
struct ChunkedWriter<'a> {
    inner: &'a TcpStream,
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
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
