//! Actors and tasks: start, call (with callbacks), the synchronous runs, last run, run lists.

use std::ffi::c_char;
use std::ops::ControlFlow;

use serde_json::value::RawValue;
use serde_json::Value;

use super::boundary::ffi;
use super::callbacks::{apify_callbacks, Callbacks};
use super::client_handle::apify_client;
use super::errors::{apify_status, Failure};
use super::json::{join_raw, to_json};
use super::options::{parse_object, CallOpts, LastRunOpts, RunsOpts};
use super::record::{apify_record, new_record};
use crate::runnable::Runnable;

fn call_opts(options_json: Option<Value>) -> Result<CallOpts, Failure> {
    parse_object(options_json, "run options")
}

// The bodies shared by the Actor and the task functions, on the SDK's shared run code (what
// `ActorClient` and `TaskClient` both hand their calls to).

fn start(r: Runnable<'_>, input: &Value, options: Option<Value>) -> Result<String, Failure> {
    to_json(&r.start(input, &call_opts(options)?.start_options()?)?)
}

fn call(r: Runnable<'_>, input: &Value, options: Option<Value>) -> Result<String, Failure> {
    let opts = call_opts(options)?.call_options()?;
    to_json(&r.call_inner(input, &opts, &mut |_| ControlFlow::Continue(()), None)?)
}

fn call_with(
    r: Runnable<'_>,
    input: &Value,
    options: Option<Value>,
    callbacks: &Callbacks,
) -> Result<String, Failure> {
    let opts = call_opts(options)?.call_options()?;
    let mut on_poll = callbacks.on_poll();
    let run = if callbacks.has_log() {
        let mut on_log = callbacks.on_log();
        r.call_inner(input, &opts, &mut on_poll, Some(&mut on_log))?
    } else {
        r.call_inner(input, &opts, &mut on_poll, None)?
    };
    to_json(&run)
}

fn run_sync(
    r: Runnable<'_>,
    input: &Value,
    options: Option<Value>,
) -> Result<Box<apify_record>, Failure> {
    let opts = call_opts(options)?;
    let key = opts.output_record_key.as_deref();
    new_record(r.run_sync(input, &opts.start_options()?, key)?)
}

fn run_sync_items(
    r: Runnable<'_>,
    input: &Value,
    options: Option<Value>,
) -> Result<String, Failure> {
    let opts = call_opts(options)?;
    let start = opts.start_options()?;
    let items: Vec<Box<RawValue>> =
        r.run_sync_get_items(input, &start, &opts.items.items_options())?;
    Ok(join_raw(&items))
}

/// Starts an Actor run; `*out_run_json` receives the run object. `input_json` (a JSON object)
/// and `options_json` may be NULL. Options: build, memory, timeout, maxItems, maxTotalChargeUsd,
/// restartOnError, waitForFinish, webhooks, validateInput (true: check the input against the
/// input schema first, as apify_actor_validate_input; an invalid one is
/// APIFY_STATUS_INVALID_INPUT and nothing is started). Exactly once: a start whose answer was lost
/// finds its own run by the marker that ends its User-Agent (the run's `meta.userAgent`), or
/// is resent when no run carries it; APIFY_STATUS_OUTCOME_UNKNOWN when that cannot be proven.
///
/// API: `actors_runs_post`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_start(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, input_json: input, options_json: opt_json) -> out_run_json => {
        start(c.actor(actor_id).runnable(), &input_json, options_json)?
    })
}

/// Starts an Actor run and waits for it. Options: those of `apify_actor_start`, and waitSecs
/// (wait at most this long; default: until the run ends), waitStrategy ("longPoll", the
/// default; "poll", at pollIntervalSecs, default 1; "webhook": an ad-hoc webhook for the run's
/// terminal events wakes the wait, received by the client's own receiver on webhookListen,
/// default "127.0.0.1:0", at webhookPublicUrl, default the listen address, with long polling
/// after webhookFallbackSecs, default 60, without one), pollIntervalSecs (poll at this interval
/// instead of long polling), rerunsOnFailure (start a FAILED or TIMED-OUT run again up to this
/// many times; the last run is returned). OK whatever the final status (read its `status`:
/// SUCCEEDED, FAILED, TIMED-OUT, ABORTED, or a non-terminal one when waitSecs ran out).
///
/// API: `actors_runs_post`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_call(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, input_json: input, options_json: opt_json) -> out_run_json => {
        call(c.actor(actor_id).runnable(), &input_json, options_json)?
    })
}

/// Like `apify_actor_call`, with callbacks (may be NULL): `progress` after every status answer
/// (non-zero: CANCELLED, the run goes on), `log` with each run's log text as it is written.
///
/// API: `actors_runs_post`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_call_with(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    callbacks: *const apify_callbacks,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, input_json: input, options_json: opt_json, callbacks: callbacks) -> out_run_json => {
        call_with(c.actor(actor_id).runnable(), &input_json, options_json, &callbacks)?
    })
}

/// Runs an Actor synchronously (up to about 300 s) and returns its OUTPUT record (or the record
/// the option outputRecordKey names). A run that ends FAILED or TIMED-OUT: RUN_FAILED; one that
/// outlasts the API's limit: SYNC_TIMEOUT (it goes on running). A NULL `input_json` sends a GET
/// (the Actor gets no input).
///
/// API: `actor_runSync_post`, `actor_runSync_get`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_run_sync(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_output: *mut *mut apify_record,
) -> apify_status {
    ffi!((c: client, actor_id: str, input_json: input, options_json: opt_json) -> out_output => {
        run_sync(c.actor(actor_id).runnable(), &input_json, options_json)?
    })
}

/// Runs an Actor synchronously and returns its dataset items as a JSON array (the dataset-items
/// options apply). RUN_FAILED and SYNC_TIMEOUT as for `apify_actor_run_sync`; a NULL
/// `input_json` sends a GET.
///
/// API: `actor_runSyncGetDatasetItems_post`, `actor_runSyncGetDatasetItems_get`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_run_sync_get_items(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_items_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, input_json: input, options_json: opt_json) -> out_items_json => {
        run_sync_items(c.actor(actor_id).runnable(), &input_json, options_json)?
    })
}

/// Starts a task run; `*out_run_json` receives the run object. `input_json` (a JSON object)
/// and `options_json` may be NULL. Options: build, memory, timeout, maxItems, maxTotalChargeUsd,
/// restartOnError, waitForFinish, webhooks, validateInput (true: check the input, with the
/// task's input laid under it, against the input schema first; an invalid one is
/// APIFY_STATUS_INVALID_INPUT and nothing is started). For a task, `input_json` overrides the task's input key by key. Exactly once: a start whose answer was lost
/// finds its own run by the marker that ends its User-Agent (the run's `meta.userAgent`), or
/// is resent when no run carries it; APIFY_STATUS_OUTCOME_UNKNOWN when that cannot be proven.
///
/// API: `actorTask_runs_post`
#[no_mangle]
pub unsafe extern "C" fn apify_task_start(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, task_id: str, input_json: input, options_json: opt_json) -> out_run_json => {
        start(c.task(task_id).runnable(), &input_json, options_json)?
    })
}

/// Starts a task run and waits for it. Options: those of `apify_task_start`, and waitSecs
/// (wait at most this long; default: until the run ends), waitStrategy ("longPoll", the
/// default; "poll", at pollIntervalSecs, default 1; "webhook": an ad-hoc webhook for the run's
/// terminal events wakes the wait, received by the client's own receiver on webhookListen,
/// default "127.0.0.1:0", at webhookPublicUrl, default the listen address, with long polling
/// after webhookFallbackSecs, default 60, without one), pollIntervalSecs (poll at this interval
/// instead of long polling), rerunsOnFailure (start a FAILED or TIMED-OUT run again up to this
/// many times; the last run is returned). OK whatever the final status (read its `status`:
/// SUCCEEDED, FAILED, TIMED-OUT, ABORTED, or a non-terminal one when waitSecs ran out).
///
/// API: `actorTask_runs_post`
#[no_mangle]
pub unsafe extern "C" fn apify_task_call(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, task_id: str, input_json: input, options_json: opt_json) -> out_run_json => {
        call(c.task(task_id).runnable(), &input_json, options_json)?
    })
}

/// Like `apify_task_call`, with callbacks (may be NULL): `progress` after every status answer
/// (non-zero: CANCELLED, the run goes on), `log` with each run's log text as it is written.
///
/// API: `actorTask_runs_post`
#[no_mangle]
pub unsafe extern "C" fn apify_task_call_with(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    callbacks: *const apify_callbacks,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, task_id: str, input_json: input, options_json: opt_json, callbacks: callbacks) -> out_run_json => {
        call_with(c.task(task_id).runnable(), &input_json, options_json, &callbacks)?
    })
}

/// Runs a task synchronously (up to about 300 s) and returns its OUTPUT record (or the record
/// the option outputRecordKey names). A run that ends FAILED or TIMED-OUT: RUN_FAILED; one that
/// outlasts the API's limit: SYNC_TIMEOUT (it goes on running). A NULL `input_json` sends a GET
/// (the task runs with its saved input).
///
/// API: `actorTask_runSync_post`, `actorTask_runSync_get`
#[no_mangle]
pub unsafe extern "C" fn apify_task_run_sync(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_output: *mut *mut apify_record,
) -> apify_status {
    ffi!((c: client, task_id: str, input_json: input, options_json: opt_json) -> out_output => {
        run_sync(c.task(task_id).runnable(), &input_json, options_json)?
    })
}

/// Runs a task synchronously and returns its dataset items as a JSON array (the dataset-items
/// options apply). RUN_FAILED and SYNC_TIMEOUT as for `apify_task_run_sync`; a NULL
/// `input_json` sends a GET (the saved input).
///
/// API: `actorTask_runSyncGetDatasetItems_post`, `actorTask_runSyncGetDatasetItems_get`
#[no_mangle]
pub unsafe extern "C" fn apify_task_run_sync_get_items(
    c: *const apify_client,
    task_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_items_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, task_id: str, input_json: input, options_json: opt_json) -> out_items_json => {
        run_sync_items(c.task(task_id).runnable(), &input_json, options_json)?
    })
}

/// The Actor's last run (options: status, e.g. "SUCCEEDED"); NOT_FOUND when it has none.
///
/// API: `actor_runs_last_get`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_last_run(
    c: *const apify_client,
    actor_id: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, options_json: opt_json) -> out_run_json => {
        let opts: LastRunOpts = parse_object(options_json, "last run options")?;
        match c.actor(actor_id).last_run(opts.status.as_deref())? {
            Some(run) => to_json(&run)?,
            None => return Err(Failure::new(
                super::errors::APIFY_STATUS_NOT_FOUND,
                format!("the Actor {actor_id} has no run{}", opts.status.map(|s| format!(" with status {s}")).unwrap_or_default()),
            )),
        }
    })
}

/// One page of the Actor's runs: `{"items": [...], "total", "offset", "limit", "count", "desc"}`.
/// Options: offset, limit (default 100), desc, status (comma-separated for several),
/// startedAfter, startedBefore.
///
/// API: `actors_runs_get`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_list_runs(
    c: *const apify_client,
    actor_id: *const c_char,
    options_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, options_json: opt_json) -> out_page_json => {
        let o: RunsOpts = parse_object(options_json, "run list options")?;
        // The items as received (not through `Run`, which would add its absent fields as null).
        let page = c.actor(actor_id).runnable().runs_page::<serde_json::Value>(&o.runs_options())?;
        to_json(&page)?
    })
}
