//! The tools endpoints: `browser-info` (echoes the request: method, client IP, headers, body
//! length; any of GET, POST, PUT, DELETE; no token needed) and encode-and-sign /
//! decode-and-verify.
//!
//! An encoded value is base64 of `{"payload": <the object's JSON text>, "userId": <who signed>,
//! "signature": <HMAC of userId and payload with the user's secret>}`; decoding checks the
//! signature, so a changed payload, user or signature is refused.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::emulator::context::Ctx;
use crate::emulator::reply::{data_response, json_kind, json_response, ApiError, ApiResult};
use crate::emulator::signing::hmac_signature;

pub(crate) fn route_browser_info(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("GET" | "POST" | "PUT" | "DELETE", []) => browser_info(ctx),
        _ => Err(ApiError::no_route()),
    }
}

pub(crate) fn route_tools(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        ("POST", ["encode-and-sign"]) => encode_and_sign(ctx),
        ("POST", ["decode-and-verify"]) => decode_and_verify(ctx),
        _ => Err(ApiError::no_route()),
    }
}

/// Whether the operation needs no token (the spec gives it no security requirement).
pub(crate) fn needs_no_token(method: &str, segs: &[&str]) -> bool {
    match segs {
        ["v2", "browser-info"] => matches!(method, "GET" | "POST" | "PUT" | "DELETE"),
        ["v2", "tools", "decode-and-verify"] => method == "POST",
        _ => false,
    }
}

fn browser_info(ctx: &Ctx) -> ApiResult {
    let skip_headers = ctx.q_bool("skipHeaders")?.unwrap_or(false);
    let raw_headers = ctx.q_bool("rawHeaders")?.unwrap_or(false);
    let mut out = json!({
        "method": ctx.req.method,
        "clientIp": ctx.req.peer.ip().to_string(),
        // Loopback addresses belong to no country.
        "countryCode": null,
        "bodyLength": ctx.req.body.len(),
    });
    if !skip_headers {
        let mut headers = Map::new();
        for (name, value) in &ctx.req.headers {
            match headers.get_mut(name) {
                None => {
                    headers.insert(name.clone(), json!(value));
                }
                Some(Value::Array(list)) => list.push(json!(value)),
                Some(first) => *first = json!([first.clone(), value]),
            }
        }
        out["headers"] = Value::Object(headers);
    }
    if raw_headers {
        let flat: Vec<&str> = ctx
            .req
            .headers
            .iter()
            .flat_map(|(k, v)| [k.as_str(), v.as_str()])
            .collect();
        out["rawHeaders"] = json!(flat);
    }
    Ok(json_response(200, &out))
}

/// The body of a tools call: JSON, sent as such.
fn json_request(ctx: &Ctx) -> Result<Value, ApiError> {
    let media = ctx
        .req
        .header("content-type")
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    if media.as_deref() != Some("application/json") {
        return Err(ApiError::new(
            415,
            "invalid-content-type-header",
            "The request must have the Content-Type application/json",
        ));
    }
    ctx.json_body()?
        .ok_or_else(|| ApiError::bad_request("The request body is empty; send a JSON object"))
}

fn encode_and_sign(ctx: &Ctx) -> ApiResult {
    let value = json_request(ctx)?;
    if !value.is_object() {
        return Err(ApiError::bad_request(format!(
            "The value to encode must be a JSON object, got {}",
            json_kind(&value)
        )));
    }
    let payload = value.to_string();
    let (user_id, key) = {
        let st = ctx.shared.lock();
        (st.user.id.clone(), st.user.signing_key.clone())
    };
    let signature = hmac_signature(&key, &format!("{user_id}.{payload}"));
    let envelope = json!({"payload": payload, "userId": user_id, "signature": signature});
    let encoded = base64::engine::general_purpose::STANDARD.encode(envelope.to_string());
    Ok(data_response(200, json!({ "encoded": encoded })))
}

fn decode_and_verify(ctx: &Ctx) -> ApiResult {
    let body = json_request(ctx)?;
    let encoded = match body.get("encoded") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Field 'encoded' must be a string, got {}",
                json_kind(other)
            )))
        }
        None => return Err(ApiError::bad_request("Field 'encoded' is required")),
    };
    let not_ours = || {
        ApiError::bad_request(
            "The encoded value is not one made by encode-and-sign (it was changed, or is not such a value)",
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&encoded)
        .map_err(|_| not_ours())?;
    let envelope: Value = serde_json::from_slice(&bytes).map_err(|_| not_ours())?;
    let field = |k: &str| envelope.get(k).and_then(Value::as_str).ok_or_else(not_ours);
    let (payload, user_id, signature) = (field("payload")?, field("userId")?, field("signature")?);
    let key = {
        let st = ctx.shared.lock();
        (st.user.id == user_id).then(|| st.user.signing_key.clone())
    };
    let verified =
        key.is_some_and(|k| hmac_signature(&k, &format!("{user_id}.{payload}")) == signature);
    if !verified {
        return Err(ApiError::new(
            400,
            "invalid-signature",
            "The encoded value's signature does not match: it was changed after it was signed",
        ));
    }
    let decoded: Value = serde_json::from_str(payload).map_err(|_| not_ours())?;
    Ok(data_response(
        200,
        json!({"decoded": decoded, "encodedByUserId": user_id, "isVerifiedUser": false}),
    ))
}
