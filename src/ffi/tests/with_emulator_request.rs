//! `apify_request` and `apify_request_bytes`: any operation of the API, against the emulator.

use super::helpers::*;
use super::live::*;

#[test]
fn request_reaches_any_operation() {
    let live = Live::new();
    let c = live.client;
    // The whole body, `data` envelope included; the method in any case.
    let me = request_json(c, "get", "/v2/users/me", None);
    assert!(me["data"].is_object(), "{me}");

    // Query values: strings, numbers and booleans.
    let created = request(
        c,
        "POST",
        "/v2/datasets",
        Some(r#"{"name": "req-ds"}"#),
        None,
    )
    .unwrap();
    let created: Value = serde_json::from_str(&created).unwrap();
    assert_eq!(created["data"]["name"], "req-ds");
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    request(
        c,
        "POST",
        "/v2/datasets",
        Some(r#"{"name": "req-ds-2"}"#),
        None,
    )
    .unwrap();
    let list = request(
        c,
        "GET",
        "/v2/datasets",
        Some(r#"{"limit": 1, "desc": true, "offset": 0}"#),
        None,
    )
    .unwrap();
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["data"]["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["data"]["items"][0]["name"], "req-ds-2", "{list}");

    // A body.
    let path = format!("/v2/datasets/{id}");
    let renamed = request_json(c, "PUT", &path, Some(r#"{"name": "renamed"}"#));
    assert_eq!(renamed["data"]["name"], "renamed");
    request(
        c,
        "POST",
        &format!("{path}/items"),
        None,
        Some(r#"[{"x": 1}]"#),
    )
    .unwrap();
    let items = request_json(c, "GET", &format!("{path}/items"), None);
    assert_eq!(items, json!([{"x": 1}]));

    // An empty answer is "null".
    assert_eq!(request(c, "DELETE", &path, None, None).unwrap(), "null");
    let r = request(c, "GET", &path, None, None);
    expect_not_found(r, "GET", &id);

    // Refused before sending: an unknown method, a relative path, a nested query value.
    let before = journal(c);
    let r = request(c, "BREW", "/v2/users/me", None, None);
    expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "BREW");
    let r = request(c, "GET", "v2/users/me", None, None);
    expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "v2/users/me");
    let r = request(c, "GET", "/v2/users/me", Some(r#"{"a": null}"#), None);
    expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, "'a'");
    assert_eq!(journal(c), before, "a refused request reached the server");
}

/// `apify_request_bytes` with `body` (NULL when empty) and `content_type` (NULL for none).
fn request_bytes(
    c: *const apify_client,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<(Vec<u8>, String), apify_status> {
    let (method, path) = (cs(method), cs(path));
    let (query, content_type) = (opt_cs(query), opt_cs(content_type));
    let data = if body.is_empty() {
        ptr::null()
    } else {
        body.as_ptr()
    };
    record_call(|out| unsafe {
        apify_request_bytes(
            c,
            method.as_ptr(),
            path.as_ptr(),
            opt_ptr(&query),
            data,
            body.len(),
            opt_ptr(&content_type),
            out,
        )
    })
}

#[test]
fn request_bytes_round_trips_a_record() {
    let live = Live::new();
    let c = live.client;
    let store = create_storage(c, "key-value-stores", "ffi-bytes");
    let path = format!("/v2/key-value-stores/{store}/records/greeting");

    // A text/plain record, put and read back as bytes, with its content type.
    let text = "h\u{e9}llo\nworld \u{2603}";
    let ct = "text/plain; charset=utf-8";
    request_bytes(c, "PUT", &path, None, text.as_bytes(), Some(ct)).unwrap();
    let (data, got_ct) = request_bytes(c, "GET", &path, None, b"", None).unwrap();
    assert_eq!(data, text.as_bytes());
    assert!(got_ct.starts_with("text/plain"), "{got_ct}");
    // The same record through the key-value calls.
    let (data, _) = get_record(c, &store, "greeting").unwrap();
    assert_eq!(data, text.as_bytes());

    // Bytes with NULs, and a query.
    let blob = b"\x00\x01bin\xff\x00";
    let blob_path = format!("/v2/key-value-stores/{store}/records/blob");
    let octets = "application/octet-stream";
    request_bytes(c, "PUT", &blob_path, None, blob, Some(octets)).unwrap();
    let (data, got_ct) = request_bytes(c, "GET", &blob_path, None, b"", None).unwrap();
    assert_eq!((data.as_slice(), got_ct.as_str()), (&blob[..], octets));
    let keys = request_bytes(
        c,
        "GET",
        &format!("/v2/key-value-stores/{store}/keys"),
        Some(r#"{"limit": 1}"#),
        b"",
        None,
    );
    let keys: Value = serde_json::from_slice(&keys.unwrap().0).unwrap();
    assert_eq!(
        keys["data"]["items"].as_array().map(Vec::len),
        Some(1),
        "{keys}"
    );

    // A missing record: NOT_FOUND from the 404.
    let missing = format!("/v2/key-value-stores/{store}/records/none");
    expect_not_found(
        request_bytes(c, "GET", &missing, None, b"", None),
        "GET",
        "none",
    );

    // Refused before sending: a body without a content type, NULL data with a length.
    let before = journal(c);
    let r = request_bytes(c, "PUT", &path, None, b"x", None);
    expect_failure(
        r.unwrap_err(),
        APIFY_STATUS_INVALID_ARGUMENT,
        "content_type",
    );
    let (method, p) = (cs("PUT"), cs(&path));
    let r = record_call(|out| unsafe {
        apify_request_bytes(
            c,
            method.as_ptr(),
            p.as_ptr(),
            ptr::null(),
            ptr::null(),
            3,
            c"text/plain".as_ptr(),
            out,
        )
    });
    expect_failure(r.unwrap_err(), APIFY_STATUS_NULL_ARGUMENT, "'body'");
    assert_eq!(journal(c), before, "a refused request reached the server");
}
