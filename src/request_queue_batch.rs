//! Batch adds and deletes: requests split into batches of [`MAX_BATCH`], and the requests a
//! batch add leaves unprocessed sent again with backoff until the queue takes them or the
//! retries run out.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::request_queue_models::{AddedRequest, BatchAdded, BatchOptions, QueueRequest};

/// Most requests one batch request takes (the API's limit), and one head lock.
pub const MAX_BATCH: usize = 25;

/// The answer to one batch add.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchReply {
    #[serde(default)]
    pub processed_requests: Vec<AddedRequest>,
    /// Drafts (`uniqueKey`, `url`, `method`) the queue did not take this time.
    #[serde(default)]
    pub unprocessed_requests: Vec<Value>,
}

/// Whether an unprocessed entry of the answer names this request: by its key, or by its URL
/// (and method) when the request left its key to the server.
fn names(entry: &Value, request: &QueueRequest) -> bool {
    let field = |k: &str| entry.get(k).and_then(Value::as_str);
    match &request.unique_key {
        Some(key) => field("uniqueKey") == Some(key.as_str()),
        None => {
            field("url") == Some(request.url.as_str())
                && match (&request.method, field("method")) {
                    (Some(m), Some(em)) => m.eq_ignore_ascii_case(em),
                    _ => true,
                }
        }
    }
}

/// Adds `requests` through `send` (one batch request each call), retrying what stays
/// unprocessed after `sleep`ing `min_delay`, then twice that, and so on. The caller checked the
/// requests. An error from `send` stops it: batches before it were added.
pub(crate) fn add_in_batches(
    requests: &[QueueRequest],
    options: &BatchOptions,
    mut send: impl FnMut(&[QueueRequest]) -> Result<BatchReply>,
    mut sleep: impl FnMut(Duration),
) -> Result<BatchAdded> {
    let mut out = BatchAdded::default();
    for chunk in requests.chunks(MAX_BATCH) {
        let mut pending = chunk.to_vec();
        let mut retry = 0u32;
        loop {
            let reply = send(&pending)?;
            out.processed.extend(reply.processed_requests);
            pending.retain(|r| reply.unprocessed_requests.iter().any(|e| names(e, r)));
            if pending.is_empty() || retry >= options.max_unprocessed_retries {
                break;
            }
            let factor = 2u32.saturating_pow(retry.min(16));
            sleep(options.min_delay.saturating_mul(factor));
            retry += 1;
        }
        out.unprocessed.extend(pending);
    }
    Ok(out)
}

/// Deletes requests by id through `send` (one batch body of `{"id"}` objects each call);
/// answers the ids the queue left unprocessed. Every id is checked before the first is sent.
pub(crate) fn delete_in_batches(
    request_ids: &[&str],
    mut send: impl FnMut(Vec<Value>) -> Result<BatchDeleteReply>,
) -> Result<Vec<String>> {
    for (i, id) in request_ids.iter().enumerate() {
        if id.trim().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "request id {i} of the batch must not be empty"
            )));
        }
    }
    let mut left = Vec::new();
    for chunk in request_ids.chunks(MAX_BATCH) {
        let body = chunk
            .iter()
            .map(|id| serde_json::json!({"id": id.trim()}))
            .collect();
        let reply = send(body)?;
        left.extend(
            reply
                .unprocessed_requests
                .iter()
                .filter_map(|e| e.get("id").and_then(Value::as_str))
                .map(str::to_string),
        );
    }
    Ok(left)
}

/// The answer to one batch delete: what it left is all that matters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchDeleteReply {
    #[serde(default)]
    pub unprocessed_requests: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn requests(n: usize) -> Vec<QueueRequest> {
        (0..n)
            .map(|i| {
                QueueRequest::new(format!("https://example.com/{i}")).unique_key(format!("k{i}"))
            })
            .collect()
    }

    fn processed(batch: &[QueueRequest]) -> Vec<AddedRequest> {
        batch
            .iter()
            .map(|r| AddedRequest {
                request_id: format!("id-{}", r.unique_key.as_deref().unwrap()),
                unique_key: r.unique_key.clone(),
                was_already_present: false,
                was_already_handled: false,
                extra: Default::default(),
            })
            .collect()
    }

    #[test]
    fn splits_into_batches_of_25() {
        let mut sizes = Vec::new();
        let out = add_in_batches(
            &requests(60),
            &BatchOptions::default(),
            |b| {
                sizes.push(b.len());
                Ok(BatchReply {
                    processed_requests: processed(b),
                    unprocessed_requests: vec![],
                })
            },
            |_| panic!("nothing to retry"),
        )
        .unwrap();
        assert_eq!(sizes, [25, 25, 10]);
        assert_eq!(out.processed.len(), 60);
        assert!(out.unprocessed.is_empty());
    }

    #[test]
    fn unprocessed_requests_are_resent_with_growing_delays() {
        // The queue takes the first request of each call and leaves the rest unprocessed.
        let mut sent = Vec::new();
        let mut delays = Vec::new();
        let out = add_in_batches(
            &requests(3),
            &BatchOptions::default().min_delay(Duration::from_millis(10)),
            |b| {
                sent.push(b.len());
                Ok(BatchReply {
                    processed_requests: processed(&b[..1]),
                    unprocessed_requests: b[1..]
                        .iter()
                        .map(|r| json!({"uniqueKey": r.unique_key, "url": r.url}))
                        .collect(),
                })
            },
            |d| delays.push(d.as_millis()),
        )
        .unwrap();
        assert_eq!(sent, [3, 2, 1]);
        assert_eq!(delays, [10, 20]);
        assert_eq!(out.processed.len(), 3);
        assert!(out.unprocessed.is_empty());
    }

    #[test]
    fn what_stays_unprocessed_is_reported_after_the_bound() {
        let mut calls = 0;
        let reqs = vec![
            QueueRequest::new("https://a.example/x"),
            QueueRequest::new("https://a.example/y").unique_key("y"),
        ];
        let out = add_in_batches(
            &reqs,
            &BatchOptions::default().max_unprocessed_retries(2),
            |_| {
                calls += 1;
                // Matched by URL for the request without a key, by key for the other.
                Ok(BatchReply {
                    processed_requests: vec![],
                    unprocessed_requests: vec![
                        json!({"uniqueKey": "https://a.example/x", "url": "https://a.example/x", "method": "GET"}),
                        json!({"uniqueKey": "y", "url": "https://a.example/y"}),
                    ],
                })
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(calls, 3);
        assert_eq!(out.unprocessed, reqs);
    }

    #[test]
    fn an_error_stops_the_batches() {
        let mut calls = 0;
        let e = add_in_batches(
            &requests(30),
            &BatchOptions::default(),
            |_| {
                calls += 1;
                Err(crate::Error::InvalidArgument("boom".into()))
            },
            |_| {},
        )
        .unwrap_err();
        assert_eq!(calls, 1);
        assert!(e.to_string().contains("boom"));
    }
}
