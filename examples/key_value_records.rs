//! Key-value records: in a new unnamed store, writes a JSON, a text and a binary record, reads
//! them back, lists the keys page by page and with the iterator, deletes a record and the store.
//!
//! `cargo run --features emulator --example key_value_records`

mod common;

use apify::KeysOptions;
use serde_json::json;

fn main() -> std::process::ExitCode {
    common::run(|target| {
        let client = &target.client;
        let store = client.get_or_create_key_value_store(None)?;
        let id = store["id"].as_str().ok_or("the store has no id")?;
        let store = client.key_value_store(id);
        store.set_json(
            "config",
            &json!({"depth": 2, "urls": ["https://example.com"]}),
        )?;
        store.set_text("greeting", "Hello from key_value_records!")?;
        let blob: Vec<u8> = (0..=255).collect();
        store.set_record("blob", &blob, "application/octet-stream")?;
        for key in ["config", "greeting", "blob"] {
            let record = store
                .get_record(key)?
                .ok_or_else(|| format!("record {key} is missing"))?;
            println!(
                "{key:<9} {:>4} bytes  {}",
                record.data.len(),
                record.content_type
            );
        }
        let config: serde_json::Value = store.get_record("config")?.ok_or("no config")?.json()?;
        println!("config.depth = {}", config["depth"]);

        let page = store.list_keys(&KeysOptions::default().limit(2))?;
        let first: Vec<&str> = page.items.iter().map(|k| k.key.as_str()).collect();
        println!(
            "first page of 2 keys: {first:?} (more: {})",
            page.is_truncated
        );
        let mut all = Vec::new();
        for key in store.iter_keys(&KeysOptions::default().limit(2)) {
            all.push(key?.key);
        }
        println!("every key: {all:?}");

        store.delete_record("greeting")?;
        println!(
            "greeting exists after delete: {}",
            store.record_exists("greeting")?
        );
        store.delete()?;
        println!("deleted store {id}");
        Ok(())
    })
}
