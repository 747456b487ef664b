//! Where cargo put the C libraries this test run was built with.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared library cargo built for this test run (`libapify.so`). The test binary is
/// `<target>/<profile>/deps/<name>-<hash>`; the library is `<target>/<profile>/deps/libapify.so`
/// (where `cargo test` leaves it) and, once uplifted by `cargo build`, also
/// `<target>/<profile>/libapify.so`, whatever `CARGO_TARGET_DIR` says. The newer one wins, so an
/// uplifted copy from an older build is never tested by mistake.
pub fn shared_library() -> PathBuf {
    library(&format!(
        "{}apify{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// The static library (`libapify.a`), found the same way.
pub fn static_library() -> PathBuf {
    library("libapify.a")
}

fn library(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("the test binary is in a directory");
    let profile_dir = if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent().expect("deps/ has a parent")
    } else {
        deps
    };
    let candidates = [profile_dir.join(name), profile_dir.join("deps").join(name)];
    candidates
        .iter()
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, p)| p.clone())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found in {} or its deps/ (test binary {}); cargo builds it with the lib target",
                profile_dir.display(),
                exe.display()
            )
        })
}
