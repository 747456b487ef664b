//! Request queues: what a C crawler does (get or create a queue, add requests one by one or in
//! batches, lock the head, mark requests handled or give them back, delete the queue). Every
//! other queue operation goes through `apify_request`.
//!
//! Locks belong to a `clientKey`: each `apify_client` handle has its own, made when the handle
//! is, and sends it on every call here. Threads that share a handle share its key (and so each
//! other's locks); give each crawler thread its own handle to keep their locks apart.

use std::ffi::{c_char, c_int};

use serde_json::Value;

use super::boundary::ffi;
use super::client_handle::apify_client;
use super::errors::{apify_status, Failure, APIFY_STATUS_INTERNAL};
use super::json::to_json;
use crate::{BatchOptions, QueueRequest, RequestQueueClient, MAX_REQUEST_BATCH};

/// The queue `queue_id` as seen through a handle, with the handle's `clientKey`.
fn queue(c: &apify_client, queue_id: &str) -> Result<RequestQueueClient, Failure> {
    Ok(c.client
        .request_queue(queue_id)
        .with_client_key(&c.rq_client_key)?)
}

/// A request from JSON: an object with a string `url` (and any other fields); `what` names it.
fn parse_request(v: Value, what: &str) -> Result<QueueRequest, Failure> {
    if !v.is_object() {
        return Err(Failure::invalid(format!(
            "{what} must be a JSON object with a 'url', got {}",
            kind_of(&v)
        )));
    }
    serde_json::from_value(v).map_err(|e| Failure::invalid(format!("{what}: {e}")))
}

/// A short name of a JSON value's type, for messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The queue with this name, created if there is none (NULL: a new unnamed queue); its
/// metadata: `id`, `name`, `totalRequestCount`, `handledRequestCount`, `pendingRequestCount`, ...
///
/// API: `requestQueues_post`
#[no_mangle]
pub unsafe extern "C" fn apify_rq_get_or_create(
    c: *const apify_client,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, name: opt_str) -> out_json => {
        to_json(&c.get_or_create_request_queue(name)?)?
    })
}

/// Adds one request (a JSON object with `url` and optionally `uniqueKey`, `method`, `userData`,
/// ...; the key defaults to one derived from the URL), at the head of the queue when
/// `forefront` is non-zero. Answers `{"requestId", "wasAlreadyPresent", "wasAlreadyHandled"}`: a
/// request whose key is in the queue already is not added again.
///
/// API: `requestQueue_requests_post`
#[no_mangle]
pub unsafe extern "C" fn apify_rq_add(
    c: *const apify_client,
    queue_id: *const c_char,
    request_json: *const c_char,
    forefront: c_int,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: handle, queue_id: str, request_json: json) -> out_json => {
        let request = parse_request(request_json, "argument 'request_json'")?;
        to_json(&queue(c, queue_id)?.add(&request, forefront != 0)?)?
    })
}

/// Adds many requests (a JSON array of request objects, as `apify_rq_add` takes) in batches of
/// 25, sending what the queue leaves unprocessed again with backoff (up to 5 times). Answers
/// `{"processedRequests": [{"requestId", "uniqueKey", "wasAlreadyPresent",
/// "wasAlreadyHandled"}], "unprocessedRequests": [requests as given]}`: the second lists what
/// the queue still had not taken when the resends ran out. Every request is checked before the
/// first is sent; a failure part-way leaves the earlier batches added.
///
/// API: `requestQueue_requests_batch_post`
#[no_mangle]
pub unsafe extern "C" fn apify_rq_add_batch(
    c: *const apify_client,
    queue_id: *const c_char,
    requests_json: *const c_char,
    forefront: c_int,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: handle, queue_id: str, requests_json: json) -> out_json => {
        let Value::Array(items) = requests_json else {
            return Err(Failure::invalid(format!(
                "argument 'requests_json' must be a JSON array of request objects, got {}",
                kind_of(&requests_json)
            )));
        };
        let requests = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| parse_request(v, &format!("request {i} of 'requests_json'")))
            .collect::<Result<Vec<_>, _>>()?;
        let options = BatchOptions::default().forefront(forefront != 0);
        let added = queue(c, queue_id)?.add_batch(&requests, &options)?;
        to_json(&serde_json::json!({
            "processedRequests": added.processed,
            "unprocessedRequests": added.unprocessed,
        }))?
    })
}

/// Locks up to `limit` (1 to 25) pending requests from the head for `lock_secs` seconds
/// (0.001 or more; millisecond precision) for this handle's `clientKey`, and answers them as a
/// JSON array of request objects (`id`, `url`, `uniqueKey`, `method`, `userData`, ...,
/// `lockExpiresAt`); `[]` when nothing is pending or everything pending is locked. Until a lock
/// expires no other handle gets the request: mark it handled (`apify_rq_mark_handled`) or give
/// it back (`apify_rq_delete_lock`); an expired lock puts it back in the queue. Not resent
/// after a lost answer (a resend would lock more requests).
///
/// API: `requestQueue_head_lock_post`
#[no_mangle]
pub unsafe extern "C" fn apify_rq_lock_head(
    c: *const apify_client,
    queue_id: *const c_char,
    lock_secs: f64,
    limit: c_int,
    out_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: handle, queue_id: str, lock_secs: secs, limit: int) -> out_json => {
        let max = MAX_REQUEST_BATCH as c_int;
        if !(1..=max).contains(&limit) {
            return Err(Failure::invalid(format!(
                "argument 'limit' must be 1 to {max}, got {limit}"
            )));
        }
        let head = queue(c, queue_id)?.list_and_lock_head(lock_secs, limit as u32)?;
        let items = head
            .items
            .into_iter()
            .map(|r| {
                // The model never sends `lockExpiresAt` back, so it is added here by hand.
                let at = r.lock_expires_at.clone();
                let mut v = serde_json::to_value(&r).map_err(|e| Failure::new(APIFY_STATUS_INTERNAL, e.to_string()))?;
                if let (Some(at), Some(obj)) = (at, v.as_object_mut()) {
                    obj.insert("lockExpiresAt".into(), Value::String(at));
                }
                Ok(v)
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        to_json(&items)?
    })
}

/// Marks a request handled (it leaves the queue's head for good; this handle's lock on it is
/// released). Marking a handled request again is not an error. A request locked by another
/// handle is refused (UNAUTHORIZED: HTTP 403); a missing queue or request is NOT_FOUND.
///
/// API: `requestQueue_request_get`, `requestQueue_request_put`
#[no_mangle]
pub unsafe extern "C" fn apify_rq_mark_handled(
    c: *const apify_client,
    queue_id: *const c_char,
    request_id: *const c_char,
) -> apify_status {
    ffi!((c: handle, queue_id: str, request_id: str) => {
        queue(c, queue_id)?.mark_handled(request_id)?;
    })
}

/// Releases this handle's lock on a request, which goes back to the queue (to its head when
/// `forefront` is non-zero). A lock that is gone already is not an error; one held by another
/// handle is (UNAUTHORIZED: HTTP 403).
///
/// API: `requestQueue_request_lock_delete`
#[no_mangle]
pub unsafe extern "C" fn apify_rq_delete_lock(
    c: *const apify_client,
    queue_id: *const c_char,
    request_id: *const c_char,
    forefront: c_int,
) -> apify_status {
    ffi!((c: handle, queue_id: str, request_id: str) => {
        queue(c, queue_id)?.delete_lock(request_id, forefront != 0)?
    })
}

/// Deletes a request queue; NOT_FOUND when there is none.
///
/// API: `requestQueue_delete`
#[no_mangle]
pub unsafe extern "C" fn apify_rq_delete(
    c: *const apify_client,
    queue_id: *const c_char,
) -> apify_status {
    ffi!((c: client, queue_id: str) => { c.request_queue(queue_id).delete()? })
}
