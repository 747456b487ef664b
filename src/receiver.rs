//! A small blocking HTTP server that receives the webhook POSTs of waits by webhook.
//!
//! One receiver per client and listen address serves every wait of that client: each wait
//! registers a secret of its own, the webhook it attaches posts to `.../libapify-webhook/<secret>`,
//! and the POST wakes that wait only. A POST with an unknown secret (or none) is answered 401 and
//! logged; a delivery seen before (same `X-Apify-Webhook-Dispatch-Id`) is answered 200 and
//! counted once, and so is one for a wait that has ended (the last 1,024 are remembered). The
//! webhook only wakes a wait: the run is then read from the API, which is the truth. The
//! receiver stops when the client's last clone is dropped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};

/// The path segment before a wait's secret.
pub(crate) const WEBHOOK_PATH: &str = "libapify-webhook";
/// The largest webhook body read (a run object is a few KiB).
const MAX_BODY: usize = 1 << 20;
/// The largest request head read.
const MAX_HEAD: usize = 32 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Dispatch ids remembered per wait (a retrying platform sends a few).
const MAX_SEEN: usize = 64;
/// Secrets of ended waits remembered, so that late deliveries are not refused.
const MAX_RETIRED: usize = 1024;

/// What one wait has received.
#[derive(Default)]
struct Mailbox {
    /// Deliveries counted (duplicates once).
    deliveries: u32,
    seen: HashSet<String>,
}

/// One wait's side of the receiver: woken by each new delivery for its secret.
#[derive(Default)]
pub(crate) struct Waiter {
    mailbox: Mutex<Mailbox>,
    cv: Condvar,
}

impl Waiter {
    /// Waits until more than `seen` deliveries have arrived or `timeout` passes; answers the
    /// number of deliveries so far.
    pub(crate) fn wait_for_more(&self, seen: u32, timeout: Duration) -> u32 {
        let guard = self.mailbox.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .cv
            .wait_timeout_while(guard, timeout, |m| m.deliveries <= seen)
            .unwrap_or_else(|e| e.into_inner());
        guard.deliveries
    }

    /// Counts a delivery; `false` for one already seen.
    fn deliver(&self, dispatch_id: Option<&str>) -> bool {
        let mut m = self.mailbox.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = dispatch_id {
            if m.seen.contains(id) {
                return false;
            }
            if m.seen.len() >= MAX_SEEN {
                m.seen.clear();
            }
            m.seen.insert(id.to_string());
        }
        m.deliveries += 1;
        self.cv.notify_all();
        true
    }
}

struct Inner {
    addr: SocketAddr,
    waiters: Mutex<HashMap<String, Arc<Waiter>>>,
    /// Secrets of waits that ended, newest last: a late or repeated delivery for one is
    /// answered 200 (so that the platform stops retrying) and otherwise ignored.
    retired: Mutex<VecDeque<String>>,
    stop: AtomicBool,
}

/// A running receiver; dropping it stops the accept loop.
pub(crate) struct Receiver {
    inner: Arc<Inner>,
}

impl Receiver {
    /// Binds `listen` (`host:port`, port 0 for any) and starts serving.
    pub(crate) fn start(listen: &str) -> Result<Receiver> {
        let listener = TcpListener::bind(listen).map_err(|e| {
            Error::InvalidArgument(format!(
                "the webhook receiver cannot listen on '{listen}': {e}"
            ))
        })?;
        let addr = listener.local_addr().map_err(|e| {
            Error::InvalidArgument(format!("the webhook receiver has no address: {e}"))
        })?;
        let inner = Arc::new(Inner {
            addr,
            waiters: Mutex::new(HashMap::new()),
            retired: Mutex::new(VecDeque::new()),
            stop: AtomicBool::new(false),
        });
        let serving = inner.clone();
        std::thread::Builder::new()
            .name("apify-webhook-receiver".into())
            .spawn(move || accept_loop(listener, serving))
            .map_err(|e| {
                Error::InvalidArgument(format!("the webhook receiver cannot start: {e}"))
            })?;
        log::debug!(target: "apify", "webhook receiver listening on {addr}");
        Ok(Receiver { inner })
    }

    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// Registers a wait under a new secret; the registration ends when the guard is dropped.
    pub(crate) fn register(&self) -> Registration {
        let secret = new_secret();
        let waiter = Arc::new(Waiter::default());
        self.inner
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(secret.clone(), waiter.clone());
        Registration {
            inner: self.inner.clone(),
            secret,
            waiter,
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.inner.addr, Duration::from_secs(1));
    }
}

/// One wait's registration with a receiver.
pub(crate) struct Registration {
    inner: Arc<Inner>,
    secret: String,
    waiter: Arc<Waiter>,
}

impl Registration {
    /// The webhook URL for this wait under `base` (the public URL, or `http://` + the address).
    pub(crate) fn url(&self, base: &str) -> String {
        format!(
            "{}/{WEBHOOK_PATH}/{}",
            base.trim_end_matches('/'),
            self.secret
        )
    }

    /// The secret (also usable as a webhook idempotency key).
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    pub(crate) fn waiter(&self) -> &Waiter {
        &self.waiter
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.inner
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.secret);
        let mut retired = self.inner.retired.lock().unwrap_or_else(|e| e.into_inner());
        if retired.len() >= MAX_RETIRED {
            retired.pop_front();
        }
        retired.push_back(self.secret.clone());
    }
}

/// 128 random bits as hex (std's per-process random keys, the time and a counter).
fn new_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::AtomicU64;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut out = String::with_capacity(32);
    for half in 0..2u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(count);
        h.write_u8(half);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    for stream in listener.incoming() {
        if inner.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of descriptors and the like: do not spin.
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let inner = inner.clone();
        let _ = std::thread::Builder::new()
            .name("apify-webhook-connection".into())
            .spawn(move || {
                let _ = serve(stream, &inner);
            });
    }
}

/// One request on one connection (answered with `Connection: close`).
fn serve(stream: TcpStream, inner: &Inner) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut head = Vec::new();
    let mut line = String::new();
    let (mut length, mut dispatch_id) = (0usize, None::<String>);
    let mut request_line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        head.extend_from_slice(line.as_bytes());
        if head.len() > MAX_HEAD {
            return answer(stream, 431, "request head too large");
        }
        let trimmed = line.trim_end();
        if request_line.is_empty() {
            request_line = trimmed.to_string();
            continue;
        }
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(usize::MAX),
                "x-apify-webhook-dispatch-id" => dispatch_id = Some(value.to_string()),
                _ => {}
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if length > MAX_BODY {
        return answer(stream, 413, "body too large");
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or("");
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let secret = segments.next().unwrap_or("");
    let under = segments.next() == Some(WEBHOOK_PATH);
    let waiter = under
        .then(|| {
            inner
                .waiters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(secret)
                .cloned()
        })
        .flatten();
    match (method, waiter) {
        ("POST", Some(w)) => {
            if !w.deliver(dispatch_id.as_deref()) {
                log::debug!(target: "apify", "webhook receiver: a repeated delivery ({}) counted once", dispatch_id.as_deref().unwrap_or(""));
            }
            answer(stream, 200, "ok")
        }
        (_, Some(_)) => answer(stream, 405, "only POST"),
        ("POST", None)
            if under
                && inner
                    .retired
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .any(|s| s == secret) =>
        {
            log::debug!(target: "apify", "webhook receiver: a delivery for a wait that has ended (answered 200)");
            answer(stream, 200, "ok")
        }
        _ => {
            log::warn!(
                target: "apify",
                "webhook receiver on {}: refused a {method} without a known secret (answered 401)",
                inner.addr
            );
            answer(stream, 401, "unknown webhook")
        }
    }
}

fn answer(mut stream: TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        _ => "Request Header Fields Too Large",
    };
    // One write: `write!` on the stream would send the answer in pieces, and a sender that reads
    // the status line with one read could see only "HTTP/1.1 ".
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    stream.write_all(answer.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(addr: SocketAddr, path: &str, dispatch: Option<&str>) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        let extra = dispatch
            .map(|d| format!("X-Apify-Webhook-Dispatch-Id: {d}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: 2\r\n\r\n{{}}"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out.lines().next().unwrap_or("").to_string()
    }

    #[test]
    fn a_delivery_wakes_its_wait_once_and_strangers_get_401() {
        let r = Receiver::start("127.0.0.1:0").unwrap();
        let reg = r.register();
        let other = r.register();
        let url = reg.url(&format!("http://{}", r.addr()));
        let path = url.split_once(&r.addr().to_string()).unwrap().1.to_string();
        assert_eq!(post(r.addr(), &path, Some("d1")), "HTTP/1.1 200 OK");
        assert_eq!(post(r.addr(), &path, Some("d1")), "HTTP/1.1 200 OK");
        assert_eq!(reg.waiter().wait_for_more(0, Duration::from_secs(1)), 1);
        assert_eq!(
            other.waiter().wait_for_more(0, Duration::from_millis(10)),
            0
        );
        assert!(post(r.addr(), "/libapify-webhook/nope", None).contains("401"));
        assert!(post(r.addr(), "/", None).contains("401"));
        // A public URL's own path in front of ours still reaches the wait.
        let behind = format!("/hooks{path}");
        assert!(post(r.addr(), &behind, Some("d2")).contains("200"));
        assert_eq!(reg.waiter().wait_for_more(1, Duration::from_secs(1)), 2);
        drop(reg);
        // A late delivery for an ended wait is taken (the platform stops retrying), no more.
        assert!(post(r.addr(), &path, Some("d3")).contains("200"));
        assert!(post(r.addr(), "/libapify-webhook/0123456789abcdef", None).contains("401"));
    }
}
