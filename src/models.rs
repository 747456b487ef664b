//! Typed views of the API's objects. Each keeps the fields it does not name in `extra`, so new
//! fields from the server are never lost.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The status of a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunStatus {
    /// Created, not started yet.
    Ready,
    /// Running.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Being stopped for exceeding its timeout.
    TimingOut,
    /// Stopped for exceeding its timeout.
    TimedOut,
    /// Being aborted.
    Aborting,
    /// Aborted.
    Aborted,
    /// A status this SDK does not know yet.
    Unknown(String),
}

impl RunStatus {
    /// The API's name of the status (`"TIMED-OUT"`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            RunStatus::Ready => "READY",
            RunStatus::Running => "RUNNING",
            RunStatus::Succeeded => "SUCCEEDED",
            RunStatus::Failed => "FAILED",
            RunStatus::TimingOut => "TIMING-OUT",
            RunStatus::TimedOut => "TIMED-OUT",
            RunStatus::Aborting => "ABORTING",
            RunStatus::Aborted => "ABORTED",
            RunStatus::Unknown(s) => s,
        }
    }

    /// Parses the API's name; unknown names are kept as [`RunStatus::Unknown`].
    pub fn parse(s: &str) -> RunStatus {
        match s {
            "READY" => RunStatus::Ready,
            "RUNNING" => RunStatus::Running,
            "SUCCEEDED" => RunStatus::Succeeded,
            "FAILED" => RunStatus::Failed,
            "TIMING-OUT" => RunStatus::TimingOut,
            "TIMED-OUT" => RunStatus::TimedOut,
            "ABORTING" => RunStatus::Aborting,
            "ABORTED" => RunStatus::Aborted,
            other => RunStatus::Unknown(other.to_string()),
        }
    }

    /// True once the run can no longer change by itself (SUCCEEDED, FAILED, TIMED-OUT, ABORTED).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::TimedOut | RunStatus::Aborted
        )
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RunStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(RunStatus::parse(&s))
    }
}

/// An Actor run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The run's id.
    pub id: String,
    /// The Actor's id.
    pub act_id: String,
    /// The task's id, for a task run.
    #[serde(default)]
    pub actor_task_id: Option<String>,
    /// Current status.
    pub status: RunStatus,
    /// The Actor's status message.
    #[serde(default)]
    pub status_message: Option<String>,
    /// When the run started (ISO 8601).
    pub started_at: String,
    /// When the run finished (ISO 8601), once terminal.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// The process exit code, once finished.
    #[serde(default)]
    pub exit_code: Option<i64>,
    /// The run's default dataset.
    pub default_dataset_id: String,
    /// The run's default key-value store.
    pub default_key_value_store_id: String,
    /// The run's default request queue.
    #[serde(default)]
    pub default_request_queue_id: Option<String>,
    /// The options the run was started with (build, timeoutSecs, memoryMbytes, ...).
    #[serde(default)]
    pub options: Value,
    /// Run statistics.
    #[serde(default)]
    pub stats: Value,
    /// How the run was started: `origin`, `clientIp`, `userAgent` (which ends with the start's
    /// marker for a start made by this SDK), `scheduleId`, ...
    #[serde(default)]
    pub meta: Value,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of a list (runs, tasks, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Total items in the list.
    #[serde(default)]
    pub total: u64,
    /// Offset of this page.
    #[serde(default)]
    pub offset: u64,
    /// The page size asked for.
    #[serde(default)]
    pub limit: u64,
    /// Items on this page.
    #[serde(default)]
    pub count: u64,
    /// Whether the list is in descending order.
    #[serde(default)]
    pub desc: bool,
}

/// A key-value record: its bytes and content type, exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's bytes.
    pub data: Vec<u8>,
    /// The stored `Content-Type`.
    pub content_type: String,
}

impl Record {
    /// The record parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> crate::Result<T> {
        serde_json::from_slice(&self.data).map_err(|e| crate::Error::Decode {
            method: "GET".into(),
            path: "(record)".into(),
            message: format!("the record is not the JSON expected: {e}"),
        })
    }

    /// The record as UTF-8 text.
    pub fn text(&self) -> crate::Result<&str> {
        std::str::from_utf8(&self.data).map_err(|e| crate::Error::Decode {
            method: "GET".into(),
            path: "(record)".into(),
            message: format!("the record is not UTF-8 text: {e}"),
        })
    }
}

// Here, not in error.rs: the error module stays below the models (which decode into `Error`).
impl crate::Error {
    /// A wait stopped by its callback, naming the run and its status then.
    pub(crate) fn cancelled_wait(run: &Run) -> crate::Error {
        crate::Error::Cancelled {
            run_id: Some(run.id.clone()),
            run_status: Some(run.status.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_keep_unknown_ones() {
        for s in [
            "READY",
            "RUNNING",
            "SUCCEEDED",
            "FAILED",
            "TIMING-OUT",
            "TIMED-OUT",
            "ABORTING",
            "ABORTED",
        ] {
            assert_eq!(RunStatus::parse(s).as_str(), s);
        }
        assert_eq!(
            RunStatus::parse("PAUSED"),
            RunStatus::Unknown("PAUSED".into())
        );
        assert!(!RunStatus::parse("PAUSED").is_terminal());
        assert!(RunStatus::TimedOut.is_terminal());
    }

    #[test]
    fn runs_keep_unknown_fields() {
        let v = serde_json::json!({
            "id": "r", "actId": "a", "status": "RUNNING", "startedAt": "2026-01-01T00:00:00.000Z",
            "defaultDatasetId": "d", "defaultKeyValueStoreId": "k", "brandNew": {"x": 1}
        });
        let run: Run = serde_json::from_value(v).unwrap();
        assert_eq!(run.extra["brandNew"]["x"], 1);
        let back = serde_json::to_value(&run).unwrap();
        assert_eq!(back["brandNew"]["x"], 1);
    }
}
