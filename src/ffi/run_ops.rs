//! Run operations for C: metamorph, reboot, charge, the status message, and the user's run
//! list.

use std::ffi::{c_char, c_int};

use super::boundary::ffi;
use super::client_handle::apify_client;
use super::errors::apify_status;
use super::json::to_json;
use super::options::{parse_object, ChargeOpts, MetamorphOpts, RunsOpts};

/// Turns a RUNNING run into a run of `target_actor_id` (id or `username/name`) with
/// `input_json` (a JSON object; NULL for none), stored as `INPUT-METAMORPH-n`; the run keeps its
/// id and storages. Options (may be NULL): build. Writes the run object; wait for it with
/// `apify_run_wait`, its output is then the target's.
///
/// API: `actorRun_metamorph_post`
#[no_mangle]
pub unsafe extern "C" fn apify_run_metamorph(
    c: *const apify_client,
    run_id: *const c_char,
    target_actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str, target_actor_id: str, input_json: input, options_json: opt_json) -> out_run_json => {
        let o: MetamorphOpts = parse_object(options_json, "metamorph options")?;
        to_json(&c.run(run_id).metamorph(target_actor_id, &input_json, &o.metamorph_options())?)?
    })
}

/// Restarts a RUNNING run's program (same storages); writes the run object.
///
/// API: `actorRun_reboot_post`
#[no_mangle]
pub unsafe extern "C" fn apify_run_reboot(
    c: *const apify_client,
    run_id: *const c_char,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str) -> out_run_json => { to_json(&c.run(run_id).reboot()?)? })
}

/// Charges events of a pay-per-event Actor's run. Options (required): eventName, count
/// (default 1), idempotencyKey (default: a new one for this call, so the library's own
/// retries never charge twice; give one to repeat a charge safely later). A charge over the
/// run's maxTotalChargeUsd fails with API_ERROR (type `limit-reached`).
///
/// API: `PostChargeRun`
#[no_mangle]
pub unsafe extern "C" fn apify_run_charge(
    c: *const apify_client,
    run_id: *const c_char,
    options_json: *const c_char,
) -> apify_status {
    ffi!((c: client, run_id: str, options_json: json) => {
        let o: ChargeOpts = parse_object(Some(options_json), "charge options")?;
        c.run(run_id).charge(&o.charge_options()?)?
    })
}

/// Sets a run's status message (`is_terminal` non-zero: it is the last one); writes the run
/// object.
///
/// API: `actorRun_put`
#[no_mangle]
pub unsafe extern "C" fn apify_run_set_status_message(
    c: *const apify_client,
    run_id: *const c_char,
    message: *const c_char,
    is_terminal: c_int,
    out_run_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, run_id: str, message: str, is_terminal: int) -> out_run_json => {
        to_json(&c.run(run_id).set_status_message(message, is_terminal != 0)?)?
    })
}

/// One page of all the user's runs: `{"items": [...], "total", "offset", "limit", "count",
/// "desc"}`. Options (may be NULL): offset, limit (default 100, at most 1000), desc, status
/// (comma-separated for several), startedAfter, startedBefore (ISO 8601 UTC, inclusive).
///
/// API: `actorRuns_get`
#[no_mangle]
pub unsafe extern "C" fn apify_runs_list(
    c: *const apify_client,
    options_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, options_json: opt_json) -> out_page_json => {
        let o: RunsOpts = parse_object(options_json, "run list options")?;
        // The items as received (not through `Run`, which would add its absent fields as null).
        to_json(&c.runs_page::<serde_json::Value>(&o.runs_options())?)?
    })
}
