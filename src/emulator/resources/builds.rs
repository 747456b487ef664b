//! Builds: their JSON, listing, creating (and the long poll on them), which build a start uses,
//! and the input check every start and `validate-input` share: defaults from the build's input
//! schema, then every problem of the input at once. The routes of one build are in `build_ops`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::definitions::{actor, writable};
use crate::emulator::build_worker;
use crate::emulator::context::{input_json, paginate, Ctx};
use crate::emulator::input_schema::{self, Problem};
use crate::emulator::registry::{
    broken_build, make_build, next_build_number, Build, BuildStatus, Program,
};
use crate::emulator::reply::{data_response, json_kind, json_response, ApiError, ApiResult};
use crate::emulator::state::{Shared, State};
use crate::emulator::util::{iso_millis, now_millis};

// ---------------------------------------------------------------- JSON views

fn build_meta(b: &Build) -> Value {
    let mut meta = json!({"origin": "API"});
    if let Some(ip) = &b.client_ip {
        meta["clientIp"] = json!(ip);
    }
    if let Some(ua) = &b.user_agent {
        meta["userAgent"] = json!(ua);
    }
    meta
}

pub(crate) fn build_json(st: &State, b: &Build) -> Value {
    let duration = b
        .finished_at
        .unwrap_or_else(now_millis)
        .saturating_sub(b.started_at);
    json!({
        "id": b.id,
        "actId": b.act_id,
        "userId": st.user.id,
        "startedAt": iso_millis(b.started_at),
        "finishedAt": b.finished_at.map(iso_millis),
        "status": b.status.as_str(),
        "meta": build_meta(b),
        "stats": {"durationMillis": duration, "runTimeSecs": duration as f64 / 1000.0,
                  "computeUnits": 0},
        "options": {"useCache": b.use_cache, "betaPackages": b.beta_packages,
                    "memoryMbytes": 4096, "diskMbytes": 8192},
        "usageTotalUsd": 0,
        "buildNumber": b.build_number,
        "inputSchema": b.input_schema_text,
        "readme": b.readme,
        "actVersion": {
            "versionNumber": b.version_number,
            "sourceType": b.source_type,
            "buildTag": b.build_tag,
            "sourceFiles": b.source_files,
        },
        "actorDefinition": b.actor_definition,
    })
}

fn build_short_json(st: &State, b: &Build) -> Value {
    json!({
        "id": b.id,
        "actId": b.act_id,
        "userId": st.user.id,
        "status": b.status.as_str(),
        "startedAt": iso_millis(b.started_at),
        "finishedAt": b.finished_at.map(iso_millis),
        "usageTotalUsd": 0,
        "buildNumber": b.build_number,
        "meta": build_meta(b),
    })
}

// ---------------------------------------------------------------- routes

/// `POST /v2/acts/{actorId}/validate-input`.
pub(crate) fn route_actor(ctx: &Ctx, m: &str, act_id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("POST", ["validate-input"]) => validate_input(ctx, act_id),
        _ => Err(ApiError::no_route()),
    }
}

/// A page of builds, oldest first (`desc` for newest first).
pub(crate) fn list(ctx: &Ctx, keep: impl Fn(&Build) -> bool) -> ApiResult {
    let st = ctx.shared.lock();
    let items = st
        .builds
        .iter()
        .filter(|b| keep(b))
        .map(|b| build_short_json(&st, b))
        .collect();
    drop(st);
    Ok(data_response(200, paginate(ctx, items)?))
}

/// Long poll: holds up to `wait_secs` (capped by `--max-wait-secs`) or until the build is
/// terminal, then answers it as it is (`null` if it was deleted meanwhile).
pub(crate) fn wait_for_build(shared: &Arc<Shared>, build_id: &str, wait_secs: f64) -> Value {
    let cap = shared.config.max_wait_secs as f64;
    let deadline = Instant::now() + Duration::from_secs_f64(wait_secs.clamp(0.0, cap));
    let st = shared.lock();
    let st = shared.wait_until(st, deadline, |st| {
        st.builds
            .iter()
            .find(|b| b.id == build_id)
            .is_none_or(|b| b.status.is_terminal())
    });
    match st.builds.iter().find(|b| b.id == build_id) {
        Some(b) => build_json(&st, b),
        None => Value::Null,
    }
}

/// The `waitForFinish` query parameter of build reads and starts: seconds, fractions allowed.
pub(crate) fn wait_param(ctx: &Ctx) -> Result<f64, ApiError> {
    match ctx.query.get("waitForFinish").filter(|w| !w.is_empty()) {
        None => Ok(0.0),
        Some(w) => w
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| {
                ApiError::bad_parameter(format!(
                    "Query parameter 'waitForFinish' must be a number of seconds from 0 to 60, got '{w}'"
                ))
            }),
    }
}

/// `POST /v2/acts/{actorId}/builds?version=X.Y[&tag=T]`: the build starts READY and runs over
/// the emulator's build duration; source files that cannot be built make it end FAILED with
/// the reason in its log. Its tag moves to it when it succeeds.
pub(crate) fn create(ctx: &Ctx, act_id: &str) -> ApiResult {
    let Some(version) = ctx.query.get("version").filter(|v| !v.is_empty()) else {
        return Err(ApiError::new(
            400,
            "parameter-required",
            "Query parameter 'version' (the Actor version to build, e.g. 0.0) is required",
        ));
    };
    let use_cache = ctx.q_bool("useCache")?.unwrap_or(false);
    let beta_packages = ctx.q_bool("betaPackages")?.unwrap_or(false);
    let wait = wait_param(ctx)?;
    let mut st = ctx.shared.lock();
    let a = actor(&st, act_id)?;
    writable(a)?;
    let v = a
        .version(version)
        .ok_or_else(|| ApiError::not_found("Actor version", version))?;
    let tag = ctx
        .query
        .get("tag")
        .filter(|t| !t.is_empty())
        .or_else(|| v.get("buildTag").and_then(Value::as_str))
        .filter(|t| !t.is_empty())
        .unwrap_or("latest")
        .to_string();
    let number = next_build_number(
        version,
        st.builds
            .iter()
            .filter(|b| b.act_id == act_id)
            .map(|b| b.build_number.as_str()),
    );
    let now = now_millis();
    let mut build = make_build(a, v, number.clone(), &tag, now).unwrap_or_else(|(kind, reason)| {
        broken_build(a, v, number, &tag, now, format!("[{kind}] {reason}"))
    });
    build.status = BuildStatus::Ready;
    build.finished_at = None;
    build.use_cache = use_cache;
    build.beta_packages = beta_packages;
    build.client_ip = Some(ctx.req.peer.ip().to_string());
    build.user_agent = ctx.req.header("user-agent").map(str::to_string);
    let line = format!(
        "ACTOR: Build {} of {} (version {version}, tag '{tag}') is waiting for a builder.",
        build.build_number,
        a.full_name()
    );
    build.log_line(&line);
    let id = build.id.clone();
    let duration = st.build_duration;
    st.builds.push(build);
    drop(st);
    build_worker::start(ctx.shared, &id, duration);
    let out = wait_for_build(ctx.shared, &id, wait);
    if out.is_null() {
        // Aborted and deleted by another request while this one waited.
        return Err(ApiError::not_found("Actor build", &id));
    }
    let location = format!("{}/v2/actor-builds/{id}", ctx.shared.base_url);
    Ok(data_response(201, out).with_header("Location", location))
}

// ---------------------------------------------------------------- which build a start uses

/// The build a start or a validation uses, and what it needs of it.
#[derive(Clone)]
pub(crate) struct Target {
    pub act_id: String,
    /// The build as the request named it (tag, build number or version): the run's
    /// `options.build`.
    pub label: String,
    pub build_id: String,
    pub build_number: String,
    pub program: Program,
    pub input_schema: Option<Value>,
    pub built_in: bool,
}

/// Resolves `label` (a tag, a build number or a version number) among the Actor's builds. Tags
/// only ever point at successful builds and a version number means its newest successful
/// build; a build named by its number that has not succeeded (still building, failed,
/// aborted) cannot run: 400 `invalid-build`, naming its status.
pub(crate) fn resolve(st: &State, act_id: &str, label: &str) -> Result<Target, ApiError> {
    let a = actor(st, act_id)?;
    let mine = || st.builds.iter().filter(|b| b.act_id == act_id);
    let build = match a.tagged_builds.get(label) {
        Some(id) => st.builds.iter().find(|b| &b.id == id),
        None => mine().find(|b| b.build_number == label).or_else(|| {
            mine().rfind(|b| b.version_number == label && b.status == BuildStatus::Succeeded)
        }),
    };
    if let Some(b) = build.filter(|b| b.status != BuildStatus::Succeeded) {
        let hint = if b.status.is_terminal() {
            "only a SUCCEEDED build can run".to_string()
        } else {
            format!(
                "wait for it to finish (GET /v2/actor-builds/{}?waitForFinish=60)",
                b.id
            )
        };
        return Err(ApiError::new(
            400,
            "invalid-build",
            format!(
                "Build {} of Actor {} is {}: {hint}",
                b.build_number,
                a.full_name(),
                b.status.as_str()
            ),
        ));
    }
    let Some(b) = build else {
        let looks_numbered =
            label.split('.').count() == 3 && label.split('.').all(|p| p.parse::<u64>().is_ok());
        if looks_numbered {
            return Err(ApiError::new(
                404,
                "build-not-found",
                format!("Build '{label}' of Actor {} was not found", a.full_name()),
            ));
        }
        let tags: Vec<&str> = a.tagged_builds.keys().map(String::as_str).collect();
        let hint = if tags.is_empty() {
            "Has the Actor been built already? (POST /v2/acts/{actorId}/builds?version=0.0)"
                .to_string()
        } else {
            format!("This Actor's tags: {}", tags.join(", "))
        };
        return Err(ApiError::new(
            404,
            "unknown-build-tag",
            format!("Build with tag '{label}' was not found. {hint}"),
        ));
    };
    Ok(Target {
        act_id: act_id.to_string(),
        label: label.to_string(),
        build_id: b.id.clone(),
        build_number: b.build_number.clone(),
        program: b.program,
        input_schema: b.input_schema.clone(),
        built_in: a.built_in,
    })
}

/// The build a start uses: the `build` query parameter, else `defaults.build` (a task's
/// options), else the Actor's `defaultRunOptions.build`, else `latest`.
pub(crate) fn start_target(
    ctx: &Ctx,
    act_id: &str,
    defaults: &Map<String, Value>,
) -> Result<Target, ApiError> {
    let st = ctx.shared.lock();
    let label = ctx
        .query
        .get("build")
        .filter(|b| !b.is_empty())
        .map(str::to_string)
        .or_else(|| {
            defaults
                .get("build")
                .and_then(Value::as_str)
                .filter(|b| !b.is_empty())
                .map(str::to_string)
        })
        .map_or_else(|| actor(&st, act_id).map(|a| a.default_build()), Ok)?;
    resolve(&st, act_id, &label)
}

// ---------------------------------------------------------------- input checks

/// An input that passed: the object with the schema's defaults filled in.
pub(crate) struct Checked {
    pub input: Value,
    /// Whether a default was added (the INPUT record of a user Actor's run is then rewritten).
    pub defaults_added: bool,
}

/// Checks a start's input against the build's input schema, as the platform does: `null` (no
/// JSON body) counts as `{}`, missing fields take their `default`, and every problem is named.
/// `required = false` skips the top-level `required` list (a task's saved input).
pub(crate) fn check_input(
    target: &Target,
    input: &Value,
    required: bool,
) -> Result<Checked, ApiError> {
    let mut obj = match input {
        Value::Object(o) => o.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(ApiError::new(
                400,
                "invalid-input",
                format!("Input must be a JSON object, got {}", json_kind(other)),
            ))
        }
    };
    let mut problems = Vec::new();
    let mut defaults_added = false;
    if let Some(schema) = &target.input_schema {
        defaults_added = input_schema::fill_defaults(schema, &mut obj);
        problems = input_schema::validate(schema, &obj, required);
    }
    problems.extend(program_problems(target.program, &obj));
    if !problems.is_empty() {
        return Err(invalid_input(&problems));
    }
    Ok(Checked {
        input: Value::Object(obj),
        defaults_added,
    })
}

/// Limits of the programs themselves, beyond any schema.
fn program_problems(program: Program, obj: &Map<String, Value>) -> Vec<Problem> {
    if program != Program::Generator {
        return Vec::new();
    }
    let u = |k: &str, d: u64| obj.get(k).and_then(Value::as_u64).unwrap_or(d);
    let size = u("count", 10).saturating_mul(u("itemBytes", 0).saturating_add(32));
    if size <= 8 << 30 {
        return Vec::new();
    }
    vec![Problem {
        field: "count".into(),
        instance_path: "/count".into(),
        schema_path: "#/properties/count".into(),
        keyword: "emulatorLimit",
        message: "must be small enough that count * itemBytes stays under 8 GiB".into(),
        params: json!({"limitBytes": 8u64 << 30}),
        got: obj.get("count").map(input_schema::short),
    }]
}

/// 400 `invalid-input` naming every problem, with the problems in `data.validationErrors`.
pub(crate) fn invalid_input(problems: &[Problem]) -> ApiError {
    let text: Vec<String> = problems.iter().map(Problem::describe).collect();
    ApiError::new(
        400,
        "invalid-input",
        format!("Input is not valid: {}", text.join("; ")),
    )
    .with_data(json!({
        "validationErrors": problems.iter().map(Problem::to_json).collect::<Vec<_>>(),
    }))
}

/// A task's saved input against the build its options name (skipped while the Actor has no such
/// build): every given field must fit, required fields may come with the run.
pub(crate) fn check_task_input(
    st: &State,
    act_id: &str,
    options: &Map<String, Value>,
    input: &Value,
) -> Result<(), ApiError> {
    let label = match options.get("build").and_then(Value::as_str) {
        Some(b) if !b.is_empty() => b.to_string(),
        _ => actor(st, act_id)?.default_build(),
    };
    match resolve(st, act_id, &label) {
        Ok(target) => check_input(&target, input, false).map(|_| ()),
        Err(_) => Ok(()),
    }
}

/// `POST /v2/acts/{actorId}/validate-input[?build=]`: 200 `{"valid": true}` or the 400
/// `invalid-input` error a start with this input would answer.
fn validate_input(ctx: &Ctx, act_id: &str) -> ApiResult {
    let body = ctx.decoded_body()?;
    let input = input_json(&body)?;
    let target = start_target(ctx, act_id, &Map::new())?;
    check_input(&target, &input, true)?;
    Ok(json_response(200, &json!({"valid": true})))
}
