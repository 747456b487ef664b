//! The emulator's fixture and the calls the `with_emulator_*` tests make through the C ABI.

pub(crate) use std::time::Duration;

pub(crate) use serde_json::json;

use super::helpers::*;
pub(crate) use crate::emulator::{Emulator, EmulatorConfig};

/// The emulator's Actor whose items, records, log, duration and outcome its input sets.
pub(crate) const GENERATOR: &str = "emulator/generator";

/// An emulator and a client of it (freed before the emulator stops).
pub(crate) struct Live {
    pub(crate) client: *mut apify_client,
    pub(crate) emu: Emulator,
}

impl Live {
    pub(crate) fn new() -> Live {
        Live::with(EmulatorConfig::default())
    }

    pub(crate) fn with(config: EmulatorConfig) -> Live {
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

pub(crate) fn client_of(emu: &Emulator, token: &str, max_retries: u32) -> *mut apify_client {
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

pub(crate) fn opt_cs(s: Option<&str>) -> Option<CString> {
    s.map(cs)
}

pub(crate) fn request(
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

/// The JSON text a call answered, parsed; the call must have succeeded.
#[track_caller]
pub(crate) fn json_of(what: &str, result: Result<String, apify_status>) -> Value {
    let text =
        result.unwrap_or_else(|st| panic!("{what}: {}: {:?}", status_name(st), last_message()));
    serde_json::from_str(&text).unwrap()
}

/// `request` without a query, as JSON; it must succeed.
#[track_caller]
pub(crate) fn request_json(
    c: *const apify_client,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Value {
    json_of(
        &format!("{method} {path}"),
        request(c, method, path, None, body),
    )
}

/// Creates a named storage (`collection` "datasets" or "key-value-stores"); its id.
pub(crate) fn create_storage(c: *const apify_client, collection: &str, name: &str) -> String {
    let query = json!({ "name": name }).to_string();
    let path = format!("/v2/{collection}");
    let created = json_of(&path, request(c, "POST", &path, Some(&query), None));
    created["data"]["id"].as_str().unwrap().to_owned()
}

/// How many requests the emulator has seen (its journal).
pub(crate) fn journal(c: *const apify_client) -> usize {
    let v = request_json(c, "GET", "/_emulator/requests", None);
    v.as_array()
        .map_or_else(|| v["data"].as_array().unwrap().len(), Vec::len)
}

pub(crate) type RunFn = unsafe extern "C" fn(
    *const apify_client,
    *const c_char,
    *const c_char,
    *const c_char,
    *mut *mut c_char,
) -> apify_status;

pub(crate) fn run_text(
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

/// A client, as the calls take it.
type ClientPtr = *const apify_client;
/// An optional text argument (NULL for `None`).
type Opt<'a> = Option<&'a str>;

/// `run_text` as JSON; it must succeed.
#[track_caller]
pub(crate) fn run_json(f: RunFn, c: ClientPtr, id: &str, input: Opt, options: Opt) -> Value {
    json_of(id, run_text(f, c, id, input, options))
}

/// A call of a client, one id (or name) and a `char **` result: `apify_run_get`,
/// `apify_run_get_log`, `apify_dataset_get`, `apify_kvs_get_or_create`, ...
pub(crate) type IdFn =
    unsafe extern "C" fn(*const apify_client, *const c_char, *mut *mut c_char) -> apify_status;

/// `f(c, id)` (NULL for `None`): the text, or the status (out-parameter untouched).
pub(crate) fn id_text(
    f: IdFn,
    c: *const apify_client,
    id: Option<&str>,
) -> Result<String, apify_status> {
    let id = opt_cs(id);
    text_call(|out| unsafe { f(c, opt_ptr(&id), out) })
}

/// `f(c, id)` as JSON, which must succeed.
#[track_caller]
pub(crate) fn id_json(f: IdFn, c: *const apify_client, id: &str) -> Value {
    json_of(id, id_text(f, c, Some(id)))
}

pub(crate) type SyncFn = unsafe extern "C" fn(
    *const apify_client,
    *const c_char,
    *const c_char,
    *const c_char,
    *mut *mut apify_record,
) -> apify_status;

/// A record's bytes and content type, or the status of the call that did not give one.
pub(crate) type Parts = Result<(Vec<u8>, String), apify_status>;

/// A record's bytes and content type, copied out through the accessors.
pub(crate) fn record_parts(r: *const apify_record) -> (Vec<u8>, String) {
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

/// A call with an `apify_record **` result: its parts (the record freed), or the status after
/// checking that the out-parameter was left alone.
pub(crate) fn record_call(
    f: impl FnOnce(*mut *mut apify_record) -> apify_status,
) -> Result<(Vec<u8>, String), apify_status> {
    let mut rec: *mut apify_record = sentinel();
    let st = f(&mut rec);
    if st != APIFY_STATUS_OK {
        assert_eq!(rec, sentinel(), "out-parameter written by a failing call");
        return Err(st);
    }
    let parts = record_parts(rec);
    unsafe { apify_record_free(rec) };
    Ok(parts)
}

/// A synchronous run's record: its parts, or the status (out-parameter untouched).
pub(crate) fn run_sync_record(
    f: SyncFn,
    c: ClientPtr,
    id: &str,
    input: Opt,
    options: Opt,
) -> Parts {
    let id = cs(id);
    let (input, options) = (opt_cs(input), opt_cs(options));
    record_call(|out| unsafe { f(c, id.as_ptr(), opt_ptr(&input), opt_ptr(&options), out) })
}

pub(crate) fn get_record(
    c: *const apify_client,
    store: &str,
    key: &str,
) -> Result<(Vec<u8>, String), apify_status> {
    let (store, key) = (cs(store), cs(key));
    record_call(|out| unsafe { apify_kvs_get_record(c, store.as_ptr(), key.as_ptr(), out) })
}

pub(crate) fn set_record(
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

/// An iterator type's functions: `_new`, `_next`, `_free`.
pub(crate) type IterFns<I> = (
    unsafe extern "C" fn(
        *const apify_client,
        *const c_char,
        *const c_char,
        *mut *mut I,
    ) -> apify_status,
    unsafe extern "C" fn(*mut I, *mut *mut c_char) -> apify_status,
    unsafe extern "C" fn(*mut I),
);

pub(crate) const DATASET_ITER: IterFns<apify_dataset_iter> = (
    apify_dataset_iter_new,
    apify_dataset_iter_next,
    apify_dataset_iter_free,
);
pub(crate) const KEY_ITER: IterFns<apify_key_iter> =
    (apify_key_iter_new, apify_key_iter_next, apify_key_iter_free);

/// Every element of a new iterator over `id` with `options`, then checks that the end is
/// OK + NULL, repeatedly; frees the iterator.
fn drain<I>(
    (new, next, free): IterFns<I>,
    c: *const apify_client,
    id: &str,
    options: Option<&str>,
) -> Vec<String> {
    let (id, options) = (cs(id), opt_cs(options));
    let mut it = ptr::null_mut();
    let st = unsafe { new(c, id.as_ptr(), opt_ptr(&options), &mut it) };
    expect_ok(st, "the iterator's _new");
    let mut items = Vec::new();
    loop {
        let mut out: *mut c_char = sentinel();
        expect_ok(unsafe { next(it, &mut out) }, "the iterator's _next");
        assert_ne!(out, sentinel(), "_next answered OK without writing");
        match take(out) {
            Some(item) => items.push(item),
            None => break,
        }
        assert!(items.len() < 10_000, "the iterator does not end");
    }
    for _ in 0..3 {
        let mut out: *mut c_char = sentinel();
        expect_ok(unsafe { next(it, &mut out) }, "next after the end");
        assert!(out.is_null(), "next after the end did not write NULL");
    }
    unsafe { free(it) };
    items
}

/// Every item of a dataset iterator (the end checked as in `drain`).
pub(crate) fn drain_dataset(c: *const apify_client, id: &str, opts: Option<&str>) -> Vec<String> {
    drain(DATASET_ITER, c, id, opts)
}

/// Every key of a key iterator (the end checked as in `drain`).
pub(crate) fn drain_keys(c: *const apify_client, store: &str, opts: Option<&str>) -> Vec<String> {
    drain(KEY_ITER, c, store, opts)
}

/// The last error of an HTTP failure: status, HTTP status, type, method and path.
#[track_caller]
pub(crate) fn expect_http_failure(
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

/// A 404 of the API: NOT_FOUND, `record-not-found`, the method and a part of the path.
#[track_caller]
pub(crate) fn expect_not_found(
    result: Result<impl std::fmt::Debug, apify_status>,
    method: &str,
    path_part: &str,
) -> Value {
    expect_http_failure(
        result,
        APIFY_STATUS_NOT_FOUND,
        404,
        "record-not-found",
        method,
        path_part,
    )
}
