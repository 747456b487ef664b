//! Synchronous run, items: one request runs `apify/hello-world` and answers its dataset items.
//!
//! `cargo run --features emulator --example sync_items` (on the local emulator; set
//! `APIFY_TOKEN` to run on the Apify platform).

mod common;

use apify::{ItemsOptions, StartOptions};
use serde_json::{json, Value};

fn main() -> std::process::ExitCode {
    common::run(|target| {
        let input = json!({"message": "Hello from sync_items!"});
        let items: Vec<Value> = target
            .client
            .actor("apify/hello-world")
            .run_sync_get_items(&input, &StartOptions::default(), &ItemsOptions::default())?;
        println!("{} item(s):", items.len());
        for item in &items {
            println!("{item}");
        }
        Ok(())
    })
}
