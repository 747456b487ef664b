//! The schedule part of the emulator's state: schedules, their logs, and which runs they
//! started. Kept beside `state`, which holds them behind its one lock.

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
    /// The time the schedule last fired for (its scheduled time, not when the runs began).
    pub last_run_at: Option<u64>,
    /// When it fires next (`None`: disabled): set when stored, moved on by each firing.
    pub next_fire: Option<u64>,
    /// Its invocations, oldest first, at most [`MAX_LOG`].
    pub log: Vec<ScheduleLogItem>,
    /// The runs its last firing started (for `isExclusive`).
    pub last_runs: Vec<String>,
}

/// The most invocations a schedule's log keeps.
pub(crate) const MAX_LOG: usize = 1000;

/// One invocation of a schedule.
#[derive(Debug, Clone)]
pub(crate) struct ScheduleLogItem {
    pub created_at: u64,
    pub level: &'static str,
    pub message: String,
}

/// What a scheduled run shows in its `meta`: the schedule and the time it fired for.
#[derive(Debug, Clone)]
pub(crate) struct ScheduledRun {
    pub schedule_id: String,
    pub scheduled_at: u64,
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
