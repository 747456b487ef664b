//! Asynchronous run: start an Actor, wait for it to finish, then read its dataset page by page
//! and its `OUTPUT` record. On the emulator the Actor is `emulator/generator` (50 items over
//! 2 s); elsewhere `apify/hello-world`.
//!
//! `cargo run --features emulator --example start_wait_read`

mod common;

use std::time::Duration;

use apify::{ItemsOptions, RunStatus, StartOptions, WaitOptions};
use serde_json::{json, Value};

fn main() -> std::process::ExitCode {
    common::run(|target| {
        let client = &target.client;
        let (actor, input) = if target.emulator {
            (
                "emulator/generator",
                json!({"count": 50, "durationSecs": 2}),
            )
        } else {
            (
                "apify/hello-world",
                json!({"message": "Hello from start_wait_read!"}),
            )
        };
        let run = client
            .actor(actor)
            .start(&input, &StartOptions::default())?;
        println!("started run {} of {actor}: {}", run.id, run.status);
        // Long polling, at most 10 minutes; the run is returned in whatever status it has then.
        let run = client
            .run(&run.id)
            .wait(&WaitOptions::with_budget(Duration::from_secs(600)))?;
        println!("run {} ended: {}", run.id, run.status);
        if run.status != RunStatus::Succeeded {
            return Err(format!("the run ended {}", run.status).into());
        }
        // 20 items a request; the next pages are read ahead while these are handled.
        let mut count = 0;
        for item in client
            .run(&run.id)
            .dataset()
            .iter_items::<Value>(&ItemsOptions::default(), 20)
        {
            let item = item?;
            if count < 3 {
                println!("item {count}: {item}");
            }
            count += 1;
        }
        println!("read {count} items");
        match client.run(&run.id).key_value_store().get_record("OUTPUT")? {
            Some(output) => println!(
                "OUTPUT ({}): {}",
                output.content_type,
                String::from_utf8_lossy(&output.data)
            ),
            None => println!("no OUTPUT record"),
        }
        Ok(())
    })
}
