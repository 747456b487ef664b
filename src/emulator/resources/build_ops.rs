//! The routes of builds: `/v2/actor-builds[/{buildId}[/abort|/log|/openapi.json]]` and the
//! older Actor-scoped ones under `/v2/acts/{actorId}/builds`. Get and start take `waitForFinish`
//! (a long poll, like runs); abort ends a build that has not finished (a finished one is
//! answered unchanged, as the spec says); delete refuses the Actor's default build.

use serde_json::Value;

use super::build_openapi;
use super::builds::{self, build_json, resolve, wait_for_build, wait_param};
use super::definitions::{actor, writable};
use super::logs::{log_response_of, LogOf};
use crate::emulator::build_worker;
use crate::emulator::context::Ctx;
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, json_response, ApiError, ApiResult};
use crate::emulator::state::State;

/// `/v2/actor-builds[/{buildId}...]`.
pub(crate) fn route_builds(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => builds::list(ctx, |_| true),
        (_, [build_id, sub @ ..]) => {
            let id = existing(&ctx.shared.lock(), build_id, None)?;
            build_sub(ctx, m, &id, sub)
        }
        _ => Err(ApiError::no_route()),
    }
}

/// `/v2/acts/{actorId}/builds[...]`.
pub(crate) fn route_actor(ctx: &Ctx, m: &str, act_id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", ["builds"]) => builds::list(ctx, |b| b.act_id == act_id),
        ("POST", ["builds"]) => builds::create(ctx, act_id),
        ("GET", ["builds", "default"]) => {
            let id = default_build(&ctx.shared.lock(), act_id)?;
            build_sub(ctx, m, &id, &[])
        }
        ("GET", ["builds", "default", "openapi.json"]) => {
            let id = default_build(&ctx.shared.lock(), act_id)?;
            build_sub(ctx, m, &id, &["openapi.json"])
        }
        ("GET" | "POST", ["builds", build_id, sub @ ..])
            if matches!(sub, [] | ["abort"] | ["openapi.json"]) =>
        {
            let id = existing(&ctx.shared.lock(), build_id, Some(act_id))?;
            build_sub(ctx, m, &id, sub)
        }
        _ => Err(ApiError::no_route()),
    }
}

/// The build's id if it exists (and belongs to `act_id` when given), else 404.
fn existing(st: &State, build_id: &str, act_id: Option<&str>) -> Result<String, ApiError> {
    st.builds
        .iter()
        .find(|b| b.id == build_id && act_id.is_none_or(|a| a == b.act_id))
        .map(|b| b.id.clone())
        .ok_or_else(|| ApiError::not_found("Actor build", build_id))
}

/// The id of the build a start without `build` uses.
fn default_build(st: &State, act_id: &str) -> Result<String, ApiError> {
    let label = actor(st, act_id)?.default_build();
    Ok(resolve(st, act_id, &label)?.build_id)
}

/// Operations on one existing build: `rest` is what follows its id.
fn build_sub(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET", []) => {
            let wait = wait_param(ctx)?;
            let mut out = wait_for_build(ctx.shared, id, wait);
            if out.is_null() {
                // Deleted while the request waited.
                return Err(ApiError::not_found("Actor build", id));
            }
            // Without a token the platform hides what the build cost.
            if let (true, Some(o)) = (ctx.anonymous, out.as_object_mut()) {
                o.remove("usageTotalUsd");
                o.remove("usageUsd");
            }
            Ok(data_response(200, out))
        }
        ("POST", ["abort"]) => {
            let mut st = ctx.shared.lock();
            writable(actor(&st, &owner(&st, id))?)?;
            let aborted = build_worker::abort(&mut st, id);
            let out = st
                .builds
                .iter()
                .find(|b| b.id == id)
                .map(|b| build_json(&st, b));
            drop(st);
            if aborted {
                ctx.shared.notify();
            }
            Ok(data_response(200, out.unwrap_or(Value::Null)))
        }
        ("DELETE", []) => delete(ctx, id),
        ("GET", ["log"]) => log_response_of(ctx, LogOf::Build(id.to_string())),
        ("GET", ["openapi.json"]) => {
            let st = ctx.shared.lock();
            let b = st
                .builds
                .iter()
                .find(|b| b.id == id)
                .ok_or_else(|| ApiError::not_found("Actor build", id))?;
            let a = actor(&st, &b.act_id)?;
            Ok(json_response(
                200,
                &build_openapi::document(&ctx.shared.base_url, a, b),
            ))
        }
        _ => Err(ApiError::no_route()),
    }
}

fn owner(st: &State, build_id: &str) -> String {
    st.builds
        .iter()
        .find(|b| b.id == build_id)
        .map(|b| b.act_id.clone())
        .unwrap_or_default()
}

/// `DELETE /v2/actor-builds/{buildId}`: not the Actor's default build (the one a start without
/// `build` would use, 400 `deleting-default-build`) nor one still building (400
/// `deleting-unfinished-build`); tags pointing at the deleted build are dropped.
fn delete(ctx: &Ctx, id: &str) -> ApiResult {
    let mut st = ctx.shared.lock();
    let act_id = owner(&st, id);
    let a = actor(&st, &act_id)?;
    writable(a)?;
    let label = a.default_build();
    if default_build(&st, &act_id).is_ok_and(|d| d == id) {
        return Err(ApiError::new(
            400,
            "deleting-default-build",
            format!(
                "Build {id} is the default build of Actor {} (its '{label}' build) and cannot be deleted; tag another build first",
                a.full_name()
            ),
        ));
    }
    if let Some(b) = st
        .builds
        .iter()
        .find(|b| b.id == id && !b.status.is_terminal())
    {
        return Err(ApiError::new(
            400,
            "deleting-unfinished-build",
            format!(
                "Build {id} is {}; abort it or wait for it to finish before deleting it",
                b.status.as_str()
            ),
        ));
    }
    st.builds.retain(|b| b.id != id);
    if let Some(a) = st.actors.iter_mut().find(|a| a.id == act_id) {
        a.tagged_builds.retain(|_, b| b != id);
    }
    drop(st);
    ctx.shared.notify();
    Ok(Response::empty(204))
}
