//! The committed `include/apify.h` must be exactly what cbindgen (a dev-dependency: a crate that
//! depends on this one never builds it) generates from `src/ffi/` and `cbindgen.toml`, with the
//! version macros of this crate's version. To rewrite it after changing the C ABI or the version:
//! `APIFY_REGENERATE_HEADER=1 cargo test --test header`.

use std::path::PathBuf;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The version macros cbindgen puts after the includes. `APIFY_VERSION_NUMBER` is
/// 0xMMmmpp (major, minor, patch, two hex digits each) for `#if APIFY_VERSION_NUMBER >= ...`.
fn version_macros() -> String {
    let part = |s: &str| -> u32 { s.parse().expect("cargo's version parts are numbers") };
    let (major, minor, patch) = (
        part(env!("CARGO_PKG_VERSION_MAJOR")),
        part(env!("CARGO_PKG_VERSION_MINOR")),
        part(env!("CARGO_PKG_VERSION_PATCH")),
    );
    assert!(
        major < 256 && minor < 256 && patch < 256,
        "APIFY_VERSION_NUMBER has two hex digits per part"
    );
    format!(
        "\n#define APIFY_VERSION_MAJOR {major}\n#define APIFY_VERSION_MINOR {minor}\n\
         #define APIFY_VERSION_PATCH {patch}\n#define APIFY_VERSION \"{}\"\n\
         /* 0xMMmmpp: major, minor, patch; compare with #if APIFY_VERSION_NUMBER >= 0x000100 */\n\
         #define APIFY_VERSION_NUMBER 0x{major:02x}{minor:02x}{patch:02x}\n\n\
         /* An apify_callbacks with this header's version and no callbacks set. */\n\
         #define APIFY_CALLBACKS_INIT {{ APIFY_CALLBACKS_VERSION, NULL, NULL, NULL }}",
        env!("CARGO_PKG_VERSION"),
    )
}

/// The header as cbindgen makes it from the sources now.
fn generate() -> String {
    let dir = crate_dir();
    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml is readable");
    config.after_includes = Some(version_macros());
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

fn committed_path() -> PathBuf {
    crate_dir().join("include/apify.h")
}

#[test]
fn committed_header_matches_the_generated_one() {
    let generated = generate();
    let path = committed_path();
    if std::env::var("APIFY_REGENERATE_HEADER").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("include/apify.h is writable");
        println!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if generated != committed {
        let line = generated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| generated.lines().count().min(committed.lines().count()));
        panic!(
            "include/apify.h is out of date with src/ffi/ (or the crate version): they differ from \
             line {}; regenerate with: APIFY_REGENERATE_HEADER=1 cargo test --test header",
            line + 1
        );
    }
}

#[test]
fn header_version_macros_match_the_crate() {
    let header = std::fs::read_to_string(committed_path()).expect("include/apify.h is readable");
    let number = {
        let p = |s: &str| s.parse::<u32>().unwrap();
        (p(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
            | (p(env!("CARGO_PKG_VERSION_MINOR")) << 8)
            | p(env!("CARGO_PKG_VERSION_PATCH"))
    };
    for (name, value) in [
        (
            "APIFY_VERSION_MAJOR",
            env!("CARGO_PKG_VERSION_MAJOR").to_string(),
        ),
        (
            "APIFY_VERSION_MINOR",
            env!("CARGO_PKG_VERSION_MINOR").to_string(),
        ),
        (
            "APIFY_VERSION_PATCH",
            env!("CARGO_PKG_VERSION_PATCH").to_string(),
        ),
        (
            "APIFY_VERSION",
            format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        ),
        ("APIFY_VERSION_NUMBER", format!("0x{number:06x}")),
    ] {
        assert!(
            header.contains(&format!("#define {name} {value}\n")),
            "include/apify.h: {name} is not {value}"
        );
    }
}

/// `APIFY_VERSION_NUMBER` works in `#if` and agrees with the three parts (the C compiler is
/// required by the C tests anyway).
#[test]
fn header_version_number_works_in_the_preprocessor() {
    let dir = std::env::temp_dir().join(format!("apify-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("v.c");
    std::fs::write(
        &src,
        "#include \"apify.h\"\n\
         #if APIFY_VERSION_NUMBER != ((APIFY_VERSION_MAJOR << 16) | (APIFY_VERSION_MINOR << 8) | APIFY_VERSION_PATCH)\n\
         #error APIFY_VERSION_NUMBER disagrees with the parts\n\
         #endif\n\
         int main(void) { return 0; }\n",
    )
    .unwrap();
    let status = std::process::Command::new("cc")
        .args(["-std=c99", "-Wall", "-Werror", "-fsyntax-only"])
        .arg(format!("-I{}", crate_dir().join("include").display()))
        .arg(&src)
        .status();
    let _ = std::fs::remove_dir_all(&dir);
    let status = status.expect("cc runs (a C compiler is needed for the C tests)");
    assert!(
        status.success(),
        "apify.h's version macros do not work in #if"
    );
}
