//! The test-support API under `/_emulator/` (faults, journal, webhook dispatches) and the user.

use serde_json::{json, Value};

use super::webhooks;
use crate::emulator::context::Ctx;
use crate::emulator::http::{Request, Response};
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::state::{Fault, Shared};
use crate::emulator::util::{iso_millis, new_id, percent_decode};

pub(crate) fn route(ctx: &Ctx, segs: &[&str]) -> ApiResult {
    match (ctx.req.method.as_str(), segs) {
        ("POST", ["faults"]) => add_fault(ctx),
        ("GET", ["faults"]) => {
            let st = ctx.shared.lock();
            let list: Vec<Value> = st.faults.iter().map(fault_json).collect();
            Ok(data_response(200, Value::Array(list)))
        }
        ("GET", ["settings"]) => Ok(settings_response(ctx)),
        ("PUT", ["settings"]) => {
            let body = ctx.json_object_body()?;
            let mut record = None;
            for (key, value) in &body {
                match (key.as_str(), value) {
                    ("recordUserAgent", Value::Bool(b)) => record = Some(*b),
                    ("recordUserAgent", _) => {
                        return Err(ApiError::bad_request("'recordUserAgent' must be a boolean"))
                    }
                    (other, _) => {
                        return Err(ApiError::bad_request(format!(
                            "unknown setting '{other}'; settings: recordUserAgent"
                        )))
                    }
                }
            }
            if let Some(b) = record {
                ctx.shared.lock().record_user_agent = b;
            }
            Ok(settings_response(ctx))
        }
        ("DELETE", ["faults"]) => {
            ctx.shared.lock().faults.clear();
            Ok(Response::empty(204))
        }
        ("GET", ["requests"]) => {
            let filter = ctx.query.get("path").map(str::to_string);
            let method = ctx.query.get("method").map(str::to_ascii_uppercase);
            let st = ctx.shared.lock();
            let list: Vec<Value> = st
                .journal
                .iter()
                .filter(|e| filter.as_deref().is_none_or(|g| glob_matches(g, &e.path)))
                .filter(|e| method.as_deref().is_none_or(|m| m == e.method))
                .map(|e| {
                    let headers: serde_json::Map<String, Value> = e
                        .headers
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect();
                    json!({
                        "at": iso_millis(e.at),
                        "atMillis": e.at,
                        "method": e.method,
                        "path": e.path,
                        "query": e.query,
                        "headers": headers,
                        "bodySize": e.body_size,
                        "status": e.status,
                        "fault": e.fault,
                    })
                })
                .collect();
            Ok(data_response(200, Value::Array(list)))
        }
        ("DELETE", ["requests"]) => {
            ctx.shared.lock().journal.clear();
            Ok(Response::empty(204))
        }
        ("GET", ["webhook-dispatches"]) => {
            let st = ctx.shared.lock();
            Ok(data_response(200, webhooks::emulator_dispatches(&st)))
        }
        _ => Err(ApiError::new(
            404,
            "page-not-found",
            format!(
                "No emulator endpoint at {} {}",
                ctx.req.method, ctx.req.path
            ),
        )),
    }
}

fn settings_response(ctx: &Ctx) -> Response {
    let record = ctx.shared.lock().record_user_agent;
    data_response(200, json!({"recordUserAgent": record}))
}

const FAULT_KINDS: &[&str] = &["status", "reset", "truncate", "delay", "lostResponse"];

fn add_fault(ctx: &Ctx) -> ApiResult {
    let body = ctx.json_object_body()?;
    let method = match body.get("method") {
        None | Some(Value::Null) => "*".to_string(),
        Some(Value::String(s)) => s.to_ascii_uppercase(),
        Some(_) => return Err(ApiError::bad_request("'method' must be a string")),
    };
    let Some(path) = body.get("path").and_then(Value::as_str) else {
        return Err(ApiError::bad_request(
            "'path' (a glob where * is one path segment) is required",
        ));
    };
    let times = match body.get("times") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|t| *t > 0)
            .ok_or_else(|| ApiError::bad_request("'times' must be a positive integer"))?,
    };
    let action = body.get("action").cloned().unwrap_or(Value::Null);
    let kind = action["kind"].as_str().unwrap_or("");
    if !FAULT_KINDS.contains(&kind) {
        return Err(ApiError::bad_request(format!(
            "'action.kind' must be one of {FAULT_KINDS:?}, got {}",
            action["kind"]
        )));
    }
    if kind == "status" {
        match action["status"].as_u64() {
            Some(s) if (100..=599).contains(&s) => {}
            _ => {
                return Err(ApiError::bad_request(
                    "'action.status' must be an HTTP status code (100..599)",
                ))
            }
        }
    }
    if kind == "delay" && action["ms"].as_u64().is_none() {
        return Err(ApiError::bad_request(
            "'action.ms' must be a non-negative integer",
        ));
    }
    let fault = Fault {
        id: new_id(),
        method,
        path: path.to_string(),
        remaining: times,
        action,
    };
    let out = fault_json(&fault);
    ctx.shared.lock().faults.push(fault);
    Ok(data_response(201, out))
}

fn fault_json(f: &Fault) -> Value {
    json!({"id": f.id, "method": f.method, "path": f.path, "times": f.remaining, "action": f.action})
}

/// Takes one use of the first fault that matches the request, if any.
pub(crate) fn take_fault(shared: &Shared, req: &Request) -> Option<Value> {
    let mut st = shared.lock();
    let idx = st.faults.iter().position(|f| {
        (f.method == "*" || f.method == req.method) && glob_matches(&f.path, &req.path)
    })?;
    let fault = &mut st.faults[idx];
    fault.remaining -= 1;
    let action = fault.action.clone();
    if fault.remaining == 0 {
        st.faults.remove(idx);
    }
    Some(action)
}

/// Matches a path against a glob where `*` is exactly one segment and `**` any number of them.
/// Segments compare both as sent and percent-decoded.
pub(crate) fn glob_matches(glob: &str, path: &str) -> bool {
    let g: Vec<&str> = glob.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    fn rec(g: &[&str], p: &[&str]) -> bool {
        match (g.first(), p.first()) {
            (None, None) => true,
            (Some(&"**"), _) => rec(&g[1..], p) || (!p.is_empty() && rec(g, &p[1..])),
            (Some(gs), Some(ps)) => {
                (*gs == "*" || gs == ps || *gs == percent_decode(ps, false))
                    && rec(&g[1..], &p[1..])
            }
            _ => false,
        }
    }
    rec(&g, &p)
}

pub(crate) fn user_me(ctx: &Ctx) -> Value {
    let st = ctx.shared.lock();
    let feature = json!({"isEnabled": true, "disabledReason": null, "disabledReasonType": null,
                         "isTrial": false, "trialExpirationAt": null});
    let features: serde_json::Map<String, Value> = [
        "ACTORS",
        "STORAGE",
        "SCHEDULER",
        "PROXY",
        "PROXY_EXTERNAL_ACCESS",
        "PROXY_RESIDENTIAL",
        "PROXY_SERPS",
        "WEBHOOKS",
        "ACTORS_PUBLIC_ALL",
        "ACTORS_PUBLIC_DEVELOPER",
    ]
    .iter()
    .map(|k| (k.to_string(), feature.clone()))
    .collect();
    json!({
        "id": st.user.id,
        "username": st.user.username,
        "profile": {"name": "Emulator user"},
        "email": "emulator@localhost.invalid",
        "proxy": {"password": "emulator", "groups": []},
        "plan": {"id": "EMULATOR", "description": "Local emulator", "isEnabled": true,
                 "availableProxyGroups": {}},
        "effectivePlatformFeatures": features,
        "createdAt": iso_millis(st.user.created_at),
        "isPaying": false,
    })
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_by_segment() {
        assert!(glob_matches("/v2/actors/*/runs", "/v2/actors/abc/runs"));
        assert!(!glob_matches("/v2/actors/*/runs", "/v2/actors/a/b/runs"));
        assert!(glob_matches("/v2/**", "/v2/actors/a/b/runs"));
        assert!(glob_matches(
            "/v2/actors/apify~hello-world/runs",
            "/v2/actors/apify%7Ehello-world/runs"
        ));
        assert!(!glob_matches("/v2/datasets", "/v2/datasets/x"));
    }
}
