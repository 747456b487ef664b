//! The schedule part of the emulator's state. Kept beside `state`, which holds the schedules
//! behind its one lock.

use serde_json::Value;

/// A schedule: when (a cron expression in a time zone) and what (its actions).
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub id: String,
    /// Creation order (timestamps tie within a millisecond).
    pub seq: u64,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub cron_expression: String,
    pub timezone: String,
    pub is_enabled: bool,
    pub is_exclusive: bool,
    pub notify_by_email: bool,
    pub actions: Vec<ScheduleAction>,
    pub created_at: u64,
    pub modified_at: u64,
    /// When the schedule last started its actions (the emulator does not fire schedules, so
    /// this stays `None`).
    pub last_run_at: Option<u64>,
}

/// One thing a schedule starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScheduleAction {
    pub id: String,
    pub what: ActionTarget,
}

/// An Actor run (with its input record and run options) or a task run (with input laid over
/// the task's).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ActionTarget {
    Actor {
        actor_id: String,
        /// `{"body": string, "contentType": string}` as given.
        run_input: Option<Value>,
        run_options: Option<Value>,
    },
    Task {
        task_id: String,
        input: Option<Value>,
    },
}
