//! Issue 17's whole platform flow through the public Rust SDK only, against the emulator on
//! 127.0.0.1: an Actor with pay-per-event pricing and a version whose source holds an input
//! schema (tagged `beta`); built and waited for; run by `beta` with its input checked against
//! that schema; a task with its own input and a schedule for it; events charged on a running
//! run up to its `maxTotalChargeUsd`; the month's usage showing the runs and the charges; then
//! everything deleted, each piece checked gone (the usage of the deleted runs stays).
#![cfg(feature = "emulator")]

use std::time::{Duration, Instant};

use apify::{
    ActorCreate, BuildOptions, CallOptions, ChargeOptions, Client, Error, Run, RunStatus,
    RunsOptions, ScheduleAction, ScheduleCreate, SourceFile, StartOptions, TaskCreate, TaskOptions,
    Version, WaitOptions, RUN_ACTOR_TASK,
};
use sdk::setup;
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;

/// The price of one `page` event, in USD.
const PAGE_USD: f64 = 0.25;

/// The input schema: `count` (required, 0 to 10) items, for `durationSecs` (0 to 120).
fn schema() -> Value {
    json!({"title": "Pages", "type": "object", "schemaVersion": 1,
           "properties": {
               "count": {"title": "Count", "type": "integer", "editor": "number",
                         "minimum": 0, "maximum": 10},
               "durationSecs": {"title": "Duration", "type": "integer", "editor": "number",
                                "minimum": 0, "maximum": 120}},
           "required": ["count"]})
}

/// A pay-per-event Actor (`page` events) whose version 0.0, tagged `beta`, runs the generator
/// program with the input schema above.
fn new_actor() -> ActorCreate {
    let actor_json = json!({"actorSpecification": 1, "name": "flow", "version": "0.0",
                            "emulatorProgram": "generator", "input": "./input_schema.json"});
    let version = Version::new("0.0")
        .build_tag("beta")
        .source_file(SourceFile::text(
            ".actor/actor.json",
            actor_json.to_string(),
        ))
        .source_file(SourceFile::text(
            ".actor/input_schema.json",
            schema().to_string(),
        ));
    let mut create = ActorCreate::new("flow").title("Flow").version(version);
    create.extra.insert(
        "pricingInfos".into(),
        json!([{"pricingModel": "PAY_PER_EVENT", "pricingPerEvent": {"actorChargeEvents": {
            "page": {"eventTitle": "Page", "eventDescription": "One page", "eventPriceUsd": PAGE_USD}
        }}}]),
    );
    create
}

/// The API error's HTTP status, type and message.
fn api_error(e: &Error) -> (u16, String, String) {
    match e {
        Error::Api(a) => (a.status, a.kind.clone(), a.message.clone()),
        other => panic!("not an API error: {other:?}"),
    }
}

/// The run once it is RUNNING (a generator with `durationSecs` stays so for that long).
fn when_running(client: &Client, run: &Run) -> Run {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = client.run(&run.id).get().unwrap().unwrap();
        if now.status == RunStatus::Running {
            return now;
        }
        assert!(!now.status.is_terminal(), "ended before RUNNING: {now:?}");
        assert!(Instant::now() < deadline, "never RUNNING: {now:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_actor_from_source_to_deletion() {
    let (_emu, client) = setup();

    // ---- the Actor, with its pricing and its version tagged beta
    let created = client.actors().create(&new_actor()).unwrap();
    assert_eq!(created.name, "flow");
    assert_eq!(created.versions.len(), 1);
    assert_eq!(created.versions[0].build_tag.as_deref(), Some("beta"));
    assert_eq!(
        created.extra["pricingInfos"][0]["pricingModel"],
        json!("PAY_PER_EVENT")
    );
    let actor = client.actor(&created.id);

    // ---- built and waited for: SUCCEEDED, tagged beta, with the version's input schema
    let build = actor
        .build_and_wait(&BuildOptions::for_version("0.0"), &WaitOptions::default())
        .unwrap();
    assert_eq!(build.status, RunStatus::Succeeded);
    assert_eq!(build.build_tag(), Some("beta"));
    assert_eq!(build.input_schema_json().unwrap(), schema());
    let info = actor.info().unwrap().unwrap();
    let tagged = info.tagged_build("beta").unwrap();
    assert_eq!(tagged.build_id.as_deref(), Some(build.id.as_str()));

    // ---- run by the beta tag: a bad input is refused with the schema's reason
    let beta = StartOptions::default().build("beta");
    let e = actor.start(&json!({"count": 11}), &beta).unwrap_err();
    let (status, kind, message) = api_error(&e);
    assert_eq!((status, kind.as_str()), (400, "invalid-input"), "{e}");
    assert!(
        message.contains("count") && message.contains("<= 10"),
        "{message}"
    );
    let e = actor.start(&json!({"durationSecs": 1}), &beta).unwrap_err();
    let (_, kind, message) = api_error(&e);
    assert_eq!(kind, "invalid-input");
    assert!(message.contains("count"), "{message}");
    // A good one runs on that build and writes its items.
    let first = actor
        .call(
            &json!({"count": 4}),
            &CallOptions::default().start(beta.clone()),
        )
        .unwrap();
    assert_eq!(first.status, RunStatus::Succeeded);
    assert_eq!(first.extra["buildId"], json!(build.id));
    let items = client
        .dataset(&first.default_dataset_id)
        .list_items::<Value>(&Default::default())
        .unwrap();
    assert_eq!(items.items.len(), 4);

    // ---- a task with its own input, run by beta; a schedule for it
    let task = client
        .tasks()
        .create(
            &TaskCreate::new(&created.id)
                .name("flow-task")
                .input(json!({"count": 3}))
                .options(TaskOptions::default().build("beta")),
        )
        .unwrap();
    assert_eq!(task.act_id, created.id);
    assert_eq!(task.input, Some(json!({"count": 3})));
    let task_client = client.task(&task.id);
    assert_eq!(task_client.input().unwrap(), Some(json!({"count": 3})));
    let task_run = task_client
        .call(&Value::Null, &CallOptions::default())
        .unwrap();
    assert_eq!(task_run.status, RunStatus::Succeeded);
    assert_eq!(task_run.actor_task_id.as_deref(), Some(task.id.as_str()));
    assert_eq!(task_run.extra["buildId"], json!(build.id));
    let task_items = client
        .dataset(&task_run.default_dataset_id)
        .list_items::<Value>(&Default::default())
        .unwrap();
    assert_eq!(task_items.items.len(), 3, "the task's own input");
    // Input given to the task's run goes over its saved input, checked by the same schema.
    let e = task_client
        .start(&json!({"count": 11}), &StartOptions::default())
        .unwrap_err();
    let (status, kind, message) = api_error(&e);
    assert_eq!((status, kind.as_str()), (400, "invalid-input"), "{e}");
    assert!(message.contains("<= 10"), "{message}");

    // Daily, twelve hours away from now, so that it does not fire during the test.
    let finished = task_run.finished_at.clone().unwrap();
    let hour = (finished[11..13].parse::<u32>().unwrap() + 12) % 24;
    let cron = format!("0 {hour} * * *");
    let schedule = client
        .schedules()
        .create(
            &ScheduleCreate::new(&cron)
                .name("flow-nightly")
                .timezone("UTC")
                .action(ScheduleAction::run_task(&task.id)),
        )
        .unwrap();
    assert_eq!(schedule.cron_expression, cron);
    assert!(schedule.is_enabled);
    assert_eq!(schedule.actions.len(), 1);
    assert_eq!(schedule.actions[0].kind, RUN_ACTOR_TASK);
    assert_eq!(
        schedule.actions[0].actor_task_id.as_deref(),
        Some(task.id.as_str())
    );
    let next = schedule
        .next_run_at
        .clone()
        .expect("an enabled schedule's next run");
    assert!(next.ends_with(&format!("T{hour:02}:00:00.000Z")), "{next}");
    // Later than anything that happened so far (ISO 8601 UTC compares as text).
    assert!(next > finished, "{next} is not after {finished}");
    assert_eq!(
        client
            .schedule(&schedule.id)
            .get()
            .unwrap()
            .unwrap()
            .next_run_at,
        Some(next)
    );

    // ---- events charged on a running run, up to its maxTotalChargeUsd
    let started = actor
        .start(
            &json!({"count": 2, "durationSecs": 60}),
            &beta.clone().max_total_charge_usd(2.0 * PAGE_USD),
        )
        .unwrap();
    let running = when_running(&client, &started);
    let rc = client.run(&running.id);
    rc.charge(&ChargeOptions::new("page").count(2)).unwrap();
    let e = rc.charge(&ChargeOptions::new("page")).unwrap_err();
    let (status, kind, _) = api_error(&e);
    assert_eq!((status, kind.as_str()), (400, "limit-reached"), "{e}");
    let charged = rc.get().unwrap().unwrap();
    assert_eq!(charged.charged_event_count("page"), 2);
    assert_eq!(charged.usage_total_usd(), Some(2.0 * PAGE_USD));
    let aborted = rc.abort(false).unwrap();
    assert_eq!(aborted.status, RunStatus::Aborted);

    // ---- the month's usage: the runs' compute and writes, and the charges
    let runs = actor.runs(&RunsOptions::default()).unwrap();
    assert_eq!(runs.total, 3, "beta run, task run, charged run");
    let usage = client.user("me").monthly_usage(None).unwrap();
    let service = |name: &str| usage.monthly_service_usage.get(name).cloned();
    let ppe = service("PAY_PER_EVENT").expect("a pay-per-event line");
    assert_eq!(ppe.quantity, 2.0, "events charged");
    assert!(
        (ppe.base_amount_usd - 2.0 * PAGE_USD).abs() < 1e-9,
        "{ppe:?}"
    );
    assert!(service("ACTOR_COMPUTE_UNITS").unwrap().quantity > 0.0);
    let writes = service("DATASET_WRITES").unwrap().quantity;
    assert!(writes >= 7.0, "4 + 3 items at least, got {writes}");
    let sum: f64 = usage
        .monthly_service_usage
        .values()
        .map(|u| u.base_amount_usd)
        .sum();
    let total = usage.total_usage_credits_usd_before_volume_discount;
    assert!((sum - total).abs() < 1e-9, "{sum} vs {total}");
    assert!(total >= 2.0 * PAGE_USD, "{total}");
    let daily: f64 = usage
        .daily_service_usages
        .iter()
        .map(|d| d.total_usage_credits_usd)
        .sum();
    assert!((daily - total).abs() < 1e-9, "{daily} vs {total}");

    // ---- everything deleted, each checked gone
    client.schedule(&schedule.id).delete().unwrap();
    assert!(client.schedule(&schedule.id).get().unwrap().is_none());
    task_client.delete().unwrap();
    assert!(task_client.get().unwrap().is_none());
    for run in [&first, &task_run, &aborted] {
        client.run(&run.id).delete().unwrap();
        assert!(client.run(&run.id).get().unwrap().is_none(), "{}", run.id);
    }
    assert_eq!(actor.runs(&RunsOptions::default()).unwrap().total, 0);
    // What the deleted runs used stays billed.
    let after = client.user("me").monthly_usage(None).unwrap();
    assert_eq!(
        after.monthly_service_usage.keys().collect::<Vec<_>>(),
        usage.monthly_service_usage.keys().collect::<Vec<_>>()
    );
    for (name, before) in &usage.monthly_service_usage {
        let now = &after.monthly_service_usage[name];
        assert!((now.quantity - before.quantity).abs() < 1e-9, "{name}");
        assert!(
            (now.base_amount_usd - before.base_amount_usd).abs() < 1e-9,
            "{name}"
        );
    }
    client.build(&build.id).delete().unwrap();
    assert!(client.build(&build.id).get().unwrap().is_none());
    actor.delete().unwrap();
    assert!(actor.info().unwrap().is_none());
    assert!(client
        .actors()
        .list(&Default::default())
        .unwrap()
        .items
        .iter()
        .all(|a| a.id != created.id));
}
