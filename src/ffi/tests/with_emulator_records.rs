//! Records through the accessors and iterators to their end, against the emulator.

use super::helpers::*;
use super::live::*;

#[test]
fn records_through_the_accessors() {
    let live = Live::new();
    let c = live.client;
    let store = create_storage(c, "key-value-stores", "ffi-records");

    // Binary bytes with NULs survive, with their content type.
    let bytes = b"\x00bin\xffary\x00\x01";
    expect_ok(
        set_record(c, &store, "blob", bytes, "application/octet-stream"),
        "set blob",
    );
    let (data, ct) = get_record(c, &store, "blob").unwrap();
    assert_eq!(data, bytes);
    assert_eq!(ct, "application/octet-stream");

    let text = "h\u{e9}llo \u{2603}";
    expect_ok(
        set_record(
            c,
            &store,
            "text",
            text.as_bytes(),
            "text/plain; charset=utf-8",
        ),
        "set text",
    );
    let (data, ct) = get_record(c, &store, "text").unwrap();
    assert_eq!(data, text.as_bytes());
    assert!(ct.starts_with("text/plain"), "{ct}");

    // An empty record from NULL data and length 0.
    expect_ok(
        set_record(c, &store, "empty", b"", "text/plain"),
        "set empty",
    );
    let (data, ct) = get_record(c, &store, "empty").unwrap();
    assert!(data.is_empty());
    assert!(ct.starts_with("text/plain"), "{ct}");

    // Delete, then the record is NOT_FOUND; deleting a missing record is OK.
    let (s, k) = (cs(&store), c"blob");
    expect_ok(
        unsafe { apify_kvs_delete_record(c, s.as_ptr(), k.as_ptr()) },
        "delete",
    );
    expect_failure(
        get_record(c, &store, "blob").unwrap_err(),
        APIFY_STATUS_NOT_FOUND,
        "blob",
    );
    expect_ok(
        unsafe { apify_kvs_delete_record(c, s.as_ptr(), k.as_ptr()) },
        "delete again",
    );

    // The OUTPUT record of a sync run.
    let (data, ct) = run_sync_record(
        apify_actor_run_sync,
        c,
        "apify/hello-world",
        Some(r#"{"message": "rec"}"#),
        None,
    )
    .unwrap();
    assert!(ct.starts_with("application/json"), "{ct}");
    assert_eq!(
        serde_json::from_slice::<Value>(&data).unwrap(),
        json!({"message": "rec"})
    );
    // Another record by outputRecordKey, and a non-JSON OUTPUT.
    let (data, _) = run_sync_record(
        apify_actor_run_sync,
        c,
        GENERATOR,
        Some(r#"{"count": 1, "records": 2}"#),
        Some(r#"{"outputRecordKey": "record-00001"}"#),
    )
    .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&data).unwrap(),
        json!({"index": 1})
    );
    let (data, ct) = run_sync_record(
        apify_actor_run_sync,
        c,
        GENERATOR,
        Some(r#"{"count": 0, "outputText": "plain", "outputContentType": "text/x-ffi"}"#),
        None,
    )
    .unwrap();
    assert_eq!(data, b"plain");
    assert!(ct.starts_with("text/x-ffi"), "{ct}");
}

#[test]
fn iterators_end_with_ok_and_null_repeatedly() {
    let live = Live::new();
    let c = live.client;
    let ds = create_storage(c, "datasets", "ffi-iter");

    // An empty dataset ends at once.
    assert!(drain_dataset(c, &ds, None).is_empty());

    // Items as pushed: an array and then one object; the key order of the text is kept.
    let id = cs(&ds);
    let items = r#"[{"z":1,"a":"first"},{"i":1},{"i":2},{"i":3},{"i":4}]"#;
    let items = cs(items);
    expect_ok(
        unsafe { apify_dataset_push_items(c, id.as_ptr(), items.as_ptr()) },
        "push array",
    );
    expect_ok(
        unsafe { apify_dataset_push_items(c, id.as_ptr(), c"{\"i\":5}".as_ptr()) },
        "push object",
    );
    let got = drain_dataset(c, &ds, Some(r#"{"chunkSize": 2}"#));
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[0], r#"{"z":1,"a":"first"}"#, "the item's own text");
    for (i, item) in got.iter().enumerate().skip(1) {
        assert_eq!(
            serde_json::from_str::<Value>(item).unwrap(),
            json!({"i": i})
        );
    }
    let got = drain_dataset(
        c,
        &ds,
        Some(r#"{"offset": 1, "limit": 3, "desc": true, "chunkSize": 1}"#),
    );
    assert_eq!(got, [r#"{"i":4}"#, r#"{"i":3}"#, r#"{"i":2}"#]);

    // One page.
    let page = text_call(|out| unsafe {
        apify_dataset_list_items(
            c,
            id.as_ptr(),
            c"{\"offset\": 4, \"limit\": 10}".as_ptr(),
            out,
        )
    })
    .unwrap();
    let page: Value = serde_json::from_str(&page).unwrap();
    assert_eq!(page["items"], json!([{"i": 4}, {"i": 5}]));
    assert_eq!(
        (
            page["offset"].as_u64(),
            page["count"].as_u64(),
            page["total"].as_u64()
        ),
        (Some(4), Some(2), Some(6))
    );
    assert!(page.get("limit").is_some(), "{page}");

    // Keys, over several pages.
    let store = create_storage(c, "key-value-stores", "ffi-keys");
    assert!(drain_keys(c, &store, None).is_empty());
    let keys = ["a-1", "a-2", "a-3", "b-1", "b-2"];
    for k in keys {
        expect_ok(set_record(c, &store, k, k.as_bytes(), "text/plain"), "set");
    }
    assert_eq!(drain_keys(c, &store, Some(r#"{"limit": 2}"#)), keys);
    assert_eq!(
        drain_keys(c, &store, Some(r#"{"prefix": "b-"}"#)),
        ["b-1", "b-2"]
    );
    assert_eq!(
        drain_keys(
            c,
            &store,
            Some(r#"{"exclusiveStartKey": "a-3", "limit": 1}"#)
        ),
        ["b-1", "b-2"]
    );
    let s = cs(&store);
    let page = text_call(|out| unsafe {
        apify_kvs_list_keys(c, s.as_ptr(), c"{\"limit\": 2}".as_ptr(), out)
    })
    .unwrap();
    let page: Value = serde_json::from_str(&page).unwrap();
    let items = page["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(names, ["a-1", "a-2"]);
    assert_eq!(page["isTruncated"], true, "{page}");
    assert_eq!(page["nextExclusiveStartKey"], "a-2", "{page}");
}
