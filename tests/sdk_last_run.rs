//! The last run's default storages through the `runs/last` aliases (`last_run_client`), with and
//! without a status filter, for an Actor and a task, against the in-process emulator.
#![cfg(feature = "emulator")]

use std::time::Duration;

use apify::{Client, Error, ItemsOptions, KeysOptions, QueueRequest, Run, RunStatus, StartOptions};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{journal, setup, support};

const GENERATOR: &str = "emulator/generator";
const ALIAS: &str = "/v2/actors/emulator~generator/runs/last";

/// The query strings of the journal's entries for `path` (exact), in order.
fn queries(client: &Client, method: &str, path: &str) -> Vec<String> {
    journal(client, method, path)
        .iter()
        .map(|e| e["query"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn finished() -> StartOptions {
    StartOptions::default().wait_for_finish(Duration::from_secs(30))
}

fn run_generator(client: &Client, input: Value) -> Run {
    let run = client.actor(GENERATOR).start(&input, &finished()).unwrap();
    assert!(run.status.is_terminal(), "the run finished: {run:?}");
    run
}

fn output(record: Option<apify::Record>) -> Value {
    record.expect("a record").json().unwrap()
}

#[test]
fn the_last_runs_storages_are_reached_with_and_without_a_status() {
    let (_emu, client) = setup();
    let good = run_generator(&client, json!({"count": 3, "output": {"run": "good"}}));
    let bad = run_generator(
        &client,
        json!({"count": 5, "outcome": "FAILED", "output": {"run": "bad"}}),
    );
    assert_eq!(good.status, RunStatus::Succeeded);
    assert_eq!(bad.status, RunStatus::Failed);

    let actor = client.actor(GENERATOR);
    let last = actor.last_run_client(None);
    let ok = actor.last_run_client(Some("SUCCEEDED"));
    assert_eq!(ok.status(), Some("SUCCEEDED"));
    assert_eq!(last.get().unwrap().unwrap().id, bad.id);
    assert_eq!(ok.get().unwrap().unwrap().id, good.id);

    // Dataset: metadata, one page, and the read-ahead iterator.
    let meta = ok.dataset().get().unwrap().expect("the dataset");
    assert_eq!(meta["id"], good.default_dataset_id.as_str());
    let meta = last.dataset().get().unwrap().expect("the dataset");
    assert_eq!(meta["id"], bad.default_dataset_id.as_str());
    let page = ok
        .dataset()
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap();
    assert_eq!(page.items.len(), 3);
    let page = last
        .dataset()
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap();
    assert_eq!(page.items.len(), 5);
    let all: Vec<Value> = ok
        .dataset()
        .iter_items(&ItemsOptions::default(), 2)
        .collect::<Result<_, _>>()
        .unwrap();
    let indexes: Vec<u64> = all.iter().map(|i| i["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, [0, 1, 2]);

    // Key-value store: OUTPUT, INPUT and the keys.
    let kvs = ok.key_value_store();
    assert_eq!(
        output(kvs.get_record("OUTPUT").unwrap()),
        json!({"run": "good"})
    );
    assert_eq!(output(kvs.get_record("INPUT").unwrap())["count"], 3);
    let keys: Vec<String> = kvs
        .list_keys(&KeysOptions::default())
        .unwrap()
        .items
        .into_iter()
        .map(|k| k.key)
        .collect();
    assert!(keys.contains(&"INPUT".to_string()) && keys.contains(&"OUTPUT".to_string()));
    let kvs = last.key_value_store();
    assert_eq!(
        output(kvs.get_record("OUTPUT").unwrap()),
        json!({"run": "bad"})
    );
    assert_eq!(output(kvs.get_record("INPUT").unwrap())["count"], 5);

    // Request queue: a request added through the alias lands in the succeeded run's queue.
    let queue = ok.request_queue();
    assert_eq!(queue.id(), GENERATOR);
    queue
        .add(&QueueRequest::new("https://example.com/last"), false)
        .unwrap();
    let meta = queue.get().unwrap().expect("the queue");
    assert_eq!(Some(meta.id), good.default_request_queue_id);
    assert_eq!(meta.total_request_count, 1);
    let head = queue.list_head(None).unwrap();
    assert_eq!(head.items.len(), 1);
    assert_eq!(head.items[0].url, "https://example.com/last");
    let direct = client
        .run(&good.id)
        .request_queue()
        .list_head(None)
        .unwrap();
    assert_eq!(direct.items.len(), 1);
    let other = last.request_queue().get().unwrap().expect("the queue");
    assert_eq!(Some(other.id), bad.default_request_queue_id);
    assert_eq!(other.total_request_count, 0);

    // Every alias request of the filtered clients carried the status; the others none.
    let items = queries(&client, "GET", &format!("{ALIAS}/dataset/items"));
    let with = items
        .iter()
        .filter(|q| q.contains("status=SUCCEEDED"))
        .count();
    assert!(
        with >= 3,
        "the page and at least two read-ahead pages: {items:?}"
    );
    assert_eq!(items.len() - with, 1, "{items:?}");
    assert!(items
        .iter()
        .all(|q| !q.contains("status=") || q.contains("status=SUCCEEDED")));
    let output_reads = queries(
        &client,
        "GET",
        &format!("{ALIAS}/key-value-store/records/OUTPUT"),
    );
    assert_eq!(output_reads.len(), 2);
    assert_eq!(
        output_reads
            .iter()
            .filter(|q| q.contains("status=SUCCEEDED"))
            .count(),
        1
    );
    let keys = queries(&client, "GET", &format!("{ALIAS}/key-value-store/keys"));
    assert_eq!(keys.len(), 1);
    assert!(keys[0].contains("status=SUCCEEDED"));
    let adds = queries(&client, "POST", &format!("{ALIAS}/request-queue/requests"));
    assert_eq!(adds.len(), 1);
    assert!(adds[0].contains("status=SUCCEEDED") && adds[0].contains("clientKey="));
    let heads = queries(&client, "GET", &format!("{ALIAS}/request-queue/head"));
    assert_eq!(heads.len(), 1);
    assert!(heads[0].contains("status=SUCCEEDED"));
    let gets = queries(&client, "GET", &format!("{ALIAS}/request-queue"));
    assert_eq!(gets.len(), 2);
    assert_eq!(
        gets.iter()
            .filter(|q| q.contains("status=SUCCEEDED"))
            .count(),
        1
    );
    // The queue's own metadata carries no clientKey.
    assert!(gets.iter().all(|q| !q.contains("clientKey")));
}

#[test]
fn a_tasks_last_run_is_reached_and_without_one_the_api_answers_not_found() {
    let (_emu, client) = setup();
    let actor = client
        .actor(GENERATOR)
        .get()
        .unwrap()
        .expect("the generator");
    let created = support(
        &client,
        "POST",
        "/v2/actor-tasks",
        Some(json!({"actId": actor["id"], "name": "last-run-task"})),
    );
    let task_id = created["data"]["id"].as_str().unwrap().to_string();
    let task = client.task(&task_id);

    // No run yet: the run itself is None, the storages' requests are the API's 404.
    let none = task.last_run_client(Some("SUCCEEDED"));
    assert!(none.get().unwrap().is_none());
    assert!(none.dataset().get().unwrap().is_none());
    let e = none
        .dataset()
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = none
        .key_value_store()
        .list_keys(&KeysOptions::default())
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = none.request_queue().list_head(None).unwrap_err();
    assert!(e.is_not_found(), "{e:?}");

    let run = task
        .start(&json!({"count": 2, "output": {"run": "task"}}), &finished())
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    for last in [
        task.last_run_client(None),
        task.last_run_client(Some("SUCCEEDED")),
    ] {
        assert_eq!(last.get().unwrap().unwrap().id, run.id);
        let page = last
            .dataset()
            .list_items::<Value>(&ItemsOptions::default())
            .unwrap();
        assert_eq!(page.items.len(), 2);
        let record = last.key_value_store().get_record("OUTPUT").unwrap();
        assert_eq!(output(record), json!({"run": "task"}));
        let queue = last.request_queue().get().unwrap().expect("the queue");
        assert_eq!(Some(queue.id), run.default_request_queue_id);
    }
    // Another status: no such run.
    let failed = task.last_run_client(Some("FAILED"));
    let e = failed
        .dataset()
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");

    let alias = format!("/v2/actor-tasks/{task_id}/runs/last/dataset/items");
    let items = queries(&client, "GET", &alias);
    assert_eq!(items.len(), 4, "{items:?}");
    assert_eq!(
        items
            .iter()
            .filter(|q| q.contains("status=SUCCEEDED"))
            .count(),
        2
    );
    assert_eq!(
        items.iter().filter(|q| q.contains("status=FAILED")).count(),
        1
    );
}

#[test]
fn an_empty_actor_id_is_refused_before_sending() {
    let (_emu, client) = setup();
    let last = client.actor(" ").last_run_client(Some("SUCCEEDED"));
    let e = last
        .dataset()
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    let e = last.key_value_store().get_record("OUTPUT").unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    let e = last.request_queue().get().unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    assert!(journal(&client, "*", "/v2/**").is_empty());
}

#[test]
fn an_unknown_status_is_the_apis_error() {
    let (_emu, client) = setup();
    run_generator(&client, json!({"count": 1}));
    let e = client
        .actor(GENERATOR)
        .last_run_client(Some("BOGUS"))
        .dataset()
        .list_items::<Value>(&ItemsOptions::default())
        .unwrap_err();
    match e {
        Error::Api(api) => assert_eq!(api.status, 400, "{api:?}"),
        other => panic!("expected the API's 400, got {other:?}"),
    }
}
