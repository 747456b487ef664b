//! The README's main command: runs an Actor synchronously (one request), then asynchronously
//! (start, wait with progress, read the items page by page and the `OUTPUT` record), and prints
//! what happened in a few lines.
//!
//! Where it runs:
//! - neither `APIFY_TOKEN` nor `APIFY_API_BASE_URL` set: on the local emulator, started
//!   in-process (feature `emulator`); the asynchronous run uses `emulator/generator`;
//! - `APIFY_TOKEN` set, no `APIFY_API_BASE_URL`: on the Apify platform, using only the public
//!   `apify/hello-world` Actor;
//! - `APIFY_API_BASE_URL` set (with or without a token): on that server, using
//!   `emulator/generator` if the server has it, else `apify/hello-world`.
//!
//! `cargo run --release --features emulator --example quickstart`

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use apify::{
    CallOptions, Client, ItemsOptions, RunStatus, StartOptions, WaitOptions, WaitStrategy,
};
use serde_json::{json, Value};

type BoxError = Box<dyn std::error::Error>;

const HELLO_WORLD: &str = "apify/hello-world";
const GENERATOR: &str = "emulator/generator";
/// Items per page when reading the asynchronous run's dataset.
const PAGE_SIZE: u64 = 10;
/// The longest item text printed before it is cut.
const SHOW_CHARS: usize = 100;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An environment variable, unset when empty (as `Client::from_env` reads them).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where the example runs; holds the in-process emulator, if any, until the end.
enum Target {
    #[cfg(feature = "emulator")]
    Emulator(apify::emulator::Emulator),
    Platform,
    Server(String),
}

impl Target {
    fn choose() -> Result<Target, BoxError> {
        if let Some(url) = env("APIFY_API_BASE_URL") {
            return Ok(Target::Server(url));
        }
        if env("APIFY_TOKEN").is_some() {
            return Ok(Target::Platform);
        }
        #[cfg(feature = "emulator")]
        {
            Ok(Target::Emulator(apify::emulator::Emulator::start(
                Default::default(),
            )?))
        }
        #[cfg(not(feature = "emulator"))]
        {
            Err(
                "nothing to run on: set APIFY_TOKEN to run on the Apify platform, or \
                 APIFY_API_BASE_URL (and APIFY_TOKEN if it needs one) to run on another server, \
                 or build with the emulator feature to run on the local emulator \
                 (cargo run --release --features emulator --example quickstart)"
                    .into(),
            )
        }
    }

    fn describe(&self) -> String {
        match self {
            #[cfg(feature = "emulator")]
            Target::Emulator(emulator) => format!(
                "the local emulator at {} (set APIFY_TOKEN to run on the Apify platform)",
                emulator.base_url()
            ),
            Target::Platform => format!(
                "the Apify platform at {} (token from APIFY_TOKEN)",
                apify::DEFAULT_BASE_URL
            ),
            Target::Server(url) => format!(
                "the server at {url} (from APIFY_API_BASE_URL, {})",
                if env("APIFY_TOKEN").is_some() {
                    "token from APIFY_TOKEN"
                } else {
                    "no token: APIFY_TOKEN is not set"
                }
            ),
        }
    }

    fn client(&self) -> Result<Client, BoxError> {
        Ok(match self {
            #[cfg(feature = "emulator")]
            Target::Emulator(emulator) => Client::builder()
                .base_url(emulator.base_url())
                .token(emulator.token())
                // Straight to loopback, whatever proxy the environment names.
                .proxy(None)
                .build()?,
            Target::Platform => Client::from_env()?,
            // Reads APIFY_API_BASE_URL and APIFY_TOKEN like `from_env`; fewer retries, so that a
            // server that is not there fails in seconds rather than after about two minutes.
            Target::Server(_) => Client::builder().max_retries(2).build()?,
        })
    }

    /// The Actor for the asynchronous run: `emulator/generator` where it exists (it takes a
    /// few seconds and pushes 25 items), else `apify/hello-world`.
    fn async_actor(&self, client: &Client) -> Result<(&'static str, Value), BoxError> {
        let has_generator = match self {
            #[cfg(feature = "emulator")]
            Target::Emulator(_) => true,
            Target::Platform => false,
            Target::Server(_) => client.actor(GENERATOR).get()?.is_some(),
        };
        Ok(if has_generator {
            (GENERATOR, json!({"count": 25, "durationSecs": 3}))
        } else {
            (HELLO_WORLD, json!({"message": "Hello from libapify!"}))
        })
    }
}

/// A value as compact JSON, cut after `SHOW_CHARS` characters.
fn show(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(SHOW_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn run() -> Result<(), BoxError> {
    let target = Target::choose()?;
    println!("running on: {}", target.describe());
    let client = target.client()?;

    // 1. Synchronous: one request runs the Actor and answers its dataset items.
    let input = json!({"message": "Hello from libapify!"});
    println!("1. synchronous run of {HELLO_WORLD} with {input}");
    let items: Vec<Value> = client.actor(HELLO_WORLD).run_sync_get_items(
        &input,
        &StartOptions::default(),
        &ItemsOptions::default(),
    )?;
    match items.first() {
        Some(first) => println!(
            "   {}, the first: {}",
            plural(items.len(), "item"),
            show(first)
        ),
        None => println!("   no items"),
    }

    // 2. Asynchronous: start a run, wait for it with progress, then read what it left.
    let (actor, input) = target.async_actor(&client)?;
    println!("2. asynchronous run of {actor} with {input}");
    if matches!(target, Target::Server(_)) && actor != GENERATOR {
        println!("   ({GENERATOR} is not on this server)");
    }
    let options =
        CallOptions::default().wait(WaitOptions::default().strategy(WaitStrategy::Poll {
            interval: Duration::from_secs(1),
        }));
    // One line per change of status or item count while the run goes on.
    let mut last: Option<(RunStatus, u64)> = None;
    let run = client.actor(actor).call_with(&input, &options, |run| {
        if run.status.is_terminal() {
            return ControlFlow::Continue(());
        }
        let count = client
            .dataset(&run.default_dataset_id)
            .get()
            .ok()
            .flatten()
            .and_then(|d| d["itemCount"].as_u64())
            .unwrap_or(0);
        let now = Some((run.status.clone(), count));
        if now != last {
            println!("   run {}: {}, {count} items so far", run.id, run.status);
            last = now;
        }
        ControlFlow::Continue(())
    })?;
    println!("   run {} finished: {}", run.id, run.status);
    if run.status != RunStatus::Succeeded {
        return Err(format!("the run {} ended {}, not SUCCEEDED", run.id, run.status).into());
    }

    let mut count = 0;
    let mut first = None;
    for item in client
        .run(&run.id)
        .dataset()
        .iter_items::<Value>(&ItemsOptions::default(), PAGE_SIZE)
    {
        let item = item?;
        if first.is_none() {
            first = Some(item);
        }
        count += 1;
    }
    match &first {
        Some(first) => println!(
            "   read {} page by page ({PAGE_SIZE} per page), the first: {}",
            plural(count, "item"),
            show(first)
        ),
        None => println!("   read no items"),
    }
    match client.run(&run.id).key_value_store().get_record("OUTPUT")? {
        Some(output) => {
            let text = match (output.json::<Value>(), output.text()) {
                (Ok(value), _) => show(&value),
                (Err(_), Ok(text)) => show(&Value::String(text.to_string())),
                (Err(_), Err(_)) => format!("{} bytes", output.data.len()),
            };
            println!("   OUTPUT record ({}): {text}", output.content_type);
        }
        None => println!("   no OUTPUT record"),
    }
    Ok(())
}
