//! The repository's reduced copy of the Apify OpenAPI document (`tests/openapi/`): it carries no
//! prose, every operation and schema the emulator tests validate against, and, where this machine
//! has the upstream document, it is exactly what `tests/openapi/reduce.py` makes of it.
// tests/common/ starts emulators.
#![cfg(feature = "emulator")]

mod common;

use std::process::Command;

use common::openapi::{reduced_copy_path, upstream_path};
use serde_json::Value;

fn reduced() -> Value {
    let text = std::fs::read_to_string(reduced_copy_path()).expect("the reduced copy is committed");
    serde_json::from_str(&text).expect("the reduced copy is JSON")
}

/// Every key path under which `key` appears in keyword position (not as a property's name).
fn keyword_uses(v: &Value, key: &str, at: &str, name_map: bool, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                if k == key && !name_map {
                    out.push(format!("{at}/{k}"));
                }
                let names = matches!(k.as_str(), "properties" | "paths" | "responses" | "schemas");
                keyword_uses(child, key, &format!("{at}/{k}"), names && !name_map, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keyword_uses(x, key, at, false, out)),
        _ => {}
    }
}

#[test]
fn the_reduced_copy_has_operations_and_schemas_but_no_prose() {
    let doc = reduced();
    let paths = doc["paths"].as_object().expect("paths");
    let operations: usize = paths
        .values()
        .map(|p| {
            p.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "put", "post", "delete", "patch", "head"].contains(&m.as_str()))
                .count()
        })
        .sum();
    assert!(operations >= 200, "only {operations} operations");
    assert!(doc["components"]["schemas"]["Run"]["properties"]["meta"].is_object());
    // A property named `description` is a fact and stays; the keyword is prose and goes.
    assert!(doc["components"]["schemas"]["Actor"]["properties"]["description"].is_object());
    for key in ["description", "summary", "example", "examples", "title"] {
        let mut uses = Vec::new();
        keyword_uses(&doc, key, "#", false, &mut uses);
        assert!(uses.is_empty(), "`{key}` kept at {uses:?}");
    }
    let sha = doc["info"]["x-reduced-from-sha256"].as_str().unwrap_or("");
    assert_eq!(
        sha.len(),
        64,
        "the copy names the upstream bytes it came from"
    );
}

#[test]
fn the_reduced_copy_is_what_the_script_makes_of_upstream() {
    let Some(upstream) = upstream_path() else {
        eprintln!("skipped: the upstream OpenAPI document is not on this machine (APIFY_OPENAPI_UPSTREAM)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/openapi/reduce.py");
    let out = match Command::new("python3")
        .arg(script)
        .arg(&upstream)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: python3 cannot run ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "reduce.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read(reduced_copy_path()).unwrap();
    assert!(
        out.stdout == committed,
        "tests/openapi/apify-openapi.json is not what reduce.py makes of {}; regenerate with: python3 tests/openapi/reduce.py {}",
        upstream.display(),
        upstream.display()
    );
}
