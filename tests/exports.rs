//! `libapify.so` exports the C ABI and nothing else (build.rs passes a version script).

#[path = "common/artifacts.rs"]
mod artifacts;

use artifacts::shared_library;
use std::process::Command;

#[test]
#[cfg(target_os = "linux")]
fn only_apify_symbols_are_exported() {
    let lib = shared_library();
    assert!(lib.exists(), "{} was not built", lib.display());
    let Ok(out) = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
    else {
        eprintln!("nm is not installed: export check skipped");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let symbols: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let foreign: Vec<&&str> = symbols
        .iter()
        .filter(|s| !s.starts_with("apify_"))
        .collect();
    assert!(
        foreign.is_empty(),
        "symbols outside the C ABI are exported: {foreign:?}"
    );
    for expected in [
        "apify_client_new",
        "apify_dataset_iter_next",
        "apify_request",
        "apify_version",
    ] {
        assert!(symbols.contains(&expected), "{expected} is not exported");
    }
}
