//! The library's log for C programs: a handler set with `apify_set_log_handler`, or without one,
//! stderr from the level the `APIFY_LOG` environment variable names.
//!
//! The Rust core logs through the `log` facade with target "apify" (retries at warn). Only the C
//! ABI installs a `log::Log` (`install`, from `apify_set_log_handler` and `apify_client_new`),
//! once, and not if the program installed one of its own; a Rust program keeps its own choice.
//!
//! Two locks: `CALLS` is held for the whole of a handler call (calls are one at a time, and
//! replacing the handler waits for the call in progress), `SINK` only to read or write the
//! handler. A thread-local flag marks a thread inside the handler: what it logs meanwhile is
//! dropped, and it may replace the handler without waiting for its own call.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::io::Write;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use ::log::{Level, LevelFilter, Log, Metadata, Record};

use super::boundary::ffi;
use super::errors::apify_status;

/// Log level of a message: a failure the library could not repair (aborting a duplicate run).
pub const APIFY_LOG_ERROR: i32 = 1;
/// Log level of a message: something went wrong and the library went on (a retry, a duplicate
/// run aborted).
pub const APIFY_LOG_WARN: i32 = 2;
/// Log level of a message: what a program may want to know in normal operation.
pub const APIFY_LOG_INFO: i32 = 3;
/// Log level of a message: details for debugging (each request).
pub const APIFY_LOG_DEBUG: i32 = 4;
/// Log level of a message: the finest details.
pub const APIFY_LOG_TRACE: i32 = 5;

/// A C log handler.
type Handler = unsafe extern "C" fn(level: c_int, message: *const c_char, userdata: *mut c_void);

/// The handler and its userdata (an address, so that the pair can be shared by threads).
#[derive(Clone, Copy)]
struct Sink {
    handler: Handler,
    userdata: usize,
}

/// Held during each handler call: one at a time.
static CALLS: Mutex<()> = Mutex::new(());
/// The handler, if one is set.
static SINK: Mutex<Option<Sink>> = Mutex::new(None);
/// Whether this library's logger is the process's (`None`: not tried yet).
static INSTALLED: OnceLock<bool> = OnceLock::new();
/// The level `APIFY_LOG` names (Off if unset or unknown), read once.
static ENV_LEVEL: OnceLock<LevelFilter> = OnceLock::new();
/// The logger.
static LOGGER: CLogger = CLogger;

thread_local! {
    /// Whether this thread is inside the handler.
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
}

/// Installs the library's logger if no logger is installed yet (once; a program's own logger
/// stays) and sets the maximum level it needs. Called by the C functions a program starts with.
pub(super) fn install() {
    INSTALLED.get_or_init(|| {
        let sink = lock(&SINK);
        let installed = ::log::set_logger(&LOGGER).is_ok();
        if installed {
            ::log::set_max_level(wanted_level(sink.is_some()));
        }
        installed
    });
}

/// Sets (or with NULL removes) the process-wide handler of the library's log messages.
///
/// `handler` receives every message of the library at every level: `level` is one of
/// APIFY_LOG_ERROR, APIFY_LOG_WARN (each retry of a request: "GET /v2/datasets/ID/items: attempt
/// 1 failed, retrying in 512 ms: ..."), APIFY_LOG_INFO, APIFY_LOG_DEBUG (each request),
/// APIFY_LOG_TRACE; `message` is UTF-8 text, NUL-terminated (a NUL inside it becomes a space),
/// that never contains the token, valid only during the call; `userdata` is the one given here.
///
/// Calls are serialized: one at a time, never concurrently, but they come from whichever thread
/// is using the library when it logs (with a client shared by threads, from any of them), so
/// the handler must not depend on the thread it runs on, and must not wait for another thread
/// that uses the library. The handler may call the library: what is logged meanwhile on its
/// thread is dropped (not delivered, no deadlock), and it may call apify_set_log_handler.
///
/// When this function returns, the previous handler is not running (unless this is called from
/// inside it) and is not called again, so its userdata may be freed. While a handler is set,
/// APIFY_LOG has no effect; with none, APIFY_LOG applies again. The first call of this function
/// or of apify_client_new installs the library's logger (a Rust program that installed a logger
/// of its own keeps it, and the messages go there instead). Answers APIFY_STATUS_OK.
#[no_mangle]
pub unsafe extern "C" fn apify_set_log_handler(
    handler: Option<
        unsafe extern "C" fn(level: c_int, message: *const c_char, userdata: *mut c_void),
    >,
    userdata: *mut c_void,
) -> apify_status {
    ffi!(() => {
        install();
        let sink = handler.map(|handler| Sink {
            handler,
            userdata: userdata.expose_provenance(),
        });
        // Outside the handler, wait for a call in progress to end, so that none runs once this
        // returns. Inside it, the call in progress is this thread's own: waiting would deadlock.
        let _calls = (!in_handler()).then(|| lock(&CALLS));
        let mut current = lock(&SINK);
        *current = sink;
        if installed() {
            ::log::set_max_level(wanted_level(current.is_some()));
        }
    })
}

/// The logger `install` sets: this crate's messages to the handler, or to stderr by `APIFY_LOG`.
struct CLogger;

impl Log for CLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        is_ours(metadata.target()) && metadata.level() <= ::log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) || in_handler() {
            return;
        }
        let level = record.level();
        let message = record.args().to_string();
        let _calls = lock(&CALLS);
        let sink = *lock(&SINK);
        match sink {
            Some(sink) => {
                let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
                let _inside = Inside::enter();
                let userdata = std::ptr::with_exposed_provenance_mut(sink.userdata);
                unsafe { (sink.handler)(level_code(level), text.as_ptr(), userdata) };
            }
            None if level <= env_level() => {
                // Nowhere to report a failing stderr.
                let _ = std::io::stderr()
                    .lock()
                    .write_all(stderr_line(level, &message).as_bytes());
            }
            None => {}
        }
    }

    fn flush(&self) {}
}

/// Marks this thread as inside the handler until dropped.
struct Inside;

impl Inside {
    fn enter() -> Inside {
        let _ = IN_HANDLER.try_with(|f| f.set(true));
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = IN_HANDLER.try_with(|f| f.set(false));
    }
}

/// Whether this thread is inside the handler (a thread being torn down counts as inside).
fn in_handler() -> bool {
    IN_HANDLER.try_with(Cell::get).unwrap_or(true)
}

/// Whether this library's logger is the process's.
pub(super) fn installed() -> bool {
    INSTALLED.get().copied().unwrap_or(false)
}

/// Locks, going on after a panic elsewhere (the data is a plain value, always consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether a message's target is this crate's: "apify" or one of its modules ("apify::http").
pub(super) fn is_ours(target: &str) -> bool {
    target
        .strip_prefix("apify")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// The maximum level the logger needs: everything for a handler, else what `APIFY_LOG` says.
pub(super) fn wanted_level(has_handler: bool) -> LevelFilter {
    if has_handler {
        LevelFilter::Trace
    } else {
        env_level()
    }
}

/// The level `APIFY_LOG` names; Off if it is unset or names no level. Read once.
pub(super) fn env_level() -> LevelFilter {
    *ENV_LEVEL.get_or_init(|| {
        std::env::var("APIFY_LOG")
            .ok()
            .and_then(|v| parse_level(&v))
            .unwrap_or(LevelFilter::Off)
    })
}

/// `error`, `warn`, `info`, `debug` or `trace`, in any case; anything else is None.
pub(super) fn parse_level(text: &str) -> Option<LevelFilter> {
    let text = text.trim();
    [
        LevelFilter::Error,
        LevelFilter::Warn,
        LevelFilter::Info,
        LevelFilter::Debug,
        LevelFilter::Trace,
    ]
    .into_iter()
    .find(|l| l.as_str().eq_ignore_ascii_case(text))
}

/// The `APIFY_LOG_*` code of a level.
pub(super) fn level_code(level: Level) -> c_int {
    match level {
        Level::Error => APIFY_LOG_ERROR,
        Level::Warn => APIFY_LOG_WARN,
        Level::Info => APIFY_LOG_INFO,
        Level::Debug => APIFY_LOG_DEBUG,
        Level::Trace => APIFY_LOG_TRACE,
    }
}

/// A message as `APIFY_LOG` prints it: "apify WARN: message", on one line.
pub(super) fn stderr_line(level: Level, message: &str) -> String {
    let one_line = message.replace(['\r', '\n', '\0'], " ");
    format!("apify {}: {one_line}\n", level.as_str())
}
