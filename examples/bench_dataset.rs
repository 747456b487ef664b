//! Benchmark: push N items through the SDK into the in-process emulator, then read them back with
//! the page-by-page iterator at several page sizes. Prints time, items/s and the peak resident
//! memory, so that "memory is bounded by a page" can be checked by eye.
//!
//! `cargo run --release --features emulator --example bench_dataset -- [items]`

use std::time::Instant;

use apify::emulator::{Emulator, EmulatorConfig};
use apify::{Client, ItemsOptions, RawItem};
use serde_json::{json, Value};

/// Peak resident set size of this process in MiB (Linux), or 0 elsewhere.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |a| a.parse())?;
    let emu = Emulator::start(EmulatorConfig::default())?;
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .proxy(None)
        .build()?;
    let created = client.request("POST", "/v2/datasets", &[], None)?;
    let id = created["data"]["id"]
        .as_str()
        .ok_or("no dataset id")?
        .to_string();
    let ds = client.dataset(&id);

    let items: Vec<Value> = (0..n)
        .map(|i| json!({"index": i, "url": format!("https://example.com/{i}")}))
        .collect();
    let t = Instant::now();
    ds.push_items(&items)?;
    let push = t.elapsed();
    drop(items);
    println!(
        "push {n} items: {:.2} s ({:.0} items/s), peak RSS {:.0} MiB",
        push.as_secs_f64(),
        n as f64 / push.as_secs_f64(),
        peak_rss_mib()
    );

    for page in [1_000u64, 10_000, 100_000] {
        let t = Instant::now();
        let mut count = 0usize;
        for item in ds.iter_items::<RawItem>(&ItemsOptions::default(), page) {
            let _ = item?;
            count += 1;
        }
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(count, n);
        println!(
            "iterate, page {page:>6} (raw items): {secs:.2} s ({:.0} items/s), peak RSS {:.0} MiB",
            n as f64 / secs,
            peak_rss_mib()
        );
    }
    let t = Instant::now();
    let mut count = 0usize;
    for item in ds.iter_items::<Value>(&ItemsOptions::default(), 10_000) {
        let _ = item?;
        count += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(count, n);
    println!(
        "iterate, page  10000 (serde_json::Value): {secs:.2} s ({:.0} items/s), peak RSS {:.0} MiB",
        n as f64 / secs,
        peak_rss_mib()
    );
    Ok(())
}
