//! How an emulator instance behaves: plain data, below every other emulator module.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// The token accepted when no token is configured.
pub const DEFAULT_TOKEN: &str = "emulator-token";

/// How an emulator instance behaves.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Accepted API tokens (the first is the one reported by [`Emulator::token`](super::Emulator::token)).
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
    /// How long a new build takes to go READY -> RUNNING -> SUCCEEDED (or FAILED). Default
    /// 300 ms; zero finishes builds before their creation is answered. Also settable at run
    /// time with `PUT /_emulator/settings {"buildDurationMillis": N}`.
    pub build_duration: Duration,
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
            build_duration: Duration::from_millis(300),
        }
    }
}

/// Refuses connection limits that would make the server unusable.
pub(crate) fn check_limits(config: &EmulatorConfig) -> io::Result<()> {
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
