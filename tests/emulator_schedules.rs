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
