//! Runs: get, wait (long polling or plain polling, with a budget), abort, resurrect, log (whole
//! or followed as it grows).

use std::ops::ControlFlow;

use crate::client::{id_segment, Client};
use crate::dataset::DatasetClient;
use crate::error::{Error, Result};
use crate::http::{encode_component, Call, Cap, Retry};
use crate::key_value_store::KeyValueStoreClient;
use crate::log_follow::follow_log;
use crate::models::Run;
use crate::request_queue::RequestQueueClient;
use crate::wait::{wait_until_terminal, Polled};

pub use crate::wait::{WaitOptions, WaitStrategy, WebhookWait};

/// One run of an Actor or task.
#[derive(Debug, Clone)]
pub struct RunClient {
    client: Client,
    id: String,
    path: String,
}

impl Client {
    /// A run by its id.
    pub fn run(&self, run_id: &str) -> RunClient {
        RunClient {
            client: self.clone(),
            id: run_id.trim().to_string(),
            path: format!("/v2/actor-runs/{}", encode_component(run_id.trim())),
        }
    }
}

impl RunClient {
    /// The run's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// A run reached at another path than `/v2/actor-runs/{id}` (an Actor's run).
    pub(crate) fn at(client: &Client, path: String, run_id: &str) -> RunClient {
        RunClient {
            client: client.clone(),
            id: run_id.trim().to_string(),
            path,
        }
    }

    /// The run's path (already encoded).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn check_id(&self) -> Result<()> {
        id_segment("the run id", &self.id).map(|_| ())
    }

    /// The run, or `None` if there is no such run.
    ///
    /// API: `actorRun_get`
    pub fn get(&self) -> Result<Option<Run>> {
        match self.fetch() {
            Ok(run) => Ok(Some(run)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The run; a missing run is the API's 404 error.
    pub(crate) fn fetch(&self) -> Result<Run> {
        self.check_id()?;
        self.client
            .http()
            .send(&Call::new("GET", &self.path))?
            .data()
    }

    /// Waits for the run to finish (see [`WaitOptions`]) and returns it.
    ///
    /// ```no_run
    /// # let client = apify::Client::from_env()?;
    /// use std::time::Duration;
    /// let run = client.run("RUN_ID").wait(&apify::WaitOptions::with_budget(Duration::from_secs(30)))?;
    /// println!("{}", run.status); // may still be RUNNING: the budget ran out
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `actorRun_get`
    pub fn wait(&self, options: &WaitOptions) -> Result<Run> {
        self.wait_with(options, |_| ControlFlow::Continue(()))
    }

    /// Like [`wait`](Self::wait), calling `on_poll` with the run after every answer; returning
    /// `ControlFlow::Break` stops the wait with [`Error::Cancelled`].
    ///
    /// API: `actorRun_get`
    pub fn wait_with(
        &self,
        options: &WaitOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.check_id()?;
        if let WaitStrategy::Webhook(hook) = &options.strategy {
            return self.wait_by_webhook(options, hook, &mut on_poll);
        }
        wait_until_terminal(&self.client, &self.path, options, &mut on_poll)
    }

    /// Aborts the run; `gracefully` lets it finish its work for up to 30 s.
    ///
    /// API: `actorRun_abort_post`
    pub fn abort(&self, gracefully: bool) -> Result<Run> {
        self.check_id()?;
        let call = Call::new("POST", format!("{}/abort", self.path))
            .query("gracefully", gracefully)
            .retry(Retry::Idempotent);
        self.client.http().send(&call)?.data()
    }

    /// Restarts a finished run with the same storages.
    ///
    /// API: `PostResurrectRun`
    pub fn resurrect(&self) -> Result<Run> {
        self.check_id()?;
        let call = Call::new("POST", format!("{}/resurrect", self.path)).retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }

    /// The run's log as text.
    ///
    /// API: `actorRun_log_get`
    pub fn log(&self) -> Result<String> {
        self.check_id()?;
        let bytes = self
            .client
            .http()
            .send(&Call::new("GET", format!("{}/log", self.path)).cap(Cap::Large))?
            .bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Delivers the run's log text in order, each byte once, until the run is terminal and its
    /// log complete; `on_text` returning `Break` stops with [`Error::Cancelled`].
    ///
    /// ```no_run
    /// # let client = apify::Client::from_env()?;
    /// client.run("RUN_ID").follow_log(|text| {
    ///     print!("{text}");
    ///     std::ops::ControlFlow::Continue(())
    /// })?;
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `log_get`
    pub fn follow_log(&self, mut on_text: impl FnMut(&str) -> ControlFlow<()>) -> Result<()> {
        self.check_id()?;
        follow_log(
            &self.client,
            &self.id,
            || Ok(self.fetch()?.status.is_terminal()),
            &mut on_text,
        )
    }

    /// The run's default dataset.
    pub fn dataset(&self) -> DatasetClient {
        DatasetClient::at(&self.client, format!("{}/dataset", self.path), &self.id)
    }

    /// The run's default key-value store.
    pub fn key_value_store(&self) -> KeyValueStoreClient {
        KeyValueStoreClient::at(
            &self.client,
            format!("{}/key-value-store", self.path),
            &self.id,
        )
    }

    /// The run's default request queue, with a new random `clientKey`.
    pub fn request_queue(&self) -> RequestQueueClient {
        RequestQueueClient::at(
            &self.client,
            format!("{}/request-queue", self.path),
            &self.id,
        )
    }
}

impl Polled for Run {
    fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    fn cancelled(&self) -> Error {
        Error::cancelled_wait(self)
    }
}
