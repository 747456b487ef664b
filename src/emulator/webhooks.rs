//! Ad-hoc webhooks: parsed from the `webhooks` start parameter, delivered on run events to
//! loopback addresses only, retried on failure.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use super::api::ApiError;
use super::state::{AdHocWebhook, Dispatch, Shared};
use super::util::{is_loopback_host, new_id, now_iso, now_millis};

const EVENT_TYPES: &[&str] = &[
    "ACTOR.RUN.CREATED",
    "ACTOR.RUN.SUCCEEDED",
    "ACTOR.RUN.FAILED",
    "ACTOR.RUN.TIMED_OUT",
    "ACTOR.RUN.ABORTED",
    "ACTOR.RUN.RESURRECTED",
];

/// Delivery attempts for one event (the first try plus retries) unless `doNotRetry`.
const MAX_ATTEMPTS: u32 = 5;

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
        hooks.push(AdHocWebhook {
            id: new_id(),
            event_types,
            request_url: url.to_string(),
            payload_template: text("payloadTemplate")?,
            headers_template: text("headersTemplate")?,
            idempotency_key: text("idempotencyKey")?,
            do_not_retry: w
                .get("doNotRetry")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            description: text("description")?,
        });
    }
    Ok(hooks)
}

/// The emulator contacts only this machine: any other target is refused up front.
fn check_loopback_url(url: &str) -> Result<(), String> {
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

/// Fires every webhook of the run that listens to `event_type`, each on its own thread.
pub(crate) fn fire(shared: &Arc<Shared>, run_id: &str, event_type: &str) {
    let (hooks, payloads) = {
        let mut st = shared.lock();
        let Some(run) = st.runs.get(run_id) else {
            return;
        };
        let hooks: Vec<AdHocWebhook> = run
            .webhooks
            .iter()
            .filter(|w| w.event_types.iter().any(|e| e == event_type))
            .cloned()
            .collect();
        if hooks.is_empty() {
            return;
        }
        let resource = st.run_json(run);
        let act_id = run.act_id.clone();
        let task_id = run.task_id.clone();
        let user_id = st.user.id.clone();
        let mut payloads = Vec::new();
        for hook in &hooks {
            let dispatch_id = new_id();
            let mut event_data = json!({"actorId": act_id, "actorRunId": run_id});
            if let Some(t) = &task_id {
                event_data["actorTaskId"] = json!(t);
            }
            let vars = json!({
                "userId": user_id,
                "createdAt": now_iso(),
                "eventType": event_type,
                "eventData": event_data,
                "resource": resource,
                "webhookId": hook.id,
                "dispatchId": dispatch_id,
            });
            let payload = match &hook.payload_template {
                Some(t) => render_template(t, &vars),
                None => json!({
                    "userId": vars["userId"],
                    "createdAt": vars["createdAt"],
                    "eventType": event_type,
                    "eventData": vars["eventData"],
                    "resource": resource,
                })
                .to_string(),
            };
            let headers = hook
                .headers_template
                .as_ref()
                .map(|t| render_template(t, &vars))
                .and_then(|h| serde_json::from_str::<serde_json::Map<String, Value>>(&h).ok())
                .unwrap_or_default();
            st.dispatches.push(Dispatch {
                id: dispatch_id.clone(),
                webhook_id: hook.id.clone(),
                event_type: event_type.to_string(),
                run_id: run_id.to_string(),
                request_url: hook.request_url.clone(),
                description: hook.description.clone(),
                status: "ACTIVE".into(),
                attempts: Vec::new(),
                created_at: now_millis(),
            });
            payloads.push((dispatch_id, payload, headers));
        }
        (hooks, payloads)
    };
    for (hook, (dispatch_id, payload, headers)) in hooks.into_iter().zip(payloads) {
        let shared = shared.clone();
        let event_type = event_type.to_string();
        let _ = thread::Builder::new()
            .name("emulator-webhook".into())
            .spawn(move || {
                deliver(
                    &shared,
                    &hook,
                    &dispatch_id,
                    &event_type,
                    &payload,
                    &headers,
                )
            });
    }
}

/// Replaces `{{name}}` (and `{{a.b}}`) with the JSON of that variable, as the platform's templates do.
fn render_template(template: &str, vars: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                let value = name
                    .split('.')
                    .try_fold(vars, |v, part| v.get(part))
                    .cloned()
                    .unwrap_or(Value::Null);
                out.push_str(&value.to_string());
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn deliver(
    shared: &Arc<Shared>,
    hook: &AdHocWebhook,
    dispatch_id: &str,
    event_type: &str,
    payload: &str,
    headers: &serde_json::Map<String, Value>,
) {
    // Only the checked loopback URL is ever contacted: no redirects (a receiver could send us
    // anywhere) and no proxy from HTTP_PROXY/ALL_PROXY (it would see every payload).
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_redirects(0)
        .proxy(None)
        .build()
        .into();
    let attempts = if hook.do_not_retry { 1 } else { MAX_ATTEMPTS };
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=attempts {
        if shared.stop.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let mut req = agent
            .post(&hook.request_url)
            .header("Content-Type", "application/json")
            .header("X-Apify-Webhook", hook.id.as_str())
            .header("X-Apify-Webhook-Dispatch-Id", dispatch_id)
            .header("X-Apify-Request-Origin", "WEBHOOK");
        if let Some(key) = &hook.idempotency_key {
            req = req.header("X-Apify-Webhook-Idempotency-Key", key.as_str());
        }
        for (k, v) in headers {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            req = req.header(k.as_str(), v.as_str());
        }
        let started = now_millis();
        let result = req.send(payload);
        let (status, error) = match &result {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        {
            let mut st = shared.lock();
            if let Some(d) = st.dispatches.iter_mut().find(|d| d.id == dispatch_id) {
                d.attempts.push(json!({
                    "attempt": attempt,
                    "startedAt": super::util::iso_millis(started),
                    "finishedAt": now_iso(),
                    "responseStatus": status,
                    "errorMessage": error,
                    "eventType": event_type,
                }));
                d.status = if ok {
                    "SUCCEEDED".into()
                } else if attempt == attempts {
                    "FAILED".into()
                } else {
                    "ACTIVE".into()
                };
            }
        }
        if ok {
            return;
        }
        super::http::sleep_unless_stopped(delay, &shared.stop);
        delay *= 2;
    }
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
                &vars
            ),
            r#"{"e": "ACTOR.RUN.SUCCEEDED", "id": "R", "x": null}"#
        );
    }
}
