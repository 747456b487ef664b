//! Storage-level operations of one dataset or key-value store (also a run's default one):
//! update its name, title or access, a dataset's statistics and item counts from a HEAD request,
//! a store's records as one ZIP archive, and the POST form of storing a record.

use std::io::Read;

use crate::client::id_segment;
use crate::dataset::{DatasetClient, ItemsOptions};
use crate::error::{Error, Result};
use crate::http::{Call, Cap, Reply, Retry};
use crate::key_value_store::{check_record_key, KeyValueStoreClient};
use crate::storage_collections::{
    decode, Dataset, DatasetStatistics, KeyValueStore, StorageUpdate,
};

/// The pagination headers of a dataset's items, without the items (a HEAD request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemsHead {
    /// `X-Apify-Pagination-Offset`: where the page would start.
    pub offset: u64,
    /// `X-Apify-Pagination-Limit`: the most items the page would hold.
    pub limit: u64,
    /// `X-Apify-Pagination-Count`: rows the page would scan.
    pub count: u64,
    /// `X-Apify-Pagination-Total`: items in the dataset (it may lag behind recent pushes).
    pub total: u64,
}

/// Options for downloading a store's records as a ZIP archive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordsZipOptions {
    /// Only records whose key starts with this.
    pub prefix: Option<String>,
    /// Only records of this collection of the store's schema.
    pub collection: Option<String>,
}

setters!(RecordsZipOptions {
    /// Only records whose key starts with this.
    prefix: text String,
    /// Only records of this collection.
    collection: text String,
});

/// A pagination header as a number; a missing or malformed one is a decode error naming it.
fn pagination_header(reply: &Reply, call: &Call, name: &str) -> Result<u64> {
    let value = reply.header(name);
    value
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Error::Decode {
            method: call.method.into(),
            path: call.path.clone(),
            message: match value {
                Some(v) => format!("the {name} header is not a number: {v:?}"),
                None => format!("the answer has no {name} header"),
            },
        })
}

impl DatasetClient {
    /// Changes the dataset's name, title or general access; answers the dataset as it is then.
    ///
    /// API: `dataset_put`, `actorRun_dataset_put`
    /// API: `actor_runs_last_dataset_put`
    /// API: `actorTask_runs_last_dataset_put`
    pub fn update(&self, update: &StorageUpdate) -> Result<Dataset> {
        id_segment("the dataset id", &self.id)?;
        let call = self
            .call("PUT", self.path.as_str())
            .json_body(&update.body("dataset")?)?;
        let v = self.client.http().send(&call)?.data()?;
        decode(v, "PUT", &self.path)
    }

    /// The dataset's field statistics (measured for the fields of its schema).
    ///
    /// API: `dataset_statistics_get`, `actorRun_dataset_statistics_get`
    /// API: `actor_runs_last_dataset_statistics_get`
    /// API: `actorTask_runs_last_dataset_statistics_get`
    pub fn statistics(&self) -> Result<DatasetStatistics> {
        id_segment("the dataset id", &self.id)?;
        let call = self.call("GET", format!("{}/statistics", self.path));
        self.client.http().send(&call)?.data()
    }

    /// What a page of items with these options would be (offset, limit, count, total),
    /// without reading the items.
    ///
    /// API: `dataset_items_head`
    pub fn items_head(&self, options: &ItemsOptions) -> Result<ItemsHead> {
        id_segment("the dataset id", &self.id)?;
        let call = options.apply(self.call("HEAD", format!("{}/items", self.path)));
        let reply = self.client.http().send(&call)?;
        let total = pagination_header(&reply, &call, "X-Apify-Pagination-Total")?;
        let header_or = |name: &str, fallback: u64| {
            reply
                .header(name)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(fallback)
        };
        let offset = header_or("X-Apify-Pagination-Offset", options.offset.unwrap_or(0));
        Ok(ItemsHead {
            offset,
            limit: header_or(
                "X-Apify-Pagination-Limit",
                options.limit.unwrap_or(total.saturating_sub(offset)),
            ),
            count: header_or("X-Apify-Pagination-Count", 0),
            total,
        })
    }

    /// The number of items in the dataset, from a HEAD request (no item is read).
    ///
    /// API: `dataset_items_head`
    pub fn item_count(&self) -> Result<u64> {
        Ok(self.items_head(&ItemsOptions::default())?.total)
    }
}

impl KeyValueStoreClient {
    /// Changes the store's name, title or general access; answers the store as it is then.
    ///
    /// API: `keyValueStore_put`, `actorRun_keyValueStore_put`
    /// API: `actor_runs_last_keyValueStore_put`
    /// API: `actorTask_runs_last_keyValueStore_put`
    pub fn update(&self, update: &StorageUpdate) -> Result<KeyValueStore> {
        id_segment("the key-value store id", &self.id)?;
        let call = self
            .call("PUT", self.path.as_str())
            .json_body(&update.body("key-value store")?)?;
        let v = self.client.http().send(&call)?.data()?;
        decode(v, "PUT", &self.path)
    }

    fn records_call(&self, options: &RecordsZipOptions) -> Result<Call> {
        id_segment("the key-value store id", &self.id)?;
        for (what, value) in [
            ("prefix", &options.prefix),
            ("collection", &options.collection),
        ] {
            if value.as_deref().is_some_and(|v| v.is_empty()) {
                return Err(Error::InvalidArgument(format!(
                    "the records {what} must not be empty (leave it out for all records)"
                )));
            }
        }
        Ok(self
            .call("GET", format!("{}/records", self.path))
            .query_opt("prefix", options.prefix.as_deref())
            .query_opt("collection", options.collection.as_deref()))
    }

    /// The store's records (or those the options select) as one ZIP archive, a file per record
    /// named by its key, read whole (up to 1 GiB; [`records_zip_reader`](Self::records_zip_reader)
    /// streams it).
    ///
    /// API: `keyValueStore_records_get`, `actorRun_keyValueStore_records_get`
    /// API: `actor_runs_last_keyValueStore_records_get`
    /// API: `actorTask_runs_last_keyValueStore_records_get`
    pub fn records_zip(&self, options: &RecordsZipOptions) -> Result<Vec<u8>> {
        let call = self.records_call(options)?.cap(Cap::Large);
        self.client.http().send(&call)?.bytes()
    }

    /// The records ZIP archive as a byte stream, read as it arrives.
    ///
    /// API: `keyValueStore_records_get`, `actorRun_keyValueStore_records_get`
    /// API: `actor_runs_last_keyValueStore_records_get`
    /// API: `actorTask_runs_last_keyValueStore_records_get`
    pub fn records_zip_reader(&self, options: &RecordsZipOptions) -> Result<Box<dyn Read + Send>> {
        let call = self.records_call(options)?.streamed();
        Ok(self.client.http().send(&call)?.into_reader())
    }

    /// Stores bytes with a content type through `POST`, the API's alias of `PUT` for a record
    /// (the same effect as [`set_record`](Self::set_record)), for networks that let only
    /// `GET` and `POST` through.
    ///
    /// API: `keyValueStore_record_post`, `actorRun_keyValueStore_record_post`
    /// API: `actor_runs_last_keyValueStore_record_post`
    /// API: `actorTask_runs_last_keyValueStore_record_post`
    pub fn set_record_post(&self, key: &str, data: &[u8], content_type: &str) -> Result<()> {
        id_segment("the key-value store id", &self.id)?;
        check_record_key(key)?;
        if content_type.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "the content type must not be empty".into(),
            ));
        }
        let path = format!(
            "{}/records/{}",
            self.path,
            crate::http::encode_component(key)
        );
        // Storing the same bytes again has the same effect, so a lost answer may be resent.
        let call = self
            .call("POST", path)
            .raw_body(data.to_vec(), content_type)
            .retry(Retry::Idempotent);
        self.client.http().send(&call).map(|_| ())
    }
}
