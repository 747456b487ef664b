//! Checking an input against an Actor's input schema before anything is started
//! ([`ActorClient::validate_input`], [`TaskClient::validate_input`], or
//! [`StartOptions::validate_input`] on a start), or on the server
//! ([`ActorClient::validate_input_remote`]).

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::actor::ActorClient;
use crate::client::id_segment;
use crate::error::{Error, Result};
use crate::http::{Call, Retry, Unknown};
use crate::input_remote::report_of_refusal;
use crate::input_report::InputReport;
use crate::input_schema::{escape, kind_of, Checker};
use crate::models::Page;
use crate::runnable::{Kind, Runnable};
use crate::start_options::StartOptions;
use crate::task::TaskClient;

/// What a check is about: the Actor, the input (a task's merged in) and the build.
pub(crate) struct Target {
    pub(crate) actor: String,
    pub(crate) input: Map<String, Value>,
    pub(crate) build: Option<String>,
}

/// A build found for a tag or number: its id, or the build itself (from `builds/default`).
enum Found {
    Id(String),
    Build(Value),
}

impl ActorClient {
    /// Checks an input against the input schema of the Actor's default build without starting
    /// anything, and answers every problem. The schema's `default` values fill missing fields
    /// first, as the platform does (the report's `input` shows the result). An Actor without an
    /// input schema accepts any input.
    ///
    /// Reads the Actor (`GET /v2/acts/{id}`) each time, and the build's schema only once per
    /// client and build (compiled and kept, see
    /// [`INPUT_SCHEMA_CACHE_ENTRIES`](crate::INPUT_SCHEMA_CACHE_ENTRIES)).
    ///
    /// ```no_run
    /// use serde_json::json;
    /// let client = apify::Client::from_env()?;
    /// let report = client.actor("emulator/generator").validate_input(&json!({"count": -5}))?;
    /// for p in &report.errors {
    ///     println!("{}: {} (expected {}, given {})", p.field(), p.message, p.expected, p.given);
    /// }
    /// # Ok::<(), apify::Error>(())
    /// ```
    ///
    /// API: `actor_get`, `actorBuild_get`, `actors_builds_get`, `actor_build_default_get`
    pub fn validate_input<I: Serialize + ?Sized>(&self, input: &I) -> Result<InputReport> {
        self.runnable().validate_input_for_build(input, None)
    }

    /// Like [`validate_input`](Self::validate_input) against a given build (a tag such as
    /// `latest`, or a build number such as `0.0.3`; `None`: the Actor's default).
    ///
    /// API: `actor_get`, `actorBuild_get`, `actors_builds_get`, `actor_build_default_get`
    pub fn validate_input_for_build<I: Serialize + ?Sized>(
        &self,
        input: &I,
        build: Option<&str>,
    ) -> Result<InputReport> {
        self.runnable().validate_input_for_build(input, build)
    }

    /// Has the server check an input (`POST /v2/acts/{actorId}/validate-input`). The server's
    /// refusal (400 `invalid-input`) becomes a report with `valid: false` and the problems it
    /// names; other failures are errors.
    ///
    /// API: `actor_validateInput_post`
    pub fn validate_input_remote<I: Serialize + ?Sized>(&self, input: &I) -> Result<InputReport> {
        self.runnable().validate_input_remote_for_build(input, None)
    }

    /// Like [`validate_input_remote`](Self::validate_input_remote) against a given build (sent
    /// as the query's `build`).
    ///
    /// API: `actor_validateInput_post`
    pub fn validate_input_remote_for_build<I: Serialize + ?Sized>(
        &self,
        input: &I,
        build: Option<&str>,
    ) -> Result<InputReport> {
        self.runnable()
            .validate_input_remote_for_build(input, build)
    }
}

impl TaskClient {
    /// Checks an input against the input schema of the task's build (the task's `build`
    /// option, else its Actor's default build), with the task's saved input laid under `input`
    /// key by key as at a start; otherwise as
    /// [`ActorClient::validate_input`]. Reads the task each time.
    ///
    /// API: `actorTask_get`, `actor_get`, `actorBuild_get`, `actors_builds_get`, `actor_build_default_get`
    pub fn validate_input<I: Serialize + ?Sized>(&self, input: &I) -> Result<InputReport> {
        self.runnable().validate_input_for_build(input, None)
    }

    /// Has the server check the task's input laid under `input` against its Actor (as
    /// [`ActorClient::validate_input_remote`], with the task's build).
    ///
    /// API: `actorTask_get`, `actor_validateInput_post`
    pub fn validate_input_remote<I: Serialize + ?Sized>(&self, input: &I) -> Result<InputReport> {
        self.runnable().validate_input_remote_for_build(input, None)
    }
}

impl Runnable<'_> {
    /// A check against the build (`None`: the Actor's default, for a task the task's).
    pub(crate) fn validate_input_for_build<I: Serialize + ?Sized>(
        &self,
        input: &I,
        build: Option<&str>,
    ) -> Result<InputReport> {
        let target = self.target(input_object(input)?, build)?;
        let checker = self.checker(&target.actor, target.build.as_deref())?;
        let (input, errors) = checker.check(target.input);
        Ok(InputReport {
            valid: errors.is_empty(),
            errors,
            input: Some(input),
            actor: self.id.to_string(),
        })
    }

    /// The server's check (`validate-input` of the Actor, a task's input laid under).
    pub(crate) fn validate_input_remote_for_build<I: Serialize + ?Sized>(
        &self,
        input: &I,
        build: Option<&str>,
    ) -> Result<InputReport> {
        let target = self.target(input_object(input)?, build)?;
        let path = format!(
            "/v2/actors/{}/validate-input",
            id_segment("the Actor id", &target.actor)?
        );
        let input = Value::Object(target.input);
        let call = Call::new("POST", path)
            .query_opt("build", target.build.as_deref())
            .json_body(&input)?;
        let (valid, mut errors) = match self.client.http().send(&call) {
            Ok(reply) => {
                let answer: Value = reply.json()?;
                let answer = answer
                    .get("data")
                    .filter(|d| d.get("valid").is_some())
                    .unwrap_or(&answer);
                match answer.get("valid").and_then(Value::as_bool) {
                    Some(false) => (false, report_of_refusal("", Some(answer), &input)),
                    _ => (true, Vec::new()),
                }
            }
            Err(Error::Api(api)) if api.status == 400 && is_input_refusal(&api.kind) => (
                false,
                report_of_refusal(&api.message, api.data.as_ref(), &input),
            ),
            Err(e) => return Err(e),
        };
        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        Ok(InputReport {
            valid,
            errors,
            input: None,
            actor: self.id.to_string(),
        })
    }

    /// With `options.validate_input`, checks a start's input first: an invalid one is
    /// [`Error::InvalidInput`], and nothing is started.
    pub(crate) fn check_before_start(
        &self,
        body: Option<&(Vec<u8>, String)>,
        options: &StartOptions,
    ) -> Result<()> {
        if !options.validate_input {
            return Ok(());
        }
        let input: Value = match body {
            None => Value::Null,
            Some((bytes, ct)) if ct.to_ascii_lowercase().starts_with("application/json") => {
                serde_json::from_slice(bytes).map_err(|e| {
                    Error::InvalidArgument(format!("the input is not valid JSON: {e}"))
                })?
            }
            Some((_, ct)) => {
                return Err(Error::InvalidArgument(format!(
                    "validate_input checks JSON inputs; this input is {ct}"
                )))
            }
        };
        let report = self.validate_input_for_build(&input, options.build.as_deref())?;
        if report.valid {
            Ok(())
        } else {
            Err(Error::InvalidInput(Box::new(report)))
        }
    }

    /// The Actor, input and build a check is about: for a task, its Actor, its input with
    /// `input` laid over it, and its build unless `build` is given.
    fn target(&self, input: Map<String, Value>, build: Option<&str>) -> Result<Target> {
        if self.kind == Kind::Actor {
            return Ok(Target {
                actor: self.id.to_string(),
                input,
                build: build.map(str::to_string),
            });
        }
        let task: Value = self
            .client
            .http()
            .send(&Call::new("GET", self.base()?))?
            .data()?;
        let actor = task
            .get("actId")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Decode {
                method: "GET".into(),
                path: self.base().unwrap_or_default(),
                message: "the task has no actId".into(),
            })?
            .to_string();
        let mut merged = match task.get("input") {
            Some(Value::Object(stored)) => stored.clone(),
            _ => Map::new(),
        };
        merged.extend(input);
        let task_build = task.pointer("/options/build").and_then(Value::as_str);
        Ok(Target {
            actor,
            input: merged,
            build: build.or(task_build).map(str::to_string),
        })
    }

    /// The checker of an Actor's build: the build found by tag or number (default: the Actor's
    /// default build), its schema compiled once per client.
    fn checker(&self, actor: &str, build: Option<&str>) -> Result<Arc<Checker>> {
        let http = self.client.http();
        let actor_path = format!("/v2/actors/{}", id_segment("the Actor id", actor)?);
        let info: Value = http.send(&Call::new("GET", actor_path.clone()))?.data()?;
        let actor_id = info.get("id").and_then(Value::as_str).unwrap_or(actor);
        let tag = build
            .or_else(|| info.pointer("/defaultRunOptions/build")?.as_str())
            .unwrap_or("latest");
        let tagged = info
            .get("taggedBuilds")
            .and_then(|t| t.get(tag))
            .and_then(|t| t.get("buildId"))
            .and_then(Value::as_str);
        let found = match tagged {
            Some(id) => Found::Id(id.to_string()),
            None if is_build_number(tag) => self.build_by_number(&actor_path, actor, tag)?,
            None if build.is_none() => Found::Build(self.fetch_default_build(&actor_path)?),
            None => {
                let tags: Vec<&String> = info
                    .get("taggedBuilds")
                    .and_then(Value::as_object)
                    .map(|t| t.keys().collect())
                    .unwrap_or_default();
                return Err(Error::InvalidArgument(format!(
                    "the Actor {actor} has no build tagged '{tag}' (its tags: {tags:?})"
                )));
            }
        };
        let cache = &self.client.inner.input_schemas;
        let (build_id, build) = match found {
            Found::Id(id) => {
                if let Some(checker) = cache.get(actor_id, &id) {
                    return Ok(checker);
                }
                let path = format!("/v2/actor-builds/{}", id_segment("the build id", &id)?);
                let build: Value = http.send(&Call::new("GET", path))?.data()?;
                (id, build)
            }
            Found::Build(build) => {
                let id = build.get("id").and_then(Value::as_str).unwrap_or(tag);
                if let Some(checker) = cache.get(actor_id, id) {
                    return Ok(checker);
                }
                (id.to_string(), build)
            }
        };
        let checker = Arc::new(checker_of_build(&build, &build_id)?);
        cache.put(actor_id, &build_id, checker.clone());
        Ok(checker)
    }

    /// The build with this number, from the Actor's build list, or from `builds/default` on a
    /// server without the list.
    fn build_by_number(&self, actor_path: &str, actor: &str, number: &str) -> Result<Found> {
        let not_found =
            || Error::InvalidArgument(format!("the Actor {actor} has no build number {number}"));
        let mut offset = 0;
        loop {
            let call = Call::new("GET", format!("{actor_path}/builds"))
                .query("offset", offset)
                .query("limit", 1000)
                .query("desc", true)
                .retry(Retry::OnlyIfNotProcessed);
            // Resent like any read, except where the server has no such operation (501).
            let page = self.client.http().send_guarded(
                &call,
                |reply| reply.data::<Page<Value>>(),
                |failure, _| {
                    if is_missing_route(&failure.error) {
                        Unknown::Fail
                    } else {
                        Unknown::Resend
                    }
                },
            );
            let page = match page {
                Ok(page) => page,
                Err(e) if is_missing_route(&e) => {
                    let build = self.fetch_default_build(actor_path)?;
                    return match build.get("buildNumber").and_then(Value::as_str) {
                        Some(n) if n == number => Ok(Found::Build(build)),
                        _ => Err(not_found()),
                    };
                }
                Err(e) => return Err(e),
            };
            let hit = page
                .items
                .iter()
                .find(|b| b.get("buildNumber").and_then(Value::as_str) == Some(number));
            if let Some(id) = hit.and_then(|b| b.get("id")).and_then(Value::as_str) {
                return Ok(Found::Id(id.to_string()));
            }
            offset += page.items.len() as u64;
            if page.items.is_empty() || offset >= page.total {
                return Err(not_found());
            }
        }
    }

    /// The Actor's default build (`GET .../builds/default`).
    fn fetch_default_build(&self, actor_path: &str) -> Result<Value> {
        let call = Call::new("GET", format!("{actor_path}/builds/default"));
        self.client.http().send(&call)?.data()
    }
}

/// An input as a JSON object (`null` and `()` are the empty input).
fn input_object<I: Serialize + ?Sized>(input: &I) -> Result<Map<String, Value>> {
    let value = serde_json::to_value(input).map_err(|e| {
        Error::InvalidArgument(format!("the input cannot be serialized as JSON: {e}"))
    })?;
    match value {
        Value::Null => Ok(Map::new()),
        Value::Object(m) => Ok(m),
        other => Err(Error::InvalidArgument(format!(
            "the input must be a JSON object (or null for none), got {}",
            kind_of(&other)
        ))),
    }
}

/// A build's checker: its `inputSchema` (a JSON string; a parsed object or the Actor
/// definition's `input` are taken too), or none.
fn checker_of_build(build: &Value, build_id: &str) -> Result<Checker> {
    let path = format!("/v2/actor-builds/{}", escape(build_id));
    let unusable = |message: String| Error::Decode {
        method: "GET".into(),
        path: path.clone(),
        message: format!("the build's input schema cannot be used: {message}"),
    };
    let schema = match build.get("inputSchema") {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            serde_json::from_str(text).map_err(|e| unusable(format!("it is not JSON: {e}")))?
        }
        Some(v @ Value::Object(_)) => v.clone(),
        _ => match build.pointer("/actorDefinition/input") {
            Some(v @ Value::Object(_)) => v.clone(),
            _ => return Ok(Checker::none()),
        },
    };
    Checker::new(&schema).map_err(unusable)
}

/// A build number such as `0.0.3` (digits and dots), not a tag.
fn is_build_number(s: &str) -> bool {
    !s.is_empty() && s.contains('.') && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// An answer that says the server has no such operation (not that the Actor has no builds).
fn is_missing_route(e: &Error) -> bool {
    e.api().is_some_and(|a| {
        matches!(a.status, 405 | 501) || (a.status == 404 && a.kind == "page-not-found")
    })
}

/// An API error type that says the input was refused.
fn is_input_refusal(kind: &str) -> bool {
    kind == "invalid-input" || kind.starts_with("schema-validation")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_numbers_and_refusals() {
        assert!(is_build_number("0.0.3"));
        assert!(!is_build_number("latest"));
        assert!(!is_build_number("7"));
        assert!(is_input_refusal("invalid-input"));
        assert!(is_input_refusal("schema-validation-error"));
        assert!(!is_input_refusal("invalid-parameter"));
    }
}
