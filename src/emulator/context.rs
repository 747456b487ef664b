//! What a handler gets (the request context) and the request-reading helpers: decoded bodies,
//! typed query parameters, run input, list pagination.

use std::io::Read;
use std::sync::Arc;

use serde_json::{json, Value};

use super::http::{Request, MAX_BODY_BYTES};
use super::reply::{json_kind, ApiError};
use super::state::Shared;
use super::util::Query;

/// What a handler gets: the shared platform, the request, its decoded path segments and query.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Arc<Shared>,
    pub req: &'a Request,
    pub query: Query,
    /// Let in without a token (a signed URL or `generalAccess`): may read, never sees secrets.
    pub anonymous: bool,
}

impl Ctx<'_> {
    /// The request body with any `Content-Encoding` (gzip, deflate, br) removed, at most 9 MB.
    pub(crate) fn decoded_body(&self) -> Result<Vec<u8>, ApiError> {
        if self.req.body_too_large {
            return Err(too_large());
        }
        let encoding = self
            .req
            .header("content-encoding")
            .unwrap_or("identity")
            .trim()
            .to_ascii_lowercase();
        let raw = &self.req.body[..];
        let limit = MAX_BODY_BYTES as u64 + 1;
        let mut out = Vec::new();
        let result = match encoding.as_str() {
            "" | "identity" => return Ok(raw.to_vec()),
            "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(raw)
                .take(limit)
                .read_to_end(&mut out),
            "deflate" => {
                // Both zlib-wrapped (what the RFC says) and raw deflate are seen in the wild.
                let zlib = flate2::read::ZlibDecoder::new(raw)
                    .take(limit)
                    .read_to_end(&mut out);
                if zlib.is_err() {
                    out.clear();
                    flate2::read::DeflateDecoder::new(raw)
                        .take(limit)
                        .read_to_end(&mut out)
                } else {
                    zlib
                }
            }
            "br" => brotli::Decompressor::new(raw, 4096)
                .take(limit)
                .read_to_end(&mut out),
            other => {
                return Err(ApiError::new(
                    415,
                    "unsupported-content-encoding",
                    format!("Content-Encoding '{other}' is not supported; use gzip, deflate or br"),
                ))
            }
        };
        result.map_err(|e| {
            ApiError::bad_request(format!(
                "The request body could not be decoded as {encoding}: {e}"
            ))
        })?;
        if out.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        Ok(out)
    }

    /// The decoded body parsed as JSON (an empty body is `None`).
    pub(crate) fn json_body(&self) -> Result<Option<Value>, ApiError> {
        let body = self.decoded_body()?;
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(None);
        }
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))
    }

    /// The decoded body, which must be a JSON object.
    pub(crate) fn json_object_body(&self) -> Result<serde_json::Map<String, Value>, ApiError> {
        match self.json_body()? {
            Some(Value::Object(m)) => Ok(m),
            Some(other) => Err(ApiError::bad_request(format!(
                "The request body must be a JSON object, got {}",
                json_kind(&other)
            ))),
            None => Ok(serde_json::Map::new()),
        }
    }

    pub(crate) fn q_uint(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.query.uint(name).map_err(ApiError::bad_parameter)
    }

    pub(crate) fn q_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.query.bool(name).map_err(ApiError::bad_parameter)
    }

    pub(crate) fn q_number(&self, name: &str) -> Result<Option<f64>, ApiError> {
        self.query.number(name).map_err(ApiError::bad_parameter)
    }
}

/// A run input body as JSON: blank is no input (`null`); anything else must parse.
pub(crate) fn input_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            400,
            "run-input-body-not-valid-json",
            format!("The input body is not valid JSON: {e}"),
        )
    })
}

pub(crate) fn too_large() -> ApiError {
    ApiError::new(
        413,
        "request-too-large",
        format!("The request body is larger than the limit of {MAX_BODY_BYTES} bytes"),
    )
}

/// Standard list pagination (`offset`, `limit`, `desc`) over an already ordered list.
pub(crate) fn paginate(ctx: &Ctx, items: Vec<Value>) -> Result<Value, ApiError> {
    paginate_with(ctx, items, |v| v)
}

/// [`paginate`] over any ordered list, turning only the page's items into JSON (a long list
/// costs a pass over references, not a JSON object per element).
pub(crate) fn paginate_with<T>(
    ctx: &Ctx,
    mut items: Vec<T>,
    to_json: impl FnMut(T) -> Value,
) -> Result<Value, ApiError> {
    let offset = ctx.q_uint("offset")?.unwrap_or(0) as usize;
    let limit = ctx.q_uint("limit")?.unwrap_or(1000).clamp(1, 1000) as usize;
    let desc = ctx.q_bool("desc")?.unwrap_or(false);
    let total = items.len();
    if desc {
        items.reverse();
    }
    let page: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(to_json)
        .collect();
    Ok(json!({
        "total": total,
        "offset": offset,
        "limit": limit,
        "desc": desc,
        "count": page.len(),
        "items": page,
    }))
}
