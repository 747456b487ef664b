//! What the tests share: the names they use (`use super::helpers::*` is each test module's
//! import), reading strings and last errors the library hands out, checking failures and
//! successes, clients, and the `Offline` fixture. The emulator's fixture and calls are in `live`,
//! above this module (the `with_emulator_*` modules also `use super::live::*`).

pub(crate) use std::collections::BTreeSet;
pub(crate) use std::ffi::{c_char, c_int, c_void, CStr, CString};
pub(crate) use std::ptr;

pub(crate) use serde_json::Value;

pub(crate) use crate::ffi::*;

/// An address that is never a valid allocation of this library; out-parameters start as it and
/// must still hold it after a failing call.
const SENTINEL_ADDR: usize = 0x5EED_0000;

pub(crate) fn sentinel<T>() -> *mut T {
    ptr::without_provenance_mut(SENTINEL_ADDR)
}

/// The keys `apify_last_error_json` documents.
const ERROR_KEYS: [&str; 13] = [
    "status",
    "statusName",
    "httpStatus",
    "type",
    "message",
    "method",
    "path",
    "attempt",
    "sent",
    "runId",
    "runStatus",
    "startMarker",
    "inputReport",
];

/// Takes a string the library returned: its text, then frees it with `apify_string_free`.
pub(crate) fn take(p: *mut c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let text = unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("the library returns UTF-8")
        .to_owned();
    unsafe { apify_string_free(p) };
    Some(text)
}

pub(crate) fn last_message() -> Option<String> {
    take(apify_last_error_message())
}

pub(crate) fn last_json() -> Option<Value> {
    take(apify_last_error_json())
        .map(|t| serde_json::from_str(&t).expect("apify_last_error_json answers JSON"))
}

pub(crate) fn status_name(status: apify_status) -> &'static str {
    unsafe { CStr::from_ptr(apify_status_name(status)) }
        .to_str()
        .expect("status names are ASCII")
}

pub(crate) fn cs(s: &str) -> CString {
    CString::new(s).expect("no NUL in test strings")
}

pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// Checks a failure: its status, a last error message that contains `needle`, and a last error
/// JSON with every documented key that agrees with the message. Answers the JSON.
pub(crate) fn check_failure(
    status: apify_status,
    expected: apify_status,
    needle: &str,
) -> Result<Value, String> {
    let message = last_message();
    let json = last_json();
    if status != expected {
        return Err(format!(
            "expected {} ({expected}), got {} ({status}); last error {message:?}",
            status_name(expected),
            status_name(status)
        ));
    }
    let message = message.ok_or("a failing call left no last error message")?;
    if !message.contains(needle) {
        return Err(format!(
            "last error {message:?} does not contain {needle:?}"
        ));
    }
    let json = json.ok_or("a failing call left no last error JSON")?;
    let keys: BTreeSet<&str> = json
        .as_object()
        .ok_or_else(|| format!("last error JSON is not an object: {json}"))?
        .keys()
        .map(String::as_str)
        .collect();
    if keys != ERROR_KEYS.into_iter().collect() {
        return Err(format!(
            "last error JSON has keys {keys:?}, expected {ERROR_KEYS:?}"
        ));
    }
    if json["status"] != expected
        || json["statusName"] != status_name(expected)
        || json["message"] != message.as_str()
    {
        return Err(format!("last error JSON {json} disagrees with {message:?}"));
    }
    Ok(json)
}

#[track_caller]
pub(crate) fn expect_failure(status: apify_status, expected: apify_status, needle: &str) -> Value {
    check_failure(status, expected, needle).unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
pub(crate) fn expect_ok(status: apify_status, what: &str) {
    assert_eq!(
        status,
        APIFY_STATUS_OK,
        "{what}: {} ({status}): {:?}",
        status_name(status),
        last_message()
    );
    assert_eq!(last_message(), None, "{what}: a success left a last error");
    assert_eq!(
        last_json(),
        None,
        "{what}: a success left a last error JSON"
    );
}

/// A client for `options` (JSON), which must be accepted.
pub(crate) fn new_client(options: &str) -> *mut apify_client {
    let options = cs(options);
    let mut client = ptr::null_mut();
    expect_ok(
        unsafe { apify_client_new(options.as_ptr(), &mut client) },
        "apify_client_new",
    );
    assert!(!client.is_null(), "apify_client_new gave NULL with OK");
    client
}

/// Calls `f` with a `char **` out-parameter that starts as the sentinel: on success the text
/// (freed; a success must leave no last error), on failure the status after checking that the
/// out-parameter was left alone.
pub(crate) fn text_call(
    f: impl FnOnce(*mut *mut c_char) -> apify_status,
) -> Result<String, apify_status> {
    let mut out: *mut c_char = sentinel();
    let st = f(&mut out);
    if st == APIFY_STATUS_OK {
        assert!(last_message().is_none(), "a success left a last error");
        assert!(!out.is_null() && out != sentinel(), "OK without a result");
        Ok(take(out).unwrap())
    } else {
        assert_eq!(out, sentinel(), "out-parameter written by a failing call");
        Err(st)
    }
}

/// `apify_json_get` of `json` at `pointer`: the text, or the status (out-parameter untouched).
pub(crate) fn json_get(json: &str, pointer: &str) -> Result<String, apify_status> {
    let (json, pointer) = (cs(json), cs(pointer));
    text_call(|out| unsafe { apify_json_get(json.as_ptr(), pointer.as_ptr(), out) })
}

/// A client and lazy iterators that never reach a server: every call made with them fails on
/// its arguments first. Should one reach the network, it gets a connection error on the discard
/// port (TRANSPORT) without retries, and the status check fails.
pub(crate) struct Offline {
    pub(crate) client: *mut apify_client,
    pub(crate) dataset_iter: *mut apify_dataset_iter,
    pub(crate) key_iter: *mut apify_key_iter,
}

impl Offline {
    pub(crate) fn new() -> Offline {
        let client = new_client(
            r#"{"baseUrl": "http://127.0.0.1:9", "token": "t", "maxRetries": 0, "timeoutSecs": 5}"#,
        );
        let mut dataset_iter = ptr::null_mut();
        expect_ok(
            unsafe {
                apify_dataset_iter_new(
                    client,
                    c"datasetId".as_ptr(),
                    ptr::null(),
                    &mut dataset_iter,
                )
            },
            "apify_dataset_iter_new",
        );
        let mut key_iter = ptr::null_mut();
        expect_ok(
            unsafe { apify_key_iter_new(client, c"storeId".as_ptr(), ptr::null(), &mut key_iter) },
            "apify_key_iter_new",
        );
        Offline {
            client,
            dataset_iter,
            key_iter,
        }
    }
}

impl Drop for Offline {
    fn drop(&mut self) {
        unsafe {
            apify_dataset_iter_free(self.dataset_iter);
            apify_key_iter_free(self.key_iter);
            apify_client_free(self.client);
        }
    }
}
