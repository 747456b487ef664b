//! `libapify.so` exports the C ABI and nothing else (scripts/install.sh links it with the
//! version script apify.map) and carries its SONAME.
#![cfg(all(feature = "capi", target_os = "linux"))]

#[path = "common/artifacts.rs"]
mod artifacts;

use artifacts::shared_library;
use std::process::Command;

#[test]
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

/// The installed name is a symlink chain down to the real file, and the library names itself
/// by its SONAME (cargo-c's rule: `libapify.so.0.Y` while the major version is 0), so programs
/// record that name, not a path.
#[test]
fn the_shared_library_has_its_soname_and_symlinks() {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    let soname = if major == "0" {
        format!("libapify.so.0.{minor}")
    } else {
        format!("libapify.so.{major}")
    };
    let lib = shared_library();
    let dir = lib.parent().unwrap();
    assert_eq!(
        std::fs::read_link(&lib).unwrap().to_str(),
        Some(soname.as_str())
    );
    let real = format!("libapify.so.{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        std::fs::read_link(dir.join(&soname)).unwrap().to_str(),
        Some(real.as_str())
    );
    let Ok(out) = Command::new("readelf")
        .arg("-d")
        .arg(dir.join(&real))
        .output()
    else {
        eprintln!("readelf is not installed: SONAME check skipped");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .unwrap_or_else(|| panic!("{real} has no SONAME:\n{text}"));
    assert!(
        line.contains(&format!("[{soname}]")),
        "SONAME is not {soname}: {line}"
    );
}
