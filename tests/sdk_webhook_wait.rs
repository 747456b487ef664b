//! Waiting for a run by webhook against the emulator: the webhook wakes the wait (the run is
//! read once), a webhook that never comes falls back to long polling, a repeated delivery
//! counts once, and one receiver serves many threads.
#![cfg(feature = "emulator")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use apify::{CallOptions, Client, RunStatus, WaitOptions, WaitStrategy, WebhookWait};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{journal, setup, support};

fn by_webhook(hook: WebhookWait) -> CallOptions {
    CallOptions::default().wait(WaitOptions::default().strategy(WaitStrategy::Webhook(hook)))
}

/// The GETs of one run the emulator received.
fn run_gets(client: &Client, run_id: &str) -> usize {
    journal(client, "GET", &format!("/v2/actor-runs/{run_id}")).len()
}

#[test]
fn a_webhook_wakes_the_wait_and_the_run_is_read_once() {
    let (_emu, client) = setup();
    let began = Instant::now();
    let run = client
        .actor("emulator/generator")
        .call(
            &json!({"count": 5, "durationSecs": 3}),
            &by_webhook(WebhookWait::default()),
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert!(began.elapsed() >= Duration::from_secs(3));
    let gets = run_gets(&client, &run.id);
    assert!((1..=2).contains(&gets), "{gets} GETs of the run");
    // The webhook was delivered to the receiver and answered 200.
    let dispatches = support(&client, "GET", "/_emulator/webhook-dispatches", None);
    let text = dispatches.to_string();
    assert!(text.contains("libapify-webhook/"), "{text}");
    assert!(text.contains("200"), "{text}");
}

#[test]
fn a_webhook_that_never_comes_falls_back_to_long_polling() {
    let (_emu, client) = setup();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let hook = WebhookWait::default()
        .public_url(format!("http://127.0.0.1:{port}"))
        .fallback(Duration::from_secs(2));
    let began = Instant::now();
    let run = client
        .actor("emulator/generator")
        .call(&json!({"count": 3, "durationSecs": 3}), &by_webhook(hook))
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert!(began.elapsed() < Duration::from_secs(20));
}

/// A stand-in for a tunnel: takes each webhook POST and forwards it twice to `target`.
fn duplicating_forwarder(target: String) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        // One delivery is expected; stop after it (or after 30 s of nothing).
        listener.set_nonblocking(true).unwrap();
        let began = Instant::now();
        while began.elapsed() < Duration::from_secs(30) {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let request = read_request(&mut conn);
            for _ in 0..2 {
                let mut out = TcpStream::connect(&target).unwrap();
                out.write_all(&request).unwrap();
                let mut answer = Vec::new();
                let _ = out.read_to_end(&mut answer);
                assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
            }
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
    });
    (url, handle)
}

/// One whole request (head and Content-Length body).
fn read_request(conn: &mut TcpStream) -> Vec<u8> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).unwrap();
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if data.len() >= end + 4 + length || n == 0 {
                return data;
            }
        }
        if n == 0 {
            return data;
        }
    }
}

#[test]
fn a_repeated_delivery_counts_once() {
    let (_emu, client) = setup();
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = free.local_addr().unwrap().to_string();
    drop(free);
    let (public, forwarder) = duplicating_forwarder(listen.clone());
    let hook = WebhookWait::default().listen(listen).public_url(public);
    let run = client
        .actor("emulator/generator")
        .call(&json!({"count": 2, "durationSecs": 1}), &by_webhook(hook))
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    forwarder.join().unwrap();
    assert!(run_gets(&client, &run.id) <= 2);
}

#[test]
fn eight_threads_share_one_receiver_and_each_gets_its_own_run() {
    let (_emu, client) = setup();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || {
                client
                    .actor("emulator/generator")
                    .call(
                        &json!({"count": i + 1, "durationSecs": 1, "output": {"thread": i}}),
                        &by_webhook(WebhookWait::default()),
                    )
                    .unwrap()
            })
        })
        .collect();
    let runs: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut ids = std::collections::HashSet::new();
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run.status, RunStatus::Succeeded);
        assert!(ids.insert(run.id.clone()));
        let output = client
            .run(&run.id)
            .key_value_store()
            .get_record("OUTPUT")
            .unwrap()
            .unwrap();
        let output: Value = serde_json::from_slice(&output.data).unwrap();
        assert_eq!(output["thread"], i, "thread {i} got another thread's run");
    }
    // One receiver: every webhook went to the same address.
    let dispatches = support(&client, "GET", "/_emulator/webhook-dispatches", None);
    let urls: std::collections::HashSet<String> = dispatches["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["requestUrl"].as_str())
        .map(|u| u.split("/libapify-webhook/").next().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 1, "{urls:?}");
}

#[test]
fn a_bounded_webhook_wait_returns_the_running_run() {
    let (_emu, client) = setup();
    let options = CallOptions::default().wait(
        WaitOptions::with_budget(Duration::from_secs(1))
            .strategy(WaitStrategy::Webhook(WebhookWait::default())),
    );
    let run = client
        .actor("emulator/generator")
        .call(&json!({"durationSecs": 5}), &options)
        .unwrap();
    assert!(!run.status.is_terminal(), "{:?}", run.status);
}

#[test]
fn waiting_for_an_existing_run_by_webhook_creates_and_removes_a_run_webhook() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .start(&json!({"count": 3, "durationSecs": 2}), &Default::default())
        .unwrap();
    let options = WaitOptions::default().strategy(WaitStrategy::Webhook(WebhookWait::default()));
    let done = client.run(&run.id).wait(&options).unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    // The run's webhook fired (a dispatch for this run), and is gone afterwards.
    let dispatches = client
        .webhook_dispatches(&apify::ListOptions::default().limit(100))
        .unwrap();
    assert!(
        dispatches
            .items
            .iter()
            .any(|d| d["eventData"]["actorRunId"] == run.id.as_str()
                && d["eventType"] == "ACTOR.RUN.SUCCEEDED"),
        "{:?}",
        dispatches.items
    );
    assert_eq!(
        client
            .webhooks()
            .list(&apify::ListOptions::default().limit(100))
            .unwrap()
            .items
            .len(),
        0
    );
    // Two GETs at most: the first look, and the read after the webhook.
    assert!(run_gets(&client, &run.id) <= 2);
}

#[test]
fn waiting_for_a_finished_run_by_webhook_answers_at_once() {
    let (_emu, client) = setup();
    let run = client
        .actor("apify/hello-world")
        .call(&json!({}), &CallOptions::default())
        .unwrap();
    let hook = WebhookWait::default().fallback(Duration::from_secs(30));
    let began = Instant::now();
    let done = client
        .run(&run.id)
        .wait(&WaitOptions::default().strategy(WaitStrategy::Webhook(hook)))
        .unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(
        client
            .webhooks()
            .list(&apify::ListOptions::default().limit(10))
            .unwrap()
            .items
            .len(),
        0
    );
}
