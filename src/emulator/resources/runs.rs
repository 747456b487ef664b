//! Actor runs: list (with status and start-time filters), get (with `waitForFinish`), last
//! run, abort, resurrect, and the run's default storages and log. The other run operations
//! (update, delete, metamorph, reboot, charge) are in `run_ops`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::emulator::context::{paginate_with, Ctx};
use crate::emulator::programs::{finish_run, spawn_worker};
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::run_extras::parse_iso;
use crate::emulator::state::{Run, Shared, Status};
use crate::emulator::webhook_delivery;

use super::logs::log_response;
use super::{datasets, key_value_stores, request_queues, run_ops};

pub(crate) fn route_runs(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => list_runs(ctx, |_| true),
        (_, [id, sub @ ..]) => {
            let run_id = existing_run(ctx, id)?;
            run_sub(ctx, m, &run_id, sub)
        }
        _ => Err(ApiError::no_route()),
    }
}

/// The run's id if it exists, else 404.
pub(crate) fn existing_run(ctx: &Ctx, id: &str) -> Result<String, ApiError> {
    if ctx.shared.lock().runs.contains_key(id) {
        Ok(id.to_string())
    } else {
        Err(ApiError::not_found("Actor run", id))
    }
}

fn status_filter(ctx: &Ctx) -> Result<Option<Vec<Status>>, ApiError> {
    ctx.query
        .list("status")
        .map(|list| {
            list.iter()
                .map(|s| {
                    Status::parse(s).ok_or_else(|| {
                        ApiError::bad_parameter(format!("Unknown run status '{s}' in 'status'"))
                    })
                })
                .collect()
        })
        .transpose()
}

/// A `startedAfter` / `startedBefore` bound in epoch milliseconds.
fn time_filter(ctx: &Ctx, name: &str) -> Result<Option<u64>, ApiError> {
    match ctx.query.get(name).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse_iso(v).map(Some).ok_or_else(|| {
            ApiError::bad_parameter(format!(
                "'{name}' must be an ISO 8601 UTC date-time such as 2026-01-31T12:00:00.000Z, got '{v}'"
            ))
        }),
    }
}

pub(crate) fn list_runs(ctx: &Ctx, keep: impl Fn(&Run) -> bool) -> ApiResult {
    let statuses = status_filter(ctx)?;
    // Both bounds are inclusive.
    let after = time_filter(ctx, "startedAfter")?.unwrap_or(0);
    let before = time_filter(ctx, "startedBefore")?.unwrap_or(u64::MAX);
    let st = ctx.shared.lock();
    let runs: Vec<&Run> = st
        .run_order
        .iter()
        .filter_map(|id| st.runs.get(id))
        .filter(|r| keep(r))
        .filter(|r| statuses.as_ref().is_none_or(|s| s.contains(&r.status)))
        .filter(|r| (after..=before).contains(&r.started_at))
        .collect();
    let page = paginate_with(ctx, runs, |r| st.run_short_json(r))?;
    drop(st);
    Ok(data_response(200, page))
}

pub(crate) fn last_run(ctx: &Ctx, keep: impl Fn(&Run) -> bool) -> Result<String, ApiError> {
    let statuses = status_filter(ctx)?;
    let st = ctx.shared.lock();
    st.run_order
        .iter()
        .rev()
        .filter_map(|id| st.runs.get(id))
        .find(|r| keep(r) && statuses.as_ref().is_none_or(|s| s.contains(&r.status)))
        .map(|r| r.id.clone())
        .ok_or_else(|| ApiError::new(404, "record-not-found", "No matching last run was found"))
}

/// Operations on one run: `rest` is what follows `/actor-runs/{id}` (or `.../runs/last`).
pub(crate) fn run_sub(ctx: &Ctx, m: &str, run_id: &str, rest: &[&str]) -> ApiResult {
    if let Some(reply) = run_ops::route(ctx, m, run_id, rest) {
        return reply;
    }
    // A run deleted between the lookup and here is a 404, as it would have been a moment earlier.
    let ids = |f: fn(&Run) -> &String| -> Result<String, ApiError> {
        let st = ctx.shared.lock();
        st.runs
            .get(run_id)
            .map(|r| f(r).clone())
            .ok_or_else(|| ApiError::not_found("Actor run", run_id))
    };
    match (m, rest) {
        ("GET", []) => {
            let wait = ctx.q_uint("waitForFinish")?.unwrap_or(0);
            let run = wait_for_run(ctx.shared, run_id, wait)?;
            Ok(data_response(200, run))
        }
        ("POST", ["abort"]) => abort(ctx, run_id),
        ("POST", ["resurrect"]) => resurrect(ctx, run_id),
        ("GET", ["log"]) => log_response(ctx, run_id),
        (_, ["dataset", sub @ ..]) => {
            let ds = ids(|r| &r.dataset_id)?;
            datasets::dataset_sub(ctx, m, &ds, sub)
        }
        (_, ["key-value-store", sub @ ..]) => {
            let kvs = ids(|r| &r.kvs_id)?;
            key_value_stores::store_sub(ctx, m, &kvs, sub)
        }
        (_, ["request-queue", sub @ ..]) => {
            let queue = ids(|r| &r.queue_id)?;
            if !ctx.shared.lock().queues.contains_key(&queue) {
                return Err(ApiError::not_found("Request queue", &queue));
            }
            request_queues::queue_sub(ctx, m, &queue, sub)
        }
        _ => Err(ApiError::no_route()),
    }
}

/// Long poll: holds up to `wait_secs` (capped by `--max-wait-secs`) or until the run is terminal.
/// A run deleted meanwhile is a 404.
pub(crate) fn wait_for_run(
    shared: &Arc<Shared>,
    run_id: &str,
    wait_secs: u64,
) -> Result<Value, ApiError> {
    let cap = shared.config.max_wait_secs;
    let deadline = Instant::now() + Duration::from_secs(wait_secs.min(cap));
    let st = shared.lock();
    let st = shared.wait_until(st, deadline, |st| {
        st.runs.get(run_id).is_none_or(|r| r.status.is_terminal())
    });
    st.runs
        .get(run_id)
        .map(|r| st.run_json(r))
        .ok_or_else(|| ApiError::not_found("Actor run", run_id))
}

fn abort(ctx: &Ctx, run_id: &str) -> ApiResult {
    let gracefully = ctx.q_bool("gracefully")?.unwrap_or(false);
    let mut st = ctx.shared.lock();
    let Some(run) = st.runs.get_mut(run_id) else {
        return Err(ApiError::not_found("Actor run", run_id));
    };
    if run.status.is_terminal() {
        let body = st.run_json(&st.runs[run_id]);
        return Ok(data_response(200, body));
    }
    run.abort_requested = Some(gracefully);
    let fired = if gracefully {
        run.status = Status::Aborting;
        st.log(run_id, "ACTOR: Aborting run gracefully.");
        false
    } else {
        st.log(run_id, "ACTOR: Run aborted.");
        finish_run(&mut st, run_id, Status::Aborted, None);
        true
    };
    let body = st.run_json(&st.runs[run_id]);
    drop(st);
    ctx.shared.notify();
    if fired {
        webhook_delivery::fire(ctx.shared, run_id, "ACTOR.RUN.ABORTED");
    }
    Ok(data_response(200, body))
}

fn resurrect(ctx: &Ctx, run_id: &str) -> ApiResult {
    let (program, generation, input) = {
        let mut st = ctx.shared.lock();
        let Some(run) = st.runs.get(run_id) else {
            return Err(ApiError::not_found("Actor run", run_id));
        };
        if !run.status.is_terminal() {
            return Err(ApiError::bad_request(format!(
                "Actor run {run_id} is {}; only a finished run can be resurrected",
                run.status.as_str()
            )));
        }
        let program = run.program;
        // After a metamorph, the input the current program was given.
        let input = run_ops::current_input(&st, run_id);
        let run = st.runs.get_mut(run_id).expect("run exists");
        run.generation += 1;
        run.status = Status::Ready;
        run.finished_at = None;
        run.exit_code = None;
        run.abort_requested = None;
        run.status_message = None;
        run.is_status_message_terminal = false;
        run.resurrect_count += 1;
        let generation = run.generation;
        st.log(run_id, "ACTOR: Resurrecting run.");
        (program, generation, input)
    };
    ctx.shared.notify();
    webhook_delivery::fire(ctx.shared, run_id, "ACTOR.RUN.RESURRECTED");
    spawn_worker(ctx.shared, run_id, generation, program, input);
    let st = ctx.shared.lock();
    let run = st
        .runs
        .get(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run", run_id))?;
    Ok(data_response(200, st.run_json(run)))
}
