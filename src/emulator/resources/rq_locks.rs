//! A queue's head and its locks: read the head, lock the head for a while (`lockSecs`), prolong
//! or release one lock, and release every lock of a client (`clientKey`).

use serde_json::{json, Value};

use crate::emulator::context::Ctx;
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::state_views::head_json;
use crate::emulator::util::iso_millis;

use super::rq_support::MAX_BATCH;
use super::rq_support::{client_key, with_queue};

/// Most requests `GET head` answers.
const MAX_HEAD: u64 = 1000;

/// `lockSecs`, required: a positive number of seconds, at most a day. Answers milliseconds and
/// the value to echo.
fn lock_secs(ctx: &Ctx) -> Result<(u64, Value), ApiError> {
    let secs = ctx.q_number("lockSecs")?.ok_or_else(|| {
        ApiError::bad_parameter("'lockSecs' is required: for how many seconds to lock")
    })?;
    if secs <= 0.0 || secs > 86_400.0 {
        return Err(ApiError::bad_parameter(format!(
            "'lockSecs' must be more than 0 and at most 86400, got {secs}"
        )));
    }
    let echo = if secs.fract() == 0.0 {
        json!(secs as u64)
    } else {
        json!(secs)
    };
    Ok(((secs * 1000.0).round() as u64, echo))
}

pub(crate) fn head(ctx: &Ctx, queue: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let limit = match ctx.q_uint("limit")? {
        None => 100,
        Some(0) => return Err(ApiError::bad_parameter("'limit' must be at least 1")),
        Some(n) => n.min(MAX_HEAD),
    };
    let body = with_queue(ctx, queue, client.as_deref(), |q, now| {
        let items: Vec<Value> = q
            .head(limit as usize, now)
            .into_iter()
            .map(head_json)
            .collect();
        Ok(json!({
            "limit": limit,
            "queueModifiedAt": iso_millis(q.modified_at),
            "hadMultipleClients": q.had_multiple_clients,
            "items": items,
        }))
    })?;
    Ok(data_response(200, body))
}

pub(crate) fn lock_head(ctx: &Ctx, queue: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let (lock_ms, echo) = lock_secs(ctx)?;
    let limit = match ctx.q_uint("limit")? {
        None => MAX_BATCH as u64,
        Some(0) => return Err(ApiError::bad_parameter("'limit' must be at least 1")),
        Some(n) if n > MAX_BATCH as u64 => {
            return Err(ApiError::bad_parameter(format!(
                "'limit' is at most {MAX_BATCH} when locking, got {n}"
            )))
        }
        Some(n) => n,
    };
    let body = with_queue(ctx, queue, client.as_deref(), |q, now| {
        let ids = q.lock_head(limit as usize, lock_ms, client.as_deref(), now);
        let items: Vec<Value> = ids
            .iter()
            .filter_map(|id| q.get(id))
            .map(|r| {
                let mut v = head_json(r);
                let expires = r.active_lock(now).map_or(now, |l| l.expires_at);
                v["lockExpiresAt"] = json!(iso_millis(expires));
                v
            })
            .collect();
        let mut body = json!({
            "limit": limit,
            "queueModifiedAt": iso_millis(q.modified_at),
            "hadMultipleClients": q.had_multiple_clients,
            "queueHasLockedRequests": q.has_locked(now),
            "lockSecs": echo,
            "items": items,
        });
        if let Some(c) = &client {
            body["clientKey"] = json!(c);
        }
        Ok(body)
    })?;
    Ok(data_response(201, body))
}

pub(crate) fn prolong(ctx: &Ctx, queue: &str, request_id: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let (lock_ms, _) = lock_secs(ctx)?;
    let forefront = ctx.q_bool("forefront")?.unwrap_or(false);
    let expires = with_queue(ctx, queue, client.as_deref(), |q, now| {
        q.prolong(request_id, lock_ms, client.as_deref(), forefront, now)
    })?;
    Ok(data_response(
        200,
        json!({"lockExpiresAt": iso_millis(expires)}),
    ))
}

pub(crate) fn release(ctx: &Ctx, queue: &str, request_id: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let forefront = ctx.q_bool("forefront")?.unwrap_or(false);
    with_queue(ctx, queue, client.as_deref(), |q, now| {
        q.release(request_id, client.as_deref(), forefront, now)
    })?;
    Ok(Response::empty(204))
}

pub(crate) fn unlock_all(ctx: &Ctx, queue: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let count = with_queue(ctx, queue, client.as_deref(), |q, now| {
        Ok(q.unlock_all(client.as_deref(), now))
    })?;
    Ok(data_response(200, json!({"unlockedCount": count})))
}
