//! A run's log, whole or streamed while the run goes on.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::emulator::context::Ctx;
use crate::emulator::http::{Body, Response};
use crate::emulator::reply::ApiResult;

/// The run's log as text; with `stream=true` the response stays open until the run is terminal.
pub(crate) fn log_response(ctx: &Ctx, run_id: &str) -> ApiResult {
    let stream = ctx.q_bool("stream")?.unwrap_or(false);
    let content_type = "text/plain; charset=utf-8";
    if !stream {
        let log = ctx.shared.lock().runs[run_id].log.clone();
        return Ok(Response::bytes(200, content_type, log.into_bytes()));
    }
    let shared = ctx.shared.clone();
    let run_id = run_id.to_string();
    let produce = move |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        let mut sent = 0;
        loop {
            let (chunk, done) = {
                let st = shared.lock();
                let st = shared.wait_until(st, Instant::now() + Duration::from_secs(1), |st| {
                    let r = &st.runs[&run_id];
                    r.log.len() > sent || r.status.is_terminal()
                });
                let r = &st.runs[&run_id];
                (r.log[sent..].to_string(), r.status.is_terminal())
            };
            if !chunk.is_empty() {
                w.write_all(chunk.as_bytes())?;
                sent += chunk.len();
            }
            if done || shared.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
        }
    };
    Ok(Response {
        status: 200,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: Body::Stream(Box::new(produce)),
    })
}
