//! Actors: the `/v2/actors/{id}/...` routes, which hand each request to the room it belongs to
//! (definitions, versions, builds, runs, run-sync).

use crate::emulator::context::Ctx;
use crate::emulator::reply::{ApiError, ApiResult};

use super::run_start::{start_response, StartSpec};
use super::run_sync::run_sync;
use super::runs::{last_run, list_runs, run_sub};
use super::{build_ops, builds, definitions, versions};

pub(crate) fn route_actor(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    let (id, rest) = match (m, rest) {
        ("GET", []) => return definitions::list_actors(ctx),
        ("POST", []) => return definitions::create_actor(ctx),
        (_, [id, rest @ ..]) => (*id, rest),
        _ => return Err(ApiError::no_route()),
    };
    let act_id = {
        let st = ctx.shared.lock();
        let idx = st
            .actor_index(id)
            .ok_or_else(|| ApiError::not_found("Actor", id))?;
        st.actors[idx].id.clone()
    };
    let act_id = act_id.as_str();
    match (m, rest) {
        ("POST", ["runs"]) => {
            let spec = StartSpec::for_actor(ctx, act_id)?;
            start_response(ctx, spec)
        }
        ("GET", ["runs"]) => list_runs(ctx, |r| r.act_id == act_id),
        (_, ["runs", "last", sub @ ..]) => {
            let run_id = last_run(ctx, |r| r.act_id == act_id)?;
            run_sub(ctx, m, &run_id, sub)
        }
        // The older paths of one run through its Actor (`actors_run_get`, `actors_run_abort_post`).
        (_, ["runs", run_id, sub @ ..]) => {
            let st = ctx.shared.lock();
            if st.runs.get(*run_id).is_none_or(|r| r.act_id != act_id) {
                return Err(ApiError::not_found("Actor run", run_id));
            }
            drop(st);
            run_sub(ctx, m, run_id, sub)
        }
        ("GET" | "POST", [sync @ ("run-sync" | "run-sync-get-dataset-items")]) => {
            let spec = StartSpec::for_actor(ctx, act_id)?;
            run_sync(ctx, spec, *sync == "run-sync")
        }
        (_, ["versions", ..]) => versions::route(ctx, m, act_id, rest),
        (_, ["builds", ..]) => build_ops::route_actor(ctx, m, act_id, rest),
        (_, ["validate-input"]) => builds::route_actor(ctx, m, act_id, rest),
        _ => definitions::route(ctx, m, act_id, rest),
    }
}
