//! Iterate a dataset with filters: pushes 30 items into a new unnamed dataset, then reads them
//! back newest first, only some fields, without the empty ones, from an offset, up to a limit;
//! deletes the dataset at the end.
//!
//! `cargo run --features emulator --example iterate_filters`

mod common;

use apify::ItemsOptions;
use serde_json::{json, Value};

fn main() -> std::process::ExitCode {
    common::run(|target| {
        let client = &target.client;
        let dataset = client.get_or_create_dataset(None)?;
        let id = dataset["id"].as_str().ok_or("the dataset has no id")?;
        let dataset = client.dataset(id);
        let items: Vec<Value> = (0..30)
            .map(|i| {
                if i % 10 == 9 {
                    json!({})
                } else {
                    json!({"index": i, "title": format!("item {i}"), "#debug": {"i": i}})
                }
            })
            .collect();
        dataset.push_items(&items)?;
        println!("pushed {} items into dataset {id}", items.len());

        let options = ItemsOptions::default()
            .desc(true)
            .skip_empty(true)
            .fields(["index", "title"])
            .offset(2)
            .limit(10);
        let mut read = Vec::new();
        for item in dataset.iter_items::<Value>(&options, 4) {
            read.push(item?);
        }
        println!(
            "newest first, fields index and title, from offset 2, 10 rows scanned (limit counts the \\
             empty row it skipped): {} items",
            read.len()
        );
        for item in &read {
            println!("  {item}");
        }
        dataset.delete()?;
        println!("deleted dataset {id}");
        Ok(())
    })
}
