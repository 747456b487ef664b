//! The last run of an Actor or task, reached through the API's `runs/last` aliases: its default
//! dataset, key-value store and request queue without looking up the run's id first, and the
//! run operations the aliases have (abort, metamorph, reboot, log).

use crate::actor::ActorClient;
use crate::client::Client;
use crate::dataset::DatasetClient;
use crate::error::Result;
use crate::http::{Call, Cap, Retry};
use crate::key_value_store::KeyValueStoreClient;
use crate::models::Run;
use crate::request_queue::RequestQueueClient;
use crate::run_ops::{metamorph_call, MetamorphOptions};
use crate::runnable::{Kind, Runnable};
use crate::task::TaskClient;

/// The last run of an Actor or task (optionally the last with a status), as the platform picks
/// it on each request: a run started in between changes which run's storages are reached.
///
/// Made by [`ActorClient::last_run_client`] or [`TaskClient::last_run_client`]. The storage clients it hands out send the
/// status filter as `status` on every request they make.
#[derive(Debug, Clone)]
pub struct LastRunClient {
    client: Client,
    kind: Kind,
    id: String,
    status: Option<String>,
}

impl ActorClient {
    /// The last run (with this status, e.g. `SUCCEEDED`, when given), for reaching its default
    /// storages through the `runs/last` aliases. No request is sent until a storage is used;
    /// when there is no such run, the storages' requests fail with the API's 404 error.
    pub fn last_run_client(&self, status: Option<&str>) -> LastRunClient {
        LastRunClient::new(&self.client, Kind::Actor, &self.id, status)
    }
}

impl TaskClient {
    /// The task's last run (with this status when given), as
    /// [`ActorClient::last_run_client`].
    pub fn last_run_client(&self, status: Option<&str>) -> LastRunClient {
        LastRunClient::new(&self.client, Kind::Task, &self.id, status)
    }
}

impl LastRunClient {
    fn new(client: &Client, kind: Kind, id: &str, status: Option<&str>) -> LastRunClient {
        LastRunClient {
            client: client.clone(),
            kind,
            id: id.to_string(),
            status: status.map(|s| s.trim().to_string()),
        }
    }

    fn runnable(&self) -> Runnable<'_> {
        Runnable::new(&self.client, self.kind, &self.id)
    }

    /// The status filter this client sends, if any.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// The last run itself (with the status filter), or `None` if there is none.
    ///
    /// API: `actor_runs_last_get`, `actorTask_runs_last_get`
    pub fn get(&self) -> Result<Option<Run>> {
        self.runnable().last_run(self.status.as_deref())
    }

    /// `{actor or task path}/runs/last/{storage}`. An empty Actor or task id leaves the path
    /// without it; the storage clients refuse that id before sending anything.
    fn path(&self, storage: &str) -> String {
        let base = self.runnable().base().unwrap_or_default();
        format!("{base}/runs/last/{storage}")
    }

    /// The last run's default dataset ([`DatasetClient::get`] and every other call answer for
    /// the run the platform picks at that request).
    pub fn dataset(&self) -> DatasetClient {
        let d = DatasetClient::at(&self.client, self.path("dataset"), &self.id);
        match &self.status {
            Some(s) => d.with_query("status", s),
            None => d,
        }
    }

    /// The last run's default key-value store.
    pub fn key_value_store(&self) -> KeyValueStoreClient {
        let k = KeyValueStoreClient::at(&self.client, self.path("key-value-store"), &self.id);
        match &self.status {
            Some(s) => k.with_query("status", s),
            None => k,
        }
    }

    /// The last run's default request queue, with a new random `clientKey`. Its
    /// [`RequestQueueClient::id`] is the Actor's or task's id.
    pub fn request_queue(&self) -> RequestQueueClient {
        let q = RequestQueueClient::at(&self.client, self.path("request-queue"), &self.id);
        match &self.status {
            Some(s) => q.with_query("status", s),
            None => q,
        }
    }
    /// A call on the last run's own path (`{actor or task}/runs/last{suffix}`), with the status
    /// filter.
    fn run_call(&self, method: &'static str, suffix: &str) -> Result<Call> {
        let base = self.runnable().base()?;
        Ok(Call::new(method, format!("{base}/runs/last{suffix}"))
            .query_opt("status", self.status.as_deref()))
    }

    /// Aborts the last run (`gracefully`: it may finish its work for up to 30 s).
    ///
    /// API: `actor_runs_last_abort_post`, `actorTask_runs_last_abort_post`
    pub fn abort(&self, gracefully: bool) -> Result<Run> {
        let call = self
            .run_call("POST", "/abort")?
            .query("gracefully", gracefully)
            .retry(Retry::Idempotent);
        self.client.http().send(&call)?.data()
    }

    /// Turns the last run (which must be RUNNING) into a run of `target_actor` with `input`;
    /// see [`RunClient::metamorph`](crate::RunClient::metamorph).
    ///
    /// API: `actor_runs_last_metamorph_post`, `actorTask_runs_last_metamorph_post`
    pub fn metamorph<I: serde::Serialize + ?Sized>(
        &self,
        target_actor: &str,
        input: &I,
        options: &MetamorphOptions,
    ) -> Result<Run> {
        let base = self.runnable().base()?;
        let call = metamorph_call(format!("{base}/runs/last"), target_actor, input, options)?
            .query_opt("status", self.status.as_deref());
        self.client.http().send(&call)?.data()
    }

    /// Restarts the last run's program (it must be RUNNING); it keeps its storages.
    ///
    /// API: `actor_runs_last_reboot_post`, `actorTask_runs_last_reboot_post`
    pub fn reboot(&self) -> Result<Run> {
        let call = self.run_call("POST", "/reboot")?.retry(Retry::UnlessLost);
        self.client.http().send(&call)?.data()
    }

    /// The last run's log as text.
    ///
    /// API: `actor_runs_last_log_get`, `actorTask_last_log_get`
    pub fn log(&self) -> Result<String> {
        let call = self.run_call("GET", "/log")?.cap(Cap::Large);
        let bytes = self.client.http().send(&call)?.bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
