//! The dataset and key-value store collections (list, get-or-create by name), with typed views
//! of both storages and the options their collection and update calls take. Each model keeps
//! the fields it does not name in `extra`, so new fields from the server are never lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;
use crate::list_options::paged_call;
use crate::models::Page;

/// A dataset's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Dataset {
    /// The dataset's id.
    pub id: String,
    /// Its name; `None` for an unnamed dataset.
    #[serde(default)]
    pub name: Option<String>,
    /// The owner's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub modified_at: Option<String>,
    /// When it was last read or written (ISO 8601).
    #[serde(default)]
    pub accessed_at: Option<String>,
    /// Items in it (it may lag behind recent pushes).
    #[serde(default)]
    pub item_count: u64,
    /// Items that are neither empty nor only hidden fields.
    #[serde(default)]
    pub clean_item_count: u64,
    /// The Actor whose run made it, if one did.
    #[serde(default)]
    pub act_id: Option<String>,
    /// The run that made it, if one did.
    #[serde(default)]
    pub act_run_id: Option<String>,
    /// Who may read it without a token (`FOLLOW_USER_SETTING`, `RESTRICTED`, `ANYONE_WITH_ID_CAN_READ`, ...).
    #[serde(default)]
    pub general_access: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A key-value store's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct KeyValueStore {
    /// The store's id.
    pub id: String,
    /// Its name; `None` for an unnamed store.
    #[serde(default)]
    pub name: Option<String>,
    /// The owner's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The owner's username.
    #[serde(default)]
    pub username: Option<String>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub modified_at: Option<String>,
    /// When it was last read or written (ISO 8601).
    #[serde(default)]
    pub accessed_at: Option<String>,
    /// The Actor whose run made it, if one did.
    #[serde(default)]
    pub act_id: Option<String>,
    /// The run that made it, if one did.
    #[serde(default)]
    pub act_run_id: Option<String>,
    /// Who may read it without a token (`FOLLOW_USER_SETTING`, `RESTRICTED`, `ANYONE_WITH_ID_CAN_READ`, ...).
    #[serde(default)]
    pub general_access: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A dataset's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DatasetStatistics {
    /// Per field of the dataset's fields schema, its measures (`min`, `max`, `nullCount`,
    /// `emptyCount`, ...); `None` when the dataset has no fields schema.
    #[serde(default)]
    pub field_statistics: Option<Map<String, Value>>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Options for listing datasets or key-value stores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageListOptions {
    /// Storages to skip.
    pub offset: Option<u64>,
    /// Storages to list at most, 1 to 1000 (the server's default is 1000).
    pub limit: Option<u64>,
    /// Newest first.
    pub desc: bool,
    /// Include unnamed storages too.
    pub unnamed: bool,
}

setters!(StorageListOptions {
    /// Sets the storages to skip.
    offset: some u64,
    /// Sets the most storages to list (1 to 1000).
    limit: some u64,
    /// Newest first.
    desc: set bool,
    /// Includes unnamed storages.
    unnamed: set bool,
});

impl StorageListOptions {
    pub(crate) fn call(&self, path: &'static str, what: &str) -> Result<Call> {
        Ok(
            paged_call(path.into(), what, self.offset, self.limit, self.desc)?
                .query_opt("unnamed", self.unnamed.then_some(true)),
        )
    }
}

/// What to change on a dataset or key-value store: at least one field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageUpdate {
    /// The new name.
    pub name: Option<String>,
    /// The new title.
    pub title: Option<String>,
    /// Who may read it without a token (`RESTRICTED`, `ANYONE_WITH_ID_CAN_READ`,
    /// `FOLLOW_USER_SETTING`, ...).
    pub general_access: Option<String>,
}

setters!(StorageUpdate {
    /// Renames the storage.
    name: text String,
    /// Sets the title.
    title: text String,
    /// Sets who may read it without a token.
    general_access: text String,
});

impl StorageUpdate {
    /// The `PUT` body; `what` names the storage in errors.
    pub(crate) fn body(&self, what: &str) -> Result<Value> {
        let mut body = Map::new();
        for (key, value) in [
            ("name", &self.name),
            ("title", &self.title),
            ("generalAccess", &self.general_access),
        ] {
            if let Some(v) = value {
                if v.trim().is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "the {what}'s {key} must not be empty"
                    )));
                }
                body.insert(key.into(), Value::String(v.clone()));
            }
        }
        if body.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "the {what} update changes nothing: set a name, title or general access"
            )));
        }
        Ok(Value::Object(body))
    }
}

/// The datasets of the account: list them, get or create one by name.
#[derive(Debug, Clone)]
pub struct DatasetCollectionClient {
    client: Client,
}

/// The key-value stores of the account: list them, get or create one by name.
#[derive(Debug, Clone)]
pub struct KeyValueStoreCollectionClient {
    client: Client,
}

impl Client {
    /// The account's datasets.
    pub fn datasets(&self) -> DatasetCollectionClient {
        DatasetCollectionClient {
            client: self.clone(),
        }
    }

    /// The account's key-value stores.
    pub fn key_value_stores(&self) -> KeyValueStoreCollectionClient {
        KeyValueStoreCollectionClient {
            client: self.clone(),
        }
    }
}

/// Decodes a storage's metadata, naming the call that answered it.
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

impl DatasetCollectionClient {
    /// One page of datasets (named ones only unless [`StorageListOptions::unnamed`]).
    ///
    /// API: `datasets_get`
    pub fn list(&self, options: &StorageListOptions) -> Result<Page<Dataset>> {
        let call = options.call("/v2/datasets", "dataset")?;
        self.client.http().send(&call)?.data()
    }

    /// The dataset with this name, created if missing; `None` creates a new unnamed one.
    ///
    /// API: `datasets_post`
    pub fn get_or_create(&self, name: Option<&str>) -> Result<Dataset> {
        let v = crate::key_value_store::get_or_create_storage(
            &self.client,
            "/v2/datasets",
            "dataset",
            name,
        )?;
        decode(v, "POST", "/v2/datasets")
    }
}

impl KeyValueStoreCollectionClient {
    /// One page of key-value stores (named ones only unless [`StorageListOptions::unnamed`]).
    ///
    /// API: `keyValueStores_get`
    pub fn list(&self, options: &StorageListOptions) -> Result<Page<KeyValueStore>> {
        let call = options.call("/v2/key-value-stores", "key-value store")?;
        self.client.http().send(&call)?.data()
    }

    /// The key-value store with this name, created if missing; `None` creates a new unnamed one.
    ///
    /// API: `keyValueStores_post`
    pub fn get_or_create(&self, name: Option<&str>) -> Result<KeyValueStore> {
        let v = crate::key_value_store::get_or_create_storage(
            &self.client,
            "/v2/key-value-stores",
            "key-value store",
            name,
        )?;
        decode(v, "POST", "/v2/key-value-stores")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn models_keep_unknown_fields() {
        let d: Dataset = serde_json::from_value(json!({
            "id": "d1", "name": null, "itemCount": 3, "cleanItemCount": 2,
            "consoleUrl": "https://console/x", "fields": ["a"]
        }))
        .unwrap();
        assert_eq!((d.item_count, d.clean_item_count), (3, 2));
        assert!(d.name.is_none());
        assert_eq!(d.extra["consoleUrl"], "https://console/x");
        let back = serde_json::to_value(&d).unwrap();
        assert_eq!(back["fields"], json!(["a"]));
        let s: DatasetStatistics =
            serde_json::from_value(json!({"fieldStatistics": {"price": {"min": 1}}})).unwrap();
        assert_eq!(s.field_statistics.unwrap()["price"]["min"], 1);
    }

    #[test]
    fn bad_updates_and_limits_are_refused_naming_the_field() {
        let e = StorageUpdate::default().body("dataset").unwrap_err();
        assert!(e.to_string().contains("changes nothing"), "{e}");
        let e = StorageUpdate::default()
            .title(" ")
            .body("key-value store")
            .unwrap_err();
        assert!(e.to_string().contains("key-value store's title"), "{e}");
        let b = StorageUpdate::default()
            .name("n")
            .general_access("RESTRICTED")
            .body("dataset")
            .unwrap();
        assert_eq!(b, json!({"name": "n", "generalAccess": "RESTRICTED"}));
        for bad in [0, 1001] {
            let e = StorageListOptions::default()
                .limit(bad)
                .call("/v2/datasets", "dataset")
                .unwrap_err();
            assert!(e.to_string().contains(&format!("got {bad}")), "{e}");
        }
    }
}
