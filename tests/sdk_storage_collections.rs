//! The dataset and key-value store collections and storage-level operations through the Rust
//! SDK against the in-process emulator: listing with paging, get-or-create, update, statistics,
//! items HEAD, the records ZIP and record POST, and a run's default storages.
#![cfg(feature = "emulator")]
#![allow(clippy::result_large_err)]

use apify::{
    ItemsOptions, RecordsZipOptions, RunStatus, StartOptions, StorageListOptions, StorageUpdate,
    WaitOptions,
};
use serde_json::json;

#[path = "common/sdk.rs"]
mod sdk;
use sdk::setup;

/// The file names in a ZIP archive, read from its local file headers in order (stored or
/// deflated entries with their sizes in the header; a data descriptor is refused).
fn zip_names(zip: &[u8]) -> Vec<String> {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(zip[i..i + 4].try_into().unwrap()) as usize;
    let mut names = Vec::new();
    let mut at = 0;
    while at + 30 <= zip.len() && u32_at(at) == 0x0403_4b50 {
        assert_eq!(u16_at(at + 6) & 0x8, 0, "a data descriptor at {at}");
        let (size, name_len, extra) = (u32_at(at + 18), u16_at(at + 26), u16_at(at + 28));
        let name = &zip[at + 30..at + 30 + name_len];
        names.push(String::from_utf8(name.to_vec()).unwrap());
        at += 30 + name_len + extra + size;
    }
    assert_eq!(u32_at(at), 0x0201_4b50, "the central directory follows");
    names
}

#[test]
fn datasets_list_named_and_unnamed_with_paging_and_get_or_create() {
    let (_emu, client) = setup();
    let datasets = client.datasets();
    let base_named = datasets.list(&StorageListOptions::default()).unwrap().total;
    let base_all = datasets
        .list(&StorageListOptions::default().unnamed(true))
        .unwrap()
        .total;

    let names = ["ds-a", "ds-b", "ds-c"];
    let made: Vec<_> = names
        .iter()
        .map(|n| datasets.get_or_create(Some(n)).unwrap())
        .collect();
    let unnamed = datasets.get_or_create(None).unwrap();
    assert!(unnamed.name.is_none());
    assert_eq!(made[1].name.as_deref(), Some("ds-b"));
    // By name again: the same dataset.
    assert_eq!(datasets.get_or_create(Some("ds-b")).unwrap().id, made[1].id);

    let named = datasets.list(&StorageListOptions::default()).unwrap();
    assert_eq!(named.total, base_named + 3);
    assert!(named.items.iter().all(|d| d.name.is_some()));
    let all = datasets
        .list(&StorageListOptions::default().unnamed(true))
        .unwrap();
    assert_eq!(all.total, base_all + 4);
    assert!(all.items.iter().any(|d| d.id == unnamed.id));

    // Two at a time, newest first: every named dataset once, ours in reverse creation order.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = datasets
            .list(
                &StorageListOptions::default()
                    .offset(offset)
                    .limit(2)
                    .desc(true),
            )
            .unwrap();
        assert!(page.items.len() <= 2);
        assert!(page.desc);
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u64;
        seen.extend(page.items.into_iter().map(|d| d.id));
    }
    assert_eq!(seen.len() as u64, base_named + 3);
    let ours: Vec<_> = seen
        .iter()
        .filter(|id| made.iter().any(|m| &m.id == *id))
        .cloned()
        .collect();
    let expected: Vec<_> = made.iter().rev().map(|m| m.id.clone()).collect();
    assert_eq!(ours, expected);

    // A bad limit is refused before any request, naming it.
    let e = datasets
        .list(&StorageListOptions::default().limit(0))
        .unwrap_err();
    assert!(e.to_string().contains("limit must be 1 to 1000"), "{e}");
    let e = datasets.get_or_create(Some(" ")).unwrap_err();
    assert!(e.to_string().contains("dataset name"), "{e}");
}

#[test]
fn stores_list_with_paging_and_get_or_create() {
    let (_emu, client) = setup();
    let stores = client.key_value_stores();
    let base = stores.list(&StorageListOptions::default()).unwrap().total;
    let a = stores.get_or_create(Some("kv-a")).unwrap();
    let b = stores.get_or_create(Some("kv-b")).unwrap();
    let c = stores.get_or_create(None).unwrap();
    assert_eq!(stores.get_or_create(Some("kv-a")).unwrap().id, a.id);

    let named = stores.list(&StorageListOptions::default()).unwrap();
    assert_eq!(named.total, base + 2);
    assert!(!named.items.iter().any(|s| s.id == c.id));
    let page = stores
        .list(
            &StorageListOptions::default()
                .unnamed(true)
                .offset(base)
                .limit(2),
        )
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [a.id.as_str(), b.id.as_str()]);
    assert_eq!((page.offset, page.limit), (base, 2));
    let rest = stores
        .list(&StorageListOptions::default().unnamed(true).offset(base + 2))
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].id, c.id);
}

#[test]
fn update_a_name_then_get_by_the_new_name() {
    let (_emu, client) = setup();
    let ds = client.datasets().get_or_create(Some("before")).unwrap();
    let updated = client
        .dataset(&ds.id)
        .update(
            &StorageUpdate::default()
                .name("after")
                .general_access("ANYONE_WITH_ID_CAN_READ"),
        )
        .unwrap();
    assert_eq!(updated.id, ds.id);
    assert_eq!(updated.name.as_deref(), Some("after"));
    assert_eq!(
        updated.general_access.as_deref(),
        Some("ANYONE_WITH_ID_CAN_READ")
    );
    assert!(
        updated.extra.contains_key("consoleUrl"),
        "unknown fields are kept"
    );
    let by_name = client.dataset("after").get().unwrap().unwrap();
    assert_eq!(by_name["id"], ds.id.as_str());
    assert!(client.dataset("before").get().unwrap().is_none());

    let kv = client
        .key_value_stores()
        .get_or_create(Some("kv-before"))
        .unwrap();
    let kv2 = client
        .key_value_store("kv-before")
        .update(&StorageUpdate::default().name("kv-after").title("Store"))
        .unwrap();
    assert_eq!(
        (kv2.id.as_str(), kv2.name.as_deref()),
        (kv.id.as_str(), Some("kv-after"))
    );
    assert_eq!(
        client.key_value_store("kv-after").get().unwrap().unwrap()["id"],
        kv.id.as_str()
    );

    // Errors name what was wrong: a taken name, a bad access value, a missing storage, nothing
    // to change.
    client.datasets().get_or_create(Some("taken")).unwrap();
    let e = client
        .dataset(&ds.id)
        .update(&StorageUpdate::default().name("taken"))
        .unwrap_err();
    assert_eq!(e.http_status(), Some(400));
    assert!(e.to_string().contains("taken"), "{e}");
    let e = client
        .key_value_store(&kv.id)
        .update(&StorageUpdate::default().general_access("EVERYONE"))
        .unwrap_err();
    assert!(e.to_string().contains("generalAccess"), "{e}");
    let e = client
        .dataset("no-such-dataset")
        .update(&StorageUpdate::default().name("x"))
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let e = client
        .dataset(&ds.id)
        .update(&StorageUpdate::default())
        .unwrap_err();
    assert!(
        e.to_string().contains("dataset update changes nothing"),
        "{e}"
    );
}

#[test]
fn statistics_and_item_counts_from_head() {
    let (_emu, client) = setup();
    let ds = client.datasets().get_or_create(Some("stats")).unwrap();
    let dataset = client.dataset(&ds.id);
    assert_eq!(dataset.item_count().unwrap(), 0);
    let items: Vec<_> = (0..7).map(|i| json!({"i": i})).collect();
    dataset.push_items(&items).unwrap();
    assert_eq!(dataset.item_count().unwrap(), 7);
    let head = dataset
        .items_head(&ItemsOptions::default().offset(2).limit(3))
        .unwrap();
    assert_eq!(
        (head.offset, head.limit, head.count, head.total),
        (2, 3, 3, 7)
    );
    // Emulated datasets have no fields schema: no field statistics.
    let stats = dataset.statistics().unwrap();
    assert!(stats.field_statistics.is_none());

    let missing = client.dataset("no-such-dataset");
    assert!(missing.statistics().unwrap_err().is_not_found());
    assert!(missing.item_count().unwrap_err().is_not_found());
}

#[test]
fn records_zip_has_the_records_and_record_post_stores_one() {
    let (_emu, client) = setup();
    let kv = client
        .key_value_stores()
        .get_or_create(Some("zipped"))
        .unwrap();
    let store = client.key_value_store(&kv.id);
    store.set_text("page-1", "one").unwrap();
    store.set_text("page-2", "two").unwrap();
    store
        .set_record_post("other", b"\x00\x01", "application/octet-stream")
        .unwrap();
    let rec = store.get_record("other").unwrap().unwrap();
    assert_eq!(rec.data, b"\x00\x01");
    assert_eq!(rec.content_type, "application/octet-stream");

    let all = store.records_zip(&RecordsZipOptions::default()).unwrap();
    assert_eq!(zip_names(&all), ["other", "page-1", "page-2"]);
    let pages = store
        .records_zip(&RecordsZipOptions::default().prefix("page-"))
        .unwrap();
    assert_eq!(zip_names(&pages), ["page-1", "page-2"]);
    let mut streamed = Vec::new();
    std::io::Read::read_to_end(
        &mut store
            .records_zip_reader(&RecordsZipOptions::default())
            .unwrap(),
        &mut streamed,
    )
    .unwrap();
    assert_eq!(streamed, all);

    // Errors name what was wrong.
    let e = store
        .records_zip(&RecordsZipOptions::default().prefix(""))
        .unwrap_err();
    assert!(e.to_string().contains("records prefix"), "{e}");
    let e = store
        .records_zip(&RecordsZipOptions::default().collection("images"))
        .unwrap_err();
    assert_eq!(e.http_status(), Some(400));
    assert!(e.to_string().contains("collection"), "{e}");
    let e = store
        .set_record_post("bad key", b"x", "text/plain")
        .unwrap_err();
    assert!(e.to_string().contains("bad key"), "{e}");
    let e = store.set_record_post("k", b"x", " ").unwrap_err();
    assert!(e.to_string().contains("content type"), "{e}");
    let e = client
        .key_value_store("no-such-store")
        .records_zip(&RecordsZipOptions::default())
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[test]
fn a_runs_default_storages_take_the_same_operations() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .start(&json!({"count": 4}), &StartOptions::default())
        .unwrap();
    let done = client.run(&run.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    let run_client = client.run(&run.id);

    let dataset = run_client.dataset();
    assert!(dataset.statistics().unwrap().field_statistics.is_none());
    let renamed = dataset
        .update(&StorageUpdate::default().name("run-items"))
        .unwrap();
    assert_eq!(renamed.item_count, 4);
    assert_eq!(
        client.dataset("run-items").get().unwrap().unwrap()["id"],
        renamed.id.as_str()
    );

    let store = run_client.key_value_store();
    store
        .set_record_post("EXTRA", b"{}", "application/json")
        .unwrap();
    let names = zip_names(&store.records_zip(&RecordsZipOptions::default()).unwrap());
    assert!(names.contains(&"OUTPUT".to_string()), "{names:?}");
    assert!(names.contains(&"EXTRA".to_string()), "{names:?}");
    let kv = store
        .update(&StorageUpdate::default().general_access("RESTRICTED"))
        .unwrap();
    assert_eq!(kv.general_access.as_deref(), Some("RESTRICTED"));
}
