//! Tasks through the SDK against the in-process emulator: the collection (list, create), one
//! task's update, delete, saved input and webhooks, typed; the synchronous runs in both forms
//! (POST with input, GET without: the task's saved input, the Actor's none), read back from the
//! emulator's request journal; bad arguments refused before any request.
#![cfg(feature = "emulator")]

use apify::{
    Client, Error, ItemsOptions, StartOptions, TaskCreate, TaskListOptions, TaskOptions, TaskUpdate,
};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{journal, setup, support};

const HELLO: &str = "apify/hello-world";

/// How many requests with this method (`""`: any) the emulator received for this path (a glob).
fn received(client: &Client, method: &str, path: &str) -> usize {
    journal(client, method, path).len()
}

#[test]
fn tasks_are_created_listed_updated_and_deleted() {
    let (_emu, client) = setup();
    let tasks = client.tasks();
    let created = tasks
        .create(
            &TaskCreate::new(HELLO)
                .name("greeter")
                .title("Greets")
                .input(json!({"message": "saved"}))
                .options(TaskOptions::default().memory_mbytes(256).timeout_secs(60)),
        )
        .unwrap();
    assert_eq!(created.name, "greeter");
    assert_eq!(created.title.as_deref(), Some("Greets"));
    assert_eq!(created.input, Some(json!({"message": "saved"})));
    let options = created.options.clone().unwrap();
    assert_eq!(options.memory_mbytes, Some(256));
    assert_eq!(options.timeout_secs, Some(60));
    // The server named the Actor by id; the name came along in `extra`.
    assert_eq!(created.extra["actName"], "hello-world");
    let second = tasks
        .create(&TaskCreate::new("apify~hello-world").name("second"))
        .unwrap();
    assert_eq!(second.act_id, created.act_id);

    let page = tasks.list(&TaskListOptions::default()).unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].id, created.id);
    assert!(page.items[0].input.is_none(), "list items carry no input");
    let page = tasks
        .list(&TaskListOptions::default().desc(true).limit(1))
        .unwrap();
    assert_eq!(
        (page.items.len(), page.items[0].id.as_str()),
        (1, second.id.as_str())
    );
    let page = tasks.list(&TaskListOptions::default().offset(1)).unwrap();
    assert_eq!(page.items[0].id, second.id);

    // By id and by username~name.
    let task = client.task(&created.id);
    assert_eq!(task.get().unwrap().unwrap().id, created.id);
    let by_name = client.task(&format!("{}~greeter", created.username.clone().unwrap()));
    assert_eq!(by_name.get().unwrap().unwrap().id, created.id);

    let updated = task
        .update(
            &TaskUpdate::default()
                .name("greeter-2")
                .options(TaskOptions::default().build("latest")),
        )
        .unwrap();
    assert_eq!(updated.name, "greeter-2");
    assert_eq!(updated.options.unwrap().build.as_deref(), Some("latest"));
    assert_eq!(updated.input, Some(json!({"message": "saved"})));
    // Renaming onto a taken name is the server's refusal.
    let e = task
        .update(&TaskUpdate::default().name("second"))
        .unwrap_err();
    assert_eq!(e.api().unwrap().kind, "actor-task-name-not-unique", "{e}");

    assert_eq!(task.input().unwrap(), Some(json!({"message": "saved"})));
    let stored = task.update_input(&json!({"message": "new"})).unwrap();
    assert_eq!(stored, json!({"message": "new"}));
    assert_eq!(
        task.get().unwrap().unwrap().input,
        Some(json!({"message": "new"}))
    );

    task.delete().unwrap();
    assert!(task.get().unwrap().is_none());
    assert!(task.input().unwrap().is_none());
    assert!(task.delete().unwrap_err().is_not_found());
    assert_eq!(tasks.list(&TaskListOptions::default()).unwrap().total, 1);
}

#[test]
fn a_tasks_webhooks_are_listed_typed() {
    let (_emu, client) = setup();
    let task = client
        .tasks()
        .create(&TaskCreate::new(HELLO).name("hooked"))
        .unwrap();
    let task = client.task(&task.id);
    assert_eq!(task.webhooks(&TaskListOptions::default()).unwrap().total, 0);
    for url in ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"] {
        support(
            &client,
            "POST",
            "/v2/webhooks",
            Some(json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"],
                        "condition": {"actorTaskId": task.get().unwrap().unwrap().id},
                        "requestUrl": url})),
        );
    }
    // A webhook on the Actor is not the task's.
    support(
        &client,
        "POST",
        "/v2/webhooks",
        Some(json!({"eventTypes": ["ACTOR.RUN.SUCCEEDED"],
                    "condition": {"actorId": "apify~hello-world"},
                    "requestUrl": "http://127.0.0.1:9/c"})),
    );
    let page = task.webhooks(&TaskListOptions::default()).unwrap();
    assert_eq!(page.total, 2);
    let page = task
        .webhooks(&TaskListOptions::default().desc(true).limit(1))
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].request_url, "http://127.0.0.1:9/b");
    assert!(client
        .task("nope")
        .webhooks(&TaskListOptions::default())
        .unwrap_err()
        .is_not_found());
}

#[test]
fn synchronous_runs_without_input_send_the_get_forms() {
    let (_emu, client) = setup();
    let created = client
        .tasks()
        .create(
            &TaskCreate::new(HELLO)
                .name("sync-task")
                .input(json!({"message": "saved"})),
        )
        .unwrap();
    let task = client.task(&created.id);
    let task_path = format!("/v2/actor-tasks/{}", created.id);
    let none = StartOptions::default();

    // No input: a GET, and the task runs with its saved input.
    let out = task.run_sync(&(), &none, None).unwrap();
    assert_eq!(out.json::<Value>().unwrap(), json!({"message": "saved"}));
    let sync = format!("{task_path}/run-sync");
    assert_eq!(
        (
            received(&client, "GET", &sync),
            received(&client, "POST", &sync)
        ),
        (1, 0)
    );
    // With input: a POST, laid over the saved one.
    let out = task
        .run_sync(&json!({"message": "given"}), &none, None)
        .unwrap();
    assert_eq!(out.json::<Value>().unwrap(), json!({"message": "given"}));
    assert_eq!(received(&client, "POST", &sync), 1);

    let items_path = format!("{task_path}/run-sync-get-dataset-items");
    let items: Vec<Value> = task
        .run_sync_get_items(&Value::Null, &none, &ItemsOptions::default())
        .unwrap();
    assert_eq!(items, vec![json!({"message": "saved"})]);
    let items: Vec<Value> = task
        .run_sync_get_items(&json!({"message": "x"}), &none, &ItemsOptions::default())
        .unwrap();
    assert_eq!(items, vec![json!({"message": "x"})]);
    assert_eq!(
        (
            received(&client, "GET", &items_path),
            received(&client, "POST", &items_path)
        ),
        (1, 1)
    );

    // An Actor without input gets none (GET), with input a POST.
    let actor = client.actor(HELLO);
    let out = actor.run_sync(&(), &none, None).unwrap();
    assert_eq!(
        out.json::<Value>().unwrap(),
        json!({"message": "Hello, world!"})
    );
    let path = "/v2/actors/apify~hello-world/run-sync";
    assert_eq!(received(&client, "GET", path), 1);
    let items: Vec<Value> = actor
        .run_sync_get_items(&(), &none, &ItemsOptions::default())
        .unwrap();
    assert_eq!(items, vec![json!({"message": "Hello, world!"})]);
    let items: Vec<Value> = actor
        .run_sync_get_items(&json!({"message": "m"}), &none, &ItemsOptions::default())
        .unwrap();
    assert_eq!(items, vec![json!({"message": "m"})]);
    let path = "/v2/actors/apify~hello-world/run-sync-get-dataset-items";
    assert_eq!(
        (
            received(&client, "GET", path),
            received(&client, "POST", path)
        ),
        (1, 1)
    );
    // The start options ride on the GET form's query too.
    let run_list = task
        .runs(&apify::RunsOptions::default().limit(10).desc(true))
        .unwrap();
    assert_eq!(run_list.total, 4);
    task.run_sync(&(), &StartOptions::default().memory_mbytes(512), None)
        .unwrap();
    let last = task.last_run(None).unwrap().unwrap();
    assert_eq!(last.options["memoryMbytes"], 512);
}

#[test]
fn bad_task_arguments_are_refused_before_any_request() {
    let (_emu, client) = setup();
    let before = received(&client, "", "/v2/actor-tasks/**");
    let tasks = client.tasks();
    let refused = [
        tasks.create(&TaskCreate::new("")).unwrap_err(),
        tasks
            .create(&TaskCreate::new(HELLO).name("no spaces"))
            .unwrap_err(),
        tasks
            .create(&TaskCreate::new(HELLO).input(json!("text")))
            .unwrap_err(),
        tasks
            .create(&TaskCreate::new(HELLO).options(TaskOptions::default().memory_mbytes(300)))
            .unwrap_err(),
        tasks
            .list(&TaskListOptions::default().limit(1001))
            .unwrap_err(),
        client.task("t").update(&TaskUpdate::default()).unwrap_err(),
        client.task("t").update_input(&json!([1, 2])).unwrap_err(),
        client.task("").delete().unwrap_err(),
        client
            .task("t")
            .webhooks(&TaskListOptions::default().limit(0))
            .unwrap_err(),
    ];
    for e in &refused {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    assert!(
        refused[1].to_string().contains("no spaces"),
        "{}",
        refused[1]
    );
    assert_eq!(received(&client, "", "/v2/actor-tasks/**"), before);
    // What only the server knows: a missing Actor.
    let e = tasks
        .create(&TaskCreate::new("nobody~nothing"))
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(received(&client, "", "/v2/actor-tasks/**"), before + 1);
}
