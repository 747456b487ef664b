//! Datasets: one page of items, an iterator over all of them page by page, raw export as a
//! stream, and pushes split under the API's request limit.

use std::io::Read;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::client::{id_segment, Client};
use crate::error::{Error, Result};
use crate::http::{Call, Cap, Reply, Retry};

/// The API's request body limit: pushes are split so that no request is larger.
pub const MAX_PUSH_BYTES: usize = 9_437_184;

/// Options for reading dataset items (also taken by run-sync-get-dataset-items).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ItemsOptions {
    /// Items to skip.
    pub offset: Option<u64>,
    /// Items to read at most (for an iterator: in all).
    pub limit: Option<u64>,
    /// Newest first.
    pub desc: bool,
    /// Keep only these fields, in this order.
    pub fields: Vec<String>,
    /// Drop these fields.
    pub omit: Vec<String>,
    /// Unwind these array or object fields, in order.
    pub unwind: Vec<String>,
    /// Flatten these object fields to `a.b` keys.
    pub flatten: Vec<String>,
    /// `skipHidden` and `skipEmpty` together.
    pub clean: bool,
    /// Skip empty items.
    pub skip_empty: bool,
    /// Skip fields whose name starts with `#`.
    pub skip_hidden: bool,
    /// A view of the dataset's schema.
    pub view: Option<String>,
}

setters!(ItemsOptions {
    /// Sets the items to skip.
    offset: some u64,
    /// Sets the most items to read.
    limit: some u64,
    /// Newest first.
    desc: set bool,
    /// Keeps only these fields, in this order.
    fields: list String,
    /// Drops these fields.
    omit: list String,
    /// Unwinds these fields, in order.
    unwind: list String,
    /// Flattens these object fields.
    flatten: list String,
    /// Skips empty items and hidden fields.
    clean: set bool,
    /// Skips empty items.
    skip_empty: set bool,
    /// Skips fields whose name starts with `#`.
    skip_hidden: set bool,
    /// Sets the view of the dataset's schema.
    view: text String,
});

impl ItemsOptions {
    pub(crate) fn apply(&self, mut call: Call) -> Call {
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.join(","));
        call = call
            .query_opt("offset", self.offset)
            .query_opt("limit", self.limit)
            .query_opt("desc", self.desc.then_some(true))
            .query_opt("fields", list(&self.fields))
            .query_opt("omit", list(&self.omit))
            .query_opt("unwind", list(&self.unwind))
            .query_opt("flatten", list(&self.flatten))
            .query_opt("clean", self.clean.then_some(true))
            .query_opt("skipEmpty", self.skip_empty.then_some(true))
            .query_opt("skipHidden", self.skip_hidden.then_some(true))
            .query_opt("view", self.view.as_deref());
        call
    }
}

/// One page of dataset items with the server's pagination headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsPage<T> {
    /// The items (after the server's filters).
    pub items: Vec<T>,
    /// `X-Apify-Pagination-Offset`.
    pub offset: u64,
    /// `X-Apify-Pagination-Limit`.
    pub limit: u64,
    /// `X-Apify-Pagination-Count`: rows the server scanned for this page, which may exceed
    /// `items.len()` when filters dropped some. Advance the offset by this.
    pub count: u64,
    /// `X-Apify-Pagination-Total`: informative only, it lags behind pushes.
    pub total: u64,
}

/// A dataset (by id or name), or a run's default dataset.
#[derive(Debug, Clone)]
pub struct DatasetClient {
    pub(crate) client: Client,
    pub(crate) path: String,
    pub(crate) id: String,
    /// Query pairs sent with every request (a last-run alias's `status`).
    pub(crate) query: Vec<(String, String)>,
}

impl Client {
    /// A dataset by id or `username~name`.
    pub fn dataset(&self, id: &str) -> DatasetClient {
        DatasetClient::at(
            self,
            format!("/v2/datasets/{}", crate::http::encode_component(id.trim())),
            id,
        )
    }

    /// The dataset with this name, created if missing; `None` creates a new unnamed one.
    /// Answers the dataset's metadata (with its `id`).
    ///
    /// API: `datasets_post`
    pub fn get_or_create_dataset(&self, name: Option<&str>) -> Result<Value> {
        crate::key_value_store::get_or_create_storage(self, "/v2/datasets", "dataset", name)
    }
}

impl DatasetClient {
    pub(crate) fn at(client: &Client, path: String, id: &str) -> DatasetClient {
        DatasetClient {
            client: client.clone(),
            path,
            id: id.trim().to_string(),
            query: Vec::new(),
        }
    }

    /// This client with `name=value` added to every request it sends.
    pub(crate) fn with_query(mut self, name: &str, value: &str) -> DatasetClient {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// A call to `path` carrying this client's query pairs.
    pub(crate) fn call(&self, method: &'static str, path: impl Into<String>) -> Call {
        let mut call = Call::new(method, path);
        call.query.extend(self.query.iter().cloned());
        call
    }

    fn check(&self) -> Result<()> {
        id_segment("the dataset id", &self.id).map(|_| ())
    }

    /// The dataset's metadata, or `None` if there is no such dataset.
    ///
    /// API: `dataset_get`, `actorRun_dataset_get`
    /// API: `actor_runs_last_dataset_get`
    /// API: `actorTask_runs_last_dataset_get`
    pub fn get(&self) -> Result<Option<Value>> {
        self.check()?;
        match self.client.http().send(&self.call("GET", &self.path)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes the dataset; a missing dataset is the API's 404 error.
    ///
    /// API: `dataset_delete`, `actorRun_dataset_delete`
    /// API: `actor_runs_last_dataset_delete`
    /// API: `actorTask_runs_last_dataset_delete`
    pub fn delete(&self) -> Result<()> {
        self.check()?;
        crate::key_value_store::delete_storage_with(&self.client, self.call("DELETE", &self.path))
    }

    fn items_call(&self, options: &ItemsOptions, format: &str) -> Call {
        let call = self
            .call("GET", format!("{}/items", self.path))
            .query("format", format)
            .cap(Cap::Page(options.limit));
        options.apply(call)
    }

    /// One page of items.
    ///
    /// API: `dataset_items_get`, `actorRun_dataset_items_get`
    /// API: `actor_runs_last_dataset_items_get`
    /// API: `actorTask_runs_last_dataset_items_get`
    pub fn list_items<T: DeserializeOwned>(&self, options: &ItemsOptions) -> Result<ItemsPage<T>> {
        self.check()?;
        let reply = self.client.http().send(&self.items_call(options, "json"))?;
        page_from_reply(reply, options)
    }

    /// The answer to one items request (JSON) with its body not read yet: a page streamed as it
    /// arrives, so its size bounds no memory.
    pub(crate) fn items_stream(&self, options: &ItemsOptions) -> Result<Reply> {
        self.check()?;
        self.client
            .http()
            .send(&self.items_call(options, "json").streamed())
    }

    /// The most bytes a page of items with this limit may have.
    pub(crate) fn page_cap(&self, limit: Option<u64>) -> u64 {
        self.client.http().page_cap(limit)
    }

    /// The items path, for messages.
    pub(crate) fn items_path(&self) -> String {
        format!("{}/items", self.path)
    }

    /// The items in another format (`jsonl`, `csv`, `xlsx`, `html`, `xml`, `rss`, `json`) as a
    /// byte stream, read as it arrives.
    ///
    /// API: `dataset_items_get`, `actorRun_dataset_items_get`
    /// API: `actor_runs_last_dataset_items_get`
    /// API: `actorTask_runs_last_dataset_items_get`
    pub fn export(&self, format: &str, options: &ItemsOptions) -> Result<Box<dyn Read + Send>> {
        self.check()?;
        if format.is_empty() || !format.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidArgument(format!(
                "'{format}' is not a dataset format"
            )));
        }
        let reply = self
            .client
            .http()
            .send(&self.items_call(options, format).streamed())?;
        Ok(reply.into_reader())
    }

    /// Pushes items (each must serialize to a JSON object), split into requests under
    /// [`MAX_PUSH_BYTES`]. A lost answer is not resent (it could duplicate items): the error
    /// says so.
    ///
    /// API: `dataset_items_post`, `actorRun_dataset_items_post`
    /// API: `actor_runs_last_dataset_items_post`
    /// API: `actorTask_runs_last_dataset_items_post`
    pub fn push_items<T: Serialize>(&self, items: &[T]) -> Result<()> {
        let mut texts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let text = serde_json::to_string(item).map_err(|e| {
                Error::InvalidArgument(format!("item {i} cannot be serialized as JSON: {e}"))
            })?;
            if !text.starts_with('{') {
                return Err(Error::InvalidArgument(format!(
                    "item {i} is not a JSON object; dataset items must be objects"
                )));
            }
            texts.push(text);
        }
        self.push_json_texts(&texts)
    }

    /// Pushes items given as JSON object texts, split under [`MAX_PUSH_BYTES`].
    ///
    /// API: `dataset_items_post`, `actorRun_dataset_items_post`
    /// API: `actor_runs_last_dataset_items_post`
    /// API: `actorTask_runs_last_dataset_items_post`
    pub fn push_json_texts<S: AsRef<str>>(&self, items: &[S]) -> Result<()> {
        self.check()?;
        let mut batch = String::from("[");
        for (i, item) in items.iter().enumerate() {
            let text = item.as_ref().trim();
            if text.len() + 2 > MAX_PUSH_BYTES {
                return Err(Error::InvalidArgument(format!(
                    "item {i} is {} bytes of JSON, more than the API's request limit of {MAX_PUSH_BYTES} bytes on its own",
                    text.len()
                )));
            }
            if batch.len() + text.len() + 1 > MAX_PUSH_BYTES {
                self.send_batch(std::mem::replace(&mut batch, String::from("[")))?;
            }
            if batch.len() > 1 {
                batch.push(',');
            }
            batch.push_str(text);
        }
        if batch.len() > 1 || items.is_empty() {
            self.send_batch(batch)?;
        }
        Ok(())
    }

    fn send_batch(&self, mut batch: String) -> Result<()> {
        batch.push(']');
        let call = self
            .call("POST", format!("{}/items", self.path))
            .raw_body(batch.into_bytes(), "application/json; charset=utf-8")
            .retry(Retry::UnlessLost);
        self.client.http().send(&call).map(|_| ())
    }
}

fn header_u64(reply: &Reply, name: &str) -> Option<u64> {
    reply.header(name).and_then(|v| v.trim().parse().ok())
}

fn page_from_reply<T: DeserializeOwned>(
    reply: Reply,
    options: &ItemsOptions,
) -> Result<ItemsPage<T>> {
    let offset =
        header_u64(&reply, "x-apify-pagination-offset").unwrap_or(options.offset.unwrap_or(0));
    let limit =
        header_u64(&reply, "x-apify-pagination-limit").unwrap_or(options.limit.unwrap_or(0));
    let count = header_u64(&reply, "x-apify-pagination-count");
    let total = header_u64(&reply, "x-apify-pagination-total").unwrap_or(0);
    let items: Vec<T> = reply.json()?;
    Ok(ItemsPage {
        count: count.unwrap_or(items.len() as u64),
        items,
        offset,
        limit,
        total,
    })
}

/// Raw JSON text of one dataset item, as the server sent it.
pub type RawItem = Box<RawValue>;
