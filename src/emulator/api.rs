//! Request dispatch: faults, auth, rate limit, journal, then the route table.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::http::{Delivery, Outcome, Request, Response, MAX_BODY_BYTES};
use super::operations::OPERATIONS;
use super::state::{JournalEntry, Shared, JOURNAL_CAP};
use super::util::{now_millis, percent_decode, Query};
use super::{actors, builds, storage, support};

/// An error answered with the API's envelope `{"error": {"type", "message"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    pub data: Option<Value>,
}

impl ApiError {
    pub(crate) fn new(status: u16, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            data: None,
        }
    }

    pub(crate) fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            404,
            "record-not-found",
            format!("{what} '{id}' was not found"),
        )
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid-request", message)
    }

    pub(crate) fn bad_parameter(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid-parameter", message)
    }

    /// No route matched: the dispatcher then answers 501, 405 or 404 from the operation table.
    pub(crate) fn no_route() -> ApiError {
        ApiError::new(0, "", "")
    }

    pub(crate) fn with_data(mut self, data: Value) -> ApiError {
        self.data = Some(data);
        self
    }

    pub(crate) fn into_response(self) -> Response {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(data) = self.data {
            error["data"] = data;
        }
        json_response(self.status, &json!({ "error": error }))
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// A JSON body as is.
pub(crate) fn json_response(status: u16, body: &Value) -> Response {
    Response::bytes(
        status,
        "application/json; charset=utf-8",
        body.to_string().into_bytes(),
    )
}

/// `{"data": value}`.
pub(crate) fn data_response(status: u16, data: Value) -> Response {
    json_response(status, &json!({ "data": data }))
}

/// What a handler gets: the shared platform, the request, its decoded path segments and query.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Arc<Shared>,
    pub req: &'a Request,
    pub query: Query,
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

/// "an object", "an array", ... for error messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The entry point for every request.
pub(crate) fn handle(shared: &Arc<Shared>, req: &Request) -> Outcome {
    let is_support = req.path.starts_with("/_emulator/") || req.path == "/_emulator";
    let fault = if is_support {
        None
    } else {
        support::take_fault(shared, req)
    };
    let mut delivery = Delivery::Normal;
    let mut fault_name = None;
    let response = match fault {
        Some(action) => {
            let kind = action["kind"].as_str().unwrap_or("").to_string();
            fault_name = Some(kind.clone());
            match kind.as_str() {
                "reset" => {
                    delivery = Delivery::Close;
                    None
                }
                "status" => {
                    let status = action["status"].as_u64().unwrap_or(503) as u16;
                    Some(fault_status_response(status))
                }
                "delay" => {
                    let ms = action["ms"].as_u64().unwrap_or(0);
                    super::http::sleep_unless_stopped(Duration::from_millis(ms), &shared.stop);
                    None
                }
                "lostResponse" => {
                    delivery = Delivery::Close;
                    None
                }
                "truncate" => {
                    delivery = Delivery::Truncate;
                    None
                }
                _ => None,
            }
        }
        None => None,
    };
    let response = match response {
        Some(r) => r,
        None if fault_name.as_deref() == Some("reset") => Response::empty(0),
        None => dispatch(shared, req, is_support),
    };
    if !is_support {
        record(shared, req, response.status, fault_name);
    }
    Outcome { response, delivery }
}

fn fault_status_response(status: u16) -> Response {
    let kind = match status {
        429 => "rate-limit-exceeded",
        500..=599 => "internal-server-error",
        404 => "record-not-found",
        401 => "invalid-token",
        408 => "run-timeout-exceeded",
        _ => "invalid-request",
    };
    ApiError::new(
        status,
        kind,
        format!("Injected fault: the emulator answered {status}"),
    )
    .into_response()
}

fn record(shared: &Shared, req: &Request, status: u16, fault: Option<String>) {
    let headers = req
        .headers
        .iter()
        .map(|(k, v)| {
            let v = if k == "authorization" {
                match v.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} ***"),
                    None => "***".to_string(),
                }
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    let query = req
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some(("token", _)) => "token=***".to_string(),
            _ => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut st = shared.lock();
    if st.journal.len() >= JOURNAL_CAP {
        st.journal.drain(..JOURNAL_CAP / 10);
    }
    st.journal.push(JournalEntry {
        at: now_millis(),
        method: req.method.clone(),
        path: req.path.clone(),
        query,
        headers,
        body_size: req.body.len(),
        status,
        fault,
    });
}

fn dispatch(shared: &Arc<Shared>, req: &Request, is_support: bool) -> Response {
    let ctx = Ctx {
        shared,
        req,
        query: Query::parse(&req.query),
    };
    if let Err(e) = authenticate(&ctx) {
        return e.into_response();
    }
    let segs: Vec<String> = req
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    if !is_support {
        if let Err(e) = rate_limit(&ctx) {
            return e.into_response();
        }
    }
    let result = if is_support {
        support::route(&ctx, &segs[1..])
    } else {
        route(&ctx, &segs)
    };
    match result {
        Ok(r) => r,
        Err(e) if e.status == 0 => unrouted(req, &segs),
        Err(e) => e.into_response(),
    }
}

fn authenticate(ctx: &Ctx) -> Result<(), ApiError> {
    let from_header = ctx.req.header("authorization").and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let token = from_header.or_else(|| ctx.query.get("token").map(str::to_string));
    match token {
        None => Err(ApiError::new(
            401,
            "token-not-provided",
            "Authentication token was not provided",
        )),
        Some(t) if t.is_empty() => Err(ApiError::new(
            401,
            "token-not-provided",
            "Authentication token was not provided",
        )),
        Some(t) if ctx.shared.config.tokens.contains(&t) => Ok(()),
        Some(_) => Err(ApiError::new(
            401,
            "invalid-token",
            "Authentication token is not valid",
        )),
    }
}

fn rate_limit(ctx: &Ctx) -> Result<(), ApiError> {
    let Some(limit) = ctx.shared.config.rate_limit else {
        return Ok(());
    };
    let second = now_millis() / 1000;
    let mut st = ctx.shared.lock();
    let entry = st.rate.entry(ctx.req.path.clone()).or_insert((second, 0));
    if entry.0 != second {
        *entry = (second, 0);
    }
    entry.1 += 1;
    if entry.1 > limit {
        return Err(ApiError::new(
            429,
            "rate-limit-exceeded",
            format!(
                "More than {limit} requests per second to {}; slow down and retry",
                ctx.req.path
            ),
        ));
    }
    Ok(())
}

/// The request matched no implemented route: 501 for a known operation, 405 for a known path with
/// another method, 404 otherwise.
fn unrouted(req: &Request, segs: &[&str]) -> Response {
    let path_matches = |template: &str| {
        let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        t.len() == segs.len()
            && t.iter()
                .zip(segs)
                .all(|(t, s)| t.starts_with('{') || *t == *s || (*t == "actors" && *s == "acts"))
    };
    let mut known_path = false;
    for (method, template, op) in OPERATIONS {
        if path_matches(template) {
            known_path = true;
            if *method == req.method {
                return ApiError::new(
                    501,
                    "not-implemented",
                    format!(
                        "The emulator does not implement the operation {op} ({method} {template})"
                    ),
                )
                .into_response();
            }
        }
    }
    if known_path {
        ApiError::new(
            405,
            "method-not-allowed",
            format!("Method {} is not allowed for {}", req.method, req.path),
        )
        .into_response()
    } else {
        ApiError::new(
            404,
            "page-not-found",
            format!("No API endpoint at {} {}", req.method, req.path),
        )
        .into_response()
    }
}

/// The route table of the implemented API.
fn route(ctx: &Ctx, segs: &[&str]) -> ApiResult {
    let m = ctx.req.method.as_str();
    let Some((&"v2", rest)) = segs.split_first() else {
        return Err(ApiError::no_route());
    };
    let Some((&resource, rest)) = rest.split_first() else {
        return Err(ApiError::no_route());
    };
    match resource {
        "users" => match (m, rest) {
            ("GET", ["me"]) => Ok(data_response(200, support::user_me(ctx))),
            _ => Err(ApiError::no_route()),
        },
        "actors" | "acts" | "actor-tasks" if matches!(rest, [_, "webhooks"]) => {
            if resource == "actor-tasks" {
                super::webhook_resources::task_webhooks(ctx, m, rest[0])
            } else {
                super::webhook_resources::actor_webhooks(ctx, m, rest[0])
            }
        }
        "actors" | "acts" => actors::route_actor(ctx, m, rest),
        "actor-tasks" => actors::route_task(ctx, m, rest),
        "actor-runs" => actors::route_runs(ctx, m, rest),
        "actor-builds" => builds::route_builds(ctx, m, rest),
        "logs" => match (m, rest) {
            ("GET", [run_id]) => {
                let run_id = actors::existing_run(ctx, run_id)?;
                actors::log_response(ctx, &run_id)
            }
            _ => Err(ApiError::no_route()),
        },
        "datasets" => storage::route_datasets(ctx, m, rest),
        "key-value-stores" => storage::route_stores(ctx, m, rest),
        "webhooks" => super::webhook_resources::route_webhooks(ctx, m, rest),
        "webhook-dispatches" => super::webhook_resources::route_dispatches(ctx, m, rest),
        _ => Err(ApiError::no_route()),
    }
}

/// Standard list pagination (`offset`, `limit`, `desc`) over an already ordered list.
pub(crate) fn paginate(ctx: &Ctx, mut items: Vec<Value>) -> Result<Value, ApiError> {
    let offset = ctx.q_uint("offset")?.unwrap_or(0) as usize;
    let limit = ctx.q_uint("limit")?.unwrap_or(1000).clamp(1, 1000) as usize;
    let desc = ctx.q_bool("desc")?.unwrap_or(false);
    let total = items.len();
    if desc {
        items.reverse();
    }
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    Ok(json!({
        "total": total,
        "offset": offset,
        "limit": limit,
        "desc": desc,
        "count": page.len(),
        "items": page,
    }))
}
