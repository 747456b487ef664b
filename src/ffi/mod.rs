//! The C ABI: thin `extern "C"` shims over the Rust API with opaque handles and JSON text in and
//! out, one file per object. Every body goes through the boundary in `boundary.rs` (`ffi!`,
//! `ffi_plain!`): panics are caught, arguments are checked and converted by kind, out-parameters
//! are written only on success, and the thread's last error is set or cleared.
//!
//! The files form a stack, each importing only from the files below it (never `super::*`):
//! `errors` (statuses, failures, the last error) at the bottom; `client_handle`, `callbacks` and
//! `options` on it; then `boundary`; then the exported functions (`general` for the library's
//! own). This file only declares them and re-exports the C surface.
#![allow(unsafe_code)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod boundary;
mod build;
mod callbacks;
mod client;
mod client_handle;
mod dataset;
mod errors;
mod general;
mod input;
mod json;
mod kvs;
mod log;
mod options;
mod record;
mod request;
mod rq;
mod run;
mod run_ops;
mod runnable;
#[cfg(test)]
mod tests;
mod webhook;

pub use self::log::*;
pub use build::*;
pub use callbacks::*;
pub use client::*;
pub use client_handle::*;
pub use dataset::*;
pub use errors::*;
pub use general::*;
pub use input::*;
pub use json::*;
pub use kvs::*;
pub use record::*;
pub use request::*;
pub use rq::*;
pub use run::*;
pub use run_ops::*;
pub use runnable::*;
pub use webhook::*;
