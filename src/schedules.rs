//! Schedules: the account's list (list, create) and one schedule (get, update, delete, log).

use crate::client::{id_segment, Client};
use crate::error::Result;
use crate::http::{Call, Retry};
use crate::models::Page;
use crate::schedule_models::{
    Schedule, ScheduleCreate, ScheduleListOptions, ScheduleLogEntry, ScheduleUpdate,
};

/// The account's schedules: list and create (`Client::schedules`).
#[derive(Debug, Clone)]
pub struct ScheduleCollectionClient {
    client: Client,
}

/// One schedule, by id or `username~name` (`Client::schedule`).
#[derive(Debug, Clone)]
pub struct ScheduleClient {
    client: Client,
    id: String,
}

impl Client {
    /// The account's schedules.
    pub fn schedules(&self) -> ScheduleCollectionClient {
        ScheduleCollectionClient {
            client: self.clone(),
        }
    }

    /// One schedule by id or `username~name`.
    pub fn schedule(&self, id: &str) -> ScheduleClient {
        ScheduleClient {
            client: self.clone(),
            id: id.trim().to_string(),
        }
    }
}

impl ScheduleCollectionClient {
    /// One page of schedules (oldest first unless `desc`); list items carry each action's id,
    /// type and target only.
    ///
    /// API: `schedules_get`
    pub fn list(&self, options: &ScheduleListOptions) -> Result<Page<Schedule>> {
        self.client
            .http()
            .send(&options.call("/v2/schedules", "schedule")?)?
            .data()
    }

    /// Creates a schedule. Sent once unless the server cannot have acted on it (a resend could
    /// create a second one, or fail on the name).
    ///
    /// API: `schedules_post`
    pub fn create(&self, schedule: &ScheduleCreate) -> Result<Schedule> {
        let call = Call::new("POST", "/v2/schedules")
            .json_body(&schedule.body()?)?
            .retry(Retry::OnlyIfNotProcessed);
        self.client.http().send(&call)?.data()
    }
}

impl ScheduleClient {
    fn path(&self) -> Result<String> {
        Ok(format!(
            "/v2/schedules/{}",
            id_segment("the schedule id", &self.id)?
        ))
    }

    /// The schedule, or `None` if it does not exist.
    ///
    /// API: `schedule_get`
    pub fn get(&self) -> Result<Option<Schedule>> {
        match self.client.http().send(&Call::new("GET", self.path()?)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Changes the fields `update` sets (actions are replaced whole) and returns the schedule
    /// as it now is, with its new `next_run_at`.
    ///
    /// API: `schedule_put`
    pub fn update(&self, update: &ScheduleUpdate) -> Result<Schedule> {
        let call = Call::new("PUT", self.path()?).json_body(&update.body()?)?;
        self.client.http().send(&call)?.data()
    }

    /// Deletes the schedule; a missing one is the API's 404 error.
    ///
    /// API: `schedule_delete`
    pub fn delete(&self) -> Result<()> {
        self.client
            .http()
            .send(&Call::new("DELETE", self.path()?))?;
        Ok(())
    }

    /// The schedule's log (its last invocations, up to 1000), or `None` if it does not exist.
    ///
    /// API: `schedule_log_get`
    pub fn log(&self) -> Result<Option<Vec<ScheduleLogEntry>>> {
        let call = Call::new("GET", format!("{}/log", self.path()?));
        match self.client.http().send(&call) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}
