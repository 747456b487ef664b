//! The SDK's test setup: an emulator and a client of it with short retry delays.
#![allow(dead_code)]

use std::time::Duration;

use apify::emulator::{Emulator, EmulatorConfig};
use apify::{Client, QueueRequest, RequestQueueClient};
use serde_json::Value;

/// An emulator with this configuration and a client of it.
pub fn setup_with(config: EmulatorConfig) -> (Emulator, Client) {
    let emu = Emulator::start(config).unwrap();
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .min_retry_delay(Duration::from_millis(20))
        // Tests talk to loopback only, whatever proxy the machine's environment names.
        .proxy(None)
        .build()
        .unwrap();
    (emu, client)
}

/// The default emulator and a client of it.
pub fn setup() -> (Emulator, Client) {
    setup_with(EmulatorConfig::default())
}

/// A plain request to the emulator's support API (not through the SDK's typed calls).
pub fn support(client: &Client, method: &str, path: &str, body: Option<Value>) -> Value {
    client.request(method, path, &[], body.as_ref()).unwrap()
}

/// Adds a fault (`{"method", "path", "times", "action"}`) through `/_emulator/faults`.
pub fn add_fault(client: &Client, fault: Value) {
    support(client, "POST", "/_emulator/faults", Some(fault));
}

/// The journal's entries for `method` requests (`""`: any method) matching the glob `path`.
pub fn journal(client: &Client, method: &str, path: &str) -> Vec<Value> {
    let filter = match method {
        "" => format!("path={path}"),
        m => format!("method={m}&path={path}"),
    };
    let found = support(
        client,
        "GET",
        &format!("/_emulator/requests?{filter}"),
        None,
    );
    found["data"].as_array().unwrap().clone()
}

/// A new unnamed request queue and a client of it.
pub fn new_queue(client: &Client) -> RequestQueueClient {
    let q = client.get_or_create_request_queue(None).unwrap();
    client.request_queue(&q.id)
}

/// `n` requests for `https://example.com/{prefix}/{i}`.
pub fn requests(prefix: &str, n: usize) -> Vec<QueueRequest> {
    (0..n)
        .map(|i| QueueRequest::new(format!("https://example.com/{prefix}/{i}")))
        .collect()
}
