//! Firing schedules: one thread per emulator looks four times a second for schedules whose
//! time has come, starts each one's actions as runs (through the same start code as the API,
//! so inputs and options are checked the same way; `meta.origin` is `SCHEDULER`) and writes the
//! schedule's log. `POST /_emulator/schedules/{id}/fire` fires one at once, for tests.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::emulator::context::Ctx;
use crate::emulator::http::Request;
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::schedule_state::{ActionTarget, ScheduleLogItem, ScheduledRun, MAX_LOG};
use crate::emulator::state::Shared;
use crate::emulator::util::{encode_segment, iso_millis, now_millis, Query};

use super::run_start::{start_run, StartSpec};
use super::schedules::{find, next_fire};

/// How often the thread looks for due schedules (cron's resolution is a minute).
const TICK: Duration = Duration::from_millis(250);

/// Starts the firing thread; it ends when the emulator stops.
pub(crate) fn spawn(shared: Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("apify-emulator-schedules".into())
        .spawn(move || {
            while !shared.stop.load(Ordering::SeqCst) {
                let now = now_millis();
                let due: Vec<(String, u64)> = shared
                    .lock()
                    .schedules
                    .iter()
                    .filter_map(|s| s.next_fire.filter(|t| *t <= now).map(|t| (s.id.clone(), t)))
                    .collect();
                for (id, at) in due {
                    fire(&shared, &id, at);
                }
                // Woken at once by a stop (`Shared::notify`), so stopping never waits a tick.
                let guard = shared.lock();
                drop(shared.wait_until(guard, Instant::now() + TICK, |_| false));
            }
        })
}

/// `POST /_emulator/schedules/{id}/fire`: fires the schedule now, as if its time had come;
/// answers the log entry it wrote and the runs it started.
pub(crate) fn fire_now(ctx: &Ctx, id: &str) -> ApiResult {
    let id = {
        let st = ctx.shared.lock();
        find(&st, id).ok_or_else(|| ApiError::not_found("Schedule", id))?
    };
    let (entry, runs) = fire(ctx.shared, &id, now_millis());
    Ok(data_response(
        200,
        json!({"runIds": runs, "log": {"message": entry.message, "level": entry.level,
               "createdAt": iso_millis(entry.created_at)}}),
    ))
}

/// Fires a schedule for `scheduled_at`: starts its actions (unless it is exclusive and the runs
/// it started last still go), moves its next time on and logs what happened.
fn fire(shared: &Arc<Shared>, id: &str, scheduled_at: u64) -> (ScheduleLogItem, Vec<String>) {
    let now = now_millis();
    let (actions, busy) = {
        let mut st = shared.lock();
        let busy_runs: Vec<String> = {
            let Some(s) = st.schedules.iter().find(|s| s.id == id) else {
                let gone = log_item("ERROR", "The schedule no longer exists".into());
                return (gone, Vec::new());
            };
            s.last_runs
                .iter()
                .filter(|r| st.runs.get(*r).is_some_and(|r| !r.status.is_terminal()))
                .cloned()
                .collect()
        };
        let s = st
            .schedules
            .iter_mut()
            .find(|s| s.id == id)
            .expect("found above");
        // Moved on first, so that a slow start is never fired twice.
        s.next_fire = next_fire(s, now.max(scheduled_at));
        s.last_run_at = Some(scheduled_at);
        let busy = s.is_exclusive && !busy_runs.is_empty();
        (s.actions.clone(), busy.then_some(busy_runs))
    };
    if let Some(busy) = busy {
        let item = log_item(
            "INFO",
            format!(
                "Schedule skipped: it is exclusive and the runs it started last are still running ({})",
                busy.join(", ")
            ),
        );
        write_log(shared, id, item.clone());
        return (item, Vec::new());
    }
    let mut started = Vec::new();
    let mut failures = Vec::new();
    for (i, action) in actions.iter().enumerate() {
        match start(shared, &action.what) {
            Ok(run_id) => started.push(run_id),
            Err(e) => failures.push(format!("action {i}: {e}")),
        }
    }
    {
        let mut st = shared.lock();
        for run_id in &started {
            st.scheduled_runs.insert(
                run_id.clone(),
                ScheduledRun {
                    schedule_id: id.to_string(),
                    scheduled_at,
                },
            );
        }
        if let Some(s) = st.schedules.iter_mut().find(|s| s.id == id) {
            s.last_runs = started.clone();
        }
    }
    let item = if failures.is_empty() {
        log_item(
            "INFO",
            format!("Schedule invoked: started run(s) {}", started.join(", ")),
        )
    } else {
        log_item(
            "ERROR",
            format!(
                "Schedule invoked: started run(s) [{}]; failed: {}",
                started.join(", "),
                failures.join("; ")
            ),
        )
    };
    write_log(shared, id, item.clone());
    (item, started)
}

fn log_item(level: &'static str, message: String) -> ScheduleLogItem {
    ScheduleLogItem {
        created_at: now_millis(),
        level,
        message,
    }
}

fn write_log(shared: &Shared, id: &str, item: ScheduleLogItem) {
    let mut st = shared.lock();
    if let Some(s) = st.schedules.iter_mut().find(|s| s.id == id) {
        s.log.push(item);
        if s.log.len() > MAX_LOG {
            s.log.remove(0);
        }
    }
}

/// Starts one action's run as the API would for a start request with its input and options.
fn start(shared: &Arc<Shared>, what: &ActionTarget) -> Result<String, String> {
    let (path, query, body, content_type) = match what {
        ActionTarget::Actor {
            actor_id,
            run_input,
            run_options,
        } => {
            let field = |k: &str| {
                run_input
                    .as_ref()
                    .and_then(|i| i.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            (
                format!("/v2/actors/{actor_id}/runs"),
                options_query(run_options.as_ref()),
                field("body").unwrap_or_default().into_bytes(),
                field("contentType").unwrap_or_else(|| "application/json".into()),
            )
        }
        ActionTarget::Task { task_id, input } => (
            format!("/v2/actor-tasks/{task_id}/runs"),
            String::new(),
            input
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default()
                .into_bytes(),
            "application/json".into(),
        ),
    };
    let req = Request {
        method: "POST".into(),
        path,
        query: query.clone(),
        headers: vec![
            ("content-type".into(), content_type),
            ("user-agent".into(), "apify-emulator-scheduler".into()),
        ],
        body,
        body_too_large: false,
        peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    };
    let ctx = Ctx {
        shared,
        req: &req,
        query: Query::parse(&query),
        anonymous: false,
    };
    // The Actor or task may have been deleted since the schedule was stored.
    let spec = match what {
        ActionTarget::Actor { actor_id, .. } => {
            if shared.lock().actor_index(actor_id).is_none() {
                return Err(format!("the Actor {actor_id} no longer exists"));
            }
            StartSpec::for_actor(&ctx, actor_id)
        }
        ActionTarget::Task { task_id, .. } => {
            if !shared.lock().tasks.contains_key(task_id) {
                return Err(format!("the task {task_id} no longer exists"));
            }
            StartSpec::for_task(&ctx, task_id)
        }
    }
    .map_err(|e| e.message)?;
    Ok(start_run(&ctx, spec))
}

/// An Actor action's `runOptions` as the start request's query.
fn options_query(options: Option<&Value>) -> String {
    let Some(Value::Object(o)) = options else {
        return String::new();
    };
    [
        ("build", "build"),
        ("memoryMbytes", "memory"),
        ("timeoutSecs", "timeout"),
        ("maxItems", "maxItems"),
        ("maxTotalChargeUsd", "maxTotalChargeUsd"),
        ("restartOnError", "restartOnError"),
    ]
    .iter()
    .filter_map(|(field, param)| {
        let v = o.get(*field)?;
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => return None,
            other => other.to_string(),
        };
        Some(format!("{param}={}", encode_segment(&text)))
    })
    .collect::<Vec<_>>()
    .join("&")
}
