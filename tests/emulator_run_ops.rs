//! The run operations beyond start, wait and abort, against the emulator: update (status
//! message, general access), delete, metamorph, reboot. Every operation and every refusal;
//! every JSON answer is validated against the spec by `common::Api`. (Charges, run lists and the
//! Actor-scoped run routes: emulator_run_lists.rs.)
#![cfg(feature = "emulator")]

mod common;

use std::time::{Duration, Instant};

use common::runs::{actor_id, error, get_run, id, record, running};
use common::Api;
use serde_json::{json, Value};

const HELLO: &str = "apify~hello-world";
const GENERATOR: &str = "emulator~generator";

#[test]
fn status_message_and_general_access_are_updated() {
    let api = Api::start();
    let run = running(&api, GENERATOR, &json!({"durationSecs": 30}), "");
    let rid = id(&run);
    let path = format!("/v2/actor-runs/{rid}");
    let updated = api
        .put_json(
            &path,
            &json!({"runId": rid, "statusMessage": "Half way", "isStatusMessageTerminal": false}),
        )
        .expect(200)
        .data();
    assert_eq!(updated["statusMessage"], "Half way");
    assert_eq!(updated["isStatusMessageTerminal"], false);
    assert_eq!(updated["generalAccess"], "FOLLOW_USER_SETTING");
    // Without runId, and the access level alone.
    api.put_json(
        &path,
        &json!({"statusMessage": "Almost", "isStatusMessageTerminal": true}),
    )
    .expect(200);
    let updated = api
        .put_json(&path, &json!({"generalAccess": "RESTRICTED"}))
        .expect(200)
        .data();
    assert_eq!(updated["generalAccess"], "RESTRICTED");
    assert_eq!(updated["statusMessage"], "Almost", "kept");
    let run = get_run(&api, &rid);
    assert_eq!(run["statusMessage"], "Almost");
    assert_eq!(run["isStatusMessageTerminal"], true);
    assert_eq!(run["generalAccess"], "RESTRICTED");
    // Without a token: a restricted run is closed; one open to anyone with its id is readable,
    // with its log and default storages, and still not writable.
    let anonymous = api.with_token(None);
    let ds = run["defaultDatasetId"].as_str().unwrap();
    let reads = [
        path.clone(),
        format!("{path}/log"),
        format!("/v2/logs/{rid}"),
        format!("{path}/dataset/items"),
        format!("{path}/key-value-store/records/INPUT"),
    ];
    for p in &reads {
        anonymous.get(p).expect(401);
    }
    api.put_json(&path, &json!({"generalAccess": "ANYONE_WITH_ID_CAN_READ"}))
        .expect(200);
    for p in &reads {
        anonymous.get(p).expect(200);
    }
    anonymous
        .put_json(&path, &json!({"statusMessage": "hijacked"}))
        .expect(401);
    anonymous.post_empty(&format!("{path}/abort")).expect(401);
    // The dataset itself keeps its own setting when reached by its id.
    anonymous
        .get(&format!("/v2/datasets/{ds}/items"))
        .expect(401);
    api.put_json(&path, &json!({"generalAccess": "RESTRICTED"}))
        .expect(200);
    for (body, kind, says) in [
        (json!([1]), "invalid-input", "JSON object"),
        (json!({}), "invalid-input", "Nothing to update"),
        (
            json!({"runId": "other", "statusMessage": "x"}),
            "id-does-not-match",
            "other",
        ),
        (
            json!({"statusMessage": 5}),
            "invalid-input",
            "'statusMessage'",
        ),
        (
            json!({"statusMessage": "x", "isStatusMessageTerminal": "yes"}),
            "invalid-input",
            "'isStatusMessageTerminal'",
        ),
        (
            json!({"isStatusMessageTerminal": true}),
            "cannot-set-is-status-message-terminal",
            "statusMessage",
        ),
        (
            json!({"generalAccess": "EVERYONE"}),
            "invalid-input",
            "RESTRICTED",
        ),
    ] {
        let r = api.put_json(&path, &body).expect(400);
        let (k, m) = error(&r);
        assert_eq!(k, kind, "{body}: {m}");
        assert!(m.contains(says), "{body}: {m}");
    }
    assert_eq!(
        get_run(&api, &rid)["statusMessage"],
        "Almost",
        "refusals change nothing"
    );
    let r = api.put_json(
        "/v2/actor-runs/AAAAAAAAAAAAAAAAA",
        &json!({"statusMessage": "x"}),
    );
    assert_eq!(r.expect(404).error_type(), "record-not-found");
    api.post_empty(&format!("{path}/abort")).expect(200);
}

#[test]
fn only_finished_runs_are_deleted_with_their_unnamed_storages() {
    let api = Api::start();
    let run = running(&api, GENERATOR, &json!({"durationSecs": 30}), "");
    let rid = id(&run);
    let r = api.delete(&format!("/v2/actor-runs/{rid}")).expect(400);
    let (kind, message) = error(&r);
    assert_eq!(kind, "cannot-remove-running-run");
    assert!(message.contains("RUNNING"), "{message}");
    api.post_empty(&format!("/v2/actor-runs/{rid}/abort"))
        .expect(200);
    let r = api.delete(&format!("/v2/actor-runs/{rid}")).expect(204);
    assert!(r.body.is_empty());
    api.get(&format!("/v2/actor-runs/{rid}")).expect(404);
    api.get(&format!("/v2/actor-runs/{rid}/log")).expect(404);
    let ds = run["defaultDatasetId"].as_str().unwrap();
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    let rq = run["defaultRequestQueueId"].as_str().unwrap();
    api.get(&format!("/v2/datasets/{ds}")).expect(404);
    api.get(&format!("/v2/key-value-stores/{kvs}")).expect(404);
    api.get(&format!("/v2/request-queues/{rq}")).expect(404);
    let list = api.get("/v2/actor-runs").expect(200).data();
    assert_eq!(list["total"], 0, "{list}");
    api.delete(&format!("/v2/actor-runs/{rid}")).expect(404);
    // A default dataset that was given a name outlives its run.
    let run = api.start_run(HELLO, &json!({}), "?waitForFinish=30");
    let ds = run["defaultDatasetId"].as_str().unwrap();
    api.put_json(&format!("/v2/datasets/{ds}"), &json!({"name": "keep-me"}))
        .expect(200);
    api.delete(&format!("/v2/actor-runs/{}", id(&run)))
        .expect(204);
    assert_eq!(
        api.get(&format!("/v2/datasets/{ds}")).expect(200).data()["name"],
        "keep-me"
    );
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap();
    api.get(&format!("/v2/key-value-stores/{kvs}")).expect(404);
}

#[test]
fn metamorph_turns_a_running_run_into_a_run_of_the_target() {
    let api = Api::start();
    let hello = actor_id(&api, HELLO);
    let run = running(
        &api,
        GENERATOR,
        &json!({"durationSecs": 30, "count": 2}),
        "",
    );
    let rid = id(&run);
    let body = br#"{"message":  "after the metamorph"}"#;
    let r = api
        .request(
            "POST",
            &format!("/v2/actor-runs/{rid}/metamorph?targetActorId={HELLO}&build=latest"),
            &[("Content-Type", "application/json")],
            Some(body),
        )
        .expect(200);
    let m = r.data();
    assert_eq!(m["id"], rid.as_str());
    assert_eq!(m["actId"], hello.as_str());
    assert_eq!(m["defaultDatasetId"], run["defaultDatasetId"]);
    assert_eq!(m["defaultKeyValueStoreId"], run["defaultKeyValueStoreId"]);
    assert_eq!(m["stats"]["metamorph"], 1);
    let entry = &m["metamorphs"][0];
    assert_eq!(entry["actorId"], hello.as_str());
    assert_eq!(entry["inputKey"], "INPUT-METAMORPH-1");
    assert_ne!(entry["buildId"], run["buildId"]);
    assert_eq!(m["buildId"], entry["buildId"]);
    let done = api.wait_run(&rid);
    assert_eq!(done["status"], "SUCCEEDED");
    // The new input is stored byte for byte; the original input stays.
    assert_eq!(
        record(&api, &done, "INPUT-METAMORPH-1").expect(200).body,
        body
    );
    assert_eq!(
        record(&api, &done, "INPUT").expect(200).json(),
        json!({"durationSecs": 30, "count": 2})
    );
    let ds = done["defaultDatasetId"].as_str().unwrap();
    let items = api
        .get(&format!("/v2/datasets/{ds}/items"))
        .expect(200)
        .json();
    assert_eq!(items, json!([{"message": "after the metamorph"}]));
    let log = api
        .get(&format!("/v2/actor-runs/{rid}/log"))
        .expect(200)
        .text();
    assert!(log.contains("Metamorphing into apify~hello-world"), "{log}");
    // A finished run cannot be metamorphed.
    let r = api.post_json(
        &format!("/v2/actor-runs/{rid}/metamorph?targetActorId={HELLO}"),
        &json!({}),
    );
    assert_eq!(error(&r.expect(400)).0, "job-finished");

    // Refusals on a running run, which stays as it was.
    let run = running(&api, GENERATOR, &json!({"durationSecs": 30}), "");
    let rid = id(&run);
    let base = format!("/v2/actor-runs/{rid}/metamorph");
    for (query, body, status, kind) in [
        ("", json!({}), 400, "invalid-parameter"),
        ("?targetActorId=", json!({}), 400, "invalid-parameter"),
        (
            "?targetActorId=nobody~nothing",
            json!({}),
            404,
            "record-not-found",
        ),
        (
            "?targetActorId=emulator~generator&build=9.9.9",
            json!({}),
            404,
            "build-not-found",
        ),
        (
            "?targetActorId=emulator~generator",
            json!({"count": -1}),
            400,
            "invalid-input",
        ),
    ] {
        let r = api
            .post_json(&format!("{base}{query}"), &body)
            .expect(status);
        assert_eq!(error(&r).0, kind, "{query} {body}");
    }
    let r = api
        .request(
            "POST",
            &format!("{base}?targetActorId={HELLO}"),
            &[("Content-Type", "application/json")],
            Some(b"{not json"),
        )
        .expect(400);
    assert_eq!(error(&r).0, "run-input-body-not-valid-json");
    let still = get_run(&api, &rid);
    assert_eq!(still["status"], "RUNNING");
    assert!(still.get("metamorphs").is_none(), "{still}");

    // The Actor-scoped path and the last-run aliases; each metamorph gets the next input key.
    let gen = actor_id(&api, GENERATOR);
    let m = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/runs/{rid}/metamorph?targetActorId={GENERATOR}"),
            &json!({"durationSecs": 30, "count": 1}),
        )
        .expect(200)
        .data();
    assert_eq!(m["actId"], gen.as_str());
    let m = api
        .post_json(
            &format!("/v2/acts/{GENERATOR}/runs/last/metamorph?targetActorId={GENERATOR}"),
            &json!({"durationSecs": 30, "count": 3}),
        )
        .expect(200)
        .data();
    assert_eq!(m["id"], rid.as_str());
    assert_eq!(m["metamorphs"][1]["inputKey"], "INPUT-METAMORPH-2");
    // The run now belongs to the generator: the hello-world path no longer finds it.
    let r = api.post_json(
        &format!("/v2/acts/{HELLO}/runs/{rid}/metamorph?targetActorId={HELLO}"),
        &json!({}),
    );
    r.expect(404);
    api.post_empty(&format!("/v2/actor-runs/{rid}/abort"))
        .expect(200);

    let task = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": GENERATOR, "name": "slow", "input": {"durationSecs": 30}}),
        )
        .expect(201)
        .data();
    let trun = api
        .post_json(&format!("/v2/actor-tasks/{}/runs", id(&task)), &json!({}))
        .expect(201)
        .data();
    let trid = id(&running_run(&api, &id(&trun)));
    let m = api
        .post_json(
            &format!(
                "/v2/actor-tasks/{}/runs/last/metamorph?targetActorId={HELLO}",
                id(&task)
            ),
            &json!({"message": "from the task"}),
        )
        .expect(200)
        .data();
    assert_eq!(m["id"], trid.as_str());
    assert_eq!(m["actorTaskId"], task["id"]);
    assert_eq!(api.wait_run(&trid)["status"], "SUCCEEDED");
}

/// Waits until an existing run is RUNNING.
fn running_run(api: &Api, run_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = get_run(api, run_id);
        if run["status"] == "RUNNING" {
            return run;
        }
        assert!(Instant::now() < deadline, "never RUNNING: {run}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the run's log holds `needle` `n` times; returns the log.
fn wait_log(api: &Api, run_id: &str, needle: &str, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = api
            .get(&format!("/v2/actor-runs/{run_id}/log"))
            .expect(200)
            .text();
        if log.matches(needle).count() >= n {
            return log;
        }
        assert!(Instant::now() < deadline, "{needle} not {n} times: {log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn reboot_restarts_the_program_and_keeps_the_storages() {
    let api = Api::start();
    let run = running(
        &api,
        GENERATOR,
        &json!({"durationSecs": 30, "count": 2}),
        "",
    );
    let rid = id(&run);
    let r = api
        .post_empty(&format!("/v2/actor-runs/{rid}/reboot"))
        .expect(200)
        .data();
    assert_eq!(r["id"], rid.as_str());
    assert_eq!(r["stats"]["rebootCount"], 1);
    assert_eq!(r["defaultDatasetId"], run["defaultDatasetId"]);
    assert!(
        !["SUCCEEDED", "FAILED", "ABORTED", "TIMED-OUT"].contains(&r["status"].as_str().unwrap())
    );
    // The program started again (its log says so) before the next reboot.
    wait_log(&api, &rid, "ACTOR: Run started.", 2);
    let r = api
        .post_empty(&format!("/v2/acts/{GENERATOR}/runs/last/reboot"))
        .expect(200)
        .data();
    assert_eq!(r["stats"]["rebootCount"], 2);
    let rebooted = running_run(&api, &rid);
    assert_eq!(rebooted["status"], "RUNNING");
    let log = wait_log(&api, &rid, "ACTOR: Run started.", 3);
    assert_eq!(log.matches("Rebooting").count(), 2, "{log}");
    // Not on the Actor-scoped run path (the spec has no such operation).
    let r = api.post_empty(&format!("/v2/acts/{GENERATOR}/runs/{rid}/reboot"));
    assert_eq!(r.expect(404).error_type(), "page-not-found");
    api.post_empty(&format!("/v2/actor-runs/{rid}/abort"))
        .expect(200);
    let r = api
        .post_empty(&format!("/v2/actor-runs/{rid}/reboot"))
        .expect(400);
    assert_eq!(error(&r).0, "job-finished");
    // A rebooted run of a task, through the task's alias, finishes with its input.
    let task = api
        .post_json(
            "/v2/actor-tasks",
            &json!({"actId": GENERATOR, "name": "short", "input": {"durationSecs": 2, "count": 3}}),
        )
        .expect(201)
        .data();
    let trun = api
        .post_json(&format!("/v2/actor-tasks/{}/runs", id(&task)), &json!({}))
        .expect(201)
        .data();
    running_run(&api, &id(&trun));
    api.post_empty(&format!("/v2/actor-tasks/{}/runs/last/reboot", id(&task)))
        .expect(200);
    let done = api.wait_run(&id(&trun));
    assert_eq!(done["status"], "SUCCEEDED");
    assert!(
        done["stats"]["datasetItemCount"].as_u64().unwrap() >= 3,
        "{done}"
    );
    assert_eq!(done["stats"]["rebootCount"], 1);
}
