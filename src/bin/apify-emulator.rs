//! `apify-emulator`: runs the local Apify API emulator until SIGINT or SIGTERM.
//!
//! The first line on stdout is `APIFY_API_BASE_URL=http://HOST:PORT`, the second
//! `APIFY_TOKEN=<an accepted token>`, both flushed before the first request is served.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use apify::emulator::{Emulator, EmulatorConfig};

const USAGE: &str = "usage: apify-emulator [--listen ADDR] [--token TOKEN]... [--max-wait-secs N] [--sync-timeout-secs N] [--rate-limit N] [--total-refresh-secs N] [--record-user-agent true|false] [--webhook-retry-delay-ms N] [--webhook-retries N] [--max-connections N] [--idle-timeout-secs N] [--head-timeout-secs N] [--io-timeout-secs N] [--max-head-bytes N] [--max-target-bytes N] [--journal-max-bytes N] [--build-duration-ms N]

  --listen ADDR            address to listen on (default 127.0.0.1:8765; port 0 picks a free port)
  --token TOKEN            an accepted API token; repeatable (default: emulator-token)
  --max-wait-secs N        cap on waitForFinish in seconds (default 60)
  --sync-timeout-secs N    run-sync limit in seconds before 408 (default 300; fractions allowed)
  --rate-limit N           answer 429 once one resource gets more than N requests a second
  --total-refresh-secs N   let dataset pagination Total lag behind pushes, recounted at most every N s
  --record-user-agent B    record a run's start User-Agent as meta.userAgent (default true)
  --webhook-retry-delay-ms N
                           wait N ms before a failed webhook delivery's first retry, twice as
                           long before each next one (default 1000; the platform waits ~60 s)
  --webhook-retries N      retries of a failed webhook delivery (default 11, as the platform)
  --max-connections N      connections served at once, a thread each (default 1024); at the cap a
                           new one replaces the longest-idle one, or gets 503 if none is idle
  --idle-timeout-secs N    close a connection that waits this long for a request (default 30)
  --head-timeout-secs N    answer 408 and close when a request head takes longer (default 20)
  --io-timeout-secs N      drop a client whose body or reading stalls this long (default 30)
  --max-head-bytes N       largest request head, else 431 (default 65536, at least 1024)
  --max-target-bytes N     longest request target, else 414 (default 16384)
  --journal-max-bytes N    cap on the request journal's memory; the oldest entries go first
                           (default 67108864 = 64 MiB; it also keeps at most 100,000 entries)
  --build-duration-ms N    how long a build takes from READY to SUCCEEDED (default 300; 0 = at once)";

/// A positive number of seconds, fractions allowed.
fn positive_secs(flag: &str, value: &str) -> Result<Duration, String> {
    value
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag}: '{value}' is not a positive number of seconds"))
}

/// A whole number of at least `min`.
fn count_at_least(flag: &str, value: &str, min: usize) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| format!("{flag}: '{value}' is not a whole number of at least {min}"))
}

fn parse_args(args: &[String]) -> Result<EmulatorConfig, String> {
    let mut config = EmulatorConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
        tokens: Vec::new(),
        ..EmulatorConfig::default()
    };
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args
            .get(i + 1)
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match flag {
            "--listen" => {
                config.listen = value
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| {
                        format!("--listen: '{value}' is not an address like 127.0.0.1:8765")
                    })?;
            }
            "--token" => {
                if value.is_empty() {
                    return Err("--token: a token cannot be empty".into());
                }
                config.tokens.push(value.clone());
            }
            "--max-wait-secs" => {
                config.max_wait_secs = value
                    .parse()
                    .map_err(|_| format!("--max-wait-secs: '{value}' is not a whole number"))?;
            }
            "--sync-timeout-secs" => {
                let secs: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| {
                        format!("--sync-timeout-secs: '{value}' is not a number of seconds")
                    })?;
                config.sync_timeout = Duration::from_secs_f64(secs);
            }
            "--rate-limit" => {
                let n: u64 = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("--rate-limit: '{value}' is not a positive whole number")
                })?;
                config.rate_limit = Some(n);
            }
            "--total-refresh-secs" => {
                let secs: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| {
                        format!(
                            "--total-refresh-secs: '{value}' is not a positive number of seconds"
                        )
                    })?;
                config.total_refresh = Some(Duration::from_secs_f64(secs));
            }
            "--record-user-agent" => {
                config.record_user_agent = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(format!(
                            "--record-user-agent: '{value}' is not true or false"
                        ))
                    }
                };
            }
            "--webhook-retry-delay-ms" => {
                let ms: u64 = value.parse().map_err(|_| {
                    format!("--webhook-retry-delay-ms: '{value}' is not a whole number")
                })?;
                config.webhook_retry_delay = Duration::from_millis(ms);
            }
            "--webhook-retries" => {
                config.webhook_retries = value
                    .parse()
                    .map_err(|_| format!("--webhook-retries: '{value}' is not a whole number"))?;
            }
            "--max-connections" => config.max_connections = count_at_least(flag, value, 1)?,
            "--idle-timeout-secs" => config.idle_timeout = positive_secs(flag, value)?,
            "--head-timeout-secs" => config.head_timeout = positive_secs(flag, value)?,
            "--io-timeout-secs" => config.io_timeout = positive_secs(flag, value)?,
            "--max-head-bytes" => config.max_head_bytes = count_at_least(flag, value, 1024)?,
            "--max-target-bytes" => config.max_target_bytes = count_at_least(flag, value, 1)?,
            "--journal-max-bytes" => {
                config.journal_max_bytes = value.parse().map_err(|_| {
                    format!("--journal-max-bytes: '{value}' is not a whole number of bytes")
                })?;
            }
            "--build-duration-ms" => {
                let ms: u64 = value
                    .parse()
                    .map_err(|_| format!("--build-duration-ms: '{value}' is not a whole number"))?;
                config.build_duration = Duration::from_millis(ms);
            }
            other => return Err(format!("unknown option '{other}'")),
        }
        i += 2;
    }
    Ok(config)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(c) => c,
        Err(msg) if msg.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("apify-emulator: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, stop.clone()) {
            eprintln!("apify-emulator: cannot install a signal handler: {e}");
            return ExitCode::FAILURE;
        }
    }
    let emulator = match Emulator::start(config.clone()) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("apify-emulator: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("apify-emulator: cannot listen on {}: {e}", config.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "APIFY_API_BASE_URL={}", emulator.base_url());
    let _ = writeln!(out, "APIFY_TOKEN={}", emulator.token());
    let _ = out.flush();
    drop(out);
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    emulator.stop();
    ExitCode::SUCCESS
}
