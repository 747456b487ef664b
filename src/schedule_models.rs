//! Typed schedules: the schedule as the API answers it, its actions, its log, and what
//! creating, updating and listing schedules take. Each model keeps the fields it does not name
//! in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::task_models::TaskOptions;

/// What an action starts: `RUN_ACTOR`.
pub const RUN_ACTOR: &str = "RUN_ACTOR";
/// What an action starts: `RUN_ACTOR_TASK`.
pub const RUN_ACTOR_TASK: &str = "RUN_ACTOR_TASK";

/// A schedule: when (a cron expression in a time zone) and what (its actions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Schedule {
    /// The schedule's id.
    pub id: String,
    /// Its name (unique per user).
    pub name: String,
    /// When it fires: five cron fields or a shortcut such as `@daily`.
    pub cron_expression: String,
    /// The time zone the expression is read in.
    pub timezone: String,
    /// Whether it fires at all.
    #[serde(default)]
    pub is_enabled: bool,
    /// Whether it skips firing while the runs it started last are still going.
    #[serde(default)]
    pub is_exclusive: bool,
    /// The owner's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub modified_at: Option<String>,
    /// When it fires next (ISO 8601); `None` when disabled.
    #[serde(default)]
    pub next_run_at: Option<String>,
    /// The time it last fired for (ISO 8601).
    #[serde(default)]
    pub last_run_at: Option<String>,
    /// What it starts (list items carry only each action's id, type and target).
    #[serde(default)]
    pub actions: Vec<ScheduleAction>,
    /// Every other field (`notifications`, ...), as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One thing a schedule starts: an Actor run ([`ScheduleAction::run_actor`]) or a task run
/// ([`ScheduleAction::run_task`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScheduleAction {
    /// The action's id (given by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// [`RUN_ACTOR`] or [`RUN_ACTOR_TASK`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The Actor, for `RUN_ACTOR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// The task, for `RUN_ACTOR_TASK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_task_id: Option<String>,
    /// An Actor run's input record, for `RUN_ACTOR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_input: Option<ScheduleRunInput>,
    /// An Actor run's options, for `RUN_ACTOR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_options: Option<TaskOptions>,
    /// The input laid over the task's, for `RUN_ACTOR_TASK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An Actor action's input: the record's text and content type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScheduleRunInput {
    /// The input as text.
    #[serde(default)]
    pub body: Option<String>,
    /// Its content type.
    #[serde(default)]
    pub content_type: Option<String>,
}

impl ScheduleAction {
    /// Starts a run of this Actor (id or `username~name`).
    pub fn run_actor(actor_id: impl Into<String>) -> ScheduleAction {
        ScheduleAction {
            kind: RUN_ACTOR.into(),
            actor_id: Some(actor_id.into().replacen('/', "~", 1)),
            ..ScheduleAction::default()
        }
    }

    /// Starts a run of this task (id or `username~name`).
    pub fn run_task(task_id: impl Into<String>) -> ScheduleAction {
        ScheduleAction {
            kind: RUN_ACTOR_TASK.into(),
            actor_task_id: Some(task_id.into()),
            ..ScheduleAction::default()
        }
    }

    /// The run's JSON input (an object): an Actor action's input record, or what a task
    /// action lays over the task's input.
    pub fn input(mut self, input: Value) -> ScheduleAction {
        if self.kind == RUN_ACTOR {
            self.run_input = Some(ScheduleRunInput {
                body: Some(input.to_string()),
                content_type: Some("application/json; charset=utf-8".into()),
            });
        } else {
            self.input = Some(input);
        }
        self
    }

    /// An Actor action's run options (build, memory, timeout, ...).
    pub fn run_options(mut self, options: TaskOptions) -> ScheduleAction {
        self.run_options = Some(options);
        self
    }

    /// Checks an action before it is sent; `i` numbers it in errors.
    fn check(&self, i: usize) -> Result<()> {
        let bad = |why: String| {
            Err(Error::InvalidArgument(format!(
                "schedule action {i}: {why}"
            )))
        };
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        match self.kind.as_str() {
            RUN_ACTOR if blank(&self.actor_id) => bad("RUN_ACTOR needs the Actor's id".into()),
            RUN_ACTOR if self.input.is_some() => bad(
                "an Actor action's input goes in run_input (ScheduleAction::input does that)"
                    .into(),
            ),
            RUN_ACTOR_TASK if blank(&self.actor_task_id) => {
                bad("RUN_ACTOR_TASK needs the task's id".into())
            }
            RUN_ACTOR_TASK if self.run_input.is_some() || self.run_options.is_some() => {
                bad("a task action takes input only; its options are the task's".into())
            }
            RUN_ACTOR | RUN_ACTOR_TASK => {
                if let Some(input) = &self.input {
                    if !input.is_object() {
                        return bad(format!(
                            "the input must be a JSON object, got {}",
                            crate::input_schema::kind_of(input)
                        ));
                    }
                }
                if let Some(o) = &self.run_options {
                    o.check(&format!("schedule action {i}"))?;
                }
                Ok(())
            }
            other => bad(format!(
                "the type '{other}' is neither RUN_ACTOR nor RUN_ACTOR_TASK"
            )),
        }
    }
}

/// One invocation in a schedule's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScheduleLogEntry {
    /// What happened.
    #[serde(default)]
    pub message: String,
    /// `INFO`, `ERROR`, ...
    #[serde(default)]
    pub level: String,
    /// When (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new schedule: its cron expression, and optionally a name, time zone (default UTC),
/// actions and flags.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ScheduleCreate {
    /// Five cron fields (`minute hour day-of-month month day-of-week`) or a shortcut such as
    /// `@daily`.
    pub cron_expression: String,
    /// The schedule's name: 1 to 63 letters, digits and hyphens.
    pub name: Option<String>,
    /// The time zone the expression is read in (`UTC`, `Europe/Prague`, ...).
    pub timezone: Option<String>,
    /// Whether it fires (the server's default when unset).
    pub is_enabled: Option<bool>,
    /// Whether it skips firing while its last runs still go.
    pub is_exclusive: Option<bool>,
    /// Its title.
    pub title: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// What it starts.
    pub actions: Vec<ScheduleAction>,
}

impl ScheduleCreate {
    /// A schedule firing at `cron_expression`.
    pub fn new(cron_expression: impl Into<String>) -> ScheduleCreate {
        ScheduleCreate {
            cron_expression: cron_expression.into(),
            ..ScheduleCreate::default()
        }
    }

    /// Adds an action.
    pub fn action(mut self, action: ScheduleAction) -> ScheduleCreate {
        self.actions.push(action);
        self
    }

    /// The `POST /v2/schedules` body.
    pub(crate) fn body(&self) -> Result<Value> {
        let update = ScheduleUpdate {
            cron_expression: Some(self.cron_expression.clone()),
            name: self.name.clone(),
            timezone: self.timezone.clone(),
            is_enabled: self.is_enabled,
            is_exclusive: self.is_exclusive,
            title: self.title.clone(),
            description: self.description.clone(),
            actions: Some(self.actions.clone()),
        };
        update.body()
    }
}

setters!(ScheduleCreate {
    /// Sets the name (1 to 63 letters, digits and hyphens).
    name: text String,
    /// Sets the time zone.
    timezone: text String,
    /// Sets whether it fires.
    is_enabled: some bool,
    /// Sets whether it skips firing while its last runs still go.
    is_exclusive: some bool,
    /// Sets the title.
    title: text String,
    /// Sets the description.
    description: text String,
});

/// What to change on a schedule: at least one field; the others stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ScheduleUpdate {
    /// The new cron expression.
    pub cron_expression: Option<String>,
    /// The new name.
    pub name: Option<String>,
    /// The new time zone.
    pub timezone: Option<String>,
    /// Enables or disables it.
    pub is_enabled: Option<bool>,
    /// Sets whether it is exclusive.
    pub is_exclusive: Option<bool>,
    /// The new title.
    pub title: Option<String>,
    /// The new description.
    pub description: Option<String>,
    /// The new actions (replace the old ones; an empty list removes them).
    pub actions: Option<Vec<ScheduleAction>>,
}

setters!(ScheduleUpdate {
    /// Sets the cron expression.
    cron_expression: text String,
    /// Renames it.
    name: text String,
    /// Sets the time zone.
    timezone: text String,
    /// Enables or disables it.
    is_enabled: some bool,
    /// Sets whether it is exclusive.
    is_exclusive: some bool,
    /// Sets the title.
    title: text String,
    /// Sets the description.
    description: text String,
    /// Replaces the actions.
    actions: some Vec<ScheduleAction>,
});

impl ScheduleUpdate {
    /// The `PUT` body (also the create body), checked.
    pub(crate) fn body(&self) -> Result<Value> {
        let mut body = Map::new();
        if let Some(expr) = &self.cron_expression {
            check_cron_shape(expr)?;
            body.insert("cronExpression".into(), Value::String(expr.trim().into()));
        }
        if let Some(name) = &self.name {
            let ok = !name.is_empty()
                && name.len() <= 63
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Err(Error::InvalidArgument(format!(
                    "the schedule name {name:?} is invalid: use 1 to 63 letters, digits and hyphens"
                )));
            }
            body.insert("name".into(), Value::String(name.clone()));
        }
        if let Some(zone) = &self.timezone {
            if zone.trim().is_empty() {
                return Err(Error::InvalidArgument(
                    "the schedule's time zone must not be empty".into(),
                ));
            }
            body.insert("timezone".into(), Value::String(zone.trim().into()));
        }
        for (key, v) in [
            ("isEnabled", self.is_enabled),
            ("isExclusive", self.is_exclusive),
        ] {
            if let Some(b) = v {
                body.insert(key.into(), Value::Bool(b));
            }
        }
        for (key, v) in [("title", &self.title), ("description", &self.description)] {
            if let Some(s) = v {
                body.insert(key.into(), Value::String(s.clone()));
            }
        }
        if let Some(actions) = &self.actions {
            for (i, a) in actions.iter().enumerate() {
                a.check(i)?;
            }
            let v = serde_json::to_value(actions).map_err(|e| {
                Error::InvalidArgument(format!("the schedule's actions cannot be serialized: {e}"))
            })?;
            body.insert("actions".into(), v);
        }
        if body.is_empty() {
            return Err(Error::InvalidArgument(
                "the schedule update changes nothing: set at least one field".into(),
            ));
        }
        Ok(Value::Object(body))
    }
}

/// The shape of a cron expression (five fields or an `@` shortcut); the server checks the rest.
fn check_cron_shape(expr: &str) -> Result<()> {
    let e = expr.trim();
    let fields = e.split_whitespace().count();
    if (e.starts_with('@') && fields == 1) || fields == 5 {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "the cron expression {expr:?} has {fields} fields; it needs 5 (minute hour day-of-month month day-of-week) or a shortcut such as @daily"
    )))
}

/// Paging for listing schedules.
pub type ScheduleListOptions = crate::list_options::ListOptions;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_checked_and_camel_cased() {
        let body = ScheduleCreate::new("0 8 * * 1-5")
            .name("weekday-mornings")
            .timezone("UTC")
            .action(ScheduleAction::run_actor("apify/hello-world").input(json!({"message": "hi"})))
            .action(ScheduleAction::run_task("t1").input(json!({"a": 1})))
            .body()
            .unwrap();
        assert_eq!(
            body,
            json!({"cronExpression": "0 8 * * 1-5", "name": "weekday-mornings", "timezone": "UTC",
                   "actions": [
                       {"type": "RUN_ACTOR", "actorId": "apify~hello-world",
                        "runInput": {"body": "{\"message\":\"hi\"}",
                                     "contentType": "application/json; charset=utf-8"}},
                       {"type": "RUN_ACTOR_TASK", "actorTaskId": "t1", "input": {"a": 1}}]})
        );
        assert!(ScheduleCreate::new("@daily").body().is_ok());
        for bad in ["", "* * *", "@daily extra", "1 2 3 4 5 6"] {
            assert!(ScheduleCreate::new(bad).body().is_err(), "{bad}");
        }
        assert!(ScheduleCreate::new("@daily").name("a b").body().is_err());
        assert!(ScheduleCreate::new("@daily")
            .action(ScheduleAction::run_actor(""))
            .body()
            .is_err());
        assert!(ScheduleCreate::new("@daily")
            .action(ScheduleAction::run_task("t").run_options(TaskOptions::default()))
            .body()
            .is_err());
        assert!(ScheduleCreate::new("@daily")
            .action(ScheduleAction::run_task("t").input(json!([1])))
            .body()
            .is_err());
        assert!(ScheduleUpdate::default().body().is_err());
        assert_eq!(
            ScheduleUpdate::default().is_enabled(false).body().unwrap(),
            json!({"isEnabled": false})
        );
    }
}
