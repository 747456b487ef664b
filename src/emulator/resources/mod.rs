//! One room per resource of the API: each turns requests on its paths into replies, reading and
//! changing the state. Rooms may call each other (a task's runs go through the run rooms); below
//! them all are the request context, the reply helpers, the state and the run and webhook
//! engines, which never call up into a room.

pub(crate) mod actors;
pub(crate) mod build_openapi;
pub(crate) mod build_ops;
pub(crate) mod builds;
pub(crate) mod datasets;
pub(crate) mod definitions;
pub(crate) mod env_vars;
pub(crate) mod items_formats;
pub(crate) mod items_query;
pub(crate) mod items_stream;
pub(crate) mod key_value_stores;
pub(crate) mod logs;
pub(crate) mod public_access;
pub(crate) mod request_queues;
pub(crate) mod rq_locks;
pub(crate) mod rq_requests;
pub(crate) mod rq_support;
pub(crate) mod run_ops;
pub(crate) mod run_start;
pub(crate) mod run_sync;
pub(crate) mod runs;
pub(crate) mod schedule_fire;
pub(crate) mod schedules;
pub(crate) mod storages;
pub(crate) mod store;
pub(crate) mod support;
pub(crate) mod tasks;
pub(crate) mod tools;
pub(crate) mod users;
pub(crate) mod versions;
pub(crate) mod webhooks;
