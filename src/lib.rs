//! libapify: a blocking, synchronous SDK for the Apify API v2, with a C ABI.
//!
//! Two flows:
//! - synchronous, for runs up to 5 minutes: [`ActorClient::run_sync`] returns the run's
//!   `OUTPUT` record, [`ActorClient::run_sync_get_items`] its dataset items;
//! - asynchronous, for longer runs: [`ActorClient::start`], then [`RunClient::wait`], then read
//!   the results with [`DatasetClient::iter_items`] and [`KeyValueStoreClient::get_record`]
//!   ([`ActorClient::call`] does the first two).
//!
//! A saved task ([`TaskClient`]) runs the same ways.
//!
//! ```no_run
//! use apify::{Client, StartOptions, ItemsOptions};
//! use serde_json::{json, Value};
//!
//! let client = Client::from_env()?; // APIFY_TOKEN, APIFY_API_BASE_URL
//! let items: Vec<Value> = client
//!     .actor("apify/hello-world")
//!     .run_sync_get_items(&json!({"message": "hi"}), &StartOptions::default(), &ItemsOptions::default())?;
//! println!("{items:?}");
//! # Ok::<(), apify::Error>(())
//! ```
//!
//! Examples of each flow are in the repository's `examples/` (each runs against the local
//! emulator by default).
//!
//! Features (each only adds; none changes what the rest does):
//! - `emulator`: a local Apify API server, the `emulator` module and the `apify-emulator`
//!   binary, that runs offline on loopback, for tests and examples;
//! - `capi`: the C ABI of `libapify.so` / `libapify.a` (documented in `include/apify.h`, not
//!   here); `sh scripts/install.sh` builds and installs the C library.
//!
//! TLS: server certificates are checked against one compiled-in set of roots, Mozilla's (the
//! `webpki-root-certs` crate), the same on every system, whatever CA store it has or lacks;
//! [`ClientBuilder::add_root_certificate_pem`] adds a private CA to them.
#![cfg_attr(
    feature = "emulator",
    doc = "\nThe emulator: [`emulator::Emulator`] (`Emulator::start(Default::default())`)."
)]
#![deny(unsafe_code)]
#![deny(missing_docs)]
// Errors are cold and follow HTTP requests: moving 128 bytes costs nothing next to them, and a
// struct variant (`Error::OutcomeUnknown { .. }`) reads better than a boxed one.
#![allow(clippy::result_large_err)]

/// Chainable setters for option structs: `StartOptions::default().memory_mbytes(256)`.
macro_rules! setters {
    ($t:ty { $( $(#[$doc:meta])* $name:ident : $kind:ident $ty:ty ),* $(,)? }) => {
        impl $t {
            $( setters!(@one $(#[$doc])* $name $kind $ty); )*
        }
    };
    (@one $(#[$doc:meta])* $name:ident some $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = Some(value);
            self
        }
    };
    (@one $(#[$doc:meta])* $name:ident text $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
    (@one $(#[$doc:meta])* $name:ident set $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }
    };
    (@one $(#[$doc:meta])* $name:ident list $ty:ty) => {
        $(#[$doc])*
        pub fn $name<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
            self.$name = values.into_iter().map(Into::into).collect();
            self
        }
    };
}

mod actor;
mod actor_admin;
mod actor_builds;
mod actor_versions;
mod build;
mod client;
mod dataset;
mod dataset_read;
mod error;
mod http;
mod input;
mod input_remote;
mod input_report;
mod input_schema;
mod items_split;
mod key_value_store;
mod last_run;
mod list_options;
mod log_follow;
mod models;
mod public_urls;
mod receiver;
mod request_queue;
mod request_queue_batch;
mod request_queue_collection;
mod request_queue_models;
mod run;
mod run_list;
mod run_ops;
mod runnable;
mod schedule_models;
mod schedules;
mod schema_cache;
mod start;
mod start_knowledge;
mod start_options;
mod storage_collections;
mod storage_ops;
mod store;
mod task;
mod task_collection;
mod task_models;
mod timestamps;
mod tools;
mod user;
mod wait;
mod watch;
mod webhook_wait;
mod webhooks;

pub use actor::ActorClient;
pub use actor_admin::{
    Actor, ActorCollectionClient, ActorCreate, ActorListOptions, ActorUpdate, TaggedBuild,
};
pub use actor_builds::BuildOptions;
pub use actor_versions::{
    EnvVar, EnvVarClient, EnvVarCollectionClient, SourceFile, Version, VersionClient,
    VersionCollectionClient,
};
pub use build::{Build, BuildClient, BuildListOptions};
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES,
    DEFAULT_MIN_RETRY_DELAY, DEFAULT_TIMEOUT,
};
pub use dataset::{DatasetClient, ItemsOptions, ItemsPage, RawItem, MAX_PUSH_BYTES};
pub use dataset_read::{
    DatasetIter, RawItems, ReadOptions, DEFAULT_PAGE_BYTES, DEFAULT_PREFETCH_PAGES,
    MAX_ITEMS_PER_REQUEST,
};
pub use error::{ApiError, Cause, Error, Result, Sent};
pub use http::{
    DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_RECORD_BYTES, MAX_PAGE_BYTES_CEILING, MIN_PAGE_BYTES,
    PAGE_BYTES_PER_ITEM,
};
pub use input_report::{InputProblem, InputReport};
pub use key_value_store::{
    check_record_key, KeyInfo, KeyIter, KeyValueStoreClient, KeysOptions, KeysPage,
};
pub use last_run::LastRunClient;
pub use list_options::ListOptions;
pub use models::{Page, Record, Run, RunStatus};
pub use request_queue::{RequestIter, RequestQueueClient};
pub use request_queue_batch::MAX_BATCH as MAX_REQUEST_BATCH;
pub use request_queue_collection::RequestQueueCollectionClient;
pub use request_queue_models::{
    AddedRequest, BatchAdded, BatchOptions, QueueHead, QueueListOptions, QueueRequest, QueueUpdate,
    RequestQueue, RequestsOptions, RequestsPage,
};
pub use run::{RunClient, WaitOptions, WaitStrategy, WebhookWait};
pub use run_list::{RunsOptions, MAX_RUNS_PER_PAGE};
pub use run_ops::{ChargeOptions, Metamorph, MetamorphOptions, RunUpdate};
pub use schedule_models::{
    Schedule, ScheduleAction, ScheduleCreate, ScheduleListOptions, ScheduleLogEntry,
    ScheduleRunInput, ScheduleUpdate, RUN_ACTOR, RUN_ACTOR_TASK,
};
pub use schedules::{ScheduleClient, ScheduleCollectionClient};
pub use schema_cache::INPUT_SCHEMA_CACHE_ENTRIES;
pub use start::{RECONCILE_SKEW, START_MARKER_PREFIX};
pub use start_knowledge::DEFAULT_RECONCILE_WINDOW;
pub use start_options::{CallOptions, StartOptions};
pub use storage_collections::{
    Dataset, DatasetCollectionClient, DatasetStatistics, KeyValueStore,
    KeyValueStoreCollectionClient, StorageListOptions, StorageUpdate,
};
pub use storage_ops::{ItemsHead, RecordsZipOptions};
pub use store::{StoreActor, StoreActorStats, StoreClient, StoreListOptions};
pub use task::TaskClient;
pub use task_collection::TaskCollectionClient;
pub use task_models::{Task, TaskCreate, TaskListOptions, TaskOptions, TaskUpdate};
pub use tools::{BrowserInfo, DecodedValue, ToolsClient};
pub use user::{
    AccountLimits, CurrentUsage, DailyUsage, Limits, LimitsUpdate, MonthlyUsage, UsageCycle,
    UsageItem, User, UserClient,
};
pub use webhooks::{
    parse_webhook, Webhook, WebhookClient, WebhookCollectionClient, WebhookCondition, WebhookEvent,
    WebhookInfo, WebhookListOptions, WebhookSpec, TERMINAL_RUN_EVENTS,
};

#[cfg(feature = "emulator")]
pub mod emulator;
// The C ABI, for the C library: its contract is include/apify.h, so it stays out of the Rust
// docs (hidden, not private: its re-exports serve its own tests).
#[cfg(feature = "capi")]
#[doc(hidden)]
pub mod ffi;

// The README's Rust examples are compiled (and the ones without `no_run` run) as doctests,
// with or without features (`cargo test --doc`; the emulator's example runs with its feature).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

// Option and input structs are `#[non_exhaustive]` (fields can be added without breaking
// users): outside the crate, a struct literal must not compile (E0639), only setters do. Each
// literal names fields that exist with the right types, so that is the only error it can have.
/// ```compile_fail,E0639
/// let _ = apify::ItemsOptions { limit: Some(1), ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::ReadOptions { page_size: Some(1), ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::KeysOptions { limit: Some(1), ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::WaitOptions { budget: None, ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::WebhookWait { public_url: None, ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::Webhook { description: None, ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::WebhookCondition { actor_id: None, ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::WebhookSpec { condition: None, ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::StoreListOptions { limit: Some(1), ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::LimitsUpdate { data_retention_days: Some(7), ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::RecordsZipOptions { prefix: None, ..Default::default() };
/// ```
/// ```compile_fail,E0639
/// let _ = apify::StorageListOptions { limit: Some(1), ..Default::default() };
/// ```
#[cfg(doctest)]
pub struct NonExhaustiveOptions;
