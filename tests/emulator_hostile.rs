//! The emulator against clients that try to make it eat the machine: heads with thousands of
//! headers (the journal stays small), items nested too deep to reshape (refused when pushed), and
//! large exports in every format (written as produced, so memory stays flat). Memory is the
//! emulator binary's own (a child process, `/proc/PID/status`), so the test's allocations do not
//! count.
#![cfg(all(feature = "emulator", target_os = "linux"))]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::child::ChildGuard;
use common::Api;
use serde_json::json;

/// The emulator binary as a child, and a client for it.
struct Server {
    child: ChildGuard,
    api: Api,
}

impl Server {
    fn start() -> Server {
        let mut child = ChildGuard::spawn(
            Command::new(env!("CARGO_BIN_EXE_apify-emulator"))
                .args(["--listen", "127.0.0.1:0", "--token", "hostile-token"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = lines.next().unwrap().unwrap();
        let base = base
            .strip_prefix("APIFY_API_BASE_URL=")
            .unwrap()
            .to_string();
        let api = Api::connect(&base, "hostile-token");
        Server { child, api }
    }

    /// The emulator's resident memory in bytes.
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kb * 1024
    }

    /// Samples the RSS every 10 ms while `f` runs; returns the highest seen.
    fn peak_rss_during(&self, f: impl FnOnce()) -> u64 {
        let pid = self.child.id();
        let peak = Arc::new(AtomicU64::new(self.rss()));
        let done = Arc::new(AtomicBool::new(false));
        let (peak2, done2) = (peak.clone(), done.clone());
        let sampler = std::thread::spawn(move || {
            while !done2.load(Ordering::SeqCst) {
                if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                    if let Some(kb) = s
                        .lines()
                        .find_map(|l| l.strip_prefix("VmRSS:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                    {
                        peak2.fetch_max(kb * 1024, Ordering::SeqCst);
                    }
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        f();
        done.store(true, Ordering::SeqCst);
        sampler.join().unwrap();
        peak.load(Ordering::SeqCst)
    }
}

const MB: u64 = 1024 * 1024;

/// Reads one answer from a kept-alive connection: the status and the body's length.
fn read_answer(r: &mut BufReader<TcpStream>) -> (u16, usize) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut len = 0;
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (status, len)
}

#[test]
fn thousands_of_headers_per_request_do_not_grow_the_journal() {
    let server = Server::start();
    server.api.get("/v2/users/me").expect(200);
    let before = server.rss();
    // 4,000 headers of 13 bytes: within the default 64 KiB head.
    let mut head = String::from(
        "GET /v2/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hostile-token\r\n",
    );
    for i in 0..4000 {
        head.push_str(&format!("x-h{i:04}: vv\r\n"));
    }
    head.push_str("\r\n");
    let stream = TcpStream::connect(server.api.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    for _ in 0..2000 {
        writer.write_all(head.as_bytes()).unwrap();
        let (status, _) = read_answer(&mut reader);
        assert_eq!(status, 200);
    }
    let after = server.rss();
    let started = Instant::now();
    let all = server.api.get("/_emulator/requests").expect(200).json();
    let read_in = started.elapsed();
    let page = server
        .api
        .get("/_emulator/requests?offset=1990&limit=5")
        .expect(200)
        .json();
    println!(
        "journal: RSS {} MB -> {} MB after 2,000 requests of 4,000 headers; journal {} entries, {} KB; whole read in {:?}",
        before / MB,
        after / MB,
        all["total"],
        all["bytes"].as_u64().unwrap() / 1024,
        read_in
    );
    assert!(
        after.saturating_sub(before) <= 256 * MB,
        "RSS grew by {} MB",
        (after - before) / MB
    );
    assert_eq!(all["total"], 2001);
    let entries = all["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2001);
    let last = &entries[2000];
    assert_eq!(last["headers"].as_object().unwrap().len(), 32);
    assert_eq!(last["droppedHeaders"], 4002 - 32);
    assert_eq!(last["headers"]["authorization"], "Bearer ***");
    assert_eq!(page["total"], 2001);
    assert_eq!(page["count"], 5);
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    assert_eq!(page["data"][0]["atMillis"], entries[1990]["atMillis"]);
}

#[test]
fn items_too_deep_to_reshape_are_refused_naming_the_depth() {
    let api = Api::start();
    let id = api
        .post_json("/v2/datasets?name=deep", &json!({}))
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let nested = |depth: usize| {
        // An object, then arrays: `{"a":[[...]]}` is `depth` levels.
        format!(
            "{{\"a\":{}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    let push = |body: String| {
        api.request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
    };
    push(format!("[{{\"ok\":1}},{}]", nested(100))).expect(201);
    for depth in [101, 1_000_000] {
        let r = push(format!("[{{\"ok\":1}},{}]", nested(depth))).expect(400);
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            message.contains(&format!("index 1 is nested {depth} levels"))
                && message.contains("100"),
            "{message}"
        );
    }
    let one = push(nested(101)).expect(400);
    assert!(
        one.text().contains("index 0 is nested 101 levels"),
        "{}",
        one.text()
    );
    // Nothing of a refused push is stored; what is stored is served in every view.
    let items = api
        .get(&format!("/v2/datasets/{id}/items"))
        .expect(200)
        .json();
    assert_eq!(items.as_array().unwrap().len(), 2);
    let get = |q: &str| {
        api.get(&format!("/v2/datasets/{id}/items?{q}"))
            .expect(200)
            .text()
    };
    for q in [
        "fields=a",
        "omit=ok",
        "flatten=a",
        "unwind=a",
        "skipHidden=1",
    ] {
        let rows: serde_json::Value = serde_json::from_str(&get(q)).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), 2, "{q}: {rows}");
    }
    assert_eq!(
        get("format=csv").lines().count(),
        3,
        "a header and two rows"
    );
    assert_eq!(get("format=html").matches("<tr>").count(), 3);
    assert_eq!(get("format=xml").matches("<item>").count(), 2);
    assert_eq!(get("format=rss").matches("<item>").count(), 2);
}

/// Items for the export test: `APIFY_EXPORT_ITEMS`, default 150,000 (about 20 MB of JSON).
fn export_items() -> usize {
    std::env::var("APIFY_EXPORT_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150_000)
}

#[test]
fn large_exports_in_every_format_keep_memory_flat() {
    let server = Server::start();
    let api = &server.api;
    let id = api
        .post_json("/v2/datasets?name=big", &json!({}))
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = export_items();
    let batch = 20_000;
    for start in (0..n).step_by(batch) {
        let items: Vec<serde_json::Value> = (start..(start + batch).min(n))
            .map(|i| json!({"i": i, "name": format!("item {i} & <more>"), "nested": {"x": i % 7, "y": [1, 2]}, "pad": "p".repeat(60)}))
            .collect();
        api.request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[("Content-Type", "application/json")],
            Some(serde_json::to_vec(&items).unwrap().as_slice()),
        )
        .expect(201);
    }
    // Settle after the pushes, then read each format while sampling the emulator's memory; two
    // readers at once, each reading the answer a buffer at a time and dropping it.
    let base = server.rss();
    for format in ["json", "jsonl", "csv", "html", "xml", "rss"] {
        let url = format!(
            "http://{}/v2/datasets/{id}/items?format={format}",
            api.addr()
        );
        let mut sizes = Vec::new();
        let peak = server.peak_rss_during(|| {
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let url = url.clone();
                    std::thread::spawn(move || {
                        let mut r = ureq::get(&url)
                            .header("Authorization", "Bearer hostile-token")
                            .call()
                            .unwrap();
                        let mut body = r.body_mut().with_config().limit(u64::MAX).reader();
                        let mut buf = vec![0; 1 << 16];
                        let mut total = 0u64;
                        loop {
                            let k = body.read(&mut buf).unwrap();
                            if k == 0 {
                                break;
                            }
                            total += k as u64;
                        }
                        total
                    })
                })
                .collect();
            sizes = readers.into_iter().map(|h| h.join().unwrap()).collect();
        });
        println!(
            "export {format}: {n} items, {} MB each, RSS {} MB -> peak {} MB",
            sizes[0] / MB,
            base / MB,
            peak / MB
        );
        assert_eq!(sizes[0], sizes[1]);
        assert!(sizes[0] > n as u64 * 60, "{format}: {} bytes", sizes[0]);
        // The answers are far larger than this bound; a read built whole would cross it.
        assert!(
            peak.saturating_sub(base) <= 64 * MB,
            "{format}: RSS grew by {} MB while exporting {} MB twice",
            (peak - base) / MB,
            sizes[0] / MB
        );
    }
}
