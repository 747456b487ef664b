//! Typed views of request queues and their requests, and the options of the queue client. Each
//! model keeps the fields it does not name in `extra`, so new fields from the server are never
//! lost (and are sent back when a request is updated).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A request queue's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequestQueue {
    /// The queue's id.
    pub id: String,
    /// Its name; `None` for an unnamed queue.
    #[serde(default)]
    pub name: Option<String>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub modified_at: Option<String>,
    /// Requests ever added (handled and pending).
    #[serde(default)]
    pub total_request_count: u64,
    /// Requests marked handled.
    #[serde(default)]
    pub handled_request_count: u64,
    /// Requests not handled yet (locked ones included).
    #[serde(default)]
    pub pending_request_count: u64,
    /// Whether more than one client (`clientKey`) has used the queue.
    #[serde(default)]
    pub had_multiple_clients: bool,
    /// Who may read it without a token (`FOLLOW_USER_SETTING`, `RESTRICTED`, `ANYONE_WITH_ID_CAN_READ`, ...).
    #[serde(default)]
    pub general_access: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A request in a queue: what [`add`](crate::RequestQueueClient::add) takes, and what the
/// queue answers (with its `id`, and `handled_at` once handled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct QueueRequest {
    /// The request's id in the queue; `None` for one not added yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The URL.
    pub url: String,
    /// The deduplication key; when `None`, the server derives it from the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_key: Option<String>,
    /// The HTTP method (the server's default is GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// How often it was retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_count: Option<u64>,
    /// When it was handled (ISO 8601); `None` while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_at: Option<String>,
    /// Until when this client's lock holds (in a locked head only). Never sent back: a lock is
    /// changed with [`prolong_lock`](crate::RequestQueueClient::prolong_lock).
    #[serde(default, skip_serializing)]
    pub lock_expires_at: Option<String>,
    /// Every other field (`userData`, `headers`, `payload`, ...), as received or set.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl QueueRequest {
    /// A new request for this URL (GET, key derived from the URL by the server).
    pub fn new(url: impl Into<String>) -> QueueRequest {
        QueueRequest {
            id: None,
            url: url.into(),
            unique_key: None,
            method: None,
            retry_count: None,
            handled_at: None,
            lock_expires_at: None,
            extra: Map::new(),
        }
    }

    /// Sets the deduplication key.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Sets the HTTP method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Sets `userData`, the caller's data that travels with the request.
    pub fn user_data(self, data: Value) -> Self {
        self.field("userData", data)
    }

    /// Sets any other field of the request (`headers`, `payload`, ...).
    pub fn field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// Whether the request was handled.
    pub fn is_handled(&self) -> bool {
        self.handled_at.is_some()
    }

    /// Checks what is checkable before sending: a non-empty URL and key. `what` names the request.
    pub(crate) fn check(&self, what: &str) -> Result<()> {
        if self.url.trim().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{what}: the url must not be empty"
            )));
        }
        if self.unique_key.as_deref() == Some("") {
            return Err(Error::InvalidArgument(format!(
                "{what}: the unique key must not be empty (leave it out to derive it from the url)"
            )));
        }
        Ok(())
    }
}

/// What adding a request did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AddedRequest {
    /// The request's id (the existing one's, for a duplicate).
    pub request_id: String,
    /// Its key (in batch answers).
    #[serde(default)]
    pub unique_key: Option<String>,
    /// Whether a request with the same key was already in the queue (nothing was added).
    #[serde(default)]
    pub was_already_present: bool,
    /// Whether that request was already handled.
    #[serde(default)]
    pub was_already_handled: bool,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What [`add_batch`](crate::RequestQueueClient::add_batch) did, over all its requests.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct BatchAdded {
    /// The requests the queue took (duplicates included, with `was_already_present`).
    pub processed: Vec<AddedRequest>,
    /// The requests it still had not taken when the retries ran out, as given.
    pub unprocessed: Vec<QueueRequest>,
}

/// The first requests of a queue (its head), and with a lock, what the lock is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct QueueHead {
    /// The requests, in the order to handle them.
    pub items: Vec<QueueRequest>,
    /// The most requests asked for.
    #[serde(default)]
    pub limit: u64,
    /// When the queue last changed (ISO 8601).
    #[serde(default)]
    pub queue_modified_at: Option<String>,
    /// Whether more than one client has used the queue.
    #[serde(default)]
    pub had_multiple_clients: bool,
    /// Whether any client holds locks in the queue (locked heads only).
    #[serde(default)]
    pub queue_has_locked_requests: Option<bool>,
    /// The lock's duration in seconds (locked heads only).
    #[serde(default)]
    pub lock_secs: Option<f64>,
    /// The client that holds the locks (locked heads only).
    #[serde(default)]
    pub client_key: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of a queue's requests (see [`RequestQueueClient::list_requests`](crate::RequestQueueClient::list_requests)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequestsPage {
    /// The requests, in the order they were added.
    pub items: Vec<QueueRequest>,
    /// The page size asked for.
    #[serde(default)]
    pub limit: u64,
    /// Where the next page starts; `None` on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Options for listing a queue's requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestsOptions {
    /// Requests per page, 1 to 10,000 (server default 1000).
    pub limit: Option<u32>,
    /// Start where this cursor (a page's `next_cursor`) points.
    pub cursor: Option<String>,
    /// Only requests locked now.
    pub locked: bool,
    /// Only requests neither handled nor locked.
    pub pending: bool,
}

setters!(RequestsOptions {
    /// Sets the requests per page (1 to 10,000).
    limit: some u32,
    /// Starts at this cursor.
    cursor: text String,
    /// Only requests locked now (with `pending`: either).
    locked: set bool,
    /// Only requests neither handled nor locked (with `locked`: either).
    pending: set bool,
});

/// Options for [`add_batch`](crate::RequestQueueClient::add_batch).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Add to the head of the queue instead of its end.
    pub forefront: bool,
    /// How often the requests the queue left unprocessed are sent again (default 5).
    pub max_unprocessed_retries: u32,
    /// The delay before the first resend of unprocessed requests; each later one doubles
    /// (default 500 ms).
    pub min_delay: Duration,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            forefront: false,
            max_unprocessed_retries: 5,
            min_delay: Duration::from_millis(500),
        }
    }
}

setters!(BatchOptions {
    /// Adds to the head of the queue.
    forefront: set bool,
    /// Sets how often unprocessed requests are sent again.
    max_unprocessed_retries: set u32,
    /// Sets the first delay before resending unprocessed requests.
    min_delay: set Duration,
});

/// A change to a queue's settings: only the fields set are changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueUpdate {
    /// The new name.
    pub name: Option<String>,
    /// The new title.
    pub title: Option<String>,
    /// Who may read it without a token (`RESTRICTED`, `ANYONE_WITH_ID_CAN_READ`,
    /// `FOLLOW_USER_SETTING`, ...).
    pub general_access: Option<String>,
}

setters!(QueueUpdate {
    /// Renames the queue.
    name: text String,
    /// Sets the title.
    title: text String,
    /// Sets who may read it without a token.
    general_access: text String,
});

impl QueueUpdate {
    pub(crate) fn body(&self) -> Result<Value> {
        let mut body = Map::new();
        for (key, value) in [
            ("name", &self.name),
            ("title", &self.title),
            ("generalAccess", &self.general_access),
        ] {
            if let Some(v) = value {
                if v.trim().is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "the queue's {key} must not be empty"
                    )));
                }
                body.insert(key.into(), Value::String(v.clone()));
            }
        }
        if body.is_empty() {
            return Err(Error::InvalidArgument(
                "the queue update changes nothing: set a name, title or general access".into(),
            ));
        }
        Ok(Value::Object(body))
    }
}

/// Options for listing request queues: the same as for datasets and key-value stores.
pub type QueueListOptions = crate::storage_collections::StorageListOptions;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_keep_unknown_fields_and_never_send_their_lock() {
        let r: QueueRequest = serde_json::from_value(json!({
            "id": "r1", "url": "https://a", "uniqueKey": "k", "userData": {"depth": 2},
            "lockExpiresAt": "2026-01-01T00:00:00.000Z"
        }))
        .unwrap();
        assert_eq!(r.extra["userData"]["depth"], 2);
        assert!(r.lock_expires_at.is_some());
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(back["userData"]["depth"], 2);
        assert!(back.get("lockExpiresAt").is_none());
        assert!(back.get("handledAt").is_none());
    }

    #[test]
    fn bad_requests_and_empty_updates_are_refused() {
        assert!(QueueRequest::new(" ").check("request 3").is_err());
        let e = QueueRequest::new("https://a")
            .unique_key("")
            .check("request 3")
            .unwrap_err();
        assert!(e.to_string().contains("request 3"), "{e}");
        assert!(QueueUpdate::default().body().is_err());
        assert!(QueueUpdate::default().name(" ").body().is_err());
        let b = QueueUpdate::default()
            .general_access("RESTRICTED")
            .body()
            .unwrap();
        assert_eq!(b, json!({"generalAccess": "RESTRICTED"}));
    }
}
