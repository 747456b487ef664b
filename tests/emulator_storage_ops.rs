//! Every storage operation of the spec answers: the test walks the OpenAPI document's
//! operations tagged `Storage/*`, `Default dataset|key-value store|request queue` and the
//! last-run aliases, builds each request (with a run, a task run, a dataset with an item, a
//! store with a record and a queue with a locked request behind it), and fails on any 501 or
//! other failure, naming the operations. Every JSON answer is validated against the spec by
//! `common::Api`.
#![cfg(feature = "emulator")]

mod common;

use common::openapi::Spec;
use common::Api;
use serde_json::{json, Value};

const HELLO: &str = "apify~hello-world";
const CLIENT: &str = "walker";

fn is_storage_tag(tag: &str) -> bool {
    tag.starts_with("Storage/")
        || [
            "Default dataset",
            "Default key-value store",
            "Default request queue",
        ]
        .contains(&tag)
        || tag.starts_with("Last Actor run's default ")
        || tag.starts_with("Last Actor task run's default ")
}

/// (method, path template, operationId) of every storage operation, in the spec's order.
fn storage_operations() -> Vec<(String, String, String)> {
    let doc = Spec::get().doc();
    let mut out = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let tags = op["tags"].as_array().cloned().unwrap_or_default();
            if tags.iter().filter_map(Value::as_str).any(is_storage_tag) {
                let id = op["operationId"].as_str().unwrap_or("?").to_string();
                out.push((method.to_uppercase(), template.clone(), id));
            }
        }
    }
    out
}

/// The objects the operations work on.
struct World {
    actor: String,
    task: String,
    run: Value,
    dataset: String,
    store: String,
    queue: String,
}

/// Which storages a path works on: standalone ones, or the run's defaults for run and last-run
/// paths.
fn storages_of(w: &World, template: &str) -> (String, String, String) {
    if template.contains("/runs/last/") || template.starts_with("/v2/actor-runs/") {
        (
            w.run["defaultDatasetId"].as_str().unwrap().to_string(),
            w.run["defaultKeyValueStoreId"]
                .as_str()
                .unwrap()
                .to_string(),
            w.run["defaultRequestQueueId"].as_str().unwrap().to_string(),
        )
    } else {
        (w.dataset.clone(), w.store.clone(), w.queue.clone())
    }
}

/// Deleting a whole storage goes last, so that the other operations find it.
fn deletes_a_storage(method: &str, template: &str) -> bool {
    method == "DELETE"
        && ["}", "/dataset", "/key-value-store", "/request-queue"]
            .iter()
            .any(|end| template.ends_with(end))
        && !template.ends_with("{requestId}")
        && !template.ends_with("{recordKey}")
}

#[test]
fn every_storage_operation_of_the_spec_answers() {
    let api = Api::start();
    let run = api.start_run(HELLO, &json!({}), "?waitForFinish=60");
    let run = api.wait_run(run["id"].as_str().unwrap());
    let actor = run["actId"].as_str().unwrap().to_string();
    let task = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": actor, "name": "walker-task"}),
        )
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let task_run = api
        .post_json(&format!("/v2/actor-tasks/{task}/runs"), &json!({}))
        .expect(201)
        .data();
    api.wait_run(task_run["id"].as_str().unwrap());
    // The Actor's last run must be `run` (the task's run is the Actor's latest otherwise).
    let run = api.start_run(HELLO, &json!({}), "?waitForFinish=60");
    let run = api.wait_run(run["id"].as_str().unwrap());
    let new = |path: &str| {
        api.post_empty(&format!("{path}?name=walker"))
            .expect(201)
            .data()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut w = World {
        dataset: new("/v2/datasets"),
        store: new("/v2/key-value-stores"),
        queue: new("/v2/request-queues"),
        actor,
        task,
        run,
    };

    let mut ops = storage_operations();
    assert!(
        ops.len() >= 120,
        "only {} storage operations found",
        ops.len()
    );
    ops.sort_by_key(|(m, t, _)| deletes_a_storage(m, t));
    let mut not_implemented = Vec::new();
    let mut failed = Vec::new();
    for (n, (method, template, op)) in ops.iter().enumerate() {
        let on_a_run = template.contains("/runs/") || template.starts_with("/v2/actor-runs/");
        if deletes_a_storage(method, template) && on_a_run {
            // Each deletion of a run's storage gets a run of its own.
            if template.starts_with("/v2/actor-tasks/") {
                let r = api
                    .post_json(&format!("/v2/actor-tasks/{}/runs", w.task), &json!({}))
                    .expect(201)
                    .data();
                api.wait_run(r["id"].as_str().unwrap());
            } else {
                let r = api.start_run(HELLO, &json!({}), "?waitForFinish=60");
                w.run = api.wait_run(r["id"].as_str().unwrap());
            }
        }
        // The task's run's storages are the task path's; the world's run is the Actor's.
        let (dataset, store, queue) = if template.starts_with("/v2/actor-tasks/") {
            let r = api
                .get(&format!("/v2/actor-tasks/{}/runs/last", w.task))
                .expect(200)
                .data();
            (
                r["defaultDatasetId"].as_str().unwrap().to_string(),
                r["defaultKeyValueStoreId"].as_str().unwrap().to_string(),
                r["defaultRequestQueueId"].as_str().unwrap().to_string(),
            )
        } else {
            storages_of(&w, template)
        };
        // Fresh contents for the operation's storage: an item, a record, or a request locked
        // by CLIENT.
        let url = format!("https://example.com/op/{n}");
        let mut request_id = String::new();
        if template.contains("dataset") {
            api.post_json(&format!("/v2/datasets/{dataset}/items"), &json!({"n": n}))
                .expect(201);
        } else if template.contains("key-value-store") {
            api.request(
                "PUT",
                &format!("/v2/key-value-stores/{store}/records/rec"),
                &[("Content-Type", "text/plain")],
                Some(b"hello"),
            )
            .expect(201);
        } else {
            request_id = api
                .post_json(
                    &format!(
                        "/v2/request-queues/{queue}/requests?forefront=true&clientKey={CLIENT}"
                    ),
                    &json!({"url": url}),
                )
                .expect(201)
                .data()["requestId"]
                .as_str()
                .unwrap()
                .to_string();
            let locked = api
                .post_empty(&format!(
                    "/v2/request-queues/{queue}/head/lock?lockSecs=60&limit=1&clientKey={CLIENT}"
                ))
                .expect(201)
                .data();
            assert_eq!(locked["items"][0]["id"], request_id.as_str(), "{op}");
        }

        let path = template
            .replace("{actorId}", &w.actor)
            .replace("{actorTaskId}", &w.task)
            .replace("{runId}", w.run["id"].as_str().unwrap())
            .replace("{datasetId}", &dataset)
            .replace("{storeId}", &store)
            .replace("{queueId}", &queue)
            .replace("{requestId}", &request_id)
            .replace("{recordKey}", "rec");
        let mut query = format!("clientKey={CLIENT}");
        if template.ends_with("/lock") {
            query.push_str("&lockSecs=30");
        }
        let json_body = |v: Value| Some(v.to_string().into_bytes());
        let (content_type, body): (&str, Option<Vec<u8>>) = match (method.as_str(), template) {
            ("POST", t) if t.ends_with("/items") => {
                ("application/json", json_body(json!([{"x": 1}])))
            }
            ("PUT" | "POST", t) if t.ends_with("{recordKey}") => {
                ("text/plain", Some(b"new".to_vec()))
            }
            ("POST", t) if t.ends_with("/requests") => (
                "application/json",
                json_body(json!({"url": format!("{url}/added")})),
            ),
            ("POST", t) if t.ends_with("/requests/batch") => (
                "application/json",
                json_body(json!([{"url": format!("{url}/b1")}, {"url": format!("{url}/b2")}])),
            ),
            ("DELETE", t) if t.ends_with("/requests/batch") => {
                ("application/json", json_body(json!([{"id": request_id}])))
            }
            ("PUT", t) if t.ends_with("{requestId}") => (
                "application/json",
                json_body(json!({"id": request_id, "url": url, "userData": {"label": "x"}})),
            ),
            ("PUT", _) => (
                "application/json",
                json_body(json!({"generalAccess": "RESTRICTED"})),
            ),
            _ => ("application/json", None),
        };
        let resp = api.request(
            method,
            &format!("{path}?{query}"),
            &[("Content-Type", content_type)],
            body.as_deref(),
        );
        if resp.status == 501 {
            not_implemented.push(format!("{op} ({method} {template})"));
        } else if !(200..300).contains(&resp.status) {
            failed.push(format!(
                "{op} ({method} {path}): {} {}",
                resp.status,
                resp.text()
            ));
        }
    }
    assert!(
        not_implemented.is_empty(),
        "storage operations answered 501:\n  {}",
        not_implemented.join("\n  ")
    );
    assert!(
        failed.is_empty(),
        "storage operations failed:\n  {}",
        failed.join("\n  ")
    );
}
