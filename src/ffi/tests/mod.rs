//! Unit tests of the C ABI that call the `extern "C"` functions directly.
//!
//! Without a server: for every function of the generated header, NULL for each pointer argument,
//! invalid UTF-8 and malformed JSON for each text argument, arrays where objects are needed and
//! unknown option keys (table-driven, `argument_table` with the table in `table_functions`;
//! `header` checks the table against the header so a new function or argument cannot be missed);
//! the static strings; `_free(NULL)`; the thread-local last error; option checks;
//! `apify_json_get`; the log handler (`log`, which also reads a retry's warning from the
//! emulator). With the emulator (feature `emulator`, the `with_emulator_*` modules): HTTP
//! status mappings, records, iterator ends, `apify_request` and `apify_request_bytes`, runs and
//! their callbacks and logs, exports and the storages themselves, inputs checked against input
//! schemas, against an in-process server on
//! 127.0.0.1. Everything they share is in `helpers`, and
//! what the emulator's tests share in `live`.

mod argument_table;
mod header;
mod helpers;
mod json_get;
mod last_error;
#[cfg(feature = "emulator")]
mod live;
mod log;
mod options;
mod static_strings;
mod table_functions;
#[cfg(feature = "emulator")]
mod with_emulator_callbacks;
#[cfg(feature = "emulator")]
mod with_emulator_errors;
#[cfg(feature = "emulator")]
mod with_emulator_failures;
#[cfg(feature = "emulator")]
mod with_emulator_input;
#[cfg(feature = "emulator")]
mod with_emulator_queues;
#[cfg(feature = "emulator")]
mod with_emulator_records;
#[cfg(feature = "emulator")]
mod with_emulator_request;
#[cfg(feature = "emulator")]
mod with_emulator_runs;
#[cfg(feature = "emulator")]
mod with_emulator_storages;
