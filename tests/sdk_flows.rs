//! The Rust SDK against the in-process emulator: sync and async flows, waits, retries,
//! pagination, keys, errors, proxies (run starts: tests/sdk_starts.rs).
#![cfg(feature = "emulator")]
// As in the library: errors are cold, and a struct variant reads better than a boxed one.
#![allow(clippy::result_large_err)]

use std::time::{Duration, Instant};

use apify::emulator::EmulatorConfig;
use apify::{
    CallOptions, Client, Error, ItemsOptions, KeysOptions, RunStatus, RunsOptions, StartOptions,
    WaitOptions, WaitStrategy,
};
use serde_json::{json, Value};

#[path = "common/receiver.rs"]
mod receiver;
#[path = "common/sdk.rs"]
mod sdk;
use receiver::Receiver;
use sdk::{journal, setup, setup_with, support};

#[test]
fn sync_run_returns_output_record_and_items() {
    let (_emu, client) = setup();
    let actor = client.actor("apify/hello-world");
    let rec = actor
        .run_sync(&json!({"message": "sync"}), &StartOptions::default(), None)
        .unwrap();
    assert!(rec.content_type.starts_with("application/json"));
    assert_eq!(rec.json::<Value>().unwrap(), json!({"message": "sync"}));
    let items: Vec<Value> = client
        .actor("emulator~generator")
        .run_sync_get_items(
            &json!({"count": 6, "emptyEvery": 3, "hidden": true}),
            &StartOptions::default(),
            &ItemsOptions::default().clean(true),
        )
        .unwrap();
    let indexes: Vec<u64> = items.iter().map(|i| i["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, [0, 1, 3, 4]);
    assert!(items.iter().all(|i| i.get("#debug").is_none()));
    let text = client
        .actor("emulator/generator")
        .run_sync(
            &json!({"outputText": "plain", "outputContentType": "text/x-custom", "count": 0}),
            &StartOptions::default(),
            None,
        )
        .unwrap();
    assert_eq!(text.content_type, "text/x-custom");
    assert_eq!(text.text().unwrap(), "plain");
}

#[test]
fn failed_sync_run_carries_the_run_id_and_status() {
    let (_emu, client) = setup();
    let err = client
        .actor("emulator/generator")
        .run_sync(
            &json!({"outcome": "FAILED"}),
            &StartOptions::default(),
            None,
        )
        .unwrap_err();
    match err {
        Error::RunFailed {
            run_id,
            status,
            api,
            ..
        } => {
            assert_eq!(status.as_deref(), Some("FAILED"));
            let api = api.expect("the API error behind it");
            assert_eq!((api.status, api.kind.as_str()), (400, "run-failed"));
            let run = client.run(&run_id.unwrap()).get().unwrap().unwrap();
            assert_eq!(run.status, RunStatus::Failed);
        }
        other => panic!("expected RunFailed, got {other:?}"),
    }
}

#[test]
fn sync_timeout_is_a_distinct_error_and_the_run_goes_on() {
    let (_emu, client) = setup_with(EmulatorConfig {
        sync_timeout: Duration::from_millis(300),
        ..EmulatorConfig::default()
    });
    let actor = client.actor("emulator/generator");
    let err = actor
        .run_sync(
            &json!({"durationSecs": 1.5, "count": 2}),
            &StartOptions::default(),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, Error::SyncRunTimeout { .. }), "{err:?}");
    assert!(err.to_string().contains("start the run"), "{err}");
    let last = actor.last_run(None).unwrap().unwrap();
    let run = client.run(&last.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
}

#[test]
fn async_flow_start_wait_iterate_and_read_output() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .start(
            &json!({"count": 30, "durationSecs": 0.5}),
            &StartOptions::default(),
        )
        .unwrap();
    assert!(!run.status.is_terminal());
    let done = client.run(&run.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert!(done.finished_at.is_some());
    let items: Vec<Value> = client
        .run(&run.id)
        .dataset()
        .iter_items(&ItemsOptions::default(), 7)
        .collect::<Result<_, _>>()
        .unwrap();
    let indexes: Vec<u64> = items.iter().map(|i| i["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, (0..30).collect::<Vec<_>>());
    let out = client
        .run(&run.id)
        .key_value_store()
        .get_record("OUTPUT")
        .unwrap()
        .unwrap();
    assert_eq!(out.json::<Value>().unwrap(), json!({"count": 30}));
    assert!(client.run(&run.id).log().unwrap().contains("log line 0"));
}

#[test]
fn start_options_reach_the_run() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .start(
            &json!({"count": 5}),
            &StartOptions::default()
                .memory_mbytes(256)
                .timeout(Duration::from_secs(77))
                .max_items(3)
                .wait_for_finish(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.options["memoryMbytes"], 256);
    assert_eq!(run.options["timeoutSecs"], 77);
    assert_eq!(run.options["maxItems"], 3);
    let page = client
        .dataset(&run.default_dataset_id)
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap();
    assert_eq!(page.items.len(), 3);
}

#[test]
fn failed_timed_out_and_aborted_runs() {
    let (_emu, client) = setup();
    let gen = client.actor("emulator/generator");
    let failed = gen
        .call(&json!({"outcome": "FAILED"}), &CallOptions::default())
        .unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(failed.exit_code, Some(1));
    let timed_out = gen
        .call(
            &json!({"durationSecs": 30}),
            &CallOptions::default().start(StartOptions::default().timeout(Duration::from_secs(1))),
        )
        .unwrap();
    assert_eq!(timed_out.status, RunStatus::TimedOut);
    let running = gen
        .start(&json!({"durationSecs": 30}), &StartOptions::default())
        .unwrap();
    let aborted = client.run(&running.id).abort(false).unwrap();
    assert_eq!(aborted.status, RunStatus::Aborted);
    // Reruns on failure: every attempt is a new run.
    let before = gen.runs(&RunsOptions::default().limit(1000)).unwrap().total;
    let last = gen
        .call(
            &json!({"outcome": "FAILED"}),
            &CallOptions::default().reruns_on_failure(2),
        )
        .unwrap();
    assert_eq!(last.status, RunStatus::Failed);
    assert_eq!(
        gen.runs(&RunsOptions::default().limit(1000)).unwrap().total,
        before + 3
    );
}

#[test]
fn bounded_wait_returns_the_running_run() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .start(&json!({"durationSecs": 30}), &StartOptions::default())
        .unwrap();
    for strategy in [
        WaitStrategy::default(),
        WaitStrategy::Poll {
            interval: Duration::from_millis(100),
        },
    ] {
        let waited = client
            .run(&run.id)
            .wait(
                &WaitOptions::default()
                    .budget(Duration::from_millis(1200))
                    .strategy(strategy),
            )
            .unwrap();
        assert_eq!(waited.status, RunStatus::Running);
    }
    client.run(&run.id).abort(false).unwrap();
}

#[test]
fn not_found_grace_ends() {
    let (_emu, client) = setup();
    let t = Instant::now();
    let err = client
        .run("NoSuchRun12345678")
        .wait(&WaitOptions::default().not_found_grace(Duration::from_millis(600)))
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(t.elapsed() >= Duration::from_millis(600));
    assert!(client.run("NoSuchRun12345678").get().unwrap().is_none());
}

#[test]
fn wrong_token_and_bad_input_give_clear_errors() {
    let (emu, client) = setup();
    let wrong = Client::builder()
        .base_url(emu.base_url())
        .token("wrong-token")
        .build()
        .unwrap();
    let err = wrong
        .actor("apify/hello-world")
        .start(&json!({}), &StartOptions::default())
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!((api.status, api.kind.as_str()), (401, "invalid-token"));
    assert_eq!(api.method, "POST");
    assert!(api.path.contains("/runs"));
    // Refused before any request: the journal stays empty.
    support(&client, "DELETE", "/_emulator/requests", None);
    let bad = [
        client
            .actor("")
            .start(&json!({}), &StartOptions::default())
            .unwrap_err(),
        client
            .actor("apify/hello-world")
            .start(&json!([1]), &StartOptions::default())
            .unwrap_err(),
        client
            .key_value_store("x")
            .get_record("bad key")
            .unwrap_err(),
        client
            .actor("apify/hello-world")
            .start(&json!({}), &StartOptions::default().memory_mbytes(100))
            .unwrap_err(),
    ];
    for e in bad {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    let journal = support(&client, "GET", "/_emulator/requests", None);
    assert_eq!(journal["data"].as_array().unwrap().len(), 0, "{journal}");
}

#[test]
fn retries_429_and_5xx_with_backoff_visible_in_the_journal() {
    let (_emu, client) = setup();
    let ds = client.request("POST", "/v2/datasets", &[], None).unwrap();
    let id = ds["data"]["id"].as_str().unwrap().to_string();
    let path = format!("/v2/datasets/{id}/items");
    support(
        &client,
        "POST",
        "/_emulator/faults",
        Some(
            json!({"method": "GET", "path": path, "times": 2, "action": {"kind": "status", "status": 429}}),
        ),
    );
    support(
        &client,
        "POST",
        "/_emulator/faults",
        Some(
            json!({"method": "GET", "path": path, "times": 2, "action": {"kind": "status", "status": 503}}),
        ),
    );
    let page = client
        .dataset(&id)
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap();
    assert!(page.items.is_empty());
    let entries = journal(&client, "", &path);
    let statuses: Vec<u64> = entries
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [429, 429, 503, 503, 200]);
    let at: Vec<u64> = entries
        .iter()
        .map(|e| e["atMillis"].as_u64().unwrap())
        .collect();
    // Each delay is at least the minimal delay doubled per attempt (20, 40, 80, 160 ms).
    for (i, pair) in at.windows(2).enumerate() {
        assert!(pair[1] - pair[0] >= 20 << i, "gap {i}: {at:?}");
    }
}

#[test]
fn pagination_sees_every_item_once_with_and_without_filters() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .call(
            &json!({"count": 1000, "emptyEvery": 4, "hidden": true}),
            &CallOptions::default(),
        )
        .unwrap();
    let ds = client.dataset(&run.default_dataset_id);
    let all: Vec<Value> = ds
        .iter_items(&ItemsOptions::default(), 97)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 1000);
    for options in [
        ItemsOptions::default().clean(true),
        ItemsOptions::default().skip_empty(true),
    ] {
        let items: Vec<Value> = ds
            .iter_items(&options, 33)
            .collect::<Result<_, _>>()
            .unwrap();
        let indexes: Vec<u64> = items.iter().map(|i| i["index"].as_u64().unwrap()).collect();
        let expected: Vec<u64> = (0..1000).filter(|i| (i + 1) % 4 != 0).collect();
        assert_eq!(indexes, expected);
    }
    // Raw items keep their own text.
    let raw: Vec<apify::RawItem> = ds
        .iter_items(&ItemsOptions::default().limit(2), 1)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        raw[0].get(),
        r##"{"index":0,"text":"","#debug":{"index":0}}"##
    );
    assert_eq!(raw.len(), 2);
}

#[test]
fn more_than_1000_keys_with_prefix() {
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .call(
            &json!({"count": 0, "records": 2500}),
            &CallOptions::default(),
        )
        .unwrap();
    let kvs = client.key_value_store(&run.default_key_value_store_id);
    let keys: Vec<String> = kvs
        .iter_keys(&KeysOptions::default())
        .map(|k| k.map(|k| k.key))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys.len(), 2502); // + INPUT and OUTPUT
    let records: Vec<&String> = keys.iter().filter(|k| k.starts_with("record-")).collect();
    assert_eq!(records.len(), 2500);
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    let prefixed = kvs
        .iter_keys(&KeysOptions::default().prefix("record-01").limit(7))
        .count();
    assert_eq!(prefixed, 1000);
}

#[test]
fn records_and_pushes_round_trip() {
    let (_emu, client) = setup();
    let kvs_id = client
        .request("POST", "/v2/key-value-stores", &[], None)
        .unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let kvs = client.key_value_store(&kvs_id);
    kvs.set_record("bin", &[0, 159, 146, 150], "application/x-thing")
        .unwrap();
    kvs.set_json("j", &json!({"a": [1, 2]})).unwrap();
    kvs.set_text("t", &"long text ".repeat(500)).unwrap();
    let bin = kvs.get_record("bin").unwrap().unwrap();
    assert_eq!(
        (bin.data.as_slice(), bin.content_type.as_str()),
        (&[0u8, 159, 146, 150][..], "application/x-thing")
    );
    assert_eq!(
        kvs.get_record("j")
            .unwrap()
            .unwrap()
            .json::<Value>()
            .unwrap(),
        json!({"a": [1, 2]})
    );
    assert_eq!(
        kvs.get_record("t").unwrap().unwrap().text().unwrap().len(),
        5000
    );
    assert!(kvs.record_exists("t").unwrap());
    kvs.delete_record("t").unwrap();
    kvs.delete_record("t").unwrap(); // a missing record is fine
    let err = client
        .key_value_store("NoSuchStore123456")
        .delete_record("t")
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(!kvs.record_exists("t").unwrap());
    assert!(kvs.get_record("t").unwrap().is_none());

    let ds_id = client.request("POST", "/v2/datasets", &[], None).unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ds = client.dataset(&ds_id);
    // About 20 MB of items: split into several requests under the limit.
    let big = "z".repeat(10_000);
    let items: Vec<Value> = (0..2000).map(|i| json!({"i": i, "big": big})).collect();
    ds.push_items(&items).unwrap();
    assert_eq!(ds.get().unwrap().unwrap()["itemCount"], 2000);
    let err = ds
        .push_items(&[json!({"huge": "q".repeat(9_500_000)})])
        .unwrap_err();
    assert!(err.to_string().contains("item 0"), "{err}");
    let err = ds.push_items(&[json!(1)]).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)));
    let mut csv = String::new();
    std::io::Read::read_to_string(
        &mut ds
            .export("csv", &ItemsOptions::default().limit(2).fields(["i"]))
            .unwrap(),
        &mut csv,
    )
    .unwrap();
    assert_eq!(csv.trim_start_matches('\u{feff}'), "i\n0\n1\n");
}

#[test]
fn tasks_run_with_merged_input() {
    let (_emu, client) = setup();
    let task = client
        .request(
            "POST",
            "/v2/actor-tasks",
            &[],
            Some(&json!({"actId": "apify/hello-world", "name": "greeter", "input": {"message": "from task"}})),
        )
        .unwrap();
    assert_eq!(task["data"]["name"], "greeter");
    let t = client.task("emulator~greeter");
    let rec = t.run_sync(&(), &StartOptions::default(), None).unwrap();
    assert_eq!(rec.json::<Value>().unwrap()["message"], "from task");
    let run = t
        .call(&json!({"message": "override"}), &CallOptions::default())
        .unwrap();
    assert!(run.actor_task_id.is_some());
    let out = client
        .run(&run.id)
        .key_value_store()
        .get_record("OUTPUT")
        .unwrap()
        .unwrap();
    assert_eq!(out.json::<Value>().unwrap()["message"], "override");
}

#[test]
fn the_token_never_leaks() {
    let token = "SUPER-SECRET-TOKEN-42";
    let (emu, client) = setup_with(EmulatorConfig {
        tokens: vec![token.into()],
        ..EmulatorConfig::default()
    });
    let _ = emu;
    client
        .actor("apify/hello-world")
        .run_sync(&json!({}), &StartOptions::default(), None)
        .unwrap();
    let err = client
        .dataset("nope")
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap_err();
    assert!(!err.to_string().contains(token));
    assert!(!format!("{err:?}").contains(token));
    assert!(!format!("{client:?}").contains(token));
    let journal = support(&client, "GET", "/_emulator/requests", None);
    for e in journal["data"].as_array().unwrap() {
        assert!(!e["query"].as_str().unwrap().contains(token), "{e}");
        assert!(!e["path"].as_str().unwrap().contains(token), "{e}");
    }
}

#[test]
fn transport_faults_on_reads_are_retried() {
    let (_emu, client) = setup();
    for kind in ["reset", "truncate"] {
        support(
            &client,
            "POST",
            "/_emulator/faults",
            Some(
                json!({"method": "GET", "path": "/v2/actors/*", "times": 2, "action": {"kind": kind}}),
            ),
        );
        let actor = client.actor("apify/hello-world").get().unwrap().unwrap();
        assert_eq!(actor["name"], "hello-world", "{kind}");
    }
}

#[test]
fn client_timeout_is_a_timeout_error() {
    let (emu, _) = setup();
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .timeout(Duration::from_millis(300))
        .max_retries(1)
        .min_retry_delay(Duration::from_millis(10))
        .build()
        .unwrap();
    support(
        &client,
        "POST",
        "/_emulator/faults",
        Some(
            json!({"method": "GET", "path": "/v2/users/me", "times": 2, "action": {"kind": "delay", "ms": 1500}}),
        ),
    );
    let err = client
        .request("GET", "/v2/users/me", &[], None)
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { attempt: 2, .. }), "{err:?}");
}

#[test]
fn graceful_abort_resurrect_and_webhooks_through_the_sdk() {
    let (_emu, client) = setup();
    let receiver = Receiver::start(Vec::new());
    let url = receiver.url.clone();
    let gen = client.actor("emulator/generator");
    let run = gen
        .start(
            &json!({"durationSecs": 30}),
            &StartOptions::default()
                .webhook(apify::Webhook::new(["ACTOR.RUN.ABORTED"], url).idempotency_key("key-1")),
        )
        .unwrap();
    let aborting = client.run(&run.id).abort(true).unwrap();
    assert!(matches!(
        aborting.status,
        RunStatus::Aborting | RunStatus::Aborted
    ));
    let aborted = client.run(&run.id).wait(&WaitOptions::default()).unwrap();
    assert_eq!(aborted.status, RunStatus::Aborted);
    let delivered = receiver.wait_for(1, Duration::ZERO);
    assert_eq!(
        delivered[0].header("x-apify-webhook-idempotency-key"),
        Some("key-1"),
        "{delivered:?}"
    );
    assert!(String::from_utf8_lossy(&delivered[0].body).contains(&run.id));
    let again = client.run(&run.id).resurrect().unwrap();
    assert!(!again.status.is_terminal());
    assert_eq!(again.default_dataset_id, run.default_dataset_id);
    client.run(&run.id).abort(false).unwrap();
}

/// A CONNECT proxy on loopback (what ureq speaks to a proxy) that records each request line and
/// tunnels to the requested address, which must be on loopback. It stops by itself after 60 s.
struct RecordingProxy {
    port: u16,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RecordingProxy {
    fn start() -> RecordingProxy {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = lines.clone();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(60);
            while Instant::now() < end {
                let Ok((mut client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                client
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut head = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push(line.trim_end().to_string());
                }
                let Some(first) = head.first().cloned() else {
                    continue;
                };
                seen.lock().unwrap().push(first.clone());
                let target = first.split(' ').nth(1).unwrap_or("").to_string();
                let loopback = target.starts_with("127.0.0.1:") || target.starts_with("localhost:");
                if !first.starts_with("CONNECT ") || !loopback {
                    let _ =
                        client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
                    continue;
                }
                let upstream = std::net::TcpStream::connect(&target).unwrap();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
                let mut down_write = client;
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut reader, &mut up_write);
                    let _ = up_write.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_read, &mut down_write);
                    let _ = down_write.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        RecordingProxy { port, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

#[test]
fn an_explicit_proxy_carries_the_requests() {
    let (emu, _) = setup();
    let proxy = RecordingProxy::start();
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.token())
        .proxy(Some(&format!("http://127.0.0.1:{}", proxy.port)))
        .build()
        .unwrap();
    let me = client.request("GET", "/v2/users/me", &[], None).unwrap();
    assert_eq!(me["data"]["username"], "emulator");
    let lines = proxy.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0], format!("CONNECT {} HTTP/1.1", emu.local_addr()));
    let err = Client::builder()
        .proxy(Some("::not a url::"))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

/// The child half of [`proxies_come_from_the_environment`].
#[test]
#[ignore = "run by proxies_come_from_the_environment in a child process"]
fn proxy_env_child() {
    let (Ok(base), Ok(token)) = (
        std::env::var("CHILD_BASE_URL"),
        std::env::var("CHILD_TOKEN"),
    ) else {
        return;
    };
    let client = Client::builder()
        .base_url(base)
        .token(token)
        .build()
        .unwrap();
    client.request("GET", "/v2/users/me", &[], None).unwrap();
}

#[test]
fn proxies_come_from_the_environment() {
    let (emu, _) = setup();
    let proxy = RecordingProxy::start();
    let run_child = |no_proxy: &str| {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "proxy_env_child",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env("CHILD_BASE_URL", emu.base_url())
            .env("CHILD_TOKEN", emu.token())
            .env("HTTP_PROXY", format!("http://127.0.0.1:{}", proxy.port))
            .env("NO_PROXY", no_proxy)
            .env_remove("http_proxy")
            .env_remove("no_proxy")
            .env_remove("ALL_PROXY")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}"
        );
    };
    run_child("");
    assert_eq!(proxy.lines().len(), 1, "HTTP_PROXY was not used");
    run_child("127.0.0.1");
    assert_eq!(proxy.lines().len(), 1, "NO_PROXY was not honoured");
}

#[test]
fn root_certificates_must_be_pem() {
    let err = Client::builder()
        .add_root_certificate_pem(b"not a certificate".to_vec())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("PEM"), "{err}");
}

#[test]
fn option_setters_chain() {
    let start = StartOptions::default()
        .build("latest")
        .memory_mbytes(512)
        .timeout(Duration::from_secs(9))
        .max_items(3)
        .restart_on_error(false);
    assert_eq!(start.build.as_deref(), Some("latest"));
    assert_eq!(start.memory_mbytes, Some(512));
    let items = ItemsOptions::default()
        .fields(["a", "b"])
        .clean(true)
        .limit(5);
    assert_eq!(items.fields, ["a", "b"]);
    assert!(items.clean);
    let keys = KeysOptions::default().prefix("record-").limit(10);
    assert_eq!(keys.prefix.as_deref(), Some("record-"));
    let wait = WaitOptions::default().budget(Duration::from_secs(1));
    assert_eq!(wait.budget, Some(Duration::from_secs(1)));
    let (_emu, client) = setup();
    let run = client
        .actor("emulator/generator")
        .call(&json!({"count": 5}), &CallOptions::default().start(start))
        .unwrap();
    assert_eq!(run.options["memoryMbytes"], 512);
    let got: Vec<Value> = client
        .run(&run.id)
        .dataset()
        .list_items(&items)
        .unwrap()
        .items;
    assert_eq!(got.len(), 3);
}

#[test]
fn iteration_does_not_trust_a_stale_total() {
    let (_emu, client) = setup_with(EmulatorConfig {
        total_refresh: Some(Duration::from_secs(3600)),
        ..EmulatorConfig::default()
    });
    let id = client.request("POST", "/v2/datasets", &[], None).unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ds = client.dataset(&id);
    let first: Vec<Value> = (0..10).map(|i| json!({"i": i})).collect();
    ds.push_items(&first).unwrap();
    // The first read fixes Total at 10 for the next hour.
    assert_eq!(
        ds.list_items::<Value>(&ItemsOptions::default())
            .unwrap()
            .total,
        10
    );
    let more: Vec<Value> = (10..35).map(|i| json!({"i": i})).collect();
    ds.push_items(&more).unwrap();
    let page = ds
        .list_items::<Value>(&ItemsOptions::default().limit(5))
        .unwrap();
    assert_eq!(page.total, 10, "the emulator reports a stale Total");
    let seen: Vec<u64> = ds
        .iter_items::<Value>(&ItemsOptions::default(), 4)
        .map(|i| i.unwrap()["i"].as_u64().unwrap())
        .collect();
    assert_eq!(seen, (0..35).collect::<Vec<_>>());
}
