//! The SDK's Actor management against the emulator on 127.0.0.1: creating and listing Actors,
//! versions and environment variables, builds (start, wait, build_and_wait, abort, delete, log,
//! OpenAPI document), then a run by the new build's tag with its input checked against that
//! version's input schema.
#![cfg(feature = "emulator")]

use std::ops::ControlFlow;
use std::time::Duration;

use apify::emulator::EmulatorConfig;
use apify::{
    ActorCreate, ActorListOptions, ActorUpdate, BuildListOptions, BuildOptions, CallOptions,
    EnvVar, Error, RunStatus, SourceFile, StartOptions, Version, WaitOptions, WaitStrategy,
    WebhookListOptions,
};
use sdk::{setup, setup_with, support};
use serde_json::{json, Value};

#[path = "common/sdk.rs"]
mod sdk;

fn schema(max: u64) -> Value {
    json!({"title": "In", "type": "object", "schemaVersion": 1,
           "properties": {"count": {"title": "Count", "type": "integer", "editor": "number",
                                    "minimum": 0, "maximum": max}},
           "required": ["count"]})
}

/// A version made of `.actor/actor.json` (generator program) and an input schema.
fn version(number: &str, tag: &str, schema_text: &str) -> Version {
    let actor_json = json!({"actorSpecification": 1, "name": "ci-actor", "version": number,
                            "emulatorProgram": "generator", "input": "./input_schema.json"});
    Version::new(number)
        .build_tag(tag)
        .source_file(SourceFile::text(
            ".actor/actor.json",
            actor_json.to_string(),
        ))
        .source_file(SourceFile::text(".actor/input_schema.json", schema_text))
}

#[test]
fn the_ci_flow_creates_builds_by_tag_runs_and_cleans_up() {
    let (_emu, client) = setup();
    let actors = client.actors();
    let created = actors
        .create(
            &ActorCreate::new("ci-actor")
                .title("CI Actor")
                .version(version("0.0", "latest", &schema(5).to_string())),
        )
        .unwrap();
    assert_eq!(created.name, "ci-actor");
    assert_eq!(created.versions.len(), 1);
    assert_eq!(created.versions[0].build_tag.as_deref(), Some("latest"));
    let actor = client.actor(&created.id);

    // Lists: the user's own Actors, then all with the built-ins.
    let mine = actors.list(&ActorListOptions::default().my(true)).unwrap();
    assert!(mine.items.iter().any(|a| a.id == created.id));
    let page = actors
        .list(&ActorListOptions::default().limit(1).desc(true))
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.total >= 3);

    // A second version for the beta tag, with a wider schema.
    let v = actor
        .versions()
        .create(&version("0.1", "beta", &schema(50).to_string()))
        .unwrap();
    assert_eq!(v.version_number, "0.1");
    assert_eq!(actor.versions().list().unwrap().total, 2);

    // Build 0.1 and wait for it (long polling, a budget that is never reached).
    let mut polls = 0;
    let build = actor
        .build_and_wait_with(
            &BuildOptions::for_version("0.1"),
            &WaitOptions::with_budget(Duration::from_secs(120)),
            |b| {
                polls += 1;
                assert_eq!(b.build_number.as_deref(), Some("0.1.1"));
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    assert!(polls >= 1);
    assert_eq!(build.status, RunStatus::Succeeded);
    assert_eq!(build.build_tag(), Some("beta"));
    assert_eq!(build.input_schema_json().unwrap(), schema(50));
    let info = actor.info().unwrap().unwrap();
    assert_eq!(
        info.tagged_build("beta").unwrap().build_id.as_deref(),
        Some(build.id.as_str())
    );
    let log = client.build(&build.id).log().unwrap();
    assert!(log.contains("status SUCCEEDED"), "{log}");

    // A run by the beta tag: its input is checked against the 0.1 schema.
    let run = actor
        .call(
            &json!({"count": 20}),
            &CallOptions::default().start(StartOptions::default().build("beta")),
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.extra["buildId"], json!(build.id));
    let items: Vec<Value> = client
        .dataset(&run.default_dataset_id)
        .list_items(&Default::default())
        .unwrap()
        .items;
    assert_eq!(items.len(), 20);
    // Too large for beta's schema: refused by the server, nothing started.
    let err = actor
        .start(
            &json!({"count": 99}),
            &StartOptions::default().build("beta"),
        )
        .unwrap_err();
    match &err {
        Error::Api(api) => assert_eq!(api.kind, "invalid-input", "{err}"),
        other => panic!("expected invalid-input, got {other:?}"),
    }
    // Checked on the client side too, against the same build's schema.
    let err = actor
        .start(
            &json!({"count": "many"}),
            &StartOptions::default().build("beta").validate_input(true),
        )
        .unwrap_err();
    let report = err.input_report().expect("an input report");
    assert_eq!(report.errors[0].field(), "count");
    // Fine for beta, too large for latest (not built yet: no such tag).
    let err = actor
        .start(&json!({"count": 20}), &StartOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("latest"), "{err}");

    // Lists of builds, of the Actor and of the user.
    let builds = actor.builds(&BuildListOptions::default()).unwrap();
    assert_eq!(builds.total, 1);
    assert_eq!(builds.items[0].status, RunStatus::Succeeded);
    let all = client
        .builds(&BuildListOptions::default().desc(true).limit(10))
        .unwrap();
    assert_eq!(all.items[0].id, build.id);
    assert_eq!(actor.default_build().unwrap(), None, "no latest build yet");

    // Clean up: the Actor goes, with its builds.
    actor.delete().unwrap();
    assert!(actor.info().unwrap().is_none());
    assert!(client.build(&build.id).get().unwrap().is_none());
}

#[test]
fn builds_wait_abort_delete_and_describe_themselves() {
    let (_emu, client) = setup();
    let created = client
        .actors()
        .create(&ActorCreate::new("slow").version(version("0.0", "latest", &schema(5).to_string())))
        .unwrap();
    let actor = client.actor(&created.id);
    let first = actor
        .build_and_wait(&BuildOptions::for_version("0.0"), &WaitOptions::default())
        .unwrap();
    assert_eq!(first.status, RunStatus::Succeeded);
    assert_eq!(actor.default_build().unwrap().unwrap().id, first.id);

    // A build that takes long: a short budget answers it unfinished; abort ends it.
    support(
        &client,
        "PUT",
        "/_emulator/settings",
        Some(json!({"buildDurationMillis": 600_000})),
    );
    let slow = actor
        .build(&BuildOptions::for_version("0.0").use_cache(true))
        .unwrap();
    assert!(!slow.status.is_terminal());
    let waited = client
        .build(&slow.id)
        .wait(&WaitOptions::with_budget(Duration::from_secs(1)))
        .unwrap();
    assert!(!waited.status.is_terminal());
    let err = client
        .build(&slow.id)
        .wait_with(
            &WaitOptions::default().strategy(WaitStrategy::Poll {
                interval: Duration::from_millis(50),
            }),
            |_| ControlFlow::Break(()),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    let err = client.build(&slow.id).delete().unwrap_err();
    assert!(
        err.to_string().contains("deleting-unfinished-build"),
        "{err}"
    );
    let aborted = actor.build_client(&slow.id).abort().unwrap();
    assert_eq!(aborted.status, RunStatus::Aborted);
    assert_eq!(
        client.build(&slow.id).abort().unwrap().status,
        RunStatus::Aborted
    );
    client.build(&slow.id).delete().unwrap();
    assert!(client.build(&slow.id).get().unwrap().is_none());
    // The default build cannot go.
    let err = client.build(&first.id).delete().unwrap_err();
    assert!(err.to_string().contains("deleting-default-build"), "{err}");

    // The OpenAPI document, both ways.
    let doc = client.build(&first.id).openapi().unwrap();
    assert_eq!(
        doc["components"]["schemas"]["inputSchema"]["properties"]["count"]["maximum"],
        5
    );
    assert_eq!(actor.build_client("default").openapi().unwrap(), doc);
    assert_eq!(
        actor.build_client(&first.id).get().unwrap().unwrap().id,
        first.id
    );

    // Bad arguments fail before any request.
    for (options, needle) in [
        (BuildOptions::default(), "version is required"),
        (BuildOptions::for_version("1"), "MAJOR.MINOR"),
        (
            BuildOptions::for_version("0.0").wait_for_finish(Duration::from_secs(61)),
            "at most 60",
        ),
        (BuildOptions::for_version("0.0").tag(" "), "tag"),
    ] {
        let err = actor.build(&options).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(err.to_string().contains(needle), "{needle}: {err}");
    }
    assert!(matches!(
        client.build(" ").get(),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        client.builds(&BuildListOptions::default().limit(0)),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn a_running_builds_log_is_followed_to_its_end() {
    let (_emu, client) = setup();
    let created = client
        .actors()
        .create(&ActorCreate::new("followed").version(version(
            "0.0",
            "latest",
            &schema(5).to_string(),
        )))
        .unwrap();
    support(
        &client,
        "PUT",
        "/_emulator/settings",
        Some(json!({"buildDurationMillis": 800})),
    );
    let build = client
        .actor(&created.id)
        .build(&BuildOptions::for_version("0.0"))
        .unwrap();
    assert!(!build.status.is_terminal());
    let mut followed = String::new();
    client
        .build(&build.id)
        .follow_log(|text| {
            followed.push_str(text);
            ControlFlow::Continue(())
        })
        .unwrap();
    // Followed from before the build ran to its end: the whole log, each byte once.
    let finished = client.build(&build.id).get().unwrap().unwrap();
    assert!(finished.status.is_terminal());
    assert!(!followed.is_empty());
    assert_eq!(followed, client.build(&build.id).log().unwrap());
    // Stopping early is the caller's cancellation; an unknown build is the API's 404.
    let err = client
        .build(&build.id)
        .follow_log(|_| ControlFlow::Break(()))
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    let err = client
        .build("NoSuchBuild123456")
        .follow_log(|_| ControlFlow::Continue(()))
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn versions_env_vars_and_actor_updates() {
    let (_emu, client) = setup_with(EmulatorConfig {
        build_duration: Duration::ZERO,
        ..EmulatorConfig::default()
    });
    let created = client
        .actors()
        .create(&json!({"name": "configured"}))
        .unwrap();
    assert_eq!(created.versions[0].version_number, "0.0");
    let actor = client.actor("emulator/configured");
    let v = actor.version("0.0");
    let vars = v.env_vars();
    vars.create(&EnvVar::new("DOMAIN", "example.com")).unwrap();
    let secret = vars.create(&EnvVar::secret("TOKEN", "s3cret")).unwrap();
    assert_eq!(secret.value, None);
    assert_eq!(secret.is_secret, Some(true));
    let listed = vars.list().unwrap();
    assert_eq!(listed.total, 2);
    assert!(listed
        .items
        .iter()
        .all(|e| e.value.as_deref() != Some("s3cret")));
    assert_eq!(
        v.env_var("DOMAIN").get().unwrap().unwrap().value.as_deref(),
        Some("example.com")
    );
    let changed = v
        .env_var("DOMAIN")
        .update(&EnvVar::new("DOMAIN", "apify.com"))
        .unwrap();
    assert_eq!(changed.value.as_deref(), Some("apify.com"));
    let err = vars.create(&EnvVar::new("DOMAIN", "x")).unwrap_err();
    assert!(err.to_string().contains("env-var-already-exists"), "{err}");
    v.env_var("DOMAIN").delete().unwrap();
    assert!(v.env_var("DOMAIN").get().unwrap().is_none());
    let got = v.get().unwrap().unwrap();
    assert_eq!(got.env_vars.unwrap().len(), 1);

    // The version itself: update, a second one, delete.
    let updated = v.update(&json!({"buildTag": "stable"})).unwrap();
    assert_eq!(updated.build_tag.as_deref(), Some("stable"));
    actor.versions().create(&Version::new("1.0")).unwrap();
    actor.version("1.0").delete().unwrap();
    assert!(actor.version("1.0").get().unwrap().is_none());
    assert!(matches!(
        actor.version("1").get(),
        Err(Error::InvalidArgument(_))
    ));

    // The Actor: update, tags, webhooks.
    let a = actor
        .update(&ActorUpdate::default().title("Configured").description("d"))
        .unwrap();
    assert_eq!(a.title.as_deref(), Some("Configured"));
    let b = actor
        .build(&BuildOptions::for_version("0.0").tag("gold"))
        .unwrap();
    assert_eq!(b.status, RunStatus::Succeeded);
    let a = actor
        .update(&ActorUpdate::default().tag("latest", Some(&b.id)))
        .unwrap();
    assert_eq!(
        a.tagged_build("latest").unwrap().build_id.as_deref(),
        Some(b.id.as_str())
    );
    assert_eq!(
        actor
            .webhooks(&WebhookListOptions::default())
            .unwrap()
            .total,
        0
    );
    assert!(matches!(
        actor.update(&json!({})),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        client.actors().create(&json!({"title": "no name"})),
        Err(Error::InvalidArgument(_))
    ));
    let err = client
        .actors()
        .create(&ActorCreate::new("configured"))
        .unwrap_err();
    assert!(err.to_string().contains("actor-name-not-unique"), "{err}");
}
