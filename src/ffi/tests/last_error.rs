//! The thread's last error: set by a failure, kept while read, cleared by a success, per thread,
//! and its JSON for a failure that never reached a server.

use super::helpers::*;

/// A failure that needs no server: a JSON array as client options.
fn fail_locally() -> apify_status {
    let mut out = sentinel();
    let st = unsafe { apify_client_new(c"[]".as_ptr(), &mut out) };
    assert_eq!(out, sentinel(), "out_client written on failure");
    st
}

#[test]
fn last_error_is_cleared_by_a_success() {
    assert_eq!(fail_locally(), APIFY_STATUS_INVALID_ARGUMENT);
    // Reading the last error does not clear it.
    assert!(last_message().is_some());
    assert!(last_message().is_some());
    assert!(last_json().is_some());
    let client = new_client(r#"{"baseUrl": "http://127.0.0.1:9", "token": "t"}"#);
    // expect_ok (inside new_client) checked that both are NULL now.
    assert!(apify_last_error_message().is_null());
    assert!(apify_last_error_json().is_null());
    unsafe { apify_client_free(client) };
}

#[test]
fn last_error_is_per_thread() {
    assert_eq!(fail_locally(), APIFY_STATUS_INVALID_ARGUMENT);
    std::thread::spawn(|| {
        assert_eq!(last_message(), None, "another thread's failure is visible");
        assert_eq!(last_json(), None);
        let st = unsafe { apify_client_new(ptr::null(), ptr::null_mut()) };
        expect_failure(st, APIFY_STATUS_NULL_ARGUMENT, "'out_client'");
        // And fail again so the main thread can check it does not see this one.
        let st = unsafe { apify_client_new(ptr::null(), ptr::null_mut()) };
        assert_eq!(st, APIFY_STATUS_NULL_ARGUMENT);
    })
    .join()
    .unwrap();
    // This thread still has its own failure, not the other thread's.
    expect_failure(
        APIFY_STATUS_INVALID_ARGUMENT,
        APIFY_STATUS_INVALID_ARGUMENT,
        "must be a JSON object",
    );
    // A success on another thread does not clear this thread's error either.
    assert_eq!(fail_locally(), APIFY_STATUS_INVALID_ARGUMENT);
    std::thread::spawn(|| {
        let c = new_client(r#"{"baseUrl": "http://127.0.0.1:9", "token": "t"}"#);
        unsafe { apify_client_free(c) };
    })
    .join()
    .unwrap();
    assert!(
        last_message().is_some(),
        "a success on another thread cleared this thread's error"
    );
}

#[test]
fn last_error_json_of_a_local_failure() {
    let mut out = sentinel();
    let st = unsafe { apify_client_new(c"{\"bad\": ".as_ptr(), &mut out) };
    let json = expect_failure(st, APIFY_STATUS_INVALID_JSON, "'options_json'");
    assert_eq!(out, sentinel());
    assert_eq!(json["statusName"], "INVALID_JSON");
    for key in ["httpStatus", "type", "method", "path", "attempt"] {
        assert!(
            json[key].is_null(),
            "{key} should be null for a local failure: {json}"
        );
    }
}
