//! One connection's read side: a buffer of bytes received but not yet used, filled from the
//! socket under a deadline or a per-read timeout. The buffer is dropped while the connection idles,
//! so an idle keep-alive connection holds no memory beyond its socket and thread.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The buffer starts at this size (most heads and small bodies fit) ...
const FIRST_CHUNK: usize = 4 * 1024;
/// ... and grows by at most this much at a time.
const READ_CHUNK: usize = 16 * 1024;

pub(crate) struct Conn<'a> {
    pub stream: &'a TcpStream,
    /// Zeroed once when it grows; bytes `start..end` are received and not yet used.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// Whether an I/O error is a read or write timeout.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "deadline passed")
}

impl<'a> Conn<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> Conn<'a> {
        Conn {
            stream,
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// The bytes received and not yet consumed.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Frees the buffer if nothing is left in it (between requests).
    pub(crate) fn release(&mut self) {
        if self.start == self.end {
            *self = Conn::new(self.stream);
        }
    }

    /// Reads once more from the socket, waiting at most `timeout`. Returns the number of new bytes
    /// (0 at end of stream).
    pub(crate) fn fill(&mut self, timeout: Duration) -> io::Result<usize> {
        if timeout.is_zero() {
            return Err(timed_out());
        }
        self.stream.set_read_timeout(Some(timeout))?;
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grow = self.buf.len().clamp(FIRST_CHUNK, READ_CHUNK);
            self.buf.resize(self.buf.len() + grow, 0);
        }
        let n = self.stream.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// Waits up to `timeout` for a first byte without taking it (nor allocating a buffer): true
    /// if one came, false at end of stream, timeout or error.
    pub(crate) fn wait_readable(&self, timeout: Duration) -> bool {
        if !self.buffered().is_empty() {
            return true;
        }
        if timeout.is_zero() || self.stream.set_read_timeout(Some(timeout)).is_err() {
            return false;
        }
        matches!(self.stream.peek(&mut [0u8; 1]), Ok(1..))
    }

    /// Like [`fill`](Self::fill), within an absolute deadline.
    pub(crate) fn fill_until(&mut self, deadline: Instant) -> io::Result<usize> {
        self.fill(deadline.saturating_duration_since(Instant::now()))
    }

    /// Makes sure at least one byte is buffered, reading with `timeout` between reads; end of
    /// stream is an `UnexpectedEof` error.
    fn need(&mut self, timeout: Duration) -> io::Result<()> {
        if self.buffered().is_empty() && self.fill(timeout)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed in the middle of the request body",
            ));
        }
        Ok(())
    }

    /// Appends exactly `n` body bytes to `out` (or drops them when `out` is `None`), waiting at
    /// most `timeout` for each read. `out` grows as bytes arrive, never ahead of them.
    pub(crate) fn read_body(
        &mut self,
        mut n: u64,
        mut out: Option<&mut Vec<u8>>,
        timeout: Duration,
    ) -> io::Result<()> {
        while n > 0 {
            self.need(timeout)?;
            let avail = self.buffered();
            let take = avail.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&avail[..take]);
            }
            self.consume(take);
            n -= take as u64;
        }
        Ok(())
    }

    /// Reads `expected` exactly (a CRLF after a chunk, say); false if other bytes came.
    pub(crate) fn expect_bytes(&mut self, expected: &[u8], timeout: Duration) -> io::Result<bool> {
        for &want in expected {
            self.need(timeout)?;
            if self.buffered()[0] != want {
                return Ok(false);
            }
            self.consume(1);
        }
        Ok(true)
    }
}
