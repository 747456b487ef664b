//! Validation of emulator responses against the official Apify OpenAPI 3.1 document.
//!
//! `Spec` loads `openapi.json`, maps a concrete request (method + path) to the
//! operation of the spec, and checks a JSON response body against the
//! `application/json` schema of that operation's response for a status code.
//! The JSON Schema validator below is written for this project (no external
//! validator crate); it covers the JSON Schema 2020-12 subset that OpenAPI 3.1
//! documents use, plus OpenAPI 3.0's `nullable`.
//!
//! Keyword survey of `openapi.json` (OpenAPI 3.1.2, info.version
//! v2-2026-08-05T133145Z). "grep" = `grep -oE '"(<kw>|<kw>|...)":' openapi.json
//! | sort | uniq -c` over every JSON Schema 2020-12 / OpenAPI schema keyword
//! (it also counts non-schema uses: a parameter's `"required": true`, response
//! `$ref`s, a property or parameter named `maxItems`, keys inside examples);
//! "schema" = uses in schema position only (found by walking every `schema`
//! and `components.schemas` entry and their subschemas, skipping examples).
//!
//! | keyword                | grep | schema | here                                      |
//! |------------------------|-----:|-------:|-------------------------------------------|
//! | `type`                 | 1330 |   1301 | handled: string or array (3.1 `["string","null"]`); `integer` = number without fractional part |
//! | `$ref`                 | 3047 |    557 | handled: internal `#/...` only, recursion-guarded; sibling keywords applied (3.1), e.g. `Request.allOf[0]` = `$ref` + `required` |
//! | `properties`           |  213 |    210 | handled                                   |
//! | `required`             |  264 |    161 | handled                                   |
//! | `items`                |  109 |     80 | handled (schema; legacy array form = tuple) |
//! | `anyOf`                |   55 |     55 | handled                                   |
//! | `allOf`                |   33 |     33 | handled                                   |
//! | `minimum`              |   29 |     29 | handled                                   |
//! | `additionalProperties` |   23 |     23 | handled (boolean or schema)               |
//! | `enum`                 |   18 |     18 | handled                                   |
//! | `const`                |   12 |     12 | handled                                   |
//! | `oneOf`                |   10 |     10 | handled: exactly one alternative must match |
//! | `pattern`              |    9 |      9 | handled: `regex` crate, unanchored search (ECMA-262 semantics; the 9 patterns are plain) |
//! | boolean schema         |    - |      8 | handled (`true`/`false`, all as `additionalProperties`) |
//! | `maximum`              |    3 |      3 | handled                                   |
//! | `maxItems`             |    4 |      0 | handled (the 4 hits are a query parameter and 3 properties so named) |
//! | `format`               |  106 |    103 | ignored (annotation)                      |
//! | `default`              |   19 |      4 | ignored (annotation)                      |
//! | `discriminator`        |    4 |      4 | ignored: its `oneOf` alternatives each carry a distinct `const` |
//! | `deprecated`, `title`, `description`, `example`, `examples` | | | ignored (annotations) |
//! | `x-internal`           |    5 |      5 | ignored (like every `x-*` extension)       |
//! | `contentSchema`, `contentMediaType`, `contentEncoding` | 1 each | 1 each | ignored (2020-12 annotations; only on the `webhooks` query parameter) |
//! | `$schema`              |    1 |      0 | ignored (only inside an `example`)        |
//!
//! Not used by the spec (grep finds 0) but handled because they are cheap:
//! `nullable` (3.0 style), `exclusiveMinimum`/`exclusiveMaximum` (number, or
//! 3.0 boolean), `multipleOf`, `minLength`/`maxLength` (Unicode code points),
//! `minItems`, `uniqueItems`, `prefixItems`, `additionalItems`, `contains`/
//! `minContains`/`maxContains`, `patternProperties`, `propertyNames`,
//! `minProperties`/`maxProperties`, `dependentRequired`, `dependentSchemas`,
//! `not`, `if`/`then`/`else`.
//! Not supported (0 uses): `unevaluatedProperties`, `unevaluatedItems`,
//! `$dynamicRef`/`$dynamicAnchor`, and references that are not `#...`.
//! `readOnly`/`writeOnly` (0 uses) are ignored.
//! The test `tests::every_schema_keyword_is_known` walks every schema in the
//! document and fails when a keyword outside `HANDLED_KEYWORDS` /
//! `IGNORED_KEYWORDS` appears, so a newer spec cannot silently use something
//! this validator skips; `tests::spec_examples_validate` checks that the
//! spec's own examples pass (the validator is not stricter than the spec).
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};

/// Keywords the validator evaluates.
const HANDLED_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "enum",
    "const",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "dependentSchemas",
    "items",
    "prefixItems",
    "additionalItems",
    "contains",
    "minContains",
    "maxContains",
    "minItems",
    "maxItems",
    "uniqueItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
];

/// Keywords consciously ignored (annotations, or no effect on validation).
/// Any `x-*` extension is ignored as well.
const IGNORED_KEYWORDS: &[&str] = &[
    "format",
    "title",
    "description",
    "example",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "discriminator",
    "xml",
    "externalDocs",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "$defs",
    "definitions",
];

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Deepest schema nesting followed before giving up (guards pathological specs).
const MAX_DEPTH: usize = 256;
/// How many problems one error message lists at most.
const MAX_REPORTED: usize = 20;

/// The repository's reduced copy of the official document (no prose, no examples).
pub fn reduced_copy_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("openapi")
        .join("apify-openapi.json")
}

/// The full upstream document, when this machine has it: `APIFY_OPENAPI_UPSTREAM`, else
/// `../shared/apify-openapi/openapi.json` beside the repository. A fresh clone has neither, and
/// the tests that need it (examples, drift of the reduced copy) say so and pass.
pub fn upstream_path() -> Option<PathBuf> {
    let path = match std::env::var_os("APIFY_OPENAPI_UPSTREAM") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared")
            .join("apify-openapi")
            .join("openapi.json"),
    };
    path.is_file().then_some(path)
}

/// The parsed Apify OpenAPI document plus a route table for it.
pub struct Spec {
    doc: Value,
    source: PathBuf,
    routes: Vec<Route>,
    regexes: Mutex<HashMap<String, Result<regex::Regex, String>>>,
}

struct Route {
    template: String,
    segments: Vec<Seg>,
}

enum Seg {
    /// A literal segment, compared with the percent-decoded request segment.
    Literal(String),
    /// A whole-segment `{param}`.
    Param,
    /// A segment mixing literal text and `{param}`s, e.g. `{id}.json`.
    Mixed(regex::Regex),
}

impl Seg {
    /// 2 = literal, 1 = mixed, 0 = parameter: higher is more specific.
    fn rank(&self) -> u8 {
        match self {
            Seg::Literal(_) => 2,
            Seg::Mixed(_) => 1,
            Seg::Param => 0,
        }
    }

    fn matches(&self, decoded: &str) -> bool {
        match self {
            Seg::Literal(l) => l == decoded,
            Seg::Param => !decoded.is_empty(),
            Seg::Mixed(re) => re.is_match(decoded),
        }
    }
}

/// One validation problem.
struct Issue {
    /// JSON pointer of the offending value in the body.
    ptr: String,
    /// Location of the failing schema in the document (`#/components/...`).
    schema: String,
    msg: String,
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

    fn load_from(path: &Path) -> Spec {
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

    fn from_value(doc: Value, source: PathBuf) -> Spec {
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or_else(|| {
                panic!(
                    "the OpenAPI spec at {} has no `paths` object",
                    source.display()
                )
            });
        let routes = paths
            .keys()
            .map(|template| Route {
                template: template.clone(),
                segments: split_path(template).iter().map(|s| parse_seg(s)).collect(),
            })
            .collect();
        Spec {
            doc,
            source,
            routes,
            regexes: Mutex::new(HashMap::new()),
        }
    }

    /// Finds the operation for a concrete request path (no query string), e.g.
    /// "/v2/actor-runs/AbC123" or "/v2/acts/apify~hello-world/runs" (`/v2/acts/`
    /// is an alias of `/v2/actors/`). Segments may be percent-encoded. Literal
    /// template segments win over `{param}` segments when several templates
    /// match. Returns the operationId.
    ///
    /// The path is matched first (like a server's router): when the most
    /// specific matching template has no operation for `method`, the result is
    /// `None` even if a less specific template has one.
    pub fn operation_id(&self, method: &str, path: &str) -> Option<String> {
        let (_, op) = self.find_operation(method, path)?;
        op.get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// Validates `body` against the JSON response schema of that operation for
    /// that status code (falling back to a "2XX"/"default" entry if present).
    /// Ok(true) = validated; Ok(false) = there is no such operation, or no
    /// application/json schema for that status; Err(msg) = the body breaks the
    /// schema (msg names operationId, status, JSON pointer and reason).
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
        let code = status.to_string();
        let range = format!("{}XX", status / 100);
        let Some((resp_key, response)) = responses
            .get_key_value(&code)
            .or_else(|| {
                responses
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&range))
            })
            .or_else(|| responses.get_key_value("default"))
        else {
            return Ok(false);
        };
        let mut resp_loc = format!(
            "#/paths/{}/{}/responses/{}",
            escape_pointer_token(template),
            method.to_ascii_lowercase(),
            escape_pointer_token(resp_key)
        );
        let mut response = response;
        // A response may be a `$ref` to `#/components/responses/...` (possibly chained).
        for _ in 0..16 {
            let Some(r) = response.get("$ref").and_then(Value::as_str) else {
                break;
            };
            response = self.resolve_ref(r).map_err(|e| {
                format!("operation `{op_id}` status {status}: response {resp_loc}: {e}")
            })?;
            resp_loc = r.to_owned();
        }
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return Ok(false);
        };
        let Some((ct, media)) = content.iter().find(|(k, _)| {
            k.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        }) else {
            return Ok(false);
        };
        let Some(schema) = media.get("schema") else {
            return Ok(false);
        };
        let schema_loc = format!("{resp_loc}/content/{}/schema", escape_pointer_token(ct));
        let issues = self.check_root(schema, &schema_loc, body);
        if issues.is_empty() {
            return Ok(true);
        }
        Err(format!(
            "response body of operation `{op_id}` ({} {template}, request path {path}), status {status} \
             (response entry \"{resp_key}\"), breaks the OpenAPI schema ({}):\n{}",
            method.to_ascii_uppercase(),
            self.source.display(),
            format_issues(&issues)
        ))
    }

    /// Validates `value` against the component schema `#/components/schemas/<name>`.
    fn validate_component(&self, name: &str, value: &Value) -> Result<(), String> {
        let loc = format!("#/components/schemas/{}", escape_pointer_token(name));
        let schema = self.resolve_ref(&loc).unwrap_or_else(|e| panic!("{e}"));
        self.validate_schema_at(schema, &loc, value)
    }

    /// Validates `value` against an arbitrary schema (whose `$ref`s resolve in this document).
    fn validate_schema(&self, schema: &Value, value: &Value) -> Result<(), String> {
        self.validate_schema_at(schema, "#<ad hoc>", value)
    }

    fn validate_schema_at(&self, schema: &Value, loc: &str, value: &Value) -> Result<(), String> {
        let issues = self.check_root(schema, loc, value);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "value breaks schema {loc}:\n{}",
                format_issues(&issues)
            ))
        }
    }

    // ----- routing -------------------------------------------------------------

    /// Returns (template, operation object) for a request.
    fn find_operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let raw = normalize_request_path(path);
        let mut segs: Vec<String> = split_path(&raw).iter().map(|s| percent_decode(s)).collect();
        // `/v2/acts/...` is the legacy alias of `/v2/actors/...`.
        if segs.len() >= 2 && segs[0] == "v2" && segs[1] == "acts" {
            segs[1] = "actors".to_owned();
        }
        let route = self
            .routes
            .iter()
            .filter(|r| {
                r.segments.len() == segs.len()
                    && r.segments.iter().zip(&segs).all(|(t, s)| t.matches(s))
            })
            .max_by(|a, b| {
                let ra = a.segments.iter().map(Seg::rank);
                let rb = b.segments.iter().map(Seg::rank);
                ra.cmp(rb)
            })?;
        let item = self.doc["paths"].get(&route.template)?;
        let m = method.to_ascii_lowercase();
        if !HTTP_METHODS.contains(&m.as_str()) {
            return None;
        }
        let op = item.get(&m)?;
        op.is_object().then_some((route.template.as_str(), op))
    }

    // ----- schema validation ---------------------------------------------------

    fn resolve_ref(&self, reference: &str) -> Result<&Value, String> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(format!(
                "unsupported non-local $ref `{reference}` (only `#/...` references are supported)"
            ));
        };
        let pointer = percent_decode(fragment);
        self.doc
            .pointer(&pointer)
            .ok_or_else(|| format!("unresolvable $ref `{reference}`"))
    }

    fn regex(&self, pattern: &str) -> Result<regex::Regex, String> {
        let mut cache = self.regexes.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| regex::Regex::new(pattern).map_err(|e| e.to_string()))
            .clone()
    }

    fn check_root(&self, schema: &Value, loc: &str, value: &Value) -> Vec<Issue> {
        let mut walker = Walker {
            spec: self,
            ref_stack: Vec::new(),
        };
        let mut out = Vec::new();
        walker.check(schema, loc, value, "", 0, &mut out);
        out
    }
}

struct Walker<'s> {
    spec: &'s Spec,
    /// `$ref`s currently being evaluated, with the instance pointer they were entered at.
    ref_stack: Vec<(String, String)>,
}

impl Walker<'_> {
    fn issue(out: &mut Vec<Issue>, ptr: &str, loc: &str, msg: String) {
        out.push(Issue {
            ptr: ptr.to_owned(),
            schema: loc.to_owned(),
            msg,
        });
    }

    /// True when `value` satisfies `schema` (no issue recorded in the caller's list).
    fn passes(
        &mut self,
        schema: &Value,
        loc: &str,
        value: &Value,
        ptr: &str,
        depth: usize,
    ) -> (bool, Vec<Issue>) {
        let mut sub = Vec::new();
        self.check(schema, loc, value, ptr, depth, &mut sub);
        (sub.is_empty(), sub)
    }

    fn check(
        &mut self,
        schema: &Value,
        loc: &str,
        value: &Value,
        ptr: &str,
        depth: usize,
        out: &mut Vec<Issue>,
    ) {
        if depth > MAX_DEPTH {
            Self::issue(
                out,
                ptr,
                loc,
                format!("schema nesting deeper than {MAX_DEPTH} levels (recursive schema?)"),
            );
            return;
        }
        let obj = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                Self::issue(
                    out,
                    ptr,
                    loc,
                    format!(
                        "no value is allowed here (schema `false`), found {}",
                        describe(value)
                    ),
                );
                return;
            }
            Value::Object(o) => o,
            other => {
                Self::issue(
                    out,
                    ptr,
                    loc,
                    format!("invalid schema (not an object or boolean): {other}"),
                );
                return;
            }
        };
        let depth = depth + 1;

        // $ref (OpenAPI 3.1: sibling keywords apply too).
        if let Some(r) = obj.get("$ref") {
            match r.as_str() {
                Some(r) => self.check_ref(r, loc, value, ptr, depth, out),
                None => Self::issue(
                    out,
                    ptr,
                    loc,
                    "invalid schema: `$ref` is not a string".into(),
                ),
            }
        }

        let null_ok = value.is_null() && obj.get("nullable") == Some(&Value::Bool(true));

        if let Some(t) = obj.get("type").filter(|_| !null_ok) {
            self.check_type(t, loc, value, ptr, out);
        }
        if let Some(e) = obj.get("enum") {
            match e.as_array() {
                Some(options) if !null_ok => {
                    if !options.iter().any(|o| json_eq(o, value)) {
                        Self::issue(
                            out,
                            ptr,
                            &format!("{loc}/enum"),
                            format!("{} is not one of {}", describe(value), short(e, 300)),
                        );
                    }
                }
                Some(_) => {}
                None => Self::issue(
                    out,
                    ptr,
                    loc,
                    "invalid schema: `enum` is not an array".into(),
                ),
            }
        }
        if let Some(c) = obj.get("const").filter(|c| !json_eq(c, value)) {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/const"),
                format!("{} is not the constant {}", describe(value), short(c, 120)),
            );
        }

        match value {
            Value::Number(_) => self.check_number(obj, loc, value, ptr, out),
            Value::String(s) => self.check_string(obj, loc, s, ptr, out),
            Value::Array(a) => self.check_array(obj, loc, a, ptr, depth, out),
            Value::Object(o) => self.check_object(obj, loc, o, ptr, depth, out),
            _ => {}
        }

        self.check_combinators(obj, loc, value, ptr, depth, out);
    }

    fn check_ref(
        &mut self,
        r: &str,
        loc: &str,
        value: &Value,
        ptr: &str,
        depth: usize,
        out: &mut Vec<Issue>,
    ) {
        let target = match self.spec.resolve_ref(r) {
            Ok(t) => t,
            Err(e) => {
                Self::issue(out, ptr, loc, e);
                return;
            }
        };
        if self.ref_stack.iter().any(|(sr, sp)| sr == r && sp == ptr) {
            Self::issue(
                out,
                ptr,
                loc,
                format!("circular $ref `{r}` re-entered without descending into the value"),
            );
            return;
        }
        self.ref_stack.push((r.to_owned(), ptr.to_owned()));
        self.check(target, r, value, ptr, depth, out);
        self.ref_stack.pop();
    }

    fn check_type(&mut self, t: &Value, loc: &str, value: &Value, ptr: &str, out: &mut Vec<Issue>) {
        let ok = match t {
            Value::String(name) => type_matches(name, value),
            Value::Array(names) => names
                .iter()
                .any(|n| n.as_str().is_some_and(|n| type_matches(n, value))),
            _ => {
                Self::issue(out, ptr, loc, format!("invalid schema: `type` is {t}"));
                return;
            }
        };
        if !ok {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/type"),
                format!("expected type {t} but found {}", describe(value)),
            );
        }
    }

    fn check_number(
        &mut self,
        obj: &Map<String, Value>,
        loc: &str,
        value: &Value,
        ptr: &str,
        out: &mut Vec<Issue>,
    ) {
        let Some(x) = value.as_f64() else { return };
        let excl_min_bool = obj.get("exclusiveMinimum") == Some(&Value::Bool(true));
        let excl_max_bool = obj.get("exclusiveMaximum") == Some(&Value::Bool(true));
        if let Some(min) = obj.get("minimum").and_then(Value::as_f64) {
            let (bad, how) = if excl_min_bool {
                (x <= min, "is not greater than the exclusive minimum")
            } else {
                (x < min, "is less than the minimum")
            };
            if bad {
                Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/minimum"),
                    format!("{x} {how} {min}"),
                );
            }
        }
        if let Some(max) = obj.get("maximum").and_then(Value::as_f64) {
            let (bad, how) = if excl_max_bool {
                (x >= max, "is not less than the exclusive maximum")
            } else {
                (x > max, "is greater than the maximum")
            };
            if bad {
                Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/maximum"),
                    format!("{x} {how} {max}"),
                );
            }
        }
        if let Some(min) = obj
            .get("exclusiveMinimum")
            .and_then(Value::as_f64)
            .filter(|&min| x <= min)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/exclusiveMinimum"),
                format!("{x} is not greater than the exclusive minimum {min}"),
            );
        }
        if let Some(max) = obj
            .get("exclusiveMaximum")
            .and_then(Value::as_f64)
            .filter(|&max| x >= max)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/exclusiveMaximum"),
                format!("{x} is not less than the exclusive maximum {max}"),
            );
        }
        if let Some(m) = obj
            .get("multipleOf")
            .and_then(Value::as_f64)
            .filter(|&m| m > 0.0)
        {
            let q = x / m;
            if !q.is_finite() || (q - q.round()).abs() > 1e-9 {
                Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/multipleOf"),
                    format!("{x} is not a multiple of {m}"),
                );
            }
        }
    }

    fn check_string(
        &mut self,
        obj: &Map<String, Value>,
        loc: &str,
        s: &str,
        ptr: &str,
        out: &mut Vec<Issue>,
    ) {
        let len = s.chars().count() as u64;
        if let Some(min) = obj
            .get("minLength")
            .and_then(Value::as_u64)
            .filter(|&min| len < min)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/minLength"),
                format!("string of {len} characters is shorter than minLength {min}"),
            );
        }
        if let Some(max) = obj
            .get("maxLength")
            .and_then(Value::as_u64)
            .filter(|&max| len > max)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/maxLength"),
                format!("string of {len} characters is longer than maxLength {max}"),
            );
        }
        if let Some(p) = obj.get("pattern").and_then(Value::as_str) {
            match self.spec.regex(p) {
                Ok(re) => {
                    if !re.is_match(s) {
                        Self::issue(
                            out,
                            ptr,
                            &format!("{loc}/pattern"),
                            format!(
                                "{} does not match the pattern /{p}/",
                                describe(&Value::String(s.to_owned()))
                            ),
                        );
                    }
                }
                Err(e) => Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/pattern"),
                    format!("cannot compile pattern /{p}/: {e}"),
                ),
            }
        }
    }

    fn check_array(
        &mut self,
        obj: &Map<String, Value>,
        loc: &str,
        a: &[Value],
        ptr: &str,
        depth: usize,
        out: &mut Vec<Issue>,
    ) {
        let n = a.len() as u64;
        if let Some(min) = obj
            .get("minItems")
            .and_then(Value::as_u64)
            .filter(|&min| n < min)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/minItems"),
                format!("array has {n} items, fewer than minItems {min}"),
            );
        }
        if let Some(max) = obj
            .get("maxItems")
            .and_then(Value::as_u64)
            .filter(|&max| n > max)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/maxItems"),
                format!("array has {n} items, more than maxItems {max}"),
            );
        }
        if obj.get("uniqueItems") == Some(&Value::Bool(true)) {
            'outer: for i in 0..a.len() {
                for j in (i + 1)..a.len() {
                    if json_eq(&a[i], &a[j]) {
                        Self::issue(
                            out,
                            ptr,
                            &format!("{loc}/uniqueItems"),
                            format!("items {i} and {j} are equal but uniqueItems is true"),
                        );
                        break 'outer;
                    }
                }
            }
        }
        // Tuple part: `prefixItems` (2020-12) or array-valued `items` (older drafts).
        let (tuple, tuple_kw, rest, rest_kw) = match (obj.get("prefixItems"), obj.get("items")) {
            (Some(Value::Array(p)), items) => (Some(p), "prefixItems", items, "items"),
            (_, Some(Value::Array(p))) => (
                Some(p),
                "items",
                obj.get("additionalItems"),
                "additionalItems",
            ),
            (_, items) => (None, "", items, "items"),
        };
        let mut start = 0;
        if let Some(tuple) = tuple {
            for (i, (s, v)) in tuple.iter().zip(a).enumerate() {
                self.check(
                    s,
                    &format!("{loc}/{tuple_kw}/{i}"),
                    v,
                    &format!("{ptr}/{i}"),
                    depth,
                    out,
                );
            }
            start = tuple.len();
        }
        if let Some(rest) = rest {
            let rloc = format!("{loc}/{rest_kw}");
            for (i, v) in a.iter().enumerate().skip(start) {
                self.check(rest, &rloc, v, &format!("{ptr}/{i}"), depth, out);
            }
        }
        if let Some(c) = obj.get("contains") {
            let cloc = format!("{loc}/contains");
            let hits = a
                .iter()
                .enumerate()
                .filter(|(i, v)| self.passes(c, &cloc, v, &format!("{ptr}/{i}"), depth).0)
                .count() as u64;
            let min = obj.get("minContains").and_then(Value::as_u64).unwrap_or(1);
            if hits < min {
                Self::issue(
                    out,
                    ptr,
                    &cloc,
                    format!("{hits} items match `contains`, fewer than {min}"),
                );
            }
            if let Some(max) = obj
                .get("maxContains")
                .and_then(Value::as_u64)
                .filter(|&max| hits > max)
            {
                Self::issue(
                    out,
                    ptr,
                    &cloc,
                    format!("{hits} items match `contains`, more than maxContains {max}"),
                );
            }
        }
    }

    fn check_object(
        &mut self,
        obj: &Map<String, Value>,
        loc: &str,
        o: &Map<String, Value>,
        ptr: &str,
        depth: usize,
        out: &mut Vec<Issue>,
    ) {
        if let Some(req) = obj.get("required").and_then(Value::as_array) {
            let missing: Vec<&str> = req
                .iter()
                .filter_map(Value::as_str)
                .filter(|k| !o.contains_key(*k))
                .collect();
            if !missing.is_empty() {
                Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/required"),
                    format!(
                        "missing required propert{} {}",
                        if missing.len() == 1 { "y" } else { "ies" },
                        quote_list(&missing)
                    ),
                );
            }
        }
        let n = o.len() as u64;
        if let Some(min) = obj
            .get("minProperties")
            .and_then(Value::as_u64)
            .filter(|&min| n < min)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/minProperties"),
                format!("object has {n} properties, fewer than minProperties {min}"),
            );
        }
        if let Some(max) = obj
            .get("maxProperties")
            .and_then(Value::as_u64)
            .filter(|&max| n > max)
        {
            Self::issue(
                out,
                ptr,
                &format!("{loc}/maxProperties"),
                format!("object has {n} properties, more than maxProperties {max}"),
            );
        }
        if let Some(deps) = obj.get("dependentRequired").and_then(Value::as_object) {
            for (k, needed) in deps {
                if !o.contains_key(k) {
                    continue;
                }
                let missing: Vec<&str> = needed
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .filter_map(Value::as_str)
                            .filter(|n| !o.contains_key(*n))
                            .collect()
                    })
                    .unwrap_or_default();
                if !missing.is_empty() {
                    Self::issue(
                        out,
                        ptr,
                        &format!("{loc}/dependentRequired"),
                        format!("property \"{k}\" requires {}", quote_list(&missing)),
                    );
                }
            }
        }
        if let Some(deps) = obj.get("dependentSchemas").and_then(Value::as_object) {
            for (k, s) in deps {
                if o.contains_key(k) {
                    let whole = Value::Object(o.clone());
                    self.check(
                        s,
                        &format!("{loc}/dependentSchemas/{}", escape_pointer_token(k)),
                        &whole,
                        ptr,
                        depth,
                        out,
                    );
                }
            }
        }
        if let Some(pn) = obj.get("propertyNames") {
            let pnloc = format!("{loc}/propertyNames");
            for k in o.keys() {
                let key = Value::String(k.clone());
                let (ok, _) = self.passes(pn, &pnloc, &key, ptr, depth);
                if !ok {
                    Self::issue(
                        out,
                        ptr,
                        &pnloc,
                        format!("property name \"{k}\" does not match `propertyNames`"),
                    );
                }
            }
        }

        let props = obj.get("properties").and_then(Value::as_object);
        let pattern_props = obj.get("patternProperties").and_then(Value::as_object);
        let additional = obj.get("additionalProperties");
        if props.is_none() && pattern_props.is_none() && additional.is_none() {
            return;
        }
        let mut patterns = Vec::new();
        if let Some(pp) = pattern_props {
            for (p, s) in pp {
                match self.spec.regex(p) {
                    Ok(re) => patterns.push((re, p, s)),
                    Err(e) => Self::issue(
                        out,
                        ptr,
                        &format!("{loc}/patternProperties"),
                        format!("cannot compile pattern /{p}/: {e}"),
                    ),
                }
            }
        }
        for (k, v) in o {
            let child = format!("{ptr}/{}", escape_pointer_token(k));
            let mut evaluated = false;
            if let Some(s) = props.and_then(|p| p.get(k)) {
                evaluated = true;
                self.check(
                    s,
                    &format!("{loc}/properties/{}", escape_pointer_token(k)),
                    v,
                    &child,
                    depth,
                    out,
                );
            }
            for (re, p, s) in &patterns {
                if re.is_match(k) {
                    evaluated = true;
                    self.check(
                        s,
                        &format!("{loc}/patternProperties/{}", escape_pointer_token(p)),
                        v,
                        &child,
                        depth,
                        out,
                    );
                }
            }
            if evaluated {
                continue;
            }
            match additional {
                None | Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) => Self::issue(
                    out,
                    &child,
                    &format!("{loc}/additionalProperties"),
                    format!("property \"{k}\" is not allowed (additionalProperties is false)"),
                ),
                Some(s) => self.check(
                    s,
                    &format!("{loc}/additionalProperties"),
                    v,
                    &child,
                    depth,
                    out,
                ),
            }
        }
    }

    fn check_combinators(
        &mut self,
        obj: &Map<String, Value>,
        loc: &str,
        value: &Value,
        ptr: &str,
        depth: usize,
        out: &mut Vec<Issue>,
    ) {
        if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
            for (i, s) in all.iter().enumerate() {
                self.check(s, &format!("{loc}/allOf/{i}"), value, ptr, depth, out);
            }
        }
        if let Some(any) = obj.get("anyOf").and_then(Value::as_array) {
            let mut failures = Vec::new();
            let mut matched = false;
            for (i, s) in any.iter().enumerate() {
                let (ok, sub) = self.passes(s, &format!("{loc}/anyOf/{i}"), value, ptr, depth);
                if ok {
                    matched = true;
                    break;
                }
                failures.push(sub);
            }
            if !matched {
                Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/anyOf"),
                    format!(
                        "{} matches none of the {} anyOf alternatives:{}",
                        describe(value),
                        any.len(),
                        branch_report(&failures)
                    ),
                );
            }
        }
        if let Some(one) = obj.get("oneOf").and_then(Value::as_array) {
            let mut failures = Vec::new();
            let mut matches = Vec::new();
            for (i, s) in one.iter().enumerate() {
                let (ok, sub) = self.passes(s, &format!("{loc}/oneOf/{i}"), value, ptr, depth);
                if ok {
                    matches.push(i);
                } else {
                    failures.push(sub);
                }
            }
            match matches.len() {
                1 => {}
                0 => Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/oneOf"),
                    format!(
                        "{} matches none of the {} oneOf alternatives:{}",
                        describe(value),
                        one.len(),
                        branch_report(&failures)
                    ),
                ),
                _ => Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/oneOf"),
                    format!(
                        "{} matches more than one oneOf alternative (alternatives {matches:?}); exactly one must match",
                        describe(value)
                    ),
                ),
            }
        }
        if let Some(not) = obj.get("not") {
            let (ok, _) = self.passes(not, &format!("{loc}/not"), value, ptr, depth);
            if ok {
                Self::issue(
                    out,
                    ptr,
                    &format!("{loc}/not"),
                    format!("{} matches the `not` schema", describe(value)),
                );
            }
        }
        if let Some(cond) = obj.get("if") {
            let (ok, _) = self.passes(cond, &format!("{loc}/if"), value, ptr, depth);
            let (kw, branch) = if ok {
                ("then", obj.get("then"))
            } else {
                ("else", obj.get("else"))
            };
            if let Some(b) = branch {
                self.check(b, &format!("{loc}/{kw}"), value, ptr, depth, out);
            }
        }
    }
}

// ----- helpers -----------------------------------------------------------------

fn type_matches(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => is_integer(v),
        _ => false,
    }
}

fn is_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

/// JSON Schema equality: numbers compare by value (1 == 1.0), objects ignore key order.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn short(v: &Value, max: usize) -> String {
    let s = v.to_string();
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if is_integer(v) => format!("integer {n}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => format!("string {}", short(v, 80)),
        Value::Array(a) => format!("array of {} items", a.len()),
        Value::Object(o) => {
            let keys: Vec<&str> = o.keys().map(String::as_str).take(12).collect();
            let more = if o.len() > 12 { ", …" } else { "" };
            format!("object with keys [{}{more}]", keys.join(", "))
        }
    }
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn display_ptr(ptr: &str) -> String {
    if ptr.is_empty() {
        "`` (the whole body)".to_owned()
    } else {
        format!("`{ptr}`")
    }
}

/// Summarises why each alternative of an anyOf/oneOf failed (first few issues each).
fn branch_report(failures: &[Vec<Issue>]) -> String {
    let mut s = String::new();
    for (i, f) in failures.iter().enumerate() {
        let _ = write!(s, " [alternative {i}:");
        for (j, issue) in f.iter().take(3).enumerate() {
            let sep = if j == 0 { " " } else { "; " };
            let _ = write!(s, "{sep}at {}: {}", display_ptr(&issue.ptr), issue.msg);
        }
        if f.len() > 3 {
            let _ = write!(s, "; … {} more", f.len() - 3);
        }
        s.push(']');
    }
    s
}

fn format_issues(issues: &[Issue]) -> String {
    let mut s = String::new();
    for i in issues.iter().take(MAX_REPORTED) {
        let _ = writeln!(
            s,
            "  - at JSON pointer {}: {} (schema {})",
            display_ptr(&i.ptr),
            i.msg,
            i.schema
        );
    }
    if issues.len() > MAX_REPORTED {
        let _ = writeln!(s, "  - … and {} more problems", issues.len() - MAX_REPORTED);
    }
    s
}

fn escape_pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Strips scheme/host, query and fragment, and a trailing slash.
fn normalize_request_path(path: &str) -> String {
    let mut p = path;
    for scheme in ["http://", "https://"] {
        if let Some(rest) = p.strip_prefix(scheme) {
            p = rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    let p = p.split(['?', '#']).next().unwrap_or("");
    let mut p = p.to_owned();
    if !p.starts_with('/') {
        p.insert(0, '/');
    }
    while p.len() > 1 && p.ends_with('/') {
        p.pop();
    }
    p
}

fn split_path(p: &str) -> Vec<&str> {
    p.trim_start_matches('/').split('/').collect()
}

fn parse_seg(s: &str) -> Seg {
    if !s.contains('{') {
        return Seg::Literal(s.to_owned());
    }
    if s.starts_with('{') && s.ends_with('}') && s.matches('{').count() == 1 {
        return Seg::Param;
    }
    // Mixed literal text and parameters: `{name}` becomes `[^/]+`, the rest is literal.
    let mut re = String::from("^");
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        re.push_str(&regex::escape(&rest[..open]));
        match rest[open..].find('}') {
            Some(close) => {
                re.push_str(".+?");
                rest = &rest[open + close + 1..];
            }
            None => {
                re.push_str(&regex::escape(&rest[open..]));
                rest = "";
            }
        }
    }
    re.push_str(&regex::escape(rest));
    re.push('$');
    Seg::Mixed(regex::Regex::new(&re).expect("path template segment regex"))
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are; invalid UTF-8 is replaced).
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> &'static Spec {
        Spec::get()
    }

    // ----- operation_id -------------------------------------------------------

    #[test]
    fn operation_id_for_common_paths() {
        let s = spec();
        let cases = [
            ("GET", "/v2/actor-runs/AbC123", "actorRun_get"),
            ("GET", "/v2/actors/X/runs/last", "actor_runs_last_get"),
            ("GET", "/v2/actors/X/runs/R1", "actors_run_get"),
            (
                "POST",
                "/v2/acts/X/run-sync-get-dataset-items",
                "actor_runSyncGetDatasetItems_post",
            ),
            (
                "POST",
                "/v2/acts/apify~hello-world/runs",
                "actors_runs_post",
            ),
            ("GET", "/v2/acts/apify~hello-world", "actor_get"),
            ("GET", "/v2/acts", "actors_get"),
            (
                "GET",
                "/v2/key-value-stores/X/records/my-key",
                "keyValueStore_record_get",
            ),
            ("GET", "/v2/datasets/X/items", "dataset_items_get"),
            ("GET", "/v2/users/me", "users_me_get"),
            ("GET", "/v2/users/someUserId", "user_get"),
            (
                "GET",
                "/v2/actors/X/builds/default",
                "actor_build_default_get",
            ),
            ("GET", "/v2/actors/X/builds/B1", "actors_build_get"),
            ("HEAD", "/v2/datasets/X/items", "dataset_items_head"),
        ];
        for (m, p, want) in cases {
            assert_eq!(s.operation_id(m, p).as_deref(), Some(want), "{m} {p}");
        }
    }

    #[test]
    fn operation_id_normalisation() {
        let s = spec();
        // Percent-encoded segments, including an encoded slash inside one segment.
        assert_eq!(
            s.operation_id("GET", "/v2/key-value-stores/X/records/a%2Fb%20c")
                .as_deref(),
            Some("keyValueStore_record_get")
        );
        assert_eq!(
            s.operation_id("GET", "/v2/users/%6De").as_deref(),
            Some("users_me_get")
        );
        assert_eq!(
            s.operation_id("GET", "/v2/acts/apify%7Ehello-world/runs/last")
                .as_deref(),
            Some("actor_runs_last_get")
        );
        // Lower-case method, trailing slash, query string, absolute URL.
        assert_eq!(
            s.operation_id("get", "/v2/datasets/X/").as_deref(),
            Some("dataset_get")
        );
        assert_eq!(
            s.operation_id("GET", "/v2/datasets/X/items?format=json")
                .as_deref(),
            Some("dataset_items_get")
        );
        assert_eq!(
            s.operation_id("DELETE", "http://127.0.0.1:8080/v2/datasets/X")
                .as_deref(),
            Some("dataset_delete")
        );
        // Unknown paths / methods.
        assert_eq!(s.operation_id("GET", "/v2/nope"), None);
        assert_eq!(s.operation_id("GET", "/v2/datasets/X/items/extra"), None);
        assert_eq!(s.operation_id("PATCH", "/v2/datasets/X"), None);
        assert_eq!(s.operation_id("BREW", "/v2/datasets/X"), None);
        // Path first: `/v2/users/me` exists, so PUT there does not fall back to `{userId}`.
        assert_eq!(s.operation_id("PUT", "/v2/users/me"), None);
    }

    /// Every operation in the spec is found again from its own template with dummy parameters.
    #[test]
    fn every_operation_is_routable() {
        let s = spec();
        let mut n = 0;
        for (template, item) in s.doc["paths"].as_object().unwrap() {
            let concrete: Vec<String> = split_path(template)
                .iter()
                .map(|seg| {
                    if seg.contains('{') {
                        "zQ9dummy".to_owned()
                    } else {
                        (*seg).to_owned()
                    }
                })
                .collect();
            let concrete = format!("/{}", concrete.join("/"));
            for (m, op) in item.as_object().unwrap() {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                assert_eq!(
                    s.operation_id(m, &concrete).as_deref(),
                    Some(id),
                    "{m} {template}"
                );
                n += 1;
            }
        }
        assert_eq!(
            n, 231,
            "operation count changed; update this test if the spec grew"
        );
    }

    #[test]
    fn load_panics_with_the_path() {
        let missing = Path::new("/nonexistent/dir/openapi.json");
        let err = std::panic::catch_unwind(|| Spec::load_from(missing))
            .err()
            .unwrap();
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("/nonexistent/dir/openapi.json"), "{msg}");
        assert!(msg.contains("APIFY_OPENAPI_PATH"), "{msg}");
    }

    // ----- survey ---------------------------------------------------------------

    fn survey_schema(s: &Value, where_: &str, unknown: &mut Vec<String>) {
        let Some(o) = s.as_object() else { return };
        for (k, v) in o {
            let known = HANDLED_KEYWORDS.contains(&k.as_str())
                || IGNORED_KEYWORDS.contains(&k.as_str())
                || k.starts_with("x-");
            if !known {
                unknown.push(format!("{where_}: {k}"));
            }
            match k.as_str() {
                "properties" | "patternProperties" | "$defs" | "definitions"
                | "dependentSchemas" => {
                    if let Some(m) = v.as_object() {
                        for (name, sub) in m {
                            survey_schema(sub, &format!("{where_}/{k}/{name}"), unknown);
                        }
                    }
                }
                "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                    for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                        survey_schema(sub, &format!("{where_}/{k}/{i}"), unknown);
                    }
                }
                "items"
                | "additionalProperties"
                | "not"
                | "contains"
                | "propertyNames"
                | "if"
                | "then"
                | "else"
                | "additionalItems"
                | "contentSchema"
                | "unevaluatedProperties"
                | "unevaluatedItems" => match v {
                    Value::Array(a) => {
                        for (i, sub) in a.iter().enumerate() {
                            survey_schema(sub, &format!("{where_}/{k}/{i}"), unknown);
                        }
                    }
                    _ => survey_schema(v, &format!("{where_}/{k}"), unknown),
                },
                _ => {}
            }
        }
    }

    /// Walks the non-schema parts of the document and surveys every `schema`.
    fn survey_doc(v: &Value, where_: &str, unknown: &mut Vec<String>, count: &mut usize) {
        match v {
            Value::Object(o) => {
                for (k, sub) in o {
                    let w = format!("{where_}/{k}");
                    match k.as_str() {
                        "example" | "examples" => {}
                        "schema" => {
                            *count += 1;
                            survey_schema(sub, &w, unknown);
                        }
                        "schemas" if where_ == "#/components" => {
                            for (name, s) in sub.as_object().unwrap() {
                                *count += 1;
                                survey_schema(s, &format!("{w}/{name}"), unknown);
                            }
                        }
                        _ => survey_doc(sub, &w, unknown, count),
                    }
                }
            }
            Value::Array(a) => {
                for (i, sub) in a.iter().enumerate() {
                    survey_doc(sub, &format!("{where_}/{i}"), unknown, count);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_schema_keyword_is_known() {
        let s = spec();
        let mut unknown = Vec::new();
        let mut count = 0;
        survey_doc(&s.doc, "#", &mut unknown, &mut count);
        assert!(count > 500, "surveyed only {count} schemas");
        assert!(
            unknown.is_empty(),
            "schema keywords neither handled nor ignored by the validator:\n{}",
            unknown.join("\n")
        );
    }

    #[test]
    fn all_refs_resolve_and_patterns_compile() {
        fn walk(s: &Spec, v: &Value, bad: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    for (k, sub) in o {
                        let problem = match (k.as_str(), sub.as_str()) {
                            ("$ref", Some(r)) => s.resolve_ref(r).err(),
                            ("pattern", Some(p)) => s.regex(p).err(),
                            _ => None,
                        };
                        bad.extend(problem);
                        walk(s, sub, bad);
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(s, x, bad)),
                _ => {}
            }
        }
        let mut bad = Vec::new();
        walk(spec(), &spec().doc, &mut bad);
        assert!(bad.is_empty(), "{bad:?}");
    }

    /// The spec's own examples (media-type `example`s, component `example`s and
    /// 3.1 `examples` arrays) validate: guards against a validator that is too strict.
    /// The examples live only in the upstream document (the reduced copy drops them).
    #[test]
    fn spec_examples_validate() {
        fn collect<'a>(v: &'a Value, loc: String, out: &mut Vec<(String, &'a Value, &'a Value)>) {
            match v {
                Value::Object(o) => {
                    if let (Some(s), Some(e)) = (o.get("schema"), o.get("example")) {
                        out.push((format!("{loc}/example"), s, e));
                    }
                    let schema_like = ["type", "$ref", "enum", "allOf", "anyOf", "oneOf"]
                        .iter()
                        .any(|k| o.contains_key(*k));
                    if schema_like {
                        if let Some(e) = o.get("example") {
                            out.push((format!("{loc}/example"), v, e));
                        }
                        for (i, e) in o
                            .get("examples")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .enumerate()
                        {
                            out.push((format!("{loc}/examples/{i}"), v, e));
                        }
                    }
                    for (k, sub) in o {
                        if k != "example" && k != "examples" {
                            collect(sub, format!("{loc}/{}", escape_pointer_token(k)), out);
                        }
                    }
                }
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        collect(x, format!("{loc}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
        let Some(upstream) = upstream_path() else {
            eprintln!("skipped: the upstream OpenAPI document is not on this machine (APIFY_OPENAPI_UPSTREAM)");
            return;
        };
        let s = &Spec::load_from(&upstream);
        let mut examples = Vec::new();
        collect(&s.doc, "#".to_owned(), &mut examples);
        assert!(
            examples.len() > 500,
            "found only {} examples",
            examples.len()
        );
        let failures: Vec<String> = examples
            .iter()
            .filter_map(|(loc, schema, example)| s.validate_schema_at(schema, loc, example).err())
            .collect();
        assert!(
            failures.is_empty(),
            "{} spec examples fail:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    // ----- validation with real schemas ------------------------------------------

    fn good_run() -> Value {
        json!({
            "id": "HG7ML7M8z78YcAPEB",
            "actId": "HDSasDasz78YcAPEB",
            "userId": "7sT5jcggjjA9fNcxF",
            "actorTaskId": null,
            "startedAt": "2019-11-30T07:34:24.202Z",
            "finishedAt": null,
            "status": "RUNNING",
            "statusMessage": null,
            "meta": { "origin": "API", "userAgent": "libapify" },
            "stats": { "inputBodyLen": 240, "restartCount": 0, "computeUnits": 0.0 },
            "options": { "build": "latest", "timeoutSecs": 300, "memoryMbytes": 1024, "diskMbytes": 2048 },
            "buildId": "7sT5jcggjjA9fNcxF",
            "buildNumber": "0.0.36",
            "exitCode": null,
            "defaultKeyValueStoreId": "eJNzqsbPiopwJcgGQ",
            "defaultDatasetId": "wmKPijuyDnPZAPRMk",
            "defaultRequestQueueId": "FL35cSF7jrxr3BY39",
            "generalAccess": "RESTRICTED",
            "usage": null,
            "chargedEventCounts": { "actor-start": 1 }
        })
    }

    const RUN_PATH: &str = "/v2/acts/apify~hello-world/runs";

    #[test]
    fn accepts_good_run() {
        let s = spec();
        let body = json!({ "data": good_run() });
        assert_eq!(s.validate_response("POST", RUN_PATH, 201, &body), Ok(true));
        assert_eq!(
            s.validate_response("GET", "/v2/actor-runs/HG7ML7M8z78YcAPEB", 200, &body),
            Ok(true)
        );
        assert_eq!(
            s.validate_response("GET", "/v2/actors/X/runs/last", 200, &body),
            Ok(true)
        );
    }

    #[test]
    fn run_required_fields_match_the_spec() {
        let run = spec().resolve_ref("#/components/schemas/Run").unwrap();
        let required: Vec<&str> = run["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for f in [
            "id",
            "actId",
            "userId",
            "startedAt",
            "status",
            "meta",
            "stats",
            "options",
            "buildId",
            "defaultKeyValueStoreId",
            "defaultDatasetId",
            "defaultRequestQueueId",
            "generalAccess",
        ] {
            assert!(
                required.contains(&f),
                "Run.required lacks {f}: {required:?}"
            );
        }
    }

    #[test]
    fn rejects_missing_required_field() {
        let s = spec();
        let mut run = good_run();
        run.as_object_mut().unwrap().remove("defaultDatasetId");
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("actors_runs_post"), "{err}");
        assert!(err.contains("201"), "{err}");
        assert!(err.contains("`/data`"), "{err}");
        assert!(
            err.contains("missing required property \"defaultDatasetId\""),
            "{err}"
        );
        // The wrapper itself.
        let err = s
            .validate_response("POST", RUN_PATH, 201, &good_run())
            .unwrap_err();
        assert!(err.contains("missing required property \"data\""), "{err}");
    }

    #[test]
    fn rejects_wrong_type() {
        let s = spec();
        let mut run = good_run();
        run["options"]["timeoutSecs"] = json!("300");
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("`/data/options/timeoutSecs`"), "{err}");
        assert!(err.contains("expected type \"integer\""), "{err}");
        // integer means no fractional part; 300.0 counts as integer, 300.5 does not.
        let mut run = good_run();
        run["options"]["timeoutSecs"] = json!(300.0);
        assert_eq!(
            s.validate_response("POST", RUN_PATH, 201, &json!({ "data": run })),
            Ok(true)
        );
        let mut run = good_run();
        run["options"]["timeoutSecs"] = json!(300.5);
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("`/data/options/timeoutSecs`"), "{err}");
        // minimum / maximum
        let mut run = good_run();
        run["options"]["memoryMbytes"] = json!(64);
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("less than the minimum 128"), "{err}");
        let mut run = good_run();
        run["options"]["memoryMbytes"] = json!(65536);
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("greater than the maximum 32768"), "{err}");
    }

    #[test]
    fn null_only_where_allowed() {
        let s = spec();
        // ["string","null"]: null accepted.
        let mut run = good_run();
        run["statusMessage"] = Value::Null;
        assert_eq!(
            s.validate_response("POST", RUN_PATH, 201, &json!({ "data": run })),
            Ok(true)
        );
        // "string": null rejected.
        let mut run = good_run();
        run["defaultDatasetId"] = Value::Null;
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("`/data/defaultDatasetId`"), "{err}");
        assert!(err.contains("found null"), "{err}");
        // anyOf [RunUsage, null]: null accepted, a string rejected.
        let mut run = good_run();
        run["usage"] = json!("lots");
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("anyOf"), "{err}");
    }

    #[test]
    fn rejects_bad_enum_value() {
        let s = spec();
        let mut run = good_run();
        run["status"] = json!("DONE");
        let err = s
            .validate_response("GET", "/v2/actor-runs/x", 200, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("actorRun_get"), "{err}");
        assert!(err.contains("`/data/status`"), "{err}");
        assert!(err.contains("\"DONE\" is not one of"), "{err}");
        assert!(err.contains("#/components/schemas/ActorJobStatus"), "{err}");
        let mut run = good_run();
        run["generalAccess"] = json!("EVERYONE");
        let r = s.validate_response("GET", "/v2/actor-runs/x", 200, &json!({ "data": run }));
        assert!(r.is_err(), "{r:?}");
    }

    #[test]
    fn rejects_bad_pattern() {
        let s = spec();
        let mut run = good_run();
        run["buildNumber"] = json!("0.0");
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(
            err.contains("`/data/buildNumber`") && err.contains("pattern"),
            "{err}"
        );
    }

    #[test]
    fn one_of_with_const_discriminated_branches() {
        let s = spec();
        let ppe = json!({
            "pricingModel": "PAY_PER_EVENT",
            "apifyMarginPercentage": 0.2,
            "createdAt": "2024-01-01T00:00:00.000Z",
            "startedAt": "2024-01-01T00:00:00.000Z",
            "pricingPerEvent": { "actorChargeEvents": {
                "actor-start": { "eventTitle": "Start", "eventDescription": "Run started", "eventPriceUsd": 0.01 }
            } }
        });
        assert_eq!(s.validate_component("ActorRunPricingInfo", &ppe), Ok(()));
        let free = json!({
            "pricingModel": "FREE",
            "apifyMarginPercentage": 0,
            "createdAt": "2024-01-01T00:00:00.000Z",
            "startedAt": "2024-01-01T00:00:00.000Z"
        });
        assert_eq!(s.validate_component("ActorRunPricingInfo", &free), Ok(()));
        let mut bad = free.clone();
        bad["pricingModel"] = json!("BOGUS");
        let err = s
            .validate_component("ActorRunPricingInfo", &bad)
            .unwrap_err();
        assert!(
            err.contains("matches none of the 4 oneOf alternatives"),
            "{err}"
        );
        // Inside a run, with the pointer.
        let mut run = good_run();
        run["pricingInfo"] = bad;
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("`/data/pricingInfo`"), "{err}");
    }

    #[test]
    fn one_of_matching_two_is_rejected() {
        let s = spec();
        // A real oneOf from the spec (string | integer) matches exactly one.
        let real = json!({ "oneOf": [ { "type": "string" }, { "type": "integer" } ] });
        assert_eq!(s.validate_schema(&real, &json!(1024)), Ok(()));
        // Two branches that both accept an integer.
        let schema = json!({ "oneOf": [
            { "$ref": "#/components/schemas/ActorDefinition/properties/defaultMemoryMbytes" },
            { "type": "number", "minimum": 0 }
        ] });
        let err = s.validate_schema(&schema, &json!(1024)).unwrap_err();
        assert!(err.contains("more than one oneOf alternative"), "{err}");
        assert_eq!(s.validate_schema(&schema, &json!("2 * 1024")), Ok(()));
        assert_eq!(s.validate_schema(&schema, &json!(1.5)), Ok(()));
        assert!(s.validate_schema(&schema, &json!(null)).is_err());
    }

    #[test]
    fn additional_properties_false_and_schema() {
        let s = spec();
        // POST /v2/actor-runs/{runId}/charge -> 201 {"type":"object","additionalProperties":false}
        let p = "/v2/actor-runs/R/charge";
        assert_eq!(s.validate_response("POST", p, 201, &json!({})), Ok(true));
        let err = s
            .validate_response("POST", p, 201, &json!({ "ok": true }))
            .unwrap_err();
        assert!(
            err.contains("`/ok`") && err.contains("additionalProperties is false"),
            "{err}"
        );
        // chargedEventCounts: additionalProperties {type: integer}
        let mut run = good_run();
        run["chargedEventCounts"] = json!({ "a": 1, "b/c": "x" });
        let err = s
            .validate_response("POST", RUN_PATH, 201, &json!({ "data": run }))
            .unwrap_err();
        assert!(err.contains("`/data/chargedEventCounts/b~1c`"), "{err}");
    }

    #[test]
    fn list_and_error_responses() {
        let s = spec();
        let list = json!({ "data": {
            "total": 1, "offset": 0, "limit": 1000, "desc": false, "count": 1,
            "items": [ {
                "id": "a", "actId": "b", "status": "SUCCEEDED", "startedAt": "2019-11-30T07:34:24.202Z",
                "buildId": "c", "meta": { "origin": "WEB" }, "usageTotalUsd": 0.1,
                "defaultKeyValueStoreId": "d", "defaultDatasetId": "e", "defaultRequestQueueId": "f"
            } ]
        } });
        assert_eq!(
            s.validate_response("GET", "/v2/acts/X/runs", 200, &list),
            Ok(true)
        );
        let mut bad = list.clone();
        bad["data"]["items"][0]
            .as_object_mut()
            .unwrap()
            .remove("usageTotalUsd");
        let err = s
            .validate_response("GET", "/v2/actor-runs", 200, &bad)
            .unwrap_err();
        assert!(
            err.contains("actorRuns_get") && err.contains("`/data/items/0`"),
            "{err}"
        );
        // Error bodies come from `#/components/responses/NotFound`, a `$ref`ed response.
        let e = json!({ "error": { "type": "record-not-found", "message": "Actor run was not found" } });
        assert_eq!(
            s.validate_response("GET", "/v2/actor-runs/nope", 404, &e),
            Ok(true)
        );
        let e = json!({ "error": { "type": "no-such-error-type", "message": "x" } });
        let err = s
            .validate_response("GET", "/v2/actor-runs/nope", 404, &e)
            .unwrap_err();
        assert!(err.contains("`/error/type`"), "{err}");
    }

    #[test]
    fn ok_false_when_nothing_to_validate() {
        let s = spec();
        let body = json!({});
        // No such operation.
        assert_eq!(
            s.validate_response("GET", "/v2/nope", 200, &body),
            Ok(false)
        );
        // Status not documented and no 2XX/default entry.
        assert_eq!(
            s.validate_response("GET", "/v2/actor-runs/x", 299, &body),
            Ok(false)
        );
        // 204 has no content.
        assert_eq!(
            s.validate_response("DELETE", "/v2/datasets/x", 204, &body),
            Ok(false)
        );
        // Only text/plain content (log).
        assert_eq!(
            s.validate_response("GET", "/v2/actor-runs/x/log", 200, &body),
            Ok(false)
        );
    }

    #[test]
    fn status_fallbacks_2xx_and_default() {
        let doc = json!({
            "paths": { "/v2/thing/{id}": { "get": {
                "operationId": "thing_get",
                "responses": {
                    "2XX": { "content": { "application/json; charset=utf-8": { "schema": { "type": "object", "required": ["a"] } } } },
                    "default": { "$ref": "#/components/responses/Err" }
                }
            } } },
            "components": {
                "responses": { "Err": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/E" } } } } },
                "schemas": { "E": { "type": "object", "required": ["error"] } }
            }
        });
        let s = Spec::from_value(doc, PathBuf::from("<inline>"));
        assert_eq!(
            s.validate_response("GET", "/v2/thing/1", 200, &json!({ "a": 1 })),
            Ok(true)
        );
        let r = s.validate_response("GET", "/v2/thing/1", 201, &json!({}));
        assert!(r.as_ref().is_err_and(|e| e.contains("2XX")), "{r:?}");
        assert_eq!(
            s.validate_response("GET", "/v2/thing/1", 500, &json!({ "error": 1 })),
            Ok(true)
        );
        let r = s.validate_response("GET", "/v2/thing/1", 404, &json!({}));
        assert!(r.is_err(), "{r:?}");
    }

    #[test]
    fn recursive_refs_terminate() {
        let doc = json!({
            "paths": {},
            "components": { "schemas": {
                // Data-driven recursion: fine.
                "Tree": { "type": "object", "properties": { "children": { "type": "array", "items": { "$ref": "#/components/schemas/Tree" } } } },
                // A cycle that never descends into the value.
                "Loop": { "allOf": [ { "$ref": "#/components/schemas/Loop2" } ] },
                "Loop2": { "anyOf": [ { "$ref": "#/components/schemas/Loop" } ] },
                "SelfRef": { "$ref": "#/components/schemas/SelfRef" }
            } }
        });
        let s = Spec::from_value(doc, PathBuf::from("<inline>"));
        let tree = json!({ "children": [ { "children": [ { "children": [] } ] }, {} ] });
        assert_eq!(s.validate_component("Tree", &tree), Ok(()));
        let bad = json!({ "children": [ { "children": 5 } ] });
        let err = s.validate_component("Tree", &bad).unwrap_err();
        assert!(err.contains("`/children/0/children`"), "{err}");
        for name in ["Loop", "SelfRef"] {
            let r = s.validate_component(name, &json!(1));
            assert!(r.as_ref().is_err_and(|e| e.contains("circular")), "{r:?}");
        }
    }

    #[test]
    fn generic_keywords() {
        let s = spec();
        // (schema, value, should pass)
        let cases = [
            (
                json!({ "type": "string", "nullable": true }),
                json!(null),
                true,
            ),
            (json!({ "type": "string" }), json!(null), false),
            (
                json!({ "type": ["string", "object", "null"] }),
                json!(1),
                false,
            ),
            (json!({ "const": 1 }), json!(1.0), true),
            (
                json!({ "enum": [{ "a": [1, 2] }] }),
                json!({ "a": [1, 2] }),
                true,
            ),
            (json!({ "minLength": 2, "maxLength": 3 }), json!("éé"), true),
            (json!({ "minLength": 2 }), json!("é"), false),
            (json!({ "maxLength": 1 }), json!("ab"), false),
            (json!({ "minItems": 1 }), json!([]), false),
            (json!({ "maxItems": 1 }), json!([1, 2]), false),
            (json!({ "uniqueItems": true }), json!([1, 1.0]), false),
            (
                json!({ "prefixItems": [{ "type": "string" }], "items": { "type": "integer" } }),
                json!(["a", 1, 2]),
                true,
            ),
            (
                json!({ "prefixItems": [{ "type": "string" }], "items": { "type": "integer" } }),
                json!(["a", "b"]),
                false,
            ),
            (json!({ "exclusiveMinimum": 0 }), json!(0), false),
            (
                json!({ "minimum": 0, "exclusiveMinimum": true }),
                json!(0),
                false,
            ),
            (json!({ "exclusiveMaximum": 10 }), json!(9.5), true),
            (json!({ "multipleOf": 0.5 }), json!(2.5), true),
            (json!({ "multipleOf": 2 }), json!(3), false),
            (json!({ "not": { "type": "null" } }), json!(null), false),
            (
                json!({ "allOf": [{ "minimum": 1 }, { "maximum": 3 }] }),
                json!(4),
                false,
            ),
            (
                json!({ "patternProperties": { "^x-": { "type": "string" } }, "additionalProperties": false }),
                json!({ "x-a": "1" }),
                true,
            ),
            (
                json!({ "patternProperties": { "^x-": { "type": "string" } }, "additionalProperties": false }),
                json!({ "y": "1" }),
                false,
            ),
            (
                json!({ "if": { "required": ["a"] }, "then": { "required": ["b"] } }),
                json!({ "a": 1 }),
                false,
            ),
            (json!({ "contains": { "const": 2 } }), json!([1, 3]), false),
            (
                json!({ "$ref": "#/components/schemas/RunOrigin" }),
                json!("API"),
                true,
            ),
            (
                json!({ "$ref": "#/components/schemas/RunOrigin" }),
                json!("api"),
                false,
            ),
            // `$ref` with a sibling keyword (the spec's `Request` does this): both apply.
            (
                json!({ "$ref": "#/components/schemas/RunOrigin", "minLength": 4 }),
                json!("API"),
                false,
            ),
            (json!(false), json!(1), false),
            (json!(true), json!(1), true),
        ];
        for (schema, value, pass) in cases {
            let r = s.validate_schema(&schema, &value);
            assert_eq!(r.is_ok(), pass, "schema {schema} value {value}: {r:?}");
        }
        let r = s.validate_schema(&json!({ "$ref": "#/components/schemas/NoSuch" }), &json!(1));
        assert!(
            r.as_ref().is_err_and(|e| e.contains("unresolvable")),
            "{r:?}"
        );
    }

    #[test]
    fn dataset_items_and_records() {
        let s = spec();
        let items = json!([ { "foo": "bar" }, { "n": 1 } ]);
        assert_eq!(
            s.validate_response("GET", "/v2/datasets/X/items", 200, &items),
            Ok(true)
        );
        assert_eq!(
            s.validate_response("POST", "/v2/acts/X/run-sync-get-dataset-items", 201, &items),
            Ok(true)
        );
        // The spec types dataset items as objects only.
        let r = s.validate_response("GET", "/v2/datasets/X/items", 200, &json!([1]));
        assert!(r.is_err(), "{r:?}");
        // Record GET: application/json schema is an object (RecordResponse).
        assert_eq!(
            s.validate_response(
                "GET",
                "/v2/key-value-stores/X/records/k",
                200,
                &json!({ "a": 1 })
            ),
            Ok(true)
        );
    }
}
