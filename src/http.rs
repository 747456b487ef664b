//! The one place that talks HTTP: the ureq agent, auth, retries with backoff, gzip request bodies,
//! error mapping and streamed response bodies.

use std::io::{Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::Value;
use ureq::RequestExt;

use crate::error::{ApiError, Error, Result};

/// Request bodies from this size up are sent gzip-compressed.
const GZIP_FROM_BYTES: usize = 1024;
/// How much of an error body is read to find the error envelope.
const ERROR_BODY_CAP: u64 = 64 * 1024;

/// How a request may be repeated when its outcome is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Resent on 429, 5xx and transport errors (reads, and writes that are safe to repeat).
    Idempotent,
    /// Resent on 429, 5xx and failures to connect, but not after a lost answer (the server may
    /// have acted on it): for writes that must not happen twice, such as dataset pushes.
    UnlessLost,
    /// Resent only when the server cannot have acted on it (429, or the connection was never
    /// made); any other failure is returned at once, classified by [`Failure::unknown`].
    OnlyIfNotProcessed,
}

/// One request to the API.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: &'static str,
    /// The path, already percent-encoded, starting with `/v2/`.
    pub path: String,
    /// Query parameters, not yet encoded.
    pub query: Vec<(String, String)>,
    /// Body bytes and content type.
    pub body: Option<(Vec<u8>, String)>,
    /// Overrides the client's request timeout (long polls and sync runs need more).
    pub timeout: Option<Duration>,
    pub retry: Retry,
    /// Hand the body over as a stream instead of reading it within the attempt (exports).
    pub stream: bool,
    /// A run start's marker (`libapify-start/<hex>`), appended to the User-Agent of every attempt.
    pub start_marker: Option<String>,
}

impl Call {
    pub(crate) fn new(method: &'static str, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            timeout: None,
            retry: Retry::Idempotent,
            stream: false,
            start_marker: None,
        }
    }

    pub(crate) fn start_marker(mut self, marker: &str) -> Call {
        self.start_marker = Some(marker.to_string());
        self
    }

    pub(crate) fn streamed(mut self) -> Call {
        self.stream = true;
        self
    }

    pub(crate) fn query(mut self, name: &str, value: impl ToString) -> Call {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    pub(crate) fn query_opt(self, name: &str, value: Option<impl ToString>) -> Call {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    pub(crate) fn json_body(mut self, value: &impl serde::Serialize) -> Result<Call> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            Error::InvalidArgument(format!("the body cannot be serialized as JSON: {e}"))
        })?;
        self.body = Some((bytes, "application/json; charset=utf-8".to_string()));
        Ok(self)
    }

    pub(crate) fn raw_body(mut self, bytes: Vec<u8>, content_type: &str) -> Call {
        self.body = Some((bytes, content_type.to_string()));
        self
    }

    pub(crate) fn timeout(mut self, t: Duration) -> Call {
        self.timeout = Some(t);
        self
    }

    pub(crate) fn retry(mut self, r: Retry) -> Call {
        self.retry = r;
        self
    }
}

/// A failed attempt and what it means for resending.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    /// The server cannot have acted on the request (never connected, or 429).
    pub not_processed: bool,
    /// Worth trying again (429, 5xx, transport).
    pub retryable: bool,
    /// The request was sent and no answer came back (connection lost, timeout).
    pub lost: bool,
}

/// An answer with a success status, its body not yet read.
pub(crate) struct Reply {
    headers: ureq::http::HeaderMap,
    body: ReplyBody,
    method: &'static str,
    path: String,
}

enum ReplyBody {
    /// Read within the attempt, so that a cut body counts as a failed attempt.
    Read(Vec<u8>),
    Stream(ureq::Body),
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as a stream, with no size cap (a dataset page may be large).
    pub(crate) fn into_reader(self) -> Box<dyn Read + Send + 'static> {
        match self.body {
            ReplyBody::Read(bytes) => Box::new(std::io::Cursor::new(bytes)),
            ReplyBody::Stream(body) => Box::new(body.into_with_config().limit(u64::MAX).reader()),
        }
    }

    pub(crate) fn bytes(self) -> Result<Vec<u8>> {
        match self.body {
            ReplyBody::Read(bytes) => Ok(bytes),
            ReplyBody::Stream(body) => read_all(body).map_err(|e| Error::Transport {
                method: self.method.to_string(),
                path: self.path,
                message: format!("reading the response body failed: {e}"),
                attempt: 0,
            }),
        }
    }

    /// Parses the body as JSON.
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T> {
        let (method, path) = (self.method, self.path.clone());
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            method: method.to_string(),
            path,
            message: e.to_string(),
        })
    }

    /// Parses `{"data": T}`.
    pub(crate) fn data<T: DeserializeOwned>(self) -> Result<T> {
        #[derive(serde::Deserialize)]
        struct Envelope<T> {
            data: T,
        }
        Ok(self.json::<Envelope<T>>()?.data)
    }
}

/// What a caller of [`Transport::send_guarded`] decides after an attempt whose outcome is unknown.
pub(crate) enum Unknown<T> {
    /// Send the same call again (after the retry backoff).
    Resend,
    /// Give up with the failure's own error.
    Fail,
    /// Stop with this result.
    Done(Result<T>),
}

/// The HTTP side of a client: agent, base URL, token and retry settings.
pub(crate) struct Transport {
    agent: ureq::Agent,
    base_url: String,
    token: Option<String>,
    /// The User-Agent the agent sends; a start's marker is appended to it.
    user_agent: String,
    pub max_retries: u32,
    pub min_delay: Duration,
    pub timeout: Duration,
    /// The TCP/TLS connect timeout; `None`: the request timeout, at most 30 s.
    pub connect_timeout: Option<Duration>,
}

impl Transport {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        agent: ureq::Agent,
        base_url: String,
        token: Option<String>,
        user_agent: String,
        max_retries: u32,
        min_delay: Duration,
        timeout: Duration,
        connect_timeout: Option<Duration>,
    ) -> Transport {
        Transport {
            agent,
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
            user_agent,
            max_retries,
            min_delay,
            timeout,
            connect_timeout,
        }
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends a call, resending it as its retry policy allows, with exponential backoff.
    pub(crate) fn send(&self, call: &Call) -> Result<Reply> {
        self.send_guarded(call, Ok, |_, _| Unknown::Fail)
    }

    /// The one retry loop. Sends `call` and decodes a success with `decode`; a success that
    /// does not decode counts as an answer lost after the server acted. A failure the server
    /// cannot have acted on is resent; one it may have acted on is resent as the call's retry
    /// policy allows, except under [`Retry::OnlyIfNotProcessed`], where `on_unknown` decides
    /// (given the failure and the attempt that failed): this is where run starts reconcile.
    pub(crate) fn send_guarded<T>(
        &self,
        call: &Call,
        mut decode: impl FnMut(Reply) -> Result<T>,
        mut on_unknown: impl FnMut(&Failure, u32) -> Unknown<T>,
    ) -> Result<T> {
        let mut attempt = 1;
        loop {
            let failure = match self.send_once(call, attempt) {
                Ok(reply) => match decode(reply) {
                    Ok(value) => return Ok(value),
                    Err(error) => Failure {
                        error,
                        not_processed: false,
                        retryable: true,
                        lost: true,
                    },
                },
                Err(f) => f,
            };
            let resend = if !failure.retryable {
                false
            } else if failure.not_processed {
                true
            } else {
                match call.retry {
                    Retry::Idempotent => true,
                    Retry::UnlessLost => !failure.lost,
                    Retry::OnlyIfNotProcessed => match on_unknown(&failure, attempt) {
                        Unknown::Resend => true,
                        Unknown::Fail => false,
                        Unknown::Done(result) => return result,
                    },
                }
            };
            if !resend || attempt > self.max_retries {
                return Err(failure.error);
            }
            let delay = self.backoff(attempt);
            log::warn!(
                target: "apify",
                "{} {}: attempt {attempt} failed, retrying in {} ms: {}",
                call.method,
                call.path,
                delay.as_millis(),
                failure.error
            );
            std::thread::sleep(delay);
            attempt += 1;
        }
    }

    /// The delay after the given failed attempt: random in [min, 2 min) times 2^(attempt-1).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let base =
            self.min_delay.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1).min(20) as i32);
        Duration::from_secs_f64(base * (1.0 + jitter()))
    }

    /// One attempt, without retries.
    pub(crate) fn send_once(&self, call: &Call, attempt: u32) -> Result<Reply, Failure> {
        let url = self.url(call);
        let mut builder = ureq::http::Request::builder().method(call.method).uri(&url);
        if let Some(token) = &self.token {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(marker) = &call.start_marker {
            // A request's own User-Agent replaces the agent's.
            builder = builder.header("User-Agent", format!("{} {marker}", self.user_agent));
        }
        let mut body = Vec::new();
        if let Some((bytes, content_type)) = &call.body {
            builder = builder.header("Content-Type", content_type.as_str());
            if bytes.len() >= GZIP_FROM_BYTES {
                builder = builder.header("Content-Encoding", "gzip");
                body = gzip(bytes);
            } else {
                body = bytes.clone();
            }
        }
        let request = builder.body(body).map_err(|e| Failure {
            error: Error::InvalidArgument(format!(
                "the request for {} cannot be built: {e}",
                call.path
            )),
            not_processed: true,
            retryable: false,
            lost: false,
        })?;
        let timeout = call.timeout.unwrap_or(self.timeout);
        let connect_timeout = self
            .connect_timeout
            .unwrap_or_else(|| timeout.min(Duration::from_secs(30)));
        let result = request
            .with_agent(&self.agent)
            .configure()
            .timeout_connect(Some(connect_timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_per_read(Some(timeout))
            .build()
            .run();
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                // The timeout that ran out, as the error reports it.
                let limit = match e {
                    ureq::Error::Timeout(ureq::Timeout::Connect) => connect_timeout,
                    _ => timeout,
                };
                return Err(self.transport_failure(call, attempt, e, limit));
            }
        };
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        if status < 400 {
            let body = if call.stream {
                ReplyBody::Stream(body)
            } else {
                let bytes = read_all(body).map_err(|e| Failure {
                    error: Error::Transport {
                        method: call.method.to_string(),
                        path: call.path.clone(),
                        message: format!("the answer was cut short: {e}"),
                        attempt,
                    },
                    not_processed: false,
                    retryable: true,
                    lost: true,
                })?;
                ReplyBody::Read(bytes)
            };
            return Ok(Reply {
                headers: parts.headers,
                body,
                method: call.method,
                path: call.path.clone(),
            });
        }
        let mut raw = Vec::new();
        let _ = body
            .into_with_config()
            .limit(ERROR_BODY_CAP)
            .reader()
            .take(ERROR_BODY_CAP)
            .read_to_end(&mut raw);
        let api = api_error(call, status, &raw, attempt);
        Err(Failure {
            error: Error::Api(Box::new(api)),
            not_processed: status == 429,
            retryable: status == 429 || status >= 500,
            lost: false,
        })
    }

    fn transport_failure(
        &self,
        call: &Call,
        attempt: u32,
        e: ureq::Error,
        timeout: Duration,
    ) -> Failure {
        use std::io::ErrorKind;
        let not_processed = match &e {
            ureq::Error::Io(io) => matches!(
                io.kind(),
                ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable | ErrorKind::NotFound
            ),
            ureq::Error::Timeout(t) => matches!(t, ureq::Timeout::Connect | ureq::Timeout::Resolve),
            ureq::Error::HostNotFound | ureq::Error::ConnectProxyFailed(_) => true,
            _ => false,
        };
        let error = match e {
            ureq::Error::Timeout(_) => Error::Timeout {
                method: call.method.to_string(),
                path: call.path.clone(),
                timeout_secs: timeout.as_secs_f64(),
                attempt,
            },
            other => Error::Transport {
                method: call.method.to_string(),
                path: call.path.clone(),
                message: redact(&other.to_string(), self.token.as_deref()),
                attempt,
            },
        };
        Failure {
            error,
            not_processed,
            retryable: true,
            lost: !not_processed,
        }
    }

    fn url(&self, call: &Call) -> String {
        let mut url = format!("{}{}", self.base_url, call.path);
        for (i, (k, v)) in call.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode_component(k));
            url.push('=');
            url.push_str(&encode_component(v));
        }
        url
    }
}

fn read_all(body: ureq::Body) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    body.into_with_config()
        .limit(u64::MAX)
        .reader()
        .read_to_end(&mut out)?;
    Ok(out)
}

fn api_error(call: &Call, status: u16, raw: &[u8], attempt: u32) -> ApiError {
    let parsed: Option<Value> = serde_json::from_slice(raw).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let kind = error
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let message = match error.and_then(|e| e.get("message")).and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None => {
            let text = String::from_utf8_lossy(raw);
            let text: String = text.chars().take(300).collect();
            if text.trim().is_empty() {
                "(no error body)".to_string()
            } else {
                text
            }
        }
    };
    ApiError {
        status,
        kind,
        message,
        data: error.and_then(|e| e.get("data")).cloned(),
        method: call.method.to_string(),
        path: call.path.clone(),
        attempt,
    }
}

/// Removes the token from a message, in case a library below quoted a URL or header.
fn redact(message: &str, token: Option<&str>) -> String {
    match token {
        Some(t) if !t.is_empty() => message.replace(t, "***"),
        _ => message.to_string(),
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// A number in [0, 1) that differs between calls (retry jitter, not cryptography).
fn jitter() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ nanos;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Percent-encodes a path segment or query component (all but unreserved characters).
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_components() {
        assert_eq!(encode_component("apify~hello-world"), "apify~hello-world");
        assert_eq!(encode_component("a/b c&d"), "a%2Fb%20c%26d");
        assert_eq!(encode_component("ü"), "%C3%BC");
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn redacts_the_token() {
        assert_eq!(
            redact("bad url http://x/?token=SECRET", Some("SECRET")),
            "bad url http://x/?token=***"
        );
    }
}
