//! Actor tasks: an Actor with saved input and options; their runs go through the run rooms.

use serde_json::{json, Map, Value};

use crate::emulator::context::{paginate, Ctx};
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, json_kind, json_response, ApiError, ApiResult};
use crate::emulator::state::{State, Task};
use crate::emulator::util::{iso_millis, new_id, now_millis};

use super::builds;
use super::run_start::{start_response, StartSpec};
use super::run_sync::run_sync;
use super::runs::{last_run, list_runs, run_sub};

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}...", &s[..60])
    } else {
        s
    }
}

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

/// Checks a task's `options` object (also a schedule action's `runOptions`, which `what` then
/// names): the TaskOptions fields with their types.
pub(crate) fn check_task_options(v: &Value, what: &str) -> Result<Map<String, Value>, ApiError> {
    let obj = match v {
        Value::Null => return Ok(Map::new()),
        Value::Object(o) => o.clone(),
        other => {
            return Err(ApiError::new(
                400,
                "invalid-value",
                format!("{what} must be an object, got {}", json_kind(other)),
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
                format!("{what}: '{k}' has the wrong type: {}", short(v)),
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
    let options = check_task_options(
        body.get("options").unwrap_or(&Value::Null),
        "Task 'options'",
    )?;
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
                task.options = check_task_options(o, "Task 'options'")?;
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
            Ok(json_response(200, &st.tasks[id].input))
        }
        ("PUT", ["input"]) => {
            let input = Value::Object(ctx.json_object_body()?);
            let mut st = ctx.shared.lock();
            let task = &st.tasks[id];
            builds::check_task_input(&st, &task.act_id, &task.options, &input)?;
            let task = st.tasks.get_mut(id).expect("task exists");
            task.input = input.clone();
            task.modified_at = now_millis();
            Ok(json_response(200, &input))
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
