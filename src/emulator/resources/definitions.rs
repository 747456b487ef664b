//! Actors as definitions: the Actor object, listing, creating, changing and deleting Actors, and
//! their versions (`/v2/acts/{actorId}/versions`). Built-in Actors can be read, not changed.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::env_vars::{check_env_vars, env_var_json};
use crate::emulator::context::{paginate, Ctx};
use crate::emulator::http::Response;
use crate::emulator::registry::{
    normalize_version, Actor, DEFAULT_MEMORY_MBYTES, DEFAULT_TIMEOUT_SECS,
};
use crate::emulator::reply::{data_response, json_kind, ApiError, ApiResult};
use crate::emulator::state::State;
use crate::emulator::util::{is_valid_name, iso_millis, new_id, now_millis};

/// The spec's `Version.versionNumber` pattern: `MAJOR.MINOR`, each 0..99 without leading zeros.
fn is_version_number(s: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 2
            && p.bytes().all(|b| b.is_ascii_digit())
            && !(p.len() == 2 && p.starts_with('0'))
    };
    matches!(s.split_once('.'), Some((a, b)) if part(a) && part(b))
}

const SOURCE_TYPES: [&str; 5] = [
    "SOURCE_FILES",
    "GIT_REPO",
    "TARBALL",
    "GITHUB_GIST",
    "SOURCE_CODE",
];

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "invalid-value", message)
}

// ---------------------------------------------------------------- JSON views

/// A version as the API shows it: secret environment variables without their values.
pub(crate) fn version_json(v: &Map<String, Value>) -> Value {
    let mut v = v.clone();
    if let Some(Value::Array(vars)) = v.get_mut("envVars") {
        for var in vars.iter_mut() {
            *var = env_var_json(var);
        }
    }
    Value::Object(v)
}

pub(crate) fn actor_json(st: &State, a: &Actor) -> Value {
    let runs = st.runs.values().filter(|r| r.act_id == a.id).count();
    let builds = st.builds.iter().filter(|b| b.act_id == a.id).count();
    let mut options = json!({
        "build": "latest",
        "timeoutSecs": DEFAULT_TIMEOUT_SECS,
        "memoryMbytes": DEFAULT_MEMORY_MBYTES,
        "restartOnError": false,
    });
    for (k, v) in &a.default_run_options {
        options[k] = v.clone();
    }
    let tagged: Map<String, Value> = a
        .tagged_builds
        .iter()
        .filter_map(|(tag, id)| {
            let b = st.builds.iter().find(|b| &b.id == id)?;
            Some((
                tag.clone(),
                json!({"buildId": b.id, "buildNumber": b.build_number,
                       "finishedAt": b.finished_at.map(iso_millis)}),
            ))
        })
        .collect();
    let mut out = json!({
        "id": a.id,
        "userId": st.user.id,
        "name": a.name,
        "username": a.username,
        "title": a.title,
        "description": a.description,
        "isPublic": a.is_public,
        "createdAt": iso_millis(a.created_at),
        "modifiedAt": iso_millis(a.modified_at),
        "stats": {"totalBuilds": builds, "totalRuns": runs, "totalUsers": 1},
        "versions": a.versions.iter().map(version_json).collect::<Vec<_>>(),
        "defaultRunOptions": options,
        "exampleRunInput": {"body": "{}", "contentType": "application/json; charset=utf-8"},
        "taggedBuilds": tagged,
        "isDeprecated": false,
    });
    for (k, v) in &a.extra {
        out[k] = v.clone();
    }
    out
}

// ---------------------------------------------------------------- routes

/// `GET /v2/acts`: the Actors in creation order.
pub(crate) fn list_actors(ctx: &Ctx) -> ApiResult {
    let st = ctx.shared.lock();
    let items = st
        .actors
        .iter()
        .map(|a| {
            let a = actor_json(&st, a);
            let mut item = json!({"id": a["id"], "createdAt": a["createdAt"],
                                  "modifiedAt": a["modifiedAt"], "name": a["name"],
                                  "username": a["username"], "stats": a["stats"]});
            // The list's `title` is a string: an Actor without one lists without it.
            if a["title"].is_string() {
                item["title"] = a["title"].clone();
            }
            item
        })
        .collect();
    drop(st);
    Ok(data_response(200, paginate(ctx, items)?))
}

/// The Actor itself: get, update, delete.
pub(crate) fn route(ctx: &Ctx, m: &str, act_id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let st = ctx.shared.lock();
            let a = actor(&st, act_id)?;
            Ok(data_response(200, actor_json(&st, a)))
        }
        ("PUT", []) => update_actor(ctx, act_id),
        ("DELETE", []) => {
            let mut st = ctx.shared.lock();
            writable(actor(&st, act_id)?)?;
            st.actors.retain(|a| a.id != act_id);
            st.builds.retain(|b| b.act_id != act_id);
            st.tasks.retain(|_, t| t.act_id != act_id);
            Ok(Response::empty(204))
        }
        _ => Err(ApiError::no_route()),
    }
}

pub(crate) fn actor<'a>(st: &'a State, act_id: &str) -> Result<&'a Actor, ApiError> {
    st.actors
        .iter()
        .find(|a| a.id == act_id)
        .ok_or_else(|| ApiError::not_found("Actor", act_id))
}

pub(crate) fn actor_mut<'a>(st: &'a mut State, act_id: &str) -> Result<&'a mut Actor, ApiError> {
    st.actors
        .iter_mut()
        .find(|a| a.id == act_id)
        .ok_or_else(|| ApiError::not_found("Actor", act_id))
}

/// Built-in Actors are read-only.
pub(crate) fn writable(a: &Actor) -> Result<(), ApiError> {
    if a.built_in {
        return Err(ApiError::new(
            403,
            "insufficient-permissions",
            format!(
                "{} is a built-in Actor of the emulator and cannot be changed; create your own with POST /v2/acts",
                a.full_name()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn version_exists(number: &str) -> ApiError {
    ApiError::new(
        400,
        "version-already-exists",
        format!("The Actor already has a version {number}"),
    )
}

// ---------------------------------------------------------------- create and update

/// `POST /v2/acts`.
pub(crate) fn create_actor(ctx: &Ctx) -> ApiResult {
    let body = ctx.json_object_body()?;
    let name = match body.get("name") {
        Some(Value::String(n)) => n.clone(),
        None | Some(Value::Null) => return Err(invalid("Field 'name' is required")),
        Some(other) => {
            return Err(invalid(format!(
                "Field 'name' must be a string, got {}",
                json_kind(other)
            )))
        }
    };
    check_name(&name)?;
    let now = now_millis();
    let mut a = Actor {
        id: new_id(),
        username: String::new(),
        name,
        title: None,
        description: None,
        built_in: false,
        is_public: false,
        versions: Vec::new(),
        default_run_options: Map::new(),
        tagged_builds: BTreeMap::new(),
        extra: Map::new(),
        created_at: now,
        modified_at: now,
    };
    apply_fields(&mut a, &body, &[])?;
    if a.versions.is_empty() {
        a.versions.push(normalize_version(
            json!({"versionNumber": "0.0"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ));
    }
    let mut st = ctx.shared.lock();
    a.username = st.user.username.clone();
    if st.actors.iter().any(|x| x.full_name() == a.full_name()) {
        return Err(name_taken(&a.name));
    }
    let out = actor_json(&st, &a);
    let location = format!("{}/v2/actors/{}", ctx.shared.base_url, a.id);
    st.actors.push(a);
    Ok(data_response(201, out).with_header("Location", location))
}

/// `PUT /v2/acts/{actorId}`: the fields given change, the others stay; nothing changes unless
/// every field is acceptable.
fn update_actor(ctx: &Ctx, act_id: &str) -> ApiResult {
    let body = ctx.json_object_body()?;
    let mut st = ctx.shared.lock();
    let a = actor(&st, act_id)?;
    writable(a)?;
    let mut copy = a.clone();
    copy.modified_at = now_millis();
    if let Some(n) = body.get("name") {
        let n = n
            .as_str()
            .ok_or_else(|| invalid("Field 'name' must be a string"))?;
        check_name(n)?;
        if st
            .actors
            .iter()
            .any(|x| x.id != act_id && x.username == a.username && x.name == n)
        {
            return Err(name_taken(n));
        }
        copy.name = n.to_string();
    }
    let build_ids: Vec<String> = st
        .builds
        .iter()
        .filter(|b| b.act_id == act_id)
        .map(|b| b.id.clone())
        .collect();
    apply_fields(&mut copy, &body, &build_ids)?;
    if copy.versions.is_empty() {
        return Err(ApiError::new(
            400,
            "too-few-versions",
            "An Actor needs at least one version",
        ));
    }
    let out = actor_json(&st, &copy);
    *actor_mut(&mut st, act_id)? = copy;
    Ok(data_response(200, out))
}

fn name_taken(name: &str) -> ApiError {
    ApiError::new(
        400,
        "actor-name-not-unique",
        format!("You already have an Actor named '{name}'"),
    )
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(invalid(format!(
            "Actor name '{name}' is invalid: use 1 to 63 letters, digits and inner hyphens"
        )))
    }
}

/// Applies the settable fields of a create or update body (not `name`) to `a`.
fn apply_fields(
    a: &mut Actor,
    body: &Map<String, Value>,
    build_ids: &[String],
) -> Result<(), ApiError> {
    let opt_string = |k: &str| -> Result<Option<Option<String>>, ApiError> {
        match body.get(k) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(other) => Err(invalid(format!(
                "Field '{k}' must be a string, got {}",
                json_kind(other)
            ))),
        }
    };
    if let Some(t) = opt_string("title")? {
        a.title = t;
    }
    if let Some(d) = opt_string("description")? {
        a.description = d;
    }
    for k in ["seoTitle", "seoDescription"] {
        if let Some(v) = opt_string(k)? {
            a.extra.insert(k.into(), json!(v));
        }
    }
    for k in ["isPublic", "isDeprecated", "restartOnError"] {
        match body.get(k) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) if k == "isPublic" => a.is_public = *b,
            Some(v @ Value::Bool(_)) => {
                a.extra.insert(k.into(), v.clone());
            }
            Some(other) => {
                return Err(invalid(format!(
                    "Field '{k}' must be a boolean, got {}",
                    json_kind(other)
                )))
            }
        }
    }
    match body.get("categories") {
        None => {}
        Some(v @ Value::Array(list)) if list.iter().all(Value::is_string) => {
            a.extra.insert("categories".into(), v.clone());
        }
        Some(Value::Null) => {
            a.extra.remove("categories");
        }
        Some(_) => return Err(invalid("Field 'categories' must be an array of strings")),
    }
    match body.get("exampleRunInput") {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(o)) if o.values().all(Value::is_string) => {
            a.extra.insert("exampleRunInput".into(), v.clone());
        }
        Some(_) => {
            return Err(invalid(
                "Field 'exampleRunInput' must be an object with string 'body' and 'contentType'",
            ))
        }
    }
    // Pricing (pay-per-event Actors charge their runs by it): checked and completed in `pricing`.
    if let Some(v) = body.get("pricingInfos") {
        match crate::emulator::pricing::check_pricing_infos(v, now_millis()).map_err(invalid)? {
            Value::Null => a.extra.remove("pricingInfos"),
            infos => a.extra.insert("pricingInfos".into(), infos),
        };
    }
    match body.get("defaultRunOptions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(o)) => {
            for (k, v) in o {
                let ok = match k.as_str() {
                    "build" => v.is_string(),
                    "timeoutSecs" | "memoryMbytes" => v.as_u64().is_some(),
                    "maxItems" => v.is_null() || v.as_u64().is_some(),
                    "restartOnError" => v.is_boolean(),
                    _ => true,
                };
                if !ok {
                    return Err(invalid(format!(
                        "Field 'defaultRunOptions.{k}' has the wrong type: {v}"
                    )));
                }
                a.default_run_options.insert(k.clone(), v.clone());
            }
        }
        Some(other) => {
            return Err(invalid(format!(
                "Field 'defaultRunOptions' must be an object, got {}",
                json_kind(other)
            )))
        }
    }
    match body.get("versions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            let mut versions: Vec<Map<String, Value>> = Vec::new();
            for v in list {
                let Value::Object(o) = v else {
                    return Err(invalid("Each of 'versions' must be an object"));
                };
                let v = check_version(o.clone(), None)?;
                let n = v["versionNumber"].as_str().unwrap_or("");
                if versions.iter().any(|x| x["versionNumber"] == n) {
                    return Err(version_exists(n));
                }
                versions.push(v);
            }
            a.versions = versions;
        }
        Some(other) => {
            return Err(invalid(format!(
                "Field 'versions' must be an array, got {}",
                json_kind(other)
            )))
        }
    }
    match body.get("taggedBuilds") {
        None | Some(Value::Null) => {}
        Some(Value::Object(tags)) => {
            for (tag, v) in tags {
                match v.get("buildId").and_then(Value::as_str) {
                    _ if v.is_null() => {
                        a.tagged_builds.remove(tag);
                    }
                    Some(id) if build_ids.iter().any(|b| b == id) => {
                        a.tagged_builds.insert(tag.clone(), id.to_string());
                    }
                    Some(id) => {
                        return Err(invalid(format!(
                            "Build '{id}' for tag '{tag}' is not a build of this Actor"
                        )))
                    }
                    None => {
                        return Err(invalid(format!(
                            "Tag '{tag}' must be null or {{\"buildId\": ...}}"
                        )))
                    }
                }
            }
        }
        Some(_) => return Err(invalid("Field 'taggedBuilds' must be an object")),
    }
    Ok(())
}

/// Checks a version object; `number` (for an update) is the version it must keep.
pub(crate) fn check_version(
    v: Map<String, Value>,
    number: Option<&str>,
) -> Result<Map<String, Value>, ApiError> {
    let n = match v.get("versionNumber") {
        Some(Value::String(n)) => n.clone(),
        None | Some(Value::Null) if number.is_some() => number.unwrap_or_default().to_string(),
        _ => {
            return Err(invalid(
                "A version needs 'versionNumber' (MAJOR.MINOR, e.g. \"0.0\")",
            ))
        }
    };
    if !is_version_number(&n) {
        return Err(invalid(format!(
            "Version number '{n}' is invalid: use MAJOR.MINOR, e.g. \"0.1\""
        )));
    }
    if let Some(keep) = number.filter(|k| *k != n) {
        return Err(invalid(format!(
            "The version number cannot change (from '{keep}' to '{n}')"
        )));
    }
    if let Some(t) = v.get("sourceType").filter(|t| !t.is_null()) {
        if !t.as_str().is_some_and(|t| SOURCE_TYPES.contains(&t)) {
            return Err(invalid(format!(
                "Version {n}: 'sourceType' must be one of {}, got {t}",
                SOURCE_TYPES.join(", ")
            )));
        }
    }
    for k in ["buildTag", "gitRepoUrl", "tarballUrl", "gitHubGistUrl"] {
        if v.get(k).is_some_and(|x| !x.is_null() && !x.is_string()) {
            return Err(invalid(format!("Version {n}: '{k}' must be a string")));
        }
    }
    if v.get("applyEnvVarsToBuild")
        .is_some_and(|x| !x.is_null() && !x.is_boolean())
    {
        return Err(invalid(format!(
            "Version {n}: 'applyEnvVarsToBuild' must be a boolean"
        )));
    }
    let env_vars =
        match v.get("envVars") {
            None | Some(Value::Null) => None,
            Some(Value::Array(vars)) => Some(check_env_vars(vars).map_err(|e| {
                ApiError::new(e.status, e.kind, format!("Version {n}: {}", e.message))
            })?),
            Some(_) => return Err(invalid(format!("Version {n}: 'envVars' must be an array"))),
        };
    match v.get("sourceFiles") {
        None | Some(Value::Null) => {}
        Some(Value::Array(files)) => {
            for f in files {
                let name = f.get("name").and_then(Value::as_str);
                let folder = f.get("folder").and_then(Value::as_bool) == Some(true);
                let content_ok = f.get("content").is_none_or(Value::is_string);
                let format_ok = f
                    .get("format")
                    .is_none_or(|x| matches!(x.as_str(), Some("TEXT" | "BASE64")));
                if name.is_none_or(str::is_empty) || !(folder || content_ok && format_ok) {
                    return Err(invalid(format!(
                        "Version {n}: each of 'sourceFiles' needs a 'name' and either \"folder\": true or a string 'content' with 'format' \"TEXT\" or \"BASE64\""
                    )));
                }
            }
        }
        Some(_) => {
            return Err(invalid(format!(
                "Version {n}: 'sourceFiles' must be an array"
            )))
        }
    }
    let mut v = v;
    v.insert("versionNumber".into(), json!(n));
    if let Some(vars) = env_vars {
        v.insert("envVars".into(), Value::Array(vars));
    }
    Ok(normalize_version(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_follow_the_spec_pattern() {
        for ok in ["0.0", "1.2", "10.99", "9.10"] {
            assert!(is_version_number(ok), "{ok}");
        }
        for bad in ["0", "0.0.1", "01.0", "1.00", "100.0", "a.b", ".1", "1."] {
            assert!(!is_version_number(bad), "{bad}");
        }
    }
}
