//! Generates the C header from `src/ffi/` with cbindgen on every build, into OUT_DIR; a test
//! compares it with the committed `include/apify.h`. `APIFY_REGENERATE_HEADER=1` also writes it
//! there. On Linux the shared library exports only `apify_*` symbols.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=apify.map");
    println!("cargo:rerun-if-env-changed=APIFY_REGENERATE_HEADER");

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let version = |name: &str| env::var(name).expect("cargo sets the version");
    config.after_includes = Some(format!(
        "\n#define APIFY_VERSION_MAJOR {}\n#define APIFY_VERSION_MINOR {}\n#define APIFY_VERSION_PATCH {}\n#define APIFY_VERSION \"{}\"\n\n/* An apify_callbacks with this header's version and no callbacks set. */\n#define APIFY_CALLBACKS_INIT {{ APIFY_CALLBACKS_VERSION, NULL, NULL, NULL }}",
        version("CARGO_PKG_VERSION_MAJOR"),
        version("CARGO_PKG_VERSION_MINOR"),
        version("CARGO_PKG_VERSION_PATCH"),
        version("CARGO_PKG_VERSION"),
    ));
    let header = out_dir.join("apify.h");
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen generates the header")
        .write_to_file(&header);
    println!(
        "cargo:rustc-env=APIFY_GENERATED_HEADER={}",
        header.display()
    );
    if env::var("APIFY_REGENERATE_HEADER").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(crate_dir.join("include")).expect("include/ can be created");
        std::fs::copy(&header, crate_dir.join("include/apify.h"))
            .expect("include/apify.h is writable");
    }

    if env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux") {
        println!(
            "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
            crate_dir.join("apify.map").display()
        );
    }
}
