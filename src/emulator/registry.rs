//! The Actor catalogue's data: Actors, their versions and builds, the built-in programs that run
//! them, and the built-in Actors. Making a build from a version's source files lives here too:
//! `.actor/actor.json` names the program (`emulatorProgram`) and the input schema.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::input_schema;
use super::util::{iso_millis, new_id, now_millis};

/// Default run options of an Actor that sets none.
pub(crate) const DEFAULT_TIMEOUT_SECS: u64 = 3600;
pub(crate) const DEFAULT_MEMORY_MBYTES: u64 = 1024;

/// The emulator's built-in programs: what a run of an Actor does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Program {
    HelloWorld,
    Generator,
}

impl Program {
    /// The name used in `.actor/actor.json`'s `emulatorProgram`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Program::HelloWorld => "hello-world",
            Program::Generator => "generator",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Program> {
        [Program::HelloWorld, Program::Generator]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// An Actor: a built-in one or one a user created.
#[derive(Clone)]
pub(crate) struct Actor {
    pub id: String,
    pub username: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Built-in Actors cannot be changed or deleted.
    pub built_in: bool,
    pub is_public: bool,
    /// Version objects as stored (`versionNumber`, `sourceType`, `buildTag`, `sourceFiles`, ...).
    pub versions: Vec<Map<String, Value>>,
    /// Stored `defaultRunOptions` (missing keys take the emulator's defaults).
    pub default_run_options: Map<String, Value>,
    /// Tag -> build id.
    pub tagged_builds: BTreeMap<String, String>,
    /// Other fields kept as given: `seoTitle`, `seoDescription`, `categories`, `isDeprecated`,
    /// `exampleRunInput`.
    pub extra: Map<String, Value>,
    pub created_at: u64,
    pub modified_at: u64,
}

impl Actor {
    /// `username~name`, the way clients address it.
    pub(crate) fn full_name(&self) -> String {
        format!("{}~{}", self.username, self.name)
    }

    pub(crate) fn version(&self, number: &str) -> Option<&Map<String, Value>> {
        self.versions
            .iter()
            .find(|v| v.get("versionNumber").and_then(Value::as_str) == Some(number))
    }

    /// The build a start uses when it names none.
    pub(crate) fn default_build(&self) -> String {
        self.default_run_options
            .get("build")
            .and_then(Value::as_str)
            .filter(|b| !b.is_empty())
            .unwrap_or("latest")
            .to_string()
    }
}

/// A build's status (the run statuses a build can take).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildStatus {
    Ready,
    Running,
    Succeeded,
    Failed,
    Aborted,
}

impl BuildStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BuildStatus::Ready => "READY",
            BuildStatus::Running => "RUNNING",
            BuildStatus::Succeeded => "SUCCEEDED",
            BuildStatus::Failed => "FAILED",
            BuildStatus::Aborted => "ABORTED",
        }
    }

    pub(crate) fn is_terminal(self) -> bool {
        matches!(
            self,
            BuildStatus::Succeeded | BuildStatus::Failed | BuildStatus::Aborted
        )
    }
}

/// A build of one version of an Actor: made from the version's source files when it is
/// created; its status then goes READY -> RUNNING -> SUCCEEDED (or FAILED when the source
/// files could not be built) over the emulator's build duration.
pub(crate) struct Build {
    pub id: String,
    pub act_id: String,
    pub version_number: String,
    /// `MAJOR.MINOR.BUILD`, e.g. `0.0.3`.
    pub build_number: String,
    /// The tag the build was made for (it may have moved to a newer build since).
    pub build_tag: String,
    pub program: Program,
    /// The parsed input schema, if the version has one.
    pub input_schema: Option<Value>,
    /// The input schema's text as found in the source files.
    pub input_schema_text: Option<String>,
    pub readme: Option<String>,
    pub actor_definition: Value,
    pub source_type: String,
    pub source_files: Vec<Value>,
    pub started_at: u64,
    pub finished_at: Option<u64>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub status: BuildStatus,
    /// Why the source files could not be built: the build ends FAILED with this in its log.
    pub error: Option<String>,
    /// The build log, timestamped lines.
    pub log: String,
    pub use_cache: bool,
    pub beta_packages: bool,
}

impl Build {
    /// Appends a line to the build's log, timestamped like a run's.
    pub(crate) fn log_line(&mut self, line: &str) {
        self.log.push_str(&iso_millis(now_millis()));
        self.log.push(' ');
        self.log.push_str(line);
        self.log.push('\n');
    }
}

/// A build of source files that cannot be built: no program or schema, only the reason, which
/// its log shows when it ends FAILED.
pub(crate) fn broken_build(
    actor: &Actor,
    version: &Map<String, Value>,
    build_number: String,
    tag: &str,
    now: u64,
    error: String,
) -> Build {
    let mut b = build_shell(actor, version, build_number, tag, now);
    b.error = Some(error);
    b
}

/// A READY build of `version` with what every build takes from it, nothing built yet.
fn build_shell(
    actor: &Actor,
    version: &Map<String, Value>,
    build_number: String,
    tag: &str,
    now: u64,
) -> Build {
    let version_number = version
        .get("versionNumber")
        .and_then(Value::as_str)
        .unwrap_or("0.0")
        .to_string();
    Build {
        id: new_id(),
        act_id: actor.id.clone(),
        actor_definition: json!({"actorSpecification": 1, "name": actor.name,
                                 "version": version_number, "buildTag": tag}),
        version_number,
        build_number,
        build_tag: tag.to_string(),
        program: Program::Generator,
        input_schema: None,
        input_schema_text: None,
        readme: None,
        source_type: version
            .get("sourceType")
            .and_then(Value::as_str)
            .unwrap_or("SOURCE_FILES")
            .to_string(),
        source_files: version
            .get("sourceFiles")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        started_at: now,
        finished_at: None,
        client_ip: None,
        user_agent: None,
        status: BuildStatus::Ready,
        error: None,
        log: String::new(),
        use_cache: false,
        beta_packages: false,
    }
}

/// Why a version could not be built: the API error type and a message.
pub(crate) type BuildError = (&'static str, String);

/// Builds `version` of `actor` as `build_number`: reads `.actor/actor.json` (for
/// `emulatorProgram`, default `generator`, and `input`), the input schema
/// (`.actor/input_schema.json` unless `actor.json` says otherwise) and a README.
pub(crate) fn make_build(
    actor: &Actor,
    version: &Map<String, Value>,
    build_number: String,
    tag: &str,
    now: u64,
) -> Result<Build, BuildError> {
    let version_number = version
        .get("versionNumber")
        .and_then(Value::as_str)
        .unwrap_or("0.0")
        .to_string();
    let files = source_files(version)?;
    let file = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, c)| c);
    let text = |name: &str| -> Result<Option<String>, BuildError> {
        file(name)
            .map(|bytes| {
                String::from_utf8(bytes.clone()).map_err(|_| {
                    (
                        "invalid-value",
                        format!("Source file '{name}' is not UTF-8 text"),
                    )
                })
            })
            .transpose()
    };
    let mut definition = match text(".actor/actor.json")? {
        Some(t) => match serde_json::from_str::<Value>(&t) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                return Err((
                    "invalid-value",
                    "'.actor/actor.json' must hold a JSON object".into(),
                ))
            }
            Err(e) => {
                return Err((
                    "invalid-value",
                    format!("'.actor/actor.json' is not valid JSON: {e}"),
                ))
            }
        },
        None => Map::new(),
    };
    let program = match definition.get("emulatorProgram") {
        None | Some(Value::Null) => Program::Generator,
        Some(v) => v.as_str().and_then(Program::parse).ok_or_else(|| {
            (
                "invalid-value",
                format!(
                    "'.actor/actor.json': 'emulatorProgram' must be \"generator\" or \"hello-world\", got {v}"
                ),
            )
        })?,
    };
    let (schema_file, schema_text) = match definition.get("input") {
        Some(Value::Object(inline)) => (
            ".actor/actor.json".to_string(),
            Some(Value::Object(inline.clone()).to_string()),
        ),
        Some(Value::String(path)) => {
            let name = resolve_path(path);
            let t = text(&name)?.ok_or_else(|| {
                (
                    "invalid-input-schema",
                    format!("'.actor/actor.json' names the input schema '{path}', which is not among the source files"),
                )
            })?;
            (name, Some(t))
        }
        _ => match text(".actor/input_schema.json")? {
            Some(t) => (".actor/input_schema.json".into(), Some(t)),
            None => ("INPUT_SCHEMA.json".into(), text("INPUT_SCHEMA.json")?),
        },
    };
    let input_schema = match &schema_text {
        Some(t) => {
            let v: Value = serde_json::from_str(t).map_err(|e| {
                (
                    "invalid-input-schema",
                    format!("'{schema_file}' is not valid JSON: {e}"),
                )
            })?;
            input_schema::check_schema(&v).map_err(|e| {
                (
                    "invalid-input-schema",
                    format!("Input schema '{schema_file}' is not valid: {e}"),
                )
            })?;
            Some(v)
        }
        None => None,
    };
    let readme = match text(".actor/README.md")? {
        Some(r) => Some(r),
        None => text("README.md")?,
    };
    definition.insert("actorSpecification".into(), json!(1));
    if !definition.get("name").is_some_and(Value::is_string) {
        definition.insert("name".into(), json!(actor.name));
    }
    definition.insert("version".into(), json!(version_number));
    definition.insert("buildTag".into(), json!(tag));
    match &input_schema {
        Some(s) => definition.insert("input".into(), s.clone()),
        None => definition.remove("input"),
    };
    if let Some(r) = &readme {
        definition.insert("readme".into(), json!(r));
    }
    let mut build = build_shell(actor, version, build_number, tag, now);
    build.program = program;
    build.input_schema = input_schema;
    build.input_schema_text = schema_text;
    build.readme = readme;
    build.actor_definition = Value::Object(definition);
    build.finished_at = Some(now);
    build.status = BuildStatus::Succeeded;
    Ok(build)
}

/// A path in `actor.json` is relative to `.actor/`.
fn resolve_path(path: &str) -> String {
    let mut parts: Vec<&str> = vec![".actor"];
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// A version's source files as (name, bytes); folders are skipped, BASE64 content is decoded.
fn source_files(version: &Map<String, Value>) -> Result<Vec<(String, Vec<u8>)>, BuildError> {
    let mut out = Vec::new();
    for f in version
        .get("sourceFiles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if f.get("folder").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let name = f["name"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string();
        let content = f.get("content").and_then(Value::as_str).unwrap_or("");
        let bytes = match f.get("format").and_then(Value::as_str) {
            Some("BASE64") => base64::engine::general_purpose::STANDARD
                .decode(content.trim())
                .map_err(|e| {
                    (
                        "invalid-value",
                        format!("Source file '{name}' is not valid BASE64: {e}"),
                    )
                })?,
            _ => content.as_bytes().to_vec(),
        };
        out.push((name, bytes));
    }
    Ok(out)
}

/// The next build number of `version` given the Actor's build numbers so far: `0.0.1`, `0.0.2`, ...
pub(crate) fn next_build_number<'a>(
    version: &str,
    existing: impl Iterator<Item = &'a str>,
) -> String {
    let last = existing
        .filter_map(|n| {
            n.strip_prefix(version)?
                .strip_prefix('.')?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    format!("{version}.{}", last + 1)
}

/// A version object with the fields the platform always shows.
pub(crate) fn normalize_version(mut v: Map<String, Value>) -> Map<String, Value> {
    for (k, default) in [
        ("sourceType", json!("SOURCE_FILES")),
        ("applyEnvVarsToBuild", json!(false)),
        ("buildTag", json!("latest")),
    ] {
        if v.get(k).is_none_or(Value::is_null) {
            v.insert(k.into(), default);
        }
    }
    v.entry("envVars").or_insert(Value::Null);
    if v.get("sourceType").and_then(Value::as_str) == Some("SOURCE_FILES")
        && !v.get("sourceFiles").is_some_and(Value::is_array)
    {
        v.insert("sourceFiles".into(), json!([]));
    }
    v
}

// ---------------------------------------------------------------- built-in Actors

fn hello_world_input_schema() -> Value {
    json!({
        "title": "Hello world input",
        "type": "object",
        "schemaVersion": 1,
        "properties": {
            "message": {"title": "Message", "type": "string", "editor": "textfield",
                        "description": "The message to echo", "default": "Hello, world!"}
        }
    })
}

/// The input schema of `emulator/generator` (also served in its default build).
pub(crate) fn generator_input_schema() -> Value {
    let int = |title: &str, default: u64| json!({"title": title, "type": "integer", "minimum": 0, "default": default, "editor": "number"});
    json!({
        "title": "Generator input",
        "type": "object",
        "schemaVersion": 1,
        "properties": {
            "count": int("Number of items", 10),
            "itemBytes": int("Bytes of text in each item", 0),
            "emptyEvery": int("Every k-th item is {} (0 = never)", 0),
            "hidden": {"title": "Add a hidden #debug field", "type": "boolean", "default": false},
            "durationSecs": {"title": "Seconds the run stays RUNNING", "type": "number",
                             "minimum": 0, "maximum": 86400, "default": 0},
            "outcome": {"title": "Final status", "type": "string", "enum": ["SUCCEEDED", "FAILED"],
                        "default": "SUCCEEDED", "editor": "select"},
            "output": {"title": "OUTPUT record (JSON)", "description": "Default {\"count\": count}"},
            "outputText": {"title": "OUTPUT record (text)", "type": "string", "editor": "textarea"},
            "outputContentType": {"title": "Content type of outputText", "type": "string",
                                  "editor": "textfield"},
            "records": int("Extra records record-00000, ...", 0),
            "logLines": int("Lines written to the log", 3),
            "statusMessage": {"title": "Status message", "type": "string", "editor": "textfield"}
        }
    })
}

/// The two built-in Actors, each with version 0.0 (its `.actor/` files) and build 0.0.1 tagged
/// `latest`, made the same way as a user's build.
pub(crate) fn built_in_actors(now: u64) -> Vec<(Actor, Build)> {
    let defs = [
        (
            "apify",
            "hello-world",
            "Hello world",
            "Pushes one item {\"message\": M} and stores it as OUTPUT.",
            Program::HelloWorld,
            hello_world_input_schema(),
        ),
        (
            "emulator",
            "generator",
            "Generator",
            "Generates items, records and log lines on demand, for tests.",
            Program::Generator,
            generator_input_schema(),
        ),
    ];
    defs.into_iter()
        .map(|(username, name, title, description, program, schema)| {
            let actor_json = json!({
                "actorSpecification": 1, "name": name, "version": "0.0",
                "emulatorProgram": program.as_str(), "input": "./input_schema.json",
            });
            let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
            let version = normalize_version(
                json!({
                    "versionNumber": "0.0",
                    "sourceType": "SOURCE_FILES",
                    "buildTag": "latest",
                    "sourceFiles": [
                        {"name": ".actor/actor.json", "format": "TEXT", "content": pretty(&actor_json)},
                        {"name": ".actor/input_schema.json", "format": "TEXT", "content": pretty(&schema)},
                    ],
                })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            );
            let mut actor = Actor {
                id: new_id(),
                username: username.into(),
                name: name.into(),
                title: Some(title.into()),
                description: Some(description.into()),
                built_in: true,
                is_public: true,
                versions: vec![version.clone()],
                default_run_options: Map::new(),
                tagged_builds: BTreeMap::new(),
                extra: Map::new(),
                created_at: now,
                modified_at: now,
            };
            let mut build = make_build(&actor, &version, "0.0.1".into(), "latest", now)
                .expect("the built-in Actors build");
            build.readme = Some(format!("# {title}\n\n{description}\n"));
            build.log_line("ACTOR: Built-in Actor: build 0.0.1 made with the emulator.");
            actor
                .tagged_builds
                .insert("latest".into(), build.id.clone());
            (actor, build)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_numbers_count_per_version() {
        let existing = ["0.0.1", "0.0.2", "0.1.1", "0.0.10"];
        assert_eq!(next_build_number("0.0", existing.into_iter()), "0.0.11");
        assert_eq!(next_build_number("0.1", existing.into_iter()), "0.1.2");
        assert_eq!(next_build_number("1.0", existing.into_iter()), "1.0.1");
    }

    #[test]
    fn paths_in_actor_json_are_relative_to_the_actor_folder() {
        assert_eq!(
            resolve_path("./input_schema.json"),
            ".actor/input_schema.json"
        );
        assert_eq!(resolve_path("../INPUT_SCHEMA.json"), "INPUT_SCHEMA.json");
        assert_eq!(resolve_path("schemas/in.json"), ".actor/schemas/in.json");
    }

    #[test]
    fn built_ins_build_with_their_programs_and_schemas() {
        let all = built_in_actors(0);
        assert_eq!(all[0].1.program, Program::HelloWorld);
        assert_eq!(all[1].1.program, Program::Generator);
        assert_eq!(all[1].1.input_schema, Some(generator_input_schema()));
        assert_eq!(all[1].0.tagged_builds["latest"], all[1].1.id);
    }
}
