//! The C library for the tests that link or load it. The crate itself is only an rlib: the C
//! library is built and installed by `scripts/install.sh`, the command users run, with its
//! SONAME and exported-symbol list, here in the dev profile and with this test build's features
//! (so cargo reuses the dependencies `cargo test` compiled), into
//! `<target>/capi-tests/prefix`: once per test process (cargo runs one test binary at a time,
//! and its lock orders the builds).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// An installed copy of the C library.
pub struct Installed {
    pub prefix: PathBuf,
    pub lib_dir: PathBuf,
    pub include_dir: PathBuf,
}

/// Builds and installs the C library once for this test process.
pub fn installed() -> &'static Installed {
    static ONCE: OnceLock<Installed> = OnceLock::new();
    ONCE.get_or_init(install)
}

/// `libapify.so` (a symlink to the SONAME, as installed).
pub fn shared_library() -> PathBuf {
    installed().lib_dir.join(format!(
        "{}apify{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// `libapify.a`.
pub fn static_library() -> PathBuf {
    installed().lib_dir.join("libapify.a")
}

/// The cargo that runs this test (`cargo test` sets `CARGO`).
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Prepares a command that runs cargo (itself or through a script) inside a test: `CARGO` and
/// this run's target directory are passed on, so the dependencies `cargo test` compiled are
/// reused; what cargo sets for this test process describes it, not the build to come, and is
/// removed: left in, a dependency's build script that watches one of them (ring's:
/// CARGO_MANIFEST_DIR) would see a change and rebuild, and so would the next `cargo test`.
pub fn for_nested_cargo(cmd: &mut Command, target: &Path) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_BIN_NAME",
            ]
            .contains(&key.as_ref())
        {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.env("CARGO", cargo()).env("CARGO_TARGET_DIR", target);
}

/// The target directory of this test run.
pub fn this_target_dir() -> PathBuf {
    target_dir(&std::env::current_exe().expect("the test binary's path"))
}

/// The target directory of this test run: the test binary is `<target>/<profile>/deps/<name>`.
fn target_dir(exe: &Path) -> PathBuf {
    let deps = exe.parent().expect("the test binary is in a directory");
    deps.parent()
        .and_then(Path::parent)
        .expect("the test binary is in <target>/<profile>/deps")
        .to_path_buf()
}

fn install() -> Installed {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = target_dir(&exe);
    // One prefix for the target directory (the debug libapify.a is about 200 MB): cargo runs
    // one test binary at a time, and each installs before it uses the library.
    let prefix = target.join("capi-tests").join("prefix");
    let _ = std::fs::remove_dir_all(&prefix);
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut features = Vec::new();
    if cfg!(feature = "emulator") {
        features.push("emulator");
    }
    let started = Instant::now();
    let mut cmd = Command::new("sh");
    for_nested_cargo(&mut cmd, &target);
    let out = cmd
        .arg(crate_dir.join("scripts/install.sh"))
        .env("PREFIX", &prefix)
        .env("PROFILE", "dev")
        .env("FEATURES", features.join(","))
        .env_remove("DESTDIR")
        .env_remove("LIBDIR")
        .env_remove("INCLUDEDIR")
        .output()
        .expect("sh runs scripts/install.sh");
    assert!(
        out.status.success(),
        "scripts/install.sh failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "C library built and installed in {:.1}s: {}",
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    Installed {
        lib_dir: prefix.join("lib"),
        include_dir: prefix.join("include"),
        prefix,
    }
}
