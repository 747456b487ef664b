//! Export a dataset: pushes 100 items into a new unnamed dataset and streams it as CSV into a
//! file (first argument, default `export.csv` in the temporary directory), without holding it
//! in memory; deletes the dataset at the end.
//!
//! `cargo run --features emulator --example export -- items.csv`

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use apify::ItemsOptions;
use serde_json::{json, Value};

fn main() -> std::process::ExitCode {
    common::run(|target| {
        let path = std::env::args_os()
            .nth(1)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("export.csv"));
        let client = &target.client;
        let dataset = client.get_or_create_dataset(None)?;
        let id = dataset["id"].as_str().ok_or("the dataset has no id")?;
        let dataset = client.dataset(id);
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"index": i, "square": i * i}))
            .collect();
        dataset.push_items(&items)?;

        // Other formats: json, jsonl, xlsx, xml, html, rss; the same filters as reading.
        let mut stream = dataset.export("csv", &ItemsOptions::default())?;
        let mut out = BufWriter::new(File::create(&path)?);
        let bytes = std::io::copy(&mut stream, &mut out)?;
        out.flush()?;
        let lines = std::fs::read_to_string(&path)?.lines().count();
        println!(
            "exported {} items as CSV to {}: {bytes} bytes, {lines} lines (a header and a line per item)",
            items.len(),
            path.display()
        );
        dataset.delete()?;
        println!("deleted dataset {id}");
        Ok(())
    })
}
