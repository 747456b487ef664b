//! `apify_client`: a client of the API, shared by threads.

use std::ffi::c_char;

use super::boundary::{ffi, ffi_plain, free_box};
use super::client_handle::apify_client;
use super::errors::apify_status;
use super::options::{parse_object, ClientOpts};

/// Creates a client. `options_json` may be NULL; keys: token, baseUrl, maxRetries (default 8),
/// minDelayBetweenRetriesMillis (default 500; the delay doubles per attempt, with jitter),
/// timeoutSecs (each request, its answer's body included; default 60), connectTimeoutSecs
/// (default: the smaller of timeoutSecs and 30), userAgentSuffix, reconcileWindowSecs (how long a
/// start whose answer was lost looks for its run before it is resent; default 5), proxy (a URL;
/// default from HTTPS_PROXY/ALL_PROXY with NO_PROXY honoured; "" for none), caFile / caPem (a
/// private root CA, PEM, added to the built-in roots), maxRecordBytes (the largest record read;
/// default 9437184), maxPageBytes (the largest page of dataset items read; default 1 MiB per
/// requested item, at least 64 MiB, at most 1 GiB). token and baseUrl default to APIFY_TOKEN
/// and APIFY_API_BASE_URL; with no token, a call the API refuses with 401 says that no token was
/// given. Credentials in baseUrl (user:password@) never appear in messages. The first call
/// installs the library's log (see apify_set_log_handler).
#[no_mangle]
pub unsafe extern "C" fn apify_client_new(
    options_json: *const c_char,
    out_client: *mut *mut apify_client,
) -> apify_status {
    ffi!((options_json: opt_json) -> out_client => {
        super::log::install();
        let opts: ClientOpts = parse_object(options_json, "client options")?;
        Box::new(apify_client::new(opts.build()?))
    })
}

/// Frees a client. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn apify_client_free(client: *mut apify_client) {
    ffi_plain!(() => { free_box(client) })
}
