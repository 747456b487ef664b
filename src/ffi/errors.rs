//! Statuses, failures on their way to C, and the thread's last error.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Error;

/// The result of a fallible call: `APIFY_STATUS_OK` (0) or one of the `APIFY_STATUS_*` codes.
pub type apify_status = i32;

/// Success.
pub const APIFY_STATUS_OK: apify_status = 0;
/// A required pointer argument was NULL.
pub const APIFY_STATUS_NULL_ARGUMENT: apify_status = 1;
/// A string argument was not valid UTF-8.
pub const APIFY_STATUS_INVALID_UTF8: apify_status = 2;
/// A JSON argument was not valid JSON.
pub const APIFY_STATUS_INVALID_JSON: apify_status = 3;
/// An argument was refused before any request (wrong shape, unknown option, bad key, ...).
pub const APIFY_STATUS_INVALID_ARGUMENT: apify_status = 4;
/// The API answered with an error not covered by a more specific status.
pub const APIFY_STATUS_API_ERROR: apify_status = 10;
/// The API answered 404.
pub const APIFY_STATUS_NOT_FOUND: apify_status = 11;
/// The API answered 401 or 403 (missing or wrong token, no permission).
pub const APIFY_STATUS_UNAUTHORIZED: apify_status = 12;
/// The API answered 429 after every retry.
pub const APIFY_STATUS_RATE_LIMITED: apify_status = 13;
/// The run ended in a status other than SUCCEEDED.
pub const APIFY_STATUS_RUN_FAILED: apify_status = 14;
/// A synchronous run did not finish within the API's limit (HTTP 408); the run goes on.
pub const APIFY_STATUS_SYNC_TIMEOUT: apify_status = 15;
/// A run start (or synchronous run) may have reached the server and no answer says whether it
/// created a run; it was not resent. The last error JSON has the start's marker
/// (`startMarker`: the run's `meta.userAgent` ends with it) and, when found, the run (`runId`).
pub const APIFY_STATUS_OUTCOME_UNKNOWN: apify_status = 16;
/// The request could not be sent or its answer was lost. The last error JSON's `sent` says
/// which: `false` (nothing reached the server: connection refused, DNS, TLS, proxy; no run can
/// exist), `"unknown"` (sent, no answer came back), `true` (answered, then cut short).
pub const APIFY_STATUS_TRANSPORT: apify_status = 20;
/// The request timed out on the client side (`sent` false: while connecting).
pub const APIFY_STATUS_TIMEOUT: apify_status = 21;
/// The operation was cancelled.
pub const APIFY_STATUS_CANCELLED: apify_status = 22;
/// An answer was larger than the cap for its call (a broken or hostile server); not resent.
pub const APIFY_STATUS_RESPONSE_TOO_LARGE: apify_status = 23;
/// The server redirected to another origin, which is never followed; the message names it.
pub const APIFY_STATUS_REDIRECT_REFUSED: apify_status = 24;
/// The input does not fit the Actor's input schema; nothing was started. The last error JSON's
/// `inputReport` names every problem: `{"valid": false, "errors": [{"pointer", "field",
/// "expected", "given", "message"}]}`.
pub const APIFY_STATUS_INVALID_INPUT: apify_status = 25;
/// An unexpected internal failure (an answer that could not be decoded, ...).
pub const APIFY_STATUS_INTERNAL: apify_status = 90;
/// A panic was caught at the boundary; the library is still usable.
pub const APIFY_STATUS_PANIC: apify_status = 99;

/// A failure on its way to C: the status and what the last error says.
#[derive(Clone)]
pub(super) struct Failure {
    pub(super) status: apify_status,
    pub(super) http_status: Option<u16>,
    pub(super) kind: Option<String>,
    pub(super) message: String,
    pub(super) method: Option<String>,
    pub(super) path: Option<String>,
    pub(super) attempt: Option<u32>,
    pub(super) run_id: Option<String>,
    pub(super) run_status: Option<String>,
    pub(super) start_marker: Option<String>,
    /// What the server may have seen: `false`, `true` or `"unknown"` (`None`: not a request).
    pub(super) sent: Option<crate::Sent>,
    /// The report of an input refused by its schema.
    pub(super) input_report: Option<Box<crate::InputReport>>,
}

impl Failure {
    pub(super) fn new(status: apify_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            http_status: None,
            kind: None,
            message: message.into(),
            method: None,
            path: None,
            attempt: None,
            run_id: None,
            run_status: None,
            start_marker: None,
            sent: None,
            input_report: None,
        }
    }

    pub(super) fn null(name: &str) -> Failure {
        Failure::new(
            APIFY_STATUS_NULL_ARGUMENT,
            format!("argument '{name}' must not be NULL"),
        )
    }

    pub(super) fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(APIFY_STATUS_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let message = e.to_string();
        let status = match &e {
            Error::Api(api) => match api.status {
                404 => APIFY_STATUS_NOT_FOUND,
                401 | 403 => APIFY_STATUS_UNAUTHORIZED,
                429 => APIFY_STATUS_RATE_LIMITED,
                _ => APIFY_STATUS_API_ERROR,
            },
            Error::Transport { .. } => APIFY_STATUS_TRANSPORT,
            Error::Timeout { .. } => APIFY_STATUS_TIMEOUT,
            Error::ResponseTooLarge { .. } => APIFY_STATUS_RESPONSE_TOO_LARGE,
            Error::RedirectRefused { .. } => APIFY_STATUS_REDIRECT_REFUSED,
            Error::OutcomeUnknown { .. } => APIFY_STATUS_OUTCOME_UNKNOWN,
            Error::InvalidArgument(_) => APIFY_STATUS_INVALID_ARGUMENT,
            Error::SyncRunTimeout { .. } => APIFY_STATUS_SYNC_TIMEOUT,
            Error::RunFailed { .. } => APIFY_STATUS_RUN_FAILED,
            Error::Cancelled { .. } => APIFY_STATUS_CANCELLED,
            Error::InvalidInput(_) => APIFY_STATUS_INVALID_INPUT,
            _ => APIFY_STATUS_INTERNAL,
        };
        let (method, path) = match &e {
            Error::Transport { method, path, .. }
            | Error::Timeout { method, path, .. }
            | Error::ResponseTooLarge { method, path, .. }
            | Error::RedirectRefused { method, path, .. }
            | Error::OutcomeUnknown { method, path, .. }
            | Error::Decode { method, path, .. } => (Some(method.clone()), Some(path.clone())),
            _ => match e.api() {
                Some(api) => (Some(api.method.clone()), Some(api.path.clone())),
                None => (None, None),
            },
        };
        let (http_status, kind) = match (&e, e.api()) {
            (Error::SyncRunTimeout { .. }, _) => (Some(408), Some("run-timeout-exceeded".into())),
            (_, Some(api)) => (
                Some(api.status),
                (!api.kind.is_empty()).then(|| api.kind.clone()),
            ),
            _ => (None, None),
        };
        Failure {
            status,
            http_status,
            kind,
            message,
            method,
            path,
            attempt: e.attempt().or_else(|| e.api().map(|a| a.attempt)),
            run_id: e.run_id().map(str::to_string),
            run_status: e.run_status().map(str::to_string),
            start_marker: e.start_marker().map(str::to_string),
            sent: e.sent(),
            input_report: e.input_report().cloned().map(Box::new),
        }
    }
}

thread_local! {
    pub(super) static LAST_ERROR: RefCell<Option<Failure>> = const { RefCell::new(None) };
}

/// Whether any thread ever set a last error. Until one does, every thread's last error is
/// already clear, so clearing it after each successful call (a thread-local access per item of
/// an iterator, through `__tls_get_addr` in a shared library) can be skipped.
static ANY_LAST_ERROR: AtomicBool = AtomicBool::new(false);

/// Sets this thread's last error.
pub(super) fn set_last_error(f: Failure) {
    ANY_LAST_ERROR.store(true, Ordering::Relaxed);
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(f));
}

/// Clears this thread's last error (after a call that succeeded).
#[inline]
pub(super) fn clear_last_error() {
    // Only this thread's own stores matter (another's last error is not this thread's), and
    // those it sees in program order.
    if ANY_LAST_ERROR.load(Ordering::Relaxed) {
        LAST_ERROR.with(|e| *e.borrow_mut() = None);
    }
}
