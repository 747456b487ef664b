//! The one place that talks HTTP: the ureq agent ([`connect`]), auth, the one retry loop with
//! backoff, failure classification by what the server may have seen ([`failure`]), answer size
//! caps, redirects, gzip request bodies, logging and streamed response bodies.

mod call;
mod connect;
mod failure;
mod reply;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ureq::RequestExt;

use crate::error::{Error, Result, Sent};
pub(crate) use call::{encode_component, Call, Cap, Caps, Retry};
pub use call::{
    DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_RECORD_BYTES, MAX_PAGE_BYTES_CEILING, MIN_PAGE_BYTES,
    PAGE_BYTES_PER_ITEM,
};
pub(crate) use connect::AgentSettings;
pub(crate) use failure::Failure;
use failure::{api_error, classify, Attempt, Origin, Resend, Secrets};
pub(crate) use reply::Reply;
use reply::ReplyBody;

/// Request bodies from this size up are sent gzip-compressed.
const GZIP_FROM_BYTES: usize = 1024;
/// How much of an error body is read to find the error envelope.
const ERROR_BODY_CAP: u64 = 64 * 1024;
/// Same-origin redirects followed at most in one attempt.
const MAX_REDIRECTS: u32 = 5;
/// Attempts at most, and the time, over which a connection that could not be made is retried.
const BRIEF_ATTEMPTS: u32 = 5;
const BRIEF_WINDOW: Duration = Duration::from_secs(2);
const BRIEF_FIRST_DELAY: Duration = Duration::from_millis(100);

/// What a caller of [`Transport::send_guarded`] decides after an attempt whose outcome is unknown.
pub(crate) enum Unknown<T> {
    /// Send the same call again (after the retry backoff).
    Resend,
    /// Give up with the failure's own error.
    Fail,
    /// Stop with this result.
    Done(Result<T>),
}

/// Everything a transport is built from (the client builder's settings, resolved).
pub(crate) struct Settings {
    pub base_url: String,
    pub token: Option<String>,
    /// The User-Agent every request sends; a start's marker is appended to it.
    pub user_agent: String,
    /// `None`: from the environment; `Some(None)`: no proxy; `Some(Some(url))`: this one.
    pub proxy: Option<Option<String>>,
    pub root_certs_pem: Vec<Vec<u8>>,
    pub max_retries: u32,
    pub min_delay: Duration,
    pub timeout: Duration,
    /// `None`: the request timeout, at most 30 s.
    pub connect_timeout: Option<Duration>,
    pub caps: Caps,
}

/// The HTTP side of a client: agent, base URL, token, retry settings and caps.
pub(crate) struct Transport {
    agent: ureq::Agent,
    base_url: String,
    /// The base URL with any credentials shown as `***`: what messages and `Debug` show.
    shown_base_url: String,
    origin: Origin,
    /// The proxy (`host:port`) requests to the API go through, if any.
    via: Option<String>,
    token: Option<String>,
    secrets: Arc<Secrets>,
    user_agent: String,
    pub max_retries: u32,
    pub min_delay: Duration,
    pub timeout: Duration,
    pub connect_timeout: Option<Duration>,
    caps: Caps,
}

impl Transport {
    /// Checks the base URL and builds the agent.
    pub(crate) fn new(s: Settings) -> Result<Transport> {
        let base_url = s.base_url.trim_end_matches('/').to_string();
        let uri: ureq::http::Uri = base_url
            .parse()
            .map_err(|_| Error::InvalidArgument("the base URL is not a valid URL".to_string()))?;
        let secrets = Secrets::new(s.token.as_deref(), &uri);
        let shown_base_url = secrets.redact(&base_url);
        let origin = Origin::of(&uri)
            .filter(|o| o.scheme == "http" || o.scheme == "https")
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "the base URL must start with http:// or https:// and name a host, got '{shown_base_url}'"
                ))
            })?;
        if uri.query().is_some() {
            return Err(Error::InvalidArgument(format!(
                "the base URL must not have a query, got '{shown_base_url}'"
            )));
        }
        let (agent, proxy) = connect::build_agent(&AgentSettings {
            user_agent: &s.user_agent,
            proxy: &s.proxy,
            root_certs_pem: &s.root_certs_pem,
        })?;
        // The proxy requests to the API go through, as messages name it.
        let via = proxy
            .as_ref()
            .filter(|p| !p.is_no_proxy(&uri))
            .map(|p| format!("{}:{}", p.host(), p.port()));
        let mut secrets = secrets;
        if let Some(p) = &proxy {
            secrets.add(p.username());
            secrets.add(p.password());
        }
        if s.token.is_none() {
            log::info!(
                target: "apify",
                "no API token was given (APIFY_TOKEN or the token option): requests to {shown_base_url} are sent without one"
            );
        }
        Ok(Transport {
            agent,
            base_url,
            shown_base_url,
            origin,
            via,
            token: s.token,
            secrets: Arc::new(secrets),
            user_agent: s.user_agent,
            max_retries: s.max_retries,
            min_delay: s.min_delay,
            timeout: s.timeout,
            connect_timeout: s.connect_timeout,
            caps: s.caps,
        })
    }

    /// The base URL, with any credentials in it shown as `***`.
    /// The most bytes a page of items with this limit may have (a streamed page's reader
    /// enforces it itself).
    pub(crate) fn page_cap(&self, limit: Option<u64>) -> u64 {
        self.caps.bytes(Cap::Page(limit))
    }

    pub(crate) fn shown_base_url(&self) -> &str {
        &self.shown_base_url
    }

    /// Sends a call, resending it as its retry policy allows, with exponential backoff.
    pub(crate) fn send(&self, call: &Call) -> Result<Reply> {
        self.send_guarded(call, Ok, |_, _| Unknown::Fail)
    }

    /// The one retry loop. Sends `call` and decodes a success with `decode`; a success that
    /// does not decode counts as an answer lost after the server acted. A failure the server
    /// cannot have acted on is resent (a connection that could not be made only briefly); one
    /// it may have acted on is resent as the call's retry policy allows, except under
    /// [`Retry::OnlyIfNotProcessed`], where `on_unknown` decides (given the failure and the
    /// attempt that failed): this is where run starts reconcile.
    pub(crate) fn send_guarded<T>(
        &self,
        call: &Call,
        mut decode: impl FnMut(Reply) -> Result<T>,
        mut on_unknown: impl FnMut(&Failure, u32) -> Unknown<T>,
    ) -> Result<T> {
        let mut attempt = 1;
        let mut brief: Option<(Instant, u32)> = None;
        loop {
            let failure = match self.send_once(call, attempt) {
                Ok(reply) => match decode(reply) {
                    Ok(value) => return Ok(value),
                    Err(error) => Failure::lost_answer(self.secrets.redact_error(error)),
                },
                Err(f) => f,
            };
            let resend = match failure.resend {
                Resend::Never => false,
                Resend::Briefly => {
                    let (since, n) = brief.get_or_insert((Instant::now(), 0));
                    *n += 1;
                    *n < BRIEF_ATTEMPTS && since.elapsed() < BRIEF_WINDOW
                }
                Resend::Backoff if failure.not_processed => true,
                Resend::Backoff => match call.retry {
                    Retry::Idempotent => true,
                    Retry::UnlessLost => !failure.lost,
                    Retry::OnlyIfNotProcessed => match on_unknown(&failure, attempt) {
                        Unknown::Resend => true,
                        Unknown::Fail => false,
                        Unknown::Done(result) => {
                            return result.map_err(|e| self.secrets.redact_error(e))
                        }
                    },
                },
            };
            if !resend || attempt > self.max_retries {
                log::debug!(
                    target: "apify",
                    "{} {}: failed after {attempt} attempt(s), sent: {}: {}",
                    call.method,
                    call.path,
                    failure.sent.as_str(),
                    failure.error
                );
                return Err(failure.error);
            }
            let delay = match (failure.resend, brief) {
                (Resend::Briefly, Some((since, n))) => (BRIEF_FIRST_DELAY * 2u32.pow(n - 1))
                    .min(BRIEF_WINDOW.saturating_sub(since.elapsed())),
                _ => self.backoff(attempt),
            };
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

    /// One attempt, without retries, following same-origin redirects; every error redacted.
    pub(crate) fn send_once(&self, call: &Call, attempt: u32) -> Result<Reply, Failure> {
        let started = Instant::now();
        let result = self.exchange(call, attempt).map_err(|mut f| {
            f.error = self.secrets.redact_error(f.error);
            f
        });
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(reply) => log::debug!(
                target: "apify",
                "{} {} -> {} in {ms} ms (attempt {attempt})",
                call.method,
                call.path,
                reply.status
            ),
            Err(f) => log::debug!(
                target: "apify",
                "{} {} -> {} in {ms} ms (attempt {attempt}, sent: {}): {}",
                call.method,
                call.path,
                f.error
                    .http_status()
                    .map_or("failed".to_string(), |s| s.to_string()),
                f.sent.as_str(),
                f.error
            ),
        }
        result
    }

    fn exchange(&self, call: &Call, attempt: u32) -> Result<Reply, Failure> {
        let timeout = call.timeout.unwrap_or(self.timeout);
        let connect_timeout = self
            .connect_timeout
            .unwrap_or_else(|| timeout.min(Duration::from_secs(30)));
        let mut url = self.url(call);
        let mut method = call.method;
        let mut with_body = true;
        let deadline = Instant::now().checked_add(timeout);
        for _hop in 0..=MAX_REDIRECTS {
            // A redirect spends what is left of the one timeout.
            let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
            let at = Attempt {
                call,
                attempt,
                origin: &self.origin,
                via: self.via.as_deref(),
                progress: Default::default(),
                timeout,
                connect_timeout,
                answered: false,
            };
            let request = self.request(call, method, &url, with_body)?;
            let mut cfg = request
                .with_agent(&self.agent)
                .configure()
                .timeout_connect(Some(connect_timeout.min(left)));
            cfg = if call.stream {
                cfg.timeout_recv_response(Some(left))
                    .timeout_per_read(Some(timeout))
            } else {
                cfg.timeout_global(Some(left))
            };
            connect::reset_progress();
            let response = cfg.build().run().map_err(|e| {
                classify(
                    &Attempt {
                        progress: connect::progress(),
                        ..at
                    },
                    e,
                )
            })?;
            let status = response.status().as_u16();
            let (parts, body) = response.into_parts();
            let answered = Attempt {
                progress: connect::progress(),
                answered: true,
                ..at
            };
            if (300..400).contains(&status) && status != 304 {
                let location = parts
                    .headers
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let target = self.redirect_target(&url, location, call, status, attempt)?;
                if !matches!(status, 307 | 308) && method != "HEAD" {
                    // 301, 302, 303: the answer is elsewhere, fetched with GET.
                    if method != "GET" {
                        method = "GET";
                        with_body = false;
                    }
                }
                url = target;
                continue;
            }
            if status < 400 {
                let body = if call.stream {
                    ReplyBody::Stream(body)
                } else {
                    let cap = self.caps.bytes(call.cap);
                    // Sized from Content-Length (within the cap): a page is read into one
                    // allocation of its size, not grown by doubling to up to twice that.
                    let announced = parts
                        .headers
                        .get("content-length")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map_or(0, |n| n.min(cap).min(256 << 20) as usize);
                    let mut bytes = Vec::with_capacity(announced);
                    body.into_with_config()
                        .limit(cap)
                        .reader()
                        .read_to_end(&mut bytes)
                        .map_err(|e| classify(&answered, ureq::Error::from(e)))?;
                    ReplyBody::Read(bytes)
                };
                return Ok(Reply {
                    status,
                    headers: parts.headers,
                    body,
                    method: call.method,
                    path: call.path.clone(),
                    secrets: self.secrets.clone(),
                });
            }
            let mut raw = Vec::new();
            let _ = body
                .into_with_config()
                .limit(ERROR_BODY_CAP)
                .reader()
                .take(ERROR_BODY_CAP)
                .read_to_end(&mut raw);
            let api = api_error(call, status, &raw, attempt, self.token.is_some());
            return Err(Failure::api(api));
        }
        Err(Failure::final_answer(Error::Transport {
            method: call.method.to_string(),
            path: call.path.clone(),
            message: format!(
                "the server redirected more than {MAX_REDIRECTS} times within {}",
                self.origin.describe()
            ),
            attempt,
            sent: Sent::Yes,
            source: None,
        }))
    }

    /// The ureq request of one hop.
    fn request(
        &self,
        call: &Call,
        method: &str,
        url: &str,
        with_body: bool,
    ) -> Result<ureq::http::Request<Vec<u8>>, Failure> {
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        if let Some(token) = &self.token {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(marker) = &call.start_marker {
            // A request's own User-Agent replaces the agent's.
            builder = builder.header("User-Agent", format!("{} {marker}", self.user_agent));
        }
        for (name, value) in &call.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut body = Vec::new();
        if let (Some((bytes, content_type)), true) = (&call.body, with_body) {
            builder = builder.header("Content-Type", content_type.as_str());
            if bytes.len() >= GZIP_FROM_BYTES {
                builder = builder.header("Content-Encoding", "gzip");
                body = gzip(bytes);
            } else {
                body = bytes.clone();
            }
        }
        builder.body(body).map_err(|e| Failure {
            error: Error::InvalidArgument(format!(
                "the request for {} cannot be built: {e}",
                call.path
            )),
            sent: Sent::No,
            not_processed: true,
            lost: false,
            resend: Resend::Never,
        })
    }

    /// Where a redirect leads, if it stays on the API's origin; any other target is refused.
    fn redirect_target(
        &self,
        from: &str,
        location: &str,
        call: &Call,
        status: u16,
        attempt: u32,
    ) -> Result<String, Failure> {
        let refuse = |shown: String| {
            Failure::final_answer(Error::RedirectRefused {
                method: call.method.to_string(),
                path: call.path.clone(),
                status,
                location: shown,
                attempt,
            })
        };
        if location.is_empty() {
            return Err(refuse("(no Location header)".into()));
        }
        let absolute = if location.starts_with('/') && !location.starts_with("//") {
            let from: ureq::http::Uri = from.parse().map_err(|_| refuse(location.into()))?;
            let authority = from.authority().map(|a| a.as_str()).unwrap_or("");
            format!(
                "{}://{authority}{location}",
                from.scheme_str().unwrap_or("http")
            )
        } else {
            location.to_string()
        };
        let target: ureq::http::Uri = match absolute.parse() {
            Ok(u) => u,
            Err(_) => return Err(refuse(without_query(location))),
        };
        match Origin::of(&target) {
            Some(o) if o == self.origin => Ok(absolute),
            Some(o) => Err(refuse(format!(
                "{}://{}:{}{}",
                o.scheme,
                o.host,
                o.port,
                target.path()
            ))),
            None => Err(refuse(without_query(location))),
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

fn without_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or("").to_string()
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
}
