//! The README's main job: runs `apify/hello-world` synchronously, then a longer
//! `emulator/generator` run asynchronously with progress, and prints what it retrieved.
//!
//! Without `APIFY_TOKEN` it starts the local emulator in-process and says so; with a token it
//! talks to the platform at `APIFY_API_BASE_URL` (default https://api.apify.com).
//!
//! `cargo run --release --features emulator --example quickstart`

use std::ops::ControlFlow;
use std::time::Duration;

use apify::{CallOptions, Client, ItemsOptions, StartOptions, WaitOptions, WaitStrategy};
use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("APIFY_TOKEN").ok().filter(|t| !t.is_empty());
    #[cfg(feature = "emulator")]
    let emulator;
    let client = match token {
        Some(_) => Client::from_env()?,
        None => {
            #[cfg(feature = "emulator")]
            {
                emulator = apify::emulator::Emulator::start(Default::default())?;
                println!(
                    "APIFY_TOKEN is not set: using the local emulator at {}",
                    emulator.base_url()
                );
                Client::builder()
                    .base_url(emulator.base_url())
                    .token(emulator.token())
                    .build()?
            }
            #[cfg(not(feature = "emulator"))]
            {
                return Err(
                    "APIFY_TOKEN is not set; set it, or build with --features emulator".into(),
                );
            }
        }
    };

    // 1. Synchronous: one request runs the Actor and returns its dataset items.
    let items: Vec<Value> = client.actor("apify/hello-world").run_sync_get_items(
        &json!({"message": "Hello from libapify!"}),
        &StartOptions::default(),
        &ItemsOptions::default(),
    )?;
    println!(
        "hello-world (sync) items: {}",
        serde_json::to_string(&items)?
    );

    // 2. Asynchronous: start a longer run, wait with progress, then read its results.
    let generator = client.actor("emulator/generator");
    let options = CallOptions {
        wait: WaitOptions {
            strategy: WaitStrategy::Poll {
                interval: Duration::from_millis(500),
            },
            ..WaitOptions::default()
        },
        ..CallOptions::default()
    };
    let run = generator.call_with(&json!({"count": 25, "durationSecs": 3}), &options, |run| {
        let items = client
            .dataset(&run.default_dataset_id)
            .get()
            .ok()
            .flatten()
            .and_then(|d| d["itemCount"].as_u64())
            .unwrap_or(0);
        println!("  run {}: {} ({} items so far)", run.id, run.status, items);
        ControlFlow::Continue(())
    })?;
    println!("generator run {} finished: {}", run.id, run.status);

    let dataset = client.run(&run.id).dataset();
    let mut count = 0;
    for item in dataset.iter_items::<Value>(&ItemsOptions::default(), 10) {
        let item = item?;
        if count < 3 {
            println!("  item: {item}");
        }
        count += 1;
    }
    println!("read {count} items page by page");
    if let Some(output) = client.run(&run.id).key_value_store().get_record("OUTPUT")? {
        println!("OUTPUT ({}): {}", output.content_type, output.text()?);
    }
    Ok(())
}
