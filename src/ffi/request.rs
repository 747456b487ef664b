//! Any operation of the API: with JSON (`apify_request`) or with bytes (`apify_request_bytes`).

use std::ffi::c_char;

use serde_json::Value;

use super::boundary::{bytes, ffi};
use super::client_handle::apify_client;
use super::errors::{apify_status, Failure, APIFY_STATUS_INTERNAL};
use super::record::{apify_record, new_record};

/// The query parameters of `query_json`: an object of strings, numbers or booleans.
fn query_pairs(query: Option<Value>) -> Result<Vec<(String, String)>, Failure> {
    match query {
        None | Some(Value::Null) => Ok(Vec::new()),
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
            .collect(),
        Some(_) => Err(Failure::invalid("query_json must be a JSON object")),
    }
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

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
    ffi!((c: client, method: str, path: str, query_json: opt_json, body_json: opt_json) -> out_response_json => {
        let query = query_pairs(query_json)?;
        let bytes = c.request_raw(method, path, &borrowed(&query), body_json.as_ref())?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Failure::new(APIFY_STATUS_INTERNAL, "the response body is not UTF-8 text")
        })?;
        if text.trim().is_empty() {
            "null".to_string()
        } else {
            text
        }
    })
}

/// Like `apify_request` for operations whose body or answer is not JSON: `body_len` bytes at
/// `body` (NULL allowed when 0) with `content_type` (NULL: no body), and the answer's bytes and
/// content type in a record.
#[no_mangle]
pub unsafe extern "C" fn apify_request_bytes(
    c: *const apify_client,
    method: *const c_char,
    path: *const c_char,
    query_json: *const c_char,
    body: *const u8,
    body_len: usize,
    content_type: *const c_char,
    out_response: *mut *mut apify_record,
) -> apify_status {
    ffi!((c: client, method: str, path: str, query_json: opt_json, content_type: opt_str) -> out_response => {
        let query = query_pairs(query_json)?;
        let data = bytes(body, body_len, "body")?;
        let body = match content_type {
            Some(ct) => Some((data, ct)),
            None if data.is_empty() => None,
            None => return Err(Failure::invalid("a body needs a content_type")),
        };
        new_record(c.request_bytes(method, path, &borrowed(&query), body)?)?
    })
}
