//! Actors and tasks: start (exactly once, see [`RunnableClient::start`]), call, the synchronous
//! runs, run lists.

use std::ops::ControlFlow;
use std::time::Duration;

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::client::{id_segment, Client};
use crate::dataset::ItemsOptions;
use crate::error::{Error, Result};
use crate::http::{Call, Cap, Retry};
use crate::models::{Page, Record, Run, RunStatus};
use crate::run::{WaitOptions, WaitStrategy};
use crate::start::Start;
use crate::webhooks::{Webhook, TERMINAL_RUN_EVENTS};

/// How long a synchronous run may take on the platform before it answers 408.
const SYNC_RUN_LIMIT: Duration = Duration::from_secs(300);

/// Options of a run start (also of the synchronous runs, which ignore `wait_for_finish`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartOptions {
    /// Build tag or number (default: the Actor's default build).
    pub build: Option<String>,
    /// Memory in MB: a power of 2 from 128 to 32768.
    pub memory_mbytes: Option<u32>,
    /// The run's own timeout (the platform stops it after this).
    pub timeout: Option<Duration>,
    /// Most dataset items the run may produce (pay-per-result Actors).
    pub max_items: Option<u64>,
    /// Most USD the run may charge (pay-per-event Actors).
    pub max_total_charge_usd: Option<f64>,
    /// Restart the run if it fails.
    pub restart_on_error: Option<bool>,
    /// Let the start request wait up to this long (at most 60 s) for the run to finish.
    pub wait_for_finish: Option<Duration>,
    /// Ad-hoc webhooks.
    pub webhooks: Vec<Webhook>,
    /// Check the input against the Actor's input schema first ([`RunnableClient::validate_input`]):
    /// an invalid one fails with [`Error::InvalidInput`] and nothing is started.
    pub validate_input: bool,
}

impl StartOptions {
    fn apply(&self, mut call: Call) -> Result<Call> {
        if let Some(m) = self.memory_mbytes {
            if !(128..=32768).contains(&m) || !m.is_power_of_two() {
                return Err(Error::InvalidArgument(format!(
                    "memory must be a power of 2 from 128 to 32768 MB, got {m}"
                )));
            }
        }
        if let Some(w) = self.wait_for_finish {
            if w > Duration::from_secs(60) {
                return Err(Error::InvalidArgument(format!(
                    "wait_for_finish is at most 60 s, got {:?}; use call() or RunClient::wait for longer waits",
                    w
                )));
            }
        }
        if let Some(c) = self.max_total_charge_usd {
            if !(c.is_finite() && c >= 0.0) {
                return Err(Error::InvalidArgument(format!(
                    "max_total_charge_usd must be a non-negative number, got {c}"
                )));
            }
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            if w.event_types.is_empty() || w.request_url.trim().is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "webhook {i} needs at least one event type and a request URL"
                )));
            }
        }
        call = call
            .query_opt("build", self.build.as_deref())
            .query_opt("memory", self.memory_mbytes)
            .query_opt("timeout", self.timeout.map(|t| t.as_secs()))
            .query_opt("maxItems", self.max_items)
            .query_opt("maxTotalChargeUsd", self.max_total_charge_usd)
            .query_opt("restartOnError", self.restart_on_error);
        if !self.webhooks.is_empty() {
            let json = serde_json::to_vec(&self.webhooks).map_err(|e| {
                Error::InvalidArgument(format!("webhooks cannot be serialized: {e}"))
            })?;
            call = call.query(
                "webhooks",
                base64::engine::general_purpose::STANDARD.encode(json),
            );
        }
        Ok(call)
    }
}

setters!(StartOptions {
    /// Sets the build tag or number.
    build: text String,
    /// Sets the memory in MB (a power of 2 from 128 to 32768).
    memory_mbytes: some u32,
    /// Sets the run's own timeout.
    timeout: some Duration,
    /// Sets the most dataset items the run may produce.
    max_items: some u64,
    /// Sets the most USD the run may charge.
    max_total_charge_usd: some f64,
    /// Sets whether the run restarts when it fails.
    restart_on_error: some bool,
    /// Lets the start request wait up to this long (at most 60 s).
    wait_for_finish: some Duration,
    /// Sets whether the input is checked against the input schema before the start.
    validate_input: set bool,
});

impl StartOptions {
    /// Adds an ad-hoc webhook.
    pub fn webhook(mut self, webhook: Webhook) -> Self {
        self.webhooks.push(webhook);
        self
    }
}

setters!(CallOptions {
    /// Sets how the run is started.
    start: set StartOptions,
    /// Sets how the run is waited for.
    wait: set WaitOptions,
    /// Sets how often a FAILED or TIMED-OUT run is started again.
    reruns_on_failure: set u32,
});

/// Options of `call`: start options, how to wait, and how often to run again after a failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    /// How the run is started.
    pub start: StartOptions,
    /// How it is waited for (default: no budget, long polling).
    pub wait: WaitOptions,
    /// Start the run again when it ends FAILED or TIMED-OUT, up to this many times.
    pub reruns_on_failure: u32,
}

/// A log text callback, as `call_with_log` takes it.
type LogCallback<'a> = dyn FnMut(&str) -> ControlFlow<()> + 'a;

/// Which kind of thing runs: an Actor or a saved task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Actor,
    Task,
}

/// An Actor (`Client::actor`) or a task (`Client::task`): everything that starts runs.
#[derive(Debug, Clone)]
pub struct RunnableClient {
    pub(crate) client: Client,
    pub(crate) kind: Kind,
    pub(crate) id: String,
}

/// An Actor, by id or `username/name`.
pub type ActorClient = RunnableClient;
/// A saved task, by id or `username~name`.
pub type TaskClient = RunnableClient;

impl Client {
    /// An Actor by id, `username/name` or `username~name`.
    pub fn actor(&self, id: &str) -> ActorClient {
        RunnableClient {
            client: self.clone(),
            kind: Kind::Actor,
            id: id.to_string(),
        }
    }

    /// A saved task by id or `username~name`.
    pub fn task(&self, id: &str) -> TaskClient {
        RunnableClient {
            client: self.clone(),
            kind: Kind::Task,
            id: id.to_string(),
        }
    }
}

/// The body to send as the run's input.
struct InputBody(Option<(Vec<u8>, String)>);

impl RunnableClient {
    pub(crate) fn base(&self) -> Result<String> {
        Ok(match self.kind {
            Kind::Actor => format!("/v2/actors/{}", id_segment("the Actor id", &self.id)?),
            Kind::Task => format!("/v2/actor-tasks/{}", id_segment("the task id", &self.id)?),
        })
    }

    /// JSON input: `null` (or `()`) sends no input; anything else must be a JSON object.
    fn json_input<I: Serialize + ?Sized>(&self, input: &I) -> Result<InputBody> {
        let value = serde_json::to_value(input).map_err(|e| {
            Error::InvalidArgument(format!("the input cannot be serialized as JSON: {e}"))
        })?;
        match value {
            Value::Null => Ok(InputBody(None)),
            Value::Object(_) => Ok(InputBody(Some((
                value.to_string().into_bytes(),
                "application/json; charset=utf-8".to_string(),
            )))),
            other => Err(Error::InvalidArgument(format!(
                "the input must be a JSON object (or null for none), got {}",
                match other {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    _ => "a boolean",
                }
            ))),
        }
    }

    /// The Actor's or task's metadata, or `None` if it does not exist.
    ///
    /// API: `actor_get`, `actorTask_get`
    pub fn get(&self) -> Result<Option<Value>> {
        match self.client.http().send(&Call::new("GET", self.base()?)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Starts a run with JSON input and returns it at once (or after `wait_for_finish`).
    ///
    /// Exactly once: the start carries a marker of its own (the User-Agent ends with
    /// [`START_MARKER_PREFIX`](crate::START_MARKER_PREFIX) and 32 hex digits, recorded by the
    /// platform as the run's `meta.userAgent`). When an attempt may have reached the server but
    /// no answer says so (lost or cut answer, timeout, 5xx), the start looks for the run carrying
    /// its marker for up to the client's reconcile window before it resends; a run that turns up
    /// after a resend is aborted at once (and logged), the oldest is returned. If the server does
    /// not record the marker, an ambiguous start ends with [`Error::OutcomeUnknown`] instead.
    /// Nothing else (input, timing) is ever taken as evidence that a run is this start's.
    ///
    /// API: `actors_runs_post`, `actorTask_runs_post`
    pub fn start<I: Serialize + ?Sized>(&self, input: &I, options: &StartOptions) -> Result<Run> {
        let body = self.json_input(input)?;
        self.start_body(body, options)
    }

    /// Starts an Actor run whose input is any bytes with a content type (exactly once, as
    /// [`start`](Self::start)).
    ///
    /// API: `actors_runs_post`
    pub fn start_raw(
        &self,
        input: &[u8],
        content_type: &str,
        options: &StartOptions,
    ) -> Result<Run> {
        if self.kind == Kind::Task {
            return Err(Error::InvalidArgument(
                "a task run's input is merged with the task's input and must be a JSON object; use start()".into(),
            ));
        }
        self.start_body(
            InputBody(Some((input.to_vec(), content_type.to_string()))),
            options,
        )
    }

    fn start_body(&self, body: InputBody, options: &StartOptions) -> Result<Run> {
        self.check_before_start(body.0.as_ref(), options)?;
        let runs_path = format!("{}/runs", self.base()?);
        let mut call = options.apply(Call::new("POST", runs_path.clone()))?;
        if let Some(w) = options.wait_for_finish {
            call = call
                .query("waitForFinish", w.as_secs())
                .timeout(self.client.http().timeout + w);
        }
        if let Some((bytes, ct)) = body.0 {
            call = call.raw_body(bytes, &ct);
        }
        Start::new(&self.client, runs_path).run(call.retry(Retry::OnlyIfNotProcessed))
    }

    /// Starts a run and waits for it (no budget unless `options.wait` has one). With
    /// `reruns_on_failure`, a run that ends FAILED or TIMED-OUT is started again (a new run each
    /// time) and the last attempt is returned; [`call_with`](Self::call_with) shows every
    /// attempt, its final state included, to its callback.
    ///
    /// API: `actors_runs_post`, `actorTask_runs_post`
    pub fn call<I: Serialize + ?Sized>(&self, input: &I, options: &CallOptions) -> Result<Run> {
        self.call_with(input, options, |_| ControlFlow::Continue(()))
    }

    /// Like [`call`](Self::call), calling `on_poll` after every status answer while waiting
    /// (progress display, cancellation with `ControlFlow::Break`).
    ///
    /// API: `actors_runs_post`, `actorTask_runs_post`
    pub fn call_with<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &CallOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.call_inner(input, options, &mut on_poll, None)
    }

    /// Like [`call_with`](Self::call_with), and meanwhile delivers each run's log text to
    /// `on_log` (see [`RunClient::wait_with_log`](crate::RunClient::wait_with_log)); both callbacks run on this thread.
    ///
    /// API: `actors_runs_post`, `actorTask_runs_post`
    pub fn call_with_log<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &CallOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
        mut on_log: impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.call_inner(input, options, &mut on_poll, Some(&mut on_log))
    }

    fn call_inner<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &CallOptions,
        on_poll: &mut dyn FnMut(&Run) -> ControlFlow<()>,
        mut on_log: Option<&mut LogCallback<'_>>,
    ) -> Result<Run> {
        let body = self.json_input(input)?;
        let mut reruns = options.reruns_on_failure;
        loop {
            let run = match (&options.wait.strategy, on_log.as_mut()) {
                // Without a log to follow, the webhook rides on the start itself.
                (WaitStrategy::Webhook(hook), None) => {
                    let receiver = self.client.receiver(&hook.listen)?;
                    let registration = receiver.register();
                    let mut start = options.start.clone();
                    start.webhooks.push(Webhook {
                        event_types: TERMINAL_RUN_EVENTS.iter().map(|e| e.to_string()).collect(),
                        request_url: registration.url(&hook.base_url(receiver.addr())?),
                        ..Webhook::default()
                    });
                    let run = self.start_body(InputBody(body.0.clone()), &start)?;
                    self.client.run(&run.id).wait_registered(
                        &options.wait,
                        hook,
                        &registration,
                        false,
                        &mut *on_poll,
                    )?
                }
                (_, on_log) => {
                    let run = self.start_body(InputBody(body.0.clone()), &options.start)?;
                    let run = self.client.run(&run.id);
                    match on_log {
                        Some(on_log) => {
                            run.wait_with_log(&options.wait, &mut *on_poll, &mut **on_log)?
                        }
                        None => run.wait_with(&options.wait, &mut *on_poll)?,
                    }
                }
            };
            let failed = matches!(run.status, RunStatus::Failed | RunStatus::TimedOut);
            if failed && reruns > 0 {
                reruns -= 1;
                continue;
            }
            return Ok(run);
        }
    }

    fn sync_call(&self, endpoint: &str, body: &InputBody, options: &StartOptions) -> Result<Call> {
        self.check_before_start(body.0.as_ref(), options)?;
        let mut call = options.apply(Call::new("POST", format!("{}/{endpoint}", self.base()?)))?;
        if let Some((bytes, ct)) = &body.0 {
            call = call.raw_body(bytes.clone(), ct);
        }
        Ok(call
            .timeout(self.client.http().timeout + SYNC_RUN_LIMIT)
            .retry(Retry::OnlyIfNotProcessed))
    }

    /// Sends a synchronous run: resent only when the server cannot have acted on it.
    fn send_sync(&self, call: Call) -> Result<crate::http::Reply> {
        let runs_path = format!("{}/runs", self.base()?);
        Start::new(&self.client, runs_path)
            .run_sync(call)
            .map_err(sync_error)
    }

    /// Runs synchronously (up to about 300 s) and returns the `OUTPUT` record, or the record
    /// `output_record_key` names.
    ///
    /// API: `actor_runSync_post`, `actorTask_runSync_post`
    pub fn run_sync<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &StartOptions,
        output_record_key: Option<&str>,
    ) -> Result<Record> {
        let body = self.json_input(input)?;
        let mut call = self.sync_call("run-sync", &body, options)?;
        if let Some(key) = output_record_key {
            crate::key_value_store::check_record_key(key)?;
            call = call.query("outputRecordKey", key);
        }
        let call = call.cap(Cap::Record);
        self.send_sync(call)?.into_record()
    }

    /// Runs synchronously (up to about 300 s) and returns the default dataset's items, read with
    /// `items` (clean, fields, limit, ...).
    ///
    /// API: `actor_runSyncGetDatasetItems_post`, `actorTask_runSyncGetDatasetItems_post`
    pub fn run_sync_get_items<T: DeserializeOwned, I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &StartOptions,
        items: &ItemsOptions,
    ) -> Result<Vec<T>> {
        let body = self.json_input(input)?;
        let call = self.sync_call("run-sync-get-dataset-items", &body, options)?;
        let call = items
            .apply(call.query("format", "json"))
            .cap(Cap::Page(items.limit));
        self.send_sync(call)?.json()
    }

    /// One page of this Actor's or task's runs, filtered by `options` (see
    /// [`RunsOptions`](crate::RunsOptions)); the items are the list's short form of a run.
    ///
    /// API: `actors_runs_get`, `actorTask_runs_get`
    pub fn runs(&self, options: &crate::RunsOptions) -> Result<Page<Run>> {
        self.runs_page(options)
    }

    /// The last run (optionally with this status), or `None`.
    ///
    /// API: `actor_runs_last_get`, `actorTask_runs_last_get`
    pub fn last_run(&self, status: Option<&str>) -> Result<Option<Run>> {
        let call =
            Call::new("GET", format!("{}/runs/last", self.base()?)).query_opt("status", status);
        match self.client.http().send(&call) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Maps a failed synchronous run request to the SDK's errors.
fn sync_error(error: Error) -> Error {
    let Error::Api(api) = error else {
        return error;
    };
    match (api.status, api.kind.as_str()) {
        (408, _) | (_, "run-timeout-exceeded") => Error::SyncRunTimeout {
            message: api.message,
        },
        (_, "run-failed" | "actor-run-failed") => {
            let data = api.data.as_ref();
            let field = |k: &str| {
                data.and_then(|d| d.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            Error::RunFailed {
                run_id: field("runId").or_else(|| find_run_id(&api.message)),
                status: field("runStatus").or_else(|| find_status(&api.message)),
                message: api.message.clone(),
                api: Some(api),
            }
        }
        _ => Error::Api(api),
    }
}

/// A 17-character alphanumeric word in a message (the platform's run id shape).
fn find_run_id(message: &str) -> Option<String> {
    message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| {
            w.len() == 17
                && w.chars()
                    .any(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        })
        .map(str::to_string)
}

fn find_status(message: &str) -> Option<String> {
    ["TIMED-OUT", "ABORTED", "FAILED", "SUCCEEDED"]
        .iter()
        .find(|s| message.contains(*s))
        .map(|s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_run_ids_and_statuses_in_messages() {
        let m = "Actor run pvc5FMDz1frc3YykU did not succeed: it finished with status FAILED";
        assert_eq!(find_run_id(m).as_deref(), Some("pvc5FMDz1frc3YykU"));
        assert_eq!(find_status(m).as_deref(), Some("FAILED"));
    }

    #[test]
    fn start_options_are_checked_before_any_request() {
        let bad = StartOptions {
            memory_mbytes: Some(1000),
            ..StartOptions::default()
        };
        assert!(matches!(
            bad.apply(Call::new("POST", "/x")),
            Err(Error::InvalidArgument(_))
        ));
        let bad = StartOptions {
            wait_for_finish: Some(Duration::from_secs(61)),
            ..StartOptions::default()
        };
        assert!(bad.apply(Call::new("POST", "/x")).is_err());
    }
}
