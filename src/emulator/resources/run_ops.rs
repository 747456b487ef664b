//! Run operations beyond start, wait and abort: update (status message, general access),
//! delete, metamorph, reboot and pay-per-event charges.
//!
//! Each is reachable only where the spec has it: everything under `/v2/actor-runs/{runId}`;
//! metamorph also under an Actor's run and both last-run aliases; reboot under the last-run
//! aliases.

use serde_json::{json, Value};

use crate::emulator::context::{input_json, Ctx};
use crate::emulator::http::Response;
use crate::emulator::programs::spawn_worker;
use crate::emulator::reply::{data_response, json_kind, json_response, ApiError, ApiResult};
use crate::emulator::run_extras::{round_usd, Metamorph};
use crate::emulator::state::{State, Status};
use crate::emulator::util::now_millis;

use super::{builds, definitions};

/// The `generalAccess` values of a run.
const GENERAL_ACCESS: [&str; 4] = [
    "ANYONE_WITH_ID_CAN_READ",
    "ANYONE_WITH_NAME_CAN_READ",
    "FOLLOW_USER_SETTING",
    "RESTRICTED",
];

/// The longest idempotency key a charge takes.
const MAX_IDEMPOTENCY_KEY: usize = 256;

/// Which path a run was reached by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// `/v2/actor-runs/{runId}`.
    Run,
    /// `/v2/actors/{actorId}/runs/{runId}` (the older, Actor-scoped paths).
    ActorRun,
    /// `.../runs/last` of an Actor or task.
    LastRun,
}

fn scope(ctx: &Ctx) -> Scope {
    let path = ctx.req.path.as_str();
    if path.starts_with("/v2/actor-runs/") {
        Scope::Run
    } else if path.contains("/runs/last") {
        Scope::LastRun
    } else {
        Scope::ActorRun
    }
}

/// The run operations of this file, or `None` when `rest` is none of them (on this path).
pub(crate) fn route(ctx: &Ctx, m: &str, run_id: &str, rest: &[&str]) -> Option<ApiResult> {
    let scope = scope(ctx);
    Some(match (m, rest, scope) {
        ("PUT", [], Scope::Run) => update(ctx, run_id),
        ("DELETE", [], Scope::Run) => delete(ctx, run_id),
        ("POST", ["metamorph"], _) => metamorph(ctx, run_id),
        ("POST", ["reboot"], Scope::Run | Scope::LastRun) => reboot(ctx, run_id),
        ("POST", ["charge"], Scope::Run) => charge(ctx, run_id),
        _ => return None,
    })
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "invalid-input", message)
}

fn run_reply(st: &State, run_id: &str) -> ApiResult {
    let run = st
        .runs
        .get(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run", run_id))?;
    Ok(data_response(200, st.run_json(run)))
}

/// Refuses an operation that needs a RUNNING run.
fn must_be_running(st: &State, run_id: &str, what: &str) -> Result<(), ApiError> {
    let run = st
        .runs
        .get(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run", run_id))?;
    match run.status {
        Status::Running => Ok(()),
        s if s.is_terminal() => Err(ApiError::new(
            400,
            "job-finished",
            format!(
                "Actor run {run_id} has finished ({}); only a RUNNING run can {what}",
                s.as_str()
            ),
        )),
        s => Err(ApiError::bad_request(format!(
            "Actor run {run_id} is {}; only a RUNNING run can {what}",
            s.as_str()
        ))),
    }
}

// ---------------------------------------------------------------- update

/// `PUT /v2/actor-runs/{runId}`: the status message and general access.
fn update(ctx: &Ctx, run_id: &str) -> ApiResult {
    let body = match ctx.json_body()? {
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(invalid(format!(
                "The body must be a JSON object, got {}",
                json_kind(&other)
            )))
        }
        None => {
            return Err(invalid(
                "The body must be a JSON object with 'statusMessage' or 'generalAccess'",
            ))
        }
    };
    match body.get("runId") {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) if id == run_id => {}
        Some(other) => {
            return Err(ApiError::new(
                400,
                "id-does-not-match",
                format!("Field 'runId' ({other}) does not match the run in the path, {run_id}"),
            ))
        }
    }
    let message = match body.get("statusMessage") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(invalid(format!(
                "Field 'statusMessage' must be a string, got {}",
                json_kind(other)
            )))
        }
    };
    let terminal = match body.get("isStatusMessageTerminal") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(invalid(format!(
                "Field 'isStatusMessageTerminal' must be a boolean, got {}",
                json_kind(other)
            )))
        }
    };
    if terminal.is_some() && message.is_none() {
        return Err(ApiError::new(
            400,
            "cannot-set-is-status-message-terminal",
            "'isStatusMessageTerminal' can only be set together with 'statusMessage'",
        ));
    }
    let access = match body.get("generalAccess") {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) if GENERAL_ACCESS.contains(&a.as_str()) => Some(a.clone()),
        Some(other) => {
            return Err(invalid(format!(
                "Field 'generalAccess' must be one of {}, got {other}",
                GENERAL_ACCESS.join(", ")
            )))
        }
    };
    if message.is_none() && access.is_none() {
        return Err(invalid(
            "Nothing to update: set 'statusMessage' (with 'isStatusMessageTerminal') or 'generalAccess'",
        ));
    }
    let mut st = ctx.shared.lock();
    let run = st
        .runs
        .get_mut(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run", run_id))?;
    if let Some(m) = message {
        run.status_message = Some(m);
        run.is_status_message_terminal = terminal.unwrap_or(false);
    }
    if let Some(a) = access {
        run.extras.general_access = Some(a);
    }
    let reply = run_reply(&st, run_id);
    drop(st);
    ctx.shared.notify();
    reply
}

// ---------------------------------------------------------------- delete

/// `DELETE /v2/actor-runs/{runId}`: a finished run goes, with its default storages unless they
/// were given a name (a named storage is kept, as the platform keeps named storages).
fn delete(ctx: &Ctx, run_id: &str) -> ApiResult {
    let mut st = ctx.shared.lock();
    let run = st
        .runs
        .get(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run", run_id))?;
    if !run.status.is_terminal() {
        return Err(ApiError::new(
            400,
            "cannot-remove-running-run",
            format!(
                "Actor run {run_id} is {}; only a finished run can be deleted (abort it first)",
                run.status.as_str()
            ),
        ));
    }
    let (ds, kvs, queue) = (
        run.dataset_id.clone(),
        run.kvs_id.clone(),
        run.queue_id.clone(),
    );
    // Its usage stays billed: counted before its default storages go.
    super::users::keep_usage_of_deleted_run(&mut st, run_id);
    st.runs.remove(run_id);
    st.run_order.retain(|id| id != run_id);
    if st.datasets.get(&ds).is_some_and(|d| d.name.is_none()) {
        st.datasets.remove(&ds);
    }
    if st.stores.get(&kvs).is_some_and(|s| s.name.is_none()) {
        st.stores.remove(&kvs);
    }
    if st.queues.get(&queue).is_some_and(|q| q.name.is_none()) {
        st.queues.remove(&queue);
    }
    drop(st);
    ctx.shared.notify();
    Ok(Response::empty(204))
}

// ---------------------------------------------------------------- metamorph

/// `POST .../metamorph?targetActorId=&build=`: the run becomes a run of the target Actor with
/// the body as its new input (stored as `INPUT-METAMORPH-n`); it keeps its id and storages.
fn metamorph(ctx: &Ctx, run_id: &str) -> ApiResult {
    must_be_running(&ctx.shared.lock(), run_id, "be metamorphed")?;
    let Some(target_id) = ctx
        .query
        .get("targetActorId")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(ApiError::bad_parameter(
            "Query parameter 'targetActorId' (the Actor to metamorph into) is required",
        ));
    };
    let (act_id, defaults) = {
        let st = ctx.shared.lock();
        let idx = st
            .actor_index(target_id)
            .ok_or_else(|| ApiError::not_found("Actor", target_id))?;
        let a = &st.actors[idx];
        (a.id.clone(), a.default_run_options.clone())
    };
    let target = builds::start_target(ctx, &act_id, &defaults)?;
    let body = ctx.decoded_body()?;
    let content_type = ctx
        .req
        .header("content-type")
        .filter(|c| !c.trim().is_empty())
        .unwrap_or("application/json; charset=utf-8")
        .to_string();
    let is_json = content_type.to_ascii_lowercase().contains("json");
    let blank = body.iter().all(|b| b.is_ascii_whitespace());
    let input = if is_json {
        input_json(&body)?
    } else {
        Value::Null
    };
    let checked = builds::check_input(&target, &input, true)?;
    // As at a start: a user Actor's input record gets the schema's defaults.
    let record = if checked.defaults_added && !target.built_in && (blank || is_json) {
        Some((
            checked.input.to_string().into_bytes(),
            "application/json; charset=utf-8".to_string(),
        ))
    } else {
        (!blank).then_some((body, content_type))
    };
    let generation = {
        let mut st = ctx.shared.lock();
        must_be_running(&st, run_id, "be metamorphed")?;
        let target_name = definitions::actor(&st, &target.act_id)
            .map(|a| a.full_name())
            .unwrap_or_default();
        let run = st.runs.get_mut(run_id).expect("checked above");
        let key = format!("INPUT-METAMORPH-{}", run.extras.metamorphs.len() + 1);
        run.extras.metamorphs.push(Metamorph {
            created_at: now_millis(),
            actor_id: target.act_id.clone(),
            build_id: target.build_id.clone(),
            input_key: key.clone(),
        });
        run.act_id = target.act_id.clone();
        run.build_id = target.build_id.clone();
        run.build_number = target.build_number.clone();
        run.program = target.program;
        run.options.build = target.label.clone();
        run.generation += 1;
        let (generation, kvs) = (run.generation, run.kvs_id.clone());
        if let Some((bytes, ct)) = record {
            let _ = st.put_record(&kvs, &key, bytes, ct);
        }
        st.log(
            run_id,
            &format!(
                "ACTOR: Metamorphing into {target_name} (build {}), input in {key}.",
                target.build_number
            ),
        );
        generation
    };
    ctx.shared.notify();
    spawn_worker(
        ctx.shared,
        run_id,
        generation,
        target.program,
        checked.input,
    );
    run_reply(&ctx.shared.lock(), run_id)
}

// ---------------------------------------------------------------- reboot

/// `POST .../reboot`: the run's program starts over (same storages, same input).
fn reboot(ctx: &Ctx, run_id: &str) -> ApiResult {
    let (program, generation, input) = {
        let mut st = ctx.shared.lock();
        must_be_running(&st, run_id, "be rebooted")?;
        let input = current_input(&st, run_id);
        let run = st.runs.get_mut(run_id).expect("checked above");
        run.generation += 1;
        run.extras.reboot_count += 1;
        let out = (run.program, run.generation, input);
        st.log(run_id, "ACTOR: Rebooting the run's container.");
        out
    };
    ctx.shared.notify();
    spawn_worker(ctx.shared, run_id, generation, program, input);
    run_reply(&ctx.shared.lock(), run_id)
}

/// The input the run's current program reads: its `INPUT` record, or the last metamorph's.
pub(crate) fn current_input(st: &State, run_id: &str) -> Value {
    let Some(run) = st.runs.get(run_id) else {
        return Value::Null;
    };
    st.stores
        .get(&run.kvs_id)
        .and_then(|s| s.records.get(run.extras.input_key()))
        .filter(|r| r.content_type.to_ascii_lowercase().contains("json"))
        .and_then(|r| serde_json::from_slice(&r.data).ok())
        .unwrap_or(Value::Null)
}

// ---------------------------------------------------------------- charge

/// `POST /v2/actor-runs/{runId}/charge`: charges `count` events of the Actor's pay-per-event
/// pricing. A repeated `idempotency-key` charges once; a charge that would take the run past
/// its `maxTotalChargeUsd` is refused.
fn charge(ctx: &Ctx, run_id: &str) -> ApiResult {
    let body = match ctx.json_body()? {
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(invalid(format!(
                "The body must be a JSON object {{\"eventName\", \"count\"}}, got {}",
                json_kind(&other)
            )))
        }
        None => {
            return Err(invalid(
                "The body must be a JSON object {\"eventName\", \"count\"}",
            ))
        }
    };
    let event = match body.get("eventName") {
        Some(Value::String(e)) if !e.trim().is_empty() => e.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "Field 'eventName' must be a non-empty string, got {other}"
            )))
        }
        None => return Err(invalid("Field 'eventName' is required")),
    };
    let count = match body.get("count") {
        Some(c) => c.as_u64().filter(|c| *c >= 1).ok_or_else(|| {
            invalid(format!(
                "Field 'count' must be an integer of at least 1, got {c}"
            ))
        })?,
        None => return Err(invalid("Field 'count' is required")),
    };
    let key = match ctx.req.header("idempotency-key").map(str::trim) {
        None => None,
        Some(k) if !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY => Some(k.to_string()),
        Some(_) => {
            return Err(ApiError::new(
                400,
                "invalid-idempotency-key",
                format!(
                    "The idempotency-key header must hold 1 to {MAX_IDEMPOTENCY_KEY} characters"
                ),
            ))
        }
    };
    let mut st = ctx.shared.lock();
    let run = st
        .runs
        .get(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run", run_id))?;
    if key
        .as_ref()
        .is_some_and(|k| run.extras.idempotency_keys.contains(k))
    {
        // Already charged under this key: the retry answers as the first charge did.
        return Ok(json_response(201, &json!({})));
    }
    if run.status.is_terminal() {
        return Err(ApiError::new(
            400,
            "job-finished",
            format!(
                "Actor run {run_id} has finished ({}); only a run in progress can charge",
                run.status.as_str()
            ),
        ));
    }
    let unit = crate::emulator::pricing::event_price(st.run_pricing(run), &event)
        .map_err(|(kind, message)| ApiError::new(400, kind, message))?;
    let price = unit * count as f64;
    let total = run.extras.charged_usd + price;
    if let Some(max) = run.options.max_total_charge_usd {
        // A hair of slack, so that sums of decimal prices land on the limit.
        if total > max + 1e-9 {
            // 400, not 403: the token is fine, the request asks for too much.
            return Err(ApiError::new(
                400,
                "limit-reached",
                format!(
                    "Charging {count} × '{event}' ({} USD) would take run {run_id} to {} USD, over its maxTotalChargeUsd of {max} USD",
                    round_usd(price),
                    round_usd(total)
                ),
            )
            .with_data(json!({
                "maxTotalChargeUsd": max,
                "chargedUsd": round_usd(run.extras.charged_usd),
                "priceUsd": round_usd(price),
            })));
        }
    }
    let run = st.runs.get_mut(run_id).expect("checked above");
    let counts = &mut run.extras.charged_event_counts;
    let before = counts.get(&event).and_then(Value::as_u64).unwrap_or(0);
    counts.insert(event.clone(), json!(before + count));
    run.extras.charged_usd = total;
    if let Some(k) = key {
        run.extras.idempotency_keys.insert(k);
    }
    st.log(
        run_id,
        &format!(
            "ACTOR: Charged {count} × '{event}' ({} USD).",
            round_usd(price)
        ),
    );
    drop(st);
    ctx.shared.notify();
    Ok(json_response(201, &json!({})))
}
