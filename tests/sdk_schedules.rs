//! Schedules through the SDK against the in-process emulator: a task and a schedule for it
//! (and one for an Actor), typed reads with `next_run_at`, list paging, update, log, delete;
//! the server's refusals as API errors; bad arguments refused before any request.
#![cfg(feature = "emulator")]

use apify::{
    Client, Error, ScheduleAction, ScheduleCreate, ScheduleListOptions, ScheduleUpdate, TaskCreate,
    TaskOptions, RUN_ACTOR, RUN_ACTOR_TASK,
};
use serde_json::json;

#[path = "common/sdk.rs"]
mod sdk;
use sdk::{journal, setup, support};

fn received(client: &Client, path: &str) -> usize {
    journal(client, "", path).len()
}

#[test]
fn a_schedule_for_a_task_and_an_actor() {
    let (_emu, client) = setup();
    let task = client
        .tasks()
        .create(
            &TaskCreate::new("apify/hello-world")
                .name("morning")
                .input(json!({"message": "saved"})),
        )
        .unwrap();
    let schedules = client.schedules();
    let created = schedules
        .create(
            &ScheduleCreate::new("30 6 * * MON-FRI")
                .name("weekday-mornings")
                .timezone("+01:00")
                .title("Weekday mornings")
                .action(ScheduleAction::run_task(&task.id).input(json!({"message": "early"})))
                .action(
                    ScheduleAction::run_actor("apify/hello-world")
                        .input(json!({"message": "direct"}))
                        .run_options(TaskOptions::default().memory_mbytes(256)),
                ),
        )
        .unwrap();
    assert_eq!(created.name, "weekday-mornings");
    assert_eq!(created.timezone, "+01:00");
    assert!(created.is_enabled);
    assert_eq!(created.title.as_deref(), Some("Weekday mornings"));
    // 06:30 one hour east of UTC is 05:30 UTC.
    let next = created.next_run_at.clone().unwrap();
    assert!(next.ends_with("T05:30:00.000Z"), "{next}");
    assert_eq!(created.last_run_at, None);
    let (task_action, actor_action) = (&created.actions[0], &created.actions[1]);
    assert_eq!(task_action.kind, RUN_ACTOR_TASK);
    assert_eq!(task_action.actor_task_id.as_deref(), Some(task.id.as_str()));
    assert_eq!(task_action.input, Some(json!({"message": "early"})));
    assert!(task_action.id.is_some());
    assert_eq!(actor_action.kind, RUN_ACTOR);
    assert_eq!(actor_action.actor_id.as_deref(), Some(task.act_id.as_str()));
    let run_input = actor_action.run_input.clone().unwrap();
    assert_eq!(run_input.body.as_deref(), Some(r#"{"message":"direct"}"#));
    assert_eq!(
        actor_action.run_options.clone().unwrap().memory_mbytes,
        Some(256)
    );
    assert_eq!(created.extra["notifications"], json!({"email": true}));

    let one = client.schedule(&created.id);
    assert_eq!(one.get().unwrap().unwrap(), created);
    assert_eq!(
        client
            .schedule("weekday-mornings")
            .get()
            .unwrap()
            .unwrap()
            .id,
        created.id
    );

    let second = schedules
        .create(
            &ScheduleCreate::new("@hourly")
                .name("hourly")
                .is_enabled(false),
        )
        .unwrap();
    assert_eq!(second.next_run_at, None);
    let page = schedules.list(&ScheduleListOptions::default()).unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].id, created.id);
    // List items carry the actions' targets only.
    assert_eq!(page.items[0].actions[0].input, None);
    assert_eq!(
        page.items[0].actions[0].actor_task_id.as_deref(),
        Some(task.id.as_str())
    );
    let page = schedules
        .list(&ScheduleListOptions::default().desc(true).limit(1))
        .unwrap();
    assert_eq!(
        (page.items.len(), page.items[0].id.as_str()),
        (1, second.id.as_str())
    );

    let updated = one
        .update(
            &ScheduleUpdate::default()
                .cron_expression("0 0 1 * *")
                .timezone("UTC")
                .actions(vec![ScheduleAction::run_task("morning")]),
        )
        .unwrap();
    assert!(
        updated
            .next_run_at
            .as_deref()
            .unwrap()
            .contains("-01T00:00:00.000Z"),
        "{updated:?}"
    );
    assert_eq!(updated.actions.len(), 1);
    assert_eq!(updated.title.as_deref(), Some("Weekday mornings"));
    let disabled = one
        .update(&ScheduleUpdate::default().is_enabled(false))
        .unwrap();
    assert_eq!(disabled.next_run_at, None);
    assert_eq!(disabled.cron_expression, "0 0 1 * *");

    // Not fired yet: an empty log. Fired (by the emulator's support call): one typed entry.
    assert_eq!(one.log().unwrap(), Some(vec![]));
    let fired = support(
        &client,
        "POST",
        &format!("/_emulator/schedules/{}/fire", created.id),
        None,
    );
    let log = one.log().unwrap().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].level, "INFO");
    let run_id = fired["data"]["runIds"][0].as_str().unwrap();
    assert!(log[0].message.contains(run_id), "{log:?}");
    let run = client.run(run_id).get().unwrap().unwrap();
    assert_eq!(run.meta["origin"], "SCHEDULER");
    assert!(one.get().unwrap().unwrap().last_run_at.is_some());

    one.delete().unwrap();
    assert!(one.get().unwrap().is_none());
    assert!(one.log().unwrap().is_none());
    assert!(one.delete().unwrap_err().is_not_found());
    assert_eq!(
        schedules
            .list(&ScheduleListOptions::default())
            .unwrap()
            .total,
        1
    );
}

#[test]
fn the_servers_refusals_are_api_errors() {
    let (_emu, client) = setup();
    let schedules = client.schedules();
    let e = schedules
        .create(&ScheduleCreate::new("0 25 * * *"))
        .unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(
        (api.status, api.kind.as_str()),
        (400, "cron-expression-invalid")
    );
    assert!(api.message.contains("hour 25"), "{e}");
    let e = schedules
        .create(&ScheduleCreate::new("@daily").timezone("Nowhere/City"))
        .unwrap_err();
    assert!(e.to_string().contains("Nowhere/City"), "{e}");
    let e = schedules
        .create(&ScheduleCreate::new("@daily").action(ScheduleAction::run_task("missing")))
        .unwrap_err();
    assert_eq!(e.api().unwrap().kind, "schedule-actor-task-not-found");
    schedules
        .create(&ScheduleCreate::new("@daily").name("once"))
        .unwrap();
    let e = schedules
        .create(&ScheduleCreate::new("@weekly").name("once"))
        .unwrap_err();
    assert_eq!(e.api().unwrap().kind, "schedule-name-not-unique");
    assert!(client.schedule("nope").get().unwrap().is_none());
}

#[test]
fn bad_schedule_arguments_are_refused_before_any_request() {
    let (_emu, client) = setup();
    let before = received(&client, "/v2/schedules/**");
    let schedules = client.schedules();
    let refused = [
        schedules.create(&ScheduleCreate::new("* * *")).unwrap_err(),
        schedules
            .create(&ScheduleCreate::new("@daily").name("bad name"))
            .unwrap_err(),
        schedules
            .create(&ScheduleCreate::new("@daily").timezone(" "))
            .unwrap_err(),
        schedules
            .create(&ScheduleCreate::new("@daily").action(ScheduleAction::run_actor(" ")))
            .unwrap_err(),
        schedules
            .create(&ScheduleCreate::new("@daily").action(
                ScheduleAction::run_actor("a").run_options(TaskOptions::default().memory_mbytes(3)),
            ))
            .unwrap_err(),
        schedules
            .list(&ScheduleListOptions::default().limit(0))
            .unwrap_err(),
        client
            .schedule("s")
            .update(&ScheduleUpdate::default())
            .unwrap_err(),
        client.schedule("").get().unwrap_err(),
    ];
    for e in &refused {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    assert!(
        refused[0].to_string().contains("3 fields"),
        "{}",
        refused[0]
    );
    assert_eq!(received(&client, "/v2/schedules/**"), before);
    schedules.list(&ScheduleListOptions::default()).unwrap();
    assert_eq!(received(&client, "/v2/schedules/**"), before + 1);
}
