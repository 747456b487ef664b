//! The library's general functions: its version, status names, the thread's last error as text
//! or JSON, and freeing the strings it returns. Above the boundary they go through and the
//! statuses and last error they read (`errors.rs`).

use std::ffi::{c_char, CString};
use std::ptr;

use serde_json::json;

use super::boundary::ffi_plain;
use super::errors::*;

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version, e.g. "0.1.0" (static; do not free).
#[no_mangle]
pub extern "C" fn apify_version() -> *const c_char {
    ffi_plain!(ptr::null() => { VERSION.as_ptr().cast() })
}

/// The name of a status code ("OK", "NOT_FOUND", ...), or "UNKNOWN" (static; do not free).
#[no_mangle]
pub extern "C" fn apify_status_name(status: i32) -> *const c_char {
    ffi_plain!(ptr::null() => { status_name(status).as_ptr().cast() })
}

fn status_name(status: i32) -> &'static str {
    match status {
        APIFY_STATUS_OK => "OK\0",
        APIFY_STATUS_NULL_ARGUMENT => "NULL_ARGUMENT\0",
        APIFY_STATUS_INVALID_UTF8 => "INVALID_UTF8\0",
        APIFY_STATUS_INVALID_JSON => "INVALID_JSON\0",
        APIFY_STATUS_INVALID_ARGUMENT => "INVALID_ARGUMENT\0",
        APIFY_STATUS_API_ERROR => "API_ERROR\0",
        APIFY_STATUS_NOT_FOUND => "NOT_FOUND\0",
        APIFY_STATUS_UNAUTHORIZED => "UNAUTHORIZED\0",
        APIFY_STATUS_RATE_LIMITED => "RATE_LIMITED\0",
        APIFY_STATUS_RUN_FAILED => "RUN_FAILED\0",
        APIFY_STATUS_SYNC_TIMEOUT => "SYNC_TIMEOUT\0",
        APIFY_STATUS_OUTCOME_UNKNOWN => "OUTCOME_UNKNOWN\0",
        APIFY_STATUS_TRANSPORT => "TRANSPORT\0",
        APIFY_STATUS_TIMEOUT => "TIMEOUT\0",
        APIFY_STATUS_CANCELLED => "CANCELLED\0",
        APIFY_STATUS_RESPONSE_TOO_LARGE => "RESPONSE_TOO_LARGE\0",
        APIFY_STATUS_REDIRECT_REFUSED => "REDIRECT_REFUSED\0",
        APIFY_STATUS_INVALID_INPUT => "INVALID_INPUT\0",
        APIFY_STATUS_INTERNAL => "INTERNAL\0",
        APIFY_STATUS_PANIC => "PANIC\0",
        _ => "UNKNOWN\0",
    }
}

/// This thread's last error as text, or NULL after a success. Free with `apify_string_free`.
#[no_mangle]
pub extern "C" fn apify_last_error_message() -> *mut c_char {
    ffi_plain!(ptr::null_mut() => {
        LAST_ERROR.with(|e| {
            e.borrow()
                .as_ref()
                .and_then(|f| CString::new(f.message.replace('\0', " ")).ok())
                .map_or(ptr::null_mut(), CString::into_raw)
        })
    })
}

/// This thread's last error as JSON: `{"status", "statusName", "httpStatus", "type", "message",
/// "method", "path", "attempt", "sent", "runId", "runStatus", "startMarker", "inputReport"}`
/// (absent parts are null), or NULL after a success. `sent` says what the server may have seen
/// of the failed request: `false` (nothing reached it: no run can exist), `true` (it answered),
/// `"unknown"` (sent, the answer was lost). `runId` and `runStatus` name the run a failure is
/// about (a failed run, a cancelled wait, an outcome-unknown start whose run was found).
/// `inputReport` is the report of an input refused by its schema (APIFY_STATUS_INVALID_INPUT):
/// `{"valid": false, "errors": [{"pointer", "field", "expected", "given", "message"}, ...]}`.
#[no_mangle]
pub extern "C" fn apify_last_error_json() -> *mut c_char {
    ffi_plain!(ptr::null_mut() => {
        LAST_ERROR.with(|e| {
            e.borrow().as_ref().map_or(ptr::null_mut(), |f| {
                let name = status_name(f.status).trim_end_matches('\0');
                let v = json!({
                    "status": f.status,
                    "statusName": name,
                    "httpStatus": f.http_status,
                    "type": f.kind,
                    "message": f.message,
                    "method": f.method,
                    "path": f.path,
                    "attempt": f.attempt,
                    "sent": match f.sent {
                        None => serde_json::Value::Null,
                        Some(crate::Sent::No) => false.into(),
                        Some(crate::Sent::Yes) => true.into(),
                        Some(crate::Sent::Unknown) => "unknown".into(),
                    },
                    "runId": f.run_id,
                    "runStatus": f.run_status,
                    "startMarker": f.start_marker,
                    "inputReport": f.input_report,
                });
                CString::new(v.to_string()).map_or(ptr::null_mut(), CString::into_raw)
            })
        })
    })
}

/// Frees a string this library returned. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_string_free(s: *mut c_char) {
    ffi_plain!(() => {
        if !s.is_null() {
            drop(CString::from_raw(s));
        }
    })
}
