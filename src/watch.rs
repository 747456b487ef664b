//! Waiting for a run while following its log, with both callbacks on the caller's thread.
//!
//! Two workers do the blocking: one waits (long polling or polling), one follows the log stream;
//! they hand what they see to the caller's thread through a channel, where the callbacks run one
//! at a time. When the caller stops (a callback breaks) the call returns at once and the workers
//! end at their next chance (the waiter at its next status answer, the follower at its next text
//! or when the run ends).

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::models::Run;
use crate::run::{RunClient, WaitOptions};

/// How long the rest of the log may take to arrive once the run is terminal.
const LOG_TAIL_WAIT: Duration = Duration::from_secs(30);

enum Event {
    Poll(Run),
    Log(String),
    LogDone,
    WaitDone(Result<Run>),
}

impl RunClient {
    /// Like [`wait_with`](RunClient::wait_with), and meanwhile delivers the run's log text to
    /// `on_log` as [`follow_log`](RunClient::follow_log) does (in order, each byte once). Both
    /// callbacks run on this thread. `on_poll` breaking ends the call with
    /// [`Error::Cancelled`]; `on_log` breaking only stops following the log. Once the run is
    /// terminal the call returns after the rest of its log was delivered.
    ///
    /// API: `actorRun_get`, `log_get`
    pub fn wait_with_log(
        &self,
        options: &WaitOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
        mut on_log: impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Run> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_log = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        {
            let (run, options, tx, stop) =
                (self.clone(), options.clone(), tx.clone(), stop.clone());
            thread::spawn(move || {
                let result = run.wait_with(&options, |r| {
                    if stop.load(Ordering::Relaxed) || tx.send(Event::Poll(r.clone())).is_err() {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                let _ = tx.send(Event::WaitDone(result));
            });
        }
        {
            let (run, stop, stop_log) = (self.clone(), stop.clone(), stop_log.clone());
            thread::spawn(move || {
                // A failure to follow the log ends the following, not the wait.
                let _ = run.follow_log(|text| {
                    let stopped = stop.load(Ordering::Relaxed) || stop_log.load(Ordering::Relaxed);
                    if stopped || tx.send(Event::Log(text.to_string())).is_err() {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                let _ = tx.send(Event::LogDone);
            });
        }
        let mut result: Option<Result<Run>> = None;
        let mut following = true;
        loop {
            let event = if result.is_some() {
                match rx.recv_timeout(LOG_TAIL_WAIT) {
                    Ok(e) => e,
                    Err(_) => break,
                }
            } else {
                match rx.recv() {
                    Ok(e) => e,
                    Err(_) => break,
                }
            };
            match event {
                Event::Poll(run) => {
                    if on_poll(&run).is_break() {
                        stop.store(true, Ordering::Relaxed);
                        return Err(Error::cancelled_wait(&run));
                    }
                }
                Event::Log(text) => {
                    if following && on_log(&text).is_break() {
                        following = false;
                        stop_log.store(true, Ordering::Relaxed);
                    }
                }
                Event::LogDone => following = false,
                Event::WaitDone(r) => {
                    // Not terminal (budget over, or an error): the rest of the log is not coming.
                    if !matches!(&r, Ok(run) if run.status.is_terminal()) {
                        stop_log.store(true, Ordering::Relaxed);
                        following = false;
                    }
                    result = Some(r);
                }
            }
            if result.is_some() && !following {
                break;
            }
        }
        stop_log.store(true, Ordering::Relaxed);
        result.unwrap_or(Err(Error::cancelled()))
    }
}
