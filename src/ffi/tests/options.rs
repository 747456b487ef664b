//! Option objects and other arguments refused before any request: ranges, wrong types named,
//! iterator sizes, empty ids, NULL data with a length.

use super::helpers::*;

#[test]
fn client_options_are_checked() {
    let bad = [
        (r#"{"timeoutSecs": -1}"#, "timeoutSecs"),
        (r#"{"timeoutSecs": 0}"#, "timeoutSecs"),
        (r#"{"baseUrl": "ftp://127.0.0.1"}"#, "ftp://127.0.0.1"),
    ];
    for (options, needle) in bad {
        let options = cs(options);
        let mut out = sentinel();
        let st = unsafe { apify_client_new(options.as_ptr(), &mut out) };
        if let Err(e) = check_failure(st, APIFY_STATUS_INVALID_ARGUMENT, needle) {
            panic!("options {options:?}: {e}");
        }
        assert_eq!(out, sentinel(), "options {options:?}: out_client written");
    }
    // Every documented key is accepted.
    let c = new_client(
        r#"{"token": "t", "baseUrl": "http://127.0.0.1:9", "maxRetries": 0,
            "minDelayBetweenRetriesMillis": 10, "timeoutSecs": 1.5, "userAgentSuffix": "tests/1"}"#,
    );
    unsafe { apify_client_free(c) };
    // An explicit null is the same as no options.
    let c = new_client("null");
    unsafe { apify_client_free(c) };
}

/// `src/ffi/options.rs`: "Unknown keys and wrong types are refused with a message that names
/// them". A wrong type is refused (INVALID_ARGUMENT, nothing written); the message must name the
/// option, or the caller cannot tell which of several options is wrong.
#[test]
fn a_wrong_option_type_is_refused_naming_the_option() {
    let fx = Offline::new();
    let mut problems = Vec::new();
    let mut check = |call: &str, st: apify_status, written: bool, option: &str| {
        if written {
            problems.push(format!("{call}: out-parameter written"));
        }
        if let Err(e) = check_failure(st, APIFY_STATUS_INVALID_ARGUMENT, &format!("'{option}'")) {
            problems.push(format!("{call}: {e}"));
        }
    };
    for (options, option) in [
        (c"{\"maxRetries\": \"ten\"}", "maxRetries"),
        (c"{\"token\": 5}", "token"),
    ] {
        let mut out = sentinel();
        let st = unsafe { apify_client_new(options.as_ptr(), &mut out) };
        check(
            &format!("apify_client_new({options:?})"),
            st,
            out != sentinel(),
            option,
        );
    }
    for (options, option) in [
        (c"{\"limit\": \"ten\"}", "limit"),
        (c"{\"desc\": 1}", "desc"),
        (c"{\"fields\": 3}", "fields"),
    ] {
        let mut out = sentinel();
        let st = unsafe {
            apify_dataset_iter_new(fx.client, c"datasetId".as_ptr(), options.as_ptr(), &mut out)
        };
        check(
            &format!("apify_dataset_iter_new({options:?})"),
            st,
            out != sentinel(),
            option,
        );
    }
    for (options, option) in [
        (c"{\"memory\": \"1GB\"}", "memory"),
        (c"{\"waitSecs\": true}", "waitSecs"),
    ] {
        let mut out = sentinel();
        let st = unsafe {
            apify_actor_start(
                fx.client,
                c"a~b".as_ptr(),
                ptr::null(),
                options.as_ptr(),
                &mut out,
            )
        };
        check(
            &format!("apify_actor_start({options:?})"),
            st,
            out != sentinel(),
            option,
        );
    }
    let (mut out, store, options) = (sentinel(), c"storeId".as_ptr(), c"{\"prefix\": 1}");
    let st = unsafe { apify_kvs_list_keys(fx.client, store, options.as_ptr(), &mut out) };
    check(
        "apify_kvs_list_keys({\"prefix\": 1})",
        st,
        out != sentinel(),
        "prefix",
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn set_record_refuses_null_data_with_a_length() {
    let fx = Offline::new();
    // NULL data with a length: refused before any request.
    let (store, key, text) = (c"storeId".as_ptr(), c"key".as_ptr(), c"text/plain".as_ptr());
    let st = unsafe { apify_kvs_set_record(fx.client, store, key, ptr::null(), 1, text) };
    expect_failure(st, APIFY_STATUS_NULL_ARGUMENT, "'data'");
}

#[test]
fn iterator_options_are_checked() {
    let fx = Offline::new();
    let mut it = sentinel();
    let st = unsafe {
        apify_dataset_iter_new(
            fx.client,
            c"datasetId".as_ptr(),
            c"{\"chunkSize\": 0}".as_ptr(),
            &mut it,
        )
    };
    expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "chunkSize");
    assert_eq!(it, sentinel());
    for options in [c"{\"limit\": 0}", c"{\"limit\": 1001}"] {
        let mut it = sentinel();
        let st = unsafe {
            apify_key_iter_new(fx.client, c"storeId".as_ptr(), options.as_ptr(), &mut it)
        };
        expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "limit");
        assert_eq!(it, sentinel());
    }
    // An empty id is refused before any request.
    for id in [c"", c"  "] {
        let mut it = sentinel();
        let st = unsafe { apify_dataset_iter_new(fx.client, id.as_ptr(), ptr::null(), &mut it) };
        expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "must not be empty");
        assert_eq!(it, sentinel());
        let mut it = sentinel();
        let st = unsafe { apify_key_iter_new(fx.client, id.as_ptr(), ptr::null(), &mut it) };
        expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "must not be empty");
        assert_eq!(it, sentinel());
    }
}

/// Numeric options out of range (a duration of 1e300 seconds is a mistake, not a setting) and the
/// new call options with a wrong type: INVALID_ARGUMENT naming the option, nothing written, and
/// (with the offline client) no request.
#[test]
fn numeric_options_out_of_range_are_refused_naming_the_option() {
    let mut problems = Vec::new();
    for (options, option) in [
        (r#"{"timeoutSecs": 1e300}"#, "timeoutSecs"),
        (r#"{"connectTimeoutSecs": 1e300}"#, "connectTimeoutSecs"),
        (r#"{"connectTimeoutSecs": 0}"#, "connectTimeoutSecs"),
        (r#"{"reconcileWindowSecs": -1}"#, "reconcileWindowSecs"),
        (r#"{"proxy": 3}"#, "'proxy'"),
        (r#"{"caPem": false}"#, "'caPem'"),
    ] {
        let text = cs(options);
        let mut out = sentinel();
        let st = unsafe { apify_client_new(text.as_ptr(), &mut out) };
        if let Err(e) = check_failure(st, APIFY_STATUS_INVALID_ARGUMENT, option) {
            problems.push(format!("apify_client_new({options}): {e}"));
        }
        if out != sentinel() {
            problems.push(format!("apify_client_new({options}): out_client written"));
        }
    }
    let fx = Offline::new();
    let c = fx.client;
    let callbacks = apify_callbacks {
        version: APIFY_CALLBACKS_VERSION,
        userdata: ptr::null_mut(),
        progress: None,
        log: None,
    };
    // The options are the only bad argument; the callbacks are valid (no callback set).
    type CallFn = fn(
        *const apify_client,
        *const c_char,
        *const apify_callbacks,
        *mut *mut c_char,
    ) -> apify_status;
    let calls: [(&str, CallFn); 4] = [
        ("apify_actor_call", |c, o, _, out| unsafe {
            apify_actor_call(c, c"a~b".as_ptr(), ptr::null(), o, out)
        }),
        ("apify_task_call", |c, o, _, out| unsafe {
            apify_task_call(c, c"u~t".as_ptr(), ptr::null(), o, out)
        }),
        ("apify_actor_call_with", |c, o, cb, out| unsafe {
            apify_actor_call_with(c, c"a~b".as_ptr(), ptr::null(), o, cb, out)
        }),
        ("apify_task_call_with", |c, o, cb, out| unsafe {
            apify_task_call_with(c, c"u~t".as_ptr(), ptr::null(), o, cb, out)
        }),
    ];
    for (options, option) in [
        (r#"{"waitSecs": "x"}"#, "'waitSecs'"),
        (r#"{"waitSecs": 1e300}"#, "waitSecs"),
        (r#"{"pollIntervalSecs": 0}"#, "pollIntervalSecs"),
        (r#"{"pollIntervalSecs": 1e300}"#, "pollIntervalSecs"),
        (r#"{"pollIntervalSecs": "1s"}"#, "'pollIntervalSecs'"),
        (r#"{"rerunsOnFailure": -1}"#, "'rerunsOnFailure'"),
        (r#"{"rerunsOnFailure": "twice"}"#, "'rerunsOnFailure'"),
    ] {
        let text = cs(options);
        for (name, call) in calls {
            let st = text_call(|out| call(c, text.as_ptr(), &callbacks, out))
                .map_or_else(|st| st, |run| panic!("{name}({options}) ran: {run}"));
            if let Err(e) = check_failure(st, APIFY_STATUS_INVALID_ARGUMENT, option) {
                problems.push(format!("{name}({options}): {e}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
