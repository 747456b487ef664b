//! Every failure a caller of the SDK can see.

use serde_json::Value;

/// An error answered by the API: status, type and message from its error envelope, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The API's error `type` (e.g. `record-not-found`); empty when the body had none.
    pub kind: String,
    /// The API's error `message`, or the start of the body when it was not an error envelope.
    pub message: String,
    /// The error envelope's `data`, if any.
    pub data: Option<Value>,
    /// HTTP method of the failed request.
    pub method: String,
    /// Path of the failed request (no query string, never a token).
    pub path: String,
    /// Which attempt failed (1 = the first).
    pub attempt: u32,
}

/// What the server may have seen of a request that failed: whether a run (or any other effect)
/// can exist because of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Nothing reached the server (connection refused, DNS or TLS failure, proxy refused, connect
    /// timeout, or refused before sending): it cannot have acted.
    No,
    /// The server received the request and answered (an error status, a body too large, a
    /// refused redirect).
    Yes,
    /// The request was written but no answer came back (connection lost, timeout): the server
    /// may or may not have acted on it.
    Unknown,
}

impl Sent {
    /// `"false"`, `"true"` or `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sent::No => "false",
            Sent::Yes => "true",
            Sent::Unknown => "unknown",
        }
    }
}

/// The cause of a failure (the I/O or TLS error below a transport failure, the failed attempt
/// behind an unknown outcome), shared by clones. It dereferences to the error itself, so
/// [`std::error::Error::source`] hands out that error (`downcast_ref::<std::io::Error>()` works).
#[derive(Debug, Clone)]
pub struct Cause(std::sync::Arc<Box<dyn std::error::Error + Send + Sync + 'static>>);

impl Cause {
    /// Wraps an error as a cause.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Cause {
        // A thin pointer keeps `Error` small.
        Cause(std::sync::Arc::new(Box::new(e)))
    }
}

impl std::ops::Deref for Cause {
    type Target = dyn std::error::Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &**self.0
    }
}

/// The SDK's error type.
///
/// [`std::error::Error::source`] chains to the underlying failure where there is one (the I/O
/// error of a transport failure, the transport failure behind an unknown outcome).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status (after retries, where retrying applies).
    #[error("{} {}: HTTP {} {}: {} (attempt {})", .0.method, .0.path, .0.status, .0.kind, .0.message, .0.attempt)]
    Api(Box<ApiError>),

    /// The request could not be sent, or its answer could not be read. `sent` says whether the
    /// server may have seen it; the message says what happened and where (scheme, host, port).
    #[error("{method} {path}: {message} (attempt {attempt})")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What went wrong.
        message: String,
        /// Which attempt failed.
        attempt: u32,
        /// What the server may have seen.
        sent: Sent,
        /// The underlying error.
        #[source]
        source: Option<Cause>,
    },

    /// The request timed out on the client side (the whole request, body included, or the
    /// connect timeout).
    #[error("{method} {path}: timed out after {timeout_secs:.1} s{} (attempt {attempt})", if *.sent == Sent::No { " while connecting; nothing was sent" } else { "" })]
    Timeout {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The timeout that ran out, in seconds.
        timeout_secs: f64,
        /// Which attempt failed.
        attempt: u32,
        /// What the server may have seen.
        sent: Sent,
    },

    /// An answer's body was larger than the cap for its call (a broken or hostile server); it
    /// was not read further and the request was not resent.
    #[error("{method} {path}: the answer is larger than {limit} bytes, the cap for this call; it was not read further and not resent (attempt {attempt})")]
    ResponseTooLarge {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The cap in bytes.
        limit: u64,
        /// Which attempt failed.
        attempt: u32,
    },

    /// The server answered with a redirect to another origin, which is never followed (it
    /// could hand the caller a foreign answer, or carry the request elsewhere).
    #[error("{method} {path}: the server redirected (HTTP {status}) to another origin, {location}, which is not followed (attempt {attempt})")]
    RedirectRefused {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The redirect's status (301, 302, 303, 307, 308).
        status: u16,
        /// Where it pointed (scheme, host, port and path; no query).
        location: String,
        /// Which attempt failed.
        attempt: u32,
    },

    /// An argument was refused before any request was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The input does not fit the Actor's input schema (checked before a start with
    /// [`StartOptions::validate_input`](crate::StartOptions::validate_input)); nothing was
    /// started. The report names every problem.
    #[error("the input is not valid for {}: {}", .0.actor, .0.summary())]
    InvalidInput(Box<crate::input_report::InputReport>),

    /// A synchronous run did not finish within the API's limit (HTTP 408); the run goes on.
    #[error("the synchronous run did not finish within the API's limit (about 300 s) and goes on running on the platform; the API does not say which run it was. For runs that take longer, start the run (start/call) and wait for it instead. Server said: {message}")]
    SyncRunTimeout {
        /// The API's message.
        message: String,
    },

    /// A run ended in a status other than SUCCEEDED.
    #[error("the Actor run {} did not succeed: status {}{}", run_id.as_deref().unwrap_or("(id not given)"), status.as_deref().unwrap_or("(not given)"), api.as_ref().map(|a| format!(" ({} {}: HTTP {} {})", a.method, a.path, a.status, a.kind)).unwrap_or_default())]
    RunFailed {
        /// The run's id, when the server gave it.
        run_id: Option<String>,
        /// The run's final status, when the server gave it.
        status: Option<String>,
        /// The server's message.
        message: String,
        /// The API error that reported it, when a request did.
        api: Option<Box<ApiError>>,
    },

    /// A run start (or synchronous run) may have reached the server and no answer says whether
    /// it created a run; it was not resent, because that could create a second, billed run.
    #[error("{method} {path}: the outcome is unknown: {message}")]
    OutcomeUnknown {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What failed, why it was not resent, and how to look the run up.
        message: String,
        /// The start's marker: the run it created, if any, has a `meta.userAgent` ending with it.
        start_marker: Option<String>,
        /// The run that carries the marker, when it was found (a synchronous run).
        run_id: Option<String>,
        /// The failure of the attempt whose outcome is unknown.
        #[source]
        source: Option<Cause>,
    },

    /// The caller stopped the operation (a callback returned `Break`); a wait names the run and
    /// the status it had then.
    #[error("cancelled by the caller{}", run_id.as_ref().map(|id| format!(" while waiting for run {id} (status {})", run_status.as_deref().unwrap_or("unknown"))).unwrap_or_default())]
    Cancelled {
        /// The run being waited for, if any.
        run_id: Option<String>,
        /// Its status at the last answer.
        run_status: Option<String>,
    },

    /// A response could not be decoded into the expected type.
    #[error("{method} {path}: the response could not be decoded: {message}")]
    Decode {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::RunFailed { api, .. } => api.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// True for an API error with HTTP 404.
    pub fn is_not_found(&self) -> bool {
        self.http_status() == Some(404)
    }

    /// A cancellation outside of a wait.
    pub(crate) fn cancelled() -> Error {
        Error::Cancelled {
            run_id: None,
            run_status: None,
        }
    }

    /// What the server may have seen of the failed request; `None` where no request is meant
    /// (a cancellation).
    pub fn sent(&self) -> Option<Sent> {
        match self {
            Error::Transport { sent, .. } | Error::Timeout { sent, .. } => Some(*sent),
            Error::InvalidArgument(_) | Error::InvalidInput(_) => Some(Sent::No),
            Error::OutcomeUnknown { .. } => Some(Sent::Unknown),
            Error::Cancelled { .. } => None,
            _ => Some(Sent::Yes),
        }
    }

    /// The run the error is about: a failed run, a cancelled wait, an outcome-unknown start
    /// whose run was found.
    pub fn run_id(&self) -> Option<&str> {
        match self {
            Error::RunFailed { run_id, .. }
            | Error::Cancelled { run_id, .. }
            | Error::OutcomeUnknown { run_id, .. } => run_id.as_deref(),
            _ => None,
        }
    }

    /// That run's status, where known.
    pub fn run_status(&self) -> Option<&str> {
        match self {
            Error::RunFailed { status, .. } => status.as_deref(),
            Error::Cancelled { run_status, .. } => run_status.as_deref(),
            _ => None,
        }
    }

    /// The report of an input refused by its schema ([`Error::InvalidInput`]).
    pub fn input_report(&self) -> Option<&crate::input_report::InputReport> {
        match self {
            Error::InvalidInput(report) => Some(report),
            _ => None,
        }
    }

    /// The start marker of an outcome-unknown start.
    pub fn start_marker(&self) -> Option<&str> {
        match self {
            Error::OutcomeUnknown { start_marker, .. } => start_marker.as_deref(),
            _ => None,
        }
    }

    /// Which attempt failed, for errors of a request.
    pub fn attempt(&self) -> Option<u32> {
        match self {
            Error::Api(e) => Some(e.attempt),
            Error::Transport { attempt, .. }
            | Error::Timeout { attempt, .. }
            | Error::ResponseTooLarge { attempt, .. }
            | Error::RedirectRefused { attempt, .. } => Some(*attempt),
            _ => None,
        }
    }

    /// Replaces every secret in the error's texts with `***` (the transport's last word on any
    /// error: whatever produced a text, a token in it does not get out).
    pub(crate) fn redact(&mut self, redact: &dyn Fn(&str) -> String) {
        let fix = |s: &mut String| *s = redact(s);
        match self {
            Error::Api(e) => {
                fix(&mut e.message);
                if let Some(d) = &mut e.data {
                    redact_value(d, redact);
                }
            }
            Error::Transport { message, .. }
            | Error::Decode { message, .. }
            | Error::SyncRunTimeout { message }
            | Error::InvalidArgument(message) => fix(message),
            Error::RedirectRefused { location, .. } => fix(location),
            Error::RunFailed { message, api, .. } => {
                fix(message);
                if let Some(a) = api {
                    fix(&mut a.message);
                }
            }
            Error::OutcomeUnknown { message, .. } => fix(message),
            _ => {}
        }
    }
}

fn redact_value(v: &mut Value, redact: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = redact(s),
        Value::Array(a) => a.iter_mut().for_each(|x| redact_value(x, redact)),
        Value::Object(o) => o.values_mut().for_each(|x| redact_value(x, redact)),
        _ => {}
    }
}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
