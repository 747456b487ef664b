//! Runs and tasks through the C ABI, against the emulator: start, wait, abort, call, the
//! synchronous runs, reruns, resurrection and the run list, and one client from many threads.

use super::helpers::*;
use super::live::*;

#[test]
fn runs_and_tasks() {
    let live = Live::new();
    let c = live.client;

    // Start, wait without limit, get.
    let three = Some(r#"{"count": 3}"#);
    let run = run_json(apify_actor_start, c, GENERATOR, three, None);
    let id = run["id"].as_str().unwrap().to_owned();
    let run_id = cs(&id);
    let waited = text_call(|out| unsafe { apify_run_wait(c, run_id.as_ptr(), -1, out) }).unwrap();
    let waited: Value = serde_json::from_str(&waited).unwrap();
    assert_eq!(waited["status"], "SUCCEEDED");
    let got = text_call(|out| unsafe { apify_run_get(c, run_id.as_ptr(), out) }).unwrap();
    let got: Value = serde_json::from_str(&got).unwrap();
    assert_eq!(got["id"], id.as_str());
    let ds = got["defaultDatasetId"].as_str().unwrap();
    let items = drain_dataset(c, ds, None);
    assert_eq!(items.len(), 3);

    // A long run: wait 0 answers at once; abort ends it.
    let run = run_json(
        apify_actor_start,
        c,
        GENERATOR,
        Some(r#"{"durationSecs": 60}"#),
        None,
    );
    let long_id = cs(run["id"].as_str().unwrap());
    let now = text_call(|out| unsafe { apify_run_wait(c, long_id.as_ptr(), 0, out) }).unwrap();
    let now: Value = serde_json::from_str(&now).unwrap();
    assert!(
        matches!(now["status"].as_str(), Some("READY" | "RUNNING")),
        "{now}"
    );
    let aborted = text_call(|out| unsafe { apify_run_abort(c, long_id.as_ptr(), 0, out) }).unwrap();
    let aborted: Value = serde_json::from_str(&aborted).unwrap();
    assert!(
        matches!(aborted["status"].as_str(), Some("ABORTED" | "ABORTING")),
        "{aborted}"
    );
    let done = text_call(|out| unsafe { apify_run_wait(c, long_id.as_ptr(), -1, out) }).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&done).unwrap()["status"],
        "ABORTED"
    );

    // Call with run options.
    let run = run_json(
        apify_actor_call,
        c,
        GENERATOR,
        Some(r#"{"count": 2}"#),
        Some(r#"{"memory": 512, "timeout": 120, "build": "latest"}"#),
    );
    assert_eq!(run["status"], "SUCCEEDED");
    assert_eq!(run["options"]["memoryMbytes"], 512, "{run}");

    // Sync items with dataset options.
    let items = run_json(
        apify_actor_run_sync_get_items,
        c,
        GENERATOR,
        Some(r#"{"count": 5}"#),
        Some(r#"{"offset": 1, "limit": 2, "fields": ["index"]}"#),
    );
    assert_eq!(items, json!([{"index": 1}, {"index": 2}]));

    // Tasks: the task's input with the call's input laid over it.
    let task = request_json(
        c,
        "POST",
        "/v2/actor-tasks",
        Some(
            r#"{"actId": "emulator~generator", "name": "ffi-task", "input": {"count": 2, "output": {"from": "task"}}}"#,
        ),
    );
    let task_id = task["data"]["id"].as_str().unwrap().to_owned();
    let items = run_json(
        apify_task_run_sync_get_items,
        c,
        &task_id,
        Some(r#"{"count": 4}"#),
        None,
    );
    assert_eq!(items.as_array().unwrap().len(), 4);
    let items = run_json(apify_task_run_sync_get_items, c, &task_id, None, None);
    assert_eq!(items.as_array().unwrap().len(), 2);
    let (data, _) = run_sync_record(apify_task_run_sync, c, &task_id, None, None).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&data).unwrap(),
        json!({"from": "task"})
    );
    let run = run_json(apify_task_call, c, &task_id, Some(r#"{"count": 1}"#), None);
    assert_eq!(run["status"], "SUCCEEDED");
    let run = run_json(apify_task_start, c, &task_id, None, None);
    assert!(run["id"].is_string());
    let r = run_sync_record(apify_task_run_sync, c, "nobody~no-such-task", None, None);
    expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, "");
}

#[test]
fn one_client_from_many_threads() {
    let live = Live::new();
    // Raw pointers are not Send; the address is, and the client is documented thread-safe.
    let addr = live.client as usize;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let c = addr as *const apify_client;
                let input = format!(r#"{{"message": "thread {t}"}}"#);
                let items = run_json(
                    apify_actor_run_sync_get_items,
                    c,
                    "apify/hello-world",
                    Some(&input),
                    None,
                );
                assert_eq!(items, json!([{"message": format!("thread {t}")}]));
                // A failure on this thread stays here.
                let r = text_call(|out| unsafe {
                    apify_run_get(c, c"noSuchThing123456".as_ptr(), out)
                });
                assert_eq!(r.unwrap_err(), APIFY_STATUS_NOT_FOUND);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Live::new ended with a success on this thread; the threads' failures are not here.
    assert_eq!(last_message(), None);
}

/// A page of the Actor's runs (`apify_actor_list_runs`).
fn list_runs(c: *const apify_client, actor: &str, options: Option<&str>) -> Value {
    let (actor, options) = (cs(actor), opt_cs(options));
    let page = text_call(|out| unsafe {
        apify_actor_list_runs(c, actor.as_ptr(), opt_ptr(&options), out)
    });
    serde_json::from_str(&page.unwrap()).unwrap()
}

/// The Actor's last run (`apify_actor_last_run`).
fn last_run(
    c: *const apify_client,
    actor: &str,
    options: Option<&str>,
) -> Result<String, apify_status> {
    let (actor, options) = (cs(actor), opt_cs(options));
    text_call(|out| unsafe { apify_actor_last_run(c, actor.as_ptr(), opt_ptr(&options), out) })
}

#[test]
fn reruns_on_failure_end_with_the_last_failed_run() {
    let live = Live::new();
    let c = live.client;
    let failing = r#"{"outcome": "FAILED", "count": 1}"#;
    // No runs yet: the last run is NOT_FOUND, the list is empty.
    expect_failure(
        last_run(c, GENERATOR, None).unwrap_err(),
        APIFY_STATUS_NOT_FOUND,
        "",
    );
    assert_eq!(list_runs(c, GENERATOR, None)["total"], 0);

    // A FAILED run and 2 reruns: OK with the last run, FAILED (read with apify_json_get).
    let run = run_text(
        apify_actor_call,
        c,
        GENERATOR,
        Some(failing),
        Some(r#"{"rerunsOnFailure": 2}"#),
    );
    let run = run.unwrap();
    assert_eq!(json_get(&run, "/status").unwrap(), "FAILED");
    let id = json_get(&run, "/id").unwrap();
    let page = list_runs(c, GENERATOR, None);
    assert_eq!(page["total"], 3, "1 run + 2 reruns: {page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{page}");
    assert!(items.iter().all(|r| r["status"] == "FAILED"), "{page}");
    let newest = list_runs(c, GENERATOR, Some(r#"{"desc": true, "limit": 1}"#));
    assert_eq!(newest["items"][0]["id"], id.as_str(), "{newest}");
    assert_eq!(
        newest["items"].as_array().map(Vec::len),
        Some(1),
        "{newest}"
    );
    let last = last_run(c, GENERATOR, None).unwrap();
    assert_eq!(json_get(&last, "/id").unwrap(), id);
    let r = last_run(c, GENERATOR, Some(r#"{"status": "SUCCEEDED"}"#));
    expect_failure(r.unwrap_err(), APIFY_STATUS_NOT_FOUND, "SUCCEEDED");

    // With callbacks (NULL here) the same; a run that succeeds is not rerun.
    let (actor, input, options) = (cs(GENERATOR), cs(failing), cs(r#"{"rerunsOnFailure": 1}"#));
    let run = text_call(|out| unsafe {
        apify_actor_call_with(
            c,
            actor.as_ptr(),
            input.as_ptr(),
            options.as_ptr(),
            ptr::null(),
            out,
        )
    });
    assert_eq!(json_get(&run.unwrap(), "/status").unwrap(), "FAILED");
    let ok = run_json(
        apify_actor_call,
        c,
        GENERATOR,
        None,
        Some(r#"{"rerunsOnFailure": 3}"#),
    );
    assert_eq!(ok["status"], "SUCCEEDED");
    assert_eq!(list_runs(c, GENERATOR, None)["total"], 3 + 2 + 1);
    assert_eq!(
        list_runs(c, GENERATOR, Some(r#"{"status": "SUCCEEDED"}"#))["total"],
        1
    );
}

#[test]
fn call_options_in_range_and_out_of_range() {
    let live = Live::new();
    let c = live.client;
    // Refused before any request: a wrong type, a number out of range; no run is started.
    let before = journal(c);
    for (options, option) in [
        (r#"{"waitSecs": "x"}"#, "'waitSecs'"),
        (r#"{"waitSecs": 1e300}"#, "waitSecs"),
        (r#"{"pollIntervalSecs": 1e300}"#, "pollIntervalSecs"),
    ] {
        let r = run_text(apify_actor_call, c, GENERATOR, None, Some(options));
        expect_failure(r.unwrap_err(), APIFY_STATUS_INVALID_ARGUMENT, option);
    }
    let options = json!({"baseUrl": live.emu.base_url(), "timeoutSecs": 1e300}).to_string();
    let (options, mut client) = (cs(&options), sentinel());
    let st = unsafe { apify_client_new(options.as_ptr(), &mut client) };
    expect_failure(st, APIFY_STATUS_INVALID_ARGUMENT, "timeoutSecs");
    assert_eq!(client, sentinel(), "out_client written");
    assert_eq!(journal(c), before, "a refused call reached the server");
    assert_eq!(list_runs(c, GENERATOR, None)["total"], 0);

    // waitSecs 0: the run as it is at once (not finished); plain polling at an interval.
    let long = Some(r#"{"durationSecs": 60}"#);
    let run = run_json(
        apify_actor_call,
        c,
        GENERATOR,
        long,
        Some(r#"{"waitSecs": 0}"#),
    );
    assert!(
        matches!(run["status"].as_str(), Some("READY" | "RUNNING")),
        "{run}"
    );
    let id = cs(run["id"].as_str().unwrap());
    text_call(|out| unsafe { apify_run_abort(c, id.as_ptr(), 0, out) }).unwrap();
    let quick = Some(r#"{"durationSecs": 0.2, "count": 2}"#);
    let run = run_json(
        apify_actor_call,
        c,
        GENERATOR,
        quick,
        Some(r#"{"pollIntervalSecs": 0.05}"#),
    );
    assert_eq!(run["status"], "SUCCEEDED", "{run}");
}

#[test]
fn resurrect_runs_a_finished_run_again() {
    let live = Live::new();
    // A finished run, resurrected: the same run, running again with the same storages.
    let run = json_of(
        "call",
        run_text(apify_actor_call, live.client, GENERATOR, None, None),
    );
    let c = live.client;
    assert_eq!(run["status"], "SUCCEEDED");
    let id = run["id"].as_str().unwrap();
    let again = id_json(apify_run_resurrect, c, id);
    assert_eq!(again["id"], id, "{again}");
    let run_id = cs(id);
    let done = text_call(|out| unsafe { apify_run_wait(c, run_id.as_ptr(), -1, out) }).unwrap();
    assert_eq!(json_get(&done, "/status").unwrap(), "SUCCEEDED");
    assert_eq!(
        json_get(&done, "/defaultDatasetId").unwrap(),
        run["defaultDatasetId"].as_str().unwrap()
    );
}
