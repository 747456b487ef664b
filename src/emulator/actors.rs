//! Runs and tasks: starting (through the build a start names), waiting, run-sync, abort,
//! resurrect, logs, and the built-in programs that runs execute.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::builds::{self, Target};
use super::context::{paginate, Ctx};
use super::definitions;
use super::http::{Body, Response};
use super::registry::{Program, DEFAULT_MEMORY_MBYTES, DEFAULT_TIMEOUT_SECS};
use super::reply::{data_response, json_kind, ApiError, ApiResult};
use super::state::{AdHocWebhook, Item, Run, RunOptions, Shared, State, Status, Task};
use super::storage::{self, ItemsQuery};
use super::util::{iso_millis, new_id, now_millis};
use super::{versions, webhooks};

/// How often `restartOnError` restarts a failed run before it stays FAILED.
const MAX_RESTARTS_ON_ERROR: u64 = 2;

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}...", &s[..60])
    } else {
        s
    }
}

// ---------------------------------------------------------------- JSON views

fn task_json(st: &State, t: &Task) -> Value {
    let actor = st.actors.iter().find(|a| a.id == t.act_id);
    json!({
        "id": t.id,
        "userId": st.user.id,
        "actId": t.act_id,
        "actName": actor.map(|a| a.name.clone()),
        "actUsername": actor.map(|a| a.username.clone()),
        "name": t.name,
        "username": st.user.username,
        "title": t.title,
        "createdAt": iso_millis(t.created_at),
        "modifiedAt": iso_millis(t.modified_at),
        "stats": {"totalRuns": st.runs.values().filter(|r| r.task_id.as_deref() == Some(&t.id)).count()},
        "options": Value::Object(t.options.clone()),
        "input": t.input,
    })
}

// ---------------------------------------------------------------- routes

pub(crate) fn route_actor(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    let (id, rest) = match (m, rest) {
        ("GET", []) => return definitions::list_actors(ctx),
        ("POST", []) => return definitions::create_actor(ctx),
        (_, [id, rest @ ..]) => (*id, rest),
        _ => return Err(ApiError::no_route()),
    };
    let act_id = {
        let st = ctx.shared.lock();
        let idx = st
            .actor_index(id)
            .ok_or_else(|| ApiError::not_found("Actor", id))?;
        st.actors[idx].id.clone()
    };
    let act_id = act_id.as_str();
    match (m, rest) {
        ("POST", ["runs"]) => {
            let spec = StartSpec::for_actor(ctx, act_id)?;
            start_response(ctx, spec)
        }
        ("GET", ["runs"]) => list_runs(ctx, |r| r.act_id == act_id),
        (_, ["runs", "last", sub @ ..]) => {
            let run_id = last_run(ctx, |r| r.act_id == act_id)?;
            run_sub(ctx, m, &run_id, sub)
        }
        // The older paths of one run through its Actor (`actors_run_get`, `actors_run_abort_post`).
        (_, ["runs", run_id, sub @ ..]) => {
            let st = ctx.shared.lock();
            if st.runs.get(*run_id).is_none_or(|r| r.act_id != act_id) {
                return Err(ApiError::not_found("Actor run", run_id));
            }
            drop(st);
            run_sub(ctx, m, run_id, sub)
        }
        ("GET" | "POST", [sync @ ("run-sync" | "run-sync-get-dataset-items")]) => {
            let spec = StartSpec::for_actor(ctx, act_id)?;
            run_sync(ctx, spec, *sync == "run-sync")
        }
        (_, ["versions", ..]) => versions::route(ctx, m, act_id, rest),
        (_, ["builds", ..] | ["validate-input"]) => builds::route_actor(ctx, m, act_id, rest),
        _ => definitions::route(ctx, m, act_id, rest),
    }
}

pub(crate) fn route_task(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let st = ctx.shared.lock();
            let mut tasks: Vec<&Task> = st.tasks.values().collect();
            tasks.sort_by_key(|t| t.seq);
            let items = tasks
                .iter()
                .map(|t| {
                    let mut v = task_json(&st, t);
                    let o = v.as_object_mut().expect("object");
                    for k in ["options", "input", "title"] {
                        o.shift_remove(k);
                    }
                    v
                })
                .collect();
            drop(st);
            Ok(data_response(200, paginate(ctx, items)?))
        }
        ("POST", []) => create_task(ctx),
        (_, [id, rest @ ..]) => {
            let id = ctx
                .shared
                .lock()
                .task_id(id)
                .ok_or_else(|| ApiError::not_found("Actor task", id))?;
            task_sub(ctx, m, &id, rest)
        }
        _ => Err(ApiError::no_route()),
    }
}

fn check_task_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "invalid-value",
            format!("Task name '{name}' is invalid: use 1 to 63 letters, digits and hyphens"),
        ))
    }
}

/// Checks a task's `options` object: the TaskOptions fields with their types.
fn check_task_options(v: &Value) -> Result<Map<String, Value>, ApiError> {
    let obj = match v {
        Value::Null => return Ok(Map::new()),
        Value::Object(o) => o.clone(),
        other => {
            return Err(ApiError::new(
                400,
                "invalid-value",
                format!("Task 'options' must be an object, got {}", json_kind(other)),
            ))
        }
    };
    for (k, v) in &obj {
        let ok = v.is_null()
            || match k.as_str() {
                "build" => v.is_string(),
                "timeoutSecs" | "memoryMbytes" | "maxItems" => v.as_u64().is_some(),
                "maxTotalChargeUsd" => v.as_f64().is_some_and(|n| n >= 0.0),
                "restartOnError" => v.is_boolean(),
                _ => true,
            };
        if !ok {
            return Err(ApiError::new(
                400,
                "invalid-value",
                format!("Task option '{k}' has the wrong type: {}", short(v)),
            ));
        }
    }
    Ok(obj)
}

fn check_task_input(v: &Value) -> Result<Value, ApiError> {
    match v {
        Value::Null => Ok(json!({})),
        Value::Object(_) => Ok(v.clone()),
        other => Err(ApiError::new(
            400,
            "invalid-input",
            format!("Task input must be a JSON object, got {}", json_kind(other)),
        )),
    }
}

fn create_task(ctx: &Ctx) -> ApiResult {
    let body = ctx.json_object_body()?;
    let Some(act) = body.get("actId").and_then(Value::as_str) else {
        return Err(ApiError::new(
            400,
            "invalid-value",
            "Field 'actId' (the Actor's id or username~name) is required",
        ));
    };
    let name = match body.get("name") {
        Some(Value::String(n)) => n.clone(),
        None | Some(Value::Null) => format!("task-{}", new_id().to_lowercase()),
        Some(other) => {
            return Err(ApiError::new(
                400,
                "invalid-value",
                format!("Task 'name' must be a string, got {}", json_kind(other)),
            ))
        }
    };
    check_task_name(&name)?;
    let options = check_task_options(body.get("options").unwrap_or(&Value::Null))?;
    let input = check_task_input(body.get("input").unwrap_or(&Value::Null))?;
    let mut st = ctx.shared.lock();
    let idx = st
        .actor_index(act)
        .ok_or_else(|| ApiError::not_found("Actor", act))?;
    let act_id = st.actors[idx].id.clone();
    builds::check_task_input(&st, &act_id, &options, &input)?;
    if st.tasks.values().any(|t| t.name == name) {
        return Err(ApiError::new(
            400,
            "actor-task-name-not-unique",
            format!("A task named '{name}' already exists"),
        ));
    }
    let now = now_millis();
    st.seq += 1;
    let task = Task {
        id: new_id(),
        seq: st.seq,
        act_id,
        name,
        title: body
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_string),
        options,
        input,
        created_at: now,
        modified_at: now,
    };
    let out = task_json(&st, &task);
    let location = format!("{}/v2/actor-tasks/{}", ctx.shared.base_url, task.id);
    st.tasks.insert(task.id.clone(), task);
    Ok(data_response(201, out).with_header("Location", location))
}

fn task_sub(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let st = ctx.shared.lock();
            Ok(data_response(200, task_json(&st, &st.tasks[id])))
        }
        ("PUT", []) => {
            let body = ctx.json_object_body()?;
            let mut st = ctx.shared.lock();
            let mut task = st.tasks[id].clone();
            if let Some(n) = body.get("name") {
                let n = n.as_str().ok_or_else(|| {
                    ApiError::new(400, "invalid-value", "Task 'name' must be a string")
                })?;
                check_task_name(n)?;
                if st.tasks.values().any(|t| t.id != id && t.name == n) {
                    return Err(ApiError::new(
                        400,
                        "actor-task-name-not-unique",
                        format!("A task named '{n}' already exists"),
                    ));
                }
                task.name = n.to_string();
            }
            if let Some(o) = body.get("options") {
                task.options = check_task_options(o)?;
            }
            if let Some(i) = body.get("input") {
                task.input = check_task_input(i)?;
            }
            if body.contains_key("input") || body.contains_key("options") {
                builds::check_task_input(&st, &task.act_id, &task.options, &task.input)?;
            }
            if let Some(t) = body.get("title") {
                task.title = t.as_str().map(str::to_string);
            }
            task.modified_at = now_millis();
            let out = task_json(&st, &task);
            st.tasks.insert(id.to_string(), task);
            Ok(data_response(200, out))
        }
        ("DELETE", []) => {
            ctx.shared.lock().tasks.remove(id);
            Ok(Response::empty(204))
        }
        ("GET", ["input"]) => {
            let st = ctx.shared.lock();
            Ok(super::reply::json_response(200, &st.tasks[id].input))
        }
        ("PUT", ["input"]) => {
            let input = Value::Object(ctx.json_object_body()?);
            let mut st = ctx.shared.lock();
            let task = &st.tasks[id];
            builds::check_task_input(&st, &task.act_id, &task.options, &input)?;
            let task = st.tasks.get_mut(id).expect("task exists");
            task.input = input.clone();
            task.modified_at = now_millis();
            Ok(super::reply::json_response(200, &input))
        }
        ("POST", ["runs"]) => {
            let spec = StartSpec::for_task(ctx, id)?;
            start_response(ctx, spec)
        }
        ("GET", ["runs"]) => list_runs(ctx, |r| r.task_id.as_deref() == Some(id)),
        (_, ["runs", "last", sub @ ..]) => {
            let run_id = last_run(ctx, |r| r.task_id.as_deref() == Some(id))?;
            run_sub(ctx, m, &run_id, sub)
        }
        ("GET" | "POST", [sync @ ("run-sync" | "run-sync-get-dataset-items")]) => {
            let spec = StartSpec::for_task(ctx, id)?;
            run_sync(ctx, spec, *sync == "run-sync")
        }
        _ => Err(ApiError::no_route()),
    }
}

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

fn list_runs(ctx: &Ctx, keep: impl Fn(&Run) -> bool) -> ApiResult {
    let statuses = status_filter(ctx)?;
    let st = ctx.shared.lock();
    let items = st
        .run_order
        .iter()
        .filter_map(|id| st.runs.get(id))
        .filter(|r| keep(r))
        .filter(|r| statuses.as_ref().is_none_or(|s| s.contains(&r.status)))
        .map(|r| st.run_short_json(r))
        .collect();
    drop(st);
    Ok(data_response(200, paginate(ctx, items)?))
}

fn last_run(ctx: &Ctx, keep: impl Fn(&Run) -> bool) -> Result<String, ApiError> {
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
fn run_sub(ctx: &Ctx, m: &str, run_id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let wait = ctx.q_uint("waitForFinish")?.unwrap_or(0);
            Ok(data_response(200, wait_for_run(ctx.shared, run_id, wait)))
        }
        ("POST", ["abort"]) => abort(ctx, run_id),
        ("POST", ["resurrect"]) => resurrect(ctx, run_id),
        ("GET", ["log"]) => log_response(ctx, run_id),
        (_, ["dataset", sub @ ..]) => {
            let ds = ctx.shared.lock().runs[run_id].dataset_id.clone();
            storage::dataset_sub(ctx, m, &ds, sub)
        }
        (_, ["key-value-store", sub @ ..]) => {
            let kvs = ctx.shared.lock().runs[run_id].kvs_id.clone();
            storage::store_sub(ctx, m, &kvs, sub)
        }
        _ => Err(ApiError::no_route()),
    }
}

/// Long poll: holds up to `wait_secs` (capped by `--max-wait-secs`) or until the run is terminal.
fn wait_for_run(shared: &Arc<Shared>, run_id: &str, wait_secs: u64) -> Value {
    let cap = shared.config.max_wait_secs;
    let deadline = Instant::now() + Duration::from_secs(wait_secs.min(cap));
    let st = shared.lock();
    let st = shared.wait_until(st, deadline, |st| {
        st.runs.get(run_id).is_none_or(|r| r.status.is_terminal())
    });
    st.run_json(&st.runs[run_id])
}

// ---------------------------------------------------------------- starting runs

/// Everything a run start needs, checked before anything is created.
struct StartSpec {
    /// The Actor and the build the run uses.
    target: Target,
    task_id: Option<String>,
    /// The INPUT record to store (bytes and content type); `None` for an empty body.
    input_record: Option<(Vec<u8>, String)>,
    /// The input as the program reads it: a JSON object with the schema's defaults.
    input: Value,
    options: RunOptions,
    webhooks: Vec<AdHocWebhook>,
    wait_secs: u64,
}

/// The Actor's `defaultRunOptions` with a task's options laid over them.
fn run_defaults(ctx: &Ctx, act_id: &str, task_options: &Map<String, Value>) -> Map<String, Value> {
    let st = ctx.shared.lock();
    let mut out = definitions::actor(&st, act_id)
        .map(|a| a.default_run_options.clone())
        .unwrap_or_default();
    out.extend(task_options.iter().map(|(k, v)| (k.clone(), v.clone())));
    out.retain(|_, v| !v.is_null());
    out
}

impl StartSpec {
    fn for_actor(ctx: &Ctx, act_id: &str) -> Result<StartSpec, ApiError> {
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
            super::context::input_json(&body)?
        } else {
            Value::Null
        };
        let defaults = run_defaults(ctx, act_id, &Map::new());
        let target = builds::start_target(ctx, act_id, &defaults)?;
        let checked = builds::check_input(&target, &input, true)?;
        // A user Actor's INPUT gets the defaults, as on the platform; the built-ins keep the
        // bytes as sent (their programs apply the same defaults).
        let input_record = if checked.defaults_added && !target.built_in && (blank || is_json) {
            Some((
                checked.input.to_string().into_bytes(),
                "application/json; charset=utf-8".to_string(),
            ))
        } else {
            (!blank).then_some((body, content_type))
        };
        Self::finish(ctx, target, None, input_record, checked.input, &defaults)
    }

    fn for_task(ctx: &Ctx, task_id: &str) -> Result<StartSpec, ApiError> {
        let task = {
            let st = ctx.shared.lock();
            let task = st.tasks[task_id].clone();
            st.actor_index(&task.act_id)
                .ok_or_else(|| ApiError::not_found("Actor", &task.act_id))?;
            task
        };
        // The request's input overrides the task's, key by key.
        let mut merged = match &task.input {
            Value::Object(o) => o.clone(),
            _ => Map::new(),
        };
        match ctx.json_body()? {
            None => {}
            Some(Value::Object(o)) => merged.extend(o),
            Some(other) => {
                return Err(ApiError::new(
                    400,
                    "invalid-input",
                    format!(
                        "Input of a task run must be a JSON object, got {}",
                        json_kind(&other)
                    ),
                ))
            }
        }
        let input = Value::Object(merged);
        let defaults = run_defaults(ctx, &task.act_id, &task.options);
        let target = builds::start_target(ctx, &task.act_id, &defaults)?;
        let checked = builds::check_input(&target, &input, true)?;
        let stored = if target.built_in {
            &input
        } else {
            &checked.input
        };
        let record = (
            stored.to_string().into_bytes(),
            "application/json; charset=utf-8".to_string(),
        );
        Self::finish(
            ctx,
            target,
            Some(task.id.clone()),
            Some(record),
            checked.input,
            &defaults,
        )
    }

    fn finish(
        ctx: &Ctx,
        target: Target,
        task_id: Option<String>,
        input_record: Option<(Vec<u8>, String)>,
        input: Value,
        defaults: &Map<String, Value>,
    ) -> Result<StartSpec, ApiError> {
        let d_u64 = |k: &str| defaults.get(k).and_then(Value::as_u64);
        let memory = ctx
            .q_uint("memory")?
            .or(d_u64("memoryMbytes"))
            .unwrap_or(DEFAULT_MEMORY_MBYTES);
        if !(128..=32768).contains(&memory) || !memory.is_power_of_two() {
            return Err(ApiError::bad_parameter(format!(
                "'memory' must be a power of 2 between 128 and 32768 MB, got {memory}"
            )));
        }
        let webhooks = match ctx.query.get("webhooks").filter(|w| !w.is_empty()) {
            Some(raw) => webhooks::parse_param(raw)?,
            None => Vec::new(),
        };
        Ok(StartSpec {
            task_id,
            input_record,
            input,
            options: RunOptions {
                build: target.label.clone(),
                timeout_secs: ctx
                    .q_uint("timeout")?
                    .or(d_u64("timeoutSecs"))
                    .unwrap_or(DEFAULT_TIMEOUT_SECS),
                memory_mbytes: memory,
                max_items: ctx.q_uint("maxItems")?.or(d_u64("maxItems")),
                max_total_charge_usd: ctx
                    .q_number("maxTotalChargeUsd")?
                    .or(defaults.get("maxTotalChargeUsd").and_then(Value::as_f64)),
                restart_on_error: ctx
                    .q_bool("restartOnError")?
                    .or(defaults.get("restartOnError").and_then(Value::as_bool))
                    .unwrap_or(false),
            },
            webhooks,
            wait_secs: ctx.q_uint("waitForFinish")?.unwrap_or(0),
            target,
        })
    }
}

/// Creates the run and its storages and starts its worker. Returns the run id.
fn start_run(ctx: &Ctx, spec: StartSpec) -> String {
    let shared = ctx.shared;
    let run_id = new_id();
    let (program, generation) = {
        let mut st = shared.lock();
        let t = &spec.target;
        let (act_id, build_id, build_number, program) = (
            t.act_id.clone(),
            t.build_id.clone(),
            t.build_number.clone(),
            t.program,
        );
        let dataset_id = st.new_dataset(None);
        let kvs_id = st.new_store(None);
        let queue_id = st.new_queue();
        if let Some(ds) = st.datasets.get_mut(&dataset_id) {
            ds.act_id = Some(act_id.clone());
            ds.act_run_id = Some(run_id.clone());
            ds.max_items = spec.options.max_items;
        }
        if let Some(s) = st.stores.get_mut(&kvs_id) {
            s.act_id = Some(act_id.clone());
            s.act_run_id = Some(run_id.clone());
        }
        let input_body_len = spec.input_record.as_ref().map_or(0, |(b, _)| b.len());
        if let Some((bytes, ct)) = spec.input_record {
            let _ = storage::put_record(&mut st, &kvs_id, "INPUT", bytes, ct);
        }
        let run = Run {
            id: run_id.clone(),
            act_id,
            task_id: spec.task_id,
            status: Status::Ready,
            status_message: None,
            is_status_message_terminal: false,
            started_at: now_millis(),
            finished_at: None,
            exit_code: None,
            build_id,
            build_number,
            program,
            options: spec.options,
            dataset_id,
            kvs_id,
            queue_id,
            input_body_len,
            resurrect_count: 0,
            restart_count: 0,
            log: String::new(),
            webhooks: spec.webhooks,
            abort_requested: None,
            generation: 0,
            client_ip: ctx.req.peer.ip().to_string(),
            user_agent: if st.record_user_agent {
                ctx.req.header("user-agent").map(str::to_string)
            } else {
                None
            },
        };
        st.runs.insert(run_id.clone(), run);
        st.run_order.push(run_id.clone());
        st.log(
            &run_id,
            "ACTOR: Pulling container image of the emulated build.",
        );
        st.log(&run_id, "ACTOR: Creating run.");
        (program, 0)
    };
    webhooks::fire(shared, &run_id, "ACTOR.RUN.CREATED");
    spawn_worker(shared, &run_id, generation, program, spec.input);
    run_id
}

fn start_response(ctx: &Ctx, spec: StartSpec) -> ApiResult {
    let wait = spec.wait_secs;
    let run_id = start_run(ctx, spec);
    let body = wait_for_run(ctx.shared, &run_id, wait);
    Ok(data_response(201, body).with_header(
        "Location",
        format!("{}/v2/actor-runs/{run_id}", ctx.shared.base_url),
    ))
}

/// run-sync and run-sync-get-dataset-items: start, hold the request until the run is terminal.
fn run_sync(ctx: &Ctx, spec: StartSpec, output_record: bool) -> ApiResult {
    let record_key = ctx
        .query
        .get("outputRecordKey")
        .filter(|k| !k.is_empty())
        .unwrap_or("OUTPUT")
        .to_string();
    storage::check_record_key(&record_key)?;
    let items_query = if output_record {
        None
    } else {
        Some(ItemsQuery::parse(ctx)?)
    };
    let run_id = start_run(ctx, spec);
    let shared = ctx.shared;
    let deadline = Instant::now() + shared.config.sync_timeout;
    let st = shared.lock();
    let st = shared.wait_until(st, deadline, |st| st.runs[&run_id].status.is_terminal());
    let run = &st.runs[&run_id];
    if !run.status.is_terminal() {
        return Err(ApiError::new(
            408,
            "run-timeout-exceeded",
            format!(
                "The Actor run did not finish within {} seconds; it goes on running. Start runs that take longer asynchronously and wait for them.",
                shared.config.sync_timeout.as_secs_f64()
            ),
        ));
    }
    if run.status != Status::Succeeded {
        return Err(ApiError::new(
            400,
            "run-failed",
            format!(
                "Actor run {} did not succeed: it finished with status {}",
                run.id,
                run.status.as_str()
            ),
        )
        .with_data(json!({"runId": run.id, "runStatus": run.status.as_str()})));
    }
    let (kvs_id, ds_id) = (run.kvs_id.clone(), run.dataset_id.clone());
    match items_query {
        None => {
            let rec = st
                .stores
                .get(&kvs_id)
                .and_then(|s| s.records.get(&record_key))
                .cloned()
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        "record-not-found",
                        format!("Actor run {run_id} succeeded but stored no record '{record_key}'"),
                    )
                })?;
            drop(st);
            Ok(
                Response::bytes(201, &rec.content_type, rec.data.as_ref().clone())
                    .with_header("X-Apify-Run-Id", run_id),
            )
        }
        Some(q) => {
            drop(st);
            Ok(storage::items_response(shared, &ds_id, &q, 201)?
                .with_header("X-Apify-Run-Id", run_id))
        }
    }
}

// ---------------------------------------------------------------- abort, resurrect, logs

fn abort(ctx: &Ctx, run_id: &str) -> ApiResult {
    let gracefully = ctx.q_bool("gracefully")?.unwrap_or(false);
    let mut st = ctx.shared.lock();
    let run = st.runs.get_mut(run_id).expect("run exists");
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
        webhooks::fire(ctx.shared, run_id, "ACTOR.RUN.ABORTED");
    }
    Ok(data_response(200, body))
}

fn resurrect(ctx: &Ctx, run_id: &str) -> ApiResult {
    let (program, generation, input) = {
        let mut st = ctx.shared.lock();
        let run = &st.runs[run_id];
        if !run.status.is_terminal() {
            return Err(ApiError::bad_request(format!(
                "Actor run {run_id} is {}; only a finished run can be resurrected",
                run.status.as_str()
            )));
        }
        let kvs_id = run.kvs_id.clone();
        let program = run.program;
        let input = st
            .stores
            .get(&kvs_id)
            .and_then(|s| s.records.get("INPUT"))
            .filter(|r| r.content_type.to_ascii_lowercase().contains("json"))
            .and_then(|r| serde_json::from_slice(&r.data).ok())
            .unwrap_or(Value::Null);
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
    webhooks::fire(ctx.shared, run_id, "ACTOR.RUN.RESURRECTED");
    spawn_worker(ctx.shared, run_id, generation, program, input);
    let st = ctx.shared.lock();
    Ok(data_response(200, st.run_json(&st.runs[run_id])))
}

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

// ---------------------------------------------------------------- run workers

/// Marks a run terminal. The caller notifies waiters and fires webhooks after unlocking.
fn finish_run(st: &mut State, run_id: &str, status: Status, exit_code: Option<i64>) {
    let Some(run) = st.runs.get_mut(run_id) else {
        return;
    };
    run.status = status;
    run.finished_at = Some(now_millis());
    run.exit_code = exit_code;
    run.is_status_message_terminal = true;
    if run.status_message.is_none() {
        run.status_message = Some(
            match status {
                Status::Succeeded => "Finished!",
                Status::Failed => "The Actor failed.",
                Status::TimedOut => "The run timed out.",
                _ => "The run was aborted.",
            }
            .to_string(),
        );
    }
    let line = format!("ACTOR: Run finished with status {}.", status.as_str());
    st.log(run_id, &line);
}

/// Why a worker stopped before its program ended.
enum Interrupt {
    Aborted,
    TimedOut,
    /// The emulator stopped, or a resurrect or abort took the run over.
    Gone,
}

struct Worker {
    shared: Arc<Shared>,
    run_id: String,
    generation: u64,
    timeout_at: Option<Instant>,
}

impl Worker {
    /// Checks for abort, timeout and takeover; `Ok` when the program may go on.
    fn check(&self, st: &State) -> Result<(), Interrupt> {
        if self.shared.stop.load(Ordering::SeqCst) {
            return Err(Interrupt::Gone);
        }
        let Some(run) = st.runs.get(&self.run_id) else {
            return Err(Interrupt::Gone);
        };
        if run.generation != self.generation || run.status.is_terminal() {
            return Err(Interrupt::Gone);
        }
        if run.abort_requested.is_some() {
            return Err(Interrupt::Aborted);
        }
        if self.timeout_at.is_some_and(|t| Instant::now() >= t) {
            return Err(Interrupt::TimedOut);
        }
        Ok(())
    }

    /// Sleeps until `until`, waking for abort, timeout and takeover.
    fn sleep_until(&self, until: Instant) -> Result<(), Interrupt> {
        loop {
            {
                let st = self.shared.lock();
                self.check(&st)?;
                let now = Instant::now();
                if now >= until {
                    return Ok(());
                }
                let mut wake = until;
                if let Some(t) = self.timeout_at {
                    wake = wake.min(t);
                }
                // Woken by notify (abort) or at the deadline.
                let _st = self.shared.wait_until(st, wake, |st| {
                    st.runs.get(&self.run_id).is_none_or(|r| {
                        r.abort_requested.is_some() || r.generation != self.generation
                    })
                });
            }
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> Result<T, Interrupt> {
        let mut st = self.shared.lock();
        self.check(&st)?;
        Ok(f(&mut st))
    }
}

fn spawn_worker(
    shared: &Arc<Shared>,
    run_id: &str,
    generation: u64,
    program: Program,
    input: Value,
) {
    let shared = shared.clone();
    let run_id = run_id.to_string();
    let _ = thread::Builder::new()
        .name("emulator-run".into())
        .spawn(move || run_worker(shared, run_id, generation, program, input));
}

fn run_worker(
    shared: Arc<Shared>,
    run_id: String,
    generation: u64,
    program: Program,
    input: Value,
) {
    let timeout_secs = {
        let mut st = shared.lock();
        let Some(run) = st.runs.get_mut(&run_id) else {
            return;
        };
        if run.generation != generation || run.status.is_terminal() {
            return;
        }
        // A graceful abort that came while the run was READY keeps it ABORTING; the program's
        // first check then ends it.
        if run.abort_requested.is_none() {
            run.status = Status::Running;
        }
        let t = run.options.timeout_secs;
        st.log(&run_id, "ACTOR: Run started.");
        t
    };
    shared.notify();
    let worker = Worker {
        timeout_at: (timeout_secs > 0).then(|| Instant::now() + Duration::from_secs(timeout_secs)),
        shared,
        run_id,
        generation,
    };
    let outcome = loop {
        let result = match program {
            Program::HelloWorld => hello_world(&worker, &input),
            Program::Generator => generator(&worker, &input),
        };
        // restartOnError: a failed run starts over, up to MAX_RESTARTS_ON_ERROR times.
        if let Ok(Status::Failed) = result {
            let restarted = worker.with_state(|st| {
                let run = st.runs.get_mut(&worker.run_id).expect("run exists");
                if run.options.restart_on_error && run.restart_count < MAX_RESTARTS_ON_ERROR {
                    run.restart_count += 1;
                    st.log(
                        &worker.run_id,
                        "ACTOR: The run failed; restarting it (restartOnError).",
                    );
                    true
                } else {
                    false
                }
            });
            if restarted.unwrap_or(false) {
                continue;
            }
        }
        break result;
    };
    let (status, exit_code) = match outcome {
        Ok(Status::Succeeded) => (Status::Succeeded, Some(0)),
        Ok(_) => (Status::Failed, Some(1)),
        Err(Interrupt::Aborted) => (Status::Aborted, None),
        Err(Interrupt::TimedOut) => {
            // Not through `with_state`: its check reports the (passed) timeout again and the
            // run would stay RUNNING for ever. Only a takeover or an abort stops us here.
            {
                let mut st = worker.shared.lock();
                let run = match st.runs.get_mut(&worker.run_id) {
                    Some(r) if r.generation == worker.generation && !r.status.is_terminal() => r,
                    _ => return,
                };
                if run.abort_requested.is_none() {
                    run.status = Status::TimingOut;
                    st.log(
                        &worker.run_id,
                        "ACTOR: The run exceeded its timeout; timing out.",
                    );
                }
            }
            worker.shared.notify();
            thread::sleep(Duration::from_millis(50));
            (Status::TimedOut, None)
        }
        Err(Interrupt::Gone) => return,
    };
    {
        let mut st = worker.shared.lock();
        let run = &st.runs[&worker.run_id];
        if run.generation != worker.generation || run.status.is_terminal() {
            return;
        }
        // A graceful abort that arrived while the program was finishing still wins.
        let status = if run.abort_requested.is_some() {
            Status::Aborted
        } else {
            status
        };
        finish_run(&mut st, &worker.run_id, status, exit_code);
    }
    worker.shared.notify();
    let event = {
        let st = worker.shared.lock();
        st.runs[&worker.run_id].status.event_type()
    };
    if let Some(event) = event {
        webhooks::fire(&worker.shared, &worker.run_id, event);
    }
}

fn hello_world(w: &Worker, input: &Value) -> Result<Status, Interrupt> {
    let message = input
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Hello, world!");
    let item = json!({ "message": message });
    w.with_state(|st| {
        let run = &st.runs[&w.run_id];
        let (ds, kvs) = (run.dataset_id.clone(), run.kvs_id.clone());
        let obj = item.as_object().expect("object");
        st.push_items(&ds, vec![Item::from_object(obj)]);
        let _ = storage::put_record(
            st,
            &kvs,
            "OUTPUT",
            item.to_string().into_bytes(),
            "application/json; charset=utf-8".into(),
        );
        st.log(&w.run_id, &format!("apify/hello-world: {message}"));
    })?;
    Ok(Status::Succeeded)
}

fn generator(w: &Worker, input: &Value) -> Result<Status, Interrupt> {
    let u = |k: &str, d: u64| input.get(k).and_then(Value::as_u64).unwrap_or(d);
    let count = u("count", 10);
    let item_bytes = u("itemBytes", 0) as usize;
    let empty_every = u("emptyEvery", 0);
    let hidden = input
        .get("hidden")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let duration = input
        .get("durationSecs")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let failed = input.get("outcome").and_then(Value::as_str) == Some("FAILED");
    let records = u("records", 0);
    let log_lines = u("logLines", 3);
    let text = "x".repeat(item_bytes);
    let make_item = |i: u64| -> Item {
        if empty_every > 0 && (i + 1) % empty_every == 0 {
            return Item {
                json: "{}".into(),
                empty: true,
                hidden: false,
            };
        }
        let json = if hidden {
            format!("{{\"index\":{i},\"text\":\"{text}\",\"#debug\":{{\"index\":{i}}}}}")
        } else {
            format!("{{\"index\":{i},\"text\":\"{text}\"}}")
        };
        Item {
            json: json.into(),
            empty: false,
            hidden,
        }
    };
    let (dataset_id, kvs_id) = w.with_state(|st| {
        let run = st.runs.get_mut(&w.run_id).expect("run exists");
        if let Some(m) = input.get("statusMessage").and_then(Value::as_str) {
            run.status_message = Some(m.to_string());
        }
        let ids = (run.dataset_id.clone(), run.kvs_id.clone());
        for i in 0..log_lines {
            st.log(&w.run_id, &format!("emulator/generator: log line {i}"));
        }
        ids
    })?;
    w.shared.notify();
    let started = Instant::now();
    if duration <= 0.0 {
        const BATCH: u64 = 10_000;
        let mut i = 0;
        while i < count {
            let end = (i + BATCH).min(count);
            let batch: Vec<Item> = (i..end).map(make_item).collect();
            w.with_state(|st| st.push_items(&dataset_id, batch))?;
            i = end;
        }
    } else {
        let total = Duration::from_secs_f64(duration);
        for i in 0..count {
            let at = started + total.mul_f64((i + 1) as f64 / count as f64);
            w.sleep_until(at)?;
            let item = make_item(i);
            w.with_state(|st| st.push_items(&dataset_id, vec![item]))?;
        }
        w.sleep_until(started + total)?;
    }
    let output = match (
        input.get("outputText").and_then(Value::as_str),
        input.get("output"),
    ) {
        (Some(t), _) => (
            t.as_bytes().to_vec(),
            input
                .get("outputContentType")
                .and_then(Value::as_str)
                .unwrap_or("text/plain; charset=utf-8")
                .to_string(),
        ),
        (None, Some(v)) if !v.is_null() => (
            v.to_string().into_bytes(),
            "application/json; charset=utf-8".to_string(),
        ),
        _ => (
            json!({ "count": count }).to_string().into_bytes(),
            "application/json; charset=utf-8".to_string(),
        ),
    };
    w.with_state(|st| {
        for r in 0..records {
            let _ = storage::put_record(
                st,
                &kvs_id,
                &format!("record-{r:05}"),
                json!({ "index": r }).to_string().into_bytes(),
                "application/json; charset=utf-8".into(),
            );
        }
        let _ = storage::put_record(st, &kvs_id, "OUTPUT", output.0, output.1);
        let pushed = st.datasets.get(&dataset_id).map_or(0, |d| d.items.len());
        st.log(
            &w.run_id,
            &format!("emulator/generator: dataset holds {pushed} items; done."),
        );
    })?;
    Ok(if failed {
        Status::Failed
    } else {
        Status::Succeeded
    })
}
