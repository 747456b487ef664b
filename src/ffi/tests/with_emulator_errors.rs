//! HTTP failures through the C ABI, against the emulator: each maps to its status with the
//! request's method, path and HTTP status in the last error, and a failed iterator keeps
//! answering its failure.

use super::helpers::*;
use super::live::*;

#[test]
fn not_found_maps_from_404() {
    let live = Live::new();
    let c = live.client;
    let missing = "noSuchThing123456";
    let id = cs(missing);
    let id = id.as_ptr();

    let r = text_call(|out| unsafe { apify_dataset_list_items(c, id, ptr::null(), out) });
    expect_not_found(r, "GET", missing);
    let r = request(c, "GET", &format!("/v2/datasets/{missing}"), None, None);
    expect_not_found(r, "GET", missing);
    let r = text_call(|out| unsafe { apify_run_wait(c, id, 0, out) });
    expect_not_found(r, "GET", missing);
    let r = text_call(|out| unsafe { apify_run_abort(c, id, 0, out) });
    expect_not_found(r, "POST", missing);
    let r = text_call(|out| unsafe { apify_kvs_list_keys(c, id, ptr::null(), out) });
    expect_not_found(r, "GET", missing);
    let r = run_text(apify_actor_start, c, "nobody/no-such-actor", None, None);
    expect_not_found(r, "POST", "no-such-actor");
    let r = run_text(apify_task_call, c, "nobody~no-such-task", None, None);
    expect_not_found(r, "POST", "no-such-task");
    let r = text_call(|out| unsafe { apify_run_get_log(c, id, out) });
    expect_not_found(r, "GET", missing);
    let r = text_call(|out| unsafe { apify_run_resurrect(c, id, out) });
    expect_not_found(r, "POST", missing);

    // `get`-style calls answer NOT_FOUND with a message naming what is missing.
    let r = text_call(|out| unsafe { apify_run_get(c, id, out) });
    expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, missing);
    let r = get_record(c, missing, "OUTPUT");
    expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, "OUTPUT");
    let r = text_call(|out| unsafe { apify_dataset_get(c, id, out) });
    expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, missing);
    let r = text_call(|out| unsafe { apify_kvs_get(c, id, out) });
    expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, missing);

    // The iterator is lazy: the first next fails, leaving its out-parameter alone.
    let mut it = ptr::null_mut();
    expect_ok(
        unsafe { apify_dataset_iter_new(c, id, ptr::null(), &mut it) },
        "apify_dataset_iter_new",
    );
    let r = text_call(|out| unsafe { apify_dataset_iter_next(it, out) });
    expect_not_found(r, "GET", missing);
    unsafe { apify_dataset_iter_free(it) };
}

#[test]
fn wrong_or_missing_token_is_unauthorized() {
    let live = Live::new();
    let tokens = [
        ("wrong-token-SECRET", "invalid-token"),
        ("", "token-not-provided"),
    ];
    for (token, kind) in tokens {
        let c = client_of(&live.emu, token, 0);
        let r = request(c, "GET", "/v2/users/me", None, None);
        let json = expect_http_failure(
            r,
            APIFY_STATUS_UNAUTHORIZED,
            401,
            kind,
            "GET",
            "/v2/users/me",
        );
        assert!(
            !json.to_string().contains("SECRET"),
            "the token leaked: {json}"
        );
        let r = run_text(
            apify_actor_run_sync_get_items,
            c,
            "apify/hello-world",
            None,
            None,
        );
        expect_http_failure(
            r,
            APIFY_STATUS_UNAUTHORIZED,
            401,
            kind,
            // No input: the GET form of the synchronous run.
            "GET",
            "hello-world",
        );
        let r = get_record(c, "someStore", "OUTPUT");
        expect_http_failure(r, APIFY_STATUS_UNAUTHORIZED, 401, kind, "GET", "someStore");
        unsafe { apify_client_free(c) };
    }
}

#[test]
fn other_http_failures_map_to_their_statuses() {
    let live = Live::new();
    let c = live.client;
    // 400 from the API: API_ERROR with the API's type.
    let ten = Some(r#"{"count": "ten"}"#);
    let r = run_text(apify_actor_start, c, GENERATOR, ten, None);
    expect_http_failure(
        r,
        APIFY_STATUS_API_ERROR,
        400,
        "invalid-input",
        "POST",
        "generator",
    );
    // A run that fails, through run-sync: RUN_FAILED.
    let failed = Some(r#"{"outcome": "FAILED", "count": 1}"#);
    let r = run_text(apify_actor_run_sync_get_items, c, GENERATOR, failed, None);
    expect_failure(r.unwrap_err(), APIFY_STATUS_RUN_FAILED, "");
    let r = run_sync_record(apify_actor_run_sync, c, GENERATOR, failed, None);
    expect_failure(r.unwrap_err(), APIFY_STATUS_RUN_FAILED, "");

    // 429 after every retry: RATE_LIMITED.
    let limited = Live::with(EmulatorConfig {
        rate_limit: Some(1),
        ..EmulatorConfig::default()
    });
    let c = client_of(&limited.emu, limited.emu.token(), 0);
    let mut seen = None;
    for _ in 0..10 {
        if let Err(st) = request(c, "GET", "/v2/users/me", None, None) {
            seen = Some(st);
            break;
        }
    }
    let st = seen.expect("the rate limit was never hit");
    let json = expect_failure(st, APIFY_STATUS_RATE_LIMITED, "");
    assert_eq!(json["httpStatus"], 429, "{json}");
    unsafe { apify_client_free(c) };

    // run-sync over the server's limit (408): SYNC_TIMEOUT.
    let slow = Live::with(EmulatorConfig {
        sync_timeout: Duration::from_millis(300),
        ..EmulatorConfig::default()
    });
    let input = Some(r#"{"count": 1, "durationSecs": 5}"#);
    let r = run_text(
        apify_actor_run_sync_get_items,
        slow.client,
        GENERATOR,
        input,
        None,
    );
    let json = expect_failure(r.unwrap_err(), APIFY_STATUS_SYNC_TIMEOUT, "");
    assert_eq!(json["httpStatus"], 408, "{json}");
    let r = run_sync_record(apify_actor_run_sync, slow.client, GENERATOR, input, None);
    expect_failure(r.unwrap_err(), APIFY_STATUS_SYNC_TIMEOUT, "");
}

/// A new iterator of `fns` over a missing storage: lazy (its `_new` is OK), then every `_next`
/// answers the 404, leaving its out-parameter alone.
fn check_failed_iterator<I>((new, next, free): IterFns<I>, c: *const apify_client) {
    let mut it = ptr::null_mut();
    let st = unsafe { new(c, c"NoSuchDataset1234".as_ptr(), ptr::null(), &mut it) };
    expect_ok(st, "_new is lazy");
    for round in 0..3 {
        let mut out: *mut c_char = sentinel();
        let st = unsafe { next(it, &mut out) };
        assert_eq!(st, APIFY_STATUS_NOT_FOUND, "round {round}");
        assert_eq!(out, sentinel(), "round {round}: out-parameter written");
        let json = last_json().unwrap();
        assert_eq!(json["httpStatus"], 404, "round {round}: {json}");
        assert_eq!(json["type"], "record-not-found", "round {round}: {json}");
    }
    unsafe { free(it) };
}

#[test]
fn a_failed_iterator_keeps_answering_its_failure() {
    let live = Live::new();
    check_failed_iterator(DATASET_ITER, live.client);
    // The same for keys.
    check_failed_iterator(KEY_ITER, live.client);
}
