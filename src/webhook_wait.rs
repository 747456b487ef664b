//! Waiting for a run by webhook ([`WaitStrategy::Webhook`](crate::WaitStrategy::Webhook)): the
//! webhook wakes the wait, the API says how the run ended, and long polling takes over when no
//! webhook comes within the fallback interval, so a lost webhook never hangs a caller.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::models::Run;
use crate::receiver::Registration;
use crate::run::{RunClient, WaitOptions, WaitStrategy, WebhookWait};
use crate::webhooks::{Webhook, WebhookCondition, WebhookSpec, TERMINAL_RUN_EVENTS};

impl WebhookWait {
    /// The base of the webhook URLs: the public URL, or `http://` and the receiver's address.
    pub(crate) fn base_url(&self, addr: std::net::SocketAddr) -> Result<String> {
        match &self.public_url {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => Ok(u.clone()),
            Some(u) => Err(Error::InvalidArgument(format!(
                "the webhook public URL must start with http:// or https://, got '{u}'"
            ))),
            None => Ok(format!("http://{addr}")),
        }
    }
}

impl RunClient {
    /// Waits for a run that already exists: a webhook for this run (condition `actorRunId`)
    /// is created for the wait and deleted after it. A server that cannot create it gets long
    /// polling instead.
    pub(crate) fn wait_by_webhook(
        &self,
        options: &WaitOptions,
        hook: &WebhookWait,
        on_poll: &mut dyn FnMut(&Run) -> ControlFlow<()>,
    ) -> Result<Run> {
        let receiver = self.client().receiver(&hook.listen)?;
        let registration = receiver.register();
        let spec = WebhookSpec {
            webhook: Webhook {
                event_types: TERMINAL_RUN_EVENTS.iter().map(|e| e.to_string()).collect(),
                request_url: registration.url(&hook.base_url(receiver.addr())?),
                idempotency_key: Some(format!("libapify-wait-{}", registration.secret())),
                description: Some("libapify: wakes a wait for this run".into()),
                ..Webhook::default()
            },
            condition: Some(WebhookCondition {
                actor_run_id: Some(self.id().to_string()),
                ..WebhookCondition::default()
            }),
        };
        let created = match self.client().webhooks().create(&spec) {
            Ok(w) => w,
            Err(e) => {
                log::warn!(
                    target: "apify",
                    "waiting for run {} by webhook: the webhook could not be created ({e}); long polling instead",
                    self.id()
                );
                return self.wait_with(&long_polling(options, None), on_poll);
            }
        };
        let webhook = self.client().webhook(&created.id);
        let result = self.wait_registered(options, hook, &registration, true, on_poll);
        if let Err(e) = webhook.delete() {
            log::warn!(target: "apify", "the wait's webhook {} could not be deleted: {e}", created.id);
        }
        result
    }

    /// Waits with a registration whose webhook is attached to the run. With `look_first`, the
    /// run is read once before waiting (it may have ended before the webhook existed).
    pub(crate) fn wait_registered(
        &self,
        options: &WaitOptions,
        hook: &WebhookWait,
        registration: &Registration,
        look_first: bool,
        on_poll: &mut dyn FnMut(&Run) -> ControlFlow<()>,
    ) -> Result<Run> {
        self.check_id()?;
        let began = Instant::now();
        let deadline = options.budget.and_then(|b| began.checked_add(b));
        if look_first {
            if let Some(run) = self.get()? {
                if on_poll(&run).is_break() {
                    return Err(Error::cancelled_wait(&run));
                }
                if run.status.is_terminal() {
                    return Ok(run);
                }
            }
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let wait = left.map_or(hook.fallback, |l| l.min(hook.fallback));
        if registration.waiter().wait_for_more(0, wait) == 0 && wait == hook.fallback {
            log::info!(
                target: "apify",
                "no webhook for run {} within {:.1} s: long polling instead",
                self.id(),
                hook.fallback.as_secs_f64()
            );
        }
        // Woken (or out of patience): the API says where the run is; a run that ended answers
        // the long poll at once.
        self.wait_with(&long_polling(options, deadline), on_poll)
    }
}

/// `options` with long polling and what is left of the budget.
fn long_polling(options: &WaitOptions, deadline: Option<Instant>) -> WaitOptions {
    WaitOptions {
        budget: deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .or(options.budget),
        strategy: WaitStrategy::LongPoll {
            per_request: Duration::from_secs(60),
        },
        not_found_grace: options.not_found_grace,
    }
}
