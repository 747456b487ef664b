//! The verdict on an input ([`InputReport`], [`InputProblem`]): plain data below both the checks
//! that make it (`input`, `input_schema`, `input_remote`) and the error that carries it.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// The verdict on an input: valid or not, and every problem found.
///
/// Serialized as `{"valid": bool, "errors": [{"pointer", "field", "expected", "given",
/// "message"}]}` (the C ABI's report).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputReport {
    /// True when the input has no problem.
    pub valid: bool,
    /// Every problem, sorted by pointer.
    pub errors: Vec<InputProblem>,
    /// The input as the run would get it: a task's input laid under it and the schema's
    /// `default` values filled in (`None` for the server's check, which does not say).
    #[serde(skip)]
    pub input: Option<Value>,
    /// The Actor or task checked for, as the caller named it.
    #[serde(skip)]
    pub actor: String,
}

/// One problem of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The RFC 6901 JSON pointer of the field, e.g. `/count`, `/startUrls/0/url` (`""`: the
    /// whole input).
    pub pointer: String,
    /// What the schema wants, e.g. `>= 0`, `integer`, `one of "A", "B"`.
    pub expected: String,
    /// What was given, as short JSON text (`(missing)` for a required field that is absent;
    /// `"***"` for a secret field).
    pub given: String,
    /// What is wrong, e.g. `must be >= 0, got -5`.
    pub message: String,
}

impl InputProblem {
    /// The pointer as a field name: no leading slash, dots for nesting (`startUrls.0.url`).
    pub fn field(&self) -> String {
        let tokens: Vec<String> = self
            .pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        tokens.join(".")
    }
}

impl Serialize for InputProblem {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("InputProblem", 5)?;
        m.serialize_field("pointer", &self.pointer)?;
        m.serialize_field("field", &self.field())?;
        m.serialize_field("expected", &self.expected)?;
        m.serialize_field("given", &self.given)?;
        m.serialize_field("message", &self.message)?;
        m.end()
    }
}

impl InputReport {
    /// Every problem as `field: message`, joined by `; ` (`input` names the whole input).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|p| {
                let field = p.field();
                let field = if field.is_empty() {
                    "input".into()
                } else {
                    field
                };
                format!("{field}: {}", p.message)
            })
            .collect();
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_serialize_with_fields() {
        let report = InputReport {
            valid: false,
            errors: vec![InputProblem {
                pointer: "/start~1Urls/0/url".into(),
                expected: "string".into(),
                given: "1".into(),
                message: "must be a string, got 1".into(),
            }],
            input: Some(serde_json::json!({"x": 1})),
            actor: "a/b".into(),
        };
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            serde_json::json!({"valid": false, "errors": [{"pointer": "/start~1Urls/0/url",
                "field": "start/Urls.0.url", "expected": "string", "given": "1",
                "message": "must be a string, got 1"}]})
        );
        assert_eq!(
            report.summary(),
            "start/Urls.0.url: must be a string, got 1"
        );
        let whole = InputProblem {
            pointer: String::new(),
            ..report.errors[0].clone()
        };
        assert_eq!(whole.field(), "");
    }
}
