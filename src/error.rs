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

/// The SDK's error type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status (after retries, where retrying applies).
    #[error("{} {}: HTTP {} {}: {} (attempt {})", .0.method, .0.path, .0.status, .0.kind, .0.message, .0.attempt)]
    Api(Box<ApiError>),

    /// The request could not be sent or its answer could not be read.
    #[error("{method} {path}: transport error: {message} (attempt {attempt})")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What went wrong.
        message: String,
        /// Which attempt failed.
        attempt: u32,
    },

    /// The request timed out on the client side.
    #[error("{method} {path}: timed out after {timeout_secs:.1} s (attempt {attempt})")]
    Timeout {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The timeout that ran out, in seconds.
        timeout_secs: f64,
        /// Which attempt failed.
        attempt: u32,
    },

    /// An argument was refused before any request was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

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
    },

    /// The caller stopped the operation (a wait callback returned `Break`).
    #[error("cancelled by the caller")]
    Cancelled,

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
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn http_status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// True for an API error with HTTP 404.
    pub fn is_not_found(&self) -> bool {
        self.http_status() == Some(404)
    }
}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
