//! The storages themselves against the emulator: `apify_dataset_export` to a write callback,
//! get / get-or-create / delete of datasets and key-value stores, and `apify_kvs_record_exists`.

use super::helpers::*;
use super::live::*;

/// What the write callback got, through `userdata` (it never panics: a panic cannot unwind
/// through C).
#[derive(Default)]
struct Sink {
    bytes: Vec<u8>,
    calls: usize,
    largest: usize,
    /// Answer non-zero from this call on (1-based).
    stop_at: Option<usize>,
}

unsafe extern "C" fn sink_write(data: *const u8, len: usize, userdata: *mut c_void) -> c_int {
    let sink = unsafe { &mut *userdata.cast::<Sink>() };
    sink.bytes
        .extend_from_slice(unsafe { std::slice::from_raw_parts(data, len) });
    sink.calls += 1;
    sink.largest = sink.largest.max(len);
    c_int::from(sink.stop_at.is_some_and(|n| sink.calls >= n))
}

/// Exports dataset `id` in `format` into `sink`.
fn export(
    c: *const apify_client,
    id: &str,
    format: &str,
    options: Option<&str>,
    sink: &mut Sink,
) -> apify_status {
    let (id, format, options) = (cs(id), cs(format), opt_cs(options));
    unsafe {
        apify_dataset_export(
            c,
            id.as_ptr(),
            format.as_ptr(),
            opt_ptr(&options),
            Some(sink_write),
            ptr::from_mut(sink).cast(),
        )
    }
}

/// The text of an export, which must succeed.
#[track_caller]
fn export_text(c: *const apify_client, id: &str, format: &str, options: Option<&str>) -> String {
    let mut sink = Sink::default();
    expect_ok(export(c, id, format, options, &mut sink), format);
    assert!(
        sink.largest <= 64 * 1024,
        "a buffer over 64 KiB: {}",
        sink.largest
    );
    String::from_utf8(sink.bytes).expect("the export is UTF-8")
}

#[test]
fn dataset_export_streams_each_format_to_the_write_callback() {
    let live = Live::new();
    let c = live.client;
    let id = create_storage(c, "datasets", "ffi-export");
    let items: Vec<Value> = (0..25)
        .map(|i| json!({"i": i, "name": format!("item {i}")}))
        .collect();
    let (ds, items) = (cs(&id), cs(&Value::from(items).to_string()));
    expect_ok(
        unsafe { apify_dataset_push_items(c, ds.as_ptr(), items.as_ptr()) },
        "push",
    );
    // CSV: a header line and a line an item.
    let csv = export_text(c, &id, "csv", None);
    let lines: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 25, "{csv}");
    assert!(lines[0].contains('i') && lines[0].contains("name"), "{csv}");
    // JSON lines: one an item, in order; the dataset-items options apply.
    let jsonl = export_text(c, &id, "jsonl", None);
    let lines: Vec<Value> = jsonl
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 25, "{jsonl}");
    assert_eq!(lines[3], json!({"i": 3, "name": "item 3"}));
    let some = export_text(c, &id, "jsonl", Some(r#"{"offset": 20, "fields": ["i"]}"#));
    assert_eq!(some.lines().filter(|l| !l.is_empty()).count(), 5, "{some}");
    assert_eq!(some.lines().next(), Some(r#"{"i":20}"#), "{some}");
    let json: Value = serde_json::from_str(&export_text(c, &id, "json", None)).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(25));

    // An unknown format: INVALID_ARGUMENT before any request; write never called.
    let before = journal(c);
    let mut sink = Sink::default();
    let st = export(c, &id, "yaml", None, &mut sink);
    expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "'format'");
    assert_eq!((sink.calls, journal(c)), (0, before));
    // A write callback answering non-zero stops the export: CANCELLED, no further calls.
    let mut sink = Sink {
        stop_at: Some(1),
        ..Sink::default()
    };
    expect_failure(
        export(c, &id, "csv", None, &mut sink),
        APIFY_STATUS_CANCELLED,
        "",
    );
    assert_eq!(sink.calls, 1);
    // A missing dataset.
    let mut sink = Sink::default();
    let st = export(c, "noSuchDataset123", "csv", None, &mut sink);
    expect_failure(st, APIFY_STATUS_NOT_FOUND, "");
    assert_eq!(sink.calls, 0);
}

#[test]
fn a_large_export_arrives_in_buffers_of_at_most_64_kib() {
    // 300 items of over 1000 bytes: some 300 KB.
    let input = Some(r#"{"count": 300, "itemBytes": 1000}"#);
    let live = Live::new();
    let c = live.client;
    let run = run_json(apify_actor_call, c, GENERATOR, input, None);
    let id = run["defaultDatasetId"].as_str().unwrap();
    let mut sink = Sink::default();
    expect_ok(export(c, id, "jsonl", None, &mut sink), "export");
    assert!(sink.bytes.len() > 300_000, "{}", sink.bytes.len());
    assert!(
        sink.largest <= 64 * 1024,
        "a buffer over 64 KiB: {}",
        sink.largest
    );
    assert!(sink.calls >= 5, "{} calls", sink.calls);
    let lines = sink.bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    assert_eq!(lines.count(), 300);
}

type DeleteFn = unsafe extern "C" fn(*const apify_client, *const c_char) -> apify_status;

#[test]
fn storages_get_or_create_get_and_delete() {
    let live = Live::new();
    let c = live.client;
    let kinds: [(&str, IdFn, IdFn, DeleteFn); 2] = [
        (
            "dataset",
            apify_dataset_get_or_create,
            apify_dataset_get,
            apify_dataset_delete,
        ),
        (
            "key-value store",
            apify_kvs_get_or_create,
            apify_kvs_get,
            apify_kvs_delete,
        ),
    ];
    for (kind, get_or_create, get, delete) in kinds {
        // By name: created once, then found.
        let first = id_json(get_or_create, c, "ffi-shared");
        let id = first["id"].as_str().unwrap().to_owned();
        assert_eq!(first["name"], "ffi-shared", "{kind}: {first}");
        let second = id_json(get_or_create, c, "ffi-shared");
        assert_eq!(
            second["id"],
            id.as_str(),
            "{kind}: the same name gave another id"
        );
        let got = id_json(get, c, &id);
        assert_eq!(
            (&got["id"], &got["name"]),
            (&first["id"], &first["name"]),
            "{kind}"
        );
        // Without a name: a new storage each time.
        let unnamed: Vec<Value> = (0..2)
            .map(|_| serde_json::from_str(&id_text(get_or_create, c, None).unwrap()).unwrap())
            .collect();
        assert_ne!(unnamed[0]["id"], unnamed[1]["id"], "{kind}");
        assert_ne!(unnamed[0]["id"], id.as_str(), "{kind}");
        // Deleted: get and delete are NOT_FOUND; the name makes a new one.
        let s = cs(&id);
        expect_ok(unsafe { delete(c, s.as_ptr()) }, kind);
        let r = id_text(get, c, Some(&id));
        expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, &id);
        expect_failure(unsafe { delete(c, s.as_ptr()) }, APIFY_STATUS_NOT_FOUND, "");
        let third = id_json(get_or_create, c, "ffi-shared");
        assert_ne!(
            third["id"],
            id.as_str(),
            "{kind}: a deleted storage came back"
        );
    }
}

/// `apify_kvs_record_exists`: the answer, or the status (out-parameter untouched).
fn record_exists(c: *const apify_client, store: &str, key: &str) -> Result<c_int, apify_status> {
    let (store, key) = (cs(store), cs(key));
    let mut out: c_int = 7;
    let st = unsafe { apify_kvs_record_exists(c, store.as_ptr(), key.as_ptr(), &mut out) };
    if st == APIFY_STATUS_OK {
        Ok(out)
    } else {
        assert_eq!(out, 7, "out_exists written by a failing call");
        Err(st)
    }
}

#[test]
fn record_exists_answers_1_then_0() {
    let live = Live::new();
    let c = live.client;
    let store = id_json(apify_kvs_get_or_create, c, "ffi-exists");
    let store = store["id"].as_str().unwrap();
    assert_eq!(record_exists(c, store, "greeting"), Ok(0));
    expect_ok(set_record(c, store, "greeting", b"hi", "text/plain"), "set");
    assert_eq!(record_exists(c, store, "greeting"), Ok(1));
    let (s, k) = (cs(store), cs("greeting"));
    expect_ok(
        unsafe { apify_kvs_delete_record(c, s.as_ptr(), k.as_ptr()) },
        "delete",
    );
    assert_eq!(record_exists(c, store, "greeting"), Ok(0));
    // An empty record exists too.
    expect_ok(
        set_record(c, store, "empty", b"", "text/plain"),
        "set empty",
    );
    assert_eq!(record_exists(c, store, "empty"), Ok(1));
}

/// The header: "NOT_FOUND when the store does not exist" (not 0, which says the store is there).
#[test]
fn record_exists_in_a_missing_store_is_not_found() {
    let live = Live::new();
    let r = record_exists(live.client, "noSuchStore12345", "greeting");
    let st = r.expect_err("a missing store answered OK with 0 or 1");
    expect_failure(st, APIFY_STATUS_NOT_FOUND, "noSuchStore12345");
}
