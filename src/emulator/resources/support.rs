//! The test-support API under `/_emulator/` (faults, journal, webhook dispatches, firing a
//! schedule now).

use serde_json::{json, Value};

use super::webhooks;
use crate::emulator::context::Ctx;
use crate::emulator::faults::Fault;
use crate::emulator::http::Response;
use crate::emulator::journal::JournalEntry;
use crate::emulator::reply::{data_response, json_response, ApiError, ApiResult};
use crate::emulator::util::{glob_matches, iso_millis};

pub(crate) fn route(ctx: &Ctx, segs: &[&str]) -> ApiResult {
    match (ctx.req.method.as_str(), segs) {
        ("POST", ["faults"]) => add_fault(ctx),
        ("GET", ["faults"]) => {
            let st = ctx.shared.lock();
            let list: Vec<Value> = st.faults.iter().map(Fault::to_json).collect();
            Ok(data_response(200, Value::Array(list)))
        }
        ("GET", ["settings"]) => Ok(settings_response(ctx)),
        ("PUT", ["settings"]) => {
            let body = ctx.json_object_body()?;
            let mut record = None;
            let mut unprocessed = None;
            let mut build_ms = None;
            for (key, value) in &body {
                match (key.as_str(), value) {
                    ("recordUserAgent", Value::Bool(b)) => record = Some(*b),
                    ("recordUserAgent", _) => {
                        return Err(ApiError::bad_request("'recordUserAgent' must be a boolean"))
                    }
                    ("rqUnprocessedBatches", v) => match v.as_u64() {
                        Some(n) => unprocessed = Some(n),
                        None => {
                            return Err(ApiError::bad_request(
                                "'rqUnprocessedBatches' must be a whole number of at least 0",
                            ))
                        }
                    },
                    ("buildDurationMillis", v) => match v.as_u64().filter(|n| *n <= 3_600_000) {
                        Some(n) => build_ms = Some(n),
                        None => {
                            return Err(ApiError::bad_request(
                                "'buildDurationMillis' must be a whole number from 0 to 3600000",
                            ))
                        }
                    },
                    (other, _) => {
                        return Err(ApiError::bad_request(format!(
                            "unknown setting '{other}'; settings: recordUserAgent, rqUnprocessedBatches, buildDurationMillis"
                        )))
                    }
                }
            }
            let mut st = ctx.shared.lock();
            if let Some(b) = record {
                st.record_user_agent = b;
            }
            if let Some(n) = unprocessed {
                st.rq_unprocessed_batches = n;
            }
            if let Some(ms) = build_ms {
                st.build_duration = std::time::Duration::from_millis(ms);
            }
            drop(st);
            Ok(settings_response(ctx))
        }
        ("DELETE", ["faults"]) => {
            ctx.shared.lock().faults.clear();
            Ok(Response::empty(204))
        }
        ("GET", ["requests"]) => journal_page(ctx),
        ("DELETE", ["requests"]) => {
            ctx.shared.lock().journal.clear();
            Ok(Response::empty(204))
        }
        ("POST", ["schedules", id, "fire"]) => super::schedule_fire::fire_now(ctx, id),
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
    let st = ctx.shared.lock();
    data_response(
        200,
        json!({
            "recordUserAgent": st.record_user_agent,
            "rqUnprocessedBatches": st.rq_unprocessed_batches,
            "buildDurationMillis": st.build_duration.as_millis() as u64,
        }),
    )
}

fn add_fault(ctx: &Ctx) -> ApiResult {
    let body = ctx.json_object_body()?;
    let fault = Fault::parse(&body).map_err(ApiError::bad_request)?;
    let out = fault.to_json();
    ctx.shared.lock().faults.push(fault);
    Ok(data_response(201, out))
}

/// `GET /_emulator/requests`: `data` is the page of entries (oldest first), as it always was;
/// `total`, `offset`, `limit` and `count` beside it (and in the `X-Apify-Pagination-*` headers)
/// say where the page stands. No `limit` = every entry from `offset`: the journal's own caps
/// bound it. Filters: `path` (glob), `method`, `status`, `fault` (a kind, or `*` for any),
/// `rejected` (a reason, or `*` for any).
fn journal_page(ctx: &Ctx) -> ApiResult {
    let path = ctx.query.get("path").filter(|p| !p.is_empty());
    let method = ctx.query.get("method").map(str::to_ascii_uppercase);
    let status = ctx.q_uint("status")?;
    let fault = ctx.query.get("fault").filter(|f| !f.is_empty());
    let rejected = ctx.query.get("rejected").filter(|r| !r.is_empty());
    let offset = ctx.q_uint("offset")?.unwrap_or(0) as usize;
    let limit = ctx.q_uint("limit")?.map_or(usize::MAX, |l| l as usize);
    let keep = |e: &JournalEntry| {
        path.is_none_or(|g| glob_matches(g, &e.path))
            && method.as_deref().is_none_or(|m| m == e.method)
            && status.is_none_or(|s| s == u64::from(e.status))
            && fault.is_none_or(|f| e.fault.as_deref().is_some_and(|k| f == "*" || f == k))
            && rejected.is_none_or(|r| e.rejected.is_some_and(|k| r == "*" || r == k))
    };
    // Under the lock only the page's pointers are taken; the JSON is built after.
    let (total, evicted, bytes, page) = {
        let st = ctx.shared.lock();
        let (total, page) = st.journal.page(keep, offset, limit);
        (total, st.journal.evicted, st.journal.bytes(), page)
    };
    let list: Vec<Value> = page.iter().map(|e| entry_json(e)).collect();
    let count = list.len();
    let limit_json = if limit == usize::MAX {
        Value::Null
    } else {
        json!(limit)
    };
    let body = json!({
        "data": list,
        "total": total,
        "offset": offset,
        "limit": limit_json,
        "count": count,
        "evicted": evicted,
        "bytes": bytes,
    });
    Ok(json_response(200, &body)
        .with_header("X-Apify-Pagination-Total", total.to_string())
        .with_header("X-Apify-Pagination-Offset", offset.to_string())
        .with_header("X-Apify-Pagination-Count", count.to_string()))
}

fn entry_json(e: &JournalEntry) -> Value {
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
        "droppedHeaders": e.dropped_headers,
        "bodySize": e.body_size,
        "status": e.status,
        "fault": e.fault,
        "rejected": e.rejected,
    })
}
