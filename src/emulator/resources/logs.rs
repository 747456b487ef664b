//! A run's or a build's log, whole or streamed while it goes on. Either way a reader copies the shared
//! log a slice at a time, by offset, so that a client that reads slowly (or not at all: the
//! http layer's write timeout drops it) holds one slice, not a copy of the log.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::emulator::context::Ctx;
use crate::emulator::http::{Body, Response, StreamFn};
use crate::emulator::reply::{ApiError, ApiResult};
use crate::emulator::state::{Shared, State};

/// Whose log: a run's or a build's (by id).
#[derive(Clone)]
pub(crate) enum LogOf {
    Run(String),
    Build(String),
}

impl LogOf {
    /// The log so far and whether it is complete (its run or build is terminal).
    fn view<'a>(&self, st: &'a State) -> Option<(&'a str, bool)> {
        match self {
            LogOf::Run(id) => st
                .runs
                .get(id)
                .map(|r| (r.log.as_str(), r.status.is_terminal())),
            LogOf::Build(id) => st
                .builds
                .iter()
                .find(|b| &b.id == id)
                .map(|b| (b.log.as_str(), b.status.is_terminal())),
        }
    }
}

/// Logs up to this size are sent whole; longer ones a slice at a time.
const INLINE_LOG: usize = 1024 * 1024;
/// The most copied out of the log under one lock.
const SLICE: usize = 64 * 1024;

/// The run's log as text; with `stream=true` the response stays open until the run is terminal.
pub(crate) fn log_response(ctx: &Ctx, run_id: &str) -> ApiResult {
    log_response_of(ctx, LogOf::Run(run_id.to_string()))
}

/// A run's or a build's log (which must exist), as [`log_response`].
pub(crate) fn log_response_of(ctx: &Ctx, of: LogOf) -> ApiResult {
    let stream = ctx.q_bool("stream")?.unwrap_or(false);
    ctx.q_bool("download")?;
    let content_type = "text/plain; charset=utf-8";
    let shared = ctx.shared.clone();

    let produce: StreamFn = if stream {
        Box::new(move |w| follow(&shared, &of, w))
    } else {
        let len = {
            let st = shared.lock();
            let (log, _) = of.view(&st).ok_or_else(|| match &of {
                LogOf::Run(id) => ApiError::not_found("Actor run", id),
                LogOf::Build(id) => ApiError::not_found("Build", id),
            })?;
            if log.len() <= INLINE_LOG {
                return Ok(Response::bytes(200, content_type, log.as_bytes().to_vec()));
            }
            log.len()
        };
        Box::new(move |w| {
            let mut sent = 0;
            while sent < len {
                let slice = slice_from(&shared, &of, sent, len);
                if slice.is_empty() {
                    break;
                }
                w.write_all(slice.as_bytes())?;
                sent += slice.len();
            }
            Ok(())
        })
    };
    Ok(Response {
        status: 200,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: Body::Stream(produce),
    })
}

/// At most [`SLICE`] bytes of the log from `from` (and before `upto`), cut on a character
/// boundary.
fn slice_from(shared: &Shared, of: &LogOf, from: usize, upto: usize) -> String {
    let st = shared.lock();
    let Some((log, _)) = of.view(&st) else {
        return String::new();
    };
    let upto = upto.min(log.len());
    if from >= upto {
        return String::new();
    }
    let mut end = upto.min(from + SLICE);
    while !log.is_char_boundary(end) {
        end -= 1;
    }
    if end == from {
        // A slice shorter than one character: take that character whole.
        end = (from + 1..=upto)
            .find(|i| log.is_char_boundary(*i))
            .unwrap_or(upto);
    }
    log[from..end].to_string()
}

/// Writes the log as it grows until the run is terminal.
fn follow(shared: &Arc<Shared>, of: &LogOf, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut sent = 0;
    loop {
        let done = {
            let st = shared.lock();
            let st = shared.wait_until(st, Instant::now() + Duration::from_secs(1), |st| {
                // A deleted run or build has said all it will.
                of.view(st)
                    .is_none_or(|(log, done)| log.len() > sent || done)
            });
            of.view(&st).is_none_or(|(_, done)| done)
        };
        // Everything written so far, a slice at a time.
        loop {
            let slice = slice_from(shared, of, sent, usize::MAX);
            if slice.is_empty() {
                break;
            }
            w.write_all(slice.as_bytes())?;
            sent += slice.len();
        }
        if done || shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
    }
}
