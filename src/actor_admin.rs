//! Managing Actors: the typed [`Actor`], the user's Actor list ([`ActorCollectionClient`]:
//! list, create) and, on one Actor, its typed metadata, update, delete and webhooks.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actor::ActorClient;
use crate::actor_versions::{object_body, Version};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, Retry};
use crate::list_options::paged_call;
use crate::models::Page;
use crate::webhooks::WebhookInfo;
use crate::webhooks::WebhookListOptions;

/// A build a tag points at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaggedBuild {
    /// The build's id.
    #[serde(default)]
    pub build_id: Option<String>,
    /// Its number, e.g. `0.0.3`.
    #[serde(default)]
    pub build_number: Option<String>,
    /// When it finished (ISO 8601).
    #[serde(default)]
    pub finished_at: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An Actor. The items of [`ActorCollectionClient::list`] carry fewer fields (id, name,
/// username, title, dates, stats): the others are then empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Actor {
    /// The Actor's id.
    pub id: String,
    /// Its name (unique per user).
    pub name: String,
    /// The owner's username.
    #[serde(default)]
    pub username: Option<String>,
    /// The owner's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The title shown in Console and Store.
    #[serde(default)]
    pub title: Option<String>,
    /// A short description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether it is public in Apify Store.
    #[serde(default)]
    pub is_public: Option<bool>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub modified_at: Option<String>,
    /// Its versions.
    #[serde(default)]
    pub versions: Vec<Version>,
    /// The options a run gets unless the start says otherwise (`build`, `timeoutSecs`,
    /// `memoryMbytes`, ...).
    #[serde(default)]
    pub default_run_options: Value,
    /// Tag -> the build it points at.
    #[serde(default)]
    pub tagged_builds: Option<Map<String, Value>>,
    /// Statistics (`totalBuilds`, `totalRuns`, ...).
    #[serde(default)]
    pub stats: Value,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Actor {
    /// The build `tag` points at, if any.
    pub fn tagged_build(&self, tag: &str) -> Option<TaggedBuild> {
        let v = self.tagged_builds.as_ref()?.get(tag)?;
        serde_json::from_value(v.clone()).ok()
    }
}

/// A new Actor: a name and what else it starts with.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActorCreate {
    /// The name: letters, digits and inner hyphens.
    pub name: String,
    /// The title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A short description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is public in Apify Store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    /// Its versions (the platform adds 0.0 when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<Version>,
    /// Default run options (`build`, `timeoutSecs`, `memoryMbytes`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_run_options: Option<Value>,
    /// Any other field of the API's create body.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ActorCreate {
    /// A new Actor named `name`.
    pub fn new(name: impl Into<String>) -> ActorCreate {
        ActorCreate {
            name: name.into(),
            ..ActorCreate::default()
        }
    }

    /// Adds a version.
    pub fn version(mut self, version: Version) -> Self {
        self.versions.push(version);
        self
    }
}

setters!(ActorCreate {
    /// Sets the title.
    title: text String,
    /// Sets the description.
    description: text String,
    /// Sets whether it is public.
    is_public: some bool,
    /// Sets the default run options.
    default_run_options: some Value,
});

/// What to change on an Actor: the fields set change, the others stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActorUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    /// Replaces every version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<Version>>,
    /// Default run options to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_run_options: Option<Value>,
    /// Tags to move (`{"buildId": ...}`) or remove (`null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tagged_builds: Option<Map<String, Value>>,
    /// Any other field of the API's update body.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

setters!(ActorUpdate {
    /// Renames the Actor.
    name: text String,
    /// Sets the title.
    title: text String,
    /// Sets the description.
    description: text String,
    /// Sets whether it is public.
    is_public: some bool,
    /// Replaces every version.
    versions: some Vec<Version>,
    /// Sets default run options.
    default_run_options: some Value,
});

impl ActorUpdate {
    /// Points `tag` at a build (`Some(build_id)`) or removes it (`None`).
    pub fn tag(mut self, tag: &str, build_id: Option<&str>) -> Self {
        let value = match build_id {
            Some(id) => serde_json::json!({"buildId": id}),
            None => Value::Null,
        };
        self.tagged_builds
            .get_or_insert_with(Map::new)
            .insert(tag.to_string(), value);
        self
    }
}

/// Options of the user's Actor list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActorListOptions {
    /// Only the user's own Actors (not those used from Apify Store).
    pub my: bool,
    /// Actors to skip.
    pub offset: Option<u64>,
    /// Actors to list at most, 1 to 1000.
    pub limit: Option<u64>,
    /// Newest first.
    pub desc: bool,
    /// `createdAt` (default) or `stats.lastRunStartedAt`.
    pub sort_by: Option<String>,
}

setters!(ActorListOptions {
    /// Only the user's own Actors.
    my: set bool,
    /// Sets the Actors to skip.
    offset: some u64,
    /// Sets the most Actors to list (1 to 1000).
    limit: some u64,
    /// Newest first.
    desc: set bool,
    /// Sets the sort field (`createdAt`, `stats.lastRunStartedAt`).
    sort_by: text String,
});

/// The user's Actors (`Client::actors`).
#[derive(Debug, Clone)]
pub struct ActorCollectionClient {
    client: Client,
}

impl Client {
    /// The user's Actors: list and create.
    pub fn actors(&self) -> ActorCollectionClient {
        ActorCollectionClient {
            client: self.clone(),
        }
    }
}

impl ActorCollectionClient {
    /// A page of the user's Actors.
    ///
    /// API: `actors_get`
    pub fn list(&self, options: &ActorListOptions) -> Result<Page<Actor>> {
        if let Some(s) = &options.sort_by {
            if s.trim().is_empty() {
                return Err(Error::InvalidArgument("sort_by must not be empty".into()));
            }
        }
        let o = options;
        let call = paged_call("/v2/acts".into(), "Actor", o.offset, o.limit, o.desc)?
            .query_opt("my", o.my.then_some(true))
            .query_opt("sortBy", o.sort_by.as_deref());
        self.client.http().send(&call)?.data()
    }

    /// Creates an Actor from an [`ActorCreate`] or a JSON object (which needs a `name`).
    ///
    /// API: `actors_post`
    pub fn create<B: Serialize + ?Sized>(&self, actor: &B) -> Result<Actor> {
        let body = object_body(actor, "new Actor")?;
        let name = body.get("name").and_then(Value::as_str).unwrap_or("");
        if name.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "a new Actor needs a non-empty string 'name'".into(),
            ));
        }
        let call = Call::new("POST", "/v2/acts")
            .json_body(&body)?
            .retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }
}

impl ActorClient {
    /// The Actor's metadata, typed, or `None` if it does not exist.
    ///
    /// API: `actor_get`
    pub fn info(&self) -> Result<Option<Actor>> {
        match self.client.http().send(&Call::new("GET", self.base()?)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Changes the fields `changes` holds (an [`ActorUpdate`] or a JSON object).
    ///
    /// API: `actor_put`
    pub fn update<B: Serialize + ?Sized>(&self, changes: &B) -> Result<Actor> {
        let body = object_body(changes, "Actor update")?;
        if body.as_object().is_some_and(Map::is_empty) {
            return Err(Error::InvalidArgument(
                "the Actor update changes nothing".into(),
            ));
        }
        let call = Call::new("PUT", self.base()?).json_body(&body)?;
        self.client.http().send(&call)?.data()
    }

    /// Deletes the Actor with its builds and tasks.
    ///
    /// API: `actor_delete`
    pub fn delete(&self) -> Result<()> {
        crate::key_value_store::delete_storage(&self.client, &self.base()?)
    }

    /// A page of the webhooks whose condition is this Actor.
    ///
    /// API: `actor_webhooks_get`
    pub fn webhooks(&self, options: &WebhookListOptions) -> Result<Page<WebhookInfo>> {
        let o = options;
        let path = format!("{}/webhooks", self.base()?);
        let call = paged_call(path, "webhook", o.offset, o.limit, o.desc)?;
        self.client.http().send(&call)?.data()
    }
}
