//! Micro-benchmark for issue 13: splitting a page of dataset items into items, serde_json's
//! `RawValue` path (borrowed `Vec<&RawValue>` and owned `Vec<Box<RawValue>>`, what dataset.rs
//! did before) against the purpose-built splitter (src/items_split.rs): `split_items` on the whole
//! page, and `StreamSplitter` on 256 KiB pieces as a read uses it. Builds a
//! page of 1,000,000 items (about 130 MB) in memory, times each way best of 5 (wall clock) and
//! prints MB/s (10^6 bytes per second of page). Items: `mixed` (default: escapes and non-ASCII
//! in every fifth item, four fields) or `plain` (the items of bench/read.sh: an index, 64 x's
//! and a URL).
//!
//! `cargo run --release --example bench_split -- [items] [mixed|plain]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

// The splitter is crate-private: compile its source into this example as well.
#[allow(dead_code)]
#[path = "../src/items_split.rs"]
mod items_split;

/// A page of the items bench/read.sh pushes.
fn plain_page(items: usize) -> Vec<u8> {
    let text = "x".repeat(64);
    let mut out = String::with_capacity(items * 130);
    out.push('[');
    for i in 0..items {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"index":{i},"text":"{text}","url":"https://example.com/page/{i}"}}"#
        ));
    }
    out.push(']');
    out.into_bytes()
}

/// A page like the ones `GET /v2/datasets/{id}/items?format=json` returns.
fn page(items: usize) -> Vec<u8> {
    let words = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    ];
    let mut out = String::with_capacity(items * 140);
    out.push('[');
    for i in 0..items {
        if i > 0 {
            out.push(',');
        }
        let w = |k: usize| words[(i / k) % words.len()];
        // Some texts carry escapes and non-ASCII, as scraped text does.
        let extra = match i % 10 {
            0 => " \\\"quoted\\\" caf\u{e9}",
            1 => " line\\nbreak \u{1F600}",
            _ => " plain",
        };
        out.push_str(&format!(
            r#"{{"index":{i},"text":"{} {} {} {} {}{extra}","url":"https://example.com/{}/{}/item-{i}","tags":["{}","{}"]}}"#,
            w(1),
            w(3),
            w(7),
            w(11),
            w(13),
            w(17),
            w(19),
            w(2),
            w(5),
        ));
    }
    out.push(']');
    out.into_bytes()
}

/// Best wall-clock time of `runs` runs of `f`, which returns the number of items it found.
fn best_of(runs: usize, expected: usize, mut f: impl FnMut() -> usize) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            let n = black_box(f());
            let took = start.elapsed();
            assert_eq!(n, expected);
            took
        })
        .min()
        .expect("at least one run")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |a| a.parse())?;
    let page = match std::env::args().nth(2).as_deref() {
        None | Some("mixed") => page(n),
        Some("plain") => plain_page(n),
        Some(other) => return Err(format!("unknown items '{other}' (mixed or plain)").into()),
    };
    let mb = page.len() as f64 / 1e6;
    println!("page: {n} items, {mb:.1} MB; best of 5, wall clock");

    // Same items both ways, before timing anything.
    let raw: Vec<&RawValue> = serde_json::from_slice(&page)?;
    let ranges = items_split::split_items(&page)?;
    assert_eq!(raw.len(), ranges.len());
    assert!(raw
        .iter()
        .zip(&ranges)
        .all(|(r, s)| r.get().as_bytes() == &page[s.clone()]));
    drop(raw);

    let report = |name: &str, took: Duration| {
        println!(
            "{name:<42} {:>8.1} ms {:>8.0} MB/s",
            took.as_secs_f64() * 1e3,
            mb / took.as_secs_f64()
        );
    };
    report(
        "std::str::from_utf8 (the page, for scale)",
        best_of(5, page.len(), || {
            std::str::from_utf8(&page).map_or(0, str::len)
        }),
    );
    report(
        "serde_json Vec<&RawValue>",
        best_of(5, n, || {
            serde_json::from_slice::<Vec<&RawValue>>(&page).map_or(0, |v| v.len())
        }),
    );
    report(
        "serde_json Vec<Box<RawValue>> (today)",
        best_of(5, n, || {
            serde_json::from_slice::<Vec<Box<RawValue>>>(&page).map_or(0, |v| v.len())
        }),
    );
    report(
        "split_items",
        best_of(5, n, || {
            items_split::split_items(&page).map_or(0, |v| v.len())
        }),
    );
    // What a read does: the page in 256 KiB pieces (the stream worker's chunks), each split as it
    // arrives, the bytes of an item cut at a piece's end given again with the next piece.
    report(
        "StreamSplitter, 256 KiB pieces (a read)",
        best_of(5, n, || {
            let mut splitter = items_split::StreamSplitter::new();
            let (mut count, mut at, mut ranges) = (0, 0, Vec::new());
            loop {
                let end = (at + (256 << 10)).min(page.len());
                let last = end == page.len();
                ranges.clear();
                match splitter.split(&page[at..end], last, &mut ranges) {
                    Ok(used) => at += used,
                    Err(_) => return 0,
                }
                count += ranges.len();
                if last {
                    return count;
                }
            }
        }),
    );
    Ok(())
}
