//! The Apify input-schema dialect as a JSON Schema (draft 2020-12) that `boon` validates: which
//! keywords count, the defaults the platform fills in, and every problem of an input, each at its
//! JSON pointer.
//!
//! An Apify input schema is `{"type": "object", "schemaVersion": 1, "properties": {...},
//! "required": [...]}`. Of each property only what the platform checks is kept: `type`, `enum`,
//! `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`, `minItems`, `maxItems`,
//! `uniqueItems`, `nullable` (null is also accepted), nested `properties` and `required` of
//! objects and `items` of arrays, each only with a value of the right JSON type. Everything else
//! (`title`, `editor`, `description`, `prefill`, `example`, `enumTitles`, `isSecret`,
//! `sectionCaption`, unknown keys) is left out, never refused. `default` values fill missing
//! top-level fields before the check, as the platform does at start (`prefill` never does).

use serde_json::{json, Map, Value};

use crate::input_report::InputProblem;

/// Where the compiled schema lives for `boon` (a name, never fetched).
const SCHEMA_URL: &str = "urn:libapify:input-schema";

/// The types a property's `type` may name.
const TYPES: [&str; 6] = ["string", "integer", "number", "boolean", "array", "object"];

/// How long a value is shown in a problem before it is cut.
const SHOWN_CHARS: usize = 60;

/// An Actor build's input schema, ready to check inputs.
pub(crate) struct Checker {
    /// `None`: the build has no input schema, so every input is valid.
    compiled: Option<(boon::Schemas, boon::SchemaIndex)>,
    /// The top-level `default` values.
    defaults: Map<String, Value>,
    /// JSON pointers of secret fields (`isSecret`): their values are never shown.
    secrets: Vec<String>,
    /// Patterns the validator cannot compile (JavaScript features such as lookaround), left out
    /// of the local check: `(pointer of the property, pattern)`.
    pub(crate) skipped_patterns: Vec<(String, String)>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("has_schema", &self.compiled.is_some())
            .field("defaults", &self.defaults)
            .field("skipped_patterns", &self.skipped_patterns)
            .finish_non_exhaustive()
    }
}

impl Checker {
    /// A build without an input schema: any input is valid.
    pub(crate) fn none() -> Checker {
        Checker {
            compiled: None,
            defaults: Map::new(),
            secrets: Vec::new(),
            skipped_patterns: Vec::new(),
        }
    }

    /// Compiles an Apify input schema; the error says why it cannot be used.
    pub(crate) fn new(apify: &Value) -> Result<Checker, String> {
        if !apify.is_object() {
            return Err(format!("it is {}, not a JSON object", kind_of(apify)));
        }
        let mut skipped = Vec::new();
        let schema = map_schema(apify, "", &mut skipped);
        let mut defaults = Map::new();
        let mut secrets = Vec::new();
        if let Some(props) = apify.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                if let Some(d) = p.get("default") {
                    defaults.insert(name.clone(), d.clone());
                }
                if p.get("isSecret") == Some(&Value::Bool(true)) {
                    secrets.push(format!("/{}", escape(name)));
                }
            }
        }
        let compiled = compile(schema).map_err(|e| format!("it cannot be compiled: {e}"))?;
        if !skipped.is_empty() {
            log::warn!(target: "apify", "input schema: patterns the local check cannot use, left to the server: {skipped:?}");
        }
        Ok(Checker {
            compiled: Some(compiled),
            defaults,
            secrets,
            skipped_patterns: skipped,
        })
    }

    /// The input with the defaults filled in, and every problem the schema finds in it (sorted
    /// by pointer).
    pub(crate) fn check(&self, mut input: Map<String, Value>) -> (Value, Vec<InputProblem>) {
        for (name, value) in &self.defaults {
            if !input.contains_key(name) {
                input.insert(name.clone(), value.clone());
            }
        }
        let input = Value::Object(input);
        let mut problems = Vec::new();
        if let Some((schemas, index)) = &self.compiled {
            if let Err(e) = schemas.validate(&input, *index) {
                self.collect(&e, &input, &mut problems);
            }
        }
        problems.sort_by(|a, b| (&a.pointer, &a.message).cmp(&(&b.pointer, &b.message)));
        problems.dedup();
        (input, problems)
    }

    /// The problems of an error's leaves.
    fn collect(&self, e: &boon::ValidationError, input: &Value, out: &mut Vec<InputProblem>) {
        if !e.causes.is_empty() {
            for cause in &e.causes {
                self.collect(cause, input, out);
            }
            return;
        }
        let pointer = pointer_of(&e.instance_location);
        let given = || self.shown(&pointer, input.pointer(&pointer));
        use boon::ErrorKind as K;
        let (expected, message) = match &e.kind {
            K::Required { want } => {
                for name in want {
                    out.push(InputProblem {
                        pointer: format!("{pointer}/{}", escape(name)),
                        expected: "a value: the field is required".into(),
                        given: "(missing)".into(),
                        message: "is required and was not given (and has no default)".into(),
                    });
                }
                return;
            }
            K::Type { want, .. } => {
                let names: Vec<String> = want.iter().map(|t| t.to_string()).collect();
                let article: Vec<String> =
                    want.iter().map(|t| with_article(&t.to_string())).collect();
                (
                    names.join(" or "),
                    format!("must be {}, got {}", article.join(" or "), given()),
                )
            }
            K::Enum { want } => {
                let list: Vec<String> = want.iter().map(short).collect();
                let list = list.join(", ");
                (
                    format!("one of {list}"),
                    format!("must be one of {list}, got {}", given()),
                )
            }
            K::Minimum { want, .. } => (
                format!(">= {want}"),
                format!("must be >= {want}, got {}", given()),
            ),
            K::Maximum { want, .. } => (
                format!("<= {want}"),
                format!("must be <= {want}, got {}", given()),
            ),
            K::MinLength { got, want } => (
                format!("at least {want} characters"),
                format!("must have at least {want} characters, got {got}"),
            ),
            K::MaxLength { got, want } => (
                format!("at most {want} characters"),
                format!("must have at most {want} characters, got {got}"),
            ),
            K::Pattern { want, .. } => (
                format!("a string matching /{want}/"),
                format!("must match the pattern /{want}/, got {}", given()),
            ),
            K::MinItems { got, want } => (
                format!("at least {want} items"),
                format!("must have at least {want} items, got {got}"),
            ),
            K::MaxItems { got, want } => (
                format!("at most {want} items"),
                format!("must have at most {want} items, got {got}"),
            ),
            K::UniqueItems { got: [i, j] } => (
                "unique items".into(),
                format!("must not repeat items: items {i} and {j} are equal"),
            ),
            other => (other.to_string(), other.to_string()),
        };
        out.push(InputProblem {
            given: given(),
            pointer,
            expected,
            message,
        });
    }

    /// A value as a problem shows it: short JSON text, `"***"` for a secret field.
    fn shown(&self, pointer: &str, value: Option<&Value>) -> String {
        let secret = self
            .secrets
            .iter()
            .any(|s| pointer == s || pointer.starts_with(&format!("{s}/")));
        match value {
            None => "(missing)".into(),
            Some(_) if secret => "\"***\"".into(),
            Some(v) => short(v),
        }
    }
}

/// Compiles a JSON Schema with `boon` (draft 2020-12; nothing is loaded from anywhere).
fn compile(schema: Value) -> Result<(boon::Schemas, boon::SchemaIndex), String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V2020_12);
    compiler
        .add_resource(SCHEMA_URL, schema)
        .map_err(|e| e.to_string())?;
    let index = compiler
        .compile(SCHEMA_URL, &mut schemas)
        .map_err(|e| format!("{e:#}"))?;
    Ok((schemas, index))
}

/// Whether the validator can use a pattern.
fn pattern_compiles(pattern: &str) -> bool {
    compile(json!({"type": "string", "pattern": pattern})).is_ok()
}

/// One Apify (sub)schema as JSON Schema; `at` is its property's pointer, for the patterns left
/// out.
fn map_schema(p: &Value, at: &str, skipped: &mut Vec<(String, String)>) -> Value {
    let Some(p) = p.as_object() else {
        return json!({});
    };
    let mut out = Map::new();
    let nullable = p.get("nullable") == Some(&Value::Bool(true));
    let mut types: Vec<Value> = match p.get("type") {
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => vec![t.as_str().into()],
        Some(Value::Array(list)) => list
            .iter()
            .filter(|t| {
                t.as_str()
                    .is_some_and(|t| TYPES.contains(&t) || t == "null")
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        if nullable && !types.contains(&Value::from("null")) {
            types.push("null".into());
        }
        out.insert("type".into(), Value::Array(types));
    }
    if let Some(Value::Array(values)) = p.get("enum") {
        let mut values = values.clone();
        if nullable && !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
        out.insert("enum".into(), Value::Array(values));
    }
    for key in ["minimum", "maximum"] {
        if let Some(v @ Value::Number(_)) = p.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    for key in ["minLength", "maxLength", "minItems", "maxItems"] {
        if let Some(v) = p.get(key).filter(|v| v.as_u64().is_some()) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(v @ Value::Bool(_)) = p.get("uniqueItems") {
        out.insert("uniqueItems".into(), v.clone());
    }
    if let Some(Value::String(pattern)) = p.get("pattern") {
        if pattern_compiles(pattern) {
            out.insert("pattern".into(), pattern.as_str().into());
        } else {
            skipped.push((at.to_string(), pattern.clone()));
        }
    }
    if let Some(Value::Object(props)) = p.get("properties") {
        let mapped: Map<String, Value> = props
            .iter()
            .map(|(name, sub)| {
                let at = format!("{at}/{}", escape(name));
                (name.clone(), map_schema(sub, &at, skipped))
            })
            .collect();
        out.insert("properties".into(), Value::Object(mapped));
    }
    if let Some(Value::Array(required)) = p.get("required") {
        let names: Vec<Value> = required.iter().filter(|r| r.is_string()).cloned().collect();
        out.insert("required".into(), Value::Array(names));
    }
    if let Some(items @ Value::Object(_)) = p.get("items") {
        let at = format!("{at}/items");
        out.insert("items".into(), map_schema(items, &at, skipped));
    }
    Value::Object(out)
}

/// An instance location as an RFC 6901 JSON pointer.
fn pointer_of(location: &boon::InstanceLocation) -> String {
    let mut pointer = String::new();
    for token in &location.tokens {
        pointer.push('/');
        match token {
            boon::InstanceToken::Prop(name) => pointer.push_str(&escape(name)),
            boon::InstanceToken::Item(i) => pointer.push_str(&i.to_string()),
        }
    }
    pointer
}

/// A key as one JSON pointer token (`~` as `~0`, `/` as `~1`).
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A value as short JSON text: cut after [`SHOWN_CHARS`] characters.
pub(crate) fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// "an integer", "a string", "null", ...
fn with_article(type_name: &str) -> String {
    match type_name {
        "null" => "null".into(),
        t if t.starts_with(['a', 'e', 'i', 'o', 'u']) => format!("an {t}"),
        t => format!("a {t}"),
    }
}

/// What kind of JSON value this is, for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value at a pointer as a problem shows it.
pub(crate) fn shown_at(input: &Value, pointer: &str) -> String {
    input
        .pointer(pointer)
        .map_or_else(|| "(missing)".to_string(), short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator_like() -> Value {
        json!({
            "title": "Input", "type": "object", "schemaVersion": 1,
            "properties": {
                "count": {"title": "Count", "type": "integer", "minimum": 0, "default": 10,
                          "editor": "number", "prefill": 3, "example": 5, "description": "d"},
                "itemBytes": {"type": "integer", "minimum": 0, "maximum": 1000},
                "outcome": {"type": "string", "enum": ["SUCCEEDED", "FAILED"],
                            "enumTitles": ["Yes", "No"], "sectionCaption": "Outcome"},
                "note": {"type": "string", "nullable": true, "maxLength": 5, "pattern": "^[a-z]*$"},
                "apiKey": {"type": "string", "isSecret": true, "minLength": 10},
                "urls": {"type": "array", "minItems": 1, "uniqueItems": true,
                         "items": {"type": "object", "properties": {"url": {"type": "string"}},
                                   "required": ["url"]}},
                "proxy": {"type": "object", "editor": "proxy",
                          "properties": {"useApifyProxy": {"type": "boolean"}},
                          "required": ["useApifyProxy"]},
                "name": {"type": "string", "default": "x"},
                "output": {"title": "Any JSON"}
            },
            "required": ["count", "name", "mustHave"]
        })
    }

    fn check(input: Value) -> (Value, Vec<InputProblem>) {
        let checker = Checker::new(&generator_like()).unwrap();
        checker.check(input.as_object().unwrap().clone())
    }

    #[test]
    fn every_problem_is_reported_at_its_pointer() {
        let (_, problems) = check(json!({
            "count": -5, "outcome": "MAYBE", "itemBytes": "ten", "note": "TOO LONG",
            "apiKey": "short", "urls": [{"url": 1}, {}], "proxy": {}, "mustHave": 1,
            "output": [1, 2], "extra": "kept"
        }));
        let at: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.pointer.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            at,
            [
                ("/apiKey", "must have at least 10 characters, got 5"),
                ("/count", "must be >= 0, got -5"),
                ("/itemBytes", "must be an integer, got \"ten\""),
                ("/note", "must have at most 5 characters, got 8"),
                (
                    "/note",
                    "must match the pattern /^[a-z]*$/, got \"TOO LONG\""
                ),
                (
                    "/outcome",
                    "must be one of \"SUCCEEDED\", \"FAILED\", got \"MAYBE\""
                ),
                (
                    "/proxy/useApifyProxy",
                    "is required and was not given (and has no default)"
                ),
                ("/urls/0/url", "must be a string, got 1"),
                (
                    "/urls/1/url",
                    "is required and was not given (and has no default)"
                ),
            ]
        );
        let secret = problems.iter().find(|p| p.pointer == "/apiKey").unwrap();
        assert_eq!(secret.given, "\"***\"");
        let count = problems.iter().find(|p| p.pointer == "/count").unwrap();
        assert_eq!(
            (count.expected.as_str(), count.given.as_str()),
            (">= 0", "-5")
        );
    }

    #[test]
    fn defaults_fill_missing_fields_and_satisfy_required() {
        let (input, problems) = check(json!({"mustHave": true}));
        assert_eq!(problems, []);
        assert_eq!(input, json!({"mustHave": true, "count": 10, "name": "x"}));
        // A given value is kept, null included (and null is not an integer).
        let (input, problems) = check(json!({"mustHave": 1, "count": null, "note": null}));
        assert_eq!(input["count"], Value::Null);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].pointer, "/count");
        assert_eq!(problems[0].expected, "integer");
        let (_, problems) = check(json!({}));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].pointer, "/mustHave");
        assert_eq!(problems[0].given, "(missing)");
    }

    #[test]
    fn nullable_accepts_null_and_ui_keys_are_ignored() {
        let schema = map_schema(&generator_like(), "", &mut Vec::new());
        assert_eq!(
            schema["properties"]["count"],
            json!({"type": ["integer"], "minimum": 0})
        );
        assert_eq!(
            schema["properties"]["note"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(schema["properties"]["output"], json!({}));
        let nullable_enum = json!({"type": "string", "enum": ["a"], "nullable": true});
        assert_eq!(
            map_schema(&nullable_enum, "", &mut Vec::new())["enum"],
            json!(["a", null])
        );
        // Wrongly typed keyword values are dropped, not refused.
        let odd = json!({"type": "integer", "minimum": "zero", "maxLength": -1, "items": 3,
                         "required": "x", "uniqueItems": "yes", "type2": 1});
        assert_eq!(
            map_schema(&odd, "", &mut Vec::new()),
            json!({"type": ["integer"]})
        );
    }

    #[test]
    fn patterns_the_validator_cannot_use_are_left_out() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string", "pattern": "^(?!x).*$"},
            "b": {"type": "string", "pattern": "^\\d+$"}
        }});
        let checker = Checker::new(&schema).unwrap();
        assert_eq!(
            checker.skipped_patterns,
            [("/a".to_string(), "^(?!x).*$".to_string())]
        );
        let input = json!({"a": "xyz", "b": "12a"});
        let (_, problems) = checker.check(input.as_object().unwrap().clone());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].pointer, "/b");
    }

    #[test]
    fn no_schema_accepts_anything_and_non_objects_are_refused() {
        let (input, problems) = Checker::none().check(Map::new());
        assert_eq!((input, problems), (json!({}), vec![]));
        assert!(Checker::new(&json!([1])).is_err());
    }

    #[test]
    fn values_are_shown_short() {
        assert_eq!(short(&json!("ab")), "\"ab\"");
        let long = short(&json!("é".repeat(100)));
        assert_eq!(long.chars().count(), SHOWN_CHARS + 3);
        assert!(long.ends_with("..."));
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
