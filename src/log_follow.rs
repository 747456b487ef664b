//! Following a log as it is written (runs and builds): one stream after another, each byte
//! handed out once, until the owner is terminal and its log complete.

use std::io::Read;
use std::ops::ControlFlow;
use std::time::Duration;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{encode_component, Call};

/// Log streams in a row that may end without new text before [`follow_log`] gives up
/// (a stream that stayed silent until its read timeout does not count while the run or build
/// goes on).
const MAX_LOG_RECONNECTS: u32 = 10;
/// The pause before a log stream is opened again.
const LOG_RECONNECT_PAUSE: Duration = Duration::from_millis(250);
/// How long a log stream may stay silent, on top of the client's request timeout.
const LOG_SILENCE: Duration = Duration::from_secs(60);

/// Delivers the log of a run or build (`/v2/logs/{log_id}`) in order, each byte once, until
/// `is_terminal` says its owner has finished and a stream ended cleanly after that; `on_text`
/// returning `Break` stops with [`Error::Cancelled`].
pub(crate) fn follow_log(
    client: &Client,
    log_id: &str,
    mut is_terminal: impl FnMut() -> Result<bool>,
    on_text: &mut impl FnMut(&str) -> ControlFlow<()>,
) -> Result<()> {
    let call = Call::new("GET", format!("/v2/logs/{}", encode_component(log_id)))
        .query("stream", true)
        .timeout(client.http().timeout + LOG_SILENCE)
        .streamed();
    let mut log = LogText::default();
    // Once the run or build is known to be terminal, the next stream that ends cleanly is the last.
    let mut last = is_terminal()?;
    let mut fruitless = 0;
    loop {
        let before = log.received();
        let read = read_log_stream(client, &call, &mut log, on_text)?;
        if last && read.is_ok() {
            return log.finish(on_text);
        }
        let silent = !last && matches!(&read, Err(e) if is_timeout(e));
        if log.received() > before || silent {
            fruitless = 0;
        } else {
            fruitless += 1;
        }
        if fruitless > MAX_LOG_RECONNECTS {
            let (why, source) = match read {
                Ok(()) => ("closed".to_string(), None),
                Err(e) => (e.to_string(), Some(crate::error::Cause::new(e))),
            };
            return Err(Error::Transport {
                method: call.method.to_string(),
                path: call.path.clone(),
                message: format!(
                    "the log stream ended {fruitless} times in a row without new text before the log was complete (last: {why})"
                ),
                attempt: fruitless,
                sent: crate::error::Sent::Yes,
                source,
            });
        }
        if !last {
            last = is_terminal()?;
        }
        // A stream that ended cleanly as the run or build finished is read once more at once.
        if read.is_err() || !last {
            std::thread::sleep(LOG_RECONNECT_PAUSE);
        }
        log.restart();
    }
}

/// Reads one log stream to its end, feeding `log`. The outer error is a failure to open it
/// (after the client's retries) or the caller's `Break`; the inner one a stream cut short.
fn read_log_stream(
    client: &Client,
    call: &Call,
    log: &mut LogText,
    on_text: &mut impl FnMut(&str) -> ControlFlow<()>,
) -> Result<std::io::Result<()>> {
    let mut reader = client.http().send(call)?.into_reader();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(Ok(())),
            Ok(n) => {
                if log.feed(&buf[..n], on_text).is_break() {
                    return Err(Error::cancelled());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Ok(Err(e)),
        }
    }
}

/// A read that ran out of time (the stream stayed silent), as opposed to one cut short.
fn is_timeout(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)))
}

/// The log text followed so far: what was delivered, and an incomplete UTF-8 character kept for
/// the next chunk. A stream opened again skips the bytes already delivered.
#[derive(Debug, Default)]
struct LogText {
    /// Bytes of the log handed to the callback (as text).
    delivered: u64,
    /// Bytes received after those, waiting for the rest of their character.
    pending: Vec<u8>,
    /// Bytes at the start of the current stream that were delivered before.
    skip: u64,
}

impl LogText {
    /// Bytes of the log taken in: delivered or pending.
    fn received(&self) -> u64 {
        self.delivered + self.pending.len() as u64
    }

    /// A new stream starts from the log's first byte.
    fn restart(&mut self) {
        self.pending.clear();
        self.skip = self.delivered;
    }

    /// Takes the next bytes of the current stream and delivers the complete characters.
    fn feed(
        &mut self,
        bytes: &[u8],
        on_text: &mut impl FnMut(&str) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let skipped = self.skip.min(bytes.len() as u64);
        self.skip -= skipped;
        self.pending.extend_from_slice(&bytes[skipped as usize..]);
        self.deliver(on_text, false)
    }

    /// Delivers what is pending at the end of the log, even an incomplete character.
    fn finish(&mut self, on_text: &mut impl FnMut(&str) -> ControlFlow<()>) -> Result<()> {
        match self.deliver(on_text, true) {
            ControlFlow::Break(()) => Err(Error::cancelled()),
            ControlFlow::Continue(()) => Ok(()),
        }
    }

    fn deliver(
        &mut self,
        on_text: &mut impl FnMut(&str) -> ControlFlow<()>,
        at_end: bool,
    ) -> ControlFlow<()> {
        let upto = if at_end {
            self.pending.len()
        } else {
            self.pending.len() - incomplete_tail(&self.pending)
        };
        if upto == 0 {
            return ControlFlow::Continue(());
        }
        let flow = on_text(&String::from_utf8_lossy(&self.pending[..upto]));
        self.pending.drain(..upto);
        self.delivered += upto as u64;
        flow
    }
}

/// How many bytes at the end of `bytes` begin a UTF-8 character that is not complete yet.
fn incomplete_tail(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(3) {
        let b = bytes[len - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: the lead byte is further back
        }
        let width = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if back < width { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(log: &mut LogText, out: &mut Vec<String>, bytes: &[u8]) {
        let flow = log.feed(bytes, &mut |t: &str| {
            out.push(t.to_string());
            ControlFlow::Continue(())
        });
        assert!(flow.is_continue());
    }

    #[test]
    fn characters_are_never_split() {
        let text = "a€b😀c";
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            let (mut log, mut out) = (LogText::default(), Vec::new());
            collect(&mut log, &mut out, &bytes[..cut]);
            collect(&mut log, &mut out, &bytes[cut..]);
            assert!(log.pending.is_empty());
            assert_eq!(out.concat(), text, "cut at {cut}");
        }
    }

    #[test]
    fn a_new_stream_skips_what_was_delivered() {
        let text = "line 1\nlíne 2\nline 3\n";
        let bytes = text.as_bytes();
        let (mut log, mut out) = (LogText::default(), Vec::new());
        // The first stream breaks inside the 'í' (bytes 8 and 9).
        collect(&mut log, &mut out, &bytes[..9]);
        assert_eq!(log.received(), 9);
        log.restart();
        // The second one breaks later, in pieces of three bytes.
        for piece in bytes[..16].chunks(3) {
            collect(&mut log, &mut out, piece);
        }
        log.restart();
        collect(&mut log, &mut out, bytes);
        assert_eq!(out.concat(), text);
        assert_eq!(log.delivered, bytes.len() as u64);
    }

    #[test]
    fn invalid_bytes_are_delivered_once_as_replacements() {
        let (mut log, mut out) = (LogText::default(), Vec::new());
        collect(&mut log, &mut out, b"a\xffb\xe2\x82");
        let flow = log.finish(&mut |t: &str| {
            out.push(t.to_string());
            ControlFlow::Continue(())
        });
        assert!(flow.is_ok());
        assert_eq!(out.concat(), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(log.delivered, 5);
    }

    #[test]
    fn incomplete_tails() {
        assert_eq!(incomplete_tail(b""), 0);
        assert_eq!(incomplete_tail(b"abc"), 0);
        assert_eq!(incomplete_tail("€".as_bytes()), 0);
        assert_eq!(incomplete_tail(&"€".as_bytes()[..2]), 2);
        assert_eq!(incomplete_tail(&"😀".as_bytes()[..3]), 3);
        assert_eq!(incomplete_tail(&"😀".as_bytes()[..1]), 1);
    }
}
