//! An Actor: start (exactly once, see [`ActorClient::start`]), call, the synchronous runs, run
//! lists. The run code is shared with tasks (`runnable`); what only Actors have lives here and
//! in the Actor's other rooms.

use std::ops::ControlFlow;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::client::Client;
use crate::dataset::ItemsOptions;
use crate::error::Result;
use crate::models::{Page, Record, Run};
use crate::runnable::{InputBody, Kind, Runnable};
use crate::start_options::{CallOptions, StartOptions};

/// An Actor, by id or `username/name` (`username~name`).
#[derive(Debug, Clone)]
pub struct ActorClient {
    pub(crate) client: Client,
    pub(crate) id: String,
}

impl Client {
    /// An Actor by id, `username/name` or `username~name`.
    pub fn actor(&self, id: &str) -> ActorClient {
        ActorClient {
            client: self.clone(),
            id: id.to_string(),
        }
    }
}

impl ActorClient {
    /// `/v2/actors/{id}`; an empty id is refused. For the Actor's other rooms (builds,
    /// versions, ...), which build their paths on it.
    #[allow(dead_code)]
    pub(crate) fn base(&self) -> Result<String> {
        self.runnable().base()
    }

    /// The shared run code, borrowed for one call.
    pub(crate) fn runnable(&self) -> Runnable<'_> {
        Runnable::new(&self.client, Kind::Actor, &self.id)
    }

    /// The Actor's metadata, or `None` if it does not exist.
    ///
    /// API: `actor_get`
    pub fn get(&self) -> Result<Option<Value>> {
        self.runnable().get_value()
    }

    /// Starts a run with JSON input (`null` or `()`: none; else a JSON object) and returns it at
    /// once (or after `wait_for_finish`).
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
    /// [`Error::OutcomeUnknown`]: crate::Error::OutcomeUnknown
    ///
    /// API: `actors_runs_post`
    pub fn start<I: Serialize + ?Sized>(&self, input: &I, options: &StartOptions) -> Result<Run> {
        self.runnable().start(input, options)
    }

    /// Starts a run whose input is any bytes with a content type (exactly once, as
    /// [`start`](Self::start)).
    ///
    /// API: `actors_runs_post`
    pub fn start_raw(
        &self,
        input: &[u8],
        content_type: &str,
        options: &StartOptions,
    ) -> Result<Run> {
        self.runnable().start_body(
            InputBody(Some((input.to_vec(), content_type.to_string()))),
            options,
        )
    }

    /// Starts a run and waits for it (no budget unless `options.wait` has one). With
    /// `reruns_on_failure`, a run that ends FAILED or TIMED-OUT is started again (a new run each
    /// time) and the last attempt is returned; [`call_with`](Self::call_with) shows every
    /// attempt, its final state included, to its callback.
    ///
    /// API: `actors_runs_post`
    pub fn call<I: Serialize + ?Sized>(&self, input: &I, options: &CallOptions) -> Result<Run> {
        self.call_with(input, options, |_| ControlFlow::Continue(()))
    }

    /// Like [`call`](Self::call), calling `on_poll` after every status answer while waiting
    /// (progress display, cancellation with `ControlFlow::Break`).
    ///
    /// API: `actors_runs_post`
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
    /// `on_log` (see [`RunClient::wait_with_log`](crate::RunClient::wait_with_log)); both
    /// callbacks run on this thread.
    ///
    /// API: `actors_runs_post`
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

    /// Runs synchronously (up to about 300 s) and returns the `OUTPUT` record, or the record
    /// `output_record_key` names. With input (a JSON object) it is a POST; with none (`null` or
    /// `()`) a GET, and the Actor gets no input.
    ///
    /// API: `actor_runSync_post`, `actor_runSync_get`
    pub fn run_sync<I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &StartOptions,
        output_record_key: Option<&str>,
    ) -> Result<Record> {
        self.runnable().run_sync(input, options, output_record_key)
    }

    /// Runs synchronously (up to about 300 s) and returns the default dataset's items, read with
    /// `items` (clean, fields, limit, ...). With input it is a POST; with none (`null` or `()`)
    /// a GET.
    ///
    /// API: `actor_runSyncGetDatasetItems_post`, `actor_runSyncGetDatasetItems_get`
    pub fn run_sync_get_items<T: DeserializeOwned, I: Serialize + ?Sized>(
        &self,
        input: &I,
        options: &StartOptions,
        items: &ItemsOptions,
    ) -> Result<Vec<T>> {
        self.runnable().run_sync_get_items(input, options, items)
    }

    /// One page of this Actor's runs, filtered by `options` (see
    /// [`RunsOptions`](crate::RunsOptions)); the items are the list's short form of a run.
    ///
    /// API: `actors_runs_get`
    pub fn runs(&self, options: &crate::RunsOptions) -> Result<Page<Run>> {
        self.runnable().runs_page(options)
    }

    /// The last run (optionally with this status), or `None`.
    ///
    /// API: `actor_runs_last_get`
    pub fn last_run(&self, status: Option<&str>) -> Result<Option<Run>> {
        self.runnable().last_run(status)
    }
}
