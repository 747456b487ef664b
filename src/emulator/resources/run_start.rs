//! Starting a run (of an Actor or a task): the start request is checked whole before the run
//! and its storages are created and its worker started.

use serde_json::{Map, Value};

use crate::emulator::context::{input_json, Ctx};
use crate::emulator::programs::spawn_worker;
use crate::emulator::registry::{DEFAULT_MEMORY_MBYTES, DEFAULT_TIMEOUT_SECS};
use crate::emulator::reply::{data_response, json_kind, ApiError, ApiResult};
use crate::emulator::run_extras::RunExtras;
use crate::emulator::state::{AdHocWebhook, Run, RunOptions, Status};
use crate::emulator::util::{new_id, now_millis};
use crate::emulator::webhook_delivery;

use super::builds::{self, Target};
use super::definitions;
use super::runs::wait_for_run;

/// Everything a run start needs, checked before anything is created.
pub(crate) struct StartSpec {
    /// The Actor and the build the run uses.
    target: Target,
    task_id: Option<String>,
    /// The INPUT record to store (bytes and content type); `None` for an empty body.
    input_record: Option<(Vec<u8>, String)>,
    /// The input as the program reads it: a JSON object with the schema's defaults.
    input: Value,
    options: RunOptions,
    webhooks: Vec<AdHocWebhook>,
    pub(crate) wait_secs: u64,
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
    pub(crate) fn for_actor(ctx: &Ctx, act_id: &str) -> Result<StartSpec, ApiError> {
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

    pub(crate) fn for_task(ctx: &Ctx, task_id: &str) -> Result<StartSpec, ApiError> {
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
            Some(raw) => webhook_delivery::parse_param(raw)?,
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
pub(crate) fn start_run(ctx: &Ctx, spec: StartSpec) -> String {
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
        let queue_id = st.new_queue(None);
        if let Some(q) = st.queues.get_mut(&queue_id) {
            q.act_id = Some(act_id.clone());
            q.act_run_id = Some(run_id.clone());
        }
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
            let _ = st.put_record(&kvs_id, "INPUT", bytes, ct);
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
            extras: RunExtras::default(),
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
    webhook_delivery::fire(shared, &run_id, "ACTOR.RUN.CREATED");
    spawn_worker(shared, &run_id, generation, program, spec.input);
    run_id
}

pub(crate) fn start_response(ctx: &Ctx, spec: StartSpec) -> ApiResult {
    let wait = spec.wait_secs;
    let run_id = start_run(ctx, spec);
    let body = wait_for_run(ctx.shared, &run_id, wait)?;
    Ok(data_response(201, body).with_header(
        "Location",
        format!("{}/v2/actor-runs/{run_id}", ctx.shared.base_url),
    ))
}
