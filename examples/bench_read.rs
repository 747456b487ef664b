//! Benchmark reader for `bench/read.sh`: reads a whole dataset with
//! [`DatasetClient::iter_items`](apify::DatasetClient::iter_items) and prints the item count.
//!
//! `bench_read DATASET_ID typed|raw [PAGE_SIZE]`
//!
//! `typed` parses each item into a `serde_json::Value`, `raw` keeps its JSON text
//! ([`apify::RawItem`]). PAGE_SIZE defaults to 1000, the page size of the C iterator and of the
//! SDK's documentation. Token and base URL come from `APIFY_TOKEN` and `APIFY_API_BASE_URL`.

use apify::{Client, ItemsOptions, RawItem};

/// The page size used when none is given (the C ABI's default `chunkSize`).
const DEFAULT_PAGE_SIZE: u64 = 1000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(id), Some(mode)) = (args.first(), args.get(1)) else {
        return Err("usage: bench_read DATASET_ID typed|raw [PAGE_SIZE]".into());
    };
    let page_size: u64 = match args.get(2) {
        Some(p) => p.parse()?,
        None => DEFAULT_PAGE_SIZE,
    };
    let client = Client::builder()
        .base_url(std::env::var("APIFY_API_BASE_URL")?)
        .token(std::env::var("APIFY_TOKEN")?)
        .proxy(None)
        .build()?;
    let dataset = client.dataset(id);
    let options = ItemsOptions::default();
    let mut count: u64 = 0;
    match mode.as_str() {
        "typed" => {
            for item in dataset.iter_items::<serde_json::Value>(&options, page_size) {
                std::hint::black_box(item?);
                count += 1;
            }
        }
        "raw" => {
            for item in dataset.iter_items::<RawItem>(&options, page_size) {
                std::hint::black_box(item?);
                count += 1;
            }
        }
        other => return Err(format!("unknown mode {other:?}: typed or raw").into()),
    }
    println!("{count}");
    Ok(())
}
