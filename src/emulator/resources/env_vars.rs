//! Environment variables of an Actor version: what a valid one is, and how the API shows it (a
//! secret one never with its value). The routes are in `versions`.

use serde_json::{Map, Value};

use crate::emulator::reply::{json_kind, ApiError};

/// The longest name accepted.
const MAX_NAME: usize = 100;

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "invalid-value", message)
}

/// A name is a shell identifier: letters, digits and `_`, not starting with a digit.
pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || name.len() > MAX_NAME || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(invalid(format!(
            "Environment variable name '{name}' is invalid: use 1 to {MAX_NAME} letters, digits and '_', not starting with a digit"
        )));
    }
    Ok(())
}

/// Checks one variable (`name`, `value`, `isSecret`); `require_value` for a new one.
pub(crate) fn check_env_var(
    var: &Value,
    require_value: bool,
) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(obj) = var else {
        return Err(invalid(format!(
            "An environment variable must be a JSON object, got {}",
            json_kind(var)
        )));
    };
    match obj.get("name") {
        Some(Value::String(n)) => check_name(n)?,
        None | Some(Value::Null) => {
            return Err(invalid("An environment variable needs a string 'name'"))
        }
        Some(other) => {
            return Err(invalid(format!(
                "Environment variable 'name' must be a string, got {}",
                json_kind(other)
            )))
        }
    }
    match obj.get("value") {
        Some(Value::String(_)) => {}
        None if !require_value => {}
        None | Some(Value::Null) => {
            return Err(invalid(format!(
                "Environment variable '{}' needs a string 'value'",
                obj["name"].as_str().unwrap_or_default()
            )))
        }
        Some(other) => {
            return Err(invalid(format!(
                "Environment variable 'value' must be a string, got {}",
                json_kind(other)
            )))
        }
    }
    if let Some(s) = obj
        .get("isSecret")
        .filter(|s| !s.is_null() && !s.is_boolean())
    {
        return Err(invalid(format!(
            "Environment variable 'isSecret' must be a boolean, got {}",
            json_kind(s)
        )));
    }
    let mut out = Map::new();
    for k in ["name", "value", "isSecret"] {
        if let Some(v) = obj.get(k).filter(|v| !v.is_null()) {
            out.insert(k.to_string(), v.clone());
        }
    }
    Ok(out)
}

/// Checks a version's whole list: each variable, and no name twice.
pub(crate) fn check_env_vars(vars: &[Value]) -> Result<Vec<Value>, ApiError> {
    let mut out: Vec<Value> = Vec::with_capacity(vars.len());
    for var in vars {
        let var = check_env_var(var, true)?;
        if out.iter().any(|v| v["name"] == var["name"]) {
            return Err(duplicate(var["name"].as_str().unwrap_or_default()));
        }
        out.push(Value::Object(var));
    }
    Ok(out)
}

pub(crate) fn duplicate(name: &str) -> ApiError {
    ApiError::new(
        400,
        "env-var-already-exists",
        format!("The version already has an environment variable named '{name}'"),
    )
}

/// A variable as the API shows it: a secret one without its value.
pub(crate) fn env_var_json(var: &Value) -> Value {
    let mut var = var.clone();
    if var.get("isSecret").and_then(Value::as_bool) == Some(true) {
        if let Some(o) = var.as_object_mut() {
            o.remove("value");
        }
    }
    var
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_shell_identifiers() {
        for ok in ["A", "_x", "MY_VAR_2", "lower"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "2X", "A-B", "A B", "É", &"A".repeat(101)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_refuse_duplicates_and_secrets_hide_values() {
        let a = json!({"name": "A", "value": "1"});
        assert!(check_env_vars(&[a.clone(), a.clone()]).is_err());
        assert!(check_env_vars(&[json!({"name": "A"})]).is_err());
        let s = json!({"name": "S", "value": "pw", "isSecret": true});
        assert_eq!(env_var_json(&s), json!({"name": "S", "isSecret": true}));
        assert_eq!(env_var_json(&a), a);
    }
}
