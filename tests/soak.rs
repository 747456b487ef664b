//! Soak: a whole dataset read through the C ABI (`tests/c/soak_read.c`, the read-ahead iterator
//! with fixed pages) while the emulator answers 20 % of the items requests, at random but from a
//! fixed seed, with 503, 429, a reset connection or a truncated body (5 % each). The read must
//! come out byte-exact: the same number of items and the same FNV-1a hash of their text as
//! pushed. It prints the items, the faults injected (from the journal), the client's retries and
//! the wall time.
//!
//! 100,000 items by default (a few seconds); `APIFY_SOAK=1` reads 1,000,000 (or
//! `APIFY_SOAK_ITEMS=N`). Run with `--nocapture` to see the numbers.
#![cfg(all(feature = "emulator", target_os = "linux"))]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::artifacts::shared_library;
use common::child::ChildGuard;
use common::Api;
use serde_json::json;

fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(1_099_511_628_211);
    }
    h
}

fn items_wanted() -> usize {
    if let Some(n) = std::env::var("APIFY_SOAK_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if std::env::var("APIFY_SOAK").is_ok_and(|v| v == "1") {
        1_000_000
    } else {
        100_000
    }
}

/// Builds `tests/c/soak_read.c` against the `libapify.so` of this test run.
fn build_reader() -> std::path::PathBuf {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let so = shared_library();
    let so_dir = so.parent().unwrap();
    let exe_dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("c-tests")
        .join("soak");
    std::fs::create_dir_all(&exe_dir).unwrap();
    let exe = exe_dir.join("soak_read");
    let out = Command::new("cc")
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            "-O2",
        ])
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("tests/c/soak_read.c"))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", so_dir.display()))
        .arg(format!("-Wl,-rpath,{}", so_dir.display()))
        .args(["-lapify", "-pthread"])
        .output()
        .expect("a C compiler (cc) is needed");
    assert!(
        out.status.success(),
        "soak_read.c does not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[test]
fn a_large_read_through_the_c_abi_survives_20_percent_faults_byte_exact() {
    let n = items_wanted();
    let chunk = (n / 1000).clamp(100, 1000);
    let exe = build_reader();
    let api = Api::start();
    let id = api
        .post_json("/v2/datasets?name=soak", &json!({}))
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Pushed as compact text, which the emulator stores and serves as is.
    let mut expected = 14_695_981_039_346_656_037u64;
    let batch = 50_000;
    for start in (0..n).step_by(batch) {
        let mut body = String::from("[");
        for i in start..(start + batch).min(n) {
            let item = format!(
                r#"{{"i":{i},"name":"item-{i}","tags":["a","b"],"v":{}}}"#,
                i % 97
            );
            expected = fnv1a(expected, item.as_bytes());
            expected = fnv1a(expected, b"\n");
            if i > start {
                body.push(',');
            }
            body.push_str(&item);
        }
        body.push(']');
        api.request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
        .expect(201);
    }
    api.delete("/_emulator/requests").expect(204);
    // 5 % each: every fault draws only when the ones before it missed.
    let items_path = "/v2/datasets/*/items";
    for (i, action) in [
        json!({"kind": "status", "status": 503}),
        json!({"kind": "status", "status": 429}),
        json!({"kind": "reset"}),
        json!({"kind": "truncate"}),
    ]
    .into_iter()
    .enumerate()
    {
        let p = 0.05 / (1.0 - 0.05 * i as f64);
        api.post_json(
            "/_emulator/faults",
            &json!({"method": "GET", "path": items_path, "probability": p,
                    "seed": 1000 + i, "action": action}),
        )
        .expect(201);
    }
    let started = Instant::now();
    let mut child = ChildGuard::spawn(
        Command::new(&exe)
            .args([id.as_str(), &chunk.to_string()])
            .env("APIFY_API_BASE_URL", api.base.as_str())
            .env("APIFY_TOKEN", api.token.as_str())
            .env_remove("APIFY_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let (status, stdout, stderr) = child.finish(
        started + Duration::from_secs(600),
        "the soak read did not end in 600 s",
    );
    let wall = started.elapsed();
    assert!(status.success(), "soak_read failed: {stderr}{stdout}");
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let [_, count, _, hash, _, retries] = fields[..] else {
        panic!("unexpected output: {stdout}");
    };
    let journal = |q: &str| {
        api.get(&format!("/_emulator/requests?limit=0&path={items_path}{q}"))
            .expect(200)
            .json()["total"]
            .as_u64()
            .unwrap()
    };
    let (requests, faults) = (journal(""), journal("&fault=*"));
    let (resets, truncated) = (journal("&fault=reset"), journal("&fault=truncate"));
    let (s503, s429) = (journal("&status=503"), journal("&status=429"));
    println!(
        "soak: {count} items in pages of {chunk}, {requests} items requests, {faults} faults injected \
         ({s503} x 503, {s429} x 429, {resets} resets, {truncated} truncated), {retries} client retries, \
         wall {:.2} s",
        wall.as_secs_f64()
    );
    assert_eq!(count, n.to_string(), "items read");
    assert_eq!(hash, format!("{expected:016x}"), "hash of the items read");
    assert!(faults > 0, "no fault was injected in {requests} requests");
    // Nearly every fault costs a retry; a fault on a page requested ahead that the reader then
    // drops (it plans again after an earlier page was cut short) costs none.
    assert!(
        retries.parse::<u64>().unwrap() * 10 >= faults * 9,
        "a fault should cost a retry: {retries} retries for {faults} faults"
    );
}
