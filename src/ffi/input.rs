//! Checking an input against an Actor's input schema.

use std::ffi::c_char;

use serde::Deserialize;

use super::boundary::ffi;
use super::client_handle::apify_client;
use super::errors::{apify_status, Failure};
use super::json::to_json;
use super::options::{parse_object, Keys};

/// The options of `apify_actor_validate_input`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidateOpts {
    build: Option<String>,
    remote: Option<bool>,
}

impl Keys for ValidateOpts {
    const KEYS: &'static [&'static [&'static str]] = &[&["build", "remote"]];
}

/// Checks an input against the Actor's input schema without starting anything. `input_json` (a
/// JSON object) and `options_json` may be NULL. Options: build (a tag or number; default: the
/// Actor's default build), remote (true: the server checks it, `POST
/// /v2/acts/{actorId}/validate-input`; default false: checked here, the build's schema read once
/// per client and build). The schema's `default` values fill missing fields first, as at a
/// start; an Actor without an input schema accepts any input.
///
/// A valid input: OK, and `*out_report_json` receives `{"valid": true, "errors": []}`. An
/// invalid one: APIFY_STATUS_INVALID_INPUT, and the last error JSON's `inputReport` holds
/// `{"valid": false, "errors": [{"pointer": "/count", "field": "count", "expected": ">= 0",
/// "given": "-5", "message": "must be >= 0, got -5"}, ...]}`, every problem with the JSON
/// pointer of its field (`field`: the same without the leading slash, dots for nesting,
/// `startUrls.0.url`), what the schema wants, what was given (short JSON text; "(missing)" for
/// an absent required field) and what is wrong. The start options take "validateInput": true
/// to do the same check before a start.
///
/// API: `actor_get`, `actorBuild_get`, `actors_builds_get`, `actor_build_default_get`, `actor_validateInput_post`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_validate_input(
    c: *const apify_client,
    actor_id: *const c_char,
    input_json: *const c_char,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, input_json: input, options_json: opt_json) -> out_report_json => {
        let opts: ValidateOpts = parse_object(options_json, "validation options")?;
        let actor = c.actor(actor_id);
        let build = opts.build.as_deref();
        let report = if opts.remote.unwrap_or(false) {
            actor.validate_input_remote_for_build(&input_json, build)?
        } else {
            actor.validate_input_for_build(&input_json, build)?
        };
        if !report.valid {
            return Err(Failure::from(crate::Error::InvalidInput(Box::new(report))));
        }
        to_json(&report)?
    })
}
