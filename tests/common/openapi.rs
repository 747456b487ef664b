//! Checks the emulator's JSON answers against the Apify OpenAPI document, with the `boon` JSON
//! Schema validator.
//!
//! `Spec` loads the document, maps a concrete request (method + path) to its operation (the
//! route table in `openapi/routes.rs`: path templates are not schemas), and validates a JSON body against the
//! `application/json` schema of that operation's response for the status. The whole document is
//! one boon resource, so every `$ref: "#/components/..."` resolves as written; each response
//! schema is compiled from its JSON pointer in the document (`<doc>#/paths/...`).
//!
//! The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12 (type unions such as
//! `["string", "null"]`; no `nullable`). A 3.0 document (`APIFY_OPENAPI_PATH` may name one) is read
//! as draft 4, its closest draft, with `nullable: true` turned into a type union first.
//!
//! Where the spec is known to describe the API wrongly, `SPEC_DEFECTS` replaces the one schema
//! concerned, by name; each entry checks that the spec still says what it replaces, so a fixed
//! spec makes the entry fail loudly instead of hiding a difference.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

pub mod routes;

use routes::{escape_pointer_token, percent_decode, Routes};

/// Where boon finds the document: a name only, never fetched (the document is added whole).
const DOC_URL: &str = "http://apify-openapi.invalid/openapi.json";

/// One known defect of the spec: where, what the spec says, and the schema used instead.
pub struct Defect {
    /// Short name, shown when the entry no longer applies.
    pub name: &'static str,
    /// What the API really answers.
    pub why: &'static str,
    /// JSON pointer of the schema in the document.
    pub pointer: &'static str,
    /// Members the spec's schema has there (JSON text); when they differ, the entry is stale.
    pub spec_says: &'static str,
    /// The schema used instead (JSON text).
    pub instead: &'static str,
}

/// The spec's known defects (see `Defect`).
pub const SPEC_DEFECTS: &[Defect] = &[
    Defect {
        name: "unnamed-dataset-name-null",
        why: "an unnamed dataset is listed with `name: null`, as `Dataset.name` allows",
        pointer: "/components/schemas/DatasetListItem/properties/name",
        spec_says: r#"{"type": "string"}"#,
        instead: r#"{"type": ["string", "null"]}"#,
    },
    Defect {
        name: "json-record-any-value",
        why: "a JSON record (an Actor's OUTPUT, say) may be any JSON value, not only an object",
        pointer: "/components/schemas/RecordResponse",
        spec_says: r#"{"type": "object"}"#,
        instead: "{}",
    },
    Defect {
        name: "task-sync-items-get-is-array",
        why: "a task's run-sync-get-dataset-items answers the items array, as the Actor's does",
        pointer: "/paths/~1v2~1actor-tasks~1{actorTaskId}~1run-sync-get-dataset-items/get/responses/201/content/application~1json/schema",
        spec_says: r#"{"type": "object"}"#,
        instead: r#"{"type": "array", "items": {"type": "object"}}"#,
    },
    Defect {
        name: "task-sync-items-post-is-array",
        why: "a task's run-sync-get-dataset-items answers the items array, as the Actor's does",
        pointer: "/paths/~1v2~1actor-tasks~1{actorTaskId}~1run-sync-get-dataset-items/post/responses/201/content/application~1json/schema",
        spec_says: r#"{"type": "object"}"#,
        instead: r#"{"type": "array", "items": {"type": "object"}}"#,
    },
];

/// The repository's reduced copy of the official document (no prose, no examples).
pub fn reduced_copy_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi/apify-openapi.json")
}

/// The full upstream document, when this machine has it: `APIFY_OPENAPI_UPSTREAM`, else
/// `../shared/apify-openapi/openapi.json` beside the repository. A fresh clone has neither, and
/// the tests that need it (examples, drift of the reduced copy) say so and pass.
pub fn upstream_path() -> Option<PathBuf> {
    let path = match std::env::var_os("APIFY_OPENAPI_UPSTREAM") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/apify-openapi/openapi.json"),
    };
    path.is_file().then_some(path)
}

/// A boon compiler over one document: compiles schemas by their JSON pointer in it. Not `Sync`
/// (boon's compiler is not), so `Spec` compiles everything it needs up front with one.
pub struct Validator {
    compiler: boon::Compiler,
    schemas: boon::Schemas,
    compiled: HashMap<String, Result<boon::SchemaIndex, String>>,
}

impl Validator {
    /// `doc` as given: OpenAPI 3.0 documents get `nullable` mapped and draft 4 semantics.
    pub fn new(doc: &Value) -> Validator {
        let mut doc = doc.clone();
        let mut compiler = boon::Compiler::new();
        let v30 = doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.0"));
        if v30 {
            nullable_to_type_union(&mut doc);
            compiler.set_default_draft(boon::Draft::V4);
        } else {
            compiler.set_default_draft(boon::Draft::V2020_12);
        }
        compiler
            .add_resource(DOC_URL, doc)
            .expect("the document URL is valid");
        Validator {
            compiler,
            schemas: boon::Schemas::new(),
            compiled: HashMap::new(),
        }
    }

    /// Compiles (once) the schema at `pointer` (`/components/schemas/Run`, say).
    fn compile(&mut self, pointer: &str) -> Result<boon::SchemaIndex, String> {
        let (compiler, schemas) = (&mut self.compiler, &mut self.schemas);
        self.compiled
            .entry(pointer.to_owned())
            .or_insert_with(|| {
                compiler
                    .compile(&format!("{DOC_URL}#{pointer}"), schemas)
                    .map_err(|e| short_urls(&format!("schema #{pointer} does not compile: {e:#}")))
            })
            .clone()
    }

    /// Validates `value` against the schema at `pointer`; the error lists every problem at its
    /// JSON pointer in `value`.
    pub fn validate_at(&mut self, pointer: &str, value: &Value) -> Result<(), String> {
        let index = self.compile(pointer)?;
        check(&self.schemas, index, value)
            .map_err(|e| format!("value breaks schema #{pointer}:\n{e}"))
    }
}

/// The parsed document, its route table and every response schema, compiled.
pub struct Spec {
    doc: Value,
    source: PathBuf,
    routes: Routes,
    schemas: boon::Schemas,
    /// Response schema pointer -> compiled schema (or why it did not compile).
    compiled: HashMap<String, Result<boon::SchemaIndex, String>>,
}

impl Spec {
    /// Loads the spec: path from env var APIFY_OPENAPI_PATH, else the repository's reduced copy
    /// `tests/openapi/apify-openapi.json` (made by `tests/openapi/reduce.py`).
    /// Panics with a clear message naming the path when it cannot be read or parsed.
    pub fn load() -> Spec {
        let path = match std::env::var_os("APIFY_OPENAPI_PATH") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => reduced_copy_path(),
        };
        Self::load_from(&path)
    }

    /// Shared, loaded once per test binary.
    pub fn get() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(Spec::load)
    }

    pub fn load_from(path: &Path) -> Spec {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!(
                "cannot read the Apify OpenAPI spec at {} ({e}); set APIFY_OPENAPI_PATH to its location",
                path.display()
            )
        });
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "cannot parse the Apify OpenAPI spec at {} as JSON: {e}",
                path.display()
            )
        });
        Self::from_value(doc, path.to_path_buf())
    }

    /// A spec from a parsed document with `SPEC_DEFECTS` applied (panics when one no longer
    /// matches the document).
    pub fn from_value(mut doc: Value, source: PathBuf) -> Spec {
        if let Err(e) = apply_defects(&mut doc, SPEC_DEFECTS) {
            panic!(
                "{}: {e} (SPEC_DEFECTS in tests/common/openapi.rs)",
                source.display()
            );
        }
        Self::from_value_as_is(doc, source)
    }

    /// A spec from a parsed document exactly as it is (no defect replaced).
    pub fn from_value_as_is(doc: Value, source: PathBuf) -> Spec {
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or_else(|| {
                panic!(
                    "the OpenAPI spec at {} has no `paths` object",
                    source.display()
                )
            });
        let routes = Routes::new(paths.keys());
        let mut validator = Validator::new(&doc);
        for (template, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let responses = op.get("responses").and_then(Value::as_object);
                for key in responses.into_iter().flat_map(|r| r.keys()) {
                    if let Some(Ok(ptr)) = response_schema(&doc, template, method, key) {
                        let _ = validator.compile(&ptr);
                    }
                }
            }
        }
        Spec {
            doc,
            source,
            routes,
            schemas: validator.schemas,
            compiled: validator.compiled,
        }
    }

    /// The document (with the defects replaced).
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// A fresh validator over this document, for schemas other than responses.
    pub fn validator(&self) -> Validator {
        Validator::new(&self.doc)
    }

    /// Every response schema that does not compile, with why.
    pub fn compile_errors(&self) -> Vec<String> {
        let mut errors: Vec<String> = self
            .compiled
            .values()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        errors.sort();
        errors
    }

    /// Finds the operation for a concrete request path (no query string), e.g.
    /// "/v2/actor-runs/AbC123" or "/v2/acts/apify~hello-world/runs" (`/v2/acts/` is an alias of
    /// `/v2/actors/`). Segments may be percent-encoded. Literal template segments win over
    /// `{param}` segments when several templates match. Returns the operationId.
    ///
    /// The path is matched first (like a server's router): when the most specific matching
    /// template has no operation for `method`, the result is `None` even if a less specific
    /// template has one.
    pub fn operation_id(&self, method: &str, path: &str) -> Option<String> {
        let (_, op) = self.find_operation(method, path)?;
        op.get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// Validates `body` against the JSON response schema of that operation for that status code
    /// (falling back to a "2XX"/"default" entry if present). Ok(true) = validated; Ok(false) =
    /// there is no such operation, or no application/json schema for that status; Err(msg) = the
    /// body breaks the schema (msg names operationId, status, and each problem's JSON pointer).
    pub fn validate_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<bool, String> {
        let Some((template, op)) = self.find_operation(method, path) else {
            return Ok(false);
        };
        let op_id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("<no operationId>");
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return Ok(false);
        };
        let range = format!("{}XX", status / 100);
        let Some(key) = responses
            .keys()
            .find(|k| **k == status.to_string())
            .or_else(|| responses.keys().find(|k| k.eq_ignore_ascii_case(&range)))
            .or_else(|| responses.keys().find(|k| *k == "default"))
        else {
            return Ok(false);
        };
        let what = format!(
            "response body of operation `{op_id}` ({} {template}, request path {path}), status \
             {status} (response entry \"{key}\")",
            method.to_ascii_uppercase()
        );
        let pointer = match response_schema(&self.doc, template, &method.to_lowercase(), key) {
            None => return Ok(false),
            Some(Err(e)) => return Err(format!("{what}: {e}")),
            Some(Ok(p)) => p,
        };
        let index = match self.compiled.get(&pointer) {
            Some(Ok(index)) => *index,
            Some(Err(e)) => return Err(format!("{what}: {e}")),
            None => return Err(format!("{what}: schema #{pointer} was not compiled")),
        };
        check(&self.schemas, index, body).map_err(|e| {
            format!(
                "{what} breaks the OpenAPI schema #{pointer} ({}):\n{e}",
                self.source.display()
            )
        })?;
        Ok(true)
    }

    /// Returns (template, operation object) for a request.
    fn find_operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let template = self.routes.template(path)?;
        let op = self.doc["paths"][template].get(routes::method_key(method)?)?;
        op.is_object().then_some((template, op))
    }
}

/// Validates with boon; the error is boon's tree of problems, each at its JSON pointer in
/// `value` and with the schema keyword that failed (`[S#/components/...]`).
fn check(schemas: &boon::Schemas, index: boon::SchemaIndex, value: &Value) -> Result<(), String> {
    schemas.validate(value, index).map_err(|e| {
        let tree = short_urls(&format!("{e:#}"));
        // The first line names the schema the caller's message already names.
        match tree.split_once('\n') {
            Some((first, rest)) if first.starts_with("jsonschema validation failed") => {
                rest.to_owned()
            }
            _ => tree,
        }
    })
}

/// Shows schema locations as `#/components/...` rather than under the made-up document URL.
fn short_urls(text: &str) -> String {
    text.replace(DOC_URL, "")
}

/// The JSON pointer of the `application/json` schema of one response entry, following `$ref`s
/// of the response itself. None: no JSON content; Err: an unresolvable response `$ref`.
fn response_schema(
    doc: &Value,
    template: &str,
    method: &str,
    key: &str,
) -> Option<Result<String, String>> {
    let mut pointer = format!(
        "/paths/{}/{method}/responses/{}",
        escape_pointer_token(template),
        escape_pointer_token(key)
    );
    let mut response = doc.pointer(&pointer)?;
    // A response may be a `$ref` to `#/components/responses/...` (possibly chained).
    for _ in 0..16 {
        let Some(r) = response.get("$ref").and_then(Value::as_str) else {
            break;
        };
        pointer = percent_decode(r.strip_prefix('#').unwrap_or(r));
        match doc.pointer(&pointer) {
            Some(target) => response = target,
            None => return Some(Err(format!("unresolvable response $ref `{r}`"))),
        }
    }
    let content = response.get("content")?.as_object()?;
    let (ct, media) = content.iter().find(|(k, _)| {
        let mime = k.split(';').next().unwrap_or("").trim();
        mime.eq_ignore_ascii_case("application/json")
    })?;
    media.get("schema")?;
    Some(Ok(format!(
        "{pointer}/content/{}/schema",
        escape_pointer_token(ct)
    )))
}

/// Replaces each defect's schema, after checking the spec still says what the entry expects.
pub fn apply_defects(doc: &mut Value, defects: &[Defect]) -> Result<(), String> {
    for d in defects {
        let spec_says: Value = serde_json::from_str(d.spec_says).expect("spec_says is JSON");
        let instead: Value = serde_json::from_str(d.instead).expect("instead is JSON");
        let Some(at) = doc.pointer_mut(d.pointer) else {
            return Err(format!(
                "spec defect `{}`: nothing at #{}; the spec changed, review the entry",
                d.name, d.pointer
            ));
        };
        let same = spec_says
            .as_object()
            .expect("spec_says is an object")
            .iter()
            .all(|(k, v)| at.get(k) == Some(v));
        if !same {
            return Err(format!(
                "spec defect `{}`: #{} is now {at}, not {}; the spec changed, review the entry",
                d.name, d.pointer, d.spec_says
            ));
        }
        *at = instead;
    }
    Ok(())
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema: `null` added to `type` (and to `enum`).
fn nullable_to_type_union(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(t) = o.get_mut("type") {
                    let mut types = match t.take() {
                        Value::Array(a) => a,
                        one => vec![one],
                    };
                    types.push(Value::from("null"));
                    *t = Value::Array(types);
                }
                if let Some(Value::Array(e)) = o.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            o.values_mut().for_each(nullable_to_type_union);
        }
        Value::Array(a) => a.iter_mut().for_each(nullable_to_type_union),
        _ => {}
    }
}
