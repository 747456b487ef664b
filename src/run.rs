//! Runs: get, wait (long polling or plain polling, with a budget), abort, resurrect, log.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::client::{id_segment, Client};
use crate::dataset::DatasetClient;
use crate::error::{Error, Result};
use crate::http::{Call, Retry};
use crate::key_value_store::KeyValueStoreClient;
use crate::models::Run;

/// How [`RunClient::wait`] watches a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WaitStrategy {
    /// Each request asks the server to hold it until the run finishes (`waitForFinish`), for at
    /// most `per_request` (the API caps it at 60 s): the finish is seen the moment it happens.
    LongPoll {
        /// How long one request may be held.
        per_request: Duration,
    },
    /// Plain requests at a fixed interval.
    Poll {
        /// Time between two requests.
        interval: Duration,
    },
}

impl Default for WaitStrategy {
    fn default() -> Self {
        WaitStrategy::LongPoll {
            per_request: Duration::from_secs(60),
        }
    }
}

/// Options of a wait. The three durations are distinct: the run's own `timeout` (a start
/// option), this wait `budget`, and the HTTP request timeout (a client setting).
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// How long to wait at most; when it runs out the run is returned in whatever status it has
    /// (that is not an error). `None` waits until the run is terminal.
    pub budget: Option<Duration>,
    /// Long polling (default) or plain polling.
    pub strategy: WaitStrategy,
    /// A run that answers 404 right after its start is asked again for this long before the 404
    /// is returned (default 10 s).
    pub not_found_grace: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            budget: None,
            strategy: WaitStrategy::default(),
            not_found_grace: Duration::from_secs(10),
        }
    }
}

setters!(WaitOptions {
    /// Sets the wait budget.
    budget: some Duration,
    /// Sets long polling or plain polling.
    strategy: set WaitStrategy,
    /// Sets how long a 404 right after the start is asked again.
    not_found_grace: set Duration,
});

impl WaitOptions {
    /// Waits at most `budget`.
    pub fn with_budget(budget: Duration) -> WaitOptions {
        WaitOptions {
            budget: Some(budget),
            ..WaitOptions::default()
        }
    }
}

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
            path: format!(
                "/v2/actor-runs/{}",
                crate::http::encode_component(run_id.trim())
            ),
        }
    }
}

impl RunClient {
    /// The run's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn check_id(&self) -> Result<()> {
        id_segment("the run id", &self.id).map(|_| ())
    }

    /// The run, or `None` if there is no such run.
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
    pub fn wait(&self, options: &WaitOptions) -> Result<Run> {
        self.wait_with(options, |_| ControlFlow::Continue(()))
    }

    /// Like [`wait`](Self::wait), calling `on_poll` with the run after every answer; returning
    /// `ControlFlow::Break` stops the wait with [`Error::Cancelled`].
    pub fn wait_with(
        &self,
        options: &WaitOptions,
        mut on_poll: impl FnMut(&Run) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.check_id()?;
        let start = Instant::now();
        let deadline = options.budget.map(|b| start + b);
        let mut first_not_found: Option<Instant> = None;
        loop {
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let hold = match options.strategy {
                WaitStrategy::LongPoll { per_request } => {
                    let cap = remaining.unwrap_or(per_request).min(per_request);
                    cap.as_secs().min(60)
                }
                WaitStrategy::Poll { .. } => 0,
            };
            let mut call = Call::new("GET", &self.path);
            if hold > 0 {
                call = call
                    .query("waitForFinish", hold)
                    .timeout(self.client.http().timeout + Duration::from_secs(hold));
            }
            match self.client.http().send(&call).and_then(|r| r.data::<Run>()) {
                Ok(run) => {
                    first_not_found = None;
                    if on_poll(&run).is_break() {
                        return Err(Error::Cancelled);
                    }
                    if run.status.is_terminal() || deadline.is_some_and(|d| Instant::now() >= d) {
                        return Ok(run);
                    }
                    let pause = match options.strategy {
                        WaitStrategy::Poll { interval } => interval,
                        // A hold under a second cannot be asked for; pause instead of spinning.
                        WaitStrategy::LongPoll { .. } if hold == 0 => Duration::from_millis(250),
                        WaitStrategy::LongPoll { .. } => Duration::ZERO,
                    };
                    sleep_within(pause, deadline);
                }
                Err(e) if e.is_not_found() => {
                    let since = *first_not_found.get_or_insert_with(Instant::now);
                    if since.elapsed() >= options.not_found_grace
                        || deadline.is_some_and(|d| Instant::now() >= d)
                    {
                        return Err(e);
                    }
                    sleep_within(Duration::from_millis(250), deadline);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Aborts the run; `gracefully` lets it finish its work for up to 30 s.
    pub fn abort(&self, gracefully: bool) -> Result<Run> {
        self.check_id()?;
        let call = Call::new("POST", format!("{}/abort", self.path))
            .query("gracefully", gracefully)
            .retry(Retry::Idempotent);
        self.client.http().send(&call)?.data()
    }

    /// Restarts a finished run with the same storages.
    pub fn resurrect(&self) -> Result<Run> {
        self.check_id()?;
        let call = Call::new("POST", format!("{}/resurrect", self.path)).retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }

    /// The run's log as text.
    pub fn log(&self) -> Result<String> {
        self.check_id()?;
        let bytes = self
            .client
            .http()
            .send(&Call::new("GET", format!("{}/log", self.path)))?
            .bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
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
}

fn sleep_within(pause: Duration, deadline: Option<Instant>) {
    let pause = match deadline {
        Some(d) => pause.min(d.saturating_duration_since(Instant::now())),
        None => pause,
    };
    if !pause.is_zero() {
        std::thread::sleep(pause);
    }
}
