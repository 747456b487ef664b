//! Request queues: the collection and one queue (shared with the other storages in
//! `storages.rs`), and the dispatch of a queue's requests, head and locks to `rq_requests` and
//! `rq_locks`. The bookkeeping itself is `rq_state`'s.

use crate::emulator::context::Ctx;
use crate::emulator::reply::{ApiError, ApiResult};

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
