//! Waiting for a run or a build to finish: long polling (`waitForFinish`) or plain polling, with
//! a budget, a callback after every answer and a grace for a 404 right after the start. Runs and
//! builds share this loop; what is polled only has to say when it is terminal.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;

/// How [`RunClient::wait`](crate::RunClient::wait) watches a run (a build's wait takes the
/// webhook strategy as long polling).
#[derive(Debug, Clone, PartialEq)]
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
    /// A webhook for the run's terminal events wakes the wait (see [`WebhookWait`]); the run is
    /// then read from the API. No webhook within the fallback interval: long polling.
    Webhook(WebhookWait),
}

/// Waiting by webhook: where the client's receiver listens, the URL the platform calls, and
/// how long to wait for the webhook before falling back to long polling.
///
/// `call` attaches an ad-hoc webhook to the run it starts; waiting for a run that already
/// exists creates a webhook for that run (condition `actorRunId`) and deletes it afterwards.
/// Each wait has a secret of its own in the webhook's URL
/// (`<public URL>/libapify-webhook/<secret>`); the receiver answers 200 to a POST with a known
/// secret, 401 (and logs it) to any other, and counts a repeated delivery once. One receiver
/// per client and listen address serves every wait of that client, from any thread.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebhookWait {
    /// Where the receiver listens (default `127.0.0.1:0`: loopback, any free port).
    pub listen: String,
    /// The URL the platform should call (default `http://` and the receiver's address); the
    /// wait's path is appended. Set it when the platform reaches this machine through a tunnel
    /// or a public address.
    pub public_url: Option<String>,
    /// How long to wait for the webhook before long polling (default 60 s).
    pub fallback: Duration,
}

impl Default for WebhookWait {
    fn default() -> Self {
        WebhookWait {
            listen: "127.0.0.1:0".into(),
            public_url: None,
            fallback: Duration::from_secs(60),
        }
    }
}

setters!(WebhookWait {
    /// Sets the URL the platform should call.
    public_url: text String,
    /// Sets how long to wait for the webhook before long polling.
    fallback: set Duration,
});

impl WebhookWait {
    /// Sets where the receiver listens (`host:port`).
    pub fn listen(mut self, address: impl Into<String>) -> Self {
        self.listen = address.into();
        self
    }
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
#[non_exhaustive]
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

/// Something a wait polls: a run or a build.
pub(crate) trait Polled: DeserializeOwned {
    /// True once it can no longer change by itself.
    fn is_terminal(&self) -> bool;
    /// The error of a wait its callback stopped, naming what was waited for.
    fn cancelled(&self) -> Error;
}

/// Polls `path` (a run or a build) until it is terminal or the budget runs out, and returns it.
/// The webhook strategy is the caller's business: here it polls every 250 ms.
pub(crate) fn wait_until_terminal<T: Polled>(
    client: &Client,
    path: &str,
    options: &WaitOptions,
    on_poll: &mut dyn FnMut(&T) -> ControlFlow<()>,
) -> Result<T> {
    let start = Instant::now();
    // A budget too large for the clock is no limit at all.
    let deadline = options.budget.and_then(|b| start.checked_add(b));
    let mut first_not_found: Option<Instant> = None;
    loop {
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let hold = match options.strategy {
            WaitStrategy::LongPoll { per_request } => {
                let cap = remaining.unwrap_or(per_request).min(per_request);
                cap.as_secs().min(60)
            }
            WaitStrategy::Poll { .. } | WaitStrategy::Webhook(_) => 0,
        };
        let mut call = Call::new("GET", path);
        if hold > 0 {
            call = call
                .query("waitForFinish", hold)
                .timeout(client.http().timeout + Duration::from_secs(hold));
        }
        match client.http().send(&call).and_then(|r| r.data::<T>()) {
            Ok(polled) => {
                first_not_found = None;
                if on_poll(&polled).is_break() {
                    return Err(polled.cancelled());
                }
                if polled.is_terminal() || deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(polled);
                }
                let pause = match options.strategy {
                    WaitStrategy::Poll { interval } => interval,
                    WaitStrategy::Webhook(_) => Duration::from_millis(250),
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

fn sleep_within(pause: Duration, deadline: Option<Instant>) {
    let pause = match deadline {
        Some(d) => pause.min(d.saturating_duration_since(Instant::now())),
        None => pause,
    };
    if !pause.is_zero() {
        std::thread::sleep(pause);
    }
}
