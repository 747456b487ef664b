//! Builds: build an Actor version and wait for the build (the CI case).

use std::ffi::c_char;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::boundary::ffi;
use super::client_handle::apify_client;
use super::errors::{apify_status, Failure};
use super::json::to_json;
use super::options::{parse_object, wait_options, Keys};
use crate::{BuildOptions, Client};

/// The options of `apify_actor_build_and_wait`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuildOpts {
    version: Option<String>,
    tag: Option<String>,
    use_cache: Option<bool>,
    beta_packages: Option<bool>,
    wait_secs: Option<f64>,
    poll_interval_secs: Option<f64>,
}

impl Keys for BuildOpts {
    const KEYS: &'static [&'static [&'static str]] = &[
        &["version", "tag", "useCache", "betaPackages"],
        &["waitSecs", "pollIntervalSecs"],
    ];
}

fn build_and_wait(c: &Client, actor_id: &str, options: Option<Value>) -> Result<String, Failure> {
    let o: BuildOpts = parse_object(options, "build options")?;
    let Some(version) = o.version else {
        return Err(Failure::invalid(
            "build options: 'version' is required (the Actor version to build, e.g. \"0.0\")",
        ));
    };
    let mut build = BuildOptions::for_version(version);
    build.tag = o.tag;
    build.use_cache = o.use_cache;
    build.beta_packages = o.beta_packages;
    let wait = wait_options(o.wait_secs, o.poll_interval_secs)?;
    // The start itself holds a while, so a short build is answered finished at once.
    let hold = wait
        .budget
        .unwrap_or(Duration::from_secs(60))
        .min(Duration::from_secs(60));
    build.wait_for_finish = Some(Duration::from_secs(hold.as_secs()));
    to_json(&c.actor(actor_id).build_and_wait(&build, &wait)?)
}

/// Builds a version of an Actor and waits for the build; `*out_build_json` receives the build
/// object. Options (a JSON object): version (required, "MAJOR.MINOR"), tag (the tag the build
/// gets when it succeeds; default the version's build tag), useCache, betaPackages, waitSecs
/// (wait at most this long; default: until the build ends), pollIntervalSecs (poll at this
/// interval instead of long polling). OK whatever the final status: read its `status`
/// (SUCCEEDED, FAILED, ABORTED, or READY/RUNNING when waitSecs ran out) and, for a failed
/// build, its log with `apify_request` on `/v2/actor-builds/{id}/log`.
///
/// API: `actors_builds_post`, `actorBuild_get`
#[no_mangle]
pub unsafe extern "C" fn apify_actor_build_and_wait(
    c: *const apify_client,
    actor_id: *const c_char,
    options_json: *const c_char,
    out_build_json: *mut *mut c_char,
) -> apify_status {
    ffi!((c: client, actor_id: str, options_json: opt_json) -> out_build_json => {
        build_and_wait(c, actor_id, options_json)?
    })
}
