//! Request queues' state: the requests, the queue's order, locks and counts. Pure bookkeeping
//! under the state's lock; the rooms (`resources/request_queues.rs`, `rq_requests.rs`,
//! `rq_locks.rs`) turn HTTP into these calls.
//!
//! Order: a pending request's place is a number, smaller nearer the head; `forefront` takes a
//! number below every other (so the last request put at the forefront comes first), the end one
//! above. Listing uses a separate insertion sequence that never changes, so a cursor neither
//! loses nor repeats a request while others are added. Locks expire by time alone: a request
//! whose lock has passed is simply available again, nothing has to run to free it.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::reply::ApiError;

/// Who holds a request and until when (epoch ms).
#[derive(Clone, Debug)]
pub(crate) struct Lock {
    pub client: Option<String>,
    pub expires_at: u64,
}

/// One request of a queue.
pub(crate) struct QueueRequest {
    pub id: String,
    pub unique_key: String,
    /// Every field as given (`url`, `method`, `userData`, ...) but `id`, `uniqueKey` and
    /// `handledAt`, which the queue keeps itself.
    pub fields: Map<String, Value>,
    /// Set when handled (the timestamp as the client gave it).
    pub handled_at: Option<String>,
    /// Place in the queue while pending; smaller is nearer the head.
    order: i64,
    /// Place in listings: insertion order, never reused.
    pub seq: u64,
    lock: Option<Lock>,
}

impl QueueRequest {
    /// The lock, if it has not expired at `now`.
    pub(crate) fn active_lock(&self, now: u64) -> Option<&Lock> {
        self.lock.as_ref().filter(|l| l.expires_at > now)
    }

    pub(crate) fn is_handled(&self) -> bool {
        self.handled_at.is_some()
    }

    fn size(&self) -> usize {
        self.id.len() + self.unique_key.len() + Value::Object(self.fields.clone()).to_string().len()
    }
}

/// What a client adds or puts: checked and normalized by the room.
pub(crate) struct Draft {
    pub unique_key: String,
    pub fields: Map<String, Value>,
    pub handled_at: Option<String>,
}

/// The outcome of adding (or updating) one request.
pub(crate) struct Registration {
    pub id: String,
    pub unique_key: String,
    pub was_already_present: bool,
    pub was_already_handled: bool,
}

/// Which requests a listing shows (`filter=locked,pending`; none given is all).
#[derive(Default, Clone, Copy)]
pub(crate) struct ListFilter {
    pub locked: bool,
    pub pending: bool,
}

#[derive(Default)]
pub(crate) struct QueueStats {
    pub read_count: u64,
    pub write_count: u64,
    pub delete_count: u64,
    pub head_item_read_count: u64,
}

pub(crate) struct RequestQueue {
    pub id: String,
    /// Creation order (timestamps tie within a millisecond).
    pub seq: u64,
    pub name: Option<String>,
    pub title: Option<String>,
    pub created_at: u64,
    pub modified_at: u64,
    pub accessed_at: u64,
    pub act_id: Option<String>,
    pub act_run_id: Option<String>,
    pub general_access: String,
    pub stats: QueueStats,
    pub had_multiple_clients: bool,
    /// The first client's key (`Some(None)`: a client without a key).
    first_client: Option<Option<String>>,
    requests: HashMap<String, QueueRequest>,
    by_key: HashMap<String, String>,
    /// Pending (unhandled) requests by their place in the queue.
    pending: BTreeMap<i64, String>,
    /// Every request by its listing sequence.
    listing: BTreeMap<u64, String>,
    next_seq: u64,
    front: i64,
    back: i64,
    handled: usize,
    bytes: usize,
}

impl RequestQueue {
    pub(crate) fn new(id: String, seq: u64, name: Option<String>, now: u64) -> RequestQueue {
        RequestQueue {
            id,
            seq,
            name,
            title: None,
            created_at: now,
            modified_at: now,
            accessed_at: now,
            act_id: None,
            act_run_id: None,
            general_access: "FOLLOW_USER_SETTING".into(),
            stats: QueueStats::default(),
            had_multiple_clients: false,
            first_client: None,
            requests: HashMap::new(),
            by_key: HashMap::new(),
            pending: BTreeMap::new(),
            listing: BTreeMap::new(),
            next_seq: 0,
            front: 0,
            back: 0,
            handled: 0,
            bytes: 0,
        }
    }

    pub(crate) fn total_count(&self) -> usize {
        self.requests.len()
    }

    pub(crate) fn handled_count(&self) -> usize {
        self.handled
    }

    pub(crate) fn pending_count(&self) -> usize {
        self.requests.len() - self.handled
    }

    pub(crate) fn storage_bytes(&self) -> usize {
        self.bytes
    }

    /// Notes an access by a client; a second distinct client (or any client without a key
    /// after the first access, which the platform counts as a new client) sets
    /// `hadMultipleClients`.
    pub(crate) fn client_access(&mut self, key: Option<&str>, now: u64) {
        self.accessed_at = now;
        match &self.first_client {
            None => self.first_client = Some(key.map(str::to_string)),
            Some(first) => {
                if key.is_none() || first.as_deref() != key {
                    self.had_multiple_clients = true;
                }
            }
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<&QueueRequest> {
        self.requests.get(id)
    }

    pub(crate) fn id_by_unique_key(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(String::as_str)
    }

    fn touch(&mut self, now: u64) {
        self.modified_at = now;
        self.accessed_at = now;
    }

    fn place(&mut self, forefront: bool) -> i64 {
        if forefront {
            self.front -= 1;
            self.front
        } else {
            self.back += 1;
            self.back
        }
    }

    /// Adds a request, or answers the one with the same `uniqueKey` (left as it is).
    pub(crate) fn add(&mut self, draft: Draft, forefront: bool, now: u64) -> Registration {
        if let Some(id) = self.by_key.get(&draft.unique_key) {
            let existing = &self.requests[id];
            return Registration {
                id: id.clone(),
                unique_key: draft.unique_key,
                was_already_present: true,
                was_already_handled: existing.is_handled(),
            };
        }
        let id = super::util::new_id()[..15].to_string();
        let order = self.place(forefront);
        self.next_seq += 1;
        let request = QueueRequest {
            id: id.clone(),
            unique_key: draft.unique_key.clone(),
            fields: draft.fields,
            handled_at: draft.handled_at,
            order,
            seq: self.next_seq,
            lock: None,
        };
        if request.is_handled() {
            self.handled += 1;
        } else {
            self.pending.insert(order, id.clone());
        }
        self.bytes += request.size();
        self.by_key.insert(draft.unique_key.clone(), id.clone());
        self.listing.insert(self.next_seq, id.clone());
        self.requests.insert(id.clone(), request);
        self.stats.write_count += 1;
        self.touch(now);
        Registration {
            id,
            unique_key: draft.unique_key,
            was_already_present: false,
            was_already_handled: false,
        }
    }

    /// Replaces a request's fields. Setting `handledAt` marks it handled (and releases any
    /// lock); clearing it puts it back in the queue. `forefront` moves a pending request to the
    /// head.
    pub(crate) fn update(
        &mut self,
        id: &str,
        draft: Draft,
        forefront: bool,
        client: Option<&str>,
        now: u64,
    ) -> Result<Registration, ApiError> {
        let Some(req) = self.requests.get(id) else {
            return Err(request_not_found(id, &self.id));
        };
        if draft.unique_key != req.unique_key {
            if let Some(other) = self.by_key.get(&draft.unique_key) {
                return Err(ApiError::new(
                    409,
                    "request-queue-duplicate-requests",
                    format!(
                        "Request '{other}' of queue '{}' already has uniqueKey '{}'",
                        self.id, draft.unique_key
                    ),
                ));
            }
        }
        if let Some(lock) = req.active_lock(now) {
            if lock.client.as_deref() != client {
                return Err(locked_by_other(id));
            }
        }
        let was_handled = req.is_handled();
        let old_key = req.unique_key.clone();
        let old_order = req.order;
        let old_size = req.size();
        let now_handled = draft.handled_at.is_some();
        let new_order = match (was_handled, now_handled) {
            (_, true) => None,
            (true, false) => Some(self.place(forefront)),
            (false, false) if forefront => Some(self.place(true)),
            (false, false) => Some(old_order),
        };
        if !was_handled {
            self.pending.remove(&old_order);
        }
        if let Some(order) = new_order {
            self.pending.insert(order, id.to_string());
        }
        match (was_handled, now_handled) {
            (false, true) => self.handled += 1,
            (true, false) => self.handled -= 1,
            _ => {}
        }
        self.by_key.remove(&old_key);
        self.by_key.insert(draft.unique_key.clone(), id.to_string());
        let req = self.requests.get_mut(id).expect("checked above");
        req.unique_key = draft.unique_key.clone();
        req.fields = draft.fields;
        req.handled_at = draft.handled_at;
        if let Some(order) = new_order {
            req.order = order;
        }
        if now_handled {
            req.lock = None;
        }
        let new_size = req.size();
        self.bytes = self.bytes.saturating_sub(old_size) + new_size;
        self.stats.write_count += 1;
        self.touch(now);
        Ok(Registration {
            id: id.to_string(),
            unique_key: draft.unique_key,
            was_already_present: true,
            was_already_handled: was_handled,
        })
    }

    /// Removes a request; `false` if there was none.
    pub(crate) fn delete(&mut self, id: &str, now: u64) -> bool {
        let Some(req) = self.requests.remove(id) else {
            return false;
        };
        if req.is_handled() {
            self.handled -= 1;
        } else {
            self.pending.remove(&req.order);
        }
        self.by_key.remove(&req.unique_key);
        self.listing.remove(&req.seq);
        self.bytes = self.bytes.saturating_sub(req.size());
        self.stats.delete_count += 1;
        self.touch(now);
        true
    }

    /// The first `limit` pending requests nobody holds a lock on, head first.
    pub(crate) fn head(&mut self, limit: usize, now: u64) -> Vec<&QueueRequest> {
        let ids: Vec<&String> = self
            .pending
            .values()
            .filter(|id| self.requests[*id].active_lock(now).is_none())
            .take(limit)
            .collect();
        let out: Vec<&QueueRequest> = ids.into_iter().map(|id| &self.requests[id]).collect();
        self.stats.head_item_read_count += out.len() as u64;
        out
    }

    /// Locks the first `limit` available requests for `lock_ms`; answers their ids.
    pub(crate) fn lock_head(
        &mut self,
        limit: usize,
        lock_ms: u64,
        client: Option<&str>,
        now: u64,
    ) -> Vec<String> {
        let ids: Vec<String> = self
            .pending
            .values()
            .filter(|id| self.requests[*id].active_lock(now).is_none())
            .take(limit)
            .cloned()
            .collect();
        for id in &ids {
            let req = self.requests.get_mut(id).expect("pending ids exist");
            req.lock = Some(Lock {
                client: client.map(str::to_string),
                expires_at: now + lock_ms,
            });
        }
        self.stats.head_item_read_count += ids.len() as u64;
        self.accessed_at = now;
        ids
    }

    /// Whether any request is locked now (by anyone).
    pub(crate) fn has_locked(&self, now: u64) -> bool {
        self.pending
            .values()
            .any(|id| self.requests[id].active_lock(now).is_some())
    }

    /// The request's lock for this client, checked: it must exist, be pending and not be held
    /// by another client. An expired lock nobody took since may be prolonged by its holder.
    fn own_lock(&self, id: &str, client: Option<&str>, now: u64) -> Result<(), ApiError> {
        let req = self
            .requests
            .get(id)
            .ok_or_else(|| request_not_found(id, &self.id))?;
        if req.is_handled() {
            return Err(ApiError::new(
                400,
                "request-handled-or-locked",
                format!("Request '{id}' is already handled; a handled request has no lock"),
            ));
        }
        match &req.lock {
            Some(l) if l.client.as_deref() == client => Ok(()),
            Some(l) if l.expires_at > now => Err(locked_by_other(id)),
            _ => Err(ApiError::new(
                400,
                "invalid-request",
                format!("Request '{id}' is not locked by this client (clientKey)"),
            )),
        }
    }

    /// Sets a new lock duration (from now) on a lock this client holds; answers the new expiry.
    pub(crate) fn prolong(
        &mut self,
        id: &str,
        lock_ms: u64,
        client: Option<&str>,
        forefront: bool,
        now: u64,
    ) -> Result<u64, ApiError> {
        self.own_lock(id, client, now)?;
        if forefront {
            self.move_to(id, true);
        }
        let req = self.requests.get_mut(id).expect("checked");
        let expires_at = now + lock_ms;
        req.lock = Some(Lock {
            client: client.map(str::to_string),
            expires_at,
        });
        self.accessed_at = now;
        Ok(expires_at)
    }

    /// Releases this client's lock; the request goes to the head (`forefront`) or the end.
    /// Releasing a lock that has already gone is not an error, one held by another client is.
    pub(crate) fn release(
        &mut self,
        id: &str,
        client: Option<&str>,
        forefront: bool,
        now: u64,
    ) -> Result<(), ApiError> {
        match self.own_lock(id, client, now) {
            Ok(()) => {}
            Err(e) if e.kind == "invalid-request" => return Ok(()),
            Err(e) => return Err(e),
        }
        self.move_to(id, forefront);
        self.requests.get_mut(id).expect("checked").lock = None;
        self.accessed_at = now;
        Ok(())
    }

    fn move_to(&mut self, id: &str, forefront: bool) {
        let order = self.place(forefront);
        let req = self.requests.get_mut(id).expect("caller checked");
        self.pending.remove(&req.order);
        req.order = order;
        self.pending.insert(order, id.to_string());
    }

    /// Releases every lock this client holds now; answers how many.
    pub(crate) fn unlock_all(&mut self, client: Option<&str>, now: u64) -> usize {
        let mut count = 0;
        for id in self.pending.values() {
            let req = self.requests.get_mut(id).expect("pending ids exist");
            if req
                .active_lock(now)
                .is_some_and(|l| l.client.as_deref() == client)
            {
                req.lock = None;
                count += 1;
            }
        }
        self.accessed_at = now;
        count
    }

    /// The listing sequence of a request (for `exclusiveStartId`).
    pub(crate) fn seq_of(&self, id: &str) -> Option<u64> {
        self.requests.get(id).map(|r| r.seq)
    }

    /// Up to `limit` requests after listing position `after`, in insertion order, and whether
    /// more follow.
    pub(crate) fn list(
        &mut self,
        after: u64,
        limit: usize,
        filter: ListFilter,
        now: u64,
    ) -> (Vec<&QueueRequest>, bool) {
        let all = !filter.locked && !filter.pending;
        let requests = &self.requests;
        let mut matching = self
            .listing
            .range(after + 1..)
            .map(|(_, id)| &requests[id])
            .filter(|r| {
                let locked = r.active_lock(now).is_some();
                all || (filter.locked && locked) || (filter.pending && !locked && !r.is_handled())
            });
        let page: Vec<&QueueRequest> = matching.by_ref().take(limit).collect();
        let more = matching.next().is_some();
        self.stats.read_count += 1;
        (page, more)
    }
}

fn request_not_found(id: &str, queue: &str) -> ApiError {
    ApiError::not_found("Request", &format!("{id}' in request queue '{queue}"))
}

fn locked_by_other(id: &str) -> ApiError {
    ApiError::new(
        403,
        "request-handled-or-locked",
        format!("Request '{id}' is locked by another client; only the client that locked it (same clientKey) can change its lock"),
    )
}
