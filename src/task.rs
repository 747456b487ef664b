//! A saved task: its runs (start, call, the synchronous runs, run lists), sharing the run code
//! with Actors (`runnable`). A task's input is merged with the one given at a start, so it
//! takes JSON objects only (no raw input); build choices are the task's own.

use std::ops::ControlFlow;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::Client;
use crate::dataset::ItemsOptions;
use crate::error::Result;
use crate::models::{Page, Record, Run};
use crate::runnable::{Kind, Runnable};
use crate::start_options::{CallOptions, StartOptions};

/// A saved task, by id or `username~name`.
///
/// What only Actors have does not exist here: a task's input is merged with its saved one, so
/// raw (non-JSON) input does not compile for a task:
///
/// ```compile_fail
/// let client = apify::Client::builder().build().unwrap();
/// let options = apify::StartOptions::default();
/// client.task("my-task").start_raw(b"x", "text/plain", &options);
/// ```
#[derive(Debug, Clone)]
pub struct TaskClient {
    pub(crate) client: Client,
    pub(crate) id: String,
}

impl Client {
    /// A saved task by id or `username~name`.
    pub fn task(&self, id: &str) -> TaskClient {
        TaskClient {
            client: self.clone(),
            id: id.to_string(),
        }
    }
}

impl TaskClient {
    /// `/v2/actor-tasks/{id}`; an empty id is refused. For the task's other calls (update,
    /// input, webhooks).
    pub(crate) fn base(&self) -> Result<String> {
        self.runnable().base()
    }

    /// The shared run code, borrowed for one call.
    pub(crate) fn runnable(&self) -> Runnable<'_> {
        Runnable::new(&self.client, Kind::Task, &self.id)
    }

    /// Starts a run of the task and returns it at once (or after `wait_for_finish`). `input`
    /// (a JSON object; `null` or `()`: none) overrides the task's saved input key by key.
    /// Exactly once, as [`ActorClient::start`](crate::ActorClient::start).
    ///
    /// API: `actorTask_runs_post`
    pub fn start<I: Serialize + ?Sized>(&self, input: &I, options: &StartOptions) -> Result<Run> {
        self.runnable().start(input, options)
    }

    /// Starts a run and waits for it, as [`ActorClient::call`](crate::ActorClient::call).
    ///
    /// API: `actorTask_runs_post`
    pub fn call<I: Serialize + ?Sized>(&self, input: &I, options: &CallOptions) -> Result<Run> {
        self.call_with(input, options, |_| ControlFlow::Continue(()))
    }

    /// Like [`call`](Self::call), calling `on_poll` after every status answer while waiting.
    ///
    /// API: `actorTask_runs_post`
    pub fn call_with<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &CallOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.runnable()
            .call_inner(input, options, &mut on_poll, None)
    }

    /// Like [`call_with`](Self::call_with), and meanwhile delivers each run's log text to
    /// `on_log`; both callbacks run on this thread.
    ///
    /// API: `actorTask_runs_post`
    pub fn call_with_log<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &CallOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
        mut on_log: impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.runnable()
            .call_inner(input, options, &mut on_poll, Some(&mut on_log))
    }

    /// Runs the task synchronously (up to about 300 s) and returns the `OUTPUT` record, or the
    /// record `output_record_key` names. With input (a JSON object, laid over the task's) it is
    /// a POST; with none (`null` or `()`) a GET, which runs the task with its saved input.
    ///
    /// API: `actorTask_runSync_post`, `actorTask_runSync_get`
    pub fn run_sync<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &StartOptions,
        output_record_key: Option<&str>,
    ) -> Result<Record> {
        self.runnable().run_sync(input, options, output_record_key)
    }

    /// Runs the task synchronously and returns the default dataset's items, read with `items`.
    /// POST with input, GET (the saved input) with none.
    ///
    /// API: `actorTask_runSyncGetDatasetItems_post`, `actorTask_runSyncGetDatasetItems_get`
    pub fn run_sync_get_items<T: DeserializeOwned, I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &StartOptions,
        items: &ItemsOptions,
    ) -> Result<Vec<T>> {
        self.runnable().run_sync_get_items(input, options, items)
    }

    /// One page of this task's runs, filtered by `options` (see
    /// [`RunsOptions`](crate::RunsOptions)); the items are the list's short form of a run.
    ///
    /// API: `actorTask_runs_get`
    pub fn runs(&self, options: &crate::RunsOptions) -> Result<Page<Run>> {
        self.runnable().runs_page(options)
    }

    /// The last run (optionally with this status), or `None`.
    ///
    /// API: `actorTask_runs_last_get`
    pub fn last_run(&self, status: Option<&str>) -> Result<Option<Run>> {
        self.runnable().last_run(status)
    }
}
