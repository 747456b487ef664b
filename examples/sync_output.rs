//! Synchronous run, `OUTPUT`: one request runs `apify/hello-world` and answers the `OUTPUT`
//! record of its key-value store.
//!
//! `cargo run --features emulator --example sync_output` (on the local emulator; set
//! `APIFY_TOKEN` to run on the Apify platform).

mod common;

use apify::StartOptions;
use serde_json::json;

fn main() -> std::process::ExitCode {
    common::run(|target| {
        let input = json!({"message": "Hello from sync_output!"});
        // `None`: the default record, OUTPUT.
        let record = target.client.actor("apify/hello-world").run_sync(
            &input,
            &StartOptions::default(),
            None,
        )?;
        println!(
            "OUTPUT ({}, {} bytes): {}",
            record.content_type,
            record.data.len(),
            String::from_utf8_lossy(&record.data)
        );
        Ok(())
    })
}
