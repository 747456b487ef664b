//! run-sync and run-sync-get-dataset-items: a start that holds the request until the run ends.

use std::time::Instant;

use serde_json::json;

use crate::emulator::context::Ctx;
use crate::emulator::http::Response;
use crate::emulator::reply::{ApiError, ApiResult};
use crate::emulator::state::Status;

use super::items_query::ItemsQuery;
use super::items_stream::items_response;
use super::key_value_stores::check_record_key;
use super::run_start::{start_run, StartSpec};

/// run-sync and run-sync-get-dataset-items: start, hold the request until the run is terminal.
pub(crate) fn run_sync(ctx: &Ctx, spec: StartSpec, output_record: bool) -> ApiResult {
    let record_key = ctx
        .query
        .get("outputRecordKey")
        .filter(|k| !k.is_empty())
        .unwrap_or("OUTPUT")
        .to_string();
    check_record_key(&record_key)?;
    let items_query = if output_record {
        None
    } else {
        Some(ItemsQuery::parse(ctx)?)
    };
    let run_id = start_run(ctx, spec);
    let shared = ctx.shared;
    let deadline = Instant::now() + shared.config.sync_timeout;
    let st = shared.lock();
    let st = shared.wait_until(st, deadline, |st| {
        st.runs.get(&run_id).is_none_or(|r| r.status.is_terminal())
    });
    let run = st
        .runs
        .get(&run_id)
        .ok_or_else(|| ApiError::not_found("Actor run", &run_id))?;
    if !run.status.is_terminal() {
        return Err(ApiError::new(
            408,
            "run-timeout-exceeded",
            format!(
                "The Actor run did not finish within {} seconds; it goes on running. Start runs that take longer asynchronously and wait for them.",
                shared.config.sync_timeout.as_secs_f64()
            ),
        ));
    }
    if run.status != Status::Succeeded {
        return Err(ApiError::new(
            400,
            "run-failed",
            format!(
                "Actor run {} did not succeed: it finished with status {}",
                run.id,
                run.status.as_str()
            ),
        )
        .with_data(json!({"runId": run.id, "runStatus": run.status.as_str()})));
    }
    let (kvs_id, ds_id) = (run.kvs_id.clone(), run.dataset_id.clone());
    match items_query {
        None => {
            let rec = st
                .stores
                .get(&kvs_id)
                .and_then(|s| s.records.get(&record_key))
                .cloned()
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        "record-not-found",
                        format!("Actor run {run_id} succeeded but stored no record '{record_key}'"),
                    )
                })?;
            drop(st);
            Ok(
                Response::bytes(201, &rec.content_type, rec.data.as_ref().clone())
                    .with_header("X-Apify-Run-Id", run_id),
            )
        }
        Some(q) => {
            drop(st);
            Ok(items_response(shared, &ds_id, q, 201)?.with_header("X-Apify-Run-Id", run_id))
        }
    }
}
