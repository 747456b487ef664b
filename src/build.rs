//! Builds: the typed [`Build`], one build ([`BuildClient`]: get, wait, abort, delete, log, its
//! OpenAPI document) and the list of every build of the user.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{id_segment, Client};
use crate::error::{Error, Result};
use crate::http::{encode_component, Call, Cap, Retry};
use crate::models::{Page, RunStatus};
use crate::wait::{wait_until_terminal, Polled, WaitOptions, WaitStrategy};

/// A build of an Actor version. List pages carry fewer fields than a single build: the ones
/// missing there are `None` or empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Build {
    /// The build's id.
    pub id: String,
    /// The Actor's id.
    #[serde(default)]
    pub act_id: Option<String>,
    /// The owner's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// READY, RUNNING, then SUCCEEDED, FAILED, TIMED-OUT or ABORTED.
    pub status: RunStatus,
    /// When the build started (ISO 8601).
    #[serde(default)]
    pub started_at: Option<String>,
    /// When it finished (ISO 8601), once terminal.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// `MAJOR.MINOR.BUILD`, e.g. `0.1.3`.
    #[serde(default)]
    pub build_number: Option<String>,
    /// How it was started: `origin`, `clientIp`, `userAgent`.
    #[serde(default)]
    pub meta: Value,
    /// Statistics (`durationMillis`, `runTimeSecs`, `computeUnits`, ...).
    #[serde(default)]
    pub stats: Value,
    /// Build options (`useCache`, `betaPackages`, `memoryMbytes`, `diskMbytes`).
    #[serde(default)]
    pub options: Value,
    /// The input schema as text, when the version has one (deprecated by the API in favour of
    /// `actor_definition.input`, still sent).
    #[serde(default)]
    pub input_schema: Option<String>,
    /// The README, when the version has one.
    #[serde(default)]
    pub readme: Option<String>,
    /// The version the build was made from (`versionNumber`, `buildTag`, `sourceType`, ...).
    #[serde(default)]
    pub act_version: Option<Value>,
    /// The Actor definition (`.actor/actor.json`, with `input` the parsed input schema).
    #[serde(default)]
    pub actor_definition: Option<Value>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Build {
    /// The tag the build was made for (`actVersion.buildTag`).
    pub fn build_tag(&self) -> Option<&str> {
        self.act_version.as_ref()?.get("buildTag")?.as_str()
    }

    /// The input schema, parsed: the Actor definition's `input`, else `inputSchema`'s text.
    pub fn input_schema_json(&self) -> Option<Value> {
        if let Some(input) = self
            .actor_definition
            .as_ref()
            .and_then(|d| d.get("input"))
            .filter(|i| i.is_object())
        {
            return Some(input.clone());
        }
        serde_json::from_str(self.input_schema.as_deref()?).ok()
    }
}

impl Polled for Build {
    fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    fn cancelled(&self) -> Error {
        Error::Cancelled {
            run_id: Some(self.id.clone()),
            run_status: Some(self.status.to_string()),
        }
    }
}

/// Options of a list of builds (of the user, or of one Actor).
pub type BuildListOptions = crate::list_options::ListOptions;

/// One build, by id (`Client::build`), or through its Actor (`ActorClient::build_client`,
/// the older Actor-scoped paths).
#[derive(Debug, Clone)]
pub struct BuildClient {
    client: Client,
    id: String,
    /// `/v2/actor-builds/{id}` or `/v2/actors/{actorId}/builds/{id}` (log and delete always
    /// use the first: the API has no other); an unusable Actor id is kept as its error text.
    path: std::result::Result<String, String>,
}

impl Client {
    /// A build by its id.
    pub fn build(&self, build_id: &str) -> BuildClient {
        BuildClient::new(self, build_id, None)
    }

    /// A page of the user's builds, of every Actor (oldest first unless `desc`).
    ///
    /// API: `actorBuilds_get`
    pub fn builds(&self, options: &BuildListOptions) -> Result<Page<Build>> {
        let call = options.call("/v2/actor-builds", "build")?;
        self.http().send(&call)?.data()
    }
}

impl BuildClient {
    /// `actor_path` (an Actor's encoded path) makes the client use the Actor-scoped routes.
    pub(crate) fn new(
        client: &Client,
        build_id: &str,
        actor_path: Option<Result<String>>,
    ) -> BuildClient {
        let id = build_id.trim().to_string();
        let path = match actor_path {
            Some(Ok(a)) => Ok(format!("{a}/builds/{}", encode_component(&id))),
            Some(Err(e)) => Err(e.to_string()),
            None => Ok(format!("/v2/actor-builds/{}", encode_component(&id))),
        };
        BuildClient {
            client: client.clone(),
            id,
            path,
        }
    }

    /// The build's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn check_id(&self) -> Result<()> {
        id_segment("the build id", &self.id)?;
        self.path().map(|_| ())
    }

    fn path(&self) -> Result<&str> {
        self.path
            .as_deref()
            .map_err(|e| Error::InvalidArgument(e.clone()))
    }

    fn plain_path(&self) -> String {
        format!("/v2/actor-builds/{}", encode_component(&self.id))
    }

    /// The build, or `None` if there is no such build.
    ///
    /// API: `actorBuild_get`, `actors_build_get`
    pub fn get(&self) -> Result<Option<Build>> {
        self.check_id()?;
        match self.client.http().send(&Call::new("GET", self.path()?)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits for the build to finish (see [`WaitOptions`]; the webhook strategy long-polls, as
    /// builds fire no run webhooks) and returns it; when the budget runs out, the build as it is.
    ///
    /// API: `actorBuild_get`, `actors_build_get`
    pub fn wait(&self, options: &WaitOptions) -> Result<Build> {
        self.wait_with(options, |_| ControlFlow::Continue(()))
    }

    /// Like [`wait`](Self::wait), calling `on_poll` with the build after every answer;
    /// returning `ControlFlow::Break` stops the wait with [`Error::Cancelled`].
    ///
    /// API: `actorBuild_get`, `actors_build_get`
    pub fn wait_with(
        &self,
        options: &WaitOptions,
        mut on_poll: impl FnMut(&Build) -> ControlFlow<()>,
    ) -> Result<Build> {
        self.check_id()?;
        let mut options = options.clone();
        if let WaitStrategy::Webhook(_) = options.strategy {
            options.strategy = WaitStrategy::default();
        }
        wait_until_terminal(&self.client, self.path()?, &options, &mut on_poll)
    }

    /// Aborts the build if it is still READY or RUNNING; a finished build is answered as it is.
    ///
    /// API: `actorBuild_abort_post`, `actors_build_abort_post`
    pub fn abort(&self) -> Result<Build> {
        self.check_id()?;
        let call = Call::new("POST", format!("{}/abort", self.path()?)).retry(Retry::Idempotent);
        self.client.http().send(&call)?.data()
    }

    /// Deletes the build. The API refuses the Actor's default build and unfinished builds.
    ///
    /// API: `actorBuild_delete`
    pub fn delete(&self) -> Result<()> {
        self.check_id()?;
        crate::key_value_store::delete_storage(&self.client, &self.plain_path())
    }

    /// The build's log as text.
    ///
    /// API: `actorBuild_log_get`
    pub fn log(&self) -> Result<String> {
        self.check_id()?;
        let call = Call::new("GET", format!("{}/log", self.plain_path())).cap(Cap::Large);
        let bytes = self.client.http().send(&call)?.bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Delivers the build's log text in order, each byte once, until the build is terminal and
    /// its log complete (the same streaming as [`RunClient::follow_log`](crate::RunClient::follow_log));
    /// `on_text` returning `Break` stops with [`Error::Cancelled`]. A build that does not exist
    /// is the API's 404 error.
    ///
    /// API: `log_get`
    pub fn follow_log(&self, mut on_text: impl FnMut(&str) -> ControlFlow<()>) -> Result<()> {
        self.check_id()?;
        let is_terminal = || {
            let call = Call::new("GET", self.path()?);
            let build: Build = self.client.http().send(&call)?.data()?;
            Ok(build.status.is_terminal())
        };
        crate::log_follow::follow_log(&self.client, &self.id, is_terminal, &mut on_text)
    }

    /// The build's OpenAPI document: how to run this build (its input schema included).
    ///
    /// API: `actorBuild_openapi_json_get`, `actor_openapi_json_get`
    pub fn openapi(&self) -> Result<Value> {
        self.check_id()?;
        let call = Call::new("GET", format!("{}/openapi.json", self.path()?));
        self.client.http().send(&call)?.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_keep_unknown_fields_and_read_their_schema() {
        let v = serde_json::json!({
            "id": "b", "status": "SUCCEEDED", "buildNumber": "0.1.2", "brandNew": 1,
            "actVersion": {"buildTag": "beta"},
            "inputSchema": "{\"type\": \"object\"}"
        });
        let b: Build = serde_json::from_value(v).unwrap();
        assert_eq!(b.extra["brandNew"], 1);
        assert_eq!(b.build_tag(), Some("beta"));
        assert_eq!(b.input_schema_json().unwrap()["type"], "object");
        assert!(b.is_terminal());
        let list_item: Build =
            serde_json::from_value(serde_json::json!({"id": "c", "status": "RUNNING"})).unwrap();
        assert!(!list_item.is_terminal());
        assert!(matches!(
            list_item.cancelled(),
            Error::Cancelled { run_id: Some(id), .. } if id == "c"
        ));
    }

    #[test]
    fn list_limits_are_checked_before_any_request() {
        assert!(BuildListOptions::default()
            .limit(1001)
            .call("/x", "build")
            .is_err());
        let call = BuildListOptions::default()
            .offset(5)
            .limit(10)
            .desc(true)
            .call("/x", "build")
            .unwrap();
        assert_eq!(call.query.len(), 3);
    }
}
