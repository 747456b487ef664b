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
mod context;
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
mod programs;
mod registry;
mod reply;
mod resources;
mod state;
mod state_views;
mod util;
mod webhook_delivery;
mod webhook_state;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The token accepted when no token is configured.
pub const DEFAULT_TOKEN: &str = "emulator-token";

/// How an emulator instance behaves.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Accepted API tokens (the first is the one reported by [`Emulator::token`]).
    pub tokens: Vec<String>,
    /// The cap on `waitForFinish`, in seconds (the platform's is 60).
    pub max_wait_secs: u64,
    /// How long run-sync requests wait before answering 408 (the platform's is 300 s).
    pub sync_timeout: Duration,
    /// Requests a second one resource accepts before answering 429; `None` = no limit.
    pub rate_limit: Option<u64>,
    /// Like the platform, let `X-Apify-Pagination-Total` lag behind pushes: it is recounted at
    /// most this often per dataset. `None` (default) = always exact.
    pub total_refresh: Option<Duration>,
    /// Record the starting request's User-Agent as a run's `meta.userAgent`, as the platform
    /// does (default). `false` plays a server that does not (`null`); also settable at run time
    /// with `PUT /_emulator/settings {"recordUserAgent": false}`.
    pub record_user_agent: bool,
    /// Delay before the first retry of a failed webhook delivery; each further retry waits twice
    /// as long. The platform waits about a minute; the default of 1 s compresses its schedule 60x.
    pub webhook_retry_delay: Duration,
    /// Retries of a failed webhook delivery after the first attempt (the platform's is 11);
    /// a webhook with `doNotRetry` gets none.
    pub webhook_retries: u32,
    /// Open connections served at once (one thread each). At the cap a new connection replaces
    /// the longest-idle one; when none is idle it is answered 503 and closed. Default 1024.
    pub max_connections: usize,
    /// How long a kept-alive connection may wait for its next request (or a new one for its
    /// first) before it is closed. Default 30 s: longer than common clients keep idle
    /// connections (ureq 15 s), so that they, not the server, close first.
    pub idle_timeout: Duration,
    /// The deadline for a request's head, from its first byte: a client that trickles its head
    /// is answered 408 and closed then. Default 20 s.
    pub head_timeout: Duration,
    /// The longest stall of one read of a request body or one write of an answer: a client that
    /// stops sending its body, or stops reading an answer, is dropped then. Default 30 s.
    pub io_timeout: Duration,
    /// The largest request head (request line and header fields), and separately a chunked
    /// body's trailers; larger is 431. Default 64 KiB.
    pub max_head_bytes: usize,
    /// The longest request target (path and query); longer is 414. Default 16 KiB.
    pub max_target_bytes: usize,
    /// The request journal's cap in bytes (about what its entries hold in memory); the oldest
    /// entries go first. It also keeps at most 100,000 entries. Default 64 MiB.
    pub journal_max_bytes: usize,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: vec![DEFAULT_TOKEN.to_string()],
            max_wait_secs: 60,
            sync_timeout: Duration::from_secs(300),
            rate_limit: None,
            total_refresh: None,
            record_user_agent: true,
            webhook_retry_delay: Duration::from_secs(1),
            webhook_retries: 11,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(30),
            head_timeout: Duration::from_secs(20),
            io_timeout: Duration::from_secs(30),
            max_head_bytes: 64 * 1024,
            max_target_bytes: 16 * 1024,
            journal_max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Refuses connection limits that would make the server unusable.
fn check_limits(config: &EmulatorConfig) -> io::Result<()> {
    let invalid = |what: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            what.to_string(),
        ))
    };
    if config.max_connections == 0 {
        return invalid("max_connections (--max-connections) must be at least 1");
    }
    for (name, d) in [
        ("idle_timeout", config.idle_timeout),
        ("head_timeout", config.head_timeout),
        ("io_timeout", config.io_timeout),
    ] {
        if d.is_zero() {
            return invalid(&format!("{name} must be longer than zero"));
        }
    }
    if config.max_head_bytes < 1024 {
        return invalid("max_head_bytes (--max-head-bytes) must be at least 1024");
    }
    if config.max_target_bytes == 0 || config.max_target_bytes > config.max_head_bytes {
        return invalid(
            "max_target_bytes (--max-target-bytes) must be between 1 and max_head_bytes (--max-head-bytes)",
        );
    }
    Ok(())
}

/// A running emulator; dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    base_url: String,
    token: String,
    stop: Arc<AtomicBool>,
    server: http_server::Server,
    shared: Arc<state::Shared>,
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
        let server = http_server::serve(listener, stop.clone(), handler, limits)?;
        Ok(Emulator {
            addr,
            base_url,
            token,
            stop,
            server,
            shared,
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
