//! The C ABI: thin `extern "C"` shims over the Rust API with opaque handles and JSON text in and
//! out. Every body runs inside one panic boundary and checks every pointer; a failing call sets
//! the thread's last error and leaves its out-parameters untouched, a succeeding call clears it.
#![allow(unsafe_code)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod options;

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::time::Duration;

use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::dataset::DatasetIter;
use crate::key_value_store::KeyIter;
use crate::{Client, Error, ItemsPage, KeysOptions, Record, RunnableClient, WaitOptions};

use options::{parse_object, CallOpts, ClientOpts, ItemsOpts, KeysOpts};

/// The result of a fallible call: `APIFY_STATUS_OK` (0) or one of the `APIFY_STATUS_*` codes.
pub type apify_status = i32;

/// Success.
pub const APIFY_STATUS_OK: apify_status = 0;
/// A required pointer argument was NULL.
pub const APIFY_STATUS_NULL_ARGUMENT: apify_status = 1;
/// A string argument was not valid UTF-8.
pub const APIFY_STATUS_INVALID_UTF8: apify_status = 2;
/// A JSON argument was not valid JSON.
pub const APIFY_STATUS_INVALID_JSON: apify_status = 3;
/// An argument was refused before any request (wrong shape, unknown option, bad key, ...).
pub const APIFY_STATUS_INVALID_ARGUMENT: apify_status = 4;
/// The API answered with an error not covered by a more specific status.
pub const APIFY_STATUS_API_ERROR: apify_status = 10;
/// The API answered 404.
pub const APIFY_STATUS_NOT_FOUND: apify_status = 11;
/// The API answered 401 or 403 (missing or wrong token, no permission).
pub const APIFY_STATUS_UNAUTHORIZED: apify_status = 12;
/// The API answered 429 after every retry.
pub const APIFY_STATUS_RATE_LIMITED: apify_status = 13;
/// The run ended in a status other than SUCCEEDED.
pub const APIFY_STATUS_RUN_FAILED: apify_status = 14;
/// A synchronous run did not finish within the API's limit (HTTP 408); the run goes on.
pub const APIFY_STATUS_SYNC_TIMEOUT: apify_status = 15;
/// A run start (or synchronous run) may have reached the server and no answer says whether it
/// created a run; it was not resent. The last error JSON has the start's marker
/// (`startMarker`: the run's `meta.userAgent` ends with it) and, when found, the run (`runId`).
pub const APIFY_STATUS_OUTCOME_UNKNOWN: apify_status = 16;
/// The request could not be sent or its answer was lost.
pub const APIFY_STATUS_TRANSPORT: apify_status = 20;
/// The request timed out on the client side.
pub const APIFY_STATUS_TIMEOUT: apify_status = 21;
/// The operation was cancelled.
pub const APIFY_STATUS_CANCELLED: apify_status = 22;
/// An unexpected internal failure (an answer that could not be decoded, ...).
pub const APIFY_STATUS_INTERNAL: apify_status = 90;
/// A panic was caught at the boundary; the library is still usable.
pub const APIFY_STATUS_PANIC: apify_status = 99;

/// A client of the Apify API. Safe to use from many threads at once.
pub struct apify_client {
    client: Client,
}

/// An iterator over a dataset's items. Use from one thread at a time.
pub struct apify_dataset_iter {
    inner: DatasetIter<Box<RawValue>>,
    failed: Option<Failure>,
}

/// An iterator over a key-value store's keys. Use from one thread at a time.
pub struct apify_key_iter {
    inner: KeyIter,
    failed: Option<Failure>,
}

/// A key-value record: bytes and content type.
pub struct apify_record {
    data: Vec<u8>,
    content_type: CString,
}

/// A failure on its way to C: the status and what the last error says.
#[derive(Clone)]
struct Failure {
    status: apify_status,
    http_status: Option<u16>,
    kind: Option<String>,
    message: String,
    method: Option<String>,
    path: Option<String>,
    attempt: Option<u32>,
    run_id: Option<String>,
    start_marker: Option<String>,
}

impl Failure {
    fn new(status: apify_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            http_status: None,
            kind: None,
            message: message.into(),
            method: None,
            path: None,
            attempt: None,
            run_id: None,
            start_marker: None,
        }
    }

    fn null(name: &str) -> Failure {
        Failure::new(
            APIFY_STATUS_NULL_ARGUMENT,
            format!("argument '{name}' must not be NULL"),
        )
    }

    fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(APIFY_STATUS_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let message = e.to_string();
        match e {
            Error::Api(api) => {
                let status = match api.status {
                    404 => APIFY_STATUS_NOT_FOUND,
                    401 | 403 => APIFY_STATUS_UNAUTHORIZED,
                    429 => APIFY_STATUS_RATE_LIMITED,
                    _ => APIFY_STATUS_API_ERROR,
                };
                Failure {
                    status,
                    http_status: Some(api.status),
                    kind: (!api.kind.is_empty()).then_some(api.kind),
                    message,
                    method: Some(api.method),
                    path: Some(api.path),
                    attempt: Some(api.attempt),
                    ..Failure::new(status, "")
                }
            }
            Error::Transport {
                method,
                path,
                attempt,
                ..
            } => Failure {
                method: Some(method),
                path: Some(path),
                attempt: Some(attempt),
                ..Failure::new(APIFY_STATUS_TRANSPORT, message)
            },
            Error::OutcomeUnknown {
                method,
                path,
                run_id,
                start_marker,
                ..
            } => Failure {
                method: Some(method),
                path: Some(path),
                run_id,
                start_marker,
                ..Failure::new(APIFY_STATUS_OUTCOME_UNKNOWN, message)
            },
            Error::Timeout {
                method,
                path,
                attempt,
                ..
            } => Failure {
                method: Some(method),
                path: Some(path),
                attempt: Some(attempt),
                ..Failure::new(APIFY_STATUS_TIMEOUT, message)
            },
            Error::InvalidArgument(_) => Failure::new(APIFY_STATUS_INVALID_ARGUMENT, message),
            Error::SyncRunTimeout { .. } => Failure {
                http_status: Some(408),
                kind: Some("run-timeout-exceeded".into()),
                ..Failure::new(APIFY_STATUS_SYNC_TIMEOUT, message)
            },
            Error::RunFailed { api, .. } => match api {
                Some(api) => Failure {
                    http_status: Some(api.status),
                    kind: (!api.kind.is_empty()).then_some(api.kind),
                    method: Some(api.method),
                    path: Some(api.path),
                    attempt: Some(api.attempt),
                    ..Failure::new(APIFY_STATUS_RUN_FAILED, message)
                },
                None => Failure::new(APIFY_STATUS_RUN_FAILED, message),
            },
            Error::Cancelled => Failure::new(APIFY_STATUS_CANCELLED, message),
            Error::Decode { method, path, .. } => Failure {
                method: Some(method),
                path: Some(path),
                ..Failure::new(APIFY_STATUS_INTERNAL, message)
            },
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<Failure>> = const { RefCell::new(None) };
}

/// Drops a handle made by `Box::into_raw`; NULL is a no-op.
unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(p))));
    }
}

/// The body of an iterator's `_next`: the next element as a C string, or NULL at the end.
/// After a failure the iterator keeps answering that failure, so that it is never mistaken
/// for the end.
unsafe fn iter_next<T>(
    it: Option<(
        &mut dyn Iterator<Item = crate::Result<T>>,
        &mut Option<Failure>,
    )>,
    out: *mut *mut c_char,
    out_name: &str,
    text: impl FnOnce(T) -> String,
) -> Result<(), Failure> {
    let (it, failed) = it.ok_or_else(|| Failure::null("it"))?;
    out_check(out, out_name)?;
    if let Some(f) = failed {
        return Err(Failure {
            message: format!("the iterator stopped at an earlier error: {}", f.message),
            ..f.clone()
        });
    }
    match it.next() {
        None => *out = ptr::null_mut(),
        Some(Ok(item)) => *out = to_c(text(item))?,
        Some(Err(e)) => {
            let f = Failure::from(e);
            *failed = Some(f.clone());
            return Err(f);
        }
    }
    Ok(())
}

/// Runs a call inside the panic boundary and keeps the last error.
fn guard(f: impl FnOnce() -> Result<(), Failure>) -> apify_status {
    let result = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Failure::new(
            APIFY_STATUS_PANIC,
            format!("internal panic caught at the C boundary: {what}"),
        ))
    });
    match result {
        Ok(()) => {
            LAST_ERROR.with(|e| *e.borrow_mut() = None);
            APIFY_STATUS_OK
        }
        Err(f) => {
            let status = f.status;
            LAST_ERROR.with(|e| *e.borrow_mut() = Some(f));
            status
        }
    }
}

/// A borrowed C string argument that must be present.
unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::null(name));
    }
    CStr::from_ptr(p).to_str().map_err(|e| {
        Failure::new(
            APIFY_STATUS_INVALID_UTF8,
            format!(
                "argument '{name}' is not valid UTF-8 (at byte {})",
                e.valid_up_to()
            ),
        )
    })
}

/// A borrowed C string argument that may be NULL.
unsafe fn opt_str<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        Ok(None)
    } else {
        arg_str(p, name).map(Some)
    }
}

/// A JSON argument that may be NULL.
unsafe fn opt_json(p: *const c_char, name: &str) -> Result<Option<Value>, Failure> {
    match opt_str(p, name)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
            Failure::new(
                APIFY_STATUS_INVALID_JSON,
                format!("argument '{name}' is not valid JSON: {e}"),
            )
        }),
    }
}

unsafe fn client_ref<'a>(c: *const apify_client) -> Result<&'a Client, Failure> {
    if c.is_null() {
        return Err(Failure::null("c"));
    }
    Ok(&(*c).client)
}

fn out_check<T>(out: *mut T, name: &str) -> Result<(), Failure> {
    if out.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(())
    }
}

/// A Rust string as a C string owned by the caller (freed with `apify_string_free`).
fn to_c(s: String) -> Result<*mut c_char, Failure> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|_| Failure::new(APIFY_STATUS_INTERNAL, "a result contained a NUL byte"))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string(v).map_err(|e| Failure::new(APIFY_STATUS_INTERNAL, e.to_string()))
}

// ---------------------------------------------------------------- library

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version, e.g. "0.1.0" (static; do not free).
#[no_mangle]
pub extern "C" fn apify_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The name of a status code ("OK", "NOT_FOUND", ...), or "UNKNOWN" (static; do not free).
#[no_mangle]
pub extern "C" fn apify_status_name(status: i32) -> *const c_char {
    let name: &'static str = match status {
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
        APIFY_STATUS_INTERNAL => "INTERNAL\0",
        APIFY_STATUS_PANIC => "PANIC\0",
        _ => "UNKNOWN\0",
    };
    name.as_ptr().cast()
}

/// This thread's last error as text, or NULL after a success. Free with `apify_string_free`.
#[no_mangle]
pub extern "C" fn apify_last_error_message() -> *mut c_char {
    catch_unwind(|| {
        LAST_ERROR.with(|e| {
            e.borrow()
                .as_ref()
                .and_then(|f| CString::new(f.message.replace('\0', " ")).ok())
                .map_or(ptr::null_mut(), CString::into_raw)
        })
    })
    .unwrap_or(ptr::null_mut())
}

/// This thread's last error as JSON: `{"status", "statusName", "httpStatus", "type", "message",
/// "method", "path", "attempt", "runId", "startMarker"}` (absent parts are null), or NULL after a
/// success. Free with `apify_string_free`.
#[no_mangle]
pub extern "C" fn apify_last_error_json() -> *mut c_char {
    catch_unwind(|| {
        LAST_ERROR.with(|e| {
            e.borrow().as_ref().map_or(ptr::null_mut(), |f| {
                let name = unsafe { CStr::from_ptr(apify_status_name(f.status)) };
                let v = json!({
                    "status": f.status,
                    "statusName": name.to_str().unwrap_or("UNKNOWN"),
                    "httpStatus": f.http_status,
                    "type": f.kind,
                    "message": f.message,
                    "method": f.method,
                    "path": f.path,
                    "attempt": f.attempt,
                    "runId": f.run_id,
                    "startMarker": f.start_marker,
                });
                CString::new(v.to_string()).map_or(ptr::null_mut(), CString::into_raw)
            })
        })
    })
    .unwrap_or(ptr::null_mut())
}

/// Frees a string this library returned. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_string_free(s: *mut c_char) {
    if !s.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(CString::from_raw(s))));
    }
}

// ---------------------------------------------------------------- client

/// Creates a client. `options_json` may be NULL; keys: token, baseUrl, maxRetries,
/// minDelayBetweenRetriesMillis, timeoutSecs, userAgentSuffix, reconcileWindowSecs (how long a
/// start whose answer was lost looks for its run before it is resent; default 5). token and
/// baseUrl default to APIFY_TOKEN and APIFY_API_BASE_URL.
#[no_mangle]
pub unsafe extern "C" fn apify_client_new(
    options_json: *const c_char,
    out_client: *mut *mut apify_client,
) -> apify_status {
    guard(|| {
        out_check(out_client, "out_client")?;
        let opts: ClientOpts =
            parse_object(opt_json(options_json, "options_json")?, "client options")?;
        let client = opts.build()?;
        *out_client = Box::into_raw(Box::new(apify_client { client }));
        Ok(())
    })
}

/// Frees a client. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_client_free(client: *mut apify_client) {
    free_box(client);
}

// ---------------------------------------------------------------- Actors and tasks

enum Target {
    Actor,
    Task,
}

unsafe fn runnable(
    c: *const apify_client,
    target: Target,
    id: *const c_char,
) -> Result<RunnableClient, Failure> {
    let client = client_ref(c)?;
    Ok(match target {
        Target::Actor => client.actor(arg_str(id, "actor_id")?),
        Target::Task => client.task(arg_str(id, "task_id")?),
    })
}

unsafe fn input_arg(input_json: *const c_char) -> Result<Value, Failure> {
    Ok(opt_json(input_json, "input_json")?.unwrap_or(Value::Null))
}

unsafe fn start_impl(
    c: *const apify_client,
    target: Target,
    id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
    wait: bool,
) -> apify_status {
    guard(|| {
        let r = runnable(c, target, id)?;
        out_check(out_run_json, "out_run_json")?;
        let input = input_arg(input_json)?;
        let opts: CallOpts = parse_object(opt_json(options_json, "options_json")?, "run options")?;
        let run = if wait {
            r.call(&input, &opts.call_options()?)?
        } else {
            r.start(&input, &opts.start_options()?)?
        };
        *out_run_json = to_c(to_json(&run)?)?;
        Ok(())
    })
}

unsafe fn run_sync_impl(
    c: *const apify_client,
    target: Target,
    id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_output: *mut *mut apify_record,
) -> apify_status {
    guard(|| {
        let r = runnable(c, target, id)?;
        out_check(out_output, "out_output")?;
        let input = input_arg(input_json)?;
        let opts: CallOpts = parse_object(opt_json(options_json, "options_json")?, "run options")?;
        let record = r.run_sync(
            &input,
            &opts.start_options()?,
            opts.output_record_key.as_deref(),
        )?;
        *out_output = new_record(record)?;
        Ok(())
    })
}

unsafe fn run_sync_items_impl(
    c: *const apify_client,
    target: Target,
    id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_items_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let r = runnable(c, target, id)?;
        out_check(out_items_json, "out_items_json")?;
        let input = input_arg(input_json)?;
        let opts: CallOpts = parse_object(opt_json(options_json, "options_json")?, "run options")?;
        let items: Vec<Box<RawValue>> =
            r.run_sync_get_items(&input, &opts.start_options()?, &opts.items.items_options())?;
        *out_items_json = to_c(join_raw(&items))?;
        Ok(())
    })
}

fn join_raw(items: &[Box<RawValue>]) -> String {
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

/// Starts an Actor run; `*out_run_json` receives the run object. `input_json` (a JSON object)
/// and `options_json` may be NULL. Options: build, memory, timeout, maxItems, maxTotalChargeUsd,
/// restartOnError, waitForFinish, webhooks. Exactly once: a start whose answer was lost finds
/// its own run by the marker that ends its User-Agent (the run's `meta.userAgent`), or is
/// resent when no run carries it; `APIFY_STATUS_OUTCOME_UNKNOWN` when that cannot be proven.
#[no_mangle]
pub unsafe extern "C" fn apify_actor_start(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    start_impl(
        c,
        Target::Actor,
        actor_id,
        input_json,
        options_json,
        out_run_json,
        false,
    )
}

/// Starts an Actor run and waits for it (no limit unless the option waitSecs gives one). OK
/// whatever the run's final status: read its `status` field (SUCCEEDED, FAILED, ...).
#[no_mangle]
pub unsafe extern "C" fn apify_actor_call(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    start_impl(
        c,
        Target::Actor,
        actor_id,
        input_json,
        options_json,
        out_run_json,
        true,
    )
}

/// Runs an Actor synchronously (up to about 300 s) and returns its OUTPUT record (or the
/// option outputRecordKey's record).
#[no_mangle]
pub unsafe extern "C" fn apify_actor_run_sync(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_output: *mut *mut apify_record,
) -> apify_status {
    run_sync_impl(
        c,
        Target::Actor,
        actor_id,
        input_json,
        options_json,
        out_output,
    )
}

/// Runs an Actor synchronously and returns its dataset items as a JSON array (dataset-items
/// options apply).
#[no_mangle]
pub unsafe extern "C" fn apify_actor_run_sync_get_items(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_items_json: *mut *mut c_char,
) -> apify_status {
    run_sync_items_impl(
        c,
        Target::Actor,
        actor_id,
        input_json,
        options_json,
        out_items_json,
    )
}

/// Starts a task run; `input_json` overrides the task's input key by key.
#[no_mangle]
pub unsafe extern "C" fn apify_task_start(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    start_impl(
        c,
        Target::Task,
        task_id,
        input_json,
        options_json,
        out_run_json,
        false,
    )
}

/// Starts a task run and waits for it.
#[no_mangle]
pub unsafe extern "C" fn apify_task_call(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    start_impl(
        c,
        Target::Task,
        task_id,
        input_json,
        options_json,
        out_run_json,
        true,
    )
}

/// Runs a task synchronously and returns its OUTPUT record.
#[no_mangle]
pub unsafe extern "C" fn apify_task_run_sync(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_output: *mut *mut apify_record,
) -> apify_status {
    run_sync_impl(
        c,
        Target::Task,
        task_id,
        input_json,
        options_json,
        out_output,
    )
}

/// Runs a task synchronously and returns its dataset items as a JSON array.
#[no_mangle]
pub unsafe extern "C" fn apify_task_run_sync_get_items(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_items_json: *mut *mut c_char,
) -> apify_status {
    run_sync_items_impl(
        c,
        Target::Task,
        task_id,
        input_json,
        options_json,
        out_items_json,
    )
}

// ---------------------------------------------------------------- runs

/// Gets a run; NOT_FOUND when there is none.
#[no_mangle]
pub unsafe extern "C" fn apify_run_get(
    c: *const apify_client,
    run_id: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let id = arg_str(run_id, "run_id")?;
        out_check(out_run_json, "out_run_json")?;
        let run = client.run(id).fetch()?;
        *out_run_json = to_c(to_json(&run)?)?;
        Ok(())
    })
}

/// Waits for a run: `wait_secs` < 0 without limit, 0 not at all, else at most that long. Returns
/// the run in whatever status it has then.
#[no_mangle]
pub unsafe extern "C" fn apify_run_wait(
    c: *const apify_client,
    run_id: *const c_char,
    wait_secs: i64,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let id = arg_str(run_id, "run_id")?;
        out_check(out_run_json, "out_run_json")?;
        let budget = (wait_secs >= 0).then(|| Duration::from_secs(wait_secs as u64));
        let run = client.run(id).wait(&WaitOptions {
            budget,
            ..WaitOptions::default()
        })?;
        *out_run_json = to_c(to_json(&run)?)?;
        Ok(())
    })
}

/// Aborts a run (`gracefully` non-zero lets it finish its work for up to 30 s).
#[no_mangle]
pub unsafe extern "C" fn apify_run_abort(
    c: *const apify_client,
    run_id: *const c_char,
    gracefully: c_int,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let id = arg_str(run_id, "run_id")?;
        out_check(out_run_json, "out_run_json")?;
        let run = client.run(id).abort(gracefully != 0)?;
        *out_run_json = to_c(to_json(&run)?)?;
        Ok(())
    })
}

// ---------------------------------------------------------------- datasets

/// One page of items: `{"items": [...], "offset", "limit", "count", "total"}`. Options:
/// offset, limit, desc, fields, omit, clean, skipEmpty, skipHidden, unwind, flatten, view.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_list_items(
    c: *const apify_client,
    dataset_id: *const c_char,
    options_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let id = arg_str(dataset_id, "dataset_id")?;
        out_check(out_page_json, "out_page_json")?;
        let opts: ItemsOpts =
            parse_object(opt_json(options_json, "options_json")?, "dataset options")?;
        let page: ItemsPage<Box<RawValue>> =
            client.dataset(id).list_items(&opts.items_options())?;
        let text = format!(
            "{{\"items\":{},\"offset\":{},\"limit\":{},\"count\":{},\"total\":{}}}",
            join_raw(&page.items),
            page.offset,
            page.limit,
            page.count,
            page.total
        );
        *out_page_json = to_c(text)?;
        Ok(())
    })
}

/// An iterator over all items (from offset, up to limit), fetched chunkSize (default 1000) at a
/// time. Takes the dataset-items options and chunkSize.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_iter_new(
    c: *const apify_client,
    dataset_id: *const c_char,
    options_json: *const c_char,
    out_iter: *mut *mut apify_dataset_iter,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let id = arg_str(dataset_id, "dataset_id")?;
        out_check(out_iter, "out_iter")?;
        let opts: ItemsOpts =
            parse_object(opt_json(options_json, "options_json")?, "dataset options")?;
        crate::client::id_segment("the dataset id", id)?;
        let chunk = opts.chunk_size.unwrap_or(1000);
        if chunk == 0 {
            return Err(Failure::invalid("chunkSize must be at least 1"));
        }
        let inner = client.dataset(id).iter_items(&opts.items_options(), chunk);
        *out_iter = Box::into_raw(Box::new(apify_dataset_iter {
            inner,
            failed: None,
        }));
        Ok(())
    })
}

/// The next item's JSON text as the server sent it; OK with `*out_item_json` = NULL at the end.
/// After a failure every later call answers the same failure (never a false end); start a new
/// iterator at the offset you reached to go on.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_iter_next(
    it: *mut apify_dataset_iter,
    out_item_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let inner = it
            .as_mut()
            .map(|i| (&mut i.inner as &mut dyn Iterator<Item = _>, &mut i.failed));
        iter_next(
            inner,
            out_item_json,
            "out_item_json",
            |item: Box<RawValue>| item.get().to_string(),
        )
    })
}

/// Frees a dataset iterator. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_iter_free(it: *mut apify_dataset_iter) {
    free_box(it);
}

/// Pushes items: a JSON object or an array of objects, split under the 9 MB request limit.
#[no_mangle]
pub unsafe extern "C" fn apify_dataset_push_items(
    c: *const apify_client,
    dataset_id: *const c_char,
    items_json: *const c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let id = arg_str(dataset_id, "dataset_id")?;
        let text = arg_str(items_json, "items_json")?;
        let invalid_json = |e: serde_json::Error| {
            Failure::new(
                APIFY_STATUS_INVALID_JSON,
                format!("argument 'items_json' is not valid JSON: {e}"),
            )
        };
        let items: Vec<Box<RawValue>> = if text.trim_start().starts_with('[') {
            serde_json::from_str(text).map_err(invalid_json)?
        } else {
            vec![serde_json::from_str(text).map_err(invalid_json)?]
        };
        for (i, item) in items.iter().enumerate() {
            if !item.get().trim_start().starts_with('{') {
                return Err(Failure::invalid(format!(
                    "item {i} is not a JSON object; dataset items must be objects"
                )));
            }
        }
        let texts: Vec<&str> = items.iter().map(|i| i.get()).collect();
        client.dataset(id).push_json_texts(&texts)?;
        Ok(())
    })
}

// ---------------------------------------------------------------- key-value stores

fn new_record(record: Record) -> Result<*mut apify_record, Failure> {
    let content_type = CString::new(record.content_type.replace('\0', ""))
        .map_err(|_| Failure::new(APIFY_STATUS_INTERNAL, "bad content type"))?;
    Ok(Box::into_raw(Box::new(apify_record {
        data: record.data,
        content_type,
    })))
}

/// Gets a record; NOT_FOUND when it does not exist.
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_get_record(
    c: *const apify_client,
    store_id: *const c_char,
    key: *const c_char,
    out_record: *mut *mut apify_record,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let store = arg_str(store_id, "store_id")?;
        let key = arg_str(key, "key")?;
        out_check(out_record, "out_record")?;
        let record = client.key_value_store(store).fetch_record(key)?;
        *out_record = new_record(record)?;
        Ok(())
    })
}

/// Stores `len` bytes at `data` (NULL allowed when `len` is 0) with a content type.
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_set_record(
    c: *const apify_client,
    store_id: *const c_char,
    key: *const c_char,
    data: *const u8,
    len: usize,
    content_type: *const c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let store = arg_str(store_id, "store_id")?;
        let key = arg_str(key, "key")?;
        let content_type = arg_str(content_type, "content_type")?;
        let bytes: &[u8] = if len == 0 {
            &[]
        } else if data.is_null() {
            return Err(Failure::null("data"));
        } else {
            std::slice::from_raw_parts(data, len)
        };
        client
            .key_value_store(store)
            .set_record(key, bytes, content_type)?;
        Ok(())
    })
}

/// Deletes a record (a missing record is not an error; a missing store is NOT_FOUND).
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_delete_record(
    c: *const apify_client,
    store_id: *const c_char,
    key: *const c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let store = arg_str(store_id, "store_id")?;
        let key = arg_str(key, "key")?;
        client.key_value_store(store).delete_record(key)?;
        Ok(())
    })
}

/// One page of keys: `{"items": [{"key", "size"}], "isTruncated", "nextExclusiveStartKey"}`.
/// Options: limit, exclusiveStartKey, prefix, collection.
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_list_keys(
    c: *const apify_client,
    store_id: *const c_char,
    options_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let store = arg_str(store_id, "store_id")?;
        out_check(out_page_json, "out_page_json")?;
        let opts: KeysOpts = parse_object(opt_json(options_json, "options_json")?, "key options")?;
        let page = client
            .key_value_store(store)
            .list_keys(&opts.keys_options())?;
        *out_page_json = to_c(to_json(&page)?)?;
        Ok(())
    })
}

/// An iterator over all keys, following nextExclusiveStartKey. Options: limit (page size),
/// exclusiveStartKey, prefix, collection.
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_key_iter_new(
    c: *const apify_client,
    store_id: *const c_char,
    options_json: *const c_char,
    out_iter: *mut *mut apify_key_iter,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let store = arg_str(store_id, "store_id")?;
        out_check(out_iter, "out_iter")?;
        let opts: KeysOpts = parse_object(opt_json(options_json, "options_json")?, "key options")?;
        let keys: KeysOptions = opts.keys_options();
        if let Some(l) = keys.limit {
            if !(1..=1000).contains(&l) {
                return Err(Failure::invalid(format!(
                    "limit must be 1 to 1000, got {l}"
                )));
            }
        }
        crate::client::id_segment("the key-value store id", store)?;
        let inner = client.key_value_store(store).iter_keys(&keys);
        *out_iter = Box::into_raw(Box::new(apify_key_iter {
            inner,
            failed: None,
        }));
        Ok(())
    })
}

/// The next key; OK with `*out_key` = NULL at the end. After a failure every later call answers
/// the same failure (never a false end).
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_key_iter_next(
    it: *mut apify_key_iter,
    out_key: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let inner = it
            .as_mut()
            .map(|i| (&mut i.inner as &mut dyn Iterator<Item = _>, &mut i.failed));
        iter_next(inner, out_key, "out_key", |k: crate::KeyInfo| k.key)
    })
}

/// Frees a key iterator. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_kvs_key_iter_free(it: *mut apify_key_iter) {
    free_box(it);
}

/// The record's bytes (valid until `apify_record_free`); NULL for a NULL record.
#[no_mangle]
pub unsafe extern "C" fn apify_record_data(r: *const apify_record) -> *const u8 {
    if r.is_null() {
        ptr::null()
    } else {
        (*r).data.as_ptr()
    }
}

/// The record's length in bytes; 0 for a NULL record.
#[no_mangle]
pub unsafe extern "C" fn apify_record_len(r: *const apify_record) -> usize {
    if r.is_null() {
        0
    } else {
        (*r).data.len()
    }
}

/// The record's content type (valid until `apify_record_free`); NULL for a NULL record.
#[no_mangle]
pub unsafe extern "C" fn apify_record_content_type(r: *const apify_record) -> *const c_char {
    if r.is_null() {
        ptr::null()
    } else {
        (*r).content_type.as_ptr()
    }
}

/// Frees a record. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_record_free(r: *mut apify_record) {
    free_box(r);
}

// ---------------------------------------------------------------- any operation

/// Any operation of the API with the same auth, retries and errors: `method` ("GET", "POST",
/// ...), `path` (starting with /v2/), `query_json` (an object of strings, numbers or booleans;
/// may be NULL), `body_json` (may be NULL). `*out_response_json` receives the whole response body
/// ("null" for an empty one).
#[no_mangle]
pub unsafe extern "C" fn apify_request(
    c: *const apify_client,
    method: *const c_char,
    path: *const c_char,
    query_json: *const c_char,
    body_json: *const c_char,
    out_response_json: *mut *mut c_char,
) -> apify_status {
    guard(|| {
        let client = client_ref(c)?;
        let method = arg_str(method, "method")?;
        let path = arg_str(path, "path")?;
        out_check(out_response_json, "out_response_json")?;
        let query = match opt_json(query_json, "query_json")? {
            None => Vec::new(),
            Some(Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k, s)),
                    Value::Number(n) => Ok((k, n.to_string())),
                    Value::Bool(b) => Ok((k, b.to_string())),
                    _ => Err(Failure::invalid(format!(
                        "query parameter '{k}' must be a string, number or boolean"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(Failure::invalid("query_json must be a JSON object")),
        };
        let body = opt_json(body_json, "body_json")?;
        let pairs: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let bytes = client.request_raw(method, path, &pairs, body.as_ref())?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Failure::new(APIFY_STATUS_INTERNAL, "the response body is not UTF-8 text")
        })?;
        *out_response_json = to_c(if text.trim().is_empty() {
            "null".to_string()
        } else {
            text
        })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests;
