//! Users' own Actors in the emulator: creating, changing and deleting them and their versions,
//! builds made from `.actor/actor.json` and `.actor/input_schema.json`, and the input checks every
//! start and `validate-input` share (defaults, every problem named), driven over real HTTP on
//! 127.0.0.1 with a plain client that validates every JSON body against the OpenAPI document.
#![cfg(feature = "emulator")]

mod common;

use base64::Engine;
use common::runs::total_runs;
use common::{error_message, Api, Resp};
use serde_json::{json, Value};

const GENERATOR: &str = "emulator~generator";

// ---------------------------------------------------------------- helpers

/// The `field` of every entry of `error.data.validationErrors`.
fn invalid_fields(resp: &Resp) -> Vec<String> {
    resp.json()["error"]["data"]["validationErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no validationErrors: {}", resp.text()))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

fn input_schema() -> Value {
    json!({
        "title": "Shop input",
        "type": "object",
        "schemaVersion": 1,
        "properties": {
            "sku": {"title": "SKU", "type": "string", "editor": "textfield",
                    "pattern": "^[A-Z]{3}-[0-9]{4}$"},
            "quantity": {"title": "Quantity", "type": "integer", "editor": "number",
                         "minimum": 1, "maximum": 100},
            "color": {"title": "Color", "type": "string", "editor": "select",
                      "enum": ["red", "green", "blue"]},
            "tags": {"title": "Tags", "type": "array", "editor": "stringList",
                     "minItems": 1, "uniqueItems": true, "items": {"type": "string"}},
            "note": {"title": "Note", "type": "string", "editor": "textarea", "nullable": true},
            "shipping": {"title": "Shipping", "type": "object", "editor": "json",
                         "properties": {"city": {"type": "string", "minLength": 2},
                                        "express": {"type": "boolean"}},
                         "required": ["city"]},
            "pageSize": {"title": "Page size", "type": "integer", "editor": "number",
                         "minimum": 1, "default": 25},
            "searchTerm": {"title": "Search term", "type": "string", "editor": "textfield",
                           "prefill": "shoes"}
        },
        "required": ["sku", "quantity", "tags"]
    })
}

fn file(name: &str, content: &str) -> Value {
    json!({"name": name, "format": "TEXT", "content": content})
}

/// A version 0.0 with `.actor/actor.json` (program `program`, if any) and the shop schema.
fn shop_version(program: Option<&str>) -> Value {
    let mut actor_json = json!({"actorSpecification": 1, "name": "shop", "version": "0.0",
                                "input": "./input_schema.json"});
    if let Some(p) = program {
        actor_json["emulatorProgram"] = json!(p);
    }
    json!({
        "versionNumber": "0.0",
        "sourceType": "SOURCE_FILES",
        "buildTag": "latest",
        "sourceFiles": [
            {"name": ".actor", "folder": true},
            file(".actor/actor.json", &actor_json.to_string()),
            file(".actor/input_schema.json", &serde_json::to_string_pretty(&input_schema()).unwrap()),
            file("main.js", "console.log('emulated');"),
        ],
    })
}

/// Creates the shop Actor (program hello-world) and builds it; answers its id.
fn shop(api: &Api) -> String {
    let actor = api
        .post_json(
            "/v2/acts",
            &json!({"name": "shop", "title": "Shop", "versions": [shop_version(Some("hello-world"))]}),
        )
        .expect(201)
        .data();
    let id = actor["id"].as_str().unwrap().to_string();
    api.post_empty(&format!(
        "/v2/acts/{id}/builds?version=0.0&waitForFinish=60"
    ))
    .expect(201);
    id
}

fn good_input() -> Value {
    json!({"sku": "ABC-1234", "quantity": 3, "tags": ["a", "b"]})
}

// ---------------------------------------------------------------- Actors and versions

#[test]
fn actors_are_created_found_updated_and_deleted() {
    let api = Api::start();
    let r = api
        .post_json(
            "/v2/acts",
            &json!({"name": "my-actor", "title": "Mine", "description": "d", "isPublic": false,
                    "seoTitle": "SEO", "categories": ["DEVELOPER_TOOLS"],
                    "defaultRunOptions": {"build": "latest", "memoryMbytes": 256, "timeoutSecs": 60},
                    "versions": [shop_version(None)]}),
        )
        .expect(201);
    let actor = r.data();
    let id = actor["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 17);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        r.header("location"),
        Some(format!("{}/v2/actors/{id}", api.base).as_str())
    );
    let me = api.get("/v2/users/me").expect(200).data();
    assert_eq!(actor["username"], me["username"]);
    assert_eq!(actor["userId"], me["id"]);
    assert_eq!(actor["name"], "my-actor");
    assert_eq!(actor["title"], "Mine");
    assert_eq!(actor["isPublic"], false);
    assert_eq!(actor["seoTitle"], "SEO");
    assert_eq!(actor["defaultRunOptions"]["memoryMbytes"], 256);
    assert_eq!(actor["versions"][0]["versionNumber"], "0.0");
    assert_eq!(
        actor["versions"][0]["sourceFiles"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(actor["taggedBuilds"], json!({}));
    for path in [
        format!("/v2/acts/{id}"),
        "/v2/acts/emulator~my-actor".to_string(),
        "/v2/actors/emulator%2Fmy-actor".to_string(),
    ] {
        assert_eq!(
            api.get(&path).expect(200).data()["id"],
            id.as_str(),
            "{path}"
        );
    }
    let list = api.get("/v2/acts").expect(200).data();
    assert_eq!(list["total"], 3);
    assert_eq!(list["items"][2]["id"], id.as_str());

    // Names: unique per user (the built-in emulator/generator is this user's too), well formed.
    for name in ["my-actor", "generator"] {
        let r = api
            .post_json("/v2/acts", &json!({"name": name}))
            .expect(400);
        assert_eq!(r.error_type(), "actor-name-not-unique", "{name}");
        assert!(error_message(&r).contains(name));
    }
    for body in [
        json!({}),
        json!({"name": 5}),
        json!({"name": "has space"}),
        json!({"name": "-dash"}),
        json!({"name": "ok", "isPublic": "yes"}),
        json!({"name": "ok", "versions": [{"versionNumber": "1"}]}),
        json!({"name": "ok", "versions": [{"versionNumber": "0.0", "sourceType": "FTP"}]}),
        json!({"name": "ok", "versions": [{"versionNumber": "0.0", "sourceFiles": [{"content": "x"}]}]}),
        json!({"name": "ok", "defaultRunOptions": {"memoryMbytes": "lots"}}),
    ] {
        let r = api.post_json("/v2/acts", &body).expect(400);
        assert_eq!(r.error_type(), "invalid-value", "{body}");
    }
    let r = api
        .post_json(
            "/v2/acts",
            &json!({"name": "ok", "versions": [{"versionNumber": "0.0"}, {"versionNumber": "0.0"}]}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "version-already-exists");
    assert_eq!(api.get("/v2/acts").expect(200).data()["total"], 3);

    // Without versions an Actor gets an empty 0.0.
    let bare = api
        .post_json("/v2/acts", &json!({"name": "bare"}))
        .expect(201)
        .data();
    assert_eq!(bare["versions"][0]["versionNumber"], "0.0");
    assert_eq!(bare["versions"][0]["buildTag"], "latest");

    // Update: the fields given change, the others stay.
    let updated = api
        .put_json(
            &format!("/v2/acts/{id}"),
            &json!({"title": "Renamed", "name": "my-renamed", "defaultRunOptions": {"timeoutSecs": 90}}),
        )
        .expect(200)
        .data();
    assert_eq!(updated["title"], "Renamed");
    assert_eq!(updated["name"], "my-renamed");
    assert_eq!(updated["description"], "d");
    assert_eq!(updated["defaultRunOptions"]["timeoutSecs"], 90);
    assert_eq!(updated["defaultRunOptions"]["memoryMbytes"], 256);
    api.get("/v2/acts/emulator~my-renamed").expect(200);
    api.get("/v2/acts/emulator~my-actor").expect(404);
    let r = api
        .put_json(
            &format!("/v2/acts/{id}"),
            &json!({"name": "bare", "title": "lost"}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "actor-name-not-unique");
    let r = api
        .put_json(&format!("/v2/acts/{id}"), &json!({"versions": []}))
        .expect(400);
    assert_eq!(r.error_type(), "too-few-versions");
    let r = api
        .put_json(
            &format!("/v2/acts/{id}"),
            &json!({"taggedBuilds": {"latest": {"buildId": "AAAAAAAAAAAAAAAAA"}}}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-value");
    assert_eq!(
        api.get(&format!("/v2/acts/{id}")).expect(200).data()["title"],
        "Renamed",
        "a refused update changed nothing"
    );

    // Delete: gone, with its tasks.
    let task = api
        .post_json("/v2/actor-tasks", &json!({"actId": id, "name": "of-mine"}))
        .expect(201)
        .data();
    api.delete(&format!("/v2/acts/{id}")).expect(204);
    let r = api.get(&format!("/v2/acts/{id}")).expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    api.get(&format!("/v2/actor-tasks/{}", task["id"].as_str().unwrap()))
        .expect(404);
    api.delete(&format!("/v2/acts/{id}")).expect(404);
    assert_eq!(api.get("/v2/acts").expect(200).data()["total"], 3);
}

#[test]
fn versions_are_listed_added_changed_and_removed() {
    let api = Api::start();
    let id = api
        .post_json(
            "/v2/acts",
            &json!({"name": "versioned", "versions": [shop_version(None)]}),
        )
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("/v2/acts/{id}/versions");
    let list = api.get(&base).expect(200).data();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["versionNumber"], "0.0");

    let r = api
        .post_json(
            &base,
            &json!({"versionNumber": "0.1", "buildTag": "beta",
                    "envVars": [{"name": "PUBLIC", "value": "shown"},
                                {"name": "SECRET", "value": "hidden", "isSecret": true}],
                    "sourceFiles": [file("README.md", "# Beta")]}),
        )
        .expect(201);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/v2/actors/{id}/versions/0.1", api.base).as_str())
    );
    let v = r.data();
    assert_eq!(v["buildTag"], "beta");
    assert_eq!(v["sourceType"], "SOURCE_FILES");
    assert_eq!(v["envVars"][0]["value"], "shown");
    assert!(
        v["envVars"][1].get("value").is_none(),
        "a secret's value is never shown: {v}"
    );
    let r = api
        .post_json(&base, &json!({"versionNumber": "0.1"}))
        .expect(400);
    assert_eq!(r.error_type(), "version-already-exists");
    for bad in [
        json!({}),
        json!({"versionNumber": "0.01"}),
        json!({"versionNumber": 1}),
    ] {
        let r = api.post_json(&base, &bad).expect(400);
        assert_eq!(r.error_type(), "invalid-value", "{bad}");
    }
    assert_eq!(api.get(&base).expect(200).data()["total"], 2);

    let v = api.get(&format!("{base}/0.1")).expect(200).data();
    assert_eq!(v["versionNumber"], "0.1");
    let v = api
        .put_json(&format!("{base}/0.1"), &json!({"buildTag": "next"}))
        .expect(200)
        .data();
    assert_eq!(v["buildTag"], "next");
    assert_eq!(
        v["sourceFiles"][0]["name"], "README.md",
        "other fields stay"
    );
    let r = api
        .put_json(&format!("{base}/0.1"), &json!({"versionNumber": "0.2"}))
        .expect(400);
    assert_eq!(r.error_type(), "invalid-value");
    api.get(&format!("{base}/9.9")).expect(404);
    api.put_json(&format!("{base}/9.9"), &json!({})).expect(404);

    // A build of the new version: its own numbering, its tag, its README.
    let b = api
        .post_empty(&format!(
            "/v2/acts/{id}/builds?version=0.1&waitForFinish=60"
        ))
        .expect(201)
        .data();
    assert_eq!(b["buildNumber"], "0.1.1");
    assert_eq!(b["actVersion"]["buildTag"], "next");
    assert_eq!(b["readme"], "# Beta");
    assert!(b["inputSchema"].is_null(), "no input schema: {b}");
    let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
    assert_eq!(actor["taggedBuilds"]["next"]["buildId"], b["id"]);

    api.delete(&format!("{base}/0.1")).expect(204);
    api.delete(&format!("{base}/0.1")).expect(404);
    let r = api.delete(&format!("{base}/0.0")).expect(400);
    assert_eq!(r.error_type(), "too-few-versions");
    assert_eq!(api.get(&base).expect(200).data()["total"], 1);

    // The built-ins' versions are readable, with their `.actor` files.
    let v = api
        .get(&format!("/v2/acts/{GENERATOR}/versions/0.0"))
        .expect(200)
        .data();
    let names: Vec<&str> = v["sourceFiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [".actor/actor.json", ".actor/input_schema.json"]);
    let r = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/versions"),
            &json!({"versionNumber": "0.1"}),
        )
        .expect(403);
    assert_eq!(r.error_type(), "insufficient-permissions");
}

// ---------------------------------------------------------------- builds

#[test]
fn builds_take_program_and_input_schema_from_the_source_files() {
    let api = Api::start();
    let id = api
        .post_json(
            "/v2/acts",
            &json!({"name": "shop", "versions": [shop_version(Some("hello-world"))]}),
        )
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // No build yet: starts and validation are refused, and nothing is created.
    let r = api
        .post_json(&format!("/v2/acts/{id}/runs"), &good_input())
        .expect(404);
    assert_eq!(r.error_type(), "unknown-build-tag");
    assert!(error_message(&r).contains("latest"), "{}", r.text());
    let r = api
        .post_json(&format!("/v2/acts/{id}/validate-input"), &good_input())
        .expect(404);
    assert_eq!(r.error_type(), "unknown-build-tag");
    api.get(&format!("/v2/acts/{id}/builds/default"))
        .expect(404);
    assert_eq!(total_runs(&api), 0);

    let r = api.post_empty(&format!("/v2/acts/{id}/builds")).expect(400);
    assert_eq!(r.error_type(), "parameter-required");
    assert!(error_message(&r).contains("version"));
    let r = api
        .post_empty(&format!("/v2/acts/{id}/builds?version=0.9"))
        .expect(404);
    assert_eq!(r.error_type(), "record-not-found");

    let r = api
        .request(
            "POST",
            &format!("/v2/acts/{id}/builds?version=0.0&useCache=true&waitForFinish=10"),
            &[("User-Agent", "builder/1.0")],
            None,
        )
        .expect(201);
    let first = r.data();
    let first_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("{}/v2/actor-builds/{first_id}", api.base).as_str())
    );
    assert_eq!(first["status"], "SUCCEEDED");
    assert_eq!(first["actId"], id.as_str());
    assert_eq!(first["buildNumber"], "0.0.1");
    assert_eq!(first["meta"]["userAgent"], "builder/1.0");
    // The input schema as the file's text, and parsed in the Actor definition.
    assert_eq!(
        first["inputSchema"].as_str().unwrap(),
        serde_json::to_string_pretty(&input_schema()).unwrap()
    );
    assert_eq!(first["actorDefinition"]["input"], input_schema());
    assert_eq!(first["actorDefinition"]["emulatorProgram"], "hello-world");
    assert_eq!(first["actorDefinition"]["version"], "0.0");
    assert_eq!(
        api.get(&format!("/v2/actor-builds/{first_id}"))
            .expect(200)
            .data()["buildNumber"],
        "0.0.1"
    );

    let second = api
        .post_empty(&format!(
            "/v2/acts/{id}/builds?version=0.0&waitForFinish=60"
        ))
        .expect(201)
        .data();
    assert_eq!(second["buildNumber"], "0.0.2");
    let beta = api
        .post_empty(&format!(
            "/v2/acts/{id}/builds?version=0.0&tag=beta&waitForFinish=60"
        ))
        .expect(201)
        .data();
    assert_eq!(beta["buildNumber"], "0.0.3");
    let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
    assert_eq!(actor["taggedBuilds"]["latest"]["buildId"], second["id"]);
    assert_eq!(actor["taggedBuilds"]["latest"]["buildNumber"], "0.0.2");
    assert_eq!(actor["taggedBuilds"]["beta"]["buildId"], beta["id"]);
    assert_eq!(actor["stats"]["totalBuilds"], 3);
    let list = api.get(&format!("/v2/acts/{id}/builds")).expect(200).data();
    assert_eq!(list["total"], 3);
    assert_eq!(list["items"][0]["id"], first_id.as_str());
    let all = api.get("/v2/actor-builds?desc=true").expect(200).data();
    assert_eq!(all["total"], 5, "three builds and the two built-ins'");
    assert_eq!(all["items"][0]["id"], beta["id"]);
    assert_eq!(
        api.get(&format!("/v2/acts/{id}/builds/default"))
            .expect(200)
            .data()["id"],
        second["id"]
    );
    api.get(&format!(
        "/v2/acts/{id}/builds/{}",
        beta["id"].as_str().unwrap()
    ))
    .expect(200);
    api.get(&format!("/v2/acts/{GENERATOR}/builds/{first_id}"))
        .expect(404);

    // Starts use the build the tag or number names; the program is hello-world.
    let run = api.start_run(&id, &good_input(), "?waitForFinish=30");
    assert_eq!(run["status"], "SUCCEEDED");
    assert_eq!(run["buildId"], second["id"]);
    assert_eq!(run["options"]["build"], "latest");
    let ds = run["defaultDatasetId"].as_str().unwrap();
    let items = api
        .get(&format!("/v2/datasets/{ds}/items"))
        .expect(200)
        .json();
    assert_eq!(items, json!([{"message": "Hello, world!"}]));
    for (build, number) in [("0.0.1", "0.0.1"), ("beta", "0.0.3"), ("0.0", "0.0.3")] {
        let run = api.start_run(&id, &good_input(), &format!("?build={build}"));
        assert_eq!(run["buildNumber"], number, "{build}");
        assert_eq!(run["options"]["build"], build);
    }
    for (build, kind) in [("0.0.9", "build-not-found"), ("gamma", "unknown-build-tag")] {
        let r = api
            .post_json(&format!("/v2/acts/{id}/runs?build={build}"), &good_input())
            .expect(404);
        assert_eq!(r.error_type(), kind);
        assert!(error_message(&r).contains(build));
    }

    // Retagging through PUT.
    let actor = api
        .put_json(
            &format!("/v2/acts/{id}"),
            &json!({"taggedBuilds": {"latest": {"buildId": first_id}, "beta": null}}),
        )
        .expect(200)
        .data();
    assert_eq!(actor["taggedBuilds"]["latest"]["buildNumber"], "0.0.1");
    assert!(actor["taggedBuilds"].get("beta").is_none(), "{actor}");
    let run = api.start_run(&id, &good_input(), "");
    assert_eq!(run["buildNumber"], "0.0.1");
}

#[test]
fn the_program_defaults_to_the_generator_and_files_may_be_base64() {
    let api = Api::start();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let schema = json!({"title": "t", "type": "object", "schemaVersion": 1,
                        "properties": {"count": {"type": "integer", "maximum": 3, "default": 2}}});
    let id = api
        .post_json(
            "/v2/acts",
            &json!({"name": "gen", "versions": [{"versionNumber": "0.0", "sourceFiles": [
                {"name": ".actor/actor.json", "format": "BASE64", "content": b64("{\"actorSpecification\": 1}")},
                {"name": ".actor/input_schema.json", "format": "BASE64", "content": b64(&schema.to_string())},
            ]}]}),
        )
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let build = api
        .post_empty(&format!(
            "/v2/acts/{id}/builds?version=0.0&waitForFinish=60"
        ))
        .expect(201)
        .data();
    assert_eq!(build["actorDefinition"]["input"], schema);
    assert_eq!(build["actorDefinition"]["name"], "gen");
    // The generator pushes `count` items: the default from the schema.
    let run = api.start_run(&id, &json!({}), "?waitForFinish=30");
    assert_eq!(run["status"], "SUCCEEDED");
    assert_eq!(run["stats"]["datasetItemCount"], 2);
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/v2/key-value-stores/{kvs}/records/INPUT"))
            .expect(200)
            .json(),
        json!({"count": 2})
    );
    let r = api
        .post_json(&format!("/v2/acts/{id}/runs"), &json!({"count": 4}))
        .expect(400);
    assert_eq!(invalid_fields(&r), ["count"]);
}

#[test]
fn unusable_source_files_fail_the_build_with_the_reason() {
    let api = Api::start();
    let cases = [
        (
            vec![file(".actor/actor.json", "{nope")],
            "invalid-value",
            "actor.json",
        ),
        (
            vec![file(
                ".actor/actor.json",
                "{\"emulatorProgram\": \"python\"}",
            )],
            "invalid-value",
            "emulatorProgram",
        ),
        (
            vec![file(".actor/input_schema.json", "{\"type\": \"object\"")],
            "invalid-input-schema",
            "input_schema.json",
        ),
        (
            vec![file(
                ".actor/input_schema.json",
                "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"int\"}}}",
            )],
            "invalid-input-schema",
            "'n'",
        ),
        (
            vec![file(".actor/actor.json", "{\"input\": \"./missing.json\"}")],
            "invalid-input-schema",
            "missing.json",
        ),
        (
            vec![json!({"name": ".actor/actor.json", "format": "BASE64", "content": "***"})],
            "invalid-value",
            "BASE64",
        ),
    ];
    for (i, (files, kind, needle)) in cases.into_iter().enumerate() {
        let id = api
            .post_json(
                "/v2/acts",
                &json!({"name": format!("broken-{i}"),
                        "versions": [{"versionNumber": "0.0", "sourceFiles": files}]}),
            )
            .expect(201)
            .data()["id"]
            .as_str()
            .unwrap()
            .to_string();
        // The build is made, then FAILS with the reason (and its type) in its log.
        let b = api
            .post_empty(&format!(
                "/v2/acts/{id}/builds?version=0.0&waitForFinish=60"
            ))
            .expect(201)
            .data();
        assert_eq!(b["status"], "FAILED", "case {i}");
        let log = api
            .get(&format!(
                "/v2/actor-builds/{}/log",
                b["id"].as_str().unwrap()
            ))
            .expect(200)
            .text();
        assert!(log.contains(&format!("[{kind}]")), "case {i}: {log}");
        assert!(log.contains(needle), "case {i}: {log}");
        let r = api
            .post_empty(&format!(
                "/v2/acts/{id}/runs?build={}",
                b["buildNumber"].as_str().unwrap()
            ))
            .expect(400);
        assert_eq!(r.error_type(), "invalid-build", "case {i}");
        let actor = api.get(&format!("/v2/acts/{id}")).expect(200).data();
        assert_eq!(actor["taggedBuilds"], json!({}), "case {i}");
    }
}

// ---------------------------------------------------------------- input checks

#[test]
fn a_good_input_runs_with_defaults_filled_and_no_prefill() {
    let api = Api::start();
    let id = shop(&api);
    let run = api.start_run(&id, &good_input(), "?waitForFinish=30");
    assert_eq!(run["status"], "SUCCEEDED");
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    let input = api
        .get(&format!("/v2/key-value-stores/{kvs}/records/INPUT"))
        .expect(200);
    assert!(input
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let input = input.json();
    assert_eq!(input["pageSize"], 25, "the default is filled in: {input}");
    assert!(input.get("searchTerm").is_none(), "prefill is not: {input}");
    assert_eq!(input["sku"], "ABC-1234");
    assert_eq!(input["tags"], json!(["a", "b"]));
    // A value given wins over the default.
    let mut given = good_input();
    given["pageSize"] = json!(7);
    let run = api.start_run(&id, &given, "");
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    let input = api
        .get(&format!("/v2/key-value-stores/{kvs}/records/INPUT"))
        .expect(200)
        .json();
    assert_eq!(input["pageSize"], 7);
    // run-sync takes the same input.
    let out = api
        .post_json(&format!("/v2/acts/{id}/run-sync"), &good_input())
        .expect(201)
        .json();
    assert_eq!(out, json!({"message": "Hello, world!"}));
}

#[test]
fn a_bad_input_is_refused_naming_every_field_and_starts_nothing() {
    let api = Api::start();
    let id = shop(&api);
    let bad = json!({
        "sku": "abc-12",
        "quantity": 101,
        "color": "purple",
        "tags": ["x", "x"],
        "note": 5,
        "shipping": {"express": "yes"},
        "pageSize": 0
    });
    let expected = [
        "sku",
        "quantity",
        "color",
        "tags",
        "note",
        "shipping.city",
        "shipping.express",
        "pageSize",
    ];
    for path in [
        format!("/v2/acts/{id}/runs"),
        format!("/v2/acts/{id}/run-sync"),
        format!("/v2/acts/{id}/run-sync-get-dataset-items"),
        format!("/v2/acts/{id}/validate-input"),
    ] {
        let r = api.post_json(&path, &bad).expect(400);
        assert_eq!(r.error_type(), "invalid-input", "{path}");
        let message = error_message(&r);
        assert!(message.starts_with("Input is not valid: "), "{message}");
        for field in expected {
            assert!(
                message.contains(&format!("'{field}'")),
                "{path}: {field}: {message}"
            );
        }
        assert_eq!(invalid_fields(&r), expected, "{path}");
        let errors = &r.json()["error"]["data"]["validationErrors"];
        assert_eq!(errors[0]["keyword"], "pattern");
        assert_eq!(errors[0]["instancePath"], "/sku");
        assert_eq!(errors[1]["keyword"], "maximum");
        assert_eq!(errors[5]["keyword"], "required");
        assert_eq!(errors[5]["params"]["missingProperty"], "city");
    }
    // Missing required fields, each named.
    let r = api
        .post_json(&format!("/v2/acts/{id}/runs"), &json!({}))
        .expect(400);
    assert_eq!(invalid_fields(&r), ["sku", "quantity", "tags"]);
    let r = api
        .request("POST", &format!("/v2/acts/{id}/runs"), &[], None)
        .expect(400);
    assert_eq!(invalid_fields(&r), ["sku", "quantity", "tags"]);
    let r = api
        .post_json(
            &format!("/v2/acts/{id}/runs"),
            &json!(["not", "an", "object"]),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-input");
    assert_eq!(total_runs(&api), 0, "a refused start created a run");
    assert_eq!(
        api.get(&format!("/v2/acts/{id}/runs")).expect(200).data()["total"],
        0
    );
}

#[test]
fn validate_input_agrees_with_starts() {
    let api = Api::start();
    let id = shop(&api);
    let with = |extra: Value| {
        let mut v = good_input();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let without = |field: &str| {
        let mut v = good_input();
        v.as_object_mut().unwrap().remove(field);
        v
    };
    // (input, the fields named; empty = valid)
    let table: Vec<(Value, Vec<&str>)> = vec![
        (good_input(), vec![]),
        (with(json!({"quantity": 1})), vec![]),
        (with(json!({"quantity": 100.0})), vec![]),
        (with(json!({"color": "blue", "note": null})), vec![]),
        (
            with(json!({"note": "a note", "searchTerm": "boots"})),
            vec![],
        ),
        (
            with(json!({"shipping": {"city": "Prague", "express": true}})),
            vec![],
        ),
        (
            with(json!({"tags": ["a", "b", "c"], "pageSize": 1})),
            vec![],
        ),
        (with(json!({"unknownField": {"anything": [1]}})), vec![]),
        (without("sku"), vec!["sku"]),
        (without("quantity"), vec!["quantity"]),
        (without("tags"), vec!["tags"]),
        (with(json!({"sku": "ABC-123"})), vec!["sku"]),
        (with(json!({"sku": 1234})), vec!["sku"]),
        (with(json!({"quantity": 0})), vec!["quantity"]),
        (with(json!({"quantity": 2.5})), vec!["quantity"]),
        (with(json!({"quantity": "3"})), vec!["quantity"]),
        (with(json!({"color": "RED"})), vec!["color"]),
        (with(json!({"tags": []})), vec!["tags"]),
        (with(json!({"tags": ["a", "a"]})), vec!["tags"]),
        (with(json!({"tags": ["a", 2]})), vec!["tags[1]"]),
        (with(json!({"tags": "a"})), vec!["tags"]),
        (with(json!({"sku": null})), vec!["sku"]),
        (with(json!({"note": false})), vec!["note"]),
        (with(json!({"shipping": {}})), vec!["shipping.city"]),
        (
            with(json!({"shipping": {"city": "X"}})),
            vec!["shipping.city"],
        ),
        (with(json!({"shipping": "Prague"})), vec!["shipping"]),
        (with(json!({"pageSize": -1})), vec!["pageSize"]),
        (
            json!({"quantity": 500, "color": "x"}),
            vec!["sku", "tags", "quantity", "color"],
        ),
    ];
    let mut valid_runs = 0;
    for (input, fields) in &table {
        let v = api.post_json(&format!("/v2/acts/{id}/validate-input"), input);
        let s = api.post_json(&format!("/v2/acts/{id}/runs"), input);
        if fields.is_empty() {
            assert_eq!(
                v.clone().expect(200).json(),
                json!({"valid": true}),
                "{input}"
            );
            s.expect(201);
            valid_runs += 1;
        } else {
            let v = v.expect(400);
            let s = s.expect(400);
            assert_eq!(v.error_type(), "invalid-input", "{input}");
            assert_eq!(error_message(&v), error_message(&s), "{input}");
            assert_eq!(invalid_fields(&v), *fields, "{input}");
            for f in fields {
                assert!(error_message(&v).contains(&format!("'{f}'")), "{input}");
            }
        }
    }
    assert!(table.len() >= 20);
    assert_eq!(total_runs(&api), valid_runs);
    // `build` picks the schema: a build without one accepts anything.
    let plain = api
        .post_json(
            &format!("/v2/acts/{id}/versions"),
            &json!({"versionNumber": "0.1", "buildTag": "plain"}),
        )
        .expect(201);
    drop(plain);
    api.post_empty(&format!(
        "/v2/acts/{id}/builds?version=0.1&waitForFinish=60"
    ))
    .expect(201);
    let ok = api
        .post_json(
            &format!("/v2/acts/{id}/validate-input?build=plain"),
            &json!({"quantity": "any"}),
        )
        .expect(200)
        .json();
    assert_eq!(ok, json!({"valid": true}));
    api.post_json(
        &format!("/v2/acts/{id}/runs?build=plain"),
        &json!({"quantity": "any"}),
    )
    .expect(201);
    let r = api
        .post_json(
            &format!("/v2/acts/{id}/validate-input?build=nope"),
            &json!({}),
        )
        .expect(404);
    assert_eq!(r.error_type(), "unknown-build-tag");
    let r = api
        .request(
            "POST",
            &format!("/v2/acts/{id}/validate-input"),
            &[("Content-Type", "application/json")],
            Some(b"{\"sku\": "),
        )
        .expect(400);
    assert_eq!(r.error_type(), "run-input-body-not-valid-json");
}

#[test]
fn tasks_of_user_actors_check_the_merged_input() {
    let api = Api::start();
    let id = shop(&api);
    // A task may leave required fields to the run, but what it sets must fit.
    let task = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": id, "name": "shop-task", "input": {"sku": "XYZ-0001", "tags": ["t"]}}),
        )
        .expect(201)
        .data();
    let tid = task["id"].as_str().unwrap();
    let r = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": id, "name": "bad-task", "input": {"quantity": "many"}}),
        )
        .expect(400);
    assert_eq!(invalid_fields(&r), ["quantity"]);
    let r = api
        .put_json(
            &format!("/v2/actor-tasks/{tid}/input"),
            &json!({"color": "pink"}),
        )
        .expect(400);
    assert_eq!(invalid_fields(&r), ["color"]);
    // The run's input (task input + request input) must be complete.
    let r = api
        .post_json(&format!("/v2/actor-tasks/{tid}/runs"), &json!({}))
        .expect(400);
    assert_eq!(invalid_fields(&r), ["quantity"]);
    assert_eq!(total_runs(&api), 0);
    let run = api
        .post_json(
            &format!("/v2/actor-tasks/{tid}/runs?waitForFinish=30"),
            &json!({"quantity": 2}),
        )
        .expect(201)
        .data();
    assert_eq!(run["status"], "SUCCEEDED");
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    let input = api
        .get(&format!("/v2/key-value-stores/{kvs}/records/INPUT"))
        .expect(200)
        .json();
    assert_eq!(
        input,
        json!({"sku": "XYZ-0001", "tags": ["t"], "quantity": 2, "pageSize": 25})
    );
}

#[test]
fn the_generator_schema_drives_the_same_checks() {
    let api = Api::start();
    let bad = json!({"count": -5, "outcome": "MAYBE", "itemBytes": "ten"});
    let v = api
        .post_json(&format!("/v2/acts/{GENERATOR}/validate-input"), &bad)
        .expect(400);
    let s = api
        .post_json(&format!("/v2/acts/{GENERATOR}/runs"), &bad)
        .expect(400);
    assert_eq!(v.error_type(), "invalid-input");
    assert_eq!(error_message(&v), error_message(&s));
    assert_eq!(invalid_fields(&v), ["count", "itemBytes", "outcome"]);
    let message = error_message(&v);
    for needle in [
        "'count' must be >= 0, got -5",
        "'itemBytes' must be integer, got \"ten\"",
        "'outcome' must be one of \"SUCCEEDED\", \"FAILED\", got \"MAYBE\"",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    for good in [
        json!({}),
        json!({"count": 2, "outcome": "FAILED", "output": [1]}),
    ] {
        let ok = api
            .post_json(&format!("/v2/acts/{GENERATOR}/validate-input"), &good)
            .expect(200)
            .json();
        assert_eq!(ok, json!({"valid": true}));
    }
    // The generator's own limit is checked the same way in both.
    let huge = json!({"count": 1_000_000_000u64, "itemBytes": 1_000_000});
    let v = api
        .post_json(&format!("/v2/acts/{GENERATOR}/validate-input"), &huge)
        .expect(400);
    assert_eq!(invalid_fields(&v), ["count"]);
    api.post_json(&format!("/v2/acts/{GENERATOR}/runs"), &huge)
        .expect(400);
    assert_eq!(total_runs(&api), 0);
}
