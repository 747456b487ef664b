//! [`Client`] and its builder.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::{encode_component, Call, Caps, Settings, Transport};
use crate::models::Record;
use crate::receiver::Receiver;
use crate::start_knowledge::Starts;

/// The platform's API address, used when neither the builder nor `APIFY_API_BASE_URL` gives one.
pub const DEFAULT_BASE_URL: &str = "https://api.apify.com";
/// How often a failed request is resent by default (429, 5xx, lost answers; see
/// [`ClientBuilder::max_retries`]).
pub const DEFAULT_MAX_RETRIES: u32 = 8;
/// The first retry delay by default; each later one doubles, and each is multiplied by a random
/// factor in [1, 2) (so 0.5–1 s, 1–2 s, 2–4 s, ...).
pub const DEFAULT_MIN_RETRY_DELAY: Duration = Duration::from_millis(500);
/// How long one request may take by default, its answer's body included (long polls and
/// synchronous runs add the time they are meant to wait).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The connect timeout by default is the request timeout, but at most this.
pub const DEFAULT_MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of the Apify API. Cheap to clone; clones share one connection pool.
///
/// ```no_run
/// let client = apify::Client::builder().token("my-token").build()?;
/// let me = client.request("GET", "/v2/users/me", &[], None)?;
/// # Ok::<(), apify::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: Transport,
    /// What run starts have learned about the server (does it record start markers?).
    pub(crate) starts: Starts,
    /// Webhook receivers of waits by webhook, by listen address, started on first use.
    receivers: Mutex<HashMap<String, Arc<Receiver>>>,
    /// Compiled input schemas by Actor and build (`validate_input`).
    pub(crate) input_schemas: crate::schema_cache::SchemaCache,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.http.shown_base_url())
            .field("token", &"***")
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`].
#[derive(Clone, Default)]
pub struct ClientBuilder {
    token: Option<String>,
    base_url: Option<String>,
    max_retries: Option<u32>,
    min_retry_delay: Option<Duration>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent_suffix: Option<String>,
    reconcile_window: Option<Duration>,
    root_certs_pem: Vec<Vec<u8>>,
    /// `None`: from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`; `Some(None)`: no proxy.
    proxy: Option<Option<String>>,
    max_record_bytes: Option<u64>,
    max_page_bytes: Option<u64>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("base_url", &self.base_url.as_deref().map(hide_userinfo))
            .field("max_retries", &self.max_retries)
            .field("min_retry_delay", &self.min_retry_delay)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_record_bytes", &self.max_record_bytes)
            .field("max_page_bytes", &self.max_page_bytes)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API token (default: `APIFY_TOKEN`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The API base URL (default: `APIFY_API_BASE_URL`, then `https://api.apify.com`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How often a failed request is resent (default [`DEFAULT_MAX_RETRIES`], 8). 429, 5xx and
    /// answers lost in transit are resent with exponential backoff; a connection that could not
    /// be made (refused, nothing sent) is retried only a few times within about 2 s; DNS and TLS
    /// failures, other 4xx, answers over their cap and redirects to another origin are not
    /// resent. Run starts and writes that must not happen twice have their own rules (see
    /// [`ActorClient::start`](crate::ActorClient::start)).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// The first retry delay; later ones double, each with jitter (default
    /// [`DEFAULT_MIN_RETRY_DELAY`], 500 ms: delays of 0.5–1 s, 1–2 s, 2–4 s, ...).
    pub fn min_retry_delay(mut self, d: Duration) -> Self {
        self.min_retry_delay = Some(d);
        self
    }

    /// How long one request may take, from connecting to the last byte of its answer (default
    /// [`DEFAULT_TIMEOUT`], 60 s); long polls and synchronous runs add the time they are meant
    /// to wait. Streams (exports, followed logs) are bounded per read instead.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// How long a TCP/TLS connect may take (default: the request timeout, at most 30 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// The largest record (or synchronous run's output) read (default 9,437,184 bytes, the
    /// API's request limit); a larger answer fails with [`Error::ResponseTooLarge`].
    pub fn max_record_bytes(mut self, n: u64) -> Self {
        self.max_record_bytes = Some(n);
        self
    }

    /// The largest page of dataset items read (default: 1 MiB per requested item, at least
    /// 64 MiB and at most 1 GiB, which is also the cap of a page without a limit); a larger
    /// answer fails with [`Error::ResponseTooLarge`] and is not resent.
    pub fn max_page_bytes(mut self, n: u64) -> Self {
        self.max_page_bytes = Some(n);
        self
    }

    /// Text appended to the User-Agent header.
    pub fn user_agent_suffix(mut self, s: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(s.into());
        self
    }

    /// How long a start whose outcome is unknown looks for its run before it is resent
    /// (default [`DEFAULT_RECONCILE_WINDOW`](crate::DEFAULT_RECONCILE_WINDOW)); see
    /// [`ActorClient::start`](crate::ActorClient::start).
    pub fn reconcile_window(mut self, d: Duration) -> Self {
        self.reconcile_window = Some(d);
        self
    }

    /// Trusts this PEM root certificate in addition to the web PKI roots (private deployments).
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certs_pem.push(pem.into());
        self
    }

    /// A proxy URL (`http://host:port`, `socks5://...`) instead of the environment's, or `None`
    /// for no proxy at all. Without this call, `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and
    /// `NO_PROXY` are honoured.
    pub fn proxy(mut self, proxy: Option<&str>) -> Self {
        self.proxy = Some(proxy.map(str::to_string));
        self
    }

    /// Builds the client; fails on an invalid base URL, proxy, certificate or connect timeout.
    pub fn build(self) -> Result<Client> {
        if self.connect_timeout == Some(Duration::ZERO) {
            return Err(Error::InvalidArgument(
                "the connect timeout must be more than zero".into(),
            ));
        }
        let base_url = self
            .base_url
            .or_else(|| {
                std::env::var("APIFY_API_BASE_URL")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let token = self
            .token
            .or_else(|| std::env::var("APIFY_TOKEN").ok())
            .filter(|t| !t.is_empty());
        let mut user_agent = format!("libapify/{} (Rust; blocking)", env!("CARGO_PKG_VERSION"));
        if let Some(s) = &self.user_agent_suffix {
            if s.chars().any(char::is_control) {
                return Err(Error::InvalidArgument(format!(
                    "the User-Agent suffix must not contain control characters, got {s:?}"
                )));
            }
            user_agent.push(' ');
            user_agent.push_str(s);
        }
        for (name, value) in [
            ("max_record_bytes", self.max_record_bytes),
            ("max_page_bytes", self.max_page_bytes),
        ] {
            if value == Some(0) {
                return Err(Error::InvalidArgument(format!(
                    "{name} must be more than zero"
                )));
            }
        }
        let http = Transport::new(Settings {
            base_url,
            token,
            user_agent,
            proxy: self.proxy,
            root_certs_pem: self.root_certs_pem,
            max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            min_delay: self.min_retry_delay.unwrap_or(DEFAULT_MIN_RETRY_DELAY),
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            connect_timeout: self.connect_timeout,
            caps: Caps {
                record: self
                    .max_record_bytes
                    .unwrap_or(crate::http::DEFAULT_MAX_RECORD_BYTES),
                page: self.max_page_bytes,
            },
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                starts: Starts::new(
                    self.reconcile_window
                        .unwrap_or(crate::start_knowledge::DEFAULT_RECONCILE_WINDOW),
                ),
                receivers: Mutex::new(HashMap::new()),
                input_schemas: Default::default(),
            }),
        })
    }
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `APIFY_TOKEN` and `APIFY_API_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        Client::builder().build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.http.shown_base_url()
    }

    pub(crate) fn http(&self) -> &Transport {
        &self.inner.http
    }

    /// The client's webhook receiver for `listen`, started on first use and shared by every
    /// wait that names the same address.
    pub(crate) fn receiver(&self, listen: &str) -> Result<Arc<Receiver>> {
        let mut receivers = self
            .inner
            .receivers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(r) = receivers.get(listen) {
            return Ok(r.clone());
        }
        let r = Arc::new(Receiver::start(listen)?);
        receivers.insert(listen.to_string(), r.clone());
        Ok(r)
    }

    /// Any operation of the API, with the same auth, retries and error mapping as the typed
    /// calls. `path` starts with `/v2/` (already percent-encoded); `query` values are encoded
    /// here. Answers the response body parsed as JSON (`Value::Null` for an empty body).
    /// Requests other than GET and HEAD are not resent after a lost answer, since they may not be
    /// safe to repeat.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let bytes = self.request_raw(method, path, query, body)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    /// Like [`request`](Self::request), answering the response body's bytes as received.
    pub fn request_raw(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Vec<u8>> {
        let mut call = raw_call(method, path, query)?;
        if let Some(b) = body {
            call = call.json_body(b)?;
        }
        self.http().send(&call)?.bytes()
    }

    /// Like [`request_raw`](Self::request_raw) with a body of bytes and its content type,
    /// answering the response body with its `Content-Type` (default `application/octet-stream`).
    pub fn request_bytes(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<(&[u8], &str)>,
    ) -> Result<Record> {
        let mut call = raw_call(method, path, query)?;
        if let Some((bytes, content_type)) = body {
            if content_type.trim().is_empty() {
                return Err(Error::InvalidArgument(
                    "the content type must not be empty".into(),
                ));
            }
            call = call.raw_body(bytes.to_vec(), content_type);
        }
        self.http().send(&call)?.into_record()
    }
}

/// The call of a [`Client::request_raw`] or [`Client::request_bytes`], body not yet set: checks
/// the method and path; requests other than GET and HEAD are not resent after a lost answer.
fn raw_call(method: &str, path: &str, query: &[(&str, &str)]) -> Result<Call> {
    let method: &'static str = match method.to_ascii_uppercase().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "HEAD" => "HEAD",
        other => {
            return Err(Error::InvalidArgument(format!(
                "unsupported HTTP method '{other}'"
            )))
        }
    };
    if !path.starts_with('/') {
        return Err(Error::InvalidArgument(format!(
            "the path must start with '/', got '{path}'"
        )));
    }
    let mut call = Call::new(method, path).cap(crate::http::Cap::Large);
    if !matches!(method, "GET" | "HEAD") {
        call = call.retry(crate::http::Retry::OnlyIfNotProcessed);
    }
    for (k, v) in query {
        call = call.query(k, v);
    }
    Ok(call)
}

/// A URL with any `user:password@` shown as `***@`.
fn hide_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_string(),
    }
}

/// Checks an id or name placed in a path and encodes it as one segment. `username/name` becomes
/// `username~name`, as the API expects.
pub(crate) fn id_segment(what: &str, id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} must not be empty")));
    }
    Ok(encode_component(&id.replacen('/', "~", 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Client>();
    }

    #[test]
    fn debug_output_hides_the_token() {
        let c = Client::builder()
            .token("SECRET-TOKEN")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("SECRET-TOKEN"));
        let b = Client::builder().token("SECRET-TOKEN");
        assert!(!format!("{b:?}").contains("SECRET-TOKEN"));
    }

    #[test]
    fn ids_become_one_segment() {
        assert_eq!(
            id_segment("actor", "apify/hello-world").unwrap(),
            "apify~hello-world"
        );
        assert_eq!(id_segment("actor", "a b/c/d").unwrap(), "a%20b~c%2Fd");
        assert!(id_segment("actor", "  ").is_err());
    }

    #[test]
    fn credentials_in_the_base_url_stay_hidden() {
        let url = "http://user:s3cret-pw@127.0.0.1:9/x";
        let b = Client::builder().token("T").base_url(url);
        assert!(!format!("{b:?}").contains("s3cret-pw"));
        let c = b.build().unwrap();
        assert!(!format!("{c:?}").contains("s3cret-pw"));
        assert_eq!(c.base_url(), "http://***@127.0.0.1:9/x");
        assert_eq!(hide_userinfo("https://h/p@q"), "https://h/p@q");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        let e = Client::builder().base_url("ftp://x").build().unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)));
    }
}
