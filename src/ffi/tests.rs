//! Unit tests of the C ABI that call the `extern "C"` functions directly.
//!
//! Without a server: for every function of the generated header, NULL for each pointer argument,
//! invalid UTF-8 and malformed JSON for each text argument, arrays where objects are needed and
//! unknown option keys (table-driven; a test checks the table against the header so a new function
//! or argument cannot be missed); the static strings; `_free(NULL)`; the thread-local last error.
//! With the emulator (feature `emulator`): HTTP status mappings, records, iterator ends and
//! `apify_request`, against an in-process server on 127.0.0.1.

use std::collections::BTreeSet;
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;

use serde_json::Value;

use super::*;

// ---------------------------------------------------------------- helpers

/// An address that is never a valid allocation of this library; out-parameters start as it and
/// must still hold it after a failing call.
const SENTINEL_ADDR: usize = 0x5EED_0000;

fn sentinel<T>() -> *mut T {
    ptr::without_provenance_mut(SENTINEL_ADDR)
}

/// The keys `apify_last_error_json` documents.
const ERROR_KEYS: [&str; 10] = [
    "status",
    "statusName",
    "httpStatus",
    "type",
    "message",
    "method",
    "path",
    "attempt",
    "runId",
    "startMarker",
];

/// Takes a string the library returned: its text, then frees it with `apify_string_free`.
fn take(p: *mut c_char) -> Option<String> {
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

fn last_message() -> Option<String> {
    take(apify_last_error_message())
}

fn last_json() -> Option<Value> {
    take(apify_last_error_json())
        .map(|t| serde_json::from_str(&t).expect("apify_last_error_json answers JSON"))
}

fn status_name(status: apify_status) -> &'static str {
    unsafe { CStr::from_ptr(apify_status_name(status)) }
        .to_str()
        .expect("status names are ASCII")
}

fn cs(s: &str) -> CString {
    CString::new(s).expect("no NUL in test strings")
}

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// Checks a failure: its status, a last error message that contains `needle`, and a last error
/// JSON with every documented key that agrees with the message. Answers the JSON.
fn check_failure(
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
fn expect_failure(status: apify_status, expected: apify_status, needle: &str) -> Value {
    check_failure(status, expected, needle).unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
fn expect_ok(status: apify_status, what: &str) {
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
fn new_client(options: &str) -> *mut apify_client {
    let options = cs(options);
    let mut client = ptr::null_mut();
    expect_ok(
        unsafe { apify_client_new(options.as_ptr(), &mut client) },
        "apify_client_new",
    );
    assert!(!client.is_null(), "apify_client_new gave NULL with OK");
    client
}

// ---------------------------------------------------------------- static strings, frees

#[test]
fn version_is_the_crate_version() {
    let v = unsafe { CStr::from_ptr(apify_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    // Static: the same pointer every time.
    assert_eq!(apify_version(), apify_version());
}

#[test]
fn status_names_cover_every_status() {
    let all = [
        (APIFY_STATUS_OK, "OK", 0),
        (APIFY_STATUS_NULL_ARGUMENT, "NULL_ARGUMENT", 1),
        (APIFY_STATUS_INVALID_UTF8, "INVALID_UTF8", 2),
        (APIFY_STATUS_INVALID_JSON, "INVALID_JSON", 3),
        (APIFY_STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT", 4),
        (APIFY_STATUS_API_ERROR, "API_ERROR", 10),
        (APIFY_STATUS_NOT_FOUND, "NOT_FOUND", 11),
        (APIFY_STATUS_UNAUTHORIZED, "UNAUTHORIZED", 12),
        (APIFY_STATUS_RATE_LIMITED, "RATE_LIMITED", 13),
        (APIFY_STATUS_RUN_FAILED, "RUN_FAILED", 14),
        (APIFY_STATUS_SYNC_TIMEOUT, "SYNC_TIMEOUT", 15),
        (APIFY_STATUS_OUTCOME_UNKNOWN, "OUTCOME_UNKNOWN", 16),
        (APIFY_STATUS_TRANSPORT, "TRANSPORT", 20),
        (APIFY_STATUS_TIMEOUT, "TIMEOUT", 21),
        (APIFY_STATUS_CANCELLED, "CANCELLED", 22),
        (APIFY_STATUS_INTERNAL, "INTERNAL", 90),
        (APIFY_STATUS_PANIC, "PANIC", 99),
    ];
    for (status, name, number) in all {
        assert_eq!(status, number, "APIFY_STATUS_{name} changed its number");
        assert_eq!(status_name(status), name);
    }
    let known: BTreeSet<i32> = all.iter().map(|a| a.0).collect();
    for status in (-5..=120).chain([i32::MIN, i32::MAX]) {
        if !known.contains(&status) {
            assert_eq!(status_name(status), "UNKNOWN", "status {status}");
        }
    }
}

#[test]
fn free_of_null_is_a_noop_and_accessors_of_null_are_empty() {
    unsafe {
        apify_string_free(ptr::null_mut());
        apify_client_free(ptr::null_mut());
        apify_dataset_iter_free(ptr::null_mut());
        apify_key_iter_free(ptr::null_mut());
        apify_record_free(ptr::null_mut());
        assert!(apify_record_data(ptr::null()).is_null());
        assert_eq!(apify_record_len(ptr::null()), 0);
        assert!(apify_record_content_type(ptr::null()).is_null());
    }
}

// ---------------------------------------------------------------- the last error

/// A failure that needs no server: a JSON array as client options.
fn fail_locally() -> apify_status {
    let mut out = sentinel();
    let st = unsafe { apify_client_new(c"[]".as_ptr(), &mut out) };
    assert_eq!(out, sentinel(), "out_client written on failure");
    st
}

#[test]
fn last_error_is_cleared_by_a_success() {
    assert_eq!(fail_locally(), APIFY_STATUS_INVALID_ARGUMENT);
    // Reading the last error does not clear it.
    assert!(last_message().is_some());
    assert!(last_message().is_some());
    assert!(last_json().is_some());
    let client = new_client(r#"{"baseUrl": "http://127.0.0.1:9", "token": "t"}"#);
    // expect_ok (inside new_client) checked that both are NULL now.
    assert!(apify_last_error_message().is_null());
    assert!(apify_last_error_json().is_null());
    unsafe { apify_client_free(client) };
}

#[test]
fn last_error_is_per_thread() {
    assert_eq!(fail_locally(), APIFY_STATUS_INVALID_ARGUMENT);
    std::thread::spawn(|| {
        assert_eq!(last_message(), None, "another thread's failure is visible");
        assert_eq!(last_json(), None);
        let st = unsafe { apify_client_new(ptr::null(), ptr::null_mut()) };
        expect_failure(st, APIFY_STATUS_NULL_ARGUMENT, "'out_client'");
        // And fail again so the main thread can check it does not see this one.
        let st = unsafe { apify_client_new(ptr::null(), ptr::null_mut()) };
        assert_eq!(st, APIFY_STATUS_NULL_ARGUMENT);
    })
    .join()
    .unwrap();
    // This thread still has its own failure, not the other thread's.
    expect_failure(
        APIFY_STATUS_INVALID_ARGUMENT,
        APIFY_STATUS_INVALID_ARGUMENT,
        "must be a JSON object",
    );
    // A success on another thread does not clear this thread's error either.
    assert_eq!(fail_locally(), APIFY_STATUS_INVALID_ARGUMENT);
    std::thread::spawn(|| {
        let c = new_client(r#"{"baseUrl": "http://127.0.0.1:9", "token": "t"}"#);
        unsafe { apify_client_free(c) };
    })
    .join()
    .unwrap();
    assert!(
        last_message().is_some(),
        "a success on another thread cleared this thread's error"
    );
}

#[test]
fn last_error_json_of_a_local_failure() {
    let mut out = sentinel();
    let st = unsafe { apify_client_new(c"{\"bad\": ".as_ptr(), &mut out) };
    let json = expect_failure(st, APIFY_STATUS_INVALID_JSON, "'options_json'");
    assert_eq!(out, sentinel());
    assert_eq!(json["statusName"], "INVALID_JSON");
    for key in ["httpStatus", "type", "method", "path", "attempt"] {
        assert!(
            json[key].is_null(),
            "{key} should be null for a local failure: {json}"
        );
    }
}

#[test]
fn client_options_are_checked() {
    let bad = [
        (r#"{"timeoutSecs": -1}"#, "timeoutSecs"),
        (r#"{"timeoutSecs": 0}"#, "timeoutSecs"),
        (r#"{"baseUrl": "ftp://127.0.0.1"}"#, "ftp://127.0.0.1"),
    ];
    for (options, needle) in bad {
        let options = cs(options);
        let mut out = sentinel();
        let st = unsafe { apify_client_new(options.as_ptr(), &mut out) };
        if let Err(e) = check_failure(st, APIFY_STATUS_INVALID_ARGUMENT, needle) {
            panic!("options {options:?}: {e}");
        }
        assert_eq!(out, sentinel(), "options {options:?}: out_client written");
    }
    // Every documented key is accepted.
    let c = new_client(
        r#"{"token": "t", "baseUrl": "http://127.0.0.1:9", "maxRetries": 0,
            "minDelayBetweenRetriesMillis": 10, "timeoutSecs": 1.5, "userAgentSuffix": "tests/1"}"#,
    );
    unsafe { apify_client_free(c) };
    // An explicit null is the same as no options.
    let c = new_client("null");
    unsafe { apify_client_free(c) };
}

/// `src/ffi/options.rs`: "Unknown keys and wrong types are refused with a message that names
/// them". A wrong type is refused (INVALID_ARGUMENT, nothing written); the message must name the
/// option, or the caller cannot tell which of several options is wrong.
#[test]
fn a_wrong_option_type_is_refused_naming_the_option() {
    let fx = Offline::new();
    let mut problems = Vec::new();
    let mut check = |call: &str, st: apify_status, written: bool, option: &str| {
        if written {
            problems.push(format!("{call}: out-parameter written"));
        }
        if let Err(e) = check_failure(st, APIFY_STATUS_INVALID_ARGUMENT, &format!("'{option}'")) {
            problems.push(format!("{call}: {e}"));
        }
    };
    for (options, option) in [
        (c"{\"maxRetries\": \"ten\"}", "maxRetries"),
        (c"{\"token\": 5}", "token"),
    ] {
        let mut out = sentinel();
        let st = unsafe { apify_client_new(options.as_ptr(), &mut out) };
        check(
            &format!("apify_client_new({options:?})"),
            st,
            out != sentinel(),
            option,
        );
    }
    for (options, option) in [
        (c"{\"limit\": \"ten\"}", "limit"),
        (c"{\"desc\": 1}", "desc"),
        (c"{\"fields\": 3}", "fields"),
    ] {
        let mut out = sentinel();
        let st = unsafe {
            apify_dataset_iter_new(fx.client, c"datasetId".as_ptr(), options.as_ptr(), &mut out)
        };
        check(
            &format!("apify_dataset_iter_new({options:?})"),
            st,
            out != sentinel(),
            option,
        );
    }
    for (options, option) in [
        (c"{\"memory\": \"1GB\"}", "memory"),
        (c"{\"waitSecs\": true}", "waitSecs"),
    ] {
        let mut out = sentinel();
        let st = unsafe {
            apify_actor_start(
                fx.client,
                c"a~b".as_ptr(),
                ptr::null(),
                options.as_ptr(),
                &mut out,
            )
        };
        check(
            &format!("apify_actor_start({options:?})"),
            st,
            out != sentinel(),
            option,
        );
    }
    let mut out = sentinel();
    let st = unsafe {
        apify_kvs_list_keys(
            fx.client,
            c"storeId".as_ptr(),
            c"{\"prefix\": 1}".as_ptr(),
            &mut out,
        )
    };
    check(
        "apify_kvs_list_keys({\"prefix\": 1})",
        st,
        out != sentinel(),
        "prefix",
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------- table-driven argument checks

/// What a parameter of an `extern "C"` function is, for the argument checks.
#[derive(Clone, Copy, Debug)]
enum Param {
    /// `const apify_client *`.
    Client,
    /// A required UTF-8 string; a valid value.
    Text(&'static str),
    /// JSON text that may be NULL (NULL in the valid call).
    OptJson(Shape),
    /// JSON text that must be present; a valid value.
    Json(Shape, &'static str),
    /// An out-parameter (`T **`).
    Out,
    /// `apify_dataset_iter *`.
    DatasetIter,
    /// `apify_key_iter *`.
    KeyIter,
    /// `const uint8_t *` with a non-zero length.
    Bytes,
}

/// What a JSON argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// An options object with a fixed set of keys.
    Options,
    /// A run input: an object.
    Input,
    /// `apify_request`'s query: an object of scalars.
    Query,
    /// `apify_request`'s body: any JSON.
    Body,
    /// Dataset items: an object or an array of objects.
    Items,
}

/// An `extern "C"` function with its pointer parameters in order (names as in the header) and a
/// caller that takes them as `void *`s (non-pointer arguments are fixed in the caller).
struct Func {
    name: &'static str,
    params: &'static [(&'static str, Param)],
    call: fn(&[*mut c_void]) -> apify_status,
}

const RUN_PARAMS_ACTOR: [(&str, Param); 4] = [
    ("c", Param::Client),
    ("actor_id", Param::Text("apify/hello-world")),
    ("input_json", Param::OptJson(Shape::Input)),
    ("options_json", Param::OptJson(Shape::Options)),
];
const RUN_PARAMS_TASK: [(&str, Param); 4] = [
    ("c", Param::Client),
    ("task_id", Param::Text("user~task")),
    ("input_json", Param::OptJson(Shape::Input)),
    ("options_json", Param::OptJson(Shape::Options)),
];

macro_rules! run_params {
    ($base:ident, $out:literal) => {
        &[$base[0], $base[1], $base[2], $base[3], ($out, Param::Out)]
    };
}

const BYTES: &[u8] = b"abc";

/// Every fallible function of the C ABI.
fn functions() -> Vec<Func> {
    use Param::*;
    vec![
        Func {
            name: "apify_client_new",
            params: &[
                ("options_json", OptJson(Shape::Options)),
                ("out_client", Out),
            ],
            call: |p| unsafe { apify_client_new(p[0].cast(), p[1].cast()) },
        },
        Func {
            name: "apify_actor_start",
            params: run_params!(RUN_PARAMS_ACTOR, "out_run_json"),
            call: |p| unsafe {
                apify_actor_start(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_actor_call",
            params: run_params!(RUN_PARAMS_ACTOR, "out_run_json"),
            call: |p| unsafe {
                apify_actor_call(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_actor_run_sync",
            params: run_params!(RUN_PARAMS_ACTOR, "out_output"),
            call: |p| unsafe {
                apify_actor_run_sync(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_actor_run_sync_get_items",
            params: run_params!(RUN_PARAMS_ACTOR, "out_items_json"),
            call: |p| unsafe {
                apify_actor_run_sync_get_items(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_task_start",
            params: run_params!(RUN_PARAMS_TASK, "out_run_json"),
            call: |p| unsafe {
                apify_task_start(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_task_call",
            params: run_params!(RUN_PARAMS_TASK, "out_run_json"),
            call: |p| unsafe {
                apify_task_call(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_task_run_sync",
            params: run_params!(RUN_PARAMS_TASK, "out_output"),
            call: |p| unsafe {
                apify_task_run_sync(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_task_run_sync_get_items",
            params: run_params!(RUN_PARAMS_TASK, "out_items_json"),
            call: |p| unsafe {
                apify_task_run_sync_get_items(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_run_get",
            params: &[
                ("c", Client),
                ("run_id", Text("runId12345678901")),
                ("out_run_json", Out),
            ],
            call: |p| unsafe { apify_run_get(p[0].cast(), p[1].cast(), p[2].cast()) },
        },
        Func {
            name: "apify_run_wait",
            params: &[
                ("c", Client),
                ("run_id", Text("runId12345678901")),
                ("out_run_json", Out),
            ],
            call: |p| unsafe { apify_run_wait(p[0].cast(), p[1].cast(), -1, p[2].cast()) },
        },
        Func {
            name: "apify_run_abort",
            params: &[
                ("c", Client),
                ("run_id", Text("runId12345678901")),
                ("out_run_json", Out),
            ],
            call: |p| unsafe { apify_run_abort(p[0].cast(), p[1].cast(), 1, p[2].cast()) },
        },
        Func {
            name: "apify_dataset_list_items",
            params: &[
                ("c", Client),
                ("dataset_id", Text("datasetId")),
                ("options_json", OptJson(Shape::Options)),
                ("out_page_json", Out),
            ],
            call: |p| unsafe {
                apify_dataset_list_items(p[0].cast(), p[1].cast(), p[2].cast(), p[3].cast())
            },
        },
        Func {
            name: "apify_dataset_iter_new",
            params: &[
                ("c", Client),
                ("dataset_id", Text("datasetId")),
                ("options_json", OptJson(Shape::Options)),
                ("out_iter", Out),
            ],
            call: |p| unsafe {
                apify_dataset_iter_new(p[0].cast(), p[1].cast(), p[2].cast(), p[3].cast())
            },
        },
        Func {
            name: "apify_dataset_iter_next",
            params: &[("it", DatasetIter), ("out_item_json", Out)],
            call: |p| unsafe { apify_dataset_iter_next(p[0].cast(), p[1].cast()) },
        },
        Func {
            name: "apify_dataset_push_items",
            params: &[
                ("c", Client),
                ("dataset_id", Text("datasetId")),
                ("items_json", Json(Shape::Items, r#"[{"a": 1}]"#)),
            ],
            call: |p| unsafe { apify_dataset_push_items(p[0].cast(), p[1].cast(), p[2].cast()) },
        },
        Func {
            name: "apify_kvs_get_record",
            params: &[
                ("c", Client),
                ("store_id", Text("storeId")),
                ("key", Text("OUTPUT")),
                ("out_record", Out),
            ],
            call: |p| unsafe {
                apify_kvs_get_record(p[0].cast(), p[1].cast(), p[2].cast(), p[3].cast())
            },
        },
        Func {
            name: "apify_kvs_set_record",
            params: &[
                ("c", Client),
                ("store_id", Text("storeId")),
                ("key", Text("OUTPUT")),
                ("data", Bytes),
                ("content_type", Text("text/plain")),
            ],
            call: |p| unsafe {
                apify_kvs_set_record(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    BYTES.len(),
                    p[4].cast(),
                )
            },
        },
        Func {
            name: "apify_kvs_delete_record",
            params: &[
                ("c", Client),
                ("store_id", Text("storeId")),
                ("key", Text("OUTPUT")),
            ],
            call: |p| unsafe { apify_kvs_delete_record(p[0].cast(), p[1].cast(), p[2].cast()) },
        },
        Func {
            name: "apify_kvs_list_keys",
            params: &[
                ("c", Client),
                ("store_id", Text("storeId")),
                ("options_json", OptJson(Shape::Options)),
                ("out_page_json", Out),
            ],
            call: |p| unsafe {
                apify_kvs_list_keys(p[0].cast(), p[1].cast(), p[2].cast(), p[3].cast())
            },
        },
        Func {
            name: "apify_key_iter_new",
            params: &[
                ("c", Client),
                ("store_id", Text("storeId")),
                ("options_json", OptJson(Shape::Options)),
                ("out_iter", Out),
            ],
            call: |p| unsafe {
                apify_key_iter_new(p[0].cast(), p[1].cast(), p[2].cast(), p[3].cast())
            },
        },
        Func {
            name: "apify_key_iter_next",
            params: &[("it", KeyIter), ("out_key", Out)],
            call: |p| unsafe { apify_key_iter_next(p[0].cast(), p[1].cast()) },
        },
        Func {
            name: "apify_request",
            params: &[
                ("c", Client),
                ("method", Text("GET")),
                ("path", Text("/v2/users/me")),
                ("query_json", OptJson(Shape::Query)),
                ("body_json", OptJson(Shape::Body)),
                ("out_response_json", Out),
            ],
            call: |p| unsafe {
                apify_request(
                    p[0].cast(),
                    p[1].cast(),
                    p[2].cast(),
                    p[3].cast(),
                    p[4].cast(),
                    p[5].cast(),
                )
            },
        },
    ]
}

/// The functions of the header that return no status (checked by their own tests).
const INFALLIBLE: &[&str] = &[
    "apify_version",
    "apify_status_name",
    "apify_last_error_message",
    "apify_last_error_json",
    "apify_string_free",
    "apify_client_free",
    "apify_dataset_iter_free",
    "apify_key_iter_free",
    "apify_record_data",
    "apify_record_len",
    "apify_record_content_type",
    "apify_record_free",
];

/// A client and lazy iterators that never reach a server: every call below fails on its
/// arguments first. Should one reach the network, it gets a connection error on the discard
/// port (TRANSPORT) without retries, and the status check fails.
struct Offline {
    client: *mut apify_client,
    dataset_iter: *mut apify_dataset_iter,
    key_iter: *mut apify_key_iter,
}

impl Offline {
    fn new() -> Offline {
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

    /// Calls `f` with valid arguments except parameter `bad`, which gets `replacement`; checks
    /// that every out-parameter still holds the sentinel and answers the status.
    fn call(
        &self,
        f: &Func,
        bad: usize,
        replacement: *const c_char,
    ) -> Result<apify_status, String> {
        let texts: Vec<Option<CString>> = f
            .params
            .iter()
            .map(|(_, p)| match p {
                Param::Text(v) | Param::Json(_, v) => Some(cs(v)),
                _ => None,
            })
            .collect();
        let mut slots: Vec<*mut c_void> = vec![sentinel(); f.params.len()];
        let slot_base = slots.as_mut_ptr();
        let mut args: Vec<*mut c_void> = f
            .params
            .iter()
            .enumerate()
            .map(|(i, (_, p))| match p {
                Param::Client => self.client.cast(),
                Param::Text(_) | Param::Json(..) => opt_ptr(&texts[i]).cast_mut().cast(),
                Param::OptJson(_) => ptr::null_mut(),
                Param::Out => unsafe { slot_base.add(i) }.cast(),
                Param::DatasetIter => self.dataset_iter.cast(),
                Param::KeyIter => self.key_iter.cast(),
                Param::Bytes => BYTES.as_ptr().cast_mut().cast(),
            })
            .collect();
        args[bad] = replacement.cast_mut().cast();
        let status = (f.call)(&args);
        for (i, (name, p)) in f.params.iter().enumerate() {
            let slot = unsafe { *slot_base.add(i) };
            if matches!(p, Param::Out) && slot != sentinel() {
                return Err(format!(
                    "out-parameter '{name}' was written ({slot:?}) by a call answering {}",
                    status_name(status)
                ));
            }
        }
        Ok(status)
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

/// The name a last error uses for a parameter: the header's own.
fn shown_name(param: &str) -> &str {
    param
}

/// Bad values for a JSON argument of a shape, with the status and a text the message contains.
fn bad_json_values(name: &str, shape: Shape) -> Vec<(&'static str, apify_status, String)> {
    let quoted = format!("'{name}'");
    let mut v = vec![
        ("{\"unclosed\": ", APIFY_STATUS_INVALID_JSON, quoted.clone()),
        ("", APIFY_STATUS_INVALID_JSON, quoted.clone()),
        ("{} trailing", APIFY_STATUS_INVALID_JSON, quoted.clone()),
    ];
    let invalid = APIFY_STATUS_INVALID_ARGUMENT;
    match shape {
        Shape::Options => {
            for text in ["[]", "[{\"limit\": 1}]", "\"limit\"", "7"] {
                v.push((text, invalid, "must be a JSON object".into()));
            }
            v.push(("{\"noSuchOption\": 1}", invalid, "'noSuchOption'".into()));
            v.push(("{\"Token\": \"x\"}", invalid, "'Token'".into()));
        }
        Shape::Input => {
            for text in ["[]", "[1, 2]", "\"text\"", "true", "3"] {
                v.push((text, invalid, "must be a JSON object".into()));
            }
        }
        Shape::Query => {
            v.push(("[]", invalid, "query_json".into()));
            v.push(("\"a=b\"", invalid, "query_json".into()));
            v.push(("{\"nested\": {\"a\": 1}}", invalid, "'nested'".into()));
            v.push(("{\"list\": [1]}", invalid, "'list'".into()));
        }
        Shape::Body => {}
        Shape::Items => {
            v.push(("[1]", invalid, "item 0".into()));
            v.push(("[{\"a\": 1}, []]", invalid, "item 1".into()));
            v.push(("\"text\"", invalid, "item 0".into()));
            v.push(("42", invalid, "item 0".into()));
        }
    }
    v
}

/// Runs every argument check of one function; answers how many ran and the problems found.
fn check_arguments(fx: &Offline, f: &Func) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut checks = 0;
    let mut run = |what: String, bad: usize, value: *const c_char, expected, needle: &str| {
        checks += 1;
        let outcome = fx
            .call(f, bad, value)
            .and_then(|st| check_failure(st, expected, needle).map(drop));
        if let Err(e) = outcome {
            problems.push(format!("{}({what}): {e}", f.name));
        }
    };
    for (i, (name, param)) in f.params.iter().enumerate() {
        let shown = format!("'{}'", shown_name(name));
        if !matches!(param, Param::OptJson(_)) {
            run(
                format!("{name} = NULL"),
                i,
                ptr::null(),
                APIFY_STATUS_NULL_ARGUMENT,
                &shown,
            );
        }
        if matches!(param, Param::Text(_) | Param::Json(..) | Param::OptJson(_)) {
            for bytes in [&b"ab\xffcd"[..], b"\xc3", b"{\"a\": \"\xed\xa0\x80\"}"] {
                let bad = CString::new(bytes).unwrap();
                run(
                    format!("{name} = {bytes:?}"),
                    i,
                    bad.as_ptr(),
                    APIFY_STATUS_INVALID_UTF8,
                    &shown,
                );
            }
        }
        if let Param::Json(shape, _) | Param::OptJson(shape) = param {
            for (text, expected, needle) in bad_json_values(name, *shape) {
                let bad = cs(text);
                run(
                    format!("{name} = {text}"),
                    i,
                    bad.as_ptr(),
                    expected,
                    &needle,
                );
            }
        }
    }
    (checks, problems)
}

#[test]
fn every_function_checks_its_arguments() {
    let fx = Offline::new();
    let mut checks = 0;
    let mut problems = Vec::new();
    for f in functions() {
        let (n, mut p) = check_arguments(&fx, &f);
        checks += n;
        problems.append(&mut p);
    }
    println!("{checks} argument checks");
    assert!(
        problems.is_empty(),
        "{} of {checks} argument checks failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn set_record_refuses_null_data_with_a_length() {
    let fx = Offline::new();
    // NULL data with a length: refused before any request.
    let st = unsafe {
        apify_kvs_set_record(
            fx.client,
            c"storeId".as_ptr(),
            c"key".as_ptr(),
            ptr::null(),
            1,
            c"text/plain".as_ptr(),
        )
    };
    expect_failure(st, APIFY_STATUS_NULL_ARGUMENT, "'data'");
}

#[test]
fn iterator_options_are_checked() {
    let fx = Offline::new();
    let mut it = sentinel();
    let st = unsafe {
        apify_dataset_iter_new(
            fx.client,
            c"datasetId".as_ptr(),
            c"{\"chunkSize\": 0}".as_ptr(),
            &mut it,
        )
    };
    expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "chunkSize");
    assert_eq!(it, sentinel());
    for options in [c"{\"limit\": 0}", c"{\"limit\": 1001}"] {
        let mut it = sentinel();
        let st = unsafe {
            apify_key_iter_new(fx.client, c"storeId".as_ptr(), options.as_ptr(), &mut it)
        };
        expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "limit");
        assert_eq!(it, sentinel());
    }
    // An empty id is refused before any request.
    for id in [c"", c"  "] {
        let mut it = sentinel();
        let st = unsafe { apify_dataset_iter_new(fx.client, id.as_ptr(), ptr::null(), &mut it) };
        expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "must not be empty");
        assert_eq!(it, sentinel());
        let mut it = sentinel();
        let st = unsafe { apify_key_iter_new(fx.client, id.as_ptr(), ptr::null(), &mut it) };
        expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "must not be empty");
        assert_eq!(it, sentinel());
    }
}

// ---------------------------------------------------------------- the table against the header

/// A function of the header: name, return type and parameters (name, is a pointer).
type Declaration = (String, String, Vec<(String, bool)>);

/// The functions declared in the header generated for this build.
fn header_functions() -> Vec<Declaration> {
    let text = std::fs::read_to_string(env!("APIFY_GENERATED_HEADER"))
        .expect("the generated header is readable");
    // Drop block comments, line comments and preprocessor lines.
    let mut code = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("block comments are closed");
        rest = &rest[start + end + 2..];
    }
    code.push_str(rest);
    let code: Vec<&str> = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let code = code.join(" ").replace("extern \"C\" {", " ");
    code.split(';')
        .filter_map(|decl| {
            let open = decl.find('(')?;
            let head = decl[..open].trim();
            if head.contains("typedef") {
                return None;
            }
            let split = head.rfind(|c: char| c.is_whitespace() || c == '*')?;
            let name = head[split + 1..].to_string();
            let ret = head[..=split]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let close = decl.rfind(')')?;
            let params = decl[open + 1..close]
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty() && *p != "void")
                .map(|p| {
                    let pname = p
                        .rsplit(|c: char| c.is_whitespace() || c == '*')
                        .next()
                        .unwrap_or_default();
                    (pname.to_string(), p.contains('*'))
                })
                .collect();
            name.starts_with("apify_").then_some((name, ret, params))
        })
        .collect()
}

#[test]
fn the_table_covers_every_function_and_pointer_of_the_header() {
    let header = header_functions();
    assert!(header.len() > 30, "too few functions parsed: {header:?}");
    let table = functions();
    let mut problems = Vec::new();
    for (name, ret, params) in &header {
        let pointers: Vec<&str> = params
            .iter()
            .filter(|p| p.1)
            .map(|p| p.0.as_str())
            .collect();
        match table.iter().find(|f| f.name == name) {
            Some(f) => {
                let ours: Vec<&str> = f.params.iter().map(|p| p.0).collect();
                if ours != pointers {
                    problems.push(format!(
                        "{name}: the header's pointer parameters are {pointers:?}, the table has {ours:?}"
                    ));
                }
            }
            None if INFALLIBLE.contains(&name.as_str()) => {
                if ret == "apify_status" {
                    problems.push(format!("{name} returns apify_status: add it to the table"));
                }
            }
            None => problems.push(format!("{name} ({ret}) is not in the argument-check table")),
        }
    }
    for f in &table {
        if !header.iter().any(|h| h.0 == f.name) {
            problems.push(format!("{} is in the table but not in the header", f.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------- against the emulator

#[cfg(feature = "emulator")]
mod with_emulator {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::emulator::{Emulator, EmulatorConfig};

    /// An emulator and a client of it (freed before the emulator stops).
    struct Live {
        client: *mut apify_client,
        emu: Emulator,
    }

    impl Live {
        fn new() -> Live {
            Live::with(EmulatorConfig::default())
        }

        fn with(config: EmulatorConfig) -> Live {
            let emu = Emulator::start(config).expect("the emulator starts");
            let client = client_of(&emu, emu.token(), 8);
            Live { client, emu }
        }
    }

    impl Drop for Live {
        fn drop(&mut self) {
            unsafe { apify_client_free(self.client) };
        }
    }

    fn client_of(emu: &Emulator, token: &str, max_retries: u32) -> *mut apify_client {
        new_client(
            &json!({
                "baseUrl": emu.base_url(),
                "token": token,
                "maxRetries": max_retries,
                "minDelayBetweenRetriesMillis": 10,
                "timeoutSecs": 30,
            })
            .to_string(),
        )
    }

    fn opt_cs(s: Option<&str>) -> Option<CString> {
        s.map(cs)
    }

    /// A call with a `char **` result: the text (freed) or the status (out untouched checked).
    fn text_call(f: impl FnOnce(*mut *mut c_char) -> apify_status) -> Result<String, apify_status> {
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

    fn request(
        c: *const apify_client,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&str>,
    ) -> Result<String, apify_status> {
        let (method, path) = (cs(method), cs(path));
        let (query, body) = (opt_cs(query), opt_cs(body));
        text_call(|out| unsafe {
            apify_request(
                c,
                method.as_ptr(),
                path.as_ptr(),
                opt_ptr(&query),
                opt_ptr(&body),
                out,
            )
        })
    }

    fn request_json(
        c: *const apify_client,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&str>,
    ) -> Value {
        let text = request(c, method, path, query, body).unwrap_or_else(|st| {
            panic!("{method} {path}: {}: {:?}", status_name(st), last_message())
        });
        serde_json::from_str(&text).unwrap()
    }

    type RunFn = unsafe extern "C" fn(
        *const apify_client,
        *const c_char,
        *const c_char,
        *const c_char,
        *mut *mut c_char,
    ) -> apify_status;

    fn run_text(
        f: RunFn,
        c: *const apify_client,
        id: &str,
        input: Option<&str>,
        options: Option<&str>,
    ) -> Result<String, apify_status> {
        let id = cs(id);
        let (input, options) = (opt_cs(input), opt_cs(options));
        text_call(|out| unsafe { f(c, id.as_ptr(), opt_ptr(&input), opt_ptr(&options), out) })
    }

    fn run_json(
        f: RunFn,
        c: *const apify_client,
        id: &str,
        input: Option<&str>,
        options: Option<&str>,
    ) -> Value {
        let text = run_text(f, c, id, input, options)
            .unwrap_or_else(|st| panic!("{id}: {}: {:?}", status_name(st), last_message()));
        serde_json::from_str(&text).unwrap()
    }

    type SyncFn = unsafe extern "C" fn(
        *const apify_client,
        *const c_char,
        *const c_char,
        *const c_char,
        *mut *mut apify_record,
    ) -> apify_status;

    /// A record's bytes and content type, copied out through the accessors.
    fn record_parts(r: *const apify_record) -> (Vec<u8>, String) {
        unsafe {
            let len = apify_record_len(r);
            let data = apify_record_data(r);
            assert!(!data.is_null(), "apify_record_data gave NULL for a record");
            let bytes = std::slice::from_raw_parts(data, len).to_vec();
            let ct = apify_record_content_type(r);
            assert!(
                !ct.is_null(),
                "apify_record_content_type gave NULL for a record"
            );
            (bytes, CStr::from_ptr(ct).to_str().unwrap().to_owned())
        }
    }

    fn run_sync_record(
        f: SyncFn,
        c: *const apify_client,
        id: &str,
        input: Option<&str>,
        options: Option<&str>,
    ) -> Result<(Vec<u8>, String), apify_status> {
        let id = cs(id);
        let (input, options) = (opt_cs(input), opt_cs(options));
        let mut rec: *mut apify_record = sentinel();
        let st = unsafe { f(c, id.as_ptr(), opt_ptr(&input), opt_ptr(&options), &mut rec) };
        if st != APIFY_STATUS_OK {
            assert_eq!(rec, sentinel(), "out_output written by a failing call");
            return Err(st);
        }
        let parts = record_parts(rec);
        unsafe { apify_record_free(rec) };
        Ok(parts)
    }

    fn get_record(
        c: *const apify_client,
        store: &str,
        key: &str,
    ) -> Result<(Vec<u8>, String), apify_status> {
        let (store, key) = (cs(store), cs(key));
        let mut rec: *mut apify_record = sentinel();
        let st = unsafe { apify_kvs_get_record(c, store.as_ptr(), key.as_ptr(), &mut rec) };
        if st != APIFY_STATUS_OK {
            assert_eq!(rec, sentinel(), "out_record written by a failing call");
            return Err(st);
        }
        let parts = record_parts(rec);
        unsafe { apify_record_free(rec) };
        Ok(parts)
    }

    fn set_record(
        c: *const apify_client,
        store: &str,
        key: &str,
        data: &[u8],
        ct: &str,
    ) -> apify_status {
        let (store, key, ct) = (cs(store), cs(key), cs(ct));
        let data_ptr = if data.is_empty() {
            ptr::null()
        } else {
            data.as_ptr()
        };
        unsafe {
            apify_kvs_set_record(
                c,
                store.as_ptr(),
                key.as_ptr(),
                data_ptr,
                data.len(),
                ct.as_ptr(),
            )
        }
    }

    /// Every item of a dataset iterator, then checks that the end is OK + NULL, repeatedly.
    fn drain_dataset(c: *const apify_client, id: &str, options: Option<&str>) -> Vec<String> {
        let id = cs(id);
        let options = opt_cs(options);
        let mut it = ptr::null_mut();
        expect_ok(
            unsafe { apify_dataset_iter_new(c, id.as_ptr(), opt_ptr(&options), &mut it) },
            "apify_dataset_iter_new",
        );
        let mut items = Vec::new();
        loop {
            let mut out: *mut c_char = sentinel();
            expect_ok(
                unsafe { apify_dataset_iter_next(it, &mut out) },
                "apify_dataset_iter_next",
            );
            assert_ne!(
                out,
                sentinel(),
                "apify_dataset_iter_next answered OK without writing"
            );
            match take(out) {
                Some(item) => items.push(item),
                None => break,
            }
            assert!(items.len() < 10_000, "the iterator does not end");
        }
        for _ in 0..3 {
            let mut out: *mut c_char = sentinel();
            expect_ok(
                unsafe { apify_dataset_iter_next(it, &mut out) },
                "next after the end",
            );
            assert!(out.is_null(), "next after the end did not write NULL");
        }
        unsafe { apify_dataset_iter_free(it) };
        items
    }

    fn drain_keys(c: *const apify_client, store: &str, options: Option<&str>) -> Vec<String> {
        let store = cs(store);
        let options = opt_cs(options);
        let mut it = ptr::null_mut();
        expect_ok(
            unsafe { apify_key_iter_new(c, store.as_ptr(), opt_ptr(&options), &mut it) },
            "apify_key_iter_new",
        );
        let mut keys = Vec::new();
        loop {
            let mut out: *mut c_char = sentinel();
            expect_ok(
                unsafe { apify_key_iter_next(it, &mut out) },
                "apify_key_iter_next",
            );
            assert_ne!(
                out,
                sentinel(),
                "apify_key_iter_next answered OK without writing"
            );
            match take(out) {
                Some(key) => keys.push(key),
                None => break,
            }
            assert!(keys.len() < 10_000, "the iterator does not end");
        }
        for _ in 0..3 {
            let mut out: *mut c_char = sentinel();
            expect_ok(
                unsafe { apify_key_iter_next(it, &mut out) },
                "next after the end",
            );
            assert!(out.is_null(), "next after the end did not write NULL");
        }
        unsafe { apify_key_iter_free(it) };
        keys
    }

    /// The last error of an HTTP failure: status, HTTP status, type, method and path.
    #[track_caller]
    fn expect_http_failure(
        result: Result<impl std::fmt::Debug, apify_status>,
        status: apify_status,
        http: u16,
        kind: &str,
        method: &str,
        path_part: &str,
    ) -> Value {
        let st = result.expect_err("the call should fail");
        let json = expect_failure(st, status, "");
        assert_eq!(json["httpStatus"], http, "{json}");
        assert_eq!(json["type"], kind, "{json}");
        assert_eq!(json["method"], method, "{json}");
        assert!(
            json["path"].as_str().is_some_and(|p| p.contains(path_part)),
            "path should contain {path_part:?}: {json}"
        );
        assert!(json["attempt"].as_u64().is_some_and(|a| a >= 1), "{json}");
        json
    }

    #[test]
    fn not_found_maps_from_404() {
        let live = Live::new();
        let c = live.client;
        let missing = "noSuchThing123456";

        let r = text_call(|out| unsafe {
            apify_dataset_list_items(c, c"noSuchThing123456".as_ptr(), ptr::null(), out)
        });
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "GET",
            missing,
        );

        let r = request(c, "GET", &format!("/v2/datasets/{missing}"), None, None);
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "GET",
            missing,
        );

        let r =
            text_call(|out| unsafe { apify_run_wait(c, c"noSuchThing123456".as_ptr(), 0, out) });
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "GET",
            missing,
        );

        let r =
            text_call(|out| unsafe { apify_run_abort(c, c"noSuchThing123456".as_ptr(), 0, out) });
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "POST",
            missing,
        );

        let r = text_call(|out| unsafe {
            apify_kvs_list_keys(c, c"noSuchThing123456".as_ptr(), ptr::null(), out)
        });
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "GET",
            missing,
        );

        let r = run_text(apify_actor_start, c, "nobody/no-such-actor", None, None);
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "POST",
            "no-such-actor",
        );

        let r = run_text(apify_task_call, c, "nobody~no-such-task", None, None);
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "POST",
            "no-such-task",
        );

        // `get`-style calls answer NOT_FOUND with a message naming what is missing.
        let r = text_call(|out| unsafe { apify_run_get(c, c"noSuchThing123456".as_ptr(), out) });
        expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, missing);
        let r = get_record(c, missing, "OUTPUT");
        expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, "OUTPUT");

        // The iterator is lazy: the first next fails, leaving its out-parameter alone.
        let mut it = ptr::null_mut();
        expect_ok(
            unsafe {
                apify_dataset_iter_new(c, c"noSuchThing123456".as_ptr(), ptr::null(), &mut it)
            },
            "apify_dataset_iter_new",
        );
        let r = text_call(|out| unsafe { apify_dataset_iter_next(it, out) });
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "GET",
            missing,
        );
        unsafe { apify_dataset_iter_free(it) };
    }

    #[test]
    fn wrong_or_missing_token_is_unauthorized() {
        let live = Live::new();
        for (token, kind) in [
            ("wrong-token-SECRET", "invalid-token"),
            ("", "token-not-provided"),
        ] {
            let c = client_of(&live.emu, token, 0);
            let r = request(c, "GET", "/v2/users/me", None, None);
            let json = expect_http_failure(
                r,
                APIFY_STATUS_UNAUTHORIZED,
                401,
                kind,
                "GET",
                "/v2/users/me",
            );
            assert!(
                !json.to_string().contains("SECRET"),
                "the token leaked: {json}"
            );
            let r = run_text(
                apify_actor_run_sync_get_items,
                c,
                "apify/hello-world",
                None,
                None,
            );
            expect_http_failure(
                r,
                APIFY_STATUS_UNAUTHORIZED,
                401,
                kind,
                "POST",
                "hello-world",
            );
            let r = get_record(c, "someStore", "OUTPUT");
            expect_http_failure(r, APIFY_STATUS_UNAUTHORIZED, 401, kind, "GET", "someStore");
            unsafe { apify_client_free(c) };
        }
    }

    #[test]
    fn other_http_failures_map_to_their_statuses() {
        let live = Live::new();
        let c = live.client;
        // 400 from the API: API_ERROR with the API's type.
        let r = run_text(
            apify_actor_start,
            c,
            "emulator/generator",
            Some(r#"{"count": "ten"}"#),
            None,
        );
        expect_http_failure(
            r,
            APIFY_STATUS_API_ERROR,
            400,
            "invalid-input",
            "POST",
            "generator",
        );
        // A run that fails, through run-sync: RUN_FAILED.
        let failed = Some(r#"{"outcome": "FAILED", "count": 1}"#);
        let r = run_text(
            apify_actor_run_sync_get_items,
            c,
            "emulator/generator",
            failed,
            None,
        );
        expect_failure(r.unwrap_err(), APIFY_STATUS_RUN_FAILED, "");
        let r = run_sync_record(apify_actor_run_sync, c, "emulator/generator", failed, None);
        expect_failure(r.unwrap_err(), APIFY_STATUS_RUN_FAILED, "");

        // 429 after every retry: RATE_LIMITED.
        let limited = Live::with(EmulatorConfig {
            rate_limit: Some(1),
            ..EmulatorConfig::default()
        });
        let c = client_of(&limited.emu, limited.emu.token(), 0);
        let mut seen = None;
        for _ in 0..10 {
            if let Err(st) = request(c, "GET", "/v2/users/me", None, None) {
                seen = Some(st);
                break;
            }
        }
        let st = seen.expect("the rate limit was never hit");
        let json = expect_failure(st, APIFY_STATUS_RATE_LIMITED, "");
        assert_eq!(json["httpStatus"], 429, "{json}");
        unsafe { apify_client_free(c) };

        // run-sync over the server's limit (408): SYNC_TIMEOUT.
        let slow = Live::with(EmulatorConfig {
            sync_timeout: Duration::from_millis(300),
            ..EmulatorConfig::default()
        });
        let input = Some(r#"{"count": 1, "durationSecs": 5}"#);
        let r = run_text(
            apify_actor_run_sync_get_items,
            slow.client,
            "emulator/generator",
            input,
            None,
        );
        let json = expect_failure(r.unwrap_err(), APIFY_STATUS_SYNC_TIMEOUT, "");
        assert_eq!(json["httpStatus"], 408, "{json}");
        let r = run_sync_record(
            apify_actor_run_sync,
            slow.client,
            "emulator/generator",
            input,
            None,
        );
        expect_failure(r.unwrap_err(), APIFY_STATUS_SYNC_TIMEOUT, "");
    }

    #[test]
    fn records_through_the_accessors() {
        let live = Live::new();
        let c = live.client;
        let store = request_json(
            c,
            "POST",
            "/v2/key-value-stores",
            Some(r#"{"name": "ffi-records"}"#),
            None,
        );
        let store = store["data"]["id"].as_str().unwrap().to_owned();

        // Binary bytes with NULs survive, with their content type.
        let bytes = b"\x00bin\xffary\x00\x01";
        expect_ok(
            set_record(c, &store, "blob", bytes, "application/octet-stream"),
            "set blob",
        );
        let (data, ct) = get_record(c, &store, "blob").unwrap();
        assert_eq!(data, bytes);
        assert_eq!(ct, "application/octet-stream");

        let text = "h\u{e9}llo \u{2603}";
        expect_ok(
            set_record(
                c,
                &store,
                "text",
                text.as_bytes(),
                "text/plain; charset=utf-8",
            ),
            "set text",
        );
        let (data, ct) = get_record(c, &store, "text").unwrap();
        assert_eq!(data, text.as_bytes());
        assert!(ct.starts_with("text/plain"), "{ct}");

        // An empty record from NULL data and length 0.
        expect_ok(
            set_record(c, &store, "empty", b"", "text/plain"),
            "set empty",
        );
        let (data, ct) = get_record(c, &store, "empty").unwrap();
        assert!(data.is_empty());
        assert!(ct.starts_with("text/plain"), "{ct}");

        // Delete, then the record is NOT_FOUND; deleting a missing record is OK.
        let (s, k) = (cs(&store), c"blob");
        expect_ok(
            unsafe { apify_kvs_delete_record(c, s.as_ptr(), k.as_ptr()) },
            "delete",
        );
        expect_failure(
            get_record(c, &store, "blob").unwrap_err(),
            APIFY_STATUS_NOT_FOUND,
            "blob",
        );
        expect_ok(
            unsafe { apify_kvs_delete_record(c, s.as_ptr(), k.as_ptr()) },
            "delete again",
        );

        // The OUTPUT record of a sync run.
        let (data, ct) = run_sync_record(
            apify_actor_run_sync,
            c,
            "apify/hello-world",
            Some(r#"{"message": "rec"}"#),
            None,
        )
        .unwrap();
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_eq!(
            serde_json::from_slice::<Value>(&data).unwrap(),
            json!({"message": "rec"})
        );
        // Another record by outputRecordKey, and a non-JSON OUTPUT.
        let (data, _) = run_sync_record(
            apify_actor_run_sync,
            c,
            "emulator/generator",
            Some(r#"{"count": 1, "records": 2}"#),
            Some(r#"{"outputRecordKey": "record-00001"}"#),
        )
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&data).unwrap(),
            json!({"index": 1})
        );
        let (data, ct) = run_sync_record(
            apify_actor_run_sync,
            c,
            "emulator/generator",
            Some(r#"{"count": 0, "outputText": "plain", "outputContentType": "text/x-ffi"}"#),
            None,
        )
        .unwrap();
        assert_eq!(data, b"plain");
        assert!(ct.starts_with("text/x-ffi"), "{ct}");
    }

    #[test]
    fn a_failed_iterator_keeps_answering_its_failure() {
        let live = Live::new();
        let c = live.client;
        let id = cs("NoSuchDataset1234");
        let mut it: *mut apify_dataset_iter = ptr::null_mut();
        expect_ok(
            unsafe { apify_dataset_iter_new(c, id.as_ptr(), ptr::null(), &mut it) },
            "iter_new is lazy",
        );
        for round in 0..3 {
            let mut out: *mut c_char = sentinel();
            let st = unsafe { apify_dataset_iter_next(it, &mut out) };
            assert_eq!(st, APIFY_STATUS_NOT_FOUND, "round {round}");
            assert_eq!(out, sentinel(), "round {round}: out-parameter written");
            let json = last_json().unwrap();
            assert_eq!(json["httpStatus"], 404, "round {round}: {json}");
            assert_eq!(json["type"], "record-not-found", "round {round}: {json}");
        }
        unsafe { apify_dataset_iter_free(it) };
        // The same for keys.
        let mut kit: *mut apify_key_iter = ptr::null_mut();
        expect_ok(
            unsafe { apify_key_iter_new(c, id.as_ptr(), ptr::null(), &mut kit) },
            "key_iter_new is lazy",
        );
        for _ in 0..2 {
            let mut out: *mut c_char = sentinel();
            let st = unsafe { apify_key_iter_next(kit, &mut out) };
            assert_eq!(st, APIFY_STATUS_NOT_FOUND);
            assert_eq!(out, sentinel());
        }
        unsafe { apify_key_iter_free(kit) };
    }

    #[test]
    fn iterators_end_with_ok_and_null_repeatedly() {
        let live = Live::new();
        let c = live.client;
        let ds = request(
            c,
            "POST",
            "/v2/datasets",
            Some(r#"{"name": "ffi-iter"}"#),
            None,
        )
        .unwrap();
        let ds: Value = serde_json::from_str(&ds).unwrap();
        let ds = ds["data"]["id"].as_str().unwrap().to_owned();

        // An empty dataset ends at once.
        assert!(drain_dataset(c, &ds, None).is_empty());

        // Items as pushed: an array and then one object; the key order of the text is kept.
        let id = cs(&ds);
        let items = r#"[{"z":1,"a":"first"},{"i":1},{"i":2},{"i":3},{"i":4}]"#;
        let items = cs(items);
        expect_ok(
            unsafe { apify_dataset_push_items(c, id.as_ptr(), items.as_ptr()) },
            "push array",
        );
        expect_ok(
            unsafe { apify_dataset_push_items(c, id.as_ptr(), c"{\"i\":5}".as_ptr()) },
            "push object",
        );
        let got = drain_dataset(c, &ds, Some(r#"{"chunkSize": 2}"#));
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got[0], r#"{"z":1,"a":"first"}"#, "the item's own text");
        for (i, item) in got.iter().enumerate().skip(1) {
            assert_eq!(
                serde_json::from_str::<Value>(item).unwrap(),
                json!({"i": i})
            );
        }
        let got = drain_dataset(
            c,
            &ds,
            Some(r#"{"offset": 1, "limit": 3, "desc": true, "chunkSize": 1}"#),
        );
        assert_eq!(got, [r#"{"i":4}"#, r#"{"i":3}"#, r#"{"i":2}"#]);

        // One page.
        let page = text_call(|out| unsafe {
            apify_dataset_list_items(
                c,
                id.as_ptr(),
                c"{\"offset\": 4, \"limit\": 10}".as_ptr(),
                out,
            )
        })
        .unwrap();
        let page: Value = serde_json::from_str(&page).unwrap();
        assert_eq!(page["items"], json!([{"i": 4}, {"i": 5}]));
        assert_eq!(
            (
                page["offset"].as_u64(),
                page["count"].as_u64(),
                page["total"].as_u64()
            ),
            (Some(4), Some(2), Some(6))
        );
        assert!(page.get("limit").is_some(), "{page}");

        // Keys, over several pages.
        let st = request(
            c,
            "POST",
            "/v2/key-value-stores",
            Some(r#"{"name": "ffi-keys"}"#),
            None,
        )
        .unwrap();
        let st: Value = serde_json::from_str(&st).unwrap();
        let store = st["data"]["id"].as_str().unwrap().to_owned();
        assert!(drain_keys(c, &store, None).is_empty());
        let keys = ["a-1", "a-2", "a-3", "b-1", "b-2"];
        for k in keys {
            expect_ok(set_record(c, &store, k, k.as_bytes(), "text/plain"), "set");
        }
        assert_eq!(drain_keys(c, &store, Some(r#"{"limit": 2}"#)), keys);
        assert_eq!(
            drain_keys(c, &store, Some(r#"{"prefix": "b-"}"#)),
            ["b-1", "b-2"]
        );
        assert_eq!(
            drain_keys(
                c,
                &store,
                Some(r#"{"exclusiveStartKey": "a-3", "limit": 1}"#)
            ),
            ["b-1", "b-2"]
        );
        let s = cs(&store);
        let page = text_call(|out| unsafe {
            apify_kvs_list_keys(c, s.as_ptr(), c"{\"limit\": 2}".as_ptr(), out)
        })
        .unwrap();
        let page: Value = serde_json::from_str(&page).unwrap();
        let names: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a-1", "a-2"]);
        assert_eq!(page["isTruncated"], true, "{page}");
        assert_eq!(page["nextExclusiveStartKey"], "a-2", "{page}");
    }

    #[test]
    fn request_reaches_any_operation() {
        let live = Live::new();
        let c = live.client;
        // The whole body, `data` envelope included; the method in any case.
        let me = request_json(c, "get", "/v2/users/me", None, None);
        assert!(me["data"].is_object(), "{me}");

        // Query values: strings, numbers and booleans.
        let created = request(
            c,
            "POST",
            "/v2/datasets",
            Some(r#"{"name": "req-ds"}"#),
            None,
        )
        .unwrap();
        let created: Value = serde_json::from_str(&created).unwrap();
        assert_eq!(created["data"]["name"], "req-ds");
        let id = created["data"]["id"].as_str().unwrap().to_owned();
        request(
            c,
            "POST",
            "/v2/datasets",
            Some(r#"{"name": "req-ds-2"}"#),
            None,
        )
        .unwrap();
        let list = request(
            c,
            "GET",
            "/v2/datasets",
            Some(r#"{"limit": 1, "desc": true, "offset": 0}"#),
            None,
        )
        .unwrap();
        let list: Value = serde_json::from_str(&list).unwrap();
        assert_eq!(list["data"]["items"].as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list["data"]["items"][0]["name"], "req-ds-2", "{list}");

        // A body.
        let path = format!("/v2/datasets/{id}");
        let renamed = request_json(c, "PUT", &path, None, Some(r#"{"name": "renamed"}"#));
        assert_eq!(renamed["data"]["name"], "renamed");
        request(
            c,
            "POST",
            &format!("{path}/items"),
            None,
            Some(r#"[{"x": 1}]"#),
        )
        .unwrap();
        let items = request_json(c, "GET", &format!("{path}/items"), None, None);
        assert_eq!(items, json!([{"x": 1}]));

        // An empty answer is "null".
        assert_eq!(request(c, "DELETE", &path, None, None).unwrap(), "null");
        let r = request(c, "GET", &path, None, None);
        expect_http_failure(
            r,
            APIFY_STATUS_NOT_FOUND,
            404,
            "record-not-found",
            "GET",
            &id,
        );

        // Refused before sending: an unknown method, a relative path, a nested query value.
        let journal = |c: *mut apify_client| {
            let v = request_json(c, "GET", "/_emulator/requests", None, None);
            v.as_array()
                .map_or_else(|| v["data"].as_array().unwrap().len(), Vec::len)
        };
        let before = journal(c);
        let r = request(c, "BREW", "/v2/users/me", None, None);
        expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "BREW");
        let r = request(c, "GET", "v2/users/me", None, None);
        expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "v2/users/me");
        let r = request(c, "GET", "/v2/users/me", Some(r#"{"a": null}"#), None);
        expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "'a'");
        assert_eq!(journal(c), before, "a refused request reached the server");
    }

    #[test]
    fn runs_and_tasks() {
        let live = Live::new();
        let c = live.client;

        // Start, wait without limit, get.
        let run = run_json(
            apify_actor_start,
            c,
            "emulator/generator",
            Some(r#"{"count": 3}"#),
            None,
        );
        let id = run["id"].as_str().unwrap().to_owned();
        let run_id = cs(&id);
        let waited =
            text_call(|out| unsafe { apify_run_wait(c, run_id.as_ptr(), -1, out) }).unwrap();
        let waited: Value = serde_json::from_str(&waited).unwrap();
        assert_eq!(waited["status"], "SUCCEEDED");
        let got = text_call(|out| unsafe { apify_run_get(c, run_id.as_ptr(), out) }).unwrap();
        let got: Value = serde_json::from_str(&got).unwrap();
        assert_eq!(got["id"], id.as_str());
        let ds = got["defaultDatasetId"].as_str().unwrap();
        let items = drain_dataset(c, ds, None);
        assert_eq!(items.len(), 3);

        // A long run: wait 0 answers at once; abort ends it.
        let run = run_json(
            apify_actor_start,
            c,
            "emulator/generator",
            Some(r#"{"durationSecs": 60}"#),
            None,
        );
        let long_id = cs(run["id"].as_str().unwrap());
        let now = text_call(|out| unsafe { apify_run_wait(c, long_id.as_ptr(), 0, out) }).unwrap();
        let now: Value = serde_json::from_str(&now).unwrap();
        assert!(
            matches!(now["status"].as_str(), Some("READY" | "RUNNING")),
            "{now}"
        );
        let aborted =
            text_call(|out| unsafe { apify_run_abort(c, long_id.as_ptr(), 0, out) }).unwrap();
        let aborted: Value = serde_json::from_str(&aborted).unwrap();
        assert!(
            matches!(aborted["status"].as_str(), Some("ABORTED" | "ABORTING")),
            "{aborted}"
        );
        let done =
            text_call(|out| unsafe { apify_run_wait(c, long_id.as_ptr(), -1, out) }).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&done).unwrap()["status"],
            "ABORTED"
        );

        // Call with run options.
        let run = run_json(
            apify_actor_call,
            c,
            "emulator/generator",
            Some(r#"{"count": 2}"#),
            Some(r#"{"memory": 512, "timeout": 120, "build": "latest"}"#),
        );
        assert_eq!(run["status"], "SUCCEEDED");
        assert_eq!(run["options"]["memoryMbytes"], 512, "{run}");

        // Sync items with dataset options.
        let items = run_json(
            apify_actor_run_sync_get_items,
            c,
            "emulator/generator",
            Some(r#"{"count": 5}"#),
            Some(r#"{"offset": 1, "limit": 2, "fields": ["index"]}"#),
        );
        assert_eq!(items, json!([{"index": 1}, {"index": 2}]));

        // Tasks: the task's input with the call's input laid over it.
        let task = request_json(
            c,
            "POST",
            "/v2/actor-tasks",
            None,
            Some(
                r#"{"actId": "emulator~generator", "name": "ffi-task", "input": {"count": 2, "output": {"from": "task"}}}"#,
            ),
        );
        let task_id = task["data"]["id"].as_str().unwrap().to_owned();
        let items = run_json(
            apify_task_run_sync_get_items,
            c,
            &task_id,
            Some(r#"{"count": 4}"#),
            None,
        );
        assert_eq!(items.as_array().unwrap().len(), 4);
        let items = run_json(apify_task_run_sync_get_items, c, &task_id, None, None);
        assert_eq!(items.as_array().unwrap().len(), 2);
        let (data, _) = run_sync_record(apify_task_run_sync, c, &task_id, None, None).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&data).unwrap(),
            json!({"from": "task"})
        );
        let run = run_json(apify_task_call, c, &task_id, Some(r#"{"count": 1}"#), None);
        assert_eq!(run["status"], "SUCCEEDED");
        let run = run_json(apify_task_start, c, &task_id, None, None);
        assert!(run["id"].is_string());
        let r = run_sync_record(apify_task_run_sync, c, "nobody~no-such-task", None, None);
        expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, "");
    }

    #[test]
    fn one_client_from_many_threads() {
        let live = Live::new();
        // Raw pointers are not Send; the address is, and the client is documented thread-safe.
        let addr = live.client as usize;
        let threads: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    let c = addr as *const apify_client;
                    let input = format!(r#"{{"message": "thread {t}"}}"#);
                    let items = run_json(
                        apify_actor_run_sync_get_items,
                        c,
                        "apify/hello-world",
                        Some(&input),
                        None,
                    );
                    assert_eq!(items, json!([{"message": format!("thread {t}")}]));
                    // A failure on this thread stays here.
                    let r = text_call(|out| unsafe {
                        apify_run_get(c, c"noSuchThing123456".as_ptr(), out)
                    });
                    assert_eq!(r.unwrap_err(), APIFY_STATUS_NOT_FOUND);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Live::new ended with a success on this thread; the threads' failures are not here.
        assert_eq!(last_message(), None);
    }
}
