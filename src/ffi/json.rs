//! Reading JSON results without a JSON parser, and the text the other shims hand out.

use std::ffi::c_char;

use serde_json::value::RawValue;
use serde_json::Value;

use super::boundary::ffi;
use super::errors::{apify_status, Failure, APIFY_STATUS_INTERNAL, APIFY_STATUS_NOT_FOUND};

/// The value at an RFC 6901 JSON pointer in `json` ("" is the whole document; `/items/0/url`,
/// `/stats/computeUnits`, `~1` for `/` and `~0` for `~` in a key): a string comes back unquoted,
/// anything else (number, boolean, null, object, array) as its JSON text. NOT_FOUND when the
/// pointer matches nothing; INVALID_ARGUMENT when it is not a pointer (it must be "" or start
/// with "/").
///
/// A run object's main fields: /id, /actId, /actorTaskId, /status, /statusMessage, /startedAt,
/// /finishedAt, /exitCode, /defaultDatasetId, /defaultKeyValueStoreId, /defaultRequestQueueId,
/// /buildNumber, /options/timeoutSecs, /options/memoryMbytes, /stats/runTimeSecs,
/// /stats/computeUnits, /usageTotalUsd, /meta/origin, /meta/userAgent. Statuses: READY and
/// RUNNING (not finished), SUCCEEDED, FAILED, TIMED-OUT, ABORTED (terminal), TIMING-OUT and
/// ABORTING (on their way to TIMED-OUT and ABORTED).
#[no_mangle]
pub unsafe extern "C" fn apify_json_get(
    json: *const c_char,
    pointer: *const c_char,
    out_text: *mut *mut c_char,
) -> apify_status {
    ffi!((json: json, pointer: str) -> out_text => {
        if !(pointer.is_empty() || pointer.starts_with('/')) {
            return Err(Failure::invalid(format!(
                "argument 'pointer' must be a JSON pointer (\"\" or starting with '/'), got '{pointer}'"
            )));
        }
        match json.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => {
                return Err(Failure::new(
                    APIFY_STATUS_NOT_FOUND,
                    format!("the JSON pointer '{pointer}' matches nothing in the document"),
                ))
            }
        }
    })
}

/// A value as JSON text.
pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string(v).map_err(|e| Failure::new(APIFY_STATUS_INTERNAL, e.to_string()))
}

/// Items as received, joined into one JSON array.
pub(super) fn join_raw(items: &[Box<RawValue>]) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.get().len() + 1).sum::<usize>() + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item.get());
    }
    out.push(']');
    out
}
