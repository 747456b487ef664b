//! Reading ahead keeps every row exactly once and in order: small byte-sized pages with several
//! in flight, against filters (`clean`, `skipEmpty`), `fields`, `desc`, `offset`/`limit`, a
//! fixed page size, a dataset still being written, and rate limiting.
#![cfg(feature = "emulator")]

use std::time::Duration;

use apify::{Client, ItemsOptions, ReadOptions, RunStatus, StartOptions, WaitOptions};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{add_fault, journal, setup, support};

/// A finished generator run's dataset id.
fn generated(client: &Client, input: Value) -> String {
    let run = client
        .actor("emulator/generator")
        .call(&input, &Default::default())
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    run.default_dataset_id
}

/// Small pages (a few items each), three read ahead.
fn small_pages() -> ReadOptions {
    ReadOptions::default().page_bytes(300).prefetch_pages(3)
}

fn indexes(client: &Client, dataset: &str, items: &ItemsOptions, read: &ReadOptions) -> Vec<i64> {
    client
        .dataset(dataset)
        .iter_items_with::<Value>(items, read)
        .map(|i| {
            let i = i.unwrap();
            i["index"].as_i64().unwrap_or(-1)
        })
        .collect()
}

#[test]
fn every_item_once_in_order_with_small_pages_read_ahead() {
    let (_emu, client) = setup();
    let ds = generated(&client, json!({"count": 500, "itemBytes": 20}));
    let all: Vec<i64> = (0..500).collect();
    assert_eq!(
        indexes(&client, &ds, &Default::default(), &small_pages()),
        all
    );
    // Fixed page sizes, with and without reading ahead, and the defaults.
    for read in [
        ReadOptions::default().page_size(7),
        ReadOptions::default().page_size(7).prefetch_pages(0),
        ReadOptions::default(),
    ] {
        assert_eq!(
            indexes(&client, &ds, &Default::default(), &read),
            all,
            "{read:?}"
        );
    }
    // Offset and limit: exactly the window, with no request past it.
    let window = ItemsOptions::default().offset(33).limit(101);
    assert_eq!(
        indexes(&client, &ds, &window, &small_pages()),
        (33..134).collect::<Vec<_>>()
    );
    // Newest first.
    let desc = ItemsOptions::default().desc(true);
    assert_eq!(
        indexes(&client, &ds, &desc, &small_pages()),
        (0..500).rev().collect::<Vec<_>>()
    );
}

#[test]
fn filters_and_fields_keep_offsets_right() {
    let (_emu, client) = setup();
    // Every 3rd item is {}, every item has a hidden field.
    let ds = generated(
        &client,
        json!({"count": 300, "emptyEvery": 3, "hidden": true, "itemBytes": 10}),
    );
    let kept: Vec<i64> = (0..300).filter(|i| (i + 1) % 3 != 0).collect();
    for items in [
        ItemsOptions::default().skip_empty(true),
        ItemsOptions::default().clean(true),
        ItemsOptions::default().clean(true).desc(true),
    ] {
        let got = indexes(&client, &ds, &items, &small_pages());
        let want: Vec<i64> = if items.desc {
            kept.iter().rev().copied().collect()
        } else {
            kept.clone()
        };
        assert_eq!(got, want, "{items:?}");
    }
    // fields: only `index` comes back, empty items stay (as {}), nothing is lost.
    let got: Vec<Value> = client
        .dataset(&ds)
        .iter_items_with::<Value>(&ItemsOptions::default().fields(["index"]), &small_pages())
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), 300);
    let indexed: Vec<i64> = got.iter().filter_map(|v| v["index"].as_i64()).collect();
    assert_eq!(indexed, kept);
    assert!(got.iter().all(|v| v.get("text").is_none()));
}

#[test]
fn a_dataset_being_written_is_read_without_loss_or_repeats() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .start(
            &json!({"count": 400, "durationSecs": 2, "itemBytes": 10}),
            &StartOptions::default(),
        )
        .unwrap();
    let dataset = client.dataset(&run.default_dataset_id);
    let mut seen = Vec::new();
    // Read what there is, again and again from where the last read ended, while it grows.
    let mut offset = 0;
    for _ in 0..200 {
        let mut iter = dataset
            .iter_items_with::<Value>(&ItemsOptions::default().offset(offset), &small_pages());
        for item in iter.by_ref() {
            seen.push(item.unwrap()["index"].as_i64().unwrap());
        }
        offset = iter.next_offset();
        let status = client.run(&run.id).get().unwrap().unwrap().status;
        if status.is_terminal() && offset >= 400 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    client.run(&run.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(seen, (0..400).collect::<Vec<_>>());
}

#[test]
fn rate_limited_reading_ahead_slows_down_and_loses_nothing() {
    let (_emu, client) = setup();
    let ds = generated(&client, json!({"count": 200, "itemBytes": 10}));
    add_fault(
        &client,
        json!({"method": "GET", "path": "/v2/datasets/*/items", "times": 4,
               "action": {"kind": "status", "status": 429}}),
    );
    let got = indexes(&client, &ds, &Default::default(), &small_pages());
    assert_eq!(got, (0..200).collect::<Vec<_>>());
    let pending = support(&client, "GET", "/_emulator/faults", None);
    assert_eq!(pending["data"].as_array().unwrap().len(), 0, "{pending}");
}

#[test]
fn pages_are_sized_by_bytes() {
    let (_emu, client) = setup();
    let ds = generated(&client, json!({"count": 2000, "itemBytes": 100}));
    support(&client, "DELETE", "/_emulator/requests", None);
    let read = ReadOptions::default()
        .page_bytes(64 * 1024)
        .prefetch_pages(0);
    assert_eq!(
        indexes(&client, &ds, &Default::default(), &read).len(),
        2000
    );
    let limits: Vec<u64> = journal(&client, "", "/v2/datasets/*/items")
        .iter()
        .filter_map(|r| {
            r["query"]
                .as_str()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("limit=")))
                .and_then(|v| v.parse().ok())
        })
        .collect();
    // After the first page (a guess), pages of about 64 KiB: ~500 items of ~130 bytes.
    assert!(limits.len() >= 3, "{limits:?}");
    for l in &limits[1..limits.len() - 1] {
        assert!((300..=700).contains(l), "{limits:?}");
    }
}

#[test]
fn raw_items_lend_the_same_texts_as_owned_items() {
    let (_emu, client) = setup();
    let ds = generated(
        &client,
        json!({"count": 250, "itemBytes": 7, "emptyEvery": 5}),
    );
    let dataset = client.dataset(&ds);
    let owned: Vec<String> = dataset
        .iter_items_with::<apify::RawItem>(&Default::default(), &small_pages())
        .map(|i| i.unwrap().get().to_string())
        .collect();
    let mut lent = Vec::new();
    let mut raw = dataset.read_raw_items(&Default::default(), &small_pages());
    while let Some(text) = raw.next_text().unwrap() {
        lent.push(text.to_string());
    }
    assert_eq!(owned.len(), 250);
    assert_eq!(lent, owned);
}

#[test]
fn a_page_cut_in_the_middle_is_read_on_without_loss_or_repeats() {
    let (_emu, client) = setup();
    // ~2.6 MB in one page at the defaults: several chunks come before the cut.
    let ds = generated(&client, json!({"count": 20000, "itemBytes": 100}));
    add_fault(
        &client,
        json!({"method": "GET", "path": "/v2/datasets/*/items", "times": 2,
               "action": {"kind": "truncate"}}),
    );
    let got = indexes(&client, &ds, &Default::default(), &Default::default());
    assert_eq!(got, (0..20000).collect::<Vec<_>>());

    // With a filter, rows and items do not match: a cut after items were handed out ends the
    // read with the error, and next_offset is the page's start (what was handed out comes again
    // from there).
    add_fault(
        &client,
        json!({"method": "GET", "path": "/v2/datasets/*/items", "times": 1,
               "action": {"kind": "truncate"}}),
    );
    let mut iter = client
        .dataset(&ds)
        .iter_items_with::<Value>(&ItemsOptions::default().clean(true), &Default::default());
    let mut before = 0;
    let err = loop {
        match iter.next().expect("an error before the end") {
            Ok(_) => before += 1,
            Err(e) => break e,
        }
    };
    assert!(before > 0, "{err}");
    assert!(iter.next().is_none());
    assert_eq!(iter.next_offset(), 0, "{err}");
}
