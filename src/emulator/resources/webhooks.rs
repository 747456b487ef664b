//! Webhooks as resources: `/v2/webhooks` (create, list, get, update, delete, test, dispatches),
//! `/v2/webhook-dispatches` and the Actor and task scoped webhook lists. Delivery lives in
//! `webhook_delivery`; this room keeps the objects and answers for them.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::emulator::context::{paginate, Ctx};
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::state::State;
use crate::emulator::util::{encode_segment, iso_millis, new_id, now_millis};
use crate::emulator::webhook_delivery::{self, check_loopback_url, EVENT_TYPES};
use crate::emulator::webhook_state::{AdHocWebhook, Dispatch, Webhook, WebhookCondition};

/// Build events of the spec: a webhook may subscribe to them, though the emulator fires none.
const BUILD_EVENT_TYPES: &[&str] = &[
    "ACTOR.BUILD.CREATED",
    "ACTOR.BUILD.SUCCEEDED",
    "ACTOR.BUILD.FAILED",
    "ACTOR.BUILD.TIMED_OUT",
    "ACTOR.BUILD.ABORTED",
];

/// How long `POST /v2/webhooks/{id}/test` waits for the first attempt before it answers.
const TEST_WAIT: Duration = Duration::from_secs(10);

/// `/v2/webhooks/...`.
pub(crate) fn route_webhooks(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let st = ctx.shared.lock();
            let items = st.webhooks.iter().map(|w| webhook_json(&st, w)).collect();
            drop(st);
            Ok(data_response(200, paginate(ctx, items)?))
        }
        ("POST", []) => create(ctx),
        ("GET" | "PUT" | "DELETE", [id]) | ("POST", [id, "test"]) | ("GET", [id, "dispatches"]) => {
            if !ctx.shared.lock().webhooks.iter().any(|w| w.hook.id == *id) {
                return Err(ApiError::not_found("Webhook", id));
            }
            match (m, &rest[1..]) {
                ("GET", []) => {
                    let st = ctx.shared.lock();
                    let w = find(&st, id)?;
                    Ok(data_response(200, webhook_json(&st, w)))
                }
                ("PUT", []) => update(ctx, id),
                ("DELETE", []) => {
                    ctx.shared.lock().webhooks.retain(|w| w.hook.id != *id);
                    Ok(Response::empty(204))
                }
                ("POST", ["test"]) => test(ctx, id),
                _ => {
                    let st = ctx.shared.lock();
                    let items = st
                        .dispatches
                        .iter()
                        .filter(|d| d.webhook_id == *id)
                        .map(|d| dispatch_json(&st, d))
                        .collect();
                    drop(st);
                    Ok(data_response(200, paginate(ctx, items)?))
                }
            }
        }
        _ => Err(ApiError::no_route()),
    }
}

/// `/v2/webhook-dispatches/...`: every dispatch of the user, ad-hoc webhooks' included.
pub(crate) fn route_dispatches(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let st = ctx.shared.lock();
            let items = st
                .dispatches
                .iter()
                .map(|d| dispatch_json(&st, d))
                .collect();
            drop(st);
            Ok(data_response(200, paginate(ctx, items)?))
        }
        ("GET", [id]) => {
            let st = ctx.shared.lock();
            let d = st
                .dispatches
                .iter()
                .find(|d| d.id == *id)
                .ok_or_else(|| ApiError::not_found("Webhook dispatch", id))?;
            Ok(data_response(200, dispatch_json(&st, d)))
        }
        _ => Err(ApiError::no_route()),
    }
}

/// `GET /v2/acts/{actorId}/webhooks`: the webhooks whose condition names the Actor.
pub(crate) fn actor_webhooks(ctx: &Ctx, m: &str, actor: &str) -> ApiResult {
    if m != "GET" {
        return Err(ApiError::no_route());
    }
    let st = ctx.shared.lock();
    let idx = st
        .actor_index(actor)
        .ok_or_else(|| ApiError::not_found("Actor", actor))?;
    let act_id = st.actors[idx].id.clone();
    let items = st
        .webhooks
        .iter()
        .filter(|w| w.condition.actor_id.as_deref() == Some(act_id.as_str()))
        .map(|w| webhook_json(&st, w))
        .collect();
    drop(st);
    Ok(data_response(200, paginate(ctx, items)?))
}

/// `GET /v2/actor-tasks/{actorTaskId}/webhooks`: the webhooks whose condition names the task.
pub(crate) fn task_webhooks(ctx: &Ctx, m: &str, task: &str) -> ApiResult {
    if m != "GET" {
        return Err(ApiError::no_route());
    }
    let st = ctx.shared.lock();
    let task_id = st
        .task_id(task)
        .ok_or_else(|| ApiError::not_found("Actor task", task))?;
    let items = st
        .webhooks
        .iter()
        .filter(|w| w.condition.task_id.as_deref() == Some(task_id.as_str()))
        .map(|w| webhook_json(&st, w))
        .collect();
    drop(st);
    Ok(data_response(200, paginate(ctx, items)?))
}

fn find<'a>(st: &'a State, id: &str) -> Result<&'a Webhook, ApiError> {
    st.webhooks
        .iter()
        .find(|w| w.hook.id == id)
        .ok_or_else(|| ApiError::not_found("Webhook", id))
}

fn create(ctx: &Ctx) -> ApiResult {
    let body = ctx.json_object_body()?;
    let mut st = ctx.shared.lock();
    let now = now_millis();
    let mut w = Webhook {
        hook: AdHocWebhook {
            id: new_id(),
            event_types: Vec::new(),
            request_url: String::new(),
            payload_template: None,
            headers_template: None,
            idempotency_key: None,
            do_not_retry: false,
            description: None,
            should_interpolate_strings: false,
            ignore_ssl_errors: false,
        },
        is_ad_hoc: false,
        condition: WebhookCondition::default(),
        created_at: now,
        modified_at: now,
    };
    apply(&st, &mut w, &body)?;
    w.hook.idempotency_key = optional_text(&body, "idempotencyKey")?;
    for (field, missing) in [
        ("eventTypes", w.hook.event_types.is_empty()),
        ("condition", w.condition == WebhookCondition::default()),
        ("requestUrl", w.hook.request_url.is_empty()),
    ] {
        if missing {
            return Err(invalid(format!("Field '{field}' is required")));
        }
    }
    // The same idempotency key answers the webhook the first request created.
    let existing = w.hook.idempotency_key.as_ref().and_then(|key| {
        st.webhooks
            .iter()
            .position(|o| o.hook.idempotency_key.as_ref() == Some(key))
    });
    let idx = match existing {
        Some(i) => i,
        None => {
            st.webhooks.push(w);
            st.webhooks.len() - 1
        }
    };
    let w = &st.webhooks[idx];
    let location = format!(
        "{}/v2/webhooks/{}",
        ctx.shared.base_url,
        encode_segment(&w.hook.id)
    );
    Ok(data_response(201, webhook_json(&st, w)).with_header("Location", location))
}

fn update(ctx: &Ctx, id: &str) -> ApiResult {
    let body = ctx.json_object_body()?;
    let mut st = ctx.shared.lock();
    let mut w = find(&st, id)?.clone();
    apply(&st, &mut w, &body)?;
    w.modified_at = now_millis();
    let out = webhook_json(&st, &w);
    if let Some(slot) = st.webhooks.iter_mut().find(|o| o.hook.id == id) {
        *slot = w;
    }
    Ok(data_response(200, out))
}

fn test(ctx: &Ctx, id: &str) -> ApiResult {
    let dispatch_id = webhook_delivery::fire_test(ctx.shared, id)
        .ok_or_else(|| ApiError::not_found("Webhook", id))?;
    // Answer once the first attempt is recorded, so that the answer tells how the receiver took
    // it; a slow receiver gets an ACTIVE dispatch without calls.
    let st = ctx
        .shared
        .wait_until(ctx.shared.lock(), Instant::now() + TEST_WAIT, |st| {
            st.dispatches
                .iter()
                .any(|d| d.id == dispatch_id && !d.calls.is_empty())
        });
    let d = st
        .dispatches
        .iter()
        .find(|d| d.id == dispatch_id)
        .ok_or_else(|| ApiError::not_found("Webhook dispatch", &dispatch_id))?;
    Ok(data_response(201, dispatch_json(&st, d)))
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "invalid-value", message)
}

fn optional_text(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("Field '{key}' must be a string or null"))),
    }
}

/// Lays the fields present in `body` over `w` (a field that is absent keeps its value; `null`
/// clears an optional text field and leaves a required or boolean one as is).
fn apply(st: &State, w: &mut Webhook, body: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(v) = body.get("eventTypes").filter(|v| !v.is_null()) {
        let list = v
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| invalid("Field 'eventTypes' must be a non-empty array"))?;
        let mut types = Vec::new();
        for e in list {
            let e = e
                .as_str()
                .ok_or_else(|| invalid("Field 'eventTypes' must hold strings"))?;
            if !EVENT_TYPES.contains(&e) && !BUILD_EVENT_TYPES.contains(&e) {
                return Err(invalid(format!(
                    "Unknown event type '{e}' (known: {}, {})",
                    EVENT_TYPES.join(", "),
                    BUILD_EVENT_TYPES.join(", ")
                )));
            }
            if !types.iter().any(|t| t == e) {
                types.push(e.to_string());
            }
        }
        w.hook.event_types = types;
    }
    if let Some(v) = body.get("condition").filter(|v| !v.is_null()) {
        w.condition = condition(st, v)?;
    }
    if let Some(v) = body.get("requestUrl").filter(|v| !v.is_null()) {
        let url = v
            .as_str()
            .ok_or_else(|| invalid("Field 'requestUrl' must be a string"))?;
        check_loopback_url(url)
            .map_err(|m| ApiError::bad_parameter(format!("Field 'requestUrl' is invalid: {m}")))?;
        w.hook.request_url = url.to_string();
    }
    for (key, slot) in [
        ("payloadTemplate", &mut w.hook.payload_template),
        ("headersTemplate", &mut w.hook.headers_template),
        ("description", &mut w.hook.description),
    ] {
        if body.contains_key(key) {
            *slot = optional_text(body, key)?;
        }
    }
    for (key, slot) in [
        ("isAdHoc", &mut w.is_ad_hoc),
        ("doNotRetry", &mut w.hook.do_not_retry),
        ("ignoreSslErrors", &mut w.hook.ignore_ssl_errors),
        (
            "shouldInterpolateStrings",
            &mut w.hook.should_interpolate_strings,
        ),
    ] {
        match body.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => *slot = *b,
            Some(_) => return Err(invalid(format!("Field '{key}' must be a boolean"))),
        }
    }
    Ok(())
}

/// Parses a `condition`: at least one of `actorId`, `actorTaskId`, `actorRunId`, each naming
/// something that exists (an Actor or task may be named as `username~name`; the id is stored).
fn condition(st: &State, v: &Value) -> Result<WebhookCondition, ApiError> {
    let obj = v
        .as_object()
        .ok_or_else(|| invalid("Field 'condition' must be an object"))?;
    let field = |key: &str| -> Result<Option<&str>, ApiError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(_) => Err(invalid(format!(
                "Field 'condition.{key}' must be a non-empty string"
            ))),
        }
    };
    let mut c = WebhookCondition::default();
    if let Some(a) = field("actorId")? {
        let idx = st
            .actor_index(a)
            .ok_or_else(|| ApiError::not_found("Actor", a))?;
        c.actor_id = Some(st.actors[idx].id.clone());
    }
    if let Some(t) = field("actorTaskId")? {
        c.task_id = Some(
            st.task_id(t)
                .ok_or_else(|| ApiError::not_found("Actor task", t))?,
        );
    }
    if let Some(r) = field("actorRunId")? {
        if !st.runs.contains_key(r) {
            return Err(ApiError::not_found("Actor run", r));
        }
        c.run_id = Some(r.to_string());
    }
    if c == WebhookCondition::default() {
        return Err(invalid(
            "Field 'condition' must name an actorId, actorTaskId or actorRunId",
        ));
    }
    Ok(c)
}

fn condition_json(c: &WebhookCondition) -> Value {
    let mut out = Map::new();
    for (key, v) in [
        ("actorId", &c.actor_id),
        ("actorTaskId", &c.task_id),
        ("actorRunId", &c.run_id),
    ] {
        if let Some(v) = v {
            out.insert(key.into(), json!(v));
        }
    }
    Value::Object(out)
}

/// The Webhook object of the spec, with `lastDispatch` and `stats` counted from the dispatches.
fn webhook_json(st: &State, w: &Webhook) -> Value {
    let mut total = 0;
    let mut last = None;
    for d in st.dispatches.iter().filter(|d| d.webhook_id == w.hook.id) {
        total += 1;
        last = Some(d);
    }
    let last = last.map(|d| {
        let finished = (d.status != "ACTIVE")
            .then(|| d.calls.last().map(|c| iso_millis(c.finished_at)))
            .flatten();
        json!({"status": d.status, "finishedAt": finished})
    });
    let h = &w.hook;
    json!({
        "id": h.id,
        "createdAt": iso_millis(w.created_at),
        "modifiedAt": iso_millis(w.modified_at),
        "userId": st.user.id,
        "isAdHoc": w.is_ad_hoc,
        "actionType": "HTTP_REQUEST",
        "shouldInterpolateStrings": h.should_interpolate_strings,
        "eventTypes": h.event_types,
        "condition": condition_json(&w.condition),
        "ignoreSslErrors": h.ignore_ssl_errors,
        "doNotRetry": h.do_not_retry,
        "requestUrl": h.request_url,
        "payloadTemplate": h.payload_template,
        "headersTemplate": h.headers_template,
        "description": h.description,
        "idempotencyKey": h.idempotency_key,
        "lastDispatch": last,
        "stats": {"totalDispatches": total},
    })
}

/// The WebhookDispatch object of the spec: one event for one webhook and every attempt (call).
pub(crate) fn dispatch_json(st: &State, d: &Dispatch) -> Value {
    let calls: Vec<Value> = d
        .calls
        .iter()
        .map(|c| {
            json!({
                "startedAt": iso_millis(c.started_at),
                "finishedAt": iso_millis(c.finished_at),
                "errorMessage": c.error_message,
                "responseStatus": c.response_status,
                "responseBody": c.response_body,
            })
        })
        .collect();
    json!({
        "id": d.id,
        "userId": st.user.id,
        "webhookId": d.webhook_id,
        "createdAt": iso_millis(d.created_at),
        "status": d.status,
        "eventType": d.event_type,
        "eventData": d.event_data,
        "webhook": {
            "actionType": "HTTP_REQUEST",
            "condition": condition_json(&d.condition),
            "requestUrl": d.request_url,
            "isAdHoc": d.is_ad_hoc,
        },
        "calls": calls,
    })
}

/// `GET /_emulator/webhook-dispatches`: the API's dispatch objects plus `runId`, `requestUrl`,
/// `description` and each call's `attempt` number.
pub(crate) fn emulator_dispatches(st: &State) -> Value {
    let list = st
        .dispatches
        .iter()
        .map(|d| {
            let mut v = dispatch_json(st, d);
            v["runId"] = json!(d.run_id);
            v["requestUrl"] = json!(d.request_url);
            v["description"] = json!(d.description);
            if let Some(calls) = v["calls"].as_array_mut() {
                for (i, c) in calls.iter_mut().enumerate() {
                    c["attempt"] = json!(i + 1);
                }
            }
            v
        })
        .collect();
    Value::Array(list)
}
