//! Webhooks as resources (create, list, get, update, delete, test, dispatches) and the parsing
//! of a webhook POST body, for programs that receive webhooks in their own HTTP server.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{id_segment, Client};
use crate::error::{Error, Result};
use crate::http::{Call, Retry};
use crate::list_options::ListOptions;
use crate::models::Page;

/// Paging for lists of webhooks and of webhook dispatches.
pub type WebhookListOptions = ListOptions;

/// The events of a run reaching a terminal status.
pub const TERMINAL_RUN_EVENTS: [&str; 4] = [
    "ACTOR.RUN.SUCCEEDED",
    "ACTOR.RUN.FAILED",
    "ACTOR.RUN.TIMED_OUT",
    "ACTOR.RUN.ABORTED",
];

/// An ad-hoc webhook attached to a run at its start (and the delivery part of a webhook of
/// your own, [`WebhookSpec`](crate::WebhookSpec)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Webhook {
    /// Events that fire it, e.g. `ACTOR.RUN.SUCCEEDED`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    /// Where the payload is POSTed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_url: String,
    /// Payload template (`{{resource}}`-style variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_template: Option<String>,
    /// Headers template (a JSON object with variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers_template: Option<String>,
    /// Key that makes the delivery idempotent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Skip TLS verification of the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_ssl_errors: Option<bool>,
    /// Deliver once, without retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_not_retry: Option<bool>,
    /// A description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a webhook watches: one of an Actor, a task or a single run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookCondition {
    /// Runs of this Actor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// Runs of this task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_task_id: Option<String>,
    /// This run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_run_id: Option<String>,
}

/// A webhook to create, or the fields of one to update (empty and absent fields are left out).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WebhookSpec {
    /// Events, target URL, templates and delivery settings (as for an ad-hoc webhook).
    #[serde(flatten)]
    pub webhook: Webhook,
    /// What it watches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<WebhookCondition>,
}

impl Webhook {
    /// A webhook for these events, delivered to `request_url`.
    pub fn new<S: Into<String>>(
        event_types: impl IntoIterator<Item = S>,
        request_url: impl Into<String>,
    ) -> Webhook {
        Webhook::default()
            .event_types(event_types)
            .request_url(request_url)
    }

    /// Sets where the payload is POSTed.
    pub fn request_url(mut self, url: impl Into<String>) -> Self {
        self.request_url = url.into();
        self
    }
}

setters!(Webhook {
    /// Sets the events that fire it.
    event_types: list String,
    /// Sets the payload template.
    payload_template: text String,
    /// Sets the headers template.
    headers_template: text String,
    /// Sets the key that makes the delivery idempotent.
    idempotency_key: text String,
    /// Skips (or not) TLS verification of the target.
    ignore_ssl_errors: some bool,
    /// Delivers once, without retries (or not).
    do_not_retry: some bool,
    /// Sets the description.
    description: text String,
});

setters!(WebhookCondition {
    /// Watches this Actor's runs.
    actor_id: text String,
    /// Watches this task's runs.
    actor_task_id: text String,
    /// Watches this run.
    actor_run_id: text String,
});

impl WebhookSpec {
    /// A webhook to create (or the fields to update) with no condition yet.
    pub fn new(webhook: Webhook) -> WebhookSpec {
        WebhookSpec {
            webhook,
            condition: None,
        }
    }
}

setters!(WebhookSpec {
    /// Sets the events, target and delivery settings.
    webhook: set Webhook,
    /// Sets what it watches.
    condition: some WebhookCondition,
});

/// A webhook as the API answers it: the fields worth typing, and every other one kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookInfo {
    /// Its id.
    pub id: String,
    /// Events that fire it.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Where the payload is POSTed.
    #[serde(default)]
    pub request_url: String,
    /// What it watches.
    #[serde(default)]
    pub condition: Option<WebhookCondition>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The user's webhooks (`Client::webhooks`).
#[derive(Debug, Clone)]
pub struct WebhookCollectionClient {
    client: Client,
}

/// One webhook (`Client::webhook`).
#[derive(Debug, Clone)]
pub struct WebhookClient {
    client: Client,
    path: String,
    id: String,
}

impl Client {
    /// The user's webhooks: list and create.
    pub fn webhooks(&self) -> WebhookCollectionClient {
        WebhookCollectionClient {
            client: self.clone(),
        }
    }

    /// One webhook by id: get, update, delete, test, dispatches.
    pub fn webhook(&self, id: &str) -> WebhookClient {
        WebhookClient {
            client: self.clone(),
            path: format!("/v2/webhooks/{}", crate::http::encode_component(id.trim())),
            id: id.trim().to_string(),
        }
    }

    /// One page of the user's webhook dispatches (every delivery with its attempts).
    ///
    /// API: `webhookDispatches_get`
    pub fn webhook_dispatches(&self, options: &WebhookListOptions) -> Result<Page<Value>> {
        list(self, "/v2/webhook-dispatches", options)
    }

    /// One webhook dispatch, or `None`.
    ///
    /// API: `webhookDispatch_get`
    pub fn webhook_dispatch(&self, id: &str) -> Result<Option<Value>> {
        let path = format!(
            "/v2/webhook-dispatches/{}",
            id_segment("the dispatch id", id)?
        );
        get_opt(self, path)
    }
}

fn list(client: &Client, path: impl Into<String>, options: &ListOptions) -> Result<Page<Value>> {
    let call = options.call(path, "webhook")?;
    client.http().send(&call)?.data()
}

fn get_opt<T: serde::de::DeserializeOwned>(client: &Client, path: String) -> Result<Option<T>> {
    match client.http().send(&Call::new("GET", path)) {
        Ok(r) => r.data().map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl WebhookCollectionClient {
    /// One page of webhooks.
    ///
    /// API: `webhooks_get`
    pub fn list(&self, options: &WebhookListOptions) -> Result<Page<WebhookInfo>> {
        let page = list(&self.client, "/v2/webhooks", options)?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(serde_json::from_value)
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::Decode {
                    method: "GET".into(),
                    path: "/v2/webhooks".into(),
                    message: e.to_string(),
                })?,
            total: page.total,
            offset: page.offset,
            limit: page.limit,
            count: page.count,
            desc: page.desc,
        })
    }

    /// Creates a webhook. Not resent after a lost answer unless it has an idempotency key (the
    /// platform then answers the same webhook again).
    ///
    /// API: `webhooks_post`
    pub fn create(&self, spec: &WebhookSpec) -> Result<WebhookInfo> {
        if spec.webhook.event_types.is_empty() || spec.webhook.request_url.is_empty() {
            return Err(Error::InvalidArgument(
                "a webhook needs at least one event type and a request URL".into(),
            ));
        }
        let retry = if spec.webhook.idempotency_key.is_some() {
            Retry::Idempotent
        } else {
            Retry::UnlessLost
        };
        let call = Call::new("POST", "/v2/webhooks")
            .json_body(spec)?
            .retry(retry);
        self.client.http().send(&call)?.data()
    }
}

impl WebhookClient {
    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn check(&self) -> Result<()> {
        id_segment("the webhook id", &self.id).map(|_| ())
    }

    /// The webhook, or `None`.
    ///
    /// API: `webhook_get`
    pub fn get(&self) -> Result<Option<WebhookInfo>> {
        self.check()?;
        get_opt(&self.client, self.path.clone())
    }

    /// Changes the fields `spec` sets.
    ///
    /// API: `webhook_put`
    pub fn update(&self, spec: &WebhookSpec) -> Result<WebhookInfo> {
        self.check()?;
        let call = Call::new("PUT", &self.path).json_body(spec)?;
        self.client.http().send(&call)?.data()
    }

    /// Deletes the webhook; a missing one is the API's 404 error.
    ///
    /// API: `webhook_delete`
    pub fn delete(&self) -> Result<()> {
        self.check()?;
        crate::key_value_store::delete_storage(&self.client, &self.path)
    }

    /// Sends a test delivery; answers the dispatch.
    ///
    /// API: `webhook_test_post`
    pub fn test(&self) -> Result<Value> {
        self.check()?;
        let call = Call::new("POST", format!("{}/test", self.path)).retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }

    /// One page of its dispatches.
    ///
    /// API: `webhook_webhookDispatches_get`
    pub fn dispatches(&self, options: &WebhookListOptions) -> Result<Page<Value>> {
        self.check()?;
        list(&self.client, format!("{}/dispatches", self.path), options)
    }
}

/// What a webhook POST says, as [`parse_webhook`] reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// `ACTOR.RUN.SUCCEEDED`, ...
    pub event_type: String,
    /// The run (`eventData.actorRunId`, else `resource.id`), if the event is about one.
    pub run_id: Option<String>,
    /// The Actor (`eventData.actorId`, else `resource.actId`).
    pub actor_id: Option<String>,
    /// The run's status in the payload's `resource`, if it carries the run.
    pub status: Option<String>,
    /// When the event happened.
    pub created_at: Option<String>,
}

/// Reads a webhook POST body with the platform's default payload (`eventType`, `eventData`,
/// `resource`, `createdAt`); a body that is not such a payload is an `InvalidArgument` saying
/// what is missing. The payload only says that something happened: read the run from the API
/// for its state.
pub fn parse_webhook(body: &[u8]) -> Result<WebhookEvent> {
    let not = |why: &str| {
        Error::InvalidArgument(format!("the body is not an Apify webhook payload: {why}"))
    };
    let v: Value = serde_json::from_slice(body).map_err(|e| not(&format!("not JSON ({e})")))?;
    let obj = v.as_object().ok_or_else(|| not("not a JSON object"))?;
    let event_type = obj
        .get("eventType")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| not("no eventType"))?
        .to_string();
    let data = obj.get("eventData").filter(|d| d.is_object());
    let resource = obj.get("resource").filter(|r| r.is_object());
    if data.is_none() && resource.is_none() {
        return Err(not("neither eventData nor resource"));
    }
    let text = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(WebhookEvent {
        run_id: text(data, "actorRunId")
            .or_else(|| text(resource, "id").filter(|_| text(resource, "actId").is_some())),
        actor_id: text(data, "actorId").or_else(|| text(resource, "actId")),
        status: text(resource, "status"),
        created_at: text(Some(&v), "createdAt"),
        event_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_payloads_parse() {
        let body = br#"{"userId":"u","createdAt":"2026-12-07T10:00:00.000Z","eventType":"ACTOR.RUN.SUCCEEDED","eventData":{"actorId":"a1","actorRunId":"r1"},"resource":{"id":"r1","actId":"a1","status":"SUCCEEDED"}}"#;
        let e = parse_webhook(body).unwrap();
        assert_eq!(e.event_type, "ACTOR.RUN.SUCCEEDED");
        assert_eq!(e.run_id.as_deref(), Some("r1"));
        assert_eq!(e.actor_id.as_deref(), Some("a1"));
        assert_eq!(e.status.as_deref(), Some("SUCCEEDED"));
        assert_eq!(e.created_at.as_deref(), Some("2026-12-07T10:00:00.000Z"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["runId"], "r1");
    }

    #[test]
    fn other_bodies_are_refused_saying_why() {
        for (body, why) in [
            (&b"not json"[..], "not JSON"),
            (b"[1]", "not a JSON object"),
            (b"{\"resource\": {}}", "no eventType"),
            (b"{\"eventType\": \"X\"}", "neither eventData nor resource"),
        ] {
            let e = parse_webhook(body).unwrap_err().to_string();
            assert!(
                e.contains("not an Apify webhook payload") && e.contains(why),
                "{e}"
            );
        }
    }
}
