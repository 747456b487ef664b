//! Every program in `examples/` runs against the local emulator (its default, with no
//! `APIFY_TOKEN` or `APIFY_API_BASE_URL`) and prints what its flow should give. The examples are
//! built by `cargo build --examples` with this test build's features and target directory (the
//! same units `cargo test` builds, so nothing is compiled twice).
#![cfg(feature = "emulator")]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[path = "common/artifacts.rs"]
mod artifacts;
#[path = "common/child.rs"]
mod child;

use child::{without_proxies, ChildGuard};

/// Builds the examples once for this test process; answers their directory.
fn examples_dir() -> &'static PathBuf {
    static ONCE: OnceLock<PathBuf> = OnceLock::new();
    ONCE.get_or_init(|| {
        let target = artifacts::this_target_dir();
        let mut features = vec!["emulator"];
        if cfg!(feature = "capi") {
            features.push("capi");
        }
        let mut cmd = Command::new(artifacts::cargo());
        artifacts::for_nested_cargo(&mut cmd, &target);
        let out = cmd
            .args(["build", "--examples", "--features"])
            .arg(features.join(","))
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build --examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        target.join("debug").join("examples")
    })
}

/// Runs an example with `args`; answers its stdout, after checking it exited 0 within a minute.
fn run(name: &str, args: &[&str]) -> String {
    let exe = examples_dir().join(name);
    let mut cmd = Command::new(&exe);
    cmd.args(args)
        .env_remove("APIFY_TOKEN")
        .env_remove("APIFY_API_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    without_proxies(&mut cmd);
    let mut child = ChildGuard::spawn(&mut cmd);
    let (status, stdout, stderr) = child.finish(
        Instant::now() + Duration::from_secs(60),
        &format!("{name} did not finish within 60 s"),
    );
    assert!(
        status.success(),
        "{name} failed ({status}):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.starts_with("running on the local emulator at http://127.0.0.1:"),
        "{name} did not run on the local emulator:\n{stdout}"
    );
    stdout
}

fn assert_contains(name: &str, out: &str, expected: &[&str]) {
    for e in expected {
        assert!(out.contains(e), "{name}: {e:?} not in its output:\n{out}");
    }
}

#[test]
fn sync_items() {
    let out = run("sync_items", &[]);
    assert_contains(
        "sync_items",
        &out,
        &["1 item(s):\n{\"message\":\"Hello from sync_items!\"}\n"],
    );
}

#[test]
fn sync_output() {
    let out = run("sync_output", &[]);
    assert_contains(
        "sync_output",
        &out,
        &["OUTPUT (application/json; charset=utf-8, 37 bytes): {\"message\":\"Hello from sync_output!\"}"],
    );
}

#[test]
fn start_wait_read() {
    let out = run("start_wait_read", &[]);
    assert_contains(
        "start_wait_read",
        &out,
        &[
            "of emulator/generator: ",
            " ended: SUCCEEDED\n",
            "item 0: {\"index\":0,\"text\":\"\"}\n",
            "item 2: {\"index\":2,\"text\":\"\"}\n",
            "read 50 items\n",
            "OUTPUT (application/json; charset=utf-8): {\"count\":50}",
        ],
    );
}

#[test]
fn iterate_filters() {
    let out = run("iterate_filters", &[]);
    assert_contains(
        "iterate_filters",
        &out,
        &[
            "pushed 30 items into dataset ",
            "): 9 items\n",
            "  {\"index\":27,\"title\":\"item 27\"}\n",
            "  {\"index\":20,\"title\":\"item 20\"}\n  {\"index\":18,\"title\":\"item 18\"}\n",
            "deleted dataset ",
        ],
    );
    assert!(!out.contains("#debug") && !out.contains("{}"), "{out}");
}

#[test]
fn key_value_records() {
    let out = run("key_value_records", &[]);
    assert_contains(
        "key_value_records",
        &out,
        &[
            "config      42 bytes  application/json",
            "greeting    29 bytes  text/plain",
            "blob       256 bytes  application/octet-stream",
            "config.depth = 2\n",
            "first page of 2 keys: [\"blob\", \"config\"] (more: true)",
            "every key: [\"blob\", \"config\", \"greeting\"]",
            "greeting exists after delete: false",
            "deleted store ",
        ],
    );
}

#[test]
fn export() {
    let dir = artifacts::this_target_dir().join("examples-test");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("export-{}.csv", std::process::id()));
    let out = run("export", &[path.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&path).expect("the example wrote its file");
    let _ = std::fs::remove_file(&path);
    assert_contains(
        "export",
        &out,
        &["exported 100 items as CSV to ", " 101 lines"],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 101, "{csv}");
    assert!(
        lines[0].contains("index") && lines[0].contains("square"),
        "{}",
        lines[0]
    );
    assert!(lines.contains(&"99,9801"), "{csv}");
}

/// Every example in `examples/` that is not a benchmark has a test here.
#[test]
fn every_flow_example_is_tested() {
    let source = include_str!("examples.rs");
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        if stem.starts_with("bench_") || stem == "quickstart" {
            continue;
        }
        assert!(
            source.contains(&format!("fn {stem}()")),
            "examples/{name} has no test in tests/examples.rs"
        );
    }
}
