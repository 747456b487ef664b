//! Request queues: the queue (get, update, delete), its requests (add one or in batches, get,
//! update, delete, list with a cursor), and its head with and without locks (the collection:
//! `request_queue_collection.rs`).
//!
//! Every queue client has its own `clientKey` (random unless set), sent on the operations that
//! take one: the locks it takes belong to it, and only it can prolong or release them.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::client::{id_segment, Client};
use crate::error::{Error, Result};
use crate::http::{encode_component, Call, Retry, Unknown};
use crate::request_queue_batch::{
    add_in_batches, delete_in_batches, BatchDeleteReply, BatchReply, MAX_BATCH,
};
use crate::request_queue_models::{
    AddedRequest, BatchAdded, BatchOptions, QueueHead, QueueRequest, QueueUpdate, RequestQueue,
    RequestsOptions, RequestsPage,
};

/// The longest `clientKey` the API takes.
const MAX_CLIENT_KEY_CHARS: usize = 32;
/// Most requests one listing page holds.
const MAX_LIST_LIMIT: u32 = 10_000;

/// A request queue (by id or name), with this client's `clientKey`.
///
/// A crawler's loop: lock a few requests from the head, handle them, mark them handled (a
/// request whose lock expires before that goes back to the queue for anyone).
///
/// ```no_run
/// use std::time::Duration;
/// use apify::{BatchOptions, QueueRequest};
///
/// let client = apify::Client::from_env()?;
/// let meta = client.get_or_create_request_queue(Some("my-crawl"))?;
/// let queue = client.request_queue(&meta.id);
/// let seeds = [QueueRequest::new("https://example.com/"), QueueRequest::new("https://example.org/")];
/// let added = queue.add_batch(&seeds, &BatchOptions::default())?;
/// assert!(added.unprocessed.is_empty());
/// loop {
///     let head = queue.list_and_lock_head(Duration::from_secs(60), 10)?;
///     if head.items.is_empty() {
///         break;
///     }
///     for request in &head.items {
///         // ... fetch request.url, add what it links to ...
///         queue.mark_handled(request.id.as_deref().unwrap_or_default())?;
///     }
/// }
/// # Ok::<(), apify::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RequestQueueClient {
    client: Client,
    id: String,
    client_key: String,
    /// The queue's API path when it is reached through another resource (a run's default
    /// queue); `None`: `/v2/request-queues/{id}`.
    base: Option<String>,
    /// Query pairs sent with every request (a last-run alias's `status`).
    query: Vec<(String, String)>,
}

impl Client {
    /// A request queue by id or `username~name` (or `username/name`), with a new random
    /// `clientKey`.
    pub fn request_queue(&self, id_or_name: &str) -> RequestQueueClient {
        RequestQueueClient {
            client: self.clone(),
            id: id_or_name.trim().to_string(),
            client_key: new_client_key(),
            base: None,
            query: Vec::new(),
        }
    }
}

/// A new `clientKey`: 16 hex digits, different across clients, processes and machines (std's
/// per-process random hash keys, the time, the process id and a counter).
pub(crate) fn new_client_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    v: Value,
    method: &str,
    path: &str,
) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::Decode {
        method: method.into(),
        path: path.into(),
        message: e.to_string(),
    })
}

/// `lockSecs` for a lock of this duration: seconds with up to millisecond precision.
fn lock_secs(lock: Duration) -> Result<String> {
    let ms = lock.as_millis();
    if ms == 0 {
        return Err(Error::InvalidArgument(format!(
            "the lock duration must be at least 1 ms, got {lock:?}"
        )));
    }
    Ok(if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
            .trim_end_matches('0')
            .to_string()
    })
}

impl RequestQueueClient {
    /// A queue reached at `path` (e.g. a run's default queue, `/v2/actor-runs/{runId}/request-queue`);
    /// `id` is what [`RequestQueueClient::id`] answers.
    pub(crate) fn at(client: &Client, path: String, id: &str) -> RequestQueueClient {
        RequestQueueClient {
            client: client.clone(),
            id: id.to_string(),
            client_key: new_client_key(),
            base: Some(path),
            query: Vec::new(),
        }
    }

    /// This client with `name=value` added to every request it sends.
    pub(crate) fn with_query(mut self, name: &str, value: &str) -> RequestQueueClient {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// The id or name this client was made with (for a run's default queue, the run's id).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `clientKey` sent with this client's requests (its locks belong to it).
    pub fn client_key(&self) -> &str {
        &self.client_key
    }

    /// This client with another `clientKey` (1 to 32 characters, no control characters), for
    /// instance to take over the locks of an earlier process that used the same key.
    pub fn with_client_key(mut self, key: &str) -> Result<RequestQueueClient> {
        let n = key.chars().count();
        if n == 0 || n > MAX_CLIENT_KEY_CHARS || key.chars().any(char::is_control) {
            return Err(Error::InvalidArgument(format!(
                "the client key must have 1 to {MAX_CLIENT_KEY_CHARS} characters and no control characters, got {key:?}"
            )));
        }
        self.client_key = key.to_string();
        Ok(self)
    }

    fn path(&self) -> Result<String> {
        // Checked for a queue reached through its run too: an empty id would leave a hole in
        // that path.
        let id = id_segment("the request queue id", &self.id)?;
        Ok(match &self.base {
            Some(base) => base.clone(),
            None => format!("/v2/request-queues/{id}"),
        })
    }

    fn request_path(&self, request_id: &str) -> Result<String> {
        let id = request_id.trim();
        if id.is_empty() {
            return Err(Error::InvalidArgument(
                "the request id must not be empty".into(),
            ));
        }
        Ok(format!(
            "{}/requests/{}",
            self.path()?,
            encode_component(id)
        ))
    }

    /// A call that carries this client's query pairs (no `clientKey`: for the queue itself).
    fn plain_call(&self, method: &'static str, path: String) -> Call {
        let mut call = Call::new(method, path);
        call.query.extend(self.query.iter().cloned());
        call
    }

    /// A call that carries this client's key and query pairs.
    fn call(&self, method: &'static str, path: String) -> Call {
        self.plain_call(method, path)
            .query("clientKey", &self.client_key)
    }

    /// The queue's metadata (with its counts), or `None` if there is no such queue.
    /// API: `requestQueue_get`, `actorRun_requestQueue_get`
    /// API: `actor_runs_last_requestQueue_get`
    /// API: `actorTask_runs_last_requestQueue_get`
    pub fn get(&self) -> Result<Option<RequestQueue>> {
        match self
            .client
            .http()
            .send(&self.plain_call("GET", self.path()?))
        {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Changes the queue's name, title or general access; answers the queue as it is then.
    /// API: `requestQueue_put`, `actorRun_requestQueue_put`
    /// API: `actor_runs_last_requestQueue_put`
    /// API: `actorTask_runs_last_requestQueue_put`
    pub fn update(&self, update: &QueueUpdate) -> Result<RequestQueue> {
        let call = self
            .plain_call("PUT", self.path()?)
            .json_body(&update.body()?)?;
        self.client.http().send(&call)?.data()
    }

    /// Deletes the queue; a missing queue is the API's 404 error.
    /// API: `requestQueue_delete`, `actorRun_requestQueue_delete`
    /// API: `actor_runs_last_requestQueue_delete`
    /// API: `actorTask_runs_last_requestQueue_delete`
    pub fn delete(&self) -> Result<()> {
        crate::key_value_store::delete_storage_with(
            &self.client,
            self.plain_call("DELETE", self.path()?),
        )
    }

    /// Adds one request, at the head of the queue with `forefront`. A request whose key is in
    /// the queue already is not added again (`was_already_present`). Resent like a read when
    /// the answer is lost (the key makes that safe; the resend may then report the request as
    /// already present).
    /// API: `requestQueue_requests_post`, `actorRun_requestQueue_requests_post`
    /// API: `actor_runs_last_requestQueue_requests_post`
    /// API: `actorTask_runs_last_requestQueue_requests_post`
    pub fn add(&self, request: &QueueRequest, forefront: bool) -> Result<AddedRequest> {
        request.check("the request")?;
        let call = self
            .call("POST", format!("{}/requests", self.path()?))
            .query_opt("forefront", forefront.then_some(true))
            .json_body(request)?;
        self.client.http().send(&call)?.data()
    }

    /// Adds many requests in batches of 25, sending what the queue leaves unprocessed again
    /// with backoff until it takes them or [`BatchOptions::max_unprocessed_retries`] is
    /// reached; what stayed unprocessed is in [`BatchAdded::unprocessed`]. Every request is
    /// checked before the first is sent. An error stops it (earlier batches were added).
    /// API: `requestQueue_requests_batch_post`, `actorRun_requestQueue_requests_batch_post`
    /// API: `actor_runs_last_requestQueue_requests_batch_post`
    /// API: `actorTask_runs_last_requestQueue_requests_batch_post`
    pub fn add_batch(
        &self,
        requests: &[QueueRequest],
        options: &BatchOptions,
    ) -> Result<BatchAdded> {
        let path = format!("{}/requests/batch", self.path()?);
        for (i, r) in requests.iter().enumerate() {
            r.check(&format!("request {i} of the batch"))?;
        }
        add_in_batches(
            requests,
            options,
            |batch| {
                let call = self
                    .call("POST", path.clone())
                    .query_opt("forefront", options.forefront.then_some(true))
                    .json_body(&batch)?;
                self.client.http().send(&call)?.data::<BatchReply>()
            },
            std::thread::sleep,
        )
    }

    /// One request by id, or `None` if the queue has no such request (a missing queue is the
    /// API's 404 error).
    /// API: `requestQueue_request_get`, `actorRun_requestQueue_request_get`
    /// API: `actor_runs_last_requestQueue_request_get`
    /// API: `actorTask_runs_last_requestQueue_request_get`
    pub fn get_request(&self, request_id: &str) -> Result<Option<QueueRequest>> {
        let call = self.call("GET", self.request_path(request_id)?);
        match self.client.http().send(&call) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() && self.get()?.is_some() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces a request (it needs its `id`) whole: pass one read with
    /// [`get_request`](Self::get_request), not a head item, whose missing fields would be
    /// dropped. A request with `handled_at` set is handled.
    /// With `forefront`, a pending request moves to the head. A request locked by another
    /// client is refused (403).
    /// API: `requestQueue_request_put`, `actorRun_requestQueue_request_put`
    /// API: `actor_runs_last_requestQueue_request_put`
    /// API: `actorTask_runs_last_requestQueue_request_put`
    pub fn update_request(&self, request: &QueueRequest, forefront: bool) -> Result<AddedRequest> {
        let id = request.id.as_deref().ok_or_else(|| {
            Error::InvalidArgument("the request to update needs its id (from the queue)".into())
        })?;
        request.check("the request")?;
        let call = self
            .call("PUT", self.request_path(id)?)
            .query_opt("forefront", forefront.then_some(true))
            .json_body(request)?;
        self.client.http().send(&call)?.data()
    }

    /// Marks a request handled now (unless it was already). The request is read first and
    /// written back whole with `handledAt`: an update replaces every field, and the head
    /// answers only a few of them (`userData`, `headers`, ... would be lost).
    /// API: `requestQueue_request_get`, `requestQueue_request_put`, `actorRun_requestQueue_request_get`, `actorRun_requestQueue_request_put`
    /// API: `actor_runs_last_requestQueue_request_get`, `actor_runs_last_requestQueue_request_put`
    /// API: `actorTask_runs_last_requestQueue_request_get`, `actorTask_runs_last_requestQueue_request_put`
    pub fn mark_handled(&self, request_id: &str) -> Result<AddedRequest> {
        // A missing request is the API's 404 error here.
        let call = self.call("GET", self.request_path(request_id)?);
        let mut r: QueueRequest = self.client.http().send(&call)?.data()?;
        if r.handled_at.is_none() {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            r.handled_at = Some(crate::timestamps::format_iso_millis(now));
        }
        self.update_request(&r, false)
    }

    /// Deletes a request; a missing one is the API's 404 error.
    /// API: `requestQueue_request_delete`, `actorRun_requestQueue_request_delete`
    /// API: `actor_runs_last_requestQueue_request_delete`
    /// API: `actorTask_runs_last_requestQueue_request_delete`
    pub fn delete_request(&self, request_id: &str) -> Result<()> {
        let call = self.call("DELETE", self.request_path(request_id)?);
        delete_once(&self.client, call)
    }

    /// Deletes requests by id, in batches of 25. Ids that are not in the queue are no error
    /// (they are gone already). Answers the ids the queue left unprocessed (empty when it took
    /// them all), to be sent again later. Resent like a read: deleting twice is harmless.
    /// API: `requestQueue_requests_batch_delete`, `actorRun_requestQueue_requests_batch_delete`
    /// API: `actor_runs_last_requestQueue_requests_batch_delete`
    /// API: `actorTask_runs_last_requestQueue_requests_batch_delete`
    pub fn delete_requests(&self, request_ids: &[&str]) -> Result<Vec<String>> {
        let path = format!("{}/requests/batch", self.path()?);
        delete_in_batches(request_ids, |body| {
            let call = self.call("DELETE", path.clone()).json_body(&body)?;
            self.client.http().send(&call)?.data::<BatchDeleteReply>()
        })
    }

    /// The first `limit` pending requests (server default 100), without locking them: others
    /// may take them meanwhile.
    /// API: `requestQueue_head_get`, `actorRun_requestQueue_head_get`
    /// API: `actor_runs_last_requestQueue_head_get`
    /// API: `actorTask_runs_last_requestQueue_head_get`
    pub fn list_head(&self, limit: Option<u32>) -> Result<QueueHead> {
        if limit == Some(0) {
            return Err(Error::InvalidArgument(
                "the head limit must be at least 1".into(),
            ));
        }
        let call = self
            .call("GET", format!("{}/head", self.path()?))
            .query_opt("limit", limit);
        self.client.http().send(&call)?.data()
    }

    /// Locks up to `limit` (1 to 25) pending requests from the head for `lock` (with
    /// millisecond precision) and answers them, each with its `lock_expires_at`. Until the lock
    /// expires no other client gets them; mark them handled, or give them back with
    /// [`delete_lock`](Self::delete_lock). Not resent after a lost answer (a resend would lock
    /// more requests, which would stay locked until they expire).
    /// API: `requestQueue_head_lock_post`, `actorRun_requestQueue_head_lock_post`
    /// API: `actor_runs_last_requestQueue_head_lock_post`
    /// API: `actorTask_runs_last_requestQueue_head_lock_post`
    pub fn list_and_lock_head(&self, lock: Duration, limit: u32) -> Result<QueueHead> {
        if !(1..=MAX_BATCH as u32).contains(&limit) {
            return Err(Error::InvalidArgument(format!(
                "the lock limit must be 1 to {MAX_BATCH}, got {limit}"
            )));
        }
        let call = self
            .call("POST", format!("{}/head/lock", self.path()?))
            .query("lockSecs", lock_secs(lock)?)
            .query("limit", limit)
            .retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }

    /// Sets this client's lock on a request to end `lock` from now (with `forefront`, the
    /// request goes to the head when the lock ends); answers the new `lockExpiresAt`.
    /// API: `requestQueue_request_lock_put`, `actorRun_requestQueue_request_lock_put`
    /// API: `actor_runs_last_requestQueue_request_lock_put`
    /// API: `actorTask_runs_last_requestQueue_request_lock_put`
    pub fn prolong_lock(
        &self,
        request_id: &str,
        lock: Duration,
        forefront: bool,
    ) -> Result<String> {
        let call = self
            .call("PUT", format!("{}/lock", self.request_path(request_id)?))
            .query("lockSecs", lock_secs(lock)?)
            .query_opt("forefront", forefront.then_some(true));
        let v: Value = self.client.http().send(&call)?.data()?;
        match v.get("lockExpiresAt").and_then(Value::as_str) {
            Some(at) => Ok(at.to_string()),
            None => Err(Error::Decode {
                method: "PUT".into(),
                path: call.path,
                message: "the answer has no 'lockExpiresAt'".into(),
            }),
        }
    }

    /// Releases this client's lock on a request, which goes back to the queue (to its head
    /// with `forefront`). A lock that is gone already is not an error; one held by another
    /// client is (403).
    /// API: `requestQueue_request_lock_delete`, `actorRun_requestQueue_request_lock_delete`
    /// API: `actor_runs_last_requestQueue_request_lock_delete`
    /// API: `actorTask_runs_last_requestQueue_request_lock_delete`
    pub fn delete_lock(&self, request_id: &str, forefront: bool) -> Result<()> {
        let call = self
            .call("DELETE", format!("{}/lock", self.request_path(request_id)?))
            .query_opt("forefront", forefront.then_some(true));
        self.client.http().send(&call).map(|_| ())
    }

    /// Releases every lock this client holds in the queue; answers how many.
    /// API: `requestQueue_requests_unlock_post`, `actorRun_requestQueue_requests_unlock_post`
    /// API: `actor_runs_last_requestQueue_requests_unlock_post`
    /// API: `actorTask_runs_last_requestQueue_requests_unlock_post`
    pub fn unlock(&self) -> Result<u64> {
        let call = self.call("POST", format!("{}/requests/unlock", self.path()?));
        let v: Value = self.client.http().send(&call)?.data()?;
        Ok(v.get("unlockedCount").and_then(Value::as_u64).unwrap_or(0))
    }

    /// One page of the queue's requests, in the order they were added.
    /// API: `requestQueue_requests_get`, `actorRun_requestQueue_requests_get`
    /// API: `actor_runs_last_requestQueue_requests_get`
    /// API: `actorTask_runs_last_requestQueue_requests_get`
    pub fn list_requests(&self, options: &RequestsOptions) -> Result<RequestsPage> {
        if let Some(l) = options.limit {
            if !(1..=MAX_LIST_LIMIT).contains(&l) {
                return Err(Error::InvalidArgument(format!(
                    "the requests limit must be 1 to {MAX_LIST_LIMIT}, got {l}"
                )));
            }
        }
        let mut filter = Vec::new();
        if options.locked {
            filter.push("locked");
        }
        if options.pending {
            filter.push("pending");
        }
        let call = self
            .call("GET", format!("{}/requests", self.path()?))
            .query_opt("limit", options.limit)
            .query_opt(
                "cursor",
                options.cursor.as_deref().filter(|c| !c.is_empty()),
            )
            .query_opt("filter", (!filter.is_empty()).then(|| filter.join(",")));
        self.client.http().send(&call)?.data()
    }

    /// Every request of the queue (or those the options' filter keeps), page after page,
    /// following `nextCursor`. Requests added while iterating are seen when they land after
    /// the current page.
    /// API: `requestQueue_requests_get`, `actorRun_requestQueue_requests_get`
    /// API: `actor_runs_last_requestQueue_requests_get`
    /// API: `actorTask_runs_last_requestQueue_requests_get`
    pub fn iter_requests(&self, options: &RequestsOptions) -> RequestIter {
        RequestIter {
            queue: self.clone(),
            options: options.clone(),
            buffer: Vec::new().into_iter(),
            done: false,
        }
    }
}

/// `DELETE` resent only when the server cannot have acted on it, or after a lost answer; a 404
/// after a lost answer is that attempt's success.
fn delete_once(client: &Client, call: Call) -> Result<()> {
    let call = call.retry(Retry::OnlyIfNotProcessed);
    let mut lost = false;
    let result = client.http().send_guarded(
        &call,
        |_| Ok(()),
        |failure, _| {
            lost |= failure.lost;
            Unknown::Resend
        },
    );
    match result {
        Err(e) if lost && e.is_not_found() => Ok(()),
        other => other,
    }
}

/// Iterates over a queue's requests (see [`RequestQueueClient::iter_requests`]).
pub struct RequestIter {
    queue: RequestQueueClient,
    options: RequestsOptions,
    buffer: std::vec::IntoIter<QueueRequest>,
    done: bool,
}

impl Iterator for RequestIter {
    type Item = Result<QueueRequest>;

    fn next(&mut self) -> Option<Result<QueueRequest>> {
        loop {
            if let Some(r) = self.buffer.next() {
                return Some(Ok(r));
            }
            if self.done {
                return None;
            }
            match self.queue.list_requests(&self.options) {
                Ok(page) => {
                    let next = page.next_cursor.filter(|c| !c.is_empty());
                    // Stop on the last page, or on a cursor that makes no progress.
                    self.done =
                        next.is_none() || page.items.is_empty() || next == self.options.cursor;
                    self.options.cursor = next;
                    self.buffer = page.items.into_iter();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_durations_become_seconds() {
        assert_eq!(lock_secs(Duration::from_secs(60)).unwrap(), "60");
        assert_eq!(lock_secs(Duration::from_millis(1500)).unwrap(), "1.5");
        assert_eq!(lock_secs(Duration::from_millis(250)).unwrap(), "0.25");
        assert_eq!(lock_secs(Duration::from_millis(1)).unwrap(), "0.001");
        let e = lock_secs(Duration::from_micros(10)).unwrap_err();
        assert!(e.to_string().contains("lock duration"), "{e}");
    }

    #[test]
    fn client_keys_differ_and_fit_the_api() {
        let a = new_client_key();
        let b = new_client_key();
        assert_ne!(a, b);
        assert!(a.len() <= MAX_CLIENT_KEY_CHARS);
        let c = Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let q = c.request_queue("q");
        assert!(q.clone().with_client_key("").is_err());
        assert!(q.clone().with_client_key(&"x".repeat(33)).is_err());
        assert_eq!(q.with_client_key("mine").unwrap().client_key(), "mine");
    }
}
