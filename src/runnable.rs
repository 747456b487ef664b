//! What Actors and tasks share: starting runs (exactly once, see [`ActorClient::start`]),
//! `call`, the synchronous runs, run lists and the last run.
//!
//! [`ActorClient`] and [`TaskClient`] are two types so that calls only Actors have (raw input,
//! builds, versions, ...) do not compile for tasks; each hands the shared calls to a borrowed
//! [`Runnable`], which knows which of the two it is only to pick the path.
//!
//! [`ActorClient`]: crate::ActorClient
//! [`ActorClient::start`]: crate::ActorClient::start
//! [`TaskClient`]: crate::TaskClient

use std::ops::ControlFlow;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::client::{id_segment, Client};
use crate::dataset::ItemsOptions;
use crate::error::{Error, Result};
use crate::http::{Call, Cap, Retry};
use crate::models::{Record, Run, RunStatus};
use crate::run::WaitStrategy;
use crate::start::Start;
use crate::start_options::{CallOptions, StartOptions};
use crate::webhooks::{Webhook, TERMINAL_RUN_EVENTS};

/// How long a synchronous run may take on the platform before it answers 408.
const SYNC_RUN_LIMIT: Duration = Duration::from_secs(300);

/// A log text callback, as `call_with_log` takes it.
pub(crate) type LogCallback<'a> = dyn FnMut(&str) -> ControlFlow<()> + 'a;

/// Which kind of thing runs: an Actor or a saved task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Actor,
    Task,
}

/// An Actor or a task, borrowed from its client for one call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Runnable<'a> {
    pub(crate) client: &'a Client,
    pub(crate) kind: Kind,
    pub(crate) id: &'a str,
}

/// The body to send as the run's input (`None`: no input).
pub(crate) struct InputBody(pub(crate) Option<(Vec<u8>, String)>);

impl<'a> Runnable<'a> {
    pub(crate) fn new(client: &'a Client, kind: Kind, id: &'a str) -> Runnable<'a> {
        Runnable { client, kind, id }
    }

    /// `/v2/actors/{id}` or `/v2/actor-tasks/{id}`.
    pub(crate) fn base(&self) -> Result<String> {
        Ok(match self.kind {
            Kind::Actor => format!("/v2/actors/{}", id_segment("the Actor id", self.id)?),
            Kind::Task => format!("/v2/actor-tasks/{}", id_segment("the task id", self.id)?),
        })
    }

    /// JSON input: `null` (or `()`) sends no input; anything else must be a JSON object.
    pub(crate) fn json_input<I: Serialize + ?Sized>(&self, input: &I) -> Result<InputBody> {
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

    /// The metadata as JSON, or `None` on 404.
    pub(crate) fn get_value(&self) -> Result<Option<Value>> {
        match self.client.http().send(&Call::new("GET", self.base()?)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn start<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &StartOptions,
    ) -> Result<Run> {
        let body = self.json_input(input)?;
        self.start_body(body, options)
    }

    pub(crate) fn start_body(&self, body: InputBody, options: &StartOptions) -> Result<Run> {
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
        Start::new(self.client, runs_path).run(call.retry(Retry::OnlyIfNotProcessed))
    }

    pub(crate) fn call_inner<I: Serialize + ?Sized>(
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

    /// A synchronous run's request: POST with the input, or GET when there is none (the
    /// platform then runs the task with its saved input, the Actor with its default input).
    fn sync_call(&self, endpoint: &str, body: &InputBody, options: &StartOptions) -> Result<Call> {
        self.check_before_start(body.0.as_ref(), options)?;
        let method = if body.0.is_some() { "POST" } else { "GET" };
        let mut call = options.apply(Call::new(method, format!("{}/{endpoint}", self.base()?)))?;
        if let Some((bytes, ct)) = &body.0 {
            call = call.raw_body(bytes.clone(), ct);
        }
        // A GET here starts a run too: resent only when the server cannot have acted on it.
        Ok(call
            .timeout(self.client.http().timeout + SYNC_RUN_LIMIT)
            .retry(Retry::OnlyIfNotProcessed))
    }

    /// Sends a synchronous run: resent only when the server cannot have acted on it.
    fn send_sync(&self, call: Call) -> Result<crate::http::Reply> {
        let runs_path = format!("{}/runs", self.base()?);
        Start::new(self.client, runs_path)
            .run_sync(call)
            .map_err(sync_error)
    }

    pub(crate) fn run_sync<I: Serialize + ?Sized>(
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

    pub(crate) fn run_sync_get_items<T: DeserializeOwned, I: Serialize + ?Sized>(
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

    pub(crate) fn last_run(&self, status: Option<&str>) -> Result<Option<Run>> {
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
}
