//! Webhook delivery: ad-hoc webhooks parsed from the `webhooks` start parameter and persistent
//! webhooks (`/v2/webhooks`, see `resources::webhooks`) are delivered on run events to loopback
//! addresses only, each event as one dispatch whose attempts are retried on failure.

use std::io::Read;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::faults::{self, FaultAction, FaultTarget};
use super::reply::ApiError;
use super::state::{Run, Shared, State};
use super::util::{is_loopback_host, iso_millis, new_id, now_millis};
use super::webhook_state::{AdHocWebhook, Dispatch, DispatchCall, WebhookCondition};

/// The run events the emulator fires.
pub(crate) const EVENT_TYPES: &[&str] = &[
    "ACTOR.RUN.CREATED",
    "ACTOR.RUN.SUCCEEDED",
    "ACTOR.RUN.FAILED",
    "ACTOR.RUN.TIMED_OUT",
    "ACTOR.RUN.ABORTED",
    "ACTOR.RUN.RESURRECTED",
];

/// Decodes the `webhooks` query parameter: standard base64 of a JSON array of webhook objects.
pub(crate) fn parse_param(raw: &str) -> Result<Vec<AdHocWebhook>, ApiError> {
    let bad =
        |msg: String| ApiError::bad_parameter(format!("Parameter 'webhooks' is invalid: {msg}"));
    // Base64 has no spaces: a space is a '+' that the client left unescaped in the query and
    // the query decoding turned into a space.
    let raw = raw.trim().replace(' ', "+");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&raw)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&raw))
        .map_err(|e| bad(format!("not base64 ({e})")))?;
    let list: Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a JSON array ({e})")))?;
    let Value::Array(list) = list else {
        return Err(bad(
            "the decoded JSON must be an array of webhook objects".into()
        ));
    };
    let mut hooks = Vec::new();
    for (i, w) in list.iter().enumerate() {
        let Value::Object(w) = w else {
            return Err(bad(format!("item {i} is not an object")));
        };
        let event_types: Vec<String> = match w.get("eventTypes") {
            Some(Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|e| e.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad(format!("item {i}: eventTypes must be strings")))?,
            _ => {
                return Err(bad(format!(
                    "item {i}: eventTypes must be a non-empty array"
                )))
            }
        };
        if let Some(e) = event_types
            .iter()
            .find(|e| !EVENT_TYPES.contains(&e.as_str()))
        {
            return Err(bad(format!(
                "item {i}: unknown event type '{e}' (known: {})",
                EVENT_TYPES.join(", ")
            )));
        }
        let Some(url) = w.get("requestUrl").and_then(Value::as_str) else {
            return Err(bad(format!("item {i}: requestUrl is required")));
        };
        check_loopback_url(url).map_err(|m| bad(format!("item {i}: {m}")))?;
        let text = |k: &str| -> Result<Option<String>, ApiError> {
            match w.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(bad(format!("item {i}: {k} must be a string"))),
            }
        };
        let flag = |k: &str| -> Result<bool, ApiError> {
            match w.get(k) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(bad(format!("item {i}: {k} must be a boolean"))),
            }
        };
        hooks.push(AdHocWebhook {
            id: new_id(),
            event_types,
            request_url: url.to_string(),
            payload_template: text("payloadTemplate")?,
            headers_template: text("headersTemplate")?,
            idempotency_key: text("idempotencyKey")?,
            do_not_retry: flag("doNotRetry")?,
            description: text("description")?,
            should_interpolate_strings: flag("shouldInterpolateStrings")?,
            ignore_ssl_errors: flag("ignoreSslErrors")?,
        });
    }
    Ok(hooks)
}

/// The emulator contacts only this machine: any other target is refused up front.
pub(crate) fn check_loopback_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("requestUrl '{url}' must be an http:// URL on the loopback interface")
    })?;
    // URL parsers disagree on backslashes, spaces and escapes in the authority
    // (`http://example.com\@127.0.0.1/` is example.com to a browser): refuse them rather than
    // guess which host the HTTP client would contact.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if url.bytes().any(|b| !b.is_ascii_graphic() || b == b'\\') || authority.contains('%') {
        return Err(format!(
            "requestUrl '{url}' is not a plain http:// URL on the loopback interface (it holds spaces, backslashes, escapes in the host or non-ASCII characters)"
        ));
    }
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().unwrap_or("").to_string() + "]"
    } else {
        host_port.split(':').next().unwrap_or("").to_string()
    };
    if is_loopback_host(&host) {
        Ok(())
    } else {
        Err(format!(
            "requestUrl '{url}' is not on the loopback interface; the emulator delivers webhooks only to 127.0.0.0/8, ::1 or localhost"
        ))
    }
}

/// A dispatch recorded and rendered, waiting for its delivery thread.
struct Pending {
    hook: AdHocWebhook,
    dispatch_id: String,
    payload: String,
    headers: Map<String, Value>,
}

/// What one event says about itself: its type, `eventData` and `resource`.
struct Event<'a> {
    event_type: &'a str,
    event_data: Value,
    resource: Value,
    run_id: Option<String>,
}

/// Fires every webhook that listens to `event_type` for this run: the run's ad-hoc webhooks and
/// the persistent webhooks whose condition matches the run. Each gets one dispatch, delivered on
/// its own thread.
pub(crate) fn fire(shared: &Arc<Shared>, run_id: &str, event_type: &str) {
    let pending = {
        let mut st = shared.lock();
        let Some(run) = st.runs.get(run_id) else {
            return;
        };
        let listens = |h: &AdHocWebhook| h.event_types.iter().any(|e| e == event_type);
        let run_condition = WebhookCondition {
            run_id: Some(run_id.to_string()),
            ..WebhookCondition::default()
        };
        let mut targets: Vec<(AdHocWebhook, bool, WebhookCondition)> = run
            .webhooks
            .iter()
            .filter(|h| listens(h))
            .map(|h| (h.clone(), true, run_condition.clone()))
            .collect();
        targets.extend(
            st.webhooks
                .iter()
                .filter(|w| listens(&w.hook) && matches(&w.condition, run))
                .map(|w| (w.hook.clone(), w.is_ad_hoc, w.condition.clone())),
        );
        if targets.is_empty() {
            return;
        }
        let mut event_data = json!({"actorId": run.act_id, "actorRunId": run_id});
        if let Some(t) = &run.task_id {
            event_data["actorTaskId"] = json!(t);
        }
        let event = Event {
            event_type,
            event_data,
            resource: st.run_json(run),
            run_id: Some(run_id.to_string()),
        };
        targets
            .into_iter()
            .map(|(hook, is_ad_hoc, condition)| record(&mut st, hook, is_ad_hoc, condition, &event))
            .collect::<Vec<_>>()
    };
    for p in pending {
        spawn(shared, p);
    }
}

/// Whether a persistent webhook's condition covers the run: every field it sets must match, so
/// an Actor's webhook also fires for the runs of that Actor's tasks.
fn matches(c: &WebhookCondition, run: &Run) -> bool {
    let any = c.actor_id.is_some() || c.task_id.is_some() || c.run_id.is_some();
    any && c.actor_id.as_ref().is_none_or(|a| *a == run.act_id)
        && c.task_id
            .as_ref()
            .is_none_or(|t| run.task_id.as_ref() == Some(t))
        && c.run_id.as_ref().is_none_or(|r| *r == run.id)
}

/// `POST /v2/webhooks/{id}/test`: a `TEST` dispatch of a persistent webhook, delivered like any
/// other. Returns the dispatch id, or `None` when there is no such webhook.
pub(crate) fn fire_test(shared: &Arc<Shared>, webhook_id: &str) -> Option<String> {
    let pending = {
        let mut st = shared.lock();
        let w = st
            .webhooks
            .iter()
            .find(|w| w.hook.id == webhook_id)?
            .clone();
        let run = w.condition.run_id.as_ref().and_then(|r| st.runs.get(r));
        // The platform's test payload is not documented: the emulator sends the webhook's own
        // payload with eventType TEST, eventData from its condition and the run it names (if
        // any) as the resource.
        let task_actor = w
            .condition
            .task_id
            .as_ref()
            .and_then(|t| st.tasks.get(t))
            .map(|t| t.act_id.clone());
        let actor_id = w
            .condition
            .actor_id
            .clone()
            .or(task_actor)
            .or_else(|| run.map(|r| r.act_id.clone()));
        let event_data = match actor_id {
            Some(a) => {
                let mut data = json!({ "actorId": a });
                if let Some(t) = &w.condition.task_id {
                    data["actorTaskId"] = json!(t);
                }
                if let Some(r) = &w.condition.run_id {
                    data["actorRunId"] = json!(r);
                }
                data
            }
            None => Value::Null,
        };
        let event = Event {
            event_type: "TEST",
            event_data,
            resource: run.map(|r| st.run_json(r)).unwrap_or_else(|| json!({})),
            run_id: None,
        };
        record(&mut st, w.hook, w.is_ad_hoc, w.condition, &event)
    };
    let id = pending.dispatch_id.clone();
    spawn(shared, pending);
    Some(id)
}

/// Records a new dispatch and renders its payload and headers.
fn record(
    st: &mut State,
    hook: AdHocWebhook,
    is_ad_hoc: bool,
    condition: WebhookCondition,
    event: &Event,
) -> Pending {
    let dispatch_id = new_id();
    let created_at = now_millis();
    let vars = json!({
        "userId": st.user.id,
        "createdAt": iso_millis(created_at),
        "eventType": event.event_type,
        "eventData": event.event_data,
        "resource": event.resource,
        "webhookId": hook.id,
        "dispatchId": dispatch_id,
    });
    let interpolate = hook.should_interpolate_strings;
    let payload = match &hook.payload_template {
        Some(t) => render_template(t, &vars, interpolate),
        None => json!({
            "userId": vars["userId"],
            "createdAt": vars["createdAt"],
            "eventType": vars["eventType"],
            "eventData": vars["eventData"],
            "resource": vars["resource"],
        })
        .to_string(),
    };
    // The platform re-writes these to its own values whatever the template says.
    const RESERVED: &[&str] = &[
        "host",
        "content-type",
        "x-apify-webhook",
        "x-apify-webhook-dispatch-id",
        "x-apify-request-origin",
    ];
    let headers = hook
        .headers_template
        .as_ref()
        .map(|t| render_template(t, &vars, interpolate))
        .and_then(|h| serde_json::from_str::<Map<String, Value>>(&h).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !RESERVED.contains(&k.to_ascii_lowercase().as_str()))
        .collect();
    st.dispatches.push(Dispatch {
        id: dispatch_id.clone(),
        webhook_id: hook.id.clone(),
        event_type: event.event_type.to_string(),
        event_data: event.event_data.clone(),
        run_id: event.run_id.clone(),
        is_ad_hoc,
        condition,
        request_url: hook.request_url.clone(),
        description: hook.description.clone(),
        status: "ACTIVE",
        calls: Vec::new(),
        created_at,
    });
    Pending {
        hook,
        dispatch_id,
        payload,
        headers,
    }
}

fn spawn(shared: &Arc<Shared>, p: Pending) {
    let shared = shared.clone();
    let _ = thread::Builder::new()
        .name("emulator-webhook".into())
        .spawn(move || deliver(&shared, &p));
}

/// Replaces `{{name}}` (and `{{a.b}}`) with the JSON of that variable, as the platform's templates
/// do. Inside a string literal of the template a variable is left as is, unless
/// `interpolate_strings`: then it becomes the variable's text (a string without its quotes),
/// escaped for the string.
fn render_template(template: &str, vars: &Value, interpolate_strings: bool) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") {
            if let Some(end) = rest[2..].find("}}") {
                let name = rest[2..2 + end].trim();
                let value = name
                    .split('.')
                    .try_fold(vars, |v, part| v.get(part))
                    .cloned()
                    .unwrap_or(Value::Null);
                if !in_string {
                    out.push_str(&value.to_string());
                } else if interpolate_strings {
                    let text = match value {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    let quoted = Value::String(text).to_string();
                    out.push_str(&quoted[1..quoted.len() - 1]);
                } else {
                    out.push_str(&rest[..end + 4]);
                }
                rest = &rest[end + 4..];
                escaped = false;
                continue;
            }
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The part of a receiver's answer kept in the dispatch's `responseBody`.
const MAX_RESPONSE_BODY: u64 = 10_000;

/// Sends one dispatch: the first attempt at once, then (unless `doNotRetry`) up to
/// `webhook_retries` retries, the first after `webhook_retry_delay`, each next one after twice the
/// previous delay. Every attempt is recorded as a call of the dispatch.
fn deliver(shared: &Arc<Shared>, p: &Pending) {
    // Only the checked loopback URL is ever contacted: no redirects (a receiver could send us
    // anywhere) and no proxy from HTTP_PROXY/ALL_PROXY (it would see every payload).
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_redirects(0)
        .proxy(None)
        .build()
        .into();
    let hook = &p.hook;
    let attempts = if hook.do_not_retry {
        1
    } else {
        shared.config.webhook_retries.saturating_add(1)
    };
    let mut delay = shared.config.webhook_retry_delay;
    let path = url_path(&hook.request_url);
    for attempt in 1..=attempts {
        if shared.stop.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let fault = {
            let mut st = shared.lock();
            faults::take(&mut st.faults, FaultTarget::WebhookDelivery, "POST", path)
        };
        let sends = match fault {
            Some(FaultAction::Drop {}) => 0,
            Some(FaultAction::Duplicate {}) => 2,
            Some(FaultAction::Delay { ms }) => {
                super::http::sleep_unless_stopped(Duration::from_millis(ms), &shared.stop);
                1
            }
            _ => 1,
        };
        let mut calls: Vec<DispatchCall> = (0..sends).map(|_| send(&agent, p)).collect();
        if sends == 0 {
            let now = now_millis();
            calls.push(DispatchCall {
                started_at: now,
                finished_at: now,
                error_message: Some(
                    "dropped by an injected fault: the attempt was not sent".into(),
                ),
                response_status: None,
                response_body: None,
            });
        }
        let ok = calls
            .iter()
            .any(|c| c.response_status.is_some_and(|s| (200..300).contains(&s)));
        {
            let mut st = shared.lock();
            if let Some(d) = st.dispatches.iter_mut().find(|d| d.id == p.dispatch_id) {
                d.calls.extend(calls);
                d.status = if ok {
                    "SUCCEEDED"
                } else if attempt == attempts {
                    "FAILED"
                } else {
                    "ACTIVE"
                };
            }
        }
        shared.notify();
        if ok || attempt == attempts {
            return;
        }
        super::http::sleep_unless_stopped(delay, &shared.stop);
        delay = delay.saturating_mul(2);
    }
}

/// One HTTP attempt of a dispatch, as recorded.
fn send(agent: &ureq::Agent, p: &Pending) -> DispatchCall {
    let hook = &p.hook;
    let mut req = agent
        .post(&hook.request_url)
        .header("Content-Type", "application/json")
        .header("X-Apify-Webhook", hook.id.as_str())
        .header("X-Apify-Webhook-Dispatch-Id", p.dispatch_id.as_str())
        .header("X-Apify-Request-Origin", "WEBHOOK");
    if let Some(key) = &hook.idempotency_key {
        req = req.header("X-Apify-Webhook-Idempotency-Key", key.as_str());
    }
    for (k, v) in &p.headers {
        let v = v
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string());
        req = req.header(k.as_str(), v.as_str());
    }
    let started_at = now_millis();
    let (status, body, error) = match req.send(p.payload.as_str()) {
        Ok(mut r) => {
            let mut body = Vec::new();
            let read = r
                .body_mut()
                .as_reader()
                .take(MAX_RESPONSE_BODY)
                .read_to_end(&mut body);
            let body = String::from_utf8_lossy(&body).into_owned();
            (
                Some(r.status().as_u16()),
                Some(body),
                read.err().map(|e| e.to_string()),
            )
        }
        Err(e) => (None, None, Some(e.to_string())),
    };
    DispatchCall {
        started_at,
        finished_at: now_millis(),
        error_message: error,
        response_status: status,
        response_body: body,
    }
}

/// The path of a delivery URL (what a delivery fault's glob matches): `http://host/a/b?q` is `/a/b`.
fn url_path(url: &str) -> &str {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_loopback_targets() {
        assert!(check_loopback_url("http://127.0.0.1:9/hook").is_ok());
        assert!(check_loopback_url("http://localhost/hook").is_ok());
        assert!(check_loopback_url("http://[::1]:80/x").is_ok());
        assert!(check_loopback_url("http://user@127.0.0.1:1/x").is_ok());
        assert!(check_loopback_url("http://example.com/hook").is_err());
        assert!(check_loopback_url("http://127.0.0.1.example.com/hook").is_err());
        assert!(check_loopback_url("http://10.0.0.1/hook").is_err());
        assert!(check_loopback_url("https://127.0.0.1/hook").is_err());
        assert!(check_loopback_url("http://example.com\\@127.0.0.1/hook").is_err());
        assert!(check_loopback_url("http://127.0.0.1%2f@example.com/hook").is_err());
        assert!(check_loopback_url("http://127.0.0.1 /hook").is_err());
        assert!(check_loopback_url("http://127.0.0.1:9/a%20b?q=%2F").is_ok());
    }

    #[test]
    fn renders_templates() {
        let vars = json!({"eventType": "ACTOR.RUN.SUCCEEDED", "resource": {"id": "R"}});
        assert_eq!(
            render_template(
                r#"{"e": {{eventType}}, "id": {{resource.id}}, "x": {{nope}}}"#,
                &vars,
                false
            ),
            r#"{"e": "ACTOR.RUN.SUCCEEDED", "id": "R", "x": null}"#
        );
    }

    #[test]
    fn interpolates_strings_only_when_asked() {
        let vars = json!({"resource": {"id": "R\"1", "n": 2}});
        let t =
            r#"{"a": "run {{resource.id}} n={{resource.n}}", "b": {{resource.n}}, "c": "\"{{x}}"}"#;
        assert_eq!(
            render_template(t, &vars, false),
            r#"{"a": "run {{resource.id}} n={{resource.n}}", "b": 2, "c": "\"{{x}}"}"#
        );
        assert_eq!(
            render_template(t, &vars, true),
            r#"{"a": "run R\"1 n=2", "b": 2, "c": "\"null"}"#
        );
        // An unclosed variable is kept as text.
        assert_eq!(render_template("{{eventType", &vars, false), "{{eventType");
    }
}
