//! The server's verdict on an input (`POST /v2/acts/{actorId}/validate-input`) as problems: a
//! 400 `invalid-input` names them in its message (`Field input.count must be >= 0`) and, where
//! the server gives them, as JSON Schema validation errors in the envelope's `data` (`errors`,
//! `validationErrors`, or `invalidItems[].validationErrors`, each `{instancePath, keyword,
//! params, message}`).

use serde_json::Value;

use crate::input_report::InputProblem;
use crate::input_schema::{escape, short, shown_at};

/// The problems a refusal names: its validation errors, else the fields its message names,
/// else the message itself about the whole input.
pub(crate) fn report_of_refusal(
    message: &str,
    data: Option<&Value>,
    input: &Value,
) -> Vec<InputProblem> {
    let listed = data.map(validation_errors).unwrap_or_default();
    let mut problems: Vec<InputProblem> = listed.iter().map(|e| of_error(e, input)).collect();
    if problems.is_empty() {
        problems = of_message(message, input);
    }
    if problems.is_empty() {
        let message = if message.trim().is_empty() {
            "the server refused the input without saying why"
        } else {
            message
        };
        problems.push(InputProblem {
            pointer: String::new(),
            expected: "an input the server accepts".into(),
            given: short(input),
            message: message.to_string(),
        });
    }
    problems
}

/// The validation errors in an error envelope's `data`.
fn validation_errors(data: &Value) -> Vec<&Value> {
    fn list(v: Option<&Value>) -> Vec<&Value> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter(|e| e.is_object()).collect())
            .unwrap_or_default()
    }
    let mut found = list(data.get("errors"));
    found.extend(list(data.get("validationErrors")));
    for item in data
        .get("invalidItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        found.extend(list(item.get("validationErrors")));
    }
    found
}

/// One JSON Schema validation error (`instancePath` or the older `dataPath`, `keyword`,
/// `params`, `message`) as a problem.
fn of_error(e: &Value, input: &Value) -> InputProblem {
    let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default();
    let path = match text("instancePath") {
        "" => text("dataPath"),
        p => p,
    };
    // The older form is a JavaScript path: `.startUrls[0].url`.
    let mut pointer = if path.starts_with('/') || path.is_empty() {
        path.to_string()
    } else {
        path.replace('[', ".")
            .replace(']', "")
            .split('.')
            .filter(|t| !t.is_empty())
            .map(|t| format!("/{}", escape(t)))
            .collect()
    };
    let params = e.get("params").cloned().unwrap_or(Value::Null);
    let param = |k: &str| {
        params
            .get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    };
    let keyword = text("keyword");
    let message = match text("message") {
        "" => format!("fails {keyword}"),
        m => m.to_string(),
    };
    if keyword == "required" {
        if let Some(missing) = param("missingProperty") {
            pointer = format!("{pointer}/{}", escape(missing.trim_start_matches('.')));
        }
    }
    let limit = param("limit").unwrap_or_default();
    let expected = match keyword {
        "required" => "a value: the field is required".to_string(),
        "type" => param("type").unwrap_or_default(),
        "enum" => match params.get("allowedValues").and_then(Value::as_array) {
            Some(values) => {
                let values: Vec<String> = values.iter().map(short).collect();
                format!("one of {}", values.join(", "))
            }
            None => message.clone(),
        },
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
            match param("comparison") {
                Some(c) => format!("{c} {limit}"),
                None => message.clone(),
            }
        }
        "minLength" => format!("at least {limit} characters"),
        "maxLength" => format!("at most {limit} characters"),
        "minItems" => format!("at least {limit} items"),
        "maxItems" => format!("at most {limit} items"),
        "pattern" => format!(
            "a string matching /{}/",
            param("pattern").unwrap_or_default()
        ),
        _ => message.clone(),
    };
    InputProblem {
        given: shown_at(input, &pointer),
        pointer,
        expected,
        message,
    }
}

/// The fields a refusal's message names: the platform's `Field input.a.b <what>` and the
/// emulator's `field 'a' <what>`, one problem each.
fn of_message(message: &str, input: &Value) -> Vec<InputProblem> {
    let mut problems = Vec::new();
    for (marker, quoted) in [("Field input.", false), ("field '", true)] {
        for part in message.split(marker).skip(1) {
            let end = if quoted {
                part.find('\'')
            } else {
                part.find(char::is_whitespace)
            };
            let Some(end) = end else { continue };
            let name = &part[..end];
            let what = part[end + 1..]
                .trim()
                .trim_end_matches([';', ',', '.'])
                .trim();
            let pointer: String = name
                .split('.')
                .filter(|t| !t.is_empty())
                .map(|t| format!("/{}", escape(t)))
                .collect();
            problems.push(InputProblem {
                given: shown_at(input, &pointer),
                pointer,
                expected: what.to_string(),
                message: what.to_string(),
            });
        }
        if !problems.is_empty() {
            break;
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_errors_become_problems() {
        let input = json!({"count": -5, "outcome": "MAYBE", "urls": [{}]});
        let data = json!({"errors": [
            {"instancePath": "/count", "keyword": "minimum",
             "params": {"comparison": ">=", "limit": 0}, "message": "must be >= 0"},
            {"instancePath": "/outcome", "keyword": "enum",
             "params": {"allowedValues": ["SUCCEEDED", "FAILED"]},
             "message": "must be equal to one of the allowed values"},
            {"dataPath": ".urls[0]", "keyword": "required",
             "params": {"missingProperty": "url"}, "message": "should have required property 'url'"}
        ]});
        let problems = report_of_refusal("Input is not valid", Some(&data), &input);
        let short: Vec<(&str, &str, &str)> = problems
            .iter()
            .map(|p| (p.pointer.as_str(), p.expected.as_str(), p.given.as_str()))
            .collect();
        assert_eq!(
            short,
            [
                ("/count", ">= 0", "-5"),
                ("/outcome", "one of \"SUCCEEDED\", \"FAILED\"", "\"MAYBE\""),
                ("/urls/0/url", "a value: the field is required", "(missing)"),
            ]
        );
    }

    #[test]
    fn messages_name_fields() {
        let input = json!({"count": -5, "proxy": {"a": 1}});
        let problems = report_of_refusal(
            "Input is not valid: Field input.count must be >= 0; Field input.proxy.a must be string",
            None,
            &input,
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].pointer, "/count");
        assert_eq!(problems[0].message, "must be >= 0");
        assert_eq!(problems[0].given, "-5");
        assert_eq!(problems[1].pointer, "/proxy/a");
        let problems = report_of_refusal(
            "Input is not valid: field 'count' must be a non-negative integer, got -1",
            Some(&json!({})),
            &input,
        );
        assert_eq!(problems[0].pointer, "/count");
        assert_eq!(
            problems[0].message,
            "must be a non-negative integer, got -1"
        );
        let problems = report_of_refusal("Bad input", None, &input);
        assert_eq!(problems[0].pointer, "");
        assert_eq!(problems[0].message, "Bad input");
    }
}
