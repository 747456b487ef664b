//! Runs: get, wait (long polling or plain polling, with a budget), abort, resurrect, log (whole
//! or followed as it grows).

use std::io::Read;
use std::ops::ControlFlow;
use std::time::Duration;

use crate::client::{id_segment, Client};
use crate::dataset::DatasetClient;
use crate::error::{Error, Result};
use crate::http::{encode_component, Call, Cap, Retry};
use crate::key_value_store::KeyValueStoreClient;
use crate::models::Run;
use crate::request_queue::RequestQueueClient;
use crate::wait::{wait_until_terminal, Polled};

pub use crate::wait::{WaitOptions, WaitStrategy, WebhookWait};

/// Log streams in a row that may end without new text before [`RunClient::follow_log`] gives up
/// (a stream that stayed silent until its read timeout does not count while the run goes on).
const MAX_LOG_RECONNECTS: u32 = 10;
/// The pause before a log stream is opened again.
const LOG_RECONNECT_PAUSE: Duration = Duration::from_millis(250);
/// How long a log stream may stay silent, on top of the client's request timeout.
const LOG_SILENCE: Duration = Duration::from_secs(60);

/// One run of an Actor or task.
#[derive(Debug, Clone)]
pub struct RunClient {
    client: Client,
    id: String,
    path: String,
}

impl Client {
    /// A run by its id.
    pub fn run(&self, run_id: &str) -> RunClient {
        RunClient {
            client: self.clone(),
            id: run_id.trim().to_string(),
            path: format!("/v2/actor-runs/{}", encode_component(run_id.trim())),
        }
    }
}

impl RunClient {
    /// The run's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// A run reached at another path than `/v2/actor-runs/{id}` (an Actor's run).
    pub(crate) fn at(client: &Client, path: String, run_id: &str) -> RunClient {
        RunClient {
            client: client.clone(),
            id: run_id.trim().to_string(),
            path,
        }
    }

    /// The run's path (already encoded).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn check_id(&self) -> Result<()> {
        id_segment("the run id", &self.id).map(|_| ())
    }

    /// The run, or `None` if there is no such run.
    ///
    /// API: `actorRun_get`
    pub fn get(&self) -> Result<Option<Run>> {
        match self.fetch() {
            Ok(run) => Ok(Some(run)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The run; a missing run is the API's 404 error.
    pub(crate) fn fetch(&self) -> Result<Run> {
        self.check_id()?;
        self.client
            .http()
            .send(&Call::new("GET", &self.path))?
            .data()
    }

    /// Waits for the run to finish (see [`WaitOptions`]) and returns it.
    ///
    /// ```no_run
    /// # let client = apify::Client::from_env()?;
    /// use std::time::Duration;
    /// let run = client.run("RUN_ID").wait(&apify::WaitOptions::with_budget(Duration::from_secs(30)))?;
    /// println!("{}", run.status); // may still be RUNNING: the budget ran out
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `actorRun_get`
    pub fn wait(&self, options: &WaitOptions) -> Result<Run> {
        self.wait_with(options, |_| ControlFlow::Continue(()))
    }

    /// Like [`wait`](Self::wait), calling `on_poll` with the run after every answer; returning
    /// `ControlFlow::Break` stops the wait with [`Error::Cancelled`].
    ///
    /// API: `actorRun_get`
    pub fn wait_with(
        &self,
        options: &WaitOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.check_id()?;
        if let WaitStrategy::Webhook(hook) = &options.strategy {
            return self.wait_by_webhook(options, hook, &mut on_poll);
        }
        wait_until_terminal(&self.client, &self.path, options, &mut on_poll)
    }

    /// Aborts the run; `gracefully` lets it finish its work for up to 30 s.
    ///
    /// API: `actorRun_abort_post`
    pub fn abort(&self, gracefully: bool) -> Result<Run> {
        self.check_id()?;
        let call = Call::new("POST", format!("{}/abort", self.path))
            .query("gracefully", gracefully)
            .retry(Retry::Idempotent);
        self.client.http().send(&call)?.data()
    }

    /// Restarts a finished run with the same storages.
    ///
    /// API: `PostResurrectRun`
    pub fn resurrect(&self) -> Result<Run> {
        self.check_id()?;
        let call = Call::new("POST", format!("{}/resurrect", self.path)).retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }

    /// The run's log as text.
    ///
    /// API: `actorRun_log_get`
    pub fn log(&self) -> Result<String> {
        self.check_id()?;
        let bytes = self
            .client
            .http()
            .send(&Call::new("GET", format!("{}/log", self.path)).cap(Cap::Large))?
            .bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Delivers the run's log text in order, each byte once, until the run is terminal and its
    /// log complete; `on_text` returning `Break` stops with [`Error::Cancelled`].
    ///
    /// ```no_run
    /// # let client = apify::Client::from_env()?;
    /// client.run("RUN_ID").follow_log(|text| {
    ///     print!("{text}");
    ///     std::ops::ControlFlow::Continue(())
    /// })?;
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `log_get`
    pub fn follow_log(&self, mut on_text: impl FnMut(&str) -> ControlFlow<()>) -> Result<()> {
        self.check_id()?;
        let call = Call::new("GET", format!("/v2/logs/{}", encode_component(&self.id)))
            .query("stream", true)
            .timeout(self.client.http().timeout + LOG_SILENCE)
            .streamed();
        let mut log = LogText::default();
        // Once the run is known to be terminal, the next stream that ends cleanly is the last.
        let mut last = self.fetch()?.status.is_terminal();
        let mut fruitless = 0;
        loop {
            let before = log.received();
            let read = self.read_log_stream(&call, &mut log, &mut on_text)?;
            if last && read.is_ok() {
                return log.finish(&mut on_text);
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
                        "the log stream ended {fruitless} times in a row without new text before the run's log was complete (last: {why})"
                    ),
                    attempt: fruitless,
                    sent: crate::error::Sent::Yes,
                    source,
                });
            }
            if !last {
                last = self.fetch()?.status.is_terminal();
            }
            // A stream that ended cleanly as the run finished is read once more at once.
            if read.is_err() || !last {
                std::thread::sleep(LOG_RECONNECT_PAUSE);
            }
            log.restart();
        }
    }

    /// Reads one log stream to its end, feeding `log`. The outer error is a failure to open it
    /// (after the client's retries) or the caller's `Break`; the inner one a stream cut short.
    fn read_log_stream(
        &self,
        call: &Call,
        log: &mut LogText,
        on_text: &mut impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<std::io::Result<()>> {
        let mut reader = self.client.http().send(call)?.into_reader();
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

    /// The run's default dataset.
    pub fn dataset(&self) -> DatasetClient {
        DatasetClient::at(&self.client, format!("{}/dataset", self.path), &self.id)
    }

    /// The run's default key-value store.
    pub fn key_value_store(&self) -> KeyValueStoreClient {
        KeyValueStoreClient::at(
            &self.client,
            format!("{}/key-value-store", self.path),
            &self.id,
        )
    }

    /// The run's default request queue, with a new random `clientKey`.
    pub fn request_queue(&self) -> RequestQueueClient {
        RequestQueueClient::at(
            &self.client,
            format!("{}/request-queue", self.path),
            &self.id,
        )
    }
}

impl Polled for Run {
    fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    fn cancelled(&self) -> Error {
        Error::cancelled_wait(self)
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
