//! Webhooks received by a program's own HTTP server.

use std::ffi::c_char;

use super::boundary::ffi;
use super::errors::apify_status;
use super::json::to_json;

/// Reads a webhook POST body (the platform's default payload) into
/// `{"eventType", "runId", "actorId", "status", "createdAt"}` (absent parts null): for programs
/// that receive webhooks in their own HTTP server. A body that is not an Apify webhook payload
/// is APIFY_STATUS_INVALID_ARGUMENT saying what is missing. The payload only says that
/// something happened: read the run (apify_run_get) for its state. To wait for a run by
/// webhook with the library's own receiver, use the call option "waitStrategy": "webhook".
/// Webhooks as resources (create, list, get, update, delete, test, dispatches) are reached with
/// apify_request: /v2/webhooks, /v2/webhooks/{id}, /v2/webhooks/{id}/test,
/// /v2/webhooks/{id}/dispatches, /v2/webhook-dispatches.
#[no_mangle]
pub unsafe extern "C" fn apify_webhook_parse(
    body: *const c_char,
    out_event_json: *mut *mut c_char,
) -> apify_status {
    ffi!((body: str) -> out_event_json => {
        to_json(&crate::parse_webhook(body.as_bytes())?)?
    })
}
