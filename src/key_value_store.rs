//! Key-value stores: records (bytes with their content type), and keys page by page.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{id_segment, Client};
use crate::error::{Error, Result};
use crate::http::{encode_component, Call, Cap, Retry, Unknown};
use crate::models::Record;

/// Checks a record key before any request: 1 to 256 characters of `a-zA-Z0-9!-_.'()`.
pub fn check_record_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 256
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!-_.'()".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "record key '{key}' is invalid: a key has 1 to 256 characters from a-z, A-Z, 0-9 and !-_.'()"
        )))
    }
}

/// Options for listing keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeysOptions {
    /// Keys per page, 1 to 1000 (server default 1000).
    pub limit: Option<u32>,
    /// Start after this key.
    pub exclusive_start_key: Option<String>,
    /// Only keys with this prefix.
    pub prefix: Option<String>,
    /// Only keys of this collection of the store's schema.
    pub collection: Option<String>,
}

setters!(KeysOptions {
    /// Sets the keys per page (1 to 1000).
    limit: some u32,
    /// Starts after this key.
    exclusive_start_key: text String,
    /// Only keys with this prefix.
    prefix: text String,
    /// Only keys of this collection.
    collection: text String,
});

/// One key in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The key.
    pub key: String,
    /// The record's size in bytes.
    #[serde(default)]
    pub size: u64,
}

/// One page of keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeysPage {
    /// The keys, in byte order.
    pub items: Vec<KeyInfo>,
    /// Whether more keys follow.
    #[serde(default)]
    pub is_truncated: bool,
    /// Where the next page starts; `None` on the last page.
    #[serde(default)]
    pub next_exclusive_start_key: Option<String>,
}

/// A key-value store (by id or name), or a run's default store.
#[derive(Debug, Clone)]
pub struct KeyValueStoreClient {
    pub(crate) client: Client,
    pub(crate) path: String,
    pub(crate) id: String,
    /// Query pairs sent with every request (a last-run alias's `status`).
    pub(crate) query: Vec<(String, String)>,
}

impl Client {
    /// A key-value store by id or `username~name`.
    pub fn key_value_store(&self, id: &str) -> KeyValueStoreClient {
        KeyValueStoreClient::at(
            self,
            format!("/v2/key-value-stores/{}", encode_component(id.trim())),
            id,
        )
    }

    /// The key-value store with this name, created if missing; `None` creates a new unnamed one.
    /// Answers the store's metadata (with its `id`).
    ///
    /// API: `keyValueStores_post`
    pub fn get_or_create_key_value_store(&self, name: Option<&str>) -> Result<Value> {
        get_or_create_storage(self, "/v2/key-value-stores", "key-value store", name)
    }
}

/// `POST` on a storage collection: get-or-create by name, or a new unnamed storage. A named one is
/// safe to repeat; an unnamed one is not resent after a lost answer (it would create another).
pub(crate) fn get_or_create_storage(
    client: &Client,
    collection: &str,
    what: &str,
    name: Option<&str>,
) -> Result<Value> {
    let mut call = Call::new("POST", collection);
    match name {
        Some(n) if n.trim().is_empty() => {
            return Err(Error::InvalidArgument(format!(
                "the {what} name must not be empty (leave it out for an unnamed {what})"
            )))
        }
        Some(n) => call = call.query("name", n),
        None => call = call.retry(Retry::UnlessLost),
    }
    client.http().send(&call)?.data()
}

/// `DELETE` on a storage, resent like a read. A 404 after an attempt whose answer was lost is that
/// attempt's success, not a missing storage.
pub(crate) fn delete_storage(client: &Client, path: &str) -> Result<()> {
    delete_storage_with(client, Call::new("DELETE", path))
}

/// [`delete_storage`] for a `DELETE` call built by the storage's client (with its query).
pub(crate) fn delete_storage_with(client: &Client, call: Call) -> Result<()> {
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

impl KeyValueStoreClient {
    pub(crate) fn at(client: &Client, path: String, id: &str) -> KeyValueStoreClient {
        KeyValueStoreClient {
            client: client.clone(),
            path,
            id: id.trim().to_string(),
            query: Vec::new(),
        }
    }

    /// This client with `name=value` added to every request it sends.
    pub(crate) fn with_query(mut self, name: &str, value: &str) -> KeyValueStoreClient {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// A call to `path` carrying this client's query pairs.
    pub(crate) fn call(&self, method: &'static str, path: impl Into<String>) -> Call {
        let mut call = Call::new(method, path);
        call.query.extend(self.query.iter().cloned());
        call
    }

    fn record_path(&self, key: &str) -> Result<String> {
        id_segment("the key-value store id", &self.id)?;
        check_record_key(key)?;
        Ok(format!("{}/records/{}", self.path, encode_component(key)))
    }

    /// The store's metadata, or `None` if there is no such store.
    ///
    /// API: `keyValueStore_get`, `actorRun_keyValueStore_get`
    /// API: `actor_runs_last_keyValueStore_get`
    /// API: `actorTask_runs_last_keyValueStore_get`
    pub fn get(&self) -> Result<Option<Value>> {
        id_segment("the key-value store id", &self.id)?;
        match self.client.http().send(&self.call("GET", &self.path)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes the store; a missing store is the API's 404 error.
    ///
    /// API: `keyValueStore_delete`, `actorRun_keyValueStore_delete`
    /// API: `actor_runs_last_keyValueStore_delete`
    /// API: `actorTask_runs_last_keyValueStore_delete`
    pub fn delete(&self) -> Result<()> {
        id_segment("the key-value store id", &self.id)?;
        delete_storage_with(&self.client, self.call("DELETE", &self.path))
    }

    /// A record with its content type, or `None` when it does not exist.
    ///
    /// API: `keyValueStore_record_get`, `actorRun_keyValueStore_record_get`
    /// API: `actor_runs_last_keyValueStore_record_get`
    /// API: `actorTask_runs_last_keyValueStore_record_get`
    pub fn get_record(&self, key: &str) -> Result<Option<Record>> {
        match self.fetch_record(key) {
            Ok(record) => Ok(Some(record)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A record; a missing one is the API's 404 error.
    pub(crate) fn fetch_record(&self, key: &str) -> Result<Record> {
        let reply = self
            .client
            .http()
            .send(&self.call("GET", self.record_path(key)?).cap(Cap::Record))?;
        reply.into_record()
    }

    /// Whether a record exists (a HEAD request).
    ///
    /// API: `keyValueStore_record_head`
    pub fn record_exists(&self, key: &str) -> Result<bool> {
        match self
            .client
            .http()
            .send(&self.call("HEAD", self.record_path(key)?))
        {
            Ok(_) => Ok(true),
            // A HEAD 404 has no body to say whether the record or the store is missing.
            Err(e) if e.is_not_found() => self
                .client
                .http()
                .send(&self.call("GET", &self.path))
                .map(|_| false),
            Err(e) => Err(e),
        }
    }

    /// Stores bytes with a content type.
    ///
    /// API: `keyValueStore_record_put`, `actorRun_keyValueStore_record_put`
    /// API: `actor_runs_last_keyValueStore_record_put`
    /// API: `actorTask_runs_last_keyValueStore_record_put`
    pub fn set_record(&self, key: &str, data: &[u8], content_type: &str) -> Result<()> {
        if content_type.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "the content type must not be empty".into(),
            ));
        }
        let call = self
            .call("PUT", self.record_path(key)?)
            .raw_body(data.to_vec(), content_type)
            .retry(Retry::Idempotent);
        self.client.http().send(&call).map(|_| ())
    }

    /// Stores a value as JSON.
    ///
    /// API: `keyValueStore_record_put`, `actorRun_keyValueStore_record_put`
    /// API: `actor_runs_last_keyValueStore_record_put`
    /// API: `actorTask_runs_last_keyValueStore_record_put`
    pub fn set_json<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            Error::InvalidArgument(format!("the value cannot be serialized as JSON: {e}"))
        })?;
        self.set_record(key, &bytes, "application/json; charset=utf-8")
    }

    /// Stores UTF-8 text.
    ///
    /// API: `keyValueStore_record_put`, `actorRun_keyValueStore_record_put`
    /// API: `actor_runs_last_keyValueStore_record_put`
    /// API: `actorTask_runs_last_keyValueStore_record_put`
    pub fn set_text(&self, key: &str, text: &str) -> Result<()> {
        self.set_record(key, text.as_bytes(), "text/plain; charset=utf-8")
    }

    /// Deletes a record; deleting a missing record is not an error, deleting from a missing
    /// store is (the API answers 404 for both, so the store is looked up to tell them apart).
    ///
    /// API: `keyValueStore_record_delete`, `actorRun_keyValueStore_record_delete`
    /// API: `actor_runs_last_keyValueStore_record_delete`
    /// API: `actorTask_runs_last_keyValueStore_record_delete`
    pub fn delete_record(&self, key: &str) -> Result<()> {
        match self
            .client
            .http()
            .send(&self.call("DELETE", self.record_path(key)?))
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => match self.get()? {
                Some(_) => Ok(()),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// One page of keys.
    ///
    /// API: `keyValueStore_keys_get`, `actorRun_keyValueStore_keys_get`
    /// API: `actor_runs_last_keyValueStore_keys_get`
    /// API: `actorTask_runs_last_keyValueStore_keys_get`
    pub fn list_keys(&self, options: &KeysOptions) -> Result<KeysPage> {
        id_segment("the key-value store id", &self.id)?;
        if let Some(l) = options.limit {
            if !(1..=1000).contains(&l) {
                return Err(Error::InvalidArgument(format!(
                    "the key limit must be 1 to 1000, got {l}"
                )));
            }
        }
        let call = self
            .call("GET", format!("{}/keys", self.path))
            .query_opt("limit", options.limit)
            .query_opt("exclusiveStartKey", options.exclusive_start_key.as_deref())
            .query_opt("prefix", options.prefix.as_deref())
            .query_opt("collection", options.collection.as_deref());
        self.client.http().send(&call)?.data()
    }

    /// All keys, page after page, following `nextExclusiveStartKey` through any number of keys.
    ///
    /// API: `keyValueStore_keys_get`, `actorRun_keyValueStore_keys_get`
    /// API: `actor_runs_last_keyValueStore_keys_get`
    /// API: `actorTask_runs_last_keyValueStore_keys_get`
    pub fn iter_keys(&self, options: &KeysOptions) -> KeyIter {
        KeyIter {
            store: self.clone(),
            options: options.clone(),
            buffer: Vec::new().into_iter(),
            done: false,
        }
    }
}

/// Iterates over a store's keys (see [`KeyValueStoreClient::iter_keys`]).
pub struct KeyIter {
    store: KeyValueStoreClient,
    options: KeysOptions,
    buffer: std::vec::IntoIter<KeyInfo>,
    done: bool,
}

impl Iterator for KeyIter {
    type Item = Result<KeyInfo>;

    fn next(&mut self) -> Option<Result<KeyInfo>> {
        loop {
            if let Some(k) = self.buffer.next() {
                return Some(Ok(k));
            }
            if self.done {
                return None;
            }
            match self.store.list_keys(&self.options) {
                Ok(page) => {
                    let next = page.next_exclusive_start_key.clone().or_else(|| {
                        // Some servers leave the next key out; the last key on a truncated page
                        // is where the next page starts.
                        page.is_truncated
                            .then(|| page.items.last().map(|k| k.key.clone()))
                            .flatten()
                    });
                    // Stop on the last page, an empty page, or a page that makes no progress.
                    self.done = !page.is_truncated
                        || page.items.is_empty()
                        || next.is_none()
                        || next == self.options.exclusive_start_key;
                    self.options.exclusive_start_key = next;
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
