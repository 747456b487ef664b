//! The Apify input-schema dialect, as the platform applies it: checking that a schema is usable,
//! filling missing fields from `default`, and checking an input against the schema, listing every
//! problem. Written for the emulator (no JSON Schema crate): `type` (string, integer, number,
//! boolean, array, object), `required`, `enum`, `minimum`/`maximum`, `minLength`/`maxLength`,
//! `pattern`, `minItems`/`maxItems`, `uniqueItems`, `nullable`, nested `properties`/`required` and
//! `items`. Other keywords (`editor`, `prefill`, `example`, `isSecret`, ...) do not constrain.

use serde_json::{json, Map, Value};

/// The property types of the dialect.
const TYPES: [&str; 6] = ["string", "integer", "number", "boolean", "array", "object"];

/// One problem with an input, named by its field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// The field as users name it: `count`, `address.city`, `tags[1]`.
    pub field: String,
    /// JSON pointer to the value that failed (for `required`, to the object missing the field).
    pub instance_path: String,
    /// JSON pointer into the schema to the failing keyword.
    pub schema_path: String,
    pub keyword: &'static str,
    /// What is wrong, without the field: "must be >= 0".
    pub message: String,
    pub params: Value,
    /// The offending value, shortened, when there is one.
    pub got: Option<String>,
}

impl Problem {
    /// "field 'count' must be >= 0, got -5".
    pub(crate) fn describe(&self) -> String {
        match &self.got {
            Some(got) => format!("field '{}' {}, got {got}", self.field, self.message),
            None => format!("field '{}' {}", self.field, self.message),
        }
    }

    /// The problem as an object of the spec's `ValidationError` shape, plus `field`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "field": self.field,
            "instancePath": self.instance_path,
            "schemaPath": self.schema_path,
            "keyword": self.keyword,
            "message": self.message,
            "params": self.params,
        })
    }
}

/// Checks that a schema is one the emulator can apply; the error names the property.
pub(crate) fn check_schema(schema: &Value) -> Result<(), String> {
    let Value::Object(root) = schema else {
        return Err("the input schema must be a JSON object".into());
    };
    if root.get("type").and_then(Value::as_str) != Some("object") {
        return Err("the input schema must have \"type\": \"object\"".into());
    }
    if !root.get("properties").is_some_and(Value::is_object) {
        return Err("the input schema must have \"properties\" (an object)".into());
    }
    check_subschema(root, "")
}

fn check_subschema(s: &Map<String, Value>, at: &str) -> Result<(), String> {
    let here = if at.is_empty() { "the schema" } else { at };
    if let Some(t) = s.get("type") {
        if !t.as_str().is_some_and(|t| TYPES.contains(&t)) {
            return Err(format!(
                "{here}: 'type' must be one of {}, got {t}",
                TYPES.join(", ")
            ));
        }
    }
    for k in [
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
    ] {
        if let Some(v) = s.get(k).filter(|v| !v.is_null()) {
            let ok = if matches!(k, "minimum" | "maximum") {
                v.is_number()
            } else {
                v.as_u64().is_some()
            };
            if !ok {
                return Err(format!("{here}: '{k}' must be a number, got {v}"));
            }
        }
    }
    for k in ["uniqueItems", "nullable"] {
        if let Some(v) = s.get(k).filter(|v| !v.is_null() && !v.is_boolean()) {
            return Err(format!("{here}: '{k}' must be a boolean, got {v}"));
        }
    }
    if let Some(e) = s.get("enum") {
        if e.as_array().is_none_or(|a| a.is_empty()) {
            return Err(format!("{here}: 'enum' must be a non-empty array"));
        }
    }
    if let Some(p) = s.get("pattern") {
        let p = p
            .as_str()
            .ok_or_else(|| format!("{here}: 'pattern' must be a string"))?;
        regex::Regex::new(p).map_err(|e| {
            format!(
                "{here}: 'pattern' {p:?} is not a regular expression the emulator supports: {e}"
            )
        })?;
    }
    if let Some(r) = s.get("required") {
        if !r.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            return Err(format!(
                "{here}: 'required' must be an array of field names"
            ));
        }
    }
    if let Some(props) = s.get("properties") {
        let props = props
            .as_object()
            .ok_or_else(|| format!("{here}: 'properties' must be an object"))?;
        for (name, sub) in props {
            let path = if at.is_empty() {
                format!("property '{name}'")
            } else {
                format!("{at}.{name}")
            };
            let sub = sub
                .as_object()
                .ok_or_else(|| format!("{path}: must be an object"))?;
            check_subschema(sub, &path)?;
        }
    }
    if let Some(items) = s.get("items") {
        let items = items
            .as_object()
            .ok_or_else(|| format!("{here}: 'items' must be an object"))?;
        check_subschema(items, &format!("{here} items"))?;
    }
    Ok(())
}

/// Fills fields the input lacks from the top-level properties' `default` (never `prefill`).
/// Answers whether anything was added.
pub(crate) fn fill_defaults(schema: &Value, input: &mut Map<String, Value>) -> bool {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return false;
    };
    let mut added = false;
    for (name, sub) in props {
        if let Some(default) = sub.get("default") {
            if !input.contains_key(name) {
                input.insert(name.clone(), default.clone());
                added = true;
            }
        }
    }
    added
}

/// Every problem of `input` (an object) against `schema`. `required = false` skips the top-level
/// `required` list (a task's saved input may leave fields to the run's input).
pub(crate) fn validate(schema: &Value, input: &Map<String, Value>, required: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(root) = schema.as_object() else {
        return out;
    };
    check_object(root, input, &Path::root(), required, &mut out);
    out
}

/// Where a check is: the user-facing field name, the instance pointer and the schema pointer.
#[derive(Clone)]
struct Path {
    field: String,
    pointer: String,
    schema: String,
}

impl Path {
    fn root() -> Path {
        Path {
            field: String::new(),
            pointer: String::new(),
            schema: "#".into(),
        }
    }

    fn property(&self, name: &str) -> Path {
        Path {
            field: if self.field.is_empty() {
                name.to_string()
            } else {
                format!("{}.{name}", self.field)
            },
            pointer: format!("{}/{}", self.pointer, escape_pointer(name)),
            schema: format!("{}/properties/{}", self.schema, escape_pointer(name)),
        }
    }

    fn item(&self, i: usize) -> Path {
        Path {
            field: format!("{}[{i}]", self.field),
            pointer: format!("{}/{i}", self.pointer),
            schema: format!("{}/items", self.schema),
        }
    }

    fn problem(
        &self,
        keyword: &'static str,
        message: String,
        params: Value,
        got: Option<&Value>,
    ) -> Problem {
        Problem {
            field: if self.field.is_empty() {
                "input".into()
            } else {
                self.field.clone()
            },
            instance_path: self.pointer.clone(),
            schema_path: format!("{}/{keyword}", self.schema),
            keyword,
            message,
            params,
            got: got.map(short),
        }
    }
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn check_object(
    schema: &Map<String, Value>,
    obj: &Map<String, Value>,
    at: &Path,
    required: bool,
    out: &mut Vec<Problem>,
) {
    let props = schema.get("properties").and_then(Value::as_object);
    if required {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(name) {
                let p = at.property(name);
                out.push(Problem {
                    field: p.field,
                    instance_path: at.pointer.clone(),
                    schema_path: format!("{}/required", at.schema),
                    keyword: "required",
                    message: "is required".into(),
                    params: json!({ "missingProperty": name }),
                    got: None,
                });
            }
        }
    }
    let Some(props) = props else {
        return;
    };
    for (name, sub) in props {
        if let (Some(value), Some(sub)) = (obj.get(name), sub.as_object()) {
            check_value(sub, value, &at.property(name), out);
        }
    }
}

fn check_value(s: &Map<String, Value>, v: &Value, at: &Path, out: &mut Vec<Problem>) {
    if v.is_null() {
        let nullable = s.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        if let Some(t) = s.get("type").and_then(Value::as_str) {
            if !nullable {
                out.push(at.problem(
                    "type",
                    format!("must be {t}"),
                    json!({ "type": t }),
                    Some(v),
                ));
            }
        }
        return;
    }
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        if !type_matches(t, v) {
            out.push(at.problem(
                "type",
                format!("must be {t}"),
                json!({ "type": t }),
                Some(v),
            ));
            return;
        }
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array) {
        if !allowed.iter().any(|a| json_eq(a, v)) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            out.push(at.problem(
                "enum",
                format!("must be one of {}", list.join(", ")),
                json!({ "allowedValues": allowed }),
                Some(v),
            ));
        }
    }
    match v {
        Value::Number(n) => check_number(s, n.as_f64().unwrap_or(f64::NAN), v, at, out),
        Value::String(text) => check_string(s, text, v, at, out),
        Value::Array(items) => check_array(s, items, v, at, out),
        Value::Object(obj) => check_object(s, obj, at, true, out),
        _ => {}
    }
}

fn check_number(s: &Map<String, Value>, n: f64, v: &Value, at: &Path, out: &mut Vec<Problem>) {
    if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
        if n < min {
            out.push(at.problem(
                "minimum",
                format!("must be >= {}", s["minimum"]),
                json!({"comparison": ">=", "limit": s["minimum"]}),
                Some(v),
            ));
        }
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
        if n > max {
            out.push(at.problem(
                "maximum",
                format!("must be <= {}", s["maximum"]),
                json!({"comparison": "<=", "limit": s["maximum"]}),
                Some(v),
            ));
        }
    }
}

fn check_string(s: &Map<String, Value>, text: &str, v: &Value, at: &Path, out: &mut Vec<Problem>) {
    let len = text.chars().count() as u64;
    if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
        if len < min {
            out.push(at.problem(
                "minLength",
                format!("must have at least {min} characters"),
                json!({ "limit": min }),
                Some(v),
            ));
        }
    }
    if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
        if len > max {
            out.push(at.problem(
                "maxLength",
                format!("must have at most {max} characters"),
                json!({ "limit": max }),
                Some(v),
            ));
        }
    }
    if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
        // A pattern that does not compile was refused when the build was made.
        let matches = regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text));
        if !matches {
            out.push(at.problem(
                "pattern",
                format!("must match pattern {}", Value::from(pattern)),
                json!({ "pattern": pattern }),
                Some(v),
            ));
        }
    }
}

fn check_array(
    s: &Map<String, Value>,
    items: &[Value],
    v: &Value,
    at: &Path,
    out: &mut Vec<Problem>,
) {
    let n = items.len() as u64;
    if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
        if n < min {
            out.push(at.problem(
                "minItems",
                format!("must have at least {min} items"),
                json!({ "limit": min }),
                Some(v),
            ));
        }
    }
    if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
        if n > max {
            out.push(at.problem(
                "maxItems",
                format!("must have at most {max} items"),
                json!({ "limit": max }),
                Some(v),
            ));
        }
    }
    if s.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
        'outer: for (j, b) in items.iter().enumerate() {
            for (i, a) in items[..j].iter().enumerate() {
                if json_eq(a, b) {
                    out.push(at.problem(
                        "uniqueItems",
                        format!("must not have duplicate items (items {i} and {j} are equal)"),
                        json!({ "i": i, "j": j }),
                        Some(v),
                    ));
                    break 'outer;
                }
            }
        }
    }
    if let Some(item_schema) = s.get("items").and_then(Value::as_object) {
        for (i, item) in items.iter().enumerate() {
            check_value(item_schema, item, &at.item(i), out);
        }
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| json_eq(a, b)))
        }
        _ => a == b,
    }
}

/// A value for a message, at most about 60 characters.
pub(crate) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(60).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({
            "title": "T", "type": "object", "schemaVersion": 1,
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z]{3}$", "minLength": 3, "maxLength": 3},
                "n": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
                "tags": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string"}},
                "maybe": {"type": "string", "nullable": true, "prefill": "never"},
                "box": {"type": "object", "properties": {"w": {"type": "number"}}, "required": ["w"]},
                "any": {"title": "no type"}
            },
            "required": ["code"]
        })
    }

    fn fields(input: Value) -> Vec<String> {
        let Value::Object(o) = input else { panic!() };
        validate(&schema(), &o, true)
            .into_iter()
            .map(|p| format!("{}:{}", p.field, p.keyword))
            .collect()
    }

    #[test]
    fn a_good_input_has_no_problems() {
        assert!(check_schema(&schema()).is_ok());
        assert!(fields(
            json!({"code": "ABC", "n": 10.0, "tags": ["a"], "maybe": null,
                               "box": {"w": 1.5}, "any": [null]})
        )
        .is_empty());
    }

    #[test]
    fn every_problem_is_listed_with_its_field() {
        let got = fields(json!({"n": 0, "tags": ["a", 1, "a"], "maybe": 3, "box": {}}));
        assert_eq!(
            got,
            [
                "code:required",
                "n:minimum",
                "tags:uniqueItems",
                "tags[1]:type",
                "maybe:type",
                "box.w:required"
            ]
        );
        let got = fields(json!({"code": "abcd", "n": 2.5, "tags": []}));
        assert_eq!(
            got,
            ["code:maxLength", "code:pattern", "n:type", "tags:minItems"]
        );
    }

    #[test]
    fn defaults_fill_missing_fields_only() {
        let mut input = Map::new();
        assert!(fill_defaults(&schema(), &mut input));
        assert_eq!(Value::Object(input.clone()), json!({"n": 5}));
        assert!(!fill_defaults(&schema(), &mut input));
    }

    #[test]
    fn unusable_schemas_are_refused_naming_the_property() {
        for (s, needle) in [
            (json!([]), "JSON object"),
            (json!({"type": "array", "properties": {}}), "type"),
            (json!({"type": "object"}), "properties"),
            (
                json!({"type": "object", "properties": {"a": {"type": "text"}}}),
                "'a'",
            ),
            (
                json!({"type": "object", "properties": {"a": {"pattern": "("}}}),
                "'a'",
            ),
            (
                json!({"type": "object", "properties": {"a": {"minItems": -1}}}),
                "minItems",
            ),
            (
                json!({"type": "object", "properties": {}, "required": "a"}),
                "required",
            ),
        ] {
            let e = check_schema(&s).unwrap_err();
            assert!(e.contains(needle), "{s}: {e}");
        }
    }
}
