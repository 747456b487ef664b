//! The repository's reduced copy of the Apify OpenAPI document (`tests/openapi/`): it carries no
//! prose, every operation and schema the emulator tests validate against, and, where this machine
//! has the upstream document, it is exactly what `tests/openapi/reduce.py` makes of it. The
//! response checker routes every operation of it, compiles every response schema, and (with the
//! upstream document) accepts the spec's own examples.
// tests/common/ starts emulators.
#![cfg(feature = "emulator")]

mod common;

use std::path::Path;
use std::process::Command;

use common::openapi::routes::{escape_pointer_token, split_path};
use common::openapi::{reduced_copy_path, upstream_path, Spec, Validator};
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

// ----- the copy as the response checker sees it -------------------------------------------------

#[test]
fn operation_id_for_common_paths() {
    let s = Spec::get();
    let cases = [
        ("GET", "/v2/actor-runs/AbC123", "actorRun_get"),
        ("GET", "/v2/actors/X/runs/last", "actor_runs_last_get"),
        ("GET", "/v2/actors/X/runs/R1", "actors_run_get"),
        (
            "POST",
            "/v2/acts/X/run-sync-get-dataset-items",
            "actor_runSyncGetDatasetItems_post",
        ),
        (
            "POST",
            "/v2/acts/apify~hello-world/runs",
            "actors_runs_post",
        ),
        ("GET", "/v2/acts/apify~hello-world", "actor_get"),
        ("GET", "/v2/acts", "actors_get"),
        (
            "GET",
            "/v2/key-value-stores/X/records/my-key",
            "keyValueStore_record_get",
        ),
        ("GET", "/v2/datasets/X/items", "dataset_items_get"),
        ("GET", "/v2/users/me", "users_me_get"),
        ("GET", "/v2/users/someUserId", "user_get"),
        (
            "GET",
            "/v2/actors/X/builds/default",
            "actor_build_default_get",
        ),
        ("GET", "/v2/actors/X/builds/B1", "actors_build_get"),
        ("HEAD", "/v2/datasets/X/items", "dataset_items_head"),
    ];
    for (m, p, want) in cases {
        assert_eq!(s.operation_id(m, p).as_deref(), Some(want), "{m} {p}");
    }
}

#[test]
fn operation_id_normalisation() {
    let s = Spec::get();
    let op = |m: &str, p: &str| s.operation_id(m, p);
    // Percent-encoded segments, including an encoded slash inside one segment.
    assert_eq!(
        op("GET", "/v2/key-value-stores/X/records/a%2Fb%20c").as_deref(),
        Some("keyValueStore_record_get")
    );
    assert_eq!(op("GET", "/v2/users/%6De").as_deref(), Some("users_me_get"));
    assert_eq!(
        op("GET", "/v2/acts/apify%7Ehello-world/runs/last").as_deref(),
        Some("actor_runs_last_get")
    );
    // Lower-case method, trailing slash, query string, absolute URL.
    assert_eq!(op("get", "/v2/datasets/X/").as_deref(), Some("dataset_get"));
    assert_eq!(
        op("GET", "/v2/datasets/X/items?format=json").as_deref(),
        Some("dataset_items_get")
    );
    assert_eq!(
        op("DELETE", "http://127.0.0.1:8080/v2/datasets/X").as_deref(),
        Some("dataset_delete")
    );
    // Unknown paths / methods.
    assert_eq!(op("GET", "/v2/nope"), None);
    assert_eq!(op("GET", "/v2/datasets/X/items/extra"), None);
    assert_eq!(op("PATCH", "/v2/datasets/X"), None);
    assert_eq!(op("BREW", "/v2/datasets/X"), None);
    // Path first: `/v2/users/me` exists, so PUT there does not fall back to `{userId}`.
    assert_eq!(op("PUT", "/v2/users/me"), None);
}

#[test]
fn load_panics_with_the_path() {
    let missing = Path::new("/nonexistent/dir/openapi.json");
    let err = std::panic::catch_unwind(|| Spec::load_from(missing))
        .err()
        .unwrap();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("/nonexistent/dir/openapi.json"), "{msg}");
    assert!(msg.contains("APIFY_OPENAPI_PATH"), "{msg}");
}

/// Every operation in the spec is found again from its own template with dummy parameters.
#[test]
fn every_operation_is_routable() {
    let s = Spec::get();
    let mut n = 0;
    for (template, item) in s.doc()["paths"].as_object().unwrap() {
        let concrete: Vec<&str> = split_path(template)
            .into_iter()
            .map(|seg| if seg.contains('{') { "zQ9dummy" } else { seg })
            .collect();
        let concrete = format!("/{}", concrete.join("/"));
        for (m, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            assert_eq!(
                s.operation_id(m, &concrete).as_deref(),
                Some(id),
                "{m} {template}"
            );
            n += 1;
        }
    }
    assert_eq!(
        n, 231,
        "operation count changed; update this test if the spec grew"
    );
}

#[test]
fn every_response_schema_compiles() {
    let errors = Spec::get().compile_errors();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The spec's own examples (media-type `example`s, component `example`s and 3.1 `examples`
/// arrays) validate against the document as published: the validator is not stricter than the
/// spec. The examples live only in the upstream document (the reduced copy drops them).
#[test]
fn spec_examples_validate() {
    fn collect<'a>(v: &'a Value, loc: String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(o) => {
                if let (Some(_), Some(e)) = (o.get("schema"), o.get("example")) {
                    out.push((format!("{loc}/schema"), e));
                }
                let schema_like = ["type", "$ref", "enum", "allOf", "anyOf", "oneOf"]
                    .iter()
                    .any(|k| o.contains_key(*k));
                if schema_like {
                    let arr = o.get("examples").and_then(Value::as_array);
                    for e in o
                        .get("example")
                        .into_iter()
                        .chain(arr.into_iter().flatten())
                    {
                        out.push((loc.clone(), e));
                    }
                }
                for (k, sub) in o {
                    if k != "example" && k != "examples" {
                        collect(sub, format!("{loc}/{}", escape_pointer_token(k)), out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    collect(x, format!("{loc}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let Some(upstream) = upstream_path() else {
        eprintln!("skipped: the upstream OpenAPI document is not on this machine (APIFY_OPENAPI_UPSTREAM)");
        return;
    };
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&upstream).unwrap()).unwrap();
    let mut examples = Vec::new();
    collect(&doc, String::new(), &mut examples);
    assert!(
        examples.len() > 500,
        "found only {} examples",
        examples.len()
    );
    let mut validator = Validator::new(&doc);
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|(ptr, example)| validator.validate_at(ptr, example).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} spec examples fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
