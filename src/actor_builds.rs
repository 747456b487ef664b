//! An Actor's builds: start one ([`BuildOptions`]), wait for it (the CI case:
//! [`ActorClient::build_and_wait`]), list them, the default build, and one build through the
//! Actor's own paths.

use std::ops::ControlFlow;
use std::time::Duration;

use crate::actor::ActorClient;
use crate::actor_versions::check_version_number;
use crate::build::{Build, BuildClient, BuildListOptions};
use crate::error::{Error, Result};
use crate::http::{Call, Retry};
use crate::models::Page;
use crate::wait::WaitOptions;

/// How long a build start may hold its request (the API's cap).
const MAX_START_WAIT: Duration = Duration::from_secs(60);

/// Options of a build start. `version` is required.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct BuildOptions {
    /// The version to build, `MAJOR.MINOR` (e.g. `0.0`).
    pub version: Option<String>,
    /// The tag the build gets when it succeeds (default: the version's `buildTag`, `latest`).
    pub tag: Option<String>,
    /// Use the builder's cache.
    pub use_cache: Option<bool>,
    /// Build with beta versions of the Apify packages.
    pub beta_packages: Option<bool>,
    /// Let the start request wait up to this long (at most 60 s) for the build to finish.
    pub wait_for_finish: Option<Duration>,
}

setters!(BuildOptions {
    /// Sets the version to build (`MAJOR.MINOR`).
    version: text String,
    /// Sets the tag the build gets.
    tag: text String,
    /// Sets whether the builder's cache is used.
    use_cache: some bool,
    /// Sets whether beta packages are used.
    beta_packages: some bool,
    /// Lets the start wait up to this long (at most 60 s).
    wait_for_finish: some Duration,
});

impl BuildOptions {
    /// Options that build `version`.
    pub fn for_version(version: impl Into<String>) -> BuildOptions {
        BuildOptions::default().version(version)
    }

    fn call(&self, path: String, request_timeout: Duration) -> Result<Call> {
        let version = self.version.as_deref().ok_or_else(|| {
            Error::InvalidArgument(
                "BuildOptions::version is required: the Actor version to build, e.g. \"0.0\""
                    .into(),
            )
        })?;
        check_version_number(version)?;
        if self.tag.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(Error::InvalidArgument(
                "the build tag must not be empty".into(),
            ));
        }
        let mut call = Call::new("POST", path)
            .query("version", version)
            .query_opt("tag", self.tag.as_deref())
            .query_opt("useCache", self.use_cache)
            .query_opt("betaPackages", self.beta_packages)
            // A build start is not idempotent: resent only when it cannot have arrived.
            .retry(Retry::UnlessLost);
        if let Some(w) = self.wait_for_finish {
            if w > MAX_START_WAIT {
                return Err(Error::InvalidArgument(format!(
                    "wait_for_finish is at most 60 s, got {w:?}; use build_and_wait for longer waits"
                )));
            }
            call = call
                .query("waitForFinish", w.as_secs())
                .timeout(request_timeout + w);
        }
        Ok(call)
    }
}

impl ActorClient {
    /// Starts a build of a version and returns it at once (or after `wait_for_finish`).
    ///
    /// API: `actors_builds_post`
    pub fn build(&self, options: &BuildOptions) -> Result<Build> {
        let http = self.client.http();
        let call = options.call(format!("{}/builds", self.base()?), http.timeout)?;
        http.send(&call)?.data()
    }

    /// Starts a build and waits for it to finish (`wait`: budget and strategy, as for runs).
    /// Answers the build as it ended, SUCCEEDED or not (check [`Build::status`]); when the
    /// budget runs out, as it is then.
    ///
    /// ```no_run
    /// use apify::{BuildOptions, RunStatus, WaitOptions};
    /// let client = apify::Client::from_env()?;
    /// let build = client
    ///     .actor("me/my-actor")
    ///     .build_and_wait(&BuildOptions::for_version("0.1").tag("beta"), &WaitOptions::default())?;
    /// assert_eq!(build.status, RunStatus::Succeeded, "{}", client.build(&build.id).log()?);
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `actors_builds_post`, `actorBuild_get`
    pub fn build_and_wait(&self, options: &BuildOptions, wait: &WaitOptions) -> Result<Build> {
        self.build_and_wait_with(options, wait, |_| ControlFlow::Continue(()))
    }

    /// Like [`build_and_wait`](Self::build_and_wait), calling `on_poll` with the build after
    /// every answer (`Break` stops the wait with [`Error::Cancelled`]).
    ///
    /// API: `actors_builds_post`, `actorBuild_get`
    pub fn build_and_wait_with(
        &self,
        options: &BuildOptions,
        wait: &WaitOptions,
        mut on_poll: impl FnMut(&Build) -> ControlFlow<()>,
    ) -> Result<Build> {
        let started = std::time::Instant::now();
        let build = self.build(options)?;
        if on_poll(&build).is_break() {
            return Err(crate::wait::Polled::cancelled(&build));
        }
        if build.status.is_terminal() {
            return Ok(build);
        }
        let mut rest = wait.clone();
        if let Some(budget) = wait.budget {
            let left = budget.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Ok(build);
            }
            rest.budget = Some(left);
        }
        self.client.build(&build.id).wait_with(&rest, on_poll)
    }

    /// A page of the Actor's builds (oldest first unless `desc`).
    ///
    /// API: `actors_builds_get`
    pub fn builds(&self, options: &BuildListOptions) -> Result<Page<Build>> {
        let call = options.call(format!("{}/builds", self.base()?), "build")?;
        self.client.http().send(&call)?.data()
    }

    /// The build a run without `build` uses (the Actor's default build), or `None` when there
    /// is none (the Actor has not been built, or its default tag points nowhere).
    ///
    /// API: `actor_build_default_get`
    pub fn default_build(&self) -> Result<Option<Build>> {
        let call = Call::new("GET", format!("{}/builds/default", self.base()?));
        match self.client.http().send(&call) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One build of this Actor through the Actor's own paths (`/v2/acts/{id}/builds/{buildId}`):
    /// get, wait, abort and the OpenAPI document go there (`default` names the default build
    /// for the document); log and delete use `/v2/actor-builds`, the only paths the API has.
    pub fn build_client(&self, build_id: &str) -> BuildClient {
        BuildClient::new(&self.client, build_id, Some(self.base()))
    }
}
