//! One request to the API ([`Call`]): method, path, query, body, timeout, how it may be resent
//! and how large its answer may be.

use std::time::Duration;

use crate::error::{Error, Result};

/// The cap on a JSON answer (a run, a list page, metadata).
pub const DEFAULT_MAX_JSON_BYTES: u64 = 64 << 20;
/// The cap on a record (the API's request body limit, which bounds what a record can hold).
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 9_437_184;
/// A page of dataset items may be this much per requested item...
pub const PAGE_BYTES_PER_ITEM: u64 = 1 << 20;
/// ...but at least this much, and at most [`MAX_PAGE_BYTES_CEILING`] (also the cap of a page
/// whose size was not limited).
pub const MIN_PAGE_BYTES: u64 = 64 << 20;
/// The largest default cap of a page of items, and of any other answer read whole.
pub const MAX_PAGE_BYTES_CEILING: u64 = 1 << 30;

/// How large an answer's body may be, by what the call reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cap {
    /// A JSON object or list page ([`DEFAULT_MAX_JSON_BYTES`]).
    Json,
    /// A key-value record (the client's record cap).
    Record,
    /// A page of dataset items with this limit (or none).
    Page(Option<u64>),
    /// A log or a raw answer: the ceiling.
    Large,
}

/// The caps a client sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caps {
    pub record: u64,
    /// A fixed cap for every page of items, instead of one by its limit.
    pub page: Option<u64>,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            record: DEFAULT_MAX_RECORD_BYTES,
            page: None,
        }
    }
}

impl Caps {
    pub(crate) fn bytes(&self, cap: Cap) -> u64 {
        match cap {
            Cap::Json => DEFAULT_MAX_JSON_BYTES,
            Cap::Record => self.record,
            Cap::Page(limit) => self.page.unwrap_or_else(|| match limit {
                Some(l) => l
                    .saturating_mul(PAGE_BYTES_PER_ITEM)
                    .clamp(MIN_PAGE_BYTES, MAX_PAGE_BYTES_CEILING),
                None => MAX_PAGE_BYTES_CEILING,
            }),
            Cap::Large => MAX_PAGE_BYTES_CEILING,
        }
    }
}

/// How a request may be repeated when its outcome is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Resent on 429, 5xx and transport errors (reads, and writes that are safe to repeat).
    Idempotent,
    /// Resent on 429, 5xx and failures to connect, but not after a lost answer (the server may
    /// have acted on it): for writes that must not happen twice, such as dataset pushes.
    UnlessLost,
    /// Resent only when the server cannot have acted on it (429, or nothing was sent); any
    /// other failure goes to the caller's `on_unknown` (run starts reconcile there).
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
    /// Hand the body over as a stream instead of reading it within the attempt (exports, logs).
    pub stream: bool,
    /// How large the answer may be when it is read whole.
    pub cap: Cap,
    /// A run start's marker (`libapify-start/<hex>`), appended to the User-Agent of every attempt.
    pub start_marker: Option<String>,
    /// Extra request headers (a charge's `idempotency-key`), sent with every attempt.
    pub headers: Vec<(String, String)>,
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
            cap: Cap::Json,
            start_marker: None,
            headers: Vec::new(),
        }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub(crate) fn start_marker(mut self, marker: &str) -> Call {
        self.start_marker = Some(marker.to_string());
        self
    }

    pub(crate) fn streamed(mut self) -> Call {
        self.stream = true;
        self
    }

    pub(crate) fn cap(mut self, cap: Cap) -> Call {
        self.cap = cap;
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
