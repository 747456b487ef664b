//! The static strings (`apify_version`, `apify_status_name`) and the functions that take NULL
//! and answer nothing or an empty value (`_free`, the record accessors).

use super::helpers::*;

#[test]
fn version_is_the_crate_version() {
    let v = unsafe { CStr::from_ptr(apify_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    // Static: the same pointer every time.
    assert_eq!(apify_version(), apify_version());
}

#[test]
fn status_names_cover_every_status() {
    let all = [
        (APIFY_STATUS_OK, "OK", 0),
        (APIFY_STATUS_NULL_ARGUMENT, "NULL_ARGUMENT", 1),
        (APIFY_STATUS_INVALID_UTF8, "INVALID_UTF8", 2),
        (APIFY_STATUS_INVALID_JSON, "INVALID_JSON", 3),
        (APIFY_STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT", 4),
        (APIFY_STATUS_API_ERROR, "API_ERROR", 10),
        (APIFY_STATUS_NOT_FOUND, "NOT_FOUND", 11),
        (APIFY_STATUS_UNAUTHORIZED, "UNAUTHORIZED", 12),
        (APIFY_STATUS_RATE_LIMITED, "RATE_LIMITED", 13),
        (APIFY_STATUS_RUN_FAILED, "RUN_FAILED", 14),
        (APIFY_STATUS_SYNC_TIMEOUT, "SYNC_TIMEOUT", 15),
        (APIFY_STATUS_OUTCOME_UNKNOWN, "OUTCOME_UNKNOWN", 16),
        (APIFY_STATUS_TRANSPORT, "TRANSPORT", 20),
        (APIFY_STATUS_TIMEOUT, "TIMEOUT", 21),
        (APIFY_STATUS_CANCELLED, "CANCELLED", 22),
        (APIFY_STATUS_RESPONSE_TOO_LARGE, "RESPONSE_TOO_LARGE", 23),
        (APIFY_STATUS_REDIRECT_REFUSED, "REDIRECT_REFUSED", 24),
        (APIFY_STATUS_INVALID_INPUT, "INVALID_INPUT", 25),
        (APIFY_STATUS_INTERNAL, "INTERNAL", 90),
        (APIFY_STATUS_PANIC, "PANIC", 99),
    ];
    for (status, name, number) in all {
        assert_eq!(status, number, "APIFY_STATUS_{name} changed its number");
        assert_eq!(status_name(status), name);
    }
    let known: BTreeSet<i32> = all.iter().map(|a| a.0).collect();
    for status in (-5..=120).chain([i32::MIN, i32::MAX]) {
        if !known.contains(&status) {
            assert_eq!(status_name(status), "UNKNOWN", "status {status}");
        }
    }
}

#[test]
fn free_of_null_is_a_noop_and_accessors_of_null_are_empty() {
    unsafe {
        apify_string_free(ptr::null_mut());
        apify_client_free(ptr::null_mut());
        apify_dataset_iter_free(ptr::null_mut());
        apify_key_iter_free(ptr::null_mut());
        apify_record_free(ptr::null_mut());
        assert!(apify_record_data(ptr::null()).is_null());
        assert_eq!(apify_record_len(ptr::null()), 0);
        assert!(apify_record_content_type(ptr::null()).is_null());
    }
}
