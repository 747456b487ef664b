//! The options of a run start and of `call`, shared by Actors and tasks. Both structs are
//! `#[non_exhaustive]`: build them with `default()` and the setters, so fields can be added.

use std::time::Duration;

use base64::Engine;

use crate::error::{Error, Result};
use crate::http::Call;
use crate::run::WaitOptions;
use crate::webhooks::Webhook;

/// Options of a run start (also of the synchronous runs, which ignore `wait_for_finish`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
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
    /// Check the input against the Actor's input schema first ([`ActorClient::validate_input`](crate::ActorClient::validate_input)):
    /// an invalid one fails with [`Error::InvalidInput`] and nothing is started.
    pub validate_input: bool,
}

impl StartOptions {
    pub(crate) fn apply(&self, mut call: Call) -> Result<Call> {
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
#[non_exhaustive]
pub struct CallOptions {
    /// How the run is started.
    pub start: StartOptions,
    /// How it is waited for (default: no budget, long polling).
    pub wait: WaitOptions,
    /// Start the run again when it ends FAILED or TIMED-OUT, up to this many times.
    pub reruns_on_failure: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_options_are_checked_before_any_request() {
        let bad = StartOptions::default().memory_mbytes(1000);
        assert!(matches!(
            bad.apply(Call::new("POST", "/x")),
            Err(Error::InvalidArgument(_))
        ));
        let bad = StartOptions::default().wait_for_finish(Duration::from_secs(61));
        assert!(bad.apply(Call::new("POST", "/x")).is_err());
        let bad = StartOptions::default().max_total_charge_usd(-1.0);
        assert!(bad.apply(Call::new("POST", "/x")).is_err());
        let good = StartOptions::default().memory_mbytes(256).build("beta");
        let call = good.apply(Call::new("POST", "/x")).unwrap();
        assert!(call
            .query
            .contains(&("build".to_string(), "beta".to_string())));
    }
}
