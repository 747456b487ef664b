//! The emulator's in-memory platform: user, Actors, tasks, runs and storages, behind one lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::config::EmulatorConfig;
use super::faults::Fault;
use super::journal::Journal;
use super::registry::{built_in_actors, Actor, Build, Program};
pub(crate) use super::rq_state::RequestQueue;
use super::run_extras::RunExtras;
pub(crate) use super::schedule_state::{Schedule, ScheduledRun};
use super::util::{iso_millis, new_id, now_millis};
pub(crate) use super::webhook_state::{AdHocWebhook, Dispatch, Webhook};

/// Everything the request handlers and run workers share.
pub(crate) struct Shared {
    pub config: EmulatorConfig,
    pub base_url: String,
    state: Mutex<State>,
    /// Notified on every run status change and every log append (long polls and log streams wait on it).
    pub changed: Condvar,
    pub stop: Arc<AtomicBool>,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig, base_url: String, stop: Arc<AtomicBool>) -> Shared {
        let mut state = State::new();
        state.journal = Journal::new(config.journal_max_bytes);
        state.record_user_agent = config.record_user_agent;
        state.build_duration = config.build_duration;
        Shared {
            config,
            base_url,
            state: Mutex::new(state),
            changed: Condvar::new(),
            stop,
        }
    }

    /// Locks the state; a panic in another thread does not poison the emulator for good.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits on `changed` until `done` holds, the deadline passes or the emulator stops.
    pub(crate) fn wait_until<'a>(
        &'a self,
        mut guard: MutexGuard<'a, State>,
        deadline: Instant,
        mut done: impl FnMut(&State) -> bool,
    ) -> MutexGuard<'a, State> {
        loop {
            if done(&guard) || self.stop.load(std::sync::atomic::Ordering::SeqCst) {
                return guard;
            }
            let now = Instant::now();
            if now >= deadline {
                return guard;
            }
            // Wake at least every 250 ms to notice a stop.
            let wait = (deadline - now).min(Duration::from_millis(250));
            guard = self
                .changed
                .wait_timeout(guard, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub(crate) fn notify(&self) {
        self.changed.notify_all();
    }
}

/// The emulated plan's hard limit on monthly usage, until the user changes it.
pub(crate) const DEFAULT_MAX_MONTHLY_USAGE_USD: f64 = 100.0;
/// How long unnamed storages are kept, until the user changes it.
pub(crate) const DEFAULT_DATA_RETENTION_DAYS: u64 = 14;

/// The single user of the emulated platform.
pub(crate) struct User {
    pub id: String,
    pub username: String,
    pub created_at: u64,
    /// The secret of `tools/encode-and-sign` (HMAC of what the user encodes).
    pub signing_key: String,
    /// The limits the user may change (`PUT /v2/users/me/limits`).
    pub max_monthly_usage_usd: f64,
    pub data_retention_days: u64,
    /// What deleted runs had used, by the day they started (days since the epoch): the
    /// platform bills what was used, so deleting a run does not shrink the month's usage.
    pub deleted_runs_usage: BTreeMap<u64, Used>,
}

/// What runs used, as the monthly usage counts it (`resources::users`): compute units,
/// dataset writes and key-value store writes (in that order), and pay-per-event events
/// charged with their price in USD.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Used {
    pub services: [f64; 3],
    pub events: f64,
    pub charged_usd: f64,
}

impl Used {
    pub(crate) fn add(&mut self, other: &Used) {
        for (m, x) in self.services.iter_mut().zip(&other.services) {
            *m += x;
        }
        self.events += other.events;
        self.charged_usd += other.charged_usd;
    }
}

/// A saved task: an Actor with preset input and options.
#[derive(Clone)]
pub(crate) struct Task {
    pub id: String,
    /// Creation order (timestamps tie within a millisecond).
    pub seq: u64,
    pub act_id: String,
    pub name: String,
    pub title: Option<String>,
    pub options: Map<String, Value>,
    pub input: Value,
    pub created_at: u64,
    pub modified_at: u64,
}

/// A run's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ready,
    Running,
    Succeeded,
    Failed,
    TimingOut,
    TimedOut,
    Aborting,
    Aborted,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "READY",
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimingOut => "TIMING-OUT",
            Status::TimedOut => "TIMED-OUT",
            Status::Aborting => "ABORTING",
            Status::Aborted => "ABORTED",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        [
            Status::Ready,
            Status::Running,
            Status::Succeeded,
            Status::Failed,
            Status::TimingOut,
            Status::TimedOut,
            Status::Aborting,
            Status::Aborted,
        ]
        .into_iter()
        .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }

    pub(crate) fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Succeeded | Status::Failed | Status::TimedOut | Status::Aborted
        )
    }

    /// The webhook event type this status fires, if any.
    pub(crate) fn event_type(self) -> Option<&'static str> {
        match self {
            Status::Succeeded => Some("ACTOR.RUN.SUCCEEDED"),
            Status::Failed => Some("ACTOR.RUN.FAILED"),
            Status::TimedOut => Some("ACTOR.RUN.TIMED_OUT"),
            Status::Aborted => Some("ACTOR.RUN.ABORTED"),
            _ => None,
        }
    }
}

/// The options a run was started with.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    pub build: String,
    pub timeout_secs: u64,
    pub memory_mbytes: u64,
    pub max_items: Option<u64>,
    pub max_total_charge_usd: Option<f64>,
    pub restart_on_error: bool,
}

/// One Actor run.
pub(crate) struct Run {
    pub id: String,
    pub act_id: String,
    pub task_id: Option<String>,
    pub status: Status,
    pub status_message: Option<String>,
    pub is_status_message_terminal: bool,
    pub started_at: u64,
    pub finished_at: Option<u64>,
    pub exit_code: Option<i64>,
    pub build_id: String,
    pub build_number: String,
    /// The built-in program the run's build runs.
    pub program: Program,
    pub options: RunOptions,
    pub dataset_id: String,
    pub kvs_id: String,
    pub queue_id: String,
    pub input_body_len: usize,
    pub resurrect_count: u64,
    pub restart_count: u64,
    pub log: String,
    pub webhooks: Vec<AdHocWebhook>,
    /// Set by an abort request: `Some(gracefully)`.
    pub abort_requested: Option<bool>,
    /// Bumped by resurrect so that an older worker knows it is no longer in charge.
    pub generation: u64,
    pub client_ip: String,
    pub user_agent: Option<String>,
    /// Metamorphs, reboots, charges and general access (the run operations).
    pub extras: RunExtras,
}

/// One stored dataset item: its JSON text and what filters need to know about it.
#[derive(Clone)]
pub(crate) struct Item {
    pub json: Arc<str>,
    /// The item is `{}`.
    pub empty: bool,
    /// The item has a top-level field whose name starts with `#`.
    pub hidden: bool,
}

impl Item {
    /// Stores an object item (already checked to be an object).
    pub(crate) fn from_object(map: &Map<String, Value>) -> Item {
        Item {
            json: Value::Object(map.clone()).to_string().into(),
            empty: map.is_empty(),
            hidden: map.keys().any(|k| k.starts_with('#')),
        }
    }
}

pub(crate) struct Dataset {
    pub id: String,
    /// Creation order (timestamps tie within a millisecond).
    pub seq: u64,
    pub name: Option<String>,
    pub title: Option<String>,
    pub created_at: u64,
    pub modified_at: u64,
    pub accessed_at: u64,
    pub items: Vec<Item>,
    pub act_id: Option<String>,
    pub act_run_id: Option<String>,
    /// A run's `maxItems`: pushes past it are dropped.
    pub max_items: Option<u64>,
    pub read_count: u64,
    pub write_count: u64,
    /// The item count the pagination `Total` reports and when it was taken (see
    /// `EmulatorConfig::total_refresh`).
    pub reported_total: Option<(std::time::Instant, u64)>,
    pub general_access: String,
    /// The secret that signs the dataset's public URLs (`urlSigningSecretKey`).
    pub signing_key: String,
}

/// One key-value record: the bytes and content type exactly as stored.
#[derive(Clone)]
pub(crate) struct Record {
    pub data: Arc<Vec<u8>>,
    pub content_type: String,
}

pub(crate) struct KeyValueStore {
    pub id: String,
    /// Creation order (timestamps tie within a millisecond).
    pub seq: u64,
    pub name: Option<String>,
    pub title: Option<String>,
    pub created_at: u64,
    pub modified_at: u64,
    pub accessed_at: u64,
    pub records: BTreeMap<String, Record>,
    pub act_id: Option<String>,
    pub act_run_id: Option<String>,
    pub read_count: u64,
    pub write_count: u64,
    pub delete_count: u64,
    pub list_count: u64,
    pub general_access: String,
    /// The secret that signs the store's public URLs (`urlSigningSecretKey`).
    pub signing_key: String,
}

pub(crate) struct State {
    pub user: User,
    pub actors: Vec<Actor>,
    /// Every Actor's builds, oldest first.
    pub builds: Vec<Build>,
    pub tasks: BTreeMap<String, Task>,
    pub runs: HashMap<String, Run>,
    /// Run ids in start order.
    pub run_order: Vec<String>,
    pub datasets: HashMap<String, Dataset>,
    pub stores: HashMap<String, KeyValueStore>,
    pub queues: HashMap<String, RequestQueue>,
    pub faults: Vec<Fault>,
    pub journal: Journal,
    /// Per-resource request counts in the current second: key -> (second, count).
    pub rate: HashMap<String, (u64, u64)>,
    pub dispatches: Vec<Dispatch>,
    /// Persistent webhooks in creation order.
    pub webhooks: Vec<Webhook>,
    /// Schedules in creation order.
    pub schedules: Vec<Schedule>,
    /// Runs started by a schedule, by run id (their `meta.origin` is `SCHEDULER`).
    pub scheduled_runs: HashMap<String, ScheduledRun>,
    /// The last creation sequence number handed out.
    pub seq: u64,
    /// Whether new runs record their start request's User-Agent (`/_emulator/settings`).
    pub record_user_agent: bool,
    /// Batch adds still to answer with half their requests unprocessed (`/_emulator/settings`
    /// `rqUnprocessedBatches`), to exercise clients' retries of `unprocessedRequests`.
    pub rq_unprocessed_batches: u64,
    /// How long new builds take (`/_emulator/settings` `buildDurationMillis`).
    pub build_duration: Duration,
}

impl State {
    fn new() -> State {
        let now = now_millis();
        let user = User {
            id: new_id(),
            username: "emulator".into(),
            created_at: now,
            signing_key: signing_key(),
            max_monthly_usage_usd: DEFAULT_MAX_MONTHLY_USAGE_USD,
            data_retention_days: DEFAULT_DATA_RETENTION_DAYS,
            deleted_runs_usage: BTreeMap::new(),
        };
        let (actors, builds) = built_in_actors(now).into_iter().unzip();
        State {
            user,
            actors,
            builds,
            tasks: BTreeMap::new(),
            runs: HashMap::new(),
            run_order: Vec::new(),
            datasets: HashMap::new(),
            stores: HashMap::new(),
            queues: HashMap::new(),
            faults: Vec::new(),
            journal: Journal::new(usize::MAX),
            rate: HashMap::new(),
            dispatches: Vec::new(),
            webhooks: Vec::new(),
            schedules: Vec::new(),
            scheduled_runs: HashMap::new(),
            seq: 0,
            record_user_agent: true,
            rq_unprocessed_batches: 0,
            build_duration: Duration::ZERO,
        }
    }

    /// Finds an Actor by id, `username~name` or `username/name`.
    pub(crate) fn actor_index(&self, id: &str) -> Option<usize> {
        let id = id.replace('/', "~");
        self.actors
            .iter()
            .position(|a| a.id == id || a.full_name() == id)
    }

    /// Finds a task by id, `username~name` or its bare name.
    pub(crate) fn task_id(&self, id: &str) -> Option<String> {
        if self.tasks.contains_key(id) {
            return Some(id.to_string());
        }
        let id = id.replace('/', "~");
        let name = match id.split_once('~') {
            Some((user, name)) if user == self.user.username => name,
            Some(_) => return None,
            None => id.as_str(),
        };
        self.tasks
            .values()
            .find(|t| t.name == name)
            .map(|t| t.id.clone())
    }

    /// Finds a dataset by id or name.
    pub(crate) fn dataset_id(&self, id: &str) -> Option<String> {
        if self.datasets.contains_key(id) {
            return Some(id.to_string());
        }
        let name = strip_owner(id, &self.user.username)?;
        self.datasets
            .values()
            .find(|d| d.name.as_deref() == Some(name))
            .map(|d| d.id.clone())
    }

    /// Finds a key-value store by id or name.
    pub(crate) fn store_id(&self, id: &str) -> Option<String> {
        if self.stores.contains_key(id) {
            return Some(id.to_string());
        }
        let name = strip_owner(id, &self.user.username)?;
        self.stores
            .values()
            .find(|s| s.name.as_deref() == Some(name))
            .map(|s| s.id.clone())
    }

    pub(crate) fn new_dataset(&mut self, name: Option<String>) -> String {
        let now = now_millis();
        let id = new_id();
        self.seq += 1;
        self.datasets.insert(
            id.clone(),
            Dataset {
                id: id.clone(),
                seq: self.seq,
                name,
                title: None,
                created_at: now,
                modified_at: now,
                accessed_at: now,
                items: Vec::new(),
                act_id: None,
                act_run_id: None,
                max_items: None,
                read_count: 0,
                write_count: 0,
                reported_total: None,
                general_access: "FOLLOW_USER_SETTING".into(),
                signing_key: signing_key(),
            },
        );
        id
    }

    pub(crate) fn new_store(&mut self, name: Option<String>) -> String {
        let now = now_millis();
        let id = new_id();
        self.seq += 1;
        self.stores.insert(
            id.clone(),
            KeyValueStore {
                id: id.clone(),
                seq: self.seq,
                name,
                title: None,
                created_at: now,
                modified_at: now,
                accessed_at: now,
                records: BTreeMap::new(),
                act_id: None,
                act_run_id: None,
                read_count: 0,
                write_count: 0,
                delete_count: 0,
                list_count: 0,
                general_access: "FOLLOW_USER_SETTING".into(),
                signing_key: signing_key(),
            },
        );
        id
    }

    /// Finds a request queue by id or name.
    pub(crate) fn queue_id(&self, id: &str) -> Option<String> {
        if self.queues.contains_key(id) {
            return Some(id.to_string());
        }
        let name = strip_owner(id, &self.user.username)?;
        self.queues
            .values()
            .find(|q| q.name.as_deref() == Some(name))
            .map(|q| q.id.clone())
    }

    pub(crate) fn new_queue(&mut self, name: Option<String>) -> String {
        let id = new_id();
        self.seq += 1;
        let queue = RequestQueue::new(id.clone(), self.seq, name, now_millis());
        self.queues.insert(id.clone(), queue);
        id
    }

    /// Appends items to a dataset, honouring its `max_items` cap. Returns how many were kept.
    pub(crate) fn push_items(&mut self, dataset_id: &str, items: Vec<Item>) -> usize {
        let Some(ds) = self.datasets.get_mut(dataset_id) else {
            return 0;
        };
        let room = match ds.max_items {
            Some(max) => (max as usize).saturating_sub(ds.items.len()),
            None => usize::MAX,
        };
        let kept = items.len().min(room);
        ds.items.extend(items.into_iter().take(kept));
        ds.modified_at = now_millis();
        ds.write_count += 1;
        kept
    }

    /// Stores a record's bytes and content type exactly as given; `false` if there is no
    /// such store.
    pub(crate) fn put_record(
        &mut self,
        store_id: &str,
        key: &str,
        data: Vec<u8>,
        content_type: String,
    ) -> bool {
        let Some(s) = self.stores.get_mut(store_id) else {
            return false;
        };
        s.records.insert(
            key.to_string(),
            Record {
                data: Arc::new(data),
                content_type,
            },
        );
        s.write_count += 1;
        s.modified_at = now_millis();
        true
    }

    /// Appends a line to a run's log, timestamped like the platform's logs.
    pub(crate) fn log(&mut self, run_id: &str, line: &str) {
        if let Some(run) = self.runs.get_mut(run_id) {
            run.log.push_str(&iso_millis(now_millis()));
            run.log.push(' ');
            run.log.push_str(line);
            run.log.push('\n');
        }
    }
}

/// A new URL-signing secret: two ids, about 200 bits.
fn signing_key() -> String {
    format!("{}{}", new_id(), new_id())
}

/// `owner~name` to `name` when the owner is this user; a bare name as is.
fn strip_owner<'a>(id: &'a str, username: &str) -> Option<&'a str> {
    match id.split_once('~') {
        Some((owner, name)) if owner == username => Some(name),
        Some(_) => None,
        None => Some(id),
    }
}
