//! `apify_set_log_handler`, called directly: a handler gets this crate's messages (target
//! "apify" and its modules, not other crates') at every level with the `APIFY_LOG_*` codes, a NUL
//! inside a message as a space; NULL removes it; calls come one at a time from the threads that
//! log; a message logged inside the handler is dropped and the handler may remove itself;
//! removing waits for a call in progress. `APIFY_LOG`'s levels and stderr lines. With the
//! emulator: the retries of a read reach the handler at APIFY_LOG_WARN, without the token.
//!
//! Other tests log from other threads of this process (retries), so each test keeps only the
//! messages with its own marker. The handler is one for the process: the tests here take turns
//! (`Session`), and each removes its handler at the end, pass or fail.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use ::log::{Level, LevelFilter};

use super::helpers::*;
#[cfg(feature = "emulator")]
use super::live::*;
use crate::ffi::log::{
    env_level, installed, is_ours, level_code, parse_level, stderr_line, wanted_level,
};

type HandlerFn = unsafe extern "C" fn(c_int, *const c_char, *mut c_void);

/// Taken by each test that sets the handler, for its whole length.
static SERIAL: Mutex<()> = Mutex::new(());

/// One test's turn with the handler; removes it when dropped (declare it after what the
/// handler's userdata points to, so that it is dropped first).
struct Session(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Session {
    fn start() -> Session {
        Session(SERIAL.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        unsafe { apify_set_log_handler(None, ptr::null_mut()) };
    }
}

#[track_caller]
fn set_handler<T>(handler: Option<HandlerFn>, userdata: *const T) {
    let st = unsafe { apify_set_log_handler(handler, userdata.cast_mut().cast()) };
    expect_ok(st, "apify_set_log_handler");
    assert!(installed(), "the library's logger is not the process's");
}

/// The text of a message (lossy: a handler must not panic).
unsafe fn text(message: *const c_char) -> String {
    CStr::from_ptr(message).to_string_lossy().into_owned()
}

/// What `collect` received: every message, and those with the marker with their level and thread.
struct Seen {
    marker: String,
    all: Mutex<Vec<String>>,
    marked: Mutex<Vec<(c_int, String, ThreadId)>>,
}

impl Seen {
    fn new(marker: &str) -> Seen {
        Seen {
            marker: marker.to_owned(),
            all: Mutex::new(Vec::new()),
            marked: Mutex::new(Vec::new()),
        }
    }

    fn marked(&self) -> Vec<(c_int, String, ThreadId)> {
        self.marked.lock().unwrap().clone()
    }
}

unsafe extern "C" fn collect(level: c_int, message: *const c_char, userdata: *mut c_void) {
    let seen = &*userdata.cast::<Seen>();
    let text = text(message);
    if text.contains(&seen.marker) {
        let me = thread::current().id();
        seen.marked.lock().unwrap().push((level, text.clone(), me));
    }
    seen.all.lock().unwrap().push(text);
}

#[test]
fn a_handler_gets_this_crates_messages_at_every_level_until_removed() {
    let seen = Seen::new("ffi-log-test-levels");
    let _session = Session::start();
    let m = &seen.marker;
    set_handler(Some(collect), &seen);
    assert_eq!(::log::max_level(), LevelFilter::Trace);
    ::log::error!(target: "apify", "{m} error");
    ::log::warn!(target: "apify", "{m} warn");
    ::log::info!(target: "apify", "{m} info");
    ::log::debug!(target: "apify", "{m} debug");
    ::log::trace!(target: "apify", "{m} trace");
    ::log::warn!(target: "apify::http", "{m} a module of this crate");
    ::log::warn!(target: "ureq", "{m} another crate");
    ::log::warn!(target: "apifyx", "{m} a crate with a longer name");
    ::log::warn!(target: "apify", "{m} a NUL\0inside");
    let me = thread::current().id();
    let expected: Vec<(c_int, String, ThreadId)> = [
        (APIFY_LOG_ERROR, "error"),
        (APIFY_LOG_WARN, "warn"),
        (APIFY_LOG_INFO, "info"),
        (APIFY_LOG_DEBUG, "debug"),
        (APIFY_LOG_TRACE, "trace"),
        (APIFY_LOG_WARN, "a module of this crate"),
        (APIFY_LOG_WARN, "a NUL inside"),
    ]
    .into_iter()
    .map(|(level, text)| (level, format!("{m} {text}"), me))
    .collect();
    assert_eq!(seen.marked(), expected);

    set_handler(None, ptr::null::<c_void>());
    assert_eq!(::log::max_level(), env_level());
    ::log::error!(target: "apify", "{m} after removal");
    assert_eq!(seen.marked().len(), expected.len(), "{:?}", seen.marked());

    // Set again, with a new handler replacing it.
    set_handler(Some(collect), &seen);
    set_handler(Some(collect), &seen);
    ::log::warn!(target: "apify", "{m} again");
    assert_eq!(seen.marked().last().unwrap().1, format!("{m} again"));
}

/// Counts the calls in progress, to see that they never overlap.
struct Overlap {
    marker: String,
    inside: AtomicUsize,
    overlapped: AtomicBool,
    threads: Mutex<Vec<ThreadId>>,
}

unsafe extern "C" fn one_at_a_time(_level: c_int, message: *const c_char, userdata: *mut c_void) {
    let o = &*userdata.cast::<Overlap>();
    if o.inside.fetch_add(1, SeqCst) != 0 {
        o.overlapped.store(true, SeqCst);
    }
    if text(message).contains(&o.marker) {
        thread::sleep(Duration::from_micros(300));
        o.threads.lock().unwrap().push(thread::current().id());
    }
    o.inside.fetch_sub(1, SeqCst);
}

#[test]
fn calls_come_one_at_a_time_from_the_threads_that_log() {
    const THREADS: usize = 4;
    const EACH: usize = 25;
    let o = Overlap {
        marker: "ffi-log-test-threads".into(),
        inside: AtomicUsize::new(0),
        overlapped: AtomicBool::new(false),
        threads: Mutex::new(Vec::new()),
    };
    let _session = Session::start();
    set_handler(Some(one_at_a_time), &o);
    let ids: Vec<ThreadId> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let marker = &o.marker;
                s.spawn(move || {
                    for i in 0..EACH {
                        ::log::warn!(target: "apify", "{marker} thread {t} message {i}");
                    }
                    thread::current().id()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let got = o.threads.lock().unwrap().clone();
    assert_eq!(got.len(), THREADS * EACH);
    for id in &ids {
        assert_eq!(got.iter().filter(|t| *t == id).count(), EACH, "{id:?}");
    }
    assert!(!o.overlapped.load(SeqCst), "two handler calls overlapped");
}

/// Logs from inside the handler and removes itself there.
struct Reentrant {
    marker: String,
    calls: AtomicUsize,
    removal: AtomicI32,
}

unsafe extern "C" fn reentrant(_level: c_int, message: *const c_char, userdata: *mut c_void) {
    let r = &*userdata.cast::<Reentrant>();
    if !text(message).contains(&r.marker) {
        return;
    }
    r.calls.fetch_add(1, SeqCst);
    let m = &r.marker;
    ::log::warn!(target: "apify", "{m} logged inside the handler");
    let st = apify_set_log_handler(None, ptr::null_mut());
    r.removal.store(st, SeqCst);
    ::log::warn!(target: "apify", "{m} logged inside the handler after removal");
}

#[test]
fn the_handler_may_call_the_library_what_it_logs_is_dropped_and_it_may_remove_itself() {
    let r = Reentrant {
        marker: "ffi-log-test-reentrant".into(),
        calls: AtomicUsize::new(0),
        removal: AtomicI32::new(-1),
    };
    let _session = Session::start();
    set_handler(Some(reentrant), &r);
    ::log::warn!(target: "apify", "{} first", r.marker);
    assert_eq!(r.calls.load(SeqCst), 1);
    assert_eq!(r.removal.load(SeqCst), APIFY_STATUS_OK);
    assert_eq!(::log::max_level(), env_level());
    ::log::warn!(target: "apify", "{} after", r.marker);
    assert_eq!(r.calls.load(SeqCst), 1, "the handler removed itself");
}

/// A handler that takes its time.
struct Slow {
    marker: String,
    entered: AtomicBool,
    finished: AtomicBool,
}

unsafe extern "C" fn slow(_level: c_int, message: *const c_char, userdata: *mut c_void) {
    let s = &*userdata.cast::<Slow>();
    if text(message).contains(&s.marker) {
        s.entered.store(true, SeqCst);
        thread::sleep(Duration::from_millis(300));
        s.finished.store(true, SeqCst);
    }
}

#[test]
fn removing_the_handler_waits_for_the_call_in_progress() {
    let s = Slow {
        marker: "ffi-log-test-slow".into(),
        entered: AtomicBool::new(false),
        finished: AtomicBool::new(false),
    };
    let _session = Session::start();
    set_handler(Some(slow), &s);
    thread::scope(|scope| {
        let marker = &s.marker;
        let logger = scope.spawn(move || ::log::warn!(target: "apify", "{marker} slow"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !s.entered.load(SeqCst) {
            assert!(Instant::now() < deadline, "the handler was not called");
            thread::sleep(Duration::from_millis(1));
        }
        set_handler(None, ptr::null::<c_void>());
        assert!(
            s.finished.load(SeqCst),
            "apify_set_log_handler returned while the old handler was running"
        );
        logger.join().unwrap();
    });
}

#[test]
fn apify_log_names_a_level_in_any_case_and_anything_else_is_ignored() {
    for (text, level) in [
        ("error", LevelFilter::Error),
        ("WARN", LevelFilter::Warn),
        ("Info", LevelFilter::Info),
        ("dEbUg", LevelFilter::Debug),
        (" trace\n", LevelFilter::Trace),
    ] {
        assert_eq!(parse_level(text), Some(level), "{text:?}");
    }
    for text in [
        "",
        "off",
        "warning",
        "verbose",
        "2",
        "warn,info",
        "apify=warn",
    ] {
        assert_eq!(parse_level(text), None, "{text:?}");
    }
    // Without a handler, the logger wants what APIFY_LOG says (Off when it is unset).
    assert_eq!(wanted_level(false), env_level());
    assert_eq!(wanted_level(true), LevelFilter::Trace);
}

#[test]
fn apify_log_prints_one_line_per_message() {
    assert_eq!(
        stderr_line(
            Level::Warn,
            "GET /v2/x: attempt 1 failed, retrying in 10 ms: HTTP 503"
        ),
        "apify WARN: GET /v2/x: attempt 1 failed, retrying in 10 ms: HTTP 503\n"
    );
    assert_eq!(
        stderr_line(Level::Error, "two\nlines\r\nand a \0"),
        "apify ERROR: two lines  and a  \n"
    );
}

#[test]
fn levels_map_to_codes_in_the_log_crates_order() {
    let codes: Vec<c_int> = Level::iter().map(level_code).collect();
    assert_eq!(
        codes,
        [
            APIFY_LOG_ERROR,
            APIFY_LOG_WARN,
            APIFY_LOG_INFO,
            APIFY_LOG_DEBUG,
            APIFY_LOG_TRACE
        ]
    );
    assert_eq!(codes, [1, 2, 3, 4, 5]);
    for level in Level::iter() {
        assert_eq!(level_code(level), level as c_int);
    }
}

#[test]
fn only_this_crates_targets_are_delivered() {
    for target in ["apify", "apify::http", "apify::ffi::client"] {
        assert!(is_ours(target), "{target}");
    }
    for target in ["", "ureq", "apifyx", "apify:", "rustls::client", "my_apify"] {
        assert!(!is_ours(target), "{target}");
    }
}

#[cfg(feature = "emulator")]
#[test]
fn the_retries_of_a_read_reach_the_handler_at_warn_without_the_token() {
    let live = Live::new();
    let c = live.client;
    let created = json_of(
        "apify_dataset_get_or_create",
        text_call(|out| unsafe { apify_dataset_get_or_create(c, ptr::null(), out) }),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let cid = cs(&id);
    let items = cs(r#"[{"n": 1}]"#);
    let st = unsafe { apify_dataset_push_items(c, cid.as_ptr(), items.as_ptr()) };
    expect_ok(st, "apify_dataset_push_items");
    let fault = |times: u32| {
        let body = json!({
            "method": "GET",
            "path": "/v2/datasets/*/items",
            "times": times,
            "action": {"kind": "status", "status": 503},
        });
        request_json(c, "POST", "/_emulator/faults", Some(&body.to_string()));
    };
    let read = || {
        let page =
            text_call(|out| unsafe { apify_dataset_list_items(c, cid.as_ptr(), ptr::null(), out) });
        json_of("apify_dataset_list_items", page)["items"].clone()
    };

    let seen = Seen::new(&format!("/v2/datasets/{id}/items"));
    let _session = Session::start();
    set_handler(Some(collect), &seen);
    fault(3);
    assert_eq!(read(), json!([{"n": 1}]));
    let me = thread::current().id();
    let marked = seen.marked();
    let retries: Vec<&String> = marked
        .iter()
        .filter(|(level, text, _)| *level == APIFY_LOG_WARN && text.contains("retrying"))
        .map(|(_, text, _)| text)
        .collect();
    assert_eq!(retries.len(), 3, "{marked:?}");
    for (i, text) in retries.iter().enumerate() {
        assert!(text.contains(&format!("attempt {}", i + 1)), "{text}");
        assert!(text.contains("503"), "{text}");
    }
    assert!(marked.iter().all(|(_, _, t)| *t == me), "{marked:?}");
    let token = live.emu.token();
    let all = seen.all.lock().unwrap().clone();
    assert!(!all.iter().any(|m| m.contains(token)), "{all:?}");

    set_handler(None, ptr::null::<c_void>());
    fault(1);
    assert_eq!(read(), json!([{"n": 1}]));
    assert_eq!(
        seen.marked(),
        marked,
        "a message after the handler was removed"
    );
}
