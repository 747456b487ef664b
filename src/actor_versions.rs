//! An Actor's versions and their environment variables: the typed [`Version`], [`EnvVar`] and
//! [`SourceFile`], and the clients of the version list, one version, the variable list and one
//! variable.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actor::ActorClient;
use crate::client::{id_segment, Client};
use crate::error::{Error, Result};
use crate::http::{Call, Retry};
use crate::models::Page;

/// An environment variable of a version. The API never shows a secret one's `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EnvVar {
    /// The name (letters, digits and `_`).
    pub name: String,
    /// The value; `None` when the variable is secret (or not being changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Whether the value is secret (stored encrypted, never shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_secret: Option<bool>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EnvVar {
    /// A plain variable.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> EnvVar {
        EnvVar {
            name: name.into(),
            value: Some(value.into()),
            is_secret: None,
            extra: Map::new(),
        }
    }

    /// A secret variable: its value is never shown again.
    pub fn secret(name: impl Into<String>, value: impl Into<String>) -> EnvVar {
        EnvVar {
            is_secret: Some(true),
            ..EnvVar::new(name, value)
        }
    }
}

/// A file (or folder) of a version whose source type is `SOURCE_FILES`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SourceFile {
    /// The path, e.g. `.actor/actor.json`.
    pub name: String,
    /// `TEXT` or `BASE64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The content, in `format`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// True for a folder (no content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<bool>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SourceFile {
    /// A text file.
    pub fn text(name: impl Into<String>, content: impl Into<String>) -> SourceFile {
        SourceFile {
            name: name.into(),
            format: Some("TEXT".into()),
            content: Some(content.into()),
            folder: None,
            extra: Map::new(),
        }
    }

    /// A binary file, sent as base64.
    pub fn binary(name: impl Into<String>, bytes: &[u8]) -> SourceFile {
        use base64::Engine;
        SourceFile {
            format: Some("BASE64".into()),
            content: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
            ..SourceFile::text(name, "")
        }
    }
}

/// A version of an Actor: where its source lives, the tag its builds get, its variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Version {
    /// `MAJOR.MINOR`, e.g. `0.1`.
    pub version_number: String,
    /// `SOURCE_FILES`, `GIT_REPO`, `TARBALL`, `GITHUB_GIST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    /// The tag a successful build of this version gets (default `latest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_tag: Option<String>,
    /// Whether the variables are set during the build too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_env_vars_to_build: Option<bool>,
    /// The environment variables (secret ones without their values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_vars: Option<Vec<EnvVar>>,
    /// The files, for `SOURCE_FILES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_files: Option<Vec<SourceFile>>,
    /// Every other field (`gitRepoUrl`, `tarballUrl`, `gitHubGistUrl`, ...), as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Version {
    /// A version `MAJOR.MINOR` made of source files (none yet).
    pub fn new(version_number: impl Into<String>) -> Version {
        Version {
            version_number: version_number.into(),
            source_type: Some("SOURCE_FILES".into()),
            build_tag: None,
            apply_env_vars_to_build: None,
            env_vars: None,
            source_files: None,
            extra: Map::new(),
        }
    }

    /// Adds a source file.
    pub fn source_file(mut self, file: SourceFile) -> Self {
        self.source_files.get_or_insert_with(Vec::new).push(file);
        self
    }

    /// Adds an environment variable.
    pub fn env_var(mut self, var: EnvVar) -> Self {
        self.env_vars.get_or_insert_with(Vec::new).push(var);
        self
    }
}

setters!(Version {
    /// Sets the source type.
    source_type: text String,
    /// Sets the tag a successful build gets.
    build_tag: text String,
    /// Sets whether the variables apply to the build too.
    apply_env_vars_to_build: some bool,
});

/// Checks a `MAJOR.MINOR` version number.
pub(crate) fn check_version_number(number: &str) -> Result<()> {
    let part = |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
    match number.split_once('.') {
        Some((a, b)) if part(a) && part(b) => Ok(()),
        _ => Err(Error::InvalidArgument(format!(
            "a version number is MAJOR.MINOR, e.g. \"0.1\", got {number:?}"
        ))),
    }
}

/// A JSON body that must be an object (a typed struct or a `Value`).
pub(crate) fn object_body<B: Serialize + ?Sized>(body: &B, what: &str) -> Result<Value> {
    match serde_json::to_value(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(Error::InvalidArgument(format!(
            "the {what} must be a JSON object"
        ))),
        Err(e) => Err(Error::InvalidArgument(format!(
            "the {what} cannot be serialized as JSON: {e}"
        ))),
    }
}

/// `Ok(None)` for a 404, the answer's `data` otherwise.
fn optional<T: serde::de::DeserializeOwned>(client: &Client, call: &Call) -> Result<Option<T>> {
    match client.http().send(call) {
        Ok(r) => r.data().map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The versions of one Actor.
#[derive(Debug, Clone)]
pub struct VersionCollectionClient {
    client: Client,
    actor: Result<String>,
}

/// One version of an Actor.
#[derive(Debug, Clone)]
pub struct VersionClient {
    client: Client,
    path: Result<String>,
}

/// The environment variables of one version.
#[derive(Debug, Clone)]
pub struct EnvVarCollectionClient {
    client: Client,
    path: Result<String>,
}

/// One environment variable of a version.
#[derive(Debug, Clone)]
pub struct EnvVarClient {
    client: Client,
    path: Result<String>,
}

fn clone_path(path: &Result<String>) -> Result<String> {
    match path {
        Ok(p) => Ok(p.clone()),
        Err(e) => Err(Error::InvalidArgument(e.to_string())),
    }
}

impl ActorClient {
    /// The Actor's versions.
    pub fn versions(&self) -> VersionCollectionClient {
        VersionCollectionClient {
            client: self.client.clone(),
            actor: self.base(),
        }
    }

    /// One version of the Actor, by number (`0.1`).
    pub fn version(&self, version_number: &str) -> VersionClient {
        let path = self.base().and_then(|base| {
            check_version_number(version_number)?;
            Ok(format!("{base}/versions/{version_number}"))
        });
        VersionClient {
            client: self.client.clone(),
            path,
        }
    }
}

impl VersionCollectionClient {
    /// Every version of the Actor.
    ///
    /// API: `actor_versions_get`
    pub fn list(&self) -> Result<Page<Version>> {
        let path = format!("{}/versions", clone_path(&self.actor)?);
        self.client.http().send(&Call::new("GET", path))?.data()
    }

    /// Adds a version (its number must be new).
    ///
    /// API: `actor_versions_post`
    pub fn create(&self, version: &Version) -> Result<Version> {
        check_version_number(&version.version_number)?;
        let path = format!("{}/versions", clone_path(&self.actor)?);
        let call = Call::new("POST", path)
            .json_body(version)?
            .retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }
}

impl VersionClient {
    /// The version, or `None` if the Actor has no such version.
    ///
    /// API: `actor_version_get`
    pub fn get(&self) -> Result<Option<Version>> {
        optional(&self.client, &Call::new("GET", clone_path(&self.path)?))
    }

    /// Changes the fields `changes` holds (a [`Version`] or a JSON object); the others stay.
    ///
    /// API: `actor_version_put`, `actor_version_post`
    pub fn update<B: Serialize + ?Sized>(&self, changes: &B) -> Result<Version> {
        let body = object_body(changes, "version update")?;
        let call = Call::new("PUT", clone_path(&self.path)?).json_body(&body)?;
        self.client.http().send(&call)?.data()
    }

    /// Deletes the version (an Actor keeps at least one).
    ///
    /// API: `actor_version_delete`
    pub fn delete(&self) -> Result<()> {
        crate::key_value_store::delete_storage(&self.client, &clone_path(&self.path)?)
    }

    /// The version's environment variables.
    pub fn env_vars(&self) -> EnvVarCollectionClient {
        EnvVarCollectionClient {
            client: self.client.clone(),
            path: clone_path(&self.path).map(|p| format!("{p}/env-vars")),
        }
    }

    /// One environment variable of the version, by name.
    pub fn env_var(&self, name: &str) -> EnvVarClient {
        let path = clone_path(&self.path).and_then(|p| {
            Ok(format!(
                "{p}/env-vars/{}",
                id_segment("the environment variable name", name)?
            ))
        });
        EnvVarClient {
            client: self.client.clone(),
            path,
        }
    }
}

impl EnvVarCollectionClient {
    /// Every variable of the version (secret ones without their values).
    ///
    /// API: `actor_version_envVars_get`
    pub fn list(&self) -> Result<Page<EnvVar>> {
        let call = Call::new("GET", clone_path(&self.path)?);
        self.client.http().send(&call)?.data()
    }

    /// Adds a variable (its name must be new in the version; it needs a value).
    ///
    /// API: `actor_version_envVars_post`
    pub fn create(&self, var: &EnvVar) -> Result<EnvVar> {
        if var.name.trim().is_empty() || var.value.is_none() {
            return Err(Error::InvalidArgument(
                "a new environment variable needs a name and a value".into(),
            ));
        }
        let call = Call::new("POST", clone_path(&self.path)?)
            .json_body(var)?
            .retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }
}

impl EnvVarClient {
    /// The variable (without its value when secret), or `None` if there is none by that name.
    ///
    /// API: `actor_version_envVar_get`
    pub fn get(&self) -> Result<Option<EnvVar>> {
        optional(&self.client, &Call::new("GET", clone_path(&self.path)?))
    }

    /// Changes the variable's value or secrecy (its name cannot change).
    ///
    /// API: `actor_version_envVar_put`, `actor_version_envVar_post`
    pub fn update(&self, var: &EnvVar) -> Result<EnvVar> {
        let call = Call::new("PUT", clone_path(&self.path)?).json_body(var)?;
        self.client.http().send(&call)?.data()
    }

    /// Deletes the variable.
    ///
    /// API: `actor_version_envVar_delete`
    pub fn delete(&self) -> Result<()> {
        crate::key_value_store::delete_storage(&self.client, &clone_path(&self.path)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_are_checked_before_any_request() {
        assert!(check_version_number("0.1").is_ok());
        assert!(check_version_number("10.99").is_ok());
        for bad in ["", "1", "0.0.1", "a.b", "1.", "123.0"] {
            assert!(check_version_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_serialize_only_what_is_set() {
        let v = Version::new("0.1")
            .build_tag("beta")
            .source_file(SourceFile::text("main.js", "x"))
            .env_var(EnvVar::secret("PW", "s"));
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"versionNumber": "0.1", "sourceType": "SOURCE_FILES",
                "buildTag": "beta",
                "envVars": [{"name": "PW", "value": "s", "isSecret": true}],
                "sourceFiles": [{"name": "main.js", "format": "TEXT", "content": "x"}]})
        );
        let back: Version = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
    }
}
