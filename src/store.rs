//! The Apify Store: public Actors, searched, filtered and sorted (`Client::store`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;
use crate::models::Page;

/// The most Actors one Store page holds.
const MAX_STORE_LIMIT: u64 = 1000;
/// The orders the Store sorts by.
const SORTS: [&str; 4] = ["relevance", "popularity", "newest", "lastUpdate"];
/// The pricing models the Store filters by.
const PRICING_MODELS: [&str; 4] = [
    "FREE",
    "FLAT_PRICE_PER_MONTH",
    "PRICE_PER_DATASET_ITEM",
    "PAY_PER_EVENT",
];
const RESPONSE_FORMATS: [&str; 2] = ["full", "agent"];

/// Which public Actors to list, and in what order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreListOptions {
    /// Actors to skip.
    pub offset: Option<u64>,
    /// Actors to list at most, 1 to 1000 (the server's default is 1000).
    pub limit: Option<u64>,
    /// Words searched in the title, name, description, username and readme.
    pub search: Option<String>,
    /// `relevance` (the server's default), `popularity`, `newest` or `lastUpdate`.
    pub sort_by: Option<String>,
    /// Only Actors in this category (`AI`, `DEVELOPER_TOOLS`, ...).
    pub category: Option<String>,
    /// Only Actors of this user.
    pub username: Option<String>,
    /// Only Actors with this pricing model: `FREE`, `FLAT_PRICE_PER_MONTH`,
    /// `PRICE_PER_DATASET_ITEM` or `PAY_PER_EVENT`.
    pub pricing_model: Option<String>,
    /// Only Actors that allow agentic users (`true`) or only those that do not (`false`).
    pub allows_agentic_users: Option<bool>,
    /// `full` (the server's default) or `agent` (fewer fields, for language models).
    pub response_format: Option<String>,
    /// Include Actors the Store does not consider safe to run automatically.
    pub include_unrunnable_actors: bool,
}

setters!(StoreListOptions {
    /// Sets the Actors to skip.
    offset: some u64,
    /// Sets the most Actors to list (1 to 1000).
    limit: some u64,
    /// Searches for these words.
    search: text String,
    /// Sorts by `relevance`, `popularity`, `newest` or `lastUpdate`.
    sort_by: text String,
    /// Only Actors in this category.
    category: text String,
    /// Only Actors of this user.
    username: text String,
    /// Only Actors with this pricing model.
    pricing_model: text String,
    /// Only Actors that allow agentic users, or only those that do not.
    allows_agentic_users: some bool,
    /// Sets the answer's format (`full` or `agent`).
    response_format: text String,
    /// Includes Actors not considered safe to run automatically.
    include_unrunnable_actors: set bool,
});

impl StoreListOptions {
    fn call(&self) -> Result<Call> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if let Some(l) = self.limit {
            if !(1..=MAX_STORE_LIMIT).contains(&l) {
                return bad(format!(
                    "the Store list limit must be 1 to {MAX_STORE_LIMIT}, got {l}"
                ));
            }
        }
        for (name, value, allowed) in [
            ("sort_by", &self.sort_by, &SORTS[..]),
            ("pricing_model", &self.pricing_model, &PRICING_MODELS[..]),
            (
                "response_format",
                &self.response_format,
                &RESPONSE_FORMATS[..],
            ),
        ] {
            if let Some(v) = value {
                if !allowed.contains(&v.as_str()) {
                    return bad(format!(
                        "the Store's {name} must be one of {}, got {v:?}",
                        allowed.join(", ")
                    ));
                }
            }
        }
        for (name, value) in [
            ("search", &self.search),
            ("category", &self.category),
            ("username", &self.username),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return bad(format!("the Store's {name} filter must not be empty"));
            }
        }
        Ok(Call::new("GET", "/v2/store")
            .query_opt("offset", self.offset)
            .query_opt("limit", self.limit)
            .query_opt("search", self.search.as_deref())
            .query_opt("sortBy", self.sort_by.as_deref())
            .query_opt("category", self.category.as_deref())
            .query_opt("username", self.username.as_deref())
            .query_opt("pricingModel", self.pricing_model.as_deref())
            .query_opt("allowsAgenticUsers", self.allows_agentic_users)
            .query_opt("responseFormat", self.response_format.as_deref())
            .query_opt(
                "includeUnrunnableActors",
                self.include_unrunnable_actors.then_some(true),
            ))
    }
}

/// An Actor's usage figures in the Store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StoreActorStats {
    /// Builds made of it.
    #[serde(default)]
    pub total_builds: Option<u64>,
    /// Runs made of it.
    #[serde(default)]
    pub total_runs: Option<u64>,
    /// Users who ran it.
    #[serde(default)]
    pub total_users: Option<u64>,
    /// Users who ran it in the last 30 days.
    #[serde(default)]
    pub total_users_30_days: Option<u64>,
    /// When its last run started (ISO 8601).
    #[serde(default)]
    pub last_run_started_at: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A public Actor as the Store lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StoreActor {
    /// The Actor's id.
    pub id: String,
    /// Its name (the part after `username/`).
    pub name: String,
    /// Its owner's username.
    pub username: String,
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its categories.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The owner's full name.
    #[serde(default)]
    pub user_full_name: Option<String>,
    /// Its page in the Store.
    #[serde(default)]
    pub url: Option<String>,
    /// Usage figures.
    #[serde(default)]
    pub stats: StoreActorStats,
    /// How it is paid for now (`pricingModel`, prices, ...).
    #[serde(default)]
    pub current_pricing_info: Option<Map<String, Value>>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StoreActor {
    /// `username/name`, the way a start addresses it.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.username, self.name)
    }

    /// The current pricing model (`FREE`, `PAY_PER_EVENT`, ...), if the answer says.
    pub fn pricing_model(&self) -> Option<&str> {
        self.current_pricing_info
            .as_ref()?
            .get("pricingModel")?
            .as_str()
    }
}

/// The Apify Store (`Client::store`).
#[derive(Debug, Clone)]
pub struct StoreClient {
    client: Client,
}

impl Client {
    /// The Apify Store: public Actors.
    pub fn store(&self) -> StoreClient {
        StoreClient {
            client: self.clone(),
        }
    }
}

impl StoreClient {
    /// One page of public Actors, as `options` filter and sort them.
    ///
    /// API: `store_get`
    pub fn list(&self, options: &StoreListOptions) -> Result<Page<StoreActor>> {
        let call = options.call()?;
        self.client.http().send(&call)?.data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_before_any_request() {
        for (options, says) in [
            (StoreListOptions::default().limit(0), "limit"),
            (StoreListOptions::default().sort_by("cheapest"), "sort_by"),
            (
                StoreListOptions::default().pricing_model("free"),
                "pricing_model",
            ),
            (
                StoreListOptions::default().response_format("xml"),
                "response_format",
            ),
            (StoreListOptions::default().search("  "), "search"),
        ] {
            let e = options.call().unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        let call = StoreListOptions::default()
            .search("web scraper")
            .allows_agentic_users(false)
            .include_unrunnable_actors(true)
            .call()
            .unwrap();
        assert_eq!(
            call.query,
            [
                ("search".to_string(), "web scraper".to_string()),
                ("allowsAgenticUsers".into(), "false".into()),
                ("includeUnrunnableActors".into(), "true".into()),
            ]
        );
    }
}
