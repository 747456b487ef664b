//! A queue's requests: add one or a batch (deduplicated by `uniqueKey`), get, update (marking
//! handled with `handledAt`), delete one or a batch, and the cursor listing.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::emulator::context::Ctx;
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, json_kind, ApiError, ApiResult};
use crate::emulator::rq_state::{Draft, ListFilter, Registration};
use crate::emulator::state_views::request_json;

use super::rq_support::{client_key, with_queue, MAX_BATCH};

/// Most requests one listing page holds.
const MAX_LIST_LIMIT: u64 = 10_000;

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

fn invalid(what: &str, message: String) -> ApiError {
    ApiError::new(400, "invalid-input", format!("{what}: {message}"))
}

/// Checks and normalizes one request body: `url` is required; `uniqueKey` defaults to the
/// normalized URL, `method` to GET, `retryCount` to 0; `handledAt` is a date-time or null.
pub(crate) fn parse_draft(value: &Value, what: &str) -> Result<Draft, ApiError> {
    let Value::Object(obj) = value else {
        return Err(invalid(
            what,
            format!("a request must be a JSON object, got {}", json_kind(value)),
        ));
    };
    let mut fields: Map<String, Value> = obj.clone();
    fields.remove("id");
    let url = match fields.get("url") {
        Some(Value::String(u)) if !u.trim().is_empty() => u.clone(),
        Some(other) if !other.is_string() => {
            return Err(invalid(
                what,
                format!("'url' must be a string, got {}", json_kind(other)),
            ))
        }
        _ => return Err(invalid(what, "a request needs a non-empty 'url'".into())),
    };
    let unique_key = match fields.remove("uniqueKey") {
        None | Some(Value::Null) => normalize_url(&url),
        Some(Value::String(k)) if !k.is_empty() => k,
        Some(other) => {
            return Err(invalid(
                what,
                format!("'uniqueKey' must be a non-empty string, got {other}"),
            ))
        }
    };
    match fields.get("method") {
        None | Some(Value::Null) => {
            fields.insert("method".into(), json!("GET"));
        }
        Some(Value::String(m)) if METHODS.contains(&m.as_str()) => {}
        Some(other) => {
            return Err(invalid(
                what,
                format!(
                    "'method' must be one of {}, got {other}",
                    METHODS.join(", ")
                ),
            ))
        }
    }
    match fields.get("retryCount") {
        None | Some(Value::Null) => {
            fields.insert("retryCount".into(), json!(0));
        }
        Some(v) if v.as_u64().is_some() => {}
        Some(other) => {
            return Err(invalid(
                what,
                format!("'retryCount' must be a non-negative integer, got {other}"),
            ))
        }
    }
    let handled_at = match fields.remove("handledAt") {
        None | Some(Value::Null) => None,
        Some(Value::String(at)) if looks_like_date_time(&at) => Some(at),
        Some(other) => {
            return Err(invalid(
                what,
                format!("'handledAt' must be an ISO 8601 date-time or null, got {other}"),
            ))
        }
    };
    Ok(Draft {
        unique_key,
        fields,
        handled_at,
    })
}

/// `YYYY-MM-DD` at least (what `Date` parsers accept as a date-time start).
fn looks_like_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// The default `uniqueKey`: the URL with its scheme and host lower-cased, the fragment and
/// `utm_*` parameters dropped, the query parameters sorted and a trailing slash removed, so
/// that spellings of one page deduplicate.
pub(crate) fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with("utm_"))
        .collect();
    params.sort_unstable();
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut out = format!(
        "{}://{}{path}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    );
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

fn registration_json(r: &Registration) -> Value {
    json!({
        "requestId": r.id,
        "wasAlreadyPresent": r.was_already_present,
        "wasAlreadyHandled": r.was_already_handled,
    })
}

fn forefront(ctx: &Ctx) -> Result<bool, ApiError> {
    Ok(ctx.q_bool("forefront")?.unwrap_or(false))
}

pub(crate) fn add(ctx: &Ctx, queue: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let forefront = forefront(ctx)?;
    let body = ctx.json_body()?.ok_or_else(|| {
        invalid(
            "The request body",
            "it is empty; send a request object".into(),
        )
    })?;
    let draft = parse_draft(&body, "The request")?;
    let reg = with_queue(ctx, queue, client.as_deref(), |q, now| {
        Ok(q.add(draft, forefront, now))
    })?;
    Ok(data_response(201, registration_json(&reg)))
}

/// A batch body: a JSON array of at most 25 elements.
fn batch_body(ctx: &Ctx) -> Result<Vec<Value>, ApiError> {
    let list = match ctx.json_body()? {
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(invalid(
                "The request body",
                format!("a batch must be a JSON array, got {}", json_kind(&other)),
            ))
        }
        None => return Err(invalid("The request body", "it is empty".into())),
    };
    if list.len() > MAX_BATCH {
        return Err(invalid(
            "The request body",
            format!(
                "a batch holds at most {MAX_BATCH} requests, got {}; split it",
                list.len()
            ),
        ));
    }
    Ok(list)
}

pub(crate) fn batch_add(ctx: &Ctx, queue: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let forefront = forefront(ctx)?;
    let list = batch_body(ctx)?;
    let mut drafts = list
        .iter()
        .enumerate()
        .map(|(i, v)| parse_draft(v, &format!("Request at index {i}")))
        .collect::<Result<Vec<_>, _>>()?;
    // The platform may leave part of a batch unprocessed (to be sent again); a setting plays it.
    let left = {
        let mut st = ctx.shared.lock();
        if st.rq_unprocessed_batches > 0 && drafts.len() > 1 {
            st.rq_unprocessed_batches -= 1;
            drafts.split_off(drafts.len().div_ceil(2))
        } else {
            Vec::new()
        }
    };
    let unprocessed: Vec<Value> = left
        .iter()
        .map(|d| {
            json!({
                "uniqueKey": d.unique_key,
                "url": d.fields.get("url"),
                "method": d.fields.get("method").cloned().unwrap_or(json!("GET")),
            })
        })
        .collect();
    let processed = with_queue(ctx, queue, client.as_deref(), |q, now| {
        Ok(drafts
            .into_iter()
            .map(|d| q.add(d, forefront, now))
            .collect::<Vec<_>>())
    })?;
    let processed: Vec<Value> = processed
        .iter()
        .map(|r| {
            let mut v = registration_json(r);
            v["uniqueKey"] = json!(r.unique_key);
            v
        })
        .collect();
    Ok(data_response(
        201,
        json!({"processedRequests": processed, "unprocessedRequests": unprocessed}),
    ))
}

pub(crate) fn batch_delete(ctx: &Ctx, queue: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let list = batch_body(ctx)?;
    // Each element names its request by `id` or `uniqueKey`.
    let mut wanted = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let id = v.get("id").and_then(Value::as_str);
        let key = v.get("uniqueKey").and_then(Value::as_str);
        if id.is_none() && key.is_none() {
            return Err(invalid(
                &format!("Request at index {i}"),
                "name the request to delete by 'id' or 'uniqueKey' (a string)".into(),
            ));
        }
        wanted.push((id.map(str::to_string), key.map(str::to_string)));
    }
    let processed = with_queue(ctx, queue, client.as_deref(), |q, now| {
        let mut out = Vec::new();
        for (id, key) in wanted {
            let id = id.or_else(|| {
                key.as_deref()
                    .and_then(|k| q.id_by_unique_key(k).map(str::to_string))
            });
            let mut entry = serde_json::Map::new();
            if let Some(id) = &id {
                let key = key
                    .clone()
                    .or_else(|| q.get(id).map(|r| r.unique_key.clone()));
                q.delete(id, now);
                entry.insert("id".into(), json!(id));
                if let Some(k) = key {
                    entry.insert("uniqueKey".into(), json!(k));
                }
            } else if let Some(k) = key {
                // Nothing has that key: deleting it is done already.
                entry.insert("uniqueKey".into(), json!(k));
            }
            out.push(Value::Object(entry));
        }
        Ok(out)
    })?;
    Ok(data_response(
        200,
        json!({"processedRequests": processed, "unprocessedRequests": []}),
    ))
}

pub(crate) fn get(ctx: &Ctx, queue: &str, request_id: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let body = with_queue(ctx, queue, client.as_deref(), |q, _| {
        q.stats.read_count += 1;
        q.get(request_id).map(request_json).ok_or_else(|| {
            ApiError::not_found(
                "Request",
                &format!("{request_id}' in request queue '{queue}"),
            )
        })
    })?;
    Ok(data_response(200, body))
}

pub(crate) fn update(ctx: &Ctx, queue: &str, request_id: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let forefront = forefront(ctx)?;
    let body = ctx
        .json_body()?
        .ok_or_else(|| invalid("The request body", "it is empty; send the request".into()))?;
    if let Some(id) = body.get("id").filter(|v| !v.is_null()) {
        if id.as_str() != Some(request_id) {
            return Err(invalid(
                "The request",
                format!("its 'id' {id} differs from the request id in the path '{request_id}'"),
            ));
        }
    }
    let mut draft = parse_draft(&body, "The request")?;
    let reg = with_queue(ctx, queue, client.as_deref(), |q, now| {
        // A body without `uniqueKey` keeps the request's own.
        if body.get("uniqueKey").is_none_or(Value::is_null) {
            if let Some(existing) = q.get(request_id) {
                draft.unique_key = existing.unique_key.clone();
            }
        }
        q.update(request_id, draft, forefront, client.as_deref(), now)
    })?;
    Ok(data_response(200, registration_json(&reg)))
}

pub(crate) fn delete(ctx: &Ctx, queue: &str, request_id: &str) -> ApiResult {
    let client = client_key(ctx)?;
    with_queue(ctx, queue, client.as_deref(), |q, now| {
        if q.delete(request_id, now) {
            Ok(())
        } else {
            Err(ApiError::not_found(
                "Request",
                &format!("{request_id}' in request queue '{queue}"),
            ))
        }
    })?;
    Ok(Response::empty(204))
}

fn encode_cursor(seq: u64, id: &str) -> String {
    let text = json!({"requestId": id, "position": seq}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(cursor: &str) -> Result<u64, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["position"].as_u64())
        .ok_or_else(|| {
            ApiError::bad_parameter(
                "'cursor' is not a cursor this queue gave out (use a listing's 'nextCursor')",
            )
        })
}

/// `GET .../requests`: insertion order, `limit` (at most 10,000), `cursor` (or the deprecated
/// `exclusiveStartId`) and `filter=locked,pending`.
pub(crate) fn list(ctx: &Ctx, queue: &str) -> ApiResult {
    let client = client_key(ctx)?;
    let limit = match ctx.q_uint("limit")? {
        None => 1000,
        Some(0) => return Err(ApiError::bad_parameter("'limit' must be at least 1")),
        Some(n) => n.min(MAX_LIST_LIMIT),
    };
    let cursor = ctx.query.get("cursor").filter(|c| !c.is_empty());
    let start_id = ctx.query.get("exclusiveStartId").filter(|c| !c.is_empty());
    let mut filter = ListFilter::default();
    for f in ctx.query.list("filter").unwrap_or_default() {
        match f.as_str() {
            "locked" => filter.locked = true,
            "pending" => filter.pending = true,
            other => {
                return Err(ApiError::bad_parameter(format!(
                    "'filter' takes 'locked' and 'pending', got '{other}'"
                )))
            }
        }
    }
    if start_id.is_some() && (filter.locked || filter.pending) {
        return Err(ApiError::bad_parameter(
            "'filter' does not go with the deprecated 'exclusiveStartId'; use 'cursor'",
        ));
    }
    let after = match cursor {
        Some(c) => decode_cursor(c)?,
        None => 0,
    };
    let body = with_queue(ctx, queue, client.as_deref(), |q, now| {
        let after = match start_id {
            Some(id) => q.seq_of(id).ok_or_else(|| {
                ApiError::bad_parameter(format!(
                    "'exclusiveStartId' names no request of this queue: '{id}'"
                ))
            })?,
            None => after,
        };
        let (page, more) = q.list(after, limit as usize, filter, now);
        let mut body = json!({
            "items": page.iter().map(|r| request_json(r)).collect::<Vec<_>>(),
            "limit": limit,
        });
        if let Some(c) = cursor {
            body["cursor"] = json!(c);
        }
        if let Some(id) = start_id {
            body["exclusiveStartId"] = json!(id);
        }
        if let (true, Some(last)) = (more, page.last()) {
            body["nextCursor"] = json!(encode_cursor(last.seq, &last.id));
        }
        Ok(body)
    })?;
    Ok(data_response(200, body))
}
