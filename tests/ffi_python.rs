//! The C ABI from Python: runs `tests/python/test_ctypes.py` (ctypes, standard library only)
//! against `libapify.so` and an in-process emulator. Skipped, with a note, when `python3` is not
//! installed.
#![cfg(all(feature = "emulator", feature = "capi"))]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use apify::emulator::{Emulator, EmulatorConfig};
use artifacts::shared_library;
use child::without_proxies;

#[path = "common/artifacts.rs"]
mod artifacts;
#[path = "common/child.rs"]
mod child;

fn python3() -> Option<&'static str> {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    found.then_some("python3")
}

#[test]
fn ctypes_program_passes() {
    let Some(python) = python3() else {
        eprintln!("ffi_python: skipped, python3 is not installed");
        return;
    };
    let lib = shared_library();
    let emu = Emulator::start(EmulatorConfig::default()).expect("the emulator starts");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/test_ctypes.py");
    let started = Instant::now();
    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .env("APIFY_LIB", &lib)
        .env("APIFY_API_BASE_URL", emu.base_url())
        .env("APIFY_TOKEN", emu.token())
        .env("APIFY_EXPECTED_VERSION", env!("CARGO_PKG_VERSION"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1");
    without_proxies(&mut cmd);
    let out = cmd.output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    println!(
        "ffi_python: the ctypes program took {:?}",
        started.elapsed()
    );
    assert!(
        out.status.success(),
        "test_ctypes.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    let passed = last
        .strip_suffix(" passed, 0 failed")
        .and_then(|n| n.parse::<u32>().ok());
    assert!(
        passed.is_some_and(|n| n > 0),
        "unexpected final line {last:?}:\n{stdout}"
    );
}
