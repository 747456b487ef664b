//! A local emulator of the Apify API v2: an offline Apify platform on loopback.
//!
//! It is an independent implementation of the server side and shares no code with the client
//! modules, so that a misreading of the API in one cannot hide in the other.
//!
//! ```no_run
//! use apify::emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
//! println!("{} {}", emulator.base_url(), emulator.token());
//! // The server stops when `emulator` is dropped.
//! ```

mod api;
mod build_worker;
mod config;
mod context;
mod cron;
mod faults;
mod http;
mod http_conn;
mod http_framing;
mod http_server;
#[cfg(test)]
mod http_tests;
mod http_write;
mod input_schema;
mod journal;
mod operations;
mod pricing;
mod programs;
mod registry;
mod reply;
mod resources;
mod rq_state;
mod run_extras;
mod schedule_state;
mod signing;
mod state;
mod state_views;
mod util;
mod webhook_delivery;
mod webhook_state;
mod zip;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use config::check_limits;
pub use config::{EmulatorConfig, DEFAULT_TOKEN};

/// A running emulator; dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    base_url: String,
    token: String,
    stop: Arc<AtomicBool>,
    server: http_server::Server,
    shared: Arc<state::Shared>,
    /// The thread that fires schedules (joined on stop).
    schedules: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    /// Binds the listener and starts serving on background threads.
    pub fn start(mut config: EmulatorConfig) -> io::Result<Emulator> {
        if config.tokens.is_empty() {
            config.tokens.push(DEFAULT_TOKEN.to_string());
        }
        check_limits(&config)?;
        let listener = TcpListener::bind(config.listen)?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let token = config.tokens[0].clone();
        let stop = Arc::new(AtomicBool::new(false));
        let limits = http_server::ServerLimits {
            max_connections: config.max_connections,
            idle_timeout: config.idle_timeout,
            request: http_framing::Limits {
                max_head_bytes: config.max_head_bytes,
                max_target_bytes: config.max_target_bytes,
                head_timeout: config.head_timeout,
                io_timeout: config.io_timeout,
            },
        };
        let shared = Arc::new(state::Shared::new(config, base_url.clone(), stop.clone()));
        let handler_shared = shared.clone();
        let handler: http::Handler = Arc::new(move |req| api::handle(&handler_shared, req));
        let reject_shared = shared.clone();
        let on_reject: http::RejectHook =
            Arc::new(move |r| api::record_rejection(&reject_shared, r));
        let server = http_server::serve(listener, stop.clone(), handler, on_reject, limits)?;
        let schedules = Some(resources::schedule_fire::spawn(shared.clone())?);
        Ok(Emulator {
            addr,
            base_url,
            token,
            stop,
            server,
            shared,
            schedules,
        })
    }

    /// `http://HOST:PORT`, the value for `APIFY_API_BASE_URL`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A token the emulator accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server: the listener closes, waiting requests end, run workers stop.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        self.shared.notify();
        self.server.stop();
        if let Some(t) = self.schedules.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
