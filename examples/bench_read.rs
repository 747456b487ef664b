//! Benchmark reader for `bench/read.sh`: reads a whole dataset with
//! [`DatasetClient::iter_items_with`](apify::DatasetClient::iter_items_with) and prints the
//! item count.
//!
//! `bench_read DATASET_ID typed|raw|lent [PAGE_SIZE]`
//!
//! `typed` parses each item into a `serde_json::Value`, `raw` keeps its JSON text
//! ([`apify::RawItem`]), `lent` borrows it from the page
//! ([`DatasetClient::read_raw_items`](apify::DatasetClient::read_raw_items)). Without PAGE_SIZE the SDK's defaults apply (pages sized by bytes, read
//! ahead). Token and base URL come from `APIFY_TOKEN` and `APIFY_API_BASE_URL`.

use apify::{Client, ItemsOptions, RawItem, ReadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(id), Some(mode)) = (args.first(), args.get(1)) else {
        return Err("usage: bench_read DATASET_ID typed|raw|lent [PAGE_SIZE]".into());
    };
    let read = match args.get(2) {
        Some(p) => ReadOptions::default().page_size(p.parse()?),
        None => ReadOptions::default(),
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
            for item in dataset.iter_items_with::<serde_json::Value>(&options, &read) {
                std::hint::black_box(item?);
                count += 1;
            }
        }
        "raw" => {
            for item in dataset.iter_items_with::<RawItem>(&options, &read) {
                std::hint::black_box(item?);
                count += 1;
            }
        }
        "lent" => {
            let mut items = dataset.read_raw_items(&options, &read);
            while let Some(text) = items.next_text()? {
                std::hint::black_box(text);
                count += 1;
            }
        }
        other => return Err(format!("unknown mode {other:?}: typed, raw or lent").into()),
    }
    println!("{count}");
    Ok(())
}
