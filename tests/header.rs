//! The committed header must be exactly what cbindgen generates from `src/ffi/` in this build.

#[test]
fn committed_header_matches_the_generated_one() {
    let generated =
        std::fs::read_to_string(env!("APIFY_GENERATED_HEADER")).expect("build.rs wrote the header");
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/apify.h");
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    assert!(
        generated == committed,
        "include/apify.h is out of date with src/ffi/; regenerate with: APIFY_REGENERATE_HEADER=1 cargo build"
    );
}

#[test]
fn header_version_macros_match_the_crate() {
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/apify.h")).unwrap();
    for (name, value) in [
        ("APIFY_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("APIFY_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("APIFY_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert!(
            header.contains(&format!("#define {name} {value}\n")),
            "{name} != {value}"
        );
    }
}
