//! Run operations beyond start, wait and abort: update (status message, general access),
//! delete, metamorph, reboot and pay-per-event charges; an Actor's own run paths; typed views
//! of what these operations leave on a run.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actor::ActorClient;
use crate::client::id_segment;
use crate::error::{Error, Result};
use crate::http::{encode_component, Call, Retry};
use crate::models::Run;
use crate::run::RunClient;

/// The longest idempotency key the SDK sends.
const MAX_IDEMPOTENCY_KEY: usize = 256;

/// What a run update changes; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RunUpdate {
    /// The status message shown with the run.
    pub status_message: Option<String>,
    /// Whether the status message is the run's last one (needs `status_message`).
    pub is_status_message_terminal: Option<bool>,
    /// Who may read the run (and its default storages and log) without a token:
    /// `FOLLOW_USER_SETTING`, `RESTRICTED`, `ANYONE_WITH_ID_CAN_READ`, ...
    pub general_access: Option<String>,
}

setters!(RunUpdate {
    /// Sets the status message.
    status_message: text String,
    /// Sets whether the status message is the last one.
    is_status_message_terminal: some bool,
    /// Sets who may read the run without a token.
    general_access: text String,
});

impl RunUpdate {
    /// The `PUT` body, checked: at least one change, a terminal flag only with a message.
    fn body(&self, run_id: &str) -> Result<Value> {
        let mut body = Map::new();
        body.insert("runId".into(), Value::String(run_id.to_string()));
        if let Some(m) = &self.status_message {
            body.insert("statusMessage".into(), Value::String(m.clone()));
        }
        if let Some(t) = self.is_status_message_terminal {
            if self.status_message.is_none() {
                return Err(Error::InvalidArgument(
                    "is_status_message_terminal needs a status_message to go with it".into(),
                ));
            }
            body.insert("isStatusMessageTerminal".into(), Value::Bool(t));
        }
        if let Some(a) = &self.general_access {
            if a.trim().is_empty() {
                return Err(Error::InvalidArgument(
                    "the run's general_access must not be empty".into(),
                ));
            }
            body.insert("generalAccess".into(), Value::String(a.clone()));
        }
        if body.len() == 1 {
            return Err(Error::InvalidArgument(
                "the run update changes nothing: set status_message or general_access".into(),
            ));
        }
        Ok(Value::Object(body))
    }
}

/// Options of a metamorph.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct MetamorphOptions {
    /// The target Actor's build tag or number (default: its default build, usually `latest`).
    pub build: Option<String>,
}

setters!(MetamorphOptions {
    /// Sets the target Actor's build tag or number.
    build: text String,
});

/// A pay-per-event charge: which event, how many times, and the key that makes a retried
/// charge count once.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ChargeOptions {
    /// The event's name, as the Actor's pricing defines it.
    pub event_name: String,
    /// How many events (at least 1; default 1).
    pub count: u64,
    /// The idempotency key; `None`: [`RunClient::charge`] makes a new one for the call.
    pub idempotency_key: Option<String>,
}

impl ChargeOptions {
    /// One event named `event_name`, with a new idempotency key per call.
    pub fn new(event_name: impl Into<String>) -> ChargeOptions {
        ChargeOptions {
            event_name: event_name.into(),
            count: 1,
            idempotency_key: None,
        }
    }
}

setters!(ChargeOptions {
    /// Sets how many events to charge.
    count: set u64,
    /// Sets the idempotency key (keep it to retry the same charge later).
    idempotency_key: text String,
});

/// One metamorph of a run: the Actor and build it became and the record holding its new input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Metamorph {
    /// When it happened (ISO 8601).
    pub created_at: String,
    /// The Actor the run became.
    pub actor_id: String,
    /// The build of that Actor.
    pub build_id: String,
    /// The key-value record of the new input (`INPUT-METAMORPH-1`, ...).
    #[serde(default)]
    pub input_key: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Run {
    /// The run's metamorphs, oldest first (none for a run never metamorphed).
    pub fn metamorphs(&self) -> Vec<Metamorph> {
        self.extra
            .get("metamorphs")
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default()
    }

    /// How many times `event` was charged in this run (pay-per-event Actors).
    pub fn charged_event_count(&self, event: &str) -> u64 {
        self.extra
            .get("chargedEventCounts")
            .and_then(|c| c.get(event))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    /// What the run has cost so far in USD, when the answer says.
    pub fn usage_total_usd(&self) -> Option<f64> {
        self.extra.get("usageTotalUsd").and_then(Value::as_f64)
    }
}

/// The path kinds a [`RunClient`] can have: each operation exists only on some.
fn on_run_path(run: &RunClient, what: &str) -> Result<()> {
    if run.path().starts_with("/v2/actor-runs/") {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "{what} is only available for a run reached by its id (Client::run), not through an Actor's runs"
        )))
    }
}

impl RunClient {
    /// Updates the run's status message and/or general access; returns the run.
    ///
    /// API: `actorRun_put`
    pub fn update(&self, update: &RunUpdate) -> Result<Run> {
        self.check_id()?;
        on_run_path(self, "a run update")?;
        let call = Call::new("PUT", self.path()).json_body(&update.body(self.id())?)?;
        self.client().http().send(&call)?.data()
    }

    /// Sets the run's status message (`terminal`: it is the last one); returns the run.
    ///
    /// API: `actorRun_put`
    pub fn set_status_message(&self, message: &str, terminal: bool) -> Result<Run> {
        self.update(
            &RunUpdate::default()
                .status_message(message)
                .is_status_message_terminal(terminal),
        )
    }

    /// Deletes a finished run (the platform refuses a run in progress: abort it first). Its
    /// default storages go with it unless they were given a name. A retry after a lost answer
    /// that finds the run gone counts as done.
    ///
    /// API: `actorRun_delete`
    pub fn delete(&self) -> Result<()> {
        self.check_id()?;
        on_run_path(self, "deleting a run")?;
        // A delete whose answer was lost is sent again; its 404 then means it was done.
        crate::key_value_store::delete_storage_with(self.client(), Call::new("DELETE", self.path()))
    }

    /// Turns this RUNNING run into a run of `target_actor` (id or `username/name`) with `input`
    /// (a JSON object, or `null` for none): the run keeps its id and default storages, the input
    /// is stored as `INPUT-METAMORPH-n`. Wait for it as for any run; its output is the target's.
    /// Not resent after a lost answer (a second metamorph would restart the target).
    ///
    /// API: `actorRun_metamorph_post`, `actors_run_metamorph_post`
    pub fn metamorph<I: Serialize + ?Sized>(
        &self,
        target_actor: &str,
        input: &I,
        options: &MetamorphOptions,
    ) -> Result<Run> {
        self.check_id()?;
        let call = metamorph_call(self.path().to_string(), target_actor, input, options)?;
        self.client().http().send(&call)?.data()
    }

    /// Restarts the program of this RUNNING run, which keeps its storages; returns the run.
    /// Not resent after a lost answer (a second reboot would restart it again).
    ///
    /// API: `actorRun_reboot_post`
    pub fn reboot(&self) -> Result<Run> {
        self.check_id()?;
        on_run_path(self, "a reboot")?;
        let call = Call::new("POST", format!("{}/reboot", self.path())).retry(Retry::UnlessLost);
        self.client().http().send(&call)?.data()
    }

    /// Charges `count` events of the run's pay-per-event Actor (a charge over the run's
    /// `maxTotalChargeUsd` is refused by the platform with an API error).
    ///
    /// Every charge carries an `idempotency-key`: the one in `options`, else a new one made
    /// for this call, so the SDK's own retries of a charge whose answer was lost are never
    /// counted twice. To retry a charge yourself later (after a crash, say), set the key and
    /// send it again with the same key.
    ///
    /// API: `PostChargeRun`
    pub fn charge(&self, options: &ChargeOptions) -> Result<()> {
        self.check_id()?;
        on_run_path(self, "charging events")?;
        if options.event_name.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "the charge's event name must not be empty".into(),
            ));
        }
        if options.count == 0 {
            return Err(Error::InvalidArgument(
                "the charge's count must be at least 1".into(),
            ));
        }
        let key = match &options.idempotency_key {
            Some(k) if k.trim().is_empty() || k.len() > MAX_IDEMPOTENCY_KEY || k.trim() != k => {
                return Err(Error::InvalidArgument(format!(
                    "the idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} characters without surrounding spaces"
                )))
            }
            Some(k) => k.clone(),
            None => new_idempotency_key(),
        };
        let body = serde_json::json!({"eventName": options.event_name, "count": options.count});
        let call = Call::new("POST", format!("{}/charge", self.path()))
            .json_body(&body)?
            .header("idempotency-key", &key)
            // The key makes the charge safe to resend whatever happened to the first attempt.
            .retry(Retry::Idempotent);
        self.client().http().send(&call).map(|_| ())
    }
}

/// A new idempotency key: the time and 128 random bits, as the API's example has it.
fn new_idempotency_key() -> String {
    let marker = crate::start::new_start_marker();
    let random = marker.trim_start_matches(crate::start::START_MARKER_PREFIX);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    format!("{}-{random}", crate::timestamps::format_iso_millis(now))
}

/// `POST {run path}/metamorph?targetActorId=&build=` with the input as JSON.
pub(crate) fn metamorph_call<I: Serialize + ?Sized>(
    run_path: String,
    target_actor: &str,
    input: &I,
    options: &MetamorphOptions,
) -> Result<Call> {
    id_segment("the target Actor id", target_actor)?;
    // The transport encodes query values; `username/name` is sent as `username~name`.
    let target = target_actor.trim().replacen('/', "~", 1);
    if let Some(b) = &options.build {
        if b.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "the metamorph's build must not be empty".into(),
            ));
        }
    }
    let input = serde_json::to_value(input).map_err(|e| {
        Error::InvalidArgument(format!("the input cannot be serialized as JSON: {e}"))
    })?;
    let mut call = Call::new("POST", format!("{run_path}/metamorph"))
        .query("targetActorId", target)
        .query_opt("build", options.build.as_deref())
        .retry(Retry::UnlessLost);
    match input {
        Value::Null => {}
        Value::Object(_) => call = call.json_body(&input)?,
        other => {
            return Err(Error::InvalidArgument(format!(
                "the metamorph's input must be a JSON object (or null for none), got {other}"
            )))
        }
    }
    Ok(call)
}

impl ActorClient {
    /// One of this Actor's runs through the Actor's own run paths
    /// (`/v2/actors/{actorId}/runs/{runId}`): the run must be this Actor's. [`get`](RunClient::get),
    /// [`wait`](RunClient::wait), [`abort`](RunClient::abort),
    /// [`resurrect`](RunClient::resurrect) and [`metamorph`](RunClient::metamorph) are there;
    /// update, delete, reboot and charge need [`Client::run`](crate::Client::run).
    ///
    /// API: `actors_run_get`, `actors_run_abort_post`, `actor_run_resurrect_post`, `actors_run_metamorph_post`
    pub fn run(&self, run_id: &str) -> RunClient {
        // An empty Actor id gives a path the server answers 404 to.
        let actor = self.base().unwrap_or_else(|_| "/v2/actors/".to_string());
        let run = encode_component(run_id.trim());
        RunClient::at(&self.client, format!("{actor}/runs/{run}"), run_id)
    }
}
