//! An Actor's versions: `/v2/acts/{actorId}/versions[/{versionNumber}]`.

use serde_json::{json, Value};

use super::definitions::{actor, actor_mut, check_version, version_exists, version_json, writable};
use crate::emulator::context::Ctx;
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::util::now_millis;

pub(crate) fn route(ctx: &Ctx, m: &str, act_id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", ["versions"]) => {
            let st = ctx.shared.lock();
            let a = actor(&st, act_id)?;
            let items: Vec<Value> = a.versions.iter().map(version_json).collect();
            Ok(data_response(
                200,
                json!({"total": items.len(), "items": items}),
            ))
        }
        ("POST", ["versions"]) => {
            let body = ctx.json_object_body()?;
            let version = check_version(body, None)?;
            let number = version["versionNumber"].as_str().unwrap_or("").to_string();
            let mut st = ctx.shared.lock();
            let a = actor_mut(&mut st, act_id)?;
            writable(a)?;
            if a.version(&number).is_some() {
                return Err(version_exists(&number));
            }
            a.versions.push(version.clone());
            a.modified_at = now_millis();
            let location = format!(
                "{}/v2/actors/{act_id}/versions/{number}",
                ctx.shared.base_url
            );
            Ok(data_response(201, version_json(&version)).with_header("Location", location))
        }
        (_, ["versions", number]) => version_sub(ctx, m, act_id, number),
        _ => Err(ApiError::no_route()),
    }
}

fn version_sub(ctx: &Ctx, m: &str, act_id: &str, number: &str) -> ApiResult {
    let not_found = || ApiError::not_found("Actor version", number);
    match m {
        "GET" => {
            let st = ctx.shared.lock();
            let v = actor(&st, act_id)?.version(number).ok_or_else(not_found)?;
            Ok(data_response(200, version_json(v)))
        }
        "PUT" => {
            let body = ctx.json_object_body()?;
            let mut st = ctx.shared.lock();
            let a = actor_mut(&mut st, act_id)?;
            writable(a)?;
            let mut merged = a.version(number).ok_or_else(not_found)?.clone();
            merged.extend(body);
            let merged = check_version(merged, Some(number))?;
            let slot = a
                .versions
                .iter_mut()
                .find(|v| v.get("versionNumber").and_then(Value::as_str) == Some(number))
                .ok_or_else(not_found)?;
            *slot = merged.clone();
            a.modified_at = now_millis();
            Ok(data_response(200, version_json(&merged)))
        }
        "DELETE" => {
            let mut st = ctx.shared.lock();
            let a = actor_mut(&mut st, act_id)?;
            writable(a)?;
            a.version(number).ok_or_else(not_found)?;
            if a.versions.len() == 1 {
                return Err(ApiError::new(
                    400,
                    "too-few-versions",
                    format!(
                        "Version {number} is the Actor's only version; an Actor needs at least one"
                    ),
                ));
            }
            a.versions
                .retain(|v| v.get("versionNumber").and_then(Value::as_str) != Some(number));
            a.modified_at = now_millis();
            Ok(Response::empty(204))
        }
        _ => Err(ApiError::no_route()),
    }
}
