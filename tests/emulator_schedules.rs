//! The emulator's schedules: create, get (by id or name), list with offset/limit/desc, update,
//! delete and log, every answer validated against the spec by `common::Api`; `nextRunAt`
//! computed from the cron expression in the schedule's time zone; refusals naming what is
//! wrong (cron expression, time zone, actions whose Actor or task does not exist, names).
#![cfg(feature = "emulator")]

mod common;

use common::Api;
use serde_json::{json, Value};

const HELLO: &str = "apify~hello-world";

fn task(api: &Api, name: &str) -> String {
    let t = api
        .post_json("/v2/actor-tasks", &json!({"actId": HELLO, "name": name}))
        .expect(201)
        .data();
    t["id"].as_str().unwrap().to_string()
}

fn create(api: &Api, body: &Value) -> Value {
    api.post_json("/v2/schedules", body).expect(201).data()
}

/// The year of an ISO timestamp.
fn year(iso: &Value) -> u32 {
    iso.as_str().unwrap()[..4].parse().unwrap()
}

#[test]
fn schedules_are_created_read_listed_updated_and_deleted() {
    let api = Api::start();
    let task_id = task(&api, "nightly");
    let r = api.post_json(
        "/v2/schedules",
        &json!({
            "name": "yearly-run",
            "cronExpression": "0 0 1 1 *",
            "title": "Once a year",
            "description": "New year",
            "actions": [
                {"type": "RUN_ACTOR", "actorId": HELLO,
                 "runInput": {"body": "{\"message\": \"hi\"}", "contentType": "application/json"},
                 "runOptions": {"memoryMbytes": 256, "build": "latest"}},
                {"type": "RUN_ACTOR_TASK", "actorTaskId": "nightly", "input": {"message": "t"}}
            ]
        }),
    );
    let r = r.expect(201);
    let s = r.data();
    let id = s["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("{}/v2/schedules/{id}", api.base).as_str())
    );
    assert_eq!(s["timezone"], "UTC");
    assert_eq!(
        (s["isEnabled"].clone(), s["isExclusive"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(s["lastRunAt"], Value::Null);
    // The next New Year's midnight (UTC) after now.
    assert_eq!(
        s["nextRunAt"],
        format!("{}-01-01T00:00:00.000Z", year(&s["createdAt"]) + 1)
    );
    // Actions get ids; the Actor and the task are stored by id.
    let hello_id = api.get(&format!("/v2/acts/{HELLO}")).expect(200).data()["id"].clone();
    assert_eq!(s["actions"][0]["actorId"], hello_id);
    assert_eq!(s["actions"][0]["runOptions"]["memoryMbytes"], 256);
    assert_eq!(s["actions"][1]["actorTaskId"], task_id.as_str());
    assert_eq!(s["actions"][1]["input"], json!({"message": "t"}));
    assert_eq!(s["actions"][0]["id"].as_str().unwrap().len(), 17);

    // By id and by name.
    assert_eq!(
        api.get(&format!("/v2/schedules/{id}")).expect(200).data(),
        s
    );
    let by_name = api
        .get("/v2/schedules/emulator~yearly-run")
        .expect(200)
        .data();
    assert_eq!(by_name["id"], id.as_str());

    // A daily one in a zone two hours east of UTC: local midnight is 22:00 UTC.
    let daily = create(
        &api,
        &json!({"name": "daily", "cronExpression": "@daily", "timezone": "+02:00"}),
    );
    assert!(
        daily["nextRunAt"]
            .as_str()
            .unwrap()
            .ends_with("T22:00:00.000Z"),
        "{daily}"
    );
    let off = create(
        &api,
        &json!({"name": "off", "cronExpression": "* * * * *", "isEnabled": false}),
    );
    assert_eq!(off["nextRunAt"], Value::Null);

    // The list: oldest first, short actions, offset, limit, desc.
    let list = api.get("/v2/schedules").expect(200).data();
    assert_eq!(list["total"], 3);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["yearly-run", "daily", "off"]);
    assert_eq!(
        list["items"][0]["actions"][1],
        json!({"id": s["actions"][1]["id"], "type": "RUN_ACTOR_TASK", "actorTaskId": task_id})
    );
    let page = api
        .get("/v2/schedules?desc=true&limit=1")
        .expect(200)
        .data();
    assert_eq!(
        (page["count"].clone(), page["items"][0]["name"].clone()),
        (json!(1), json!("off"))
    );
    let page = api.get("/v2/schedules?offset=1&limit=1").expect(200).data();
    assert_eq!(page["items"][0]["name"], "daily");

    // Update: only the fields given change; nextRunAt follows the new expression.
    let updated = api
        .put_json(
            &format!("/v2/schedules/{id}"),
            &json!({"cronExpression": "30 6 * * *", "timezone": "Etc/GMT+5", "isExclusive": true}),
        )
        .expect(200)
        .data();
    assert_eq!(updated["title"], "Once a year");
    assert_eq!(updated["isExclusive"], true);
    assert_eq!(updated["actions"], s["actions"]);
    // 06:30 five hours west of UTC is 11:30 UTC.
    assert!(
        updated["nextRunAt"]
            .as_str()
            .unwrap()
            .ends_with("T11:30:00.000Z"),
        "{updated}"
    );
    let updated = api
        .put_json(
            &format!("/v2/schedules/{id}"),
            &json!({"actions": [], "isEnabled": false}),
        )
        .expect(200)
        .data();
    assert_eq!(updated["actions"], json!([]));
    assert_eq!(updated["nextRunAt"], Value::Null);

    // The log: the emulator does not fire schedules, so no invocations.
    assert_eq!(
        api.get(&format!("/v2/schedules/{id}/log"))
            .expect(200)
            .data(),
        json!([])
    );

    api.delete(&format!("/v2/schedules/{id}")).expect(204);
    let r = api.get(&format!("/v2/schedules/{id}")).expect(404);
    assert_eq!(r.error_type(), "record-not-found");
    api.get(&format!("/v2/schedules/{id}/log")).expect(404);
    api.delete(&format!("/v2/schedules/{id}")).expect(404);
    assert_eq!(api.get("/v2/schedules").expect(200).data()["total"], 2);
}

#[test]
fn bad_schedules_are_refused_naming_the_problem() {
    let api = Api::start();
    create(&api, &json!({"name": "taken", "cronExpression": "@hourly"}));
    let cases = [
        (json!({"name": "a"}), 400, "invalid-value", "cronExpression"),
        (
            json!({"cronExpression": "61 * * * *"}),
            400,
            "cron-expression-invalid",
            "'61 * * * *'",
        ),
        (
            json!({"cronExpression": "* * *"}),
            400,
            "cron-expression-invalid",
            "3 fields",
        ),
        (
            json!({"cronExpression": "0 0 30 2 *"}),
            400,
            "cron-expression-invalid",
            "matches no date",
        ),
        (
            json!({"cronExpression": "@reboot"}),
            400,
            "cron-expression-invalid",
            "@reboot",
        ),
        (
            json!({"cronExpression": "@daily", "timezone": "Mars/Olympus"}),
            400,
            "invalid-value",
            "Mars/Olympus",
        ),
        (
            json!({"cronExpression": "@daily", "name": "taken"}),
            400,
            "schedule-name-not-unique",
            "taken",
        ),
        (
            json!({"cronExpression": "@daily", "name": "no spaces"}),
            400,
            "invalid-value",
            "no spaces",
        ),
        (
            json!({"cronExpression": "@daily", "actions": [{"type": "RUN_ACTOR", "actorId": "nobody~nothing"}]}),
            404,
            "schedule-actor-not-found",
            "nobody~nothing",
        ),
        (
            json!({"cronExpression": "@daily", "actions": [{"type": "RUN_ACTOR_TASK", "actorTaskId": "missing"}]}),
            404,
            "schedule-actor-task-not-found",
            "missing",
        ),
        (
            json!({"cronExpression": "@daily", "actions": [{"type": "RUN_WEBHOOK"}]}),
            400,
            "invalid-value",
            "RUN_WEBHOOK",
        ),
        (
            json!({"cronExpression": "@daily", "actions": [{"type": "RUN_ACTOR"}]}),
            400,
            "invalid-value",
            "actorId",
        ),
        (
            json!({"cronExpression": "@daily", "actions": [{"type": "RUN_ACTOR", "actorId": HELLO,
                    "runInput": {"body": "{no", "contentType": "application/json"}}]}),
            400,
            "invalid-value",
            "runInput.body",
        ),
        (
            json!({"cronExpression": "@daily", "actions": [{"type": "RUN_ACTOR", "actorId": HELLO,
                    "runOptions": {"memoryMbytes": "lots"}}]}),
            400,
            "invalid-value",
            "memoryMbytes",
        ),
        (
            json!({"cronExpression": "@daily", "isEnabled": "yes"}),
            400,
            "invalid-value",
            "isEnabled",
        ),
    ];
    for (body, status, kind, names) in cases {
        let r = api.post_json("/v2/schedules", &body).expect(status);
        assert_eq!(r.error_type(), kind, "{body}: {}", r.text());
        assert!(r.text().contains(names), "{body}: {}", r.text());
    }
    // Nothing was created by a refused request, and a refused update changes nothing.
    assert_eq!(api.get("/v2/schedules").expect(200).data()["total"], 1);
    let r = api
        .put_json(
            "/v2/schedules/taken",
            &json!({"cronExpression": "bad", "name": "renamed"}),
        )
        .expect(400);
    assert_eq!(r.error_type(), "cron-expression-invalid");
    let s = api.get("/v2/schedules/taken").expect(200).data();
    assert_eq!(
        (s["cronExpression"].clone(), s["name"].clone()),
        (json!("@hourly"), json!("taken"))
    );
    api.get("/v2/schedules/nope").expect(404);
    api.put_json("/v2/schedules/nope", &json!({})).expect(404);
}

fn fire(api: &Api, id: &str) -> Value {
    api.post_empty(&format!("/_emulator/schedules/{id}/fire"))
        .expect(200)
        .data()
}

fn run_ids(fired: &Value) -> Vec<String> {
    fired["runIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_fired_schedule_starts_its_actions_and_logs_them() {
    let api = Api::start();
    let task_id = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": HELLO, "name": "t", "input": {"message": "task"}}),
        )
        .expect(201)
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = create(
        &api,
        &json!({"name": "both", "cronExpression": "0 0 1 1 *", "actions": [
            {"type": "RUN_ACTOR", "actorId": HELLO,
             "runInput": {"body": "{\"message\": \"scheduled\"}", "contentType": "application/json"},
             "runOptions": {"memoryMbytes": 512}},
            {"type": "RUN_ACTOR_TASK", "actorTaskId": task_id, "input": {"message": "over"}}]}),
    );
    let id = s["id"].as_str().unwrap();
    let fired = fire(&api, id);
    assert_eq!(fired["log"]["level"], "INFO", "{fired}");
    let runs = run_ids(&fired);
    assert_eq!(runs.len(), 2);
    for (run_id, message) in runs.iter().zip(["scheduled", "over"]) {
        let run = api.wait_run(run_id);
        assert_eq!(run["status"], "SUCCEEDED");
        assert_eq!(run["meta"]["origin"], "SCHEDULER");
        assert_eq!(run["meta"]["scheduleId"], id);
        assert!(run["meta"]["scheduledAt"].is_string());
        let store = run["defaultKeyValueStoreId"].as_str().unwrap();
        let output = api
            .get(&format!("/v2/key-value-stores/{store}/records/OUTPUT"))
            .expect(200)
            .json();
        assert_eq!(output, json!({"message": message}));
    }
    let first = api
        .get(&format!("/v2/actor-runs/{}", runs[0]))
        .expect(200)
        .data();
    assert_eq!(first["options"]["memoryMbytes"], 512);
    let second = api
        .get(&format!("/v2/actor-runs/{}", runs[1]))
        .expect(200)
        .data();
    assert_eq!(second["actorTaskId"], task_id.as_str());
    // The run list shows the origin too.
    let list = api.get("/v2/actor-runs").expect(200).data();
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["meta"]["origin"] == "SCHEDULER"));

    let s = api.get(&format!("/v2/schedules/{id}")).expect(200).data();
    assert!(s["lastRunAt"].is_string(), "{s}");
    let log = api
        .get(&format!("/v2/schedules/{id}/log"))
        .expect(200)
        .data();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert!(
        log[0]["message"].as_str().unwrap().contains(&runs[0]),
        "{log}"
    );

    // An action whose task is gone fails, and the log says so; the other still starts.
    api.delete(&format!("/v2/actor-tasks/{task_id}"))
        .expect(204);
    let fired = fire(&api, id);
    assert_eq!(fired["log"]["level"], "ERROR");
    assert!(
        fired["log"]["message"].as_str().unwrap().contains(&task_id),
        "{fired}"
    );
    assert_eq!(run_ids(&fired).len(), 1);
    api.post_empty("/_emulator/schedules/nope/fire").expect(404);
}

#[test]
fn an_exclusive_schedule_skips_while_its_runs_go_on() {
    let api = Api::start();
    let s = create(
        &api,
        &json!({"name": "slow", "cronExpression": "@hourly", "isExclusive": true, "actions": [
            {"type": "RUN_ACTOR", "actorId": "emulator~generator",
             "runInput": {"body": "{\"durationSecs\": 60}", "contentType": "application/json"}}]}),
    );
    let id = s["id"].as_str().unwrap();
    let runs = run_ids(&fire(&api, id));
    assert_eq!(runs.len(), 1);
    let skipped = fire(&api, id);
    assert_eq!(run_ids(&skipped).len(), 0);
    assert!(
        skipped["log"]["message"]
            .as_str()
            .unwrap()
            .contains(&runs[0]),
        "{skipped}"
    );
    api.post_empty(&format!("/v2/actor-runs/{}/abort", runs[0]))
        .expect(200);
    assert_eq!(run_ids(&fire(&api, id)).len(), 1);
    let log = api
        .get(&format!("/v2/schedules/{id}/log"))
        .expect(200)
        .data();
    assert_eq!(log.as_array().unwrap().len(), 3);
    // Abort what is left, so that nothing runs on after the test.
    for r in api.get("/v2/actor-runs").expect(200).data()["items"]
        .as_array()
        .unwrap()
    {
        if r["status"] == "RUNNING" || r["status"] == "READY" {
            api.post_empty(&format!(
                "/v2/actor-runs/{}/abort",
                r["id"].as_str().unwrap()
            ))
            .expect(200);
        }
    }
}

/// The firing thread itself: a schedule for every minute fires at the next minute (so this
/// test waits up to a minute), for the time it was due.
#[test]
fn schedules_fire_at_their_time() {
    let api = Api::start();
    let s = create(
        &api,
        &json!({"name": "every-minute", "cronExpression": "* * * * *", "actions": [
            {"type": "RUN_ACTOR", "actorId": HELLO}]}),
    );
    let due = s["nextRunAt"].clone();
    let id = s["id"].as_str().unwrap();
    let mut log = Value::Null;
    // Polled for up to two minutes: the minute boundary, and slack for a loaded machine.
    for _ in 0..480 {
        log = api
            .get(&format!("/v2/schedules/{id}/log"))
            .expect(200)
            .data();
        if !log.as_array().unwrap().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(log[0]["level"], "INFO", "{log}");
    let runs = api.get("/v2/actor-runs").expect(200).data();
    let run = &runs["items"][0];
    assert_eq!(run["meta"]["origin"], "SCHEDULER");
    assert_eq!(run["meta"]["scheduledAt"], due);
    let s = api.get(&format!("/v2/schedules/{id}")).expect(200).data();
    assert_eq!(s["lastRunAt"], due);
    assert_ne!(s["nextRunAt"], due);
}
