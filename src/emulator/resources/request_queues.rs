//! Request queues: the collection and one queue (shared with the other storages in
//! `storages.rs`), and the dispatch of a queue's requests, head and locks to `rq_requests` and
//! `rq_locks`. The bookkeeping itself is `rq_state`'s.

use crate::emulator::context::Ctx;
use crate::emulator::reply::{ApiError, ApiResult};
use crate::emulator::rq_state::RequestQueue;
use crate::emulator::util::now_millis;

use super::storages::Kind;
use super::{rq_locks, rq_requests};

pub(crate) fn route_queues(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    Kind::Queue.route(ctx, m, rest, queue_sub)
}

/// Operations on one (existing) queue: `rest` is what follows `/request-queues/{id}`.
pub(crate) fn queue_sub(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    if let Some(result) = Kind::Queue.item(ctx, m, id, rest) {
        return result;
    }
    match (m, rest) {
        ("GET", ["requests"]) => rq_requests::list(ctx, id),
        ("POST", ["requests"]) => rq_requests::add(ctx, id),
        ("POST", ["requests", "batch"]) => rq_requests::batch_add(ctx, id),
        ("DELETE", ["requests", "batch"]) => rq_requests::batch_delete(ctx, id),
        ("POST", ["requests", "unlock"]) => rq_locks::unlock_all(ctx, id),
        ("GET", ["requests", request_id]) => rq_requests::get(ctx, id, request_id),
        ("PUT", ["requests", request_id]) => rq_requests::update(ctx, id, request_id),
        ("DELETE", ["requests", request_id]) => rq_requests::delete(ctx, id, request_id),
        ("PUT", ["requests", request_id, "lock"]) => rq_locks::prolong(ctx, id, request_id),
        ("DELETE", ["requests", request_id, "lock"]) => rq_locks::release(ctx, id, request_id),
        ("GET", ["head"]) => rq_locks::head(ctx, id),
        ("POST", ["head", "lock"]) => rq_locks::lock_head(ctx, id),
        _ => Err(ApiError::no_route()),
    }
}

/// The request's `clientKey`: 1 to 32 characters when given (an empty one is none).
pub(crate) fn client_key(ctx: &Ctx) -> Result<Option<String>, ApiError> {
    match ctx.query.get("clientKey") {
        None | Some("") => Ok(None),
        Some(k) if k.chars().count() <= 32 => Ok(Some(k.to_string())),
        Some(k) => Err(ApiError::new(
            400,
            "invalid-client-key",
            format!(
                "'clientKey' must have 1 to 32 characters, got {}",
                k.chars().count()
            ),
        )),
    }
}

/// Runs `f` on the queue under the state's lock, after noting the client's access.
pub(crate) fn with_queue<T>(
    ctx: &Ctx,
    id: &str,
    client: Option<&str>,
    f: impl FnOnce(&mut RequestQueue, u64) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let now = now_millis();
    let mut st = ctx.shared.lock();
    let queue = st
        .queues
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Request queue", id))?;
    queue.client_access(client, now);
    f(queue, now)
}
