//! What the request-queue rooms share: the `clientKey` parameter, the batch limit and access
//! to one queue under the state's lock.

use crate::emulator::context::Ctx;
use crate::emulator::reply::ApiError;
use crate::emulator::rq_state::RequestQueue;
use crate::emulator::util::now_millis;

/// Most requests one batch add or delete takes, and one head lock.
pub(crate) const MAX_BATCH: usize = 25;

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
