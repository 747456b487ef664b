//! The webhook part of the emulator's state: ad-hoc and persistent webhooks and the dispatches
//! of their events. Kept beside `state`, which holds them behind its one lock.

use serde_json::Value;

/// An ad-hoc webhook attached to a run; also the delivery settings of a persistent [`Webhook`].
#[derive(Debug, Clone)]
pub(crate) struct AdHocWebhook {
    pub id: String,
    pub event_types: Vec<String>,
    pub request_url: String,
    pub payload_template: Option<String>,
    pub headers_template: Option<String>,
    pub idempotency_key: Option<String>,
    pub do_not_retry: bool,
    pub description: Option<String>,
    /// Also replace `{{var}}` inside the templates' string literals.
    pub should_interpolate_strings: bool,
    /// Stored and reported only: the emulator delivers over plain http.
    pub ignore_ssl_errors: bool,
}

/// What a webhook fires for: every field that is set must match the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WebhookCondition {
    pub actor_id: Option<String>,
    pub task_id: Option<String>,
    pub run_id: Option<String>,
}

/// A persistent webhook (`/v2/webhooks`): delivery settings and the condition it fires on.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub hook: AdHocWebhook,
    pub is_ad_hoc: bool,
    pub condition: WebhookCondition,
    pub created_at: u64,
    pub modified_at: u64,
}

/// One webhook event for one webhook (ad-hoc or persistent) and every delivery attempt of it.
pub(crate) struct Dispatch {
    pub id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub event_data: Value,
    /// The run behind the event (`None` for a test dispatch).
    pub run_id: Option<String>,
    pub is_ad_hoc: bool,
    pub condition: WebhookCondition,
    pub request_url: String,
    pub description: Option<String>,
    /// `ACTIVE`, `SUCCEEDED` or `FAILED`.
    pub status: &'static str,
    pub calls: Vec<DispatchCall>,
    pub created_at: u64,
}

/// One HTTP attempt of a dispatch.
pub(crate) struct DispatchCall {
    pub started_at: u64,
    pub finished_at: u64,
    pub error_message: Option<String>,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
}
