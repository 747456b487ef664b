//! An Actor's versions: `/v2/acts/{actorId}/versions[/{versionNumber}]`, and their environment
//! variables (`.../env-vars[/{envVarName}]`).

use serde_json::{json, Map, Value};

use super::definitions::{actor, actor_mut, check_version, version_exists, version_json, writable};
use super::env_vars::{check_env_var, duplicate, env_var_json};
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
        (_, ["versions", number, "env-vars", rest @ ..]) => env_vars(ctx, m, act_id, number, rest),
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
        // POST on a version is the spec's alias of PUT.
        "PUT" | "POST" => {
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

/// The version's variables, as stored (secret values included).
fn stored_vars(v: &Map<String, Value>) -> Vec<Value> {
    v.get("envVars")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// `.../versions/{versionNumber}/env-vars[/{envVarName}]`: list, create, get, update (PUT and
/// its POST alias: the fields given change; a new name is refused, `cannot-rename-env-var`),
/// delete.
fn env_vars(ctx: &Ctx, m: &str, act_id: &str, number: &str, rest: &[&str]) -> ApiResult {
    let version_missing = || ApiError::not_found("Actor version", number);
    let var_missing = |name: &str| ApiError::not_found("Environment variable", name);
    let name_of = |v: &Value| v["name"].as_str().unwrap_or_default().to_string();
    if m == "GET" {
        let st = ctx.shared.lock();
        let vars = stored_vars(
            actor(&st, act_id)?
                .version(number)
                .ok_or_else(version_missing)?,
        );
        return match rest {
            [] => {
                let items: Vec<Value> = vars.iter().map(env_var_json).collect();
                Ok(data_response(
                    200,
                    json!({"total": items.len(), "items": items}),
                ))
            }
            [name] => vars
                .iter()
                .find(|v| v["name"] == *name)
                .map(|v| data_response(200, env_var_json(v)))
                .ok_or_else(|| var_missing(name)),
            _ => Err(ApiError::no_route()),
        };
    }
    let body = match m {
        "POST" | "PUT" => Some(ctx.json_object_body()?),
        _ => None,
    };
    let mut st = ctx.shared.lock();
    let a = actor_mut(&mut st, act_id)?;
    writable(a)?;
    let slot = a
        .versions
        .iter_mut()
        .find(|v| v.get("versionNumber").and_then(Value::as_str) == Some(number))
        .ok_or_else(version_missing)?;
    let mut vars = stored_vars(slot);
    let (status, out) = match (m, rest, body) {
        ("POST", [], Some(body)) => {
            let var = check_env_var(&Value::Object(body), true)?;
            if vars.iter().any(|v| v["name"] == var["name"]) {
                return Err(duplicate(var["name"].as_str().unwrap_or_default()));
            }
            vars.push(Value::Object(var));
            (201, vars.last().cloned())
        }
        ("PUT" | "POST", [name], Some(body)) => {
            let i = vars
                .iter()
                .position(|v| v["name"] == *name)
                .ok_or_else(|| var_missing(name))?;
            let mut merged = vars[i].as_object().cloned().unwrap_or_default();
            merged.extend(body);
            let var = Value::Object(check_env_var(&Value::Object(merged), true)?);
            let new_name = name_of(&var);
            if new_name != *name {
                return Err(ApiError::new(
                    400,
                    "cannot-rename-env-var",
                    format!("Environment variable '{name}' cannot be renamed (to '{new_name}'): delete it and create '{new_name}'"),
                ));
            }
            vars[i] = var;
            (200, Some(vars[i].clone()))
        }
        ("DELETE", [name], None) => {
            let before = vars.len();
            vars.retain(|v| v["name"] != *name);
            if vars.len() == before {
                return Err(var_missing(name));
            }
            (204, None)
        }
        _ => return Err(ApiError::no_route()),
    };
    slot.insert("envVars".into(), Value::Array(vars));
    a.modified_at = now_millis();
    Ok(match out {
        None => Response::empty(status),
        Some(var) if status == 201 => {
            let location = format!(
                "{}/v2/actors/{act_id}/versions/{number}/env-vars/{}",
                ctx.shared.base_url,
                name_of(&var)
            );
            data_response(201, env_var_json(&var)).with_header("Location", location)
        }
        Some(var) => data_response(status, env_var_json(&var)),
    })
}
