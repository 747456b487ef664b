//! Typed tasks: the task as the API answers it, its run options, and what creating, updating
//! and listing tasks take. Each model keeps the fields it does not name in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A saved task: an Actor with its own input and run options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Task {
    /// The task's id.
    pub id: String,
    /// The Actor it runs.
    pub act_id: String,
    /// Its name (unique per user).
    pub name: String,
    /// The owner's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The owner's username.
    #[serde(default)]
    pub username: Option<String>,
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub modified_at: Option<String>,
    /// Its run options (absent in list items).
    #[serde(default)]
    pub options: Option<TaskOptions>,
    /// Its saved input (absent in list items).
    #[serde(default)]
    pub input: Option<Value>,
    /// Every other field (`actName`, `stats`, ...), as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A task's run options (also a schedule's `runOptions`); `None` fields are left to the Actor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaskOptions {
    /// Build tag or number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// The run's timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Memory in MB: a power of 2 from 128 to 32768.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mbytes: Option<u32>,
    /// Most dataset items a run may produce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// Most USD a run may charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_total_charge_usd: Option<f64>,
    /// Restart a run that fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_on_error: Option<bool>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

setters!(TaskOptions {
    /// Sets the build tag or number.
    build: text String,
    /// Sets the run's timeout in seconds.
    timeout_secs: some u64,
    /// Sets the memory in MB (a power of 2 from 128 to 32768).
    memory_mbytes: some u32,
    /// Sets the most dataset items a run may produce.
    max_items: some u64,
    /// Sets the most USD a run may charge.
    max_total_charge_usd: some f64,
    /// Sets whether a failed run restarts.
    restart_on_error: some bool,
});

impl TaskOptions {
    /// Checks the values the server would refuse; `what` names the owner in errors.
    pub(crate) fn check(&self, what: &str) -> Result<()> {
        if let Some(m) = self.memory_mbytes {
            if !(128..=32768).contains(&m) || !m.is_power_of_two() {
                return Err(Error::InvalidArgument(format!(
                    "{what}: memory must be a power of 2 from 128 to 32768 MB, got {m}"
                )));
            }
        }
        if let Some(c) = self.max_total_charge_usd {
            if !(c.is_finite() && c >= 0.0) {
                return Err(Error::InvalidArgument(format!(
                    "{what}: max_total_charge_usd must be a non-negative number, got {c}"
                )));
            }
        }
        if self.build.as_deref().is_some_and(|b| b.trim().is_empty()) {
            return Err(Error::InvalidArgument(format!(
                "{what}: the build must not be empty"
            )));
        }
        Ok(())
    }
}

/// A new task: the Actor it runs (id or `username~name`), and optionally its name, title,
/// input and run options.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct TaskCreate {
    /// The Actor's id or `username~name` (`username/name` is taken too).
    pub actor_id: String,
    /// The task's name: 1 to 63 letters, digits and hyphens (default: the server picks one).
    pub name: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its saved input: a JSON object.
    pub input: Option<Value>,
    /// Its run options.
    pub options: Option<TaskOptions>,
}

impl TaskCreate {
    /// A task of this Actor.
    pub fn new(actor_id: impl Into<String>) -> TaskCreate {
        TaskCreate {
            actor_id: actor_id.into(),
            ..TaskCreate::default()
        }
    }

    /// The `POST /v2/actor-tasks` body.
    pub(crate) fn body(&self) -> Result<Value> {
        let actor = self.actor_id.trim();
        if actor.is_empty() {
            return Err(Error::InvalidArgument(
                "a new task needs the Actor's id (TaskCreate::new)".into(),
            ));
        }
        let mut body = Map::new();
        // The API names Actors `username~name` in bodies.
        body.insert("actId".into(), Value::String(actor.replacen('/', "~", 1)));
        fields(
            &mut body,
            self.name.as_ref(),
            self.title.as_ref(),
            self.input.as_ref(),
            self.options.as_ref(),
        )?;
        Ok(Value::Object(body))
    }
}

setters!(TaskCreate {
    /// Sets the task's name (1 to 63 letters, digits and hyphens).
    name: text String,
    /// Sets the title.
    title: text String,
    /// Sets the saved input (a JSON object).
    input: some Value,
    /// Sets the run options.
    options: some TaskOptions,
});

/// What to change on a task: at least one field; the others stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct TaskUpdate {
    /// The new name.
    pub name: Option<String>,
    /// The new title.
    pub title: Option<String>,
    /// The new saved input (a JSON object; replaces the old one).
    pub input: Option<Value>,
    /// The new run options (replace the old ones).
    pub options: Option<TaskOptions>,
}

setters!(TaskUpdate {
    /// Renames the task.
    name: text String,
    /// Sets the title.
    title: text String,
    /// Replaces the saved input (a JSON object).
    input: some Value,
    /// Replaces the run options.
    options: some TaskOptions,
});

impl TaskUpdate {
    /// The `PUT` body.
    pub(crate) fn body(&self) -> Result<Value> {
        let mut body = Map::new();
        fields(
            &mut body,
            self.name.as_ref(),
            self.title.as_ref(),
            self.input.as_ref(),
            self.options.as_ref(),
        )?;
        if body.is_empty() {
            return Err(Error::InvalidArgument(
                "the task update changes nothing: set a name, title, input or options".into(),
            ));
        }
        Ok(Value::Object(body))
    }
}

/// The fields create and update share, checked.
fn fields(
    body: &mut Map<String, Value>,
    name: Option<&String>,
    title: Option<&String>,
    input: Option<&Value>,
    options: Option<&TaskOptions>,
) -> Result<()> {
    if let Some(name) = name {
        check_task_name(name)?;
        body.insert("name".into(), Value::String(name.clone()));
    }
    if let Some(title) = title {
        body.insert("title".into(), Value::String(title.clone()));
    }
    if let Some(input) = input {
        if !input.is_object() {
            return Err(Error::InvalidArgument(format!(
                "a task's input must be a JSON object, got {}",
                crate::input_schema::kind_of(input)
            )));
        }
        body.insert("input".into(), input.clone());
    }
    if let Some(options) = options {
        options.check("the task's options")?;
        let v = serde_json::to_value(options).map_err(|e| {
            Error::InvalidArgument(format!("the task's options cannot be serialized: {e}"))
        })?;
        body.insert("options".into(), v);
    }
    Ok(())
}

/// A task name as the platform takes it: 1 to 63 letters, digits and hyphens.
fn check_task_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "the task name {name:?} is invalid: use 1 to 63 letters, digits and hyphens"
        )))
    }
}

/// Paging for listing tasks.
pub type TaskListOptions = crate::list_options::ListOptions;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_checked_and_camel_cased() {
        let body = TaskCreate::new("apify/hello-world")
            .name("my-task")
            .input(json!({"a": 1}))
            .options(TaskOptions::default().memory_mbytes(256).build("beta"))
            .body()
            .unwrap();
        assert_eq!(
            body,
            json!({"actId": "apify~hello-world", "name": "my-task", "input": {"a": 1},
                   "options": {"memoryMbytes": 256, "build": "beta"}})
        );
        assert!(TaskCreate::new(" ").body().is_err());
        assert!(TaskCreate::new("a").name("bad name").body().is_err());
        assert!(TaskCreate::new("a").input(json!([1])).body().is_err());
        assert!(TaskCreate::new("a")
            .options(TaskOptions::default().memory_mbytes(100))
            .body()
            .is_err());
        assert!(TaskUpdate::default().body().is_err());
        assert_eq!(
            TaskUpdate::default().title("T").body().unwrap(),
            json!({"title": "T"})
        );
        assert!(TaskListOptions::default()
            .limit(0)
            .call("/x", "task")
            .is_err());
    }
}
