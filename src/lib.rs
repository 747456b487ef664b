//! libapify: a blocking, synchronous SDK for the Apify API v2, with a C ABI.
//!
//! With the `emulator` feature the crate also contains a local Apify API server
//! ([`emulator::Emulator`]) that runs offline on loopback, for tests and examples.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "emulator")]
pub mod emulator;
