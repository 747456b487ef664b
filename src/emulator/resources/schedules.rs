//! Schedules: a cron expression in a time zone and the Actor or task runs it starts. The
//! expression and the zone are checked (see `cron`), `nextRunAt` is computed from them, and
//! every action's Actor or task must exist. Firing is `schedule_fire`'s.

use serde_json::{json, Map, Value};

use crate::emulator::context::{paginate, Ctx};
use crate::emulator::cron::{timezone_offset, Cron};
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, json_kind, ApiError, ApiResult};
use crate::emulator::schedule_state::{ActionTarget, Schedule, ScheduleAction};
use crate::emulator::state::State;
use crate::emulator::util::{is_valid_name, iso_millis, new_id, now_millis};

use super::tasks::check_task_options;

pub(crate) fn route_schedules(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let st = ctx.shared.lock();
            let now = now_millis();
            let mut list: Vec<&Schedule> = st.schedules.iter().collect();
            list.sort_by_key(|s| s.seq);
            let items = list.iter().map(|s| short_json(&st, s, now)).collect();
            drop(st);
            Ok(data_response(200, paginate(ctx, items)?))
        }
        ("POST", []) => create(ctx),
        (_, [id, rest @ ..]) => {
            let id = {
                let st = ctx.shared.lock();
                find(&st, id).ok_or_else(|| ApiError::not_found("Schedule", id))?
            };
            one(ctx, m, &id, rest)
        }
        _ => Err(ApiError::no_route()),
    }
}

/// A schedule by id or `username~name` (or its bare name).
pub(crate) fn find(st: &State, id: &str) -> Option<String> {
    let id = id.replace('/', "~");
    let name = match id.split_once('~') {
        Some((user, name)) if user == st.user.username => name,
        Some(_) => return None,
        None => id.as_str(),
    };
    st.schedules
        .iter()
        .find(|s| s.id == id || s.name == name)
        .map(|s| s.id.clone())
}

fn one(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let st = ctx.shared.lock();
            let s = st.schedules.iter().find(|s| s.id == id).expect("found");
            Ok(data_response(200, full_json(&st, s, now_millis())))
        }
        ("PUT", []) => update(ctx, id),
        ("DELETE", []) => {
            ctx.shared.lock().schedules.retain(|s| s.id != id);
            Ok(Response::empty(204))
        }
        ("GET", ["log"]) => {
            let st = ctx.shared.lock();
            let s = st.schedules.iter().find(|s| s.id == id).expect("found");
            let log = s
                .log
                .iter()
                .map(|e| json!({"message": e.message, "level": e.level, "createdAt": iso_millis(e.created_at)}))
                .collect();
            Ok(data_response(200, Value::Array(log)))
        }
        _ => Err(ApiError::no_route()),
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::new(400, "invalid-value", message)
}

/// An optional string field: absent or null is `None`, anything but a string is refused.
fn opt_string(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid(format!(
            "Schedule '{key}' must be a string, got {}",
            json_kind(other)
        ))),
    }
}

fn opt_bool(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid(format!(
            "Schedule '{key}' must be a boolean, got {}",
            json_kind(other)
        ))),
    }
}

fn check_cron(expression: &str) -> Result<Cron, ApiError> {
    let refused = |why: String| {
        ApiError::new(
            400,
            "cron-expression-invalid",
            format!("Cron expression '{expression}' is invalid: {why}"),
        )
    };
    let cron = Cron::parse(expression).map_err(refused)?;
    if cron.next_after(now_millis(), 0).is_none() {
        return Err(refused("it matches no date".into()));
    }
    Ok(cron)
}

fn check_timezone(zone: &str) -> Result<i32, ApiError> {
    timezone_offset(zone).map_err(|why| invalid(format!("Schedule 'timezone' is invalid: {why}")))
}

fn check_name(st: &State, name: &str, own_id: Option<&str>) -> Result<(), ApiError> {
    if !is_valid_name(name) {
        return Err(invalid(format!(
            "Schedule name '{name}' is invalid: use 1 to 63 letters, digits and hyphens (not at either end)"
        )));
    }
    if st
        .schedules
        .iter()
        .any(|s| s.name == name && Some(s.id.as_str()) != own_id)
    {
        return Err(ApiError::new(
            400,
            "schedule-name-not-unique",
            format!("A schedule named '{name}' already exists"),
        ));
    }
    Ok(())
}

/// The `actions` array, each checked and its Actor or task looked up (stored by id).
fn check_actions(st: &State, v: &Value) -> Result<Vec<ScheduleAction>, ApiError> {
    let list = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) => list,
        other => {
            return Err(invalid(format!(
                "Schedule 'actions' must be an array, got {}",
                json_kind(other)
            )))
        }
    };
    let mut out = Vec::new();
    for (i, action) in list.iter().enumerate() {
        let Some(a) = action.as_object() else {
            return Err(invalid(format!(
                "Schedule action {i} must be an object, got {}",
                json_kind(action)
            )));
        };
        let field = |k: &str| a.get(k).and_then(Value::as_str);
        let what = match field("type") {
            Some("RUN_ACTOR") => {
                let id = field("actorId").ok_or_else(|| {
                    invalid(format!("Schedule action {i} (RUN_ACTOR) needs 'actorId'"))
                })?;
                let idx = st.actor_index(id).ok_or_else(|| {
                    ApiError::new(
                        404,
                        "schedule-actor-not-found",
                        format!("Schedule action {i}: Actor '{id}' was not found"),
                    )
                })?;
                ActionTarget::Actor {
                    actor_id: st.actors[idx].id.clone(),
                    run_input: check_run_input(i, a.get("runInput"))?,
                    run_options: match a.get("runOptions") {
                        None | Some(Value::Null) => None,
                        Some(o) => Some(Value::Object(check_task_options(
                            o,
                            &format!("Schedule action {i} 'runOptions'"),
                        )?)),
                    },
                }
            }
            Some("RUN_ACTOR_TASK") => {
                let id = field("actorTaskId").ok_or_else(|| {
                    invalid(format!(
                        "Schedule action {i} (RUN_ACTOR_TASK) needs 'actorTaskId'"
                    ))
                })?;
                let task_id = st.task_id(id).ok_or_else(|| {
                    ApiError::new(
                        404,
                        "schedule-actor-task-not-found",
                        format!("Schedule action {i}: task '{id}' was not found"),
                    )
                })?;
                let input = match a.get("input") {
                    None | Some(Value::Null) => None,
                    Some(v @ Value::Object(_)) => Some(v.clone()),
                    Some(other) => {
                        return Err(invalid(format!(
                            "Schedule action {i} 'input' must be an object, got {}",
                            json_kind(other)
                        )))
                    }
                };
                ActionTarget::Task { task_id, input }
            }
            Some(other) => {
                return Err(invalid(format!(
                    "Schedule action {i} has type '{other}'; it must be RUN_ACTOR or RUN_ACTOR_TASK"
                )))
            }
            None => {
                return Err(invalid(format!(
                    "Schedule action {i} needs a 'type' (RUN_ACTOR or RUN_ACTOR_TASK)"
                )))
            }
        };
        out.push(ScheduleAction { id: new_id(), what });
    }
    Ok(out)
}

/// An Actor action's `runInput`: `{"body": string, "contentType": string}`, a JSON body that
/// parses when the content type says JSON.
fn check_run_input(i: usize, v: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let o = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(invalid(format!(
            "Schedule action {i} 'runInput' must be an object with body and contentType, got {}",
            json_kind(other)
        )))
        }
    };
    for key in ["body", "contentType"] {
        if !matches!(
            o.get(key),
            None | Some(Value::Null) | Some(Value::String(_))
        ) {
            return Err(invalid(format!(
                "Schedule action {i} 'runInput.{key}' must be a string"
            )));
        }
    }
    let content_type = o.get("contentType").and_then(Value::as_str).unwrap_or("");
    if let (true, Some(body)) = (
        content_type.to_ascii_lowercase().contains("json"),
        o.get("body").and_then(Value::as_str),
    ) {
        serde_json::from_str::<Value>(body).map_err(|e| {
            invalid(format!(
                "Schedule action {i} 'runInput.body' is not valid JSON: {e}"
            ))
        })?;
    }
    Ok(Some(Value::Object(o.clone())))
}

fn create(ctx: &Ctx) -> ApiResult {
    let body = ctx.json_object_body()?;
    let Some(cron_expression) = opt_string(&body, "cronExpression")? else {
        return Err(invalid(
            "Schedule 'cronExpression' is required (e.g. '0 8 * * *' or '@daily')".into(),
        ));
    };
    check_cron(&cron_expression)?;
    let timezone = opt_string(&body, "timezone")?.unwrap_or_else(|| "UTC".into());
    check_timezone(&timezone)?;
    let now = now_millis();
    let mut st = ctx.shared.lock();
    let name = opt_string(&body, "name")?
        .unwrap_or_else(|| format!("schedule-{}", new_id().to_lowercase()));
    check_name(&st, &name, None)?;
    let actions = check_actions(&st, body.get("actions").unwrap_or(&Value::Null))?;
    st.seq += 1;
    let mut schedule = Schedule {
        id: new_id(),
        seq: st.seq,
        name,
        title: opt_string(&body, "title")?,
        description: opt_string(&body, "description")?,
        cron_expression,
        timezone,
        is_enabled: opt_bool(&body, "isEnabled")?.unwrap_or(true),
        is_exclusive: opt_bool(&body, "isExclusive")?.unwrap_or(false),
        notify_by_email: notify_by_email(&body)?.unwrap_or(true),
        actions,
        created_at: now,
        modified_at: now,
        last_run_at: None,
        next_fire: None,
        log: Vec::new(),
        last_runs: Vec::new(),
    };
    schedule.next_fire = next_fire(&schedule, now);
    let out = full_json(&st, &schedule, now);
    let location = format!("{}/v2/schedules/{}", ctx.shared.base_url, schedule.id);
    st.schedules.push(schedule);
    Ok(data_response(201, out).with_header("Location", location))
}

/// `notifications.email`, if given.
fn notify_by_email(body: &Map<String, Value>) -> Result<Option<bool>, ApiError> {
    match body.get("notifications") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(n)) => match n.get("email") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(invalid(format!(
                "Schedule 'notifications.email' must be a boolean, got {}",
                json_kind(other)
            ))),
        },
        Some(other) => Err(invalid(format!(
            "Schedule 'notifications' must be an object, got {}",
            json_kind(other)
        ))),
    }
}

/// Changes the fields the body has; the rest stay.
fn update(ctx: &Ctx, id: &str) -> ApiResult {
    let body = ctx.json_object_body()?;
    let mut st = ctx.shared.lock();
    let mut s = st
        .schedules
        .iter()
        .find(|s| s.id == id)
        .expect("found")
        .clone();
    if let Some(name) = opt_string(&body, "name")? {
        check_name(&st, &name, Some(id))?;
        s.name = name;
    }
    if let Some(expression) = opt_string(&body, "cronExpression")? {
        check_cron(&expression)?;
        s.cron_expression = expression;
    }
    if let Some(zone) = opt_string(&body, "timezone")? {
        check_timezone(&zone)?;
        s.timezone = zone;
    }
    if let Some(actions) = body.get("actions") {
        s.actions = check_actions(&st, actions)?;
    }
    if body.contains_key("title") {
        s.title = opt_string(&body, "title")?;
    }
    if body.contains_key("description") {
        s.description = opt_string(&body, "description")?;
    }
    if let Some(b) = opt_bool(&body, "isEnabled")? {
        s.is_enabled = b;
    }
    if let Some(b) = opt_bool(&body, "isExclusive")? {
        s.is_exclusive = b;
    }
    if let Some(b) = notify_by_email(&body)? {
        s.notify_by_email = b;
    }
    let now = now_millis();
    s.modified_at = now;
    s.next_fire = next_fire(&s, now);
    let out = full_json(&st, &s, now);
    let slot = st.schedules.iter_mut().find(|x| x.id == id).expect("found");
    *slot = s;
    Ok(data_response(200, out))
}

/// The first time after `now` the schedule fires (`None` when disabled).
pub(crate) fn next_fire(s: &Schedule, now: u64) -> Option<u64> {
    if !s.is_enabled {
        return None;
    }
    // Both were checked when stored.
    let offset = timezone_offset(&s.timezone).unwrap_or(0);
    Cron::parse(&s.cron_expression)
        .ok()
        .and_then(|c| c.next_after(now, offset))
}

/// `nextRunAt`: the pending firing, or (should the firing thread lag) the next one after now.
fn next_run_at(s: &Schedule, now: u64) -> Value {
    let next = match s.next_fire {
        Some(t) if t > now => Some(t),
        _ => next_fire(s, now),
    };
    next.map_or(Value::Null, |t| Value::String(iso_millis(t)))
}

fn base_json(st: &State, s: &Schedule, now: u64) -> Map<String, Value> {
    let v = json!({
        "id": s.id,
        "userId": st.user.id,
        "name": s.name,
        "cronExpression": s.cron_expression,
        "timezone": s.timezone,
        "isEnabled": s.is_enabled,
        "isExclusive": s.is_exclusive,
        "createdAt": iso_millis(s.created_at),
        "modifiedAt": iso_millis(s.modified_at),
        "nextRunAt": next_run_at(s, now),
        "lastRunAt": s.last_run_at.map(iso_millis),
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

/// A list item: the base fields and each action's id, type and target.
fn short_json(st: &State, s: &Schedule, now: u64) -> Value {
    let mut m = base_json(st, s, now);
    let actions = s
        .actions
        .iter()
        .map(|a| match &a.what {
            ActionTarget::Actor { actor_id, .. } => {
                json!({"id": a.id, "type": "RUN_ACTOR", "actorId": actor_id})
            }
            ActionTarget::Task { task_id, .. } => {
                json!({"id": a.id, "type": "RUN_ACTOR_TASK", "actorTaskId": task_id})
            }
        })
        .collect();
    m.insert("actions".into(), Value::Array(actions));
    Value::Object(m)
}

/// The whole schedule.
fn full_json(st: &State, s: &Schedule, now: u64) -> Value {
    let mut m = base_json(st, s, now);
    m.insert("title".into(), json!(s.title));
    m.insert("description".into(), json!(s.description));
    m.insert("notifications".into(), json!({"email": s.notify_by_email}));
    let actions = s
        .actions
        .iter()
        .map(|a| match &a.what {
            ActionTarget::Actor {
                actor_id,
                run_input,
                run_options,
            } => json!({"id": a.id, "type": "RUN_ACTOR", "actorId": actor_id,
                        "runInput": run_input, "runOptions": run_options}),
            ActionTarget::Task { task_id, input } => {
                json!({"id": a.id, "type": "RUN_ACTOR_TASK", "actorTaskId": task_id, "input": input})
            }
        })
        .collect();
    m.insert("actions".into(), Value::Array(actions));
    Value::Object(m)
}
