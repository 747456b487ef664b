//! A run's log, whole or streamed while the run goes on. Either way a reader copies the shared
//! log a slice at a time, by offset, so that a client that reads slowly (or not at all: the
//! http layer's write timeout drops it) holds one slice, not a copy of the log.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::emulator::context::Ctx;
use crate::emulator::http::{Body, Response, StreamFn};
use crate::emulator::reply::{ApiError, ApiResult};
use crate::emulator::state::Shared;

/// Logs up to this size are sent whole; longer ones a slice at a time.
const INLINE_LOG: usize = 1024 * 1024;
/// The most copied out of the log under one lock.
const SLICE: usize = 64 * 1024;

/// The run's log as text; with `stream=true` the response stays open until the run is terminal.
pub(crate) fn log_response(ctx: &Ctx, run_id: &str) -> ApiResult {
    let stream = ctx.q_bool("stream")?.unwrap_or(false);
    let content_type = "text/plain; charset=utf-8";
    let shared = ctx.shared.clone();
    let run_id = run_id.to_string();
    let produce: StreamFn = if stream {
        Box::new(move |w| follow(&shared, &run_id, w))
    } else {
        let len = {
            let st = shared.lock();
            let log = &st
                .runs
                .get(&run_id)
                .ok_or_else(|| ApiError::not_found("Actor run", &run_id))?
                .log;
            if log.len() <= INLINE_LOG {
                return Ok(Response::bytes(200, content_type, log.clone().into_bytes()));
            }
            log.len()
        };
        Box::new(move |w| {
            let mut sent = 0;
            while sent < len {
                let slice = slice_from(&shared, &run_id, sent, len);
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
fn slice_from(shared: &Shared, run_id: &str, from: usize, upto: usize) -> String {
    let st = shared.lock();
    let Some(run) = st.runs.get(run_id) else {
        return String::new();
    };
    let log = &run.log;
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
fn follow(shared: &Arc<Shared>, run_id: &str, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut sent = 0;
    loop {
        let done = {
            let st = shared.lock();
            let st = shared.wait_until(st, Instant::now() + Duration::from_secs(1), |st| {
                // A deleted run has said all it will.
                st.runs
                    .get(run_id)
                    .is_none_or(|r| r.log.len() > sent || r.status.is_terminal())
            });
            st.runs.get(run_id).is_none_or(|r| r.status.is_terminal())
        };
        // Everything written so far, a slice at a time.
        loop {
            let slice = slice_from(shared, run_id, sent, usize::MAX);
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
