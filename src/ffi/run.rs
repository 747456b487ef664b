//! Runs: get, wait (with callbacks), abort, resurrect, and the log.

use std::ffi::{c_char, c_int};
use std::time::Duration;

use super::boundary::ffi;
use super::callbacks::apify_callbacks;
use super::client_handle::apify_client;
use super::errors::apify_status;
use super::json::to_json;
use crate::WaitOptions;

fn wait_options(wait_secs: i64) -> WaitOptions {
    WaitOptions {
        budget: (wait_secs >= 0).then(|| Duration::from_secs(wait_secs as u64)),
        ..WaitOptions::default()
    }
}

/// Gets a run; NOT_FOUND when there is none.
///
/// API: `actorRun_get`
#[no_mangle]
pub unsafe extern "C" fn apify_run_get(
    c: *const apify_client,
    run_id: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str) -> out_run_json => { to_json(&c.run(run_id).fetch()?)? })
}

/// Waits for a run (long polling, up to 60 s a request): `wait_secs` < 0 without limit, 0 not
/// at all, else at most that long. OK with the run in whatever status it has then, terminal or
/// not (a FAILED run is OK here: read its `status`).
///
/// API: `actorRun_get`
#[no_mangle]
pub unsafe extern "C" fn apify_run_wait(
    c: *const apify_client,
    run_id: *const c_char,
    wait_secs: i64,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str, wait_secs: int) -> out_run_json => {
        to_json(&c.run(run_id).wait(&wait_options(wait_secs))?)?
    })
}

/// Like `apify_run_wait`, with callbacks (may be NULL): `progress` after every status answer
/// (non-zero: CANCELLED, the run goes on), `log` with the log text as it is written.
///
/// API: `actorRun_get`, `log_get`
#[no_mangle]
pub unsafe extern "C" fn apify_run_wait_with(
    c: *const apify_client,
    run_id: *const c_char,
    wait_secs: i64,
    callbacks: *const apify_callbacks,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str, wait_secs: int, callbacks: callbacks) -> out_run_json => {
        let run = c.run(run_id);
        let options = wait_options(wait_secs);
        let run = if callbacks.has_log() {
            run.wait_with_log(&options, callbacks.on_poll(), callbacks.on_log())?
        } else {
            run.wait_with(&options, callbacks.on_poll())?
        };
        to_json(&run)?
    })
}

/// Aborts a run (`gracefully` non-zero lets it finish its work for up to 30 s).
///
/// API: `actorRun_abort_post`
#[no_mangle]
pub unsafe extern "C" fn apify_run_abort(
    c: *const apify_client,
    run_id: *const c_char,
    gracefully: c_int,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str, gracefully: int) -> out_run_json => {
        to_json(&c.run(run_id).abort(gracefully != 0)?)?
    })
}

/// Resurrects a finished run (it runs again with the same storages); the run object.
///
/// API: `PostResurrectRun`
#[no_mangle]
pub unsafe extern "C" fn apify_run_resurrect(
    c: *const apify_client,
    run_id: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str) -> out_run_json => { to_json(&c.run(run_id).resurrect()?)? })
}

/// The run's log as it is now, as text.
///
/// API: `actorRun_log_get`
#[no_mangle]
pub unsafe extern "C" fn apify_run_get_log(
    c: *const apify_client,
    run_id: *const c_char,
    out_text: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str) -> out_text => { c.run(run_id).log()?.replace('\0', " ") })
}

/// Delivers the run's log text to `callbacks->log` as it is written (in order, each byte once)
/// until the run ends; OK then. A non-zero answer from the callback stops with CANCELLED. The
/// `log` callback is required.
///
/// API: `log_get`
#[no_mangle]
pub unsafe extern "C" fn apify_run_follow_log(
    c: *const apify_client,
    run_id: *const c_char,
    callbacks: *const apify_callbacks,
) -> apify_status {
    ffi!((c: client, run_id: str, callbacks: req_callbacks) => {
        if !callbacks.has_log() {
            return Err(super::errors::Failure::invalid(
                "argument 'callbacks' must be given with a log callback",
            ));
        }
        c.run(run_id).follow_log(callbacks.on_log())?
    })
}
