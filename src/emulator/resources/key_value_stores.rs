//! Key-value stores: the collection, one store, its keys and its records.

use serde_json::{json, Value};

use crate::emulator::context::Ctx;
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, ApiError, ApiResult};
use crate::emulator::signing::hmac_signature;
use crate::emulator::util::{encode_segment, now_millis};
use crate::emulator::zip;

use super::storages::{data_free_created, Kind};

/// Record keys: at most 256 characters from `a-zA-Z0-9!-_.'()`.
pub(crate) fn check_record_key(key: &str) -> Result<(), ApiError> {
    let ok = !key.is_empty()
        && key.len() <= 256
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!-_.'()".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "invalid-record-key",
            format!(
                "Record key '{key}' is invalid: a key has 1 to 256 characters from a-z, A-Z, 0-9 and !-_.'()"
            ),
        ))
    }
}

pub(crate) fn route_stores(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    Kind::Store.route(ctx, m, rest, store_sub)
}

/// Operations on one (existing) key-value store: `rest` is what follows `/key-value-stores/{id}`.
pub(crate) fn store_sub(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    if let Some(result) = Kind::Store.item(ctx, m, id, rest) {
        return result;
    }
    match (m, rest) {
        ("GET", ["keys"]) => list_keys(ctx, id),
        ("GET", ["records"]) => records_zip(ctx, id),
        (_, ["records", key]) => record(ctx, m, id, key),
        _ => Err(ApiError::no_route()),
    }
}

fn list_keys(ctx: &Ctx, id: &str) -> ApiResult {
    let limit = match ctx.q_uint("limit")? {
        None => 1000,
        Some(0) => {
            return Err(ApiError::bad_parameter(
                "'limit' must be between 1 and 1000",
            ))
        }
        Some(l) => l.min(1000) as usize,
    };
    let start = ctx.query.get("exclusiveStartKey").filter(|k| !k.is_empty());
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let base = &ctx.shared.base_url;
    let mut st = ctx.shared.lock();
    let s = st
        .stores
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Key-value store", id))?;
    s.list_count += 1;
    s.accessed_at = now_millis();
    let secret = s.signing_key.clone();
    use std::ops::Bound;
    let lower = match start {
        Some(k) => Bound::Excluded(k.to_string()),
        None => Bound::Included(prefix.to_string()),
    };
    let mut matching = s
        .records
        .range((lower, Bound::Unbounded))
        .skip_while(|(k, _)| !k.starts_with(prefix) && k.as_str() < prefix)
        .take_while(|(k, _)| k.starts_with(prefix));
    let page: Vec<(String, usize)> = matching
        .by_ref()
        .take(limit)
        .map(|(k, r)| (k.clone(), r.data.len()))
        .collect();
    let truncated = matching.next().is_some();
    let items: Vec<Value> = page
        .iter()
        .map(|(k, size)| {
            json!({
                "key": k,
                "size": size,
                "recordPublicUrl": format!(
                    "{base}/v2/key-value-stores/{id}/records/{}?signature={}",
                    encode_segment(k),
                    hmac_signature(&secret, k)
                ),
            })
        })
        .collect();
    let next = if truncated {
        page.last().map(|(k, _)| Value::String(k.clone()))
    } else {
        None
    };
    Ok(data_response(
        200,
        json!({
            "items": items,
            "count": page.len(),
            "limit": limit,
            "exclusiveStartKey": start,
            "isTruncated": truncated,
            "nextExclusiveStartKey": next.unwrap_or(Value::Null),
        }),
    ))
}

fn record(ctx: &Ctx, m: &str, id: &str, key: &str) -> ApiResult {
    check_record_key(key)?;
    match m {
        "GET" | "HEAD" => {
            let mut st = ctx.shared.lock();
            let s = st
                .stores
                .get_mut(id)
                .ok_or_else(|| ApiError::not_found("Key-value store", id))?;
            s.read_count += 1;
            s.accessed_at = now_millis();
            let rec = s.records.get(key).cloned().ok_or_else(|| {
                ApiError::not_found("Record", &format!("{key}' in key-value store '{id}"))
            })?;
            drop(st);
            let mut resp = Response::bytes(200, &rec.content_type, rec.data.as_ref().clone());
            if ctx.q_bool("attachment")?.unwrap_or(false) {
                resp = resp.with_header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{key}\""),
                );
            }
            Ok(resp)
        }
        "PUT" | "POST" => {
            let data = ctx.decoded_body()?;
            let content_type = ctx
                .req
                .header("content-type")
                .filter(|c| !c.trim().is_empty())
                .unwrap_or("application/octet-stream")
                .to_string();
            let mut st = ctx.shared.lock();
            if !st.put_record(id, key, data, content_type) {
                return Err(ApiError::not_found("Key-value store", id));
            }
            Ok(data_free_created(&format!(
                "{}/v2/key-value-stores/{id}/records/{}",
                ctx.shared.base_url,
                encode_segment(key)
            )))
        }
        "DELETE" => {
            let mut st = ctx.shared.lock();
            let s = st
                .stores
                .get_mut(id)
                .ok_or_else(|| ApiError::not_found("Key-value store", id))?;
            if s.records.remove(key).is_none() {
                return Err(ApiError::not_found(
                    "Record",
                    &format!("{key}' in key-value store '{id}"),
                ));
            }
            s.delete_count += 1;
            s.modified_at = now_millis();
            Ok(Response::empty(204))
        }
        _ => Err(ApiError::no_route()),
    }
}

/// `GET .../records`: every record (or those whose key starts with `prefix`) as one ZIP
/// archive, a file per record named by its key.
fn records_zip(ctx: &Ctx, id: &str) -> ApiResult {
    if ctx.query.get("collection").is_some_and(|c| !c.is_empty()) {
        return Err(ApiError::new(
            400,
            "invalid-collection",
            "'collection' needs a key-value store schema with collections; emulated stores have none",
        ));
    }
    let prefix = ctx.query.get("prefix").unwrap_or("").to_string();
    let mut st = ctx.shared.lock();
    let s = st
        .stores
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Key-value store", id))?;
    s.read_count += 1;
    s.accessed_at = now_millis();
    let records: Vec<(String, std::sync::Arc<Vec<u8>>)> = s
        .records
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, r)| (k.clone(), r.data.clone()))
        .collect();
    drop(st);
    let bytes: u64 = records
        .iter()
        .map(|(k, d)| d.len() as u64 + 2 * k.len() as u64 + 76)
        .sum();
    if records.len() > zip::MAX_ENTRIES || bytes + 22 > zip::MAX_BYTES {
        return Err(ApiError::new(
            400,
            "invalid-request",
            format!(
                "{} records of {bytes} bytes do not fit one ZIP archive (at most {} records, 4 GiB); narrow it with 'prefix'",
                records.len(),
                zip::MAX_ENTRIES
            ),
        ));
    }
    let archive = zip::archive(records.iter().map(|(k, d)| (k.as_str(), d.as_slice())));
    Ok(
        Response::bytes(200, "application/zip", archive).with_header(
            "Content-Disposition",
            format!("attachment; filename=\"{id}.zip\""),
        ),
    )
}
