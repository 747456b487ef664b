//! The server: an accept thread and one thread per connection, at most `max_connections` of them.
//!
//! At the cap a new connection takes the place of the connection that has idled longest (waiting
//! for a request, nothing of one received), as a browser's pool would lose it to an idle timeout;
//! only when every connection is inside a request does the newcomer get 503 and a close, from a
//! single reject thread. Idle connections sleep in one blocking read each (no polling): the idle
//! timeout ends it, and so does the stopping thread, which shuts every registered socket down.
//! A handler that panics is answered 500 (when nothing was written yet) and logged to stderr.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::http::{Delivery, Handler, RejectHook, Rejection, Response};
use super::http_conn::Conn;
use super::http_framing::{partial_line, read_request, Head, HttpError, Limits, Refused};
use super::http_write::{write_response, WriteMode};

/// The server's bounds.
#[derive(Debug, Clone)]
pub(crate) struct ServerLimits {
    pub max_connections: usize,
    /// How long a connection may wait for a request before it is closed.
    pub idle_timeout: Duration,
    pub request: Limits,
}

/// After an error answer, how long the client's remaining bytes are read and dropped before the
/// close, so that the close does not reset the connection before the client has read the answer.
const LINGER: Duration = Duration::from_secs(1);
/// Rejected connections waiting for the reject thread; beyond this they are closed unanswered.
const REJECT_QUEUE: usize = 64;
/// The smallest listen backlog asked for, whatever the connection cap.
const MIN_BACKLOG: usize = 4096;
/// The pause after a failed accept (out of file descriptors, say), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
/// Bytes of an unparsed request line looked at for the rejection hook (the journal keeps less).
const PARTIAL_LINE: usize = 8 * 1024;

/// A running server; [`Server::stop`] ends it.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    registry: Arc<Registry>,
}

#[derive(Default)]
struct Registry {
    inner: Mutex<RegistryInner>,
}

#[derive(Default)]
struct RegistryInner {
    next_id: u64,
    conns: HashMap<u64, Entry>,
}

struct Entry {
    stream: Arc<TcpStream>,
    /// Since when the connection waits for a request; `None` while it is inside one.
    idle_since: Option<Instant>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, RegistryInner> {
        // The registry holds no invariant a panic could break halfway.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection, evicting the longest-idle one at the cap; `None` if every
    /// connection is busy.
    fn admit(&self, stream: &Arc<TcpStream>, cap: usize) -> Option<u64> {
        let mut inner = self.lock();
        if inner.conns.len() >= cap {
            let oldest = inner
                .conns
                .iter()
                .filter_map(|(id, e)| e.idle_since.map(|t| (t, *id)))
                .min()
                .map(|(_, id)| id)?;
            if let Some(evicted) = inner.conns.remove(&oldest) {
                let _ = evicted.stream.shutdown(Shutdown::Both);
            }
        }
        let id = inner.next_id;
        inner.next_id += 1;
        inner.conns.insert(
            id,
            Entry {
                stream: stream.clone(),
                idle_since: Some(Instant::now()),
            },
        );
        Some(id)
    }

    /// Marks a connection busy; false if it was evicted meanwhile (it must then close without
    /// serving what it read).
    fn busy(&self, id: u64) -> bool {
        match self.lock().conns.get_mut(&id) {
            Some(e) => {
                e.idle_since = None;
                true
            }
            None => false,
        }
    }

    fn idle(&self, id: u64) {
        if let Some(e) = self.lock().conns.get_mut(&id) {
            e.idle_since = Some(Instant::now());
        }
    }

    fn remove(&self, id: u64) {
        self.lock().conns.remove(&id);
    }

    fn shutdown_all(&self) {
        for e in self.lock().conns.values() {
            let _ = e.stream.shutdown(Shutdown::Both);
        }
    }
}

/// Starts the accept thread.
pub(crate) fn serve(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    handler: Handler,
    on_reject: RejectHook,
    limits: ServerLimits,
) -> io::Result<Server> {
    let addr = listener.local_addr()?;
    // Listening again only widens the queue of connections not yet accepted (the kernel caps it
    // at its somaxconn); where that fails, std's backlog stays.
    let backlog = i32::try_from(limits.max_connections.max(MIN_BACKLOG)).unwrap_or(i32::MAX);
    let _ = socket2::SockRef::from(&listener).listen(backlog);
    let registry = Arc::new(Registry::default());
    let (reject_tx, reject_rx) = mpsc::sync_channel(REJECT_QUEUE);
    let rejecter = thread::Builder::new()
        .name("emulator-reject".into())
        .spawn({
            let (stop, on_reject) = (stop.clone(), on_reject.clone());
            move || reject_loop(reject_rx, &stop, &on_reject)
        })?;
    let accept = {
        let stop = stop.clone();
        let registry = registry.clone();
        thread::Builder::new()
            .name("emulator-accept".into())
            .spawn(move || {
                let serving = Serving {
                    handler,
                    on_reject,
                    limits,
                };
                accept_loop(&listener, &stop, &serving, &registry, reject_tx);
                // The reject thread ends once its sender is gone.
                let _ = rejecter.join();
            })?
    };
    Ok(Server {
        addr,
        stop,
        accept: Some(accept),
        registry,
    })
}

impl Server {
    /// Stops accepting, closes every connection (a running handler finishes, its answer fails to
    /// go out) and waits for the accept thread.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        super::http::wake(self.addr);
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
        self.registry.shutdown_all();
    }
}

/// What every connection thread is given.
#[derive(Clone)]
struct Serving {
    handler: Handler,
    on_reject: RejectHook,
    limits: ServerLimits,
}

fn accept_loop(
    listener: &TcpListener,
    stop: &Arc<AtomicBool>,
    serving: &Serving,
    registry: &Arc<Registry>,
    reject: SyncSender<TcpStream>,
) {
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => Arc::new(stream),
            Err(_) => {
                thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };
        let Some(id) = registry.admit(&stream, serving.limits.max_connections.max(1)) else {
            if let Ok(stream) = Arc::try_unwrap(stream) {
                // A full queue closes the connection unanswered rather than block accepting.
                let _ = reject.try_send(stream);
            }
            continue;
        };
        let worker = {
            let (stream, stop, serving, registry) = (
                stream.clone(),
                stop.clone(),
                serving.clone(),
                registry.clone(),
            );
            thread::Builder::new()
                .name("emulator-conn".into())
                .spawn(move || {
                    serve_connection(&stream, id, &registry, &serving, &stop);
                    registry.remove(id);
                })
        };
        if worker.is_err() {
            registry.remove(id);
            if let Ok(stream) = Arc::try_unwrap(stream) {
                let _ = reject.try_send(stream);
            }
        }
    }
}

/// Answers each rejected connection 503 and closes it (once stopping, just closes it).
fn reject_loop(rx: Receiver<TcpStream>, stop: &AtomicBool, on_reject: &RejectHook) {
    let body = serde_json::json!({"error": {
        "type": "server-busy",
        "message": "The emulator has reached its connection cap and every connection is busy; retry later",
    }})
    .to_string()
    .into_bytes();
    for stream in rx {
        if stop.load(Ordering::SeqCst) {
            continue;
        }
        // Whatever of the request has already arrived, without waiting for more.
        let mut first = vec![0u8; PARTIAL_LINE];
        let n = match stream.set_nonblocking(true) {
            Ok(()) => stream.peek(&mut first).unwrap_or(0),
            Err(_) => 0,
        };
        let _ = stream.set_nonblocking(false);
        let (method, target) = partial_line(&first[..n], PARTIAL_LINE);
        on_reject(&Rejection {
            status: 503,
            reason: "connection-cap",
            method: &method,
            target: &target,
            headers: &[],
        });
        let _ = stream.set_write_timeout(Some(LINGER));
        let response = Response::bytes(503, "application/json; charset=utf-8", body.clone())
            .with_header("Retry-After", "1");
        let mode = WriteMode {
            is_head: false,
            delivery: Delivery::Normal,
            close: true,
            http10: false,
        };
        if write_response(&stream, response, mode).is_ok() {
            linger_close(&stream);
        }
    }
}

/// Half-closes, then reads and drops what the client still sends for a moment, then closes: a
/// close with unread bytes would reset the connection and could destroy the answer in flight.
fn linger_close(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let end = Instant::now() + LINGER;
    let mut sink = [0u8; 8192];
    let mut r = stream;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match r.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn serve_connection(
    stream: &TcpStream,
    id: u64,
    registry: &Registry,
    serving: &Serving,
    stop: &AtomicBool,
) {
    let (limits, handler) = (&serving.limits, &serving.handler);
    let Ok(peer) = stream.peer_addr() else { return };
    if stream.set_nodelay(true).is_err()
        || stream
            .set_write_timeout(Some(limits.request.io_timeout))
            .is_err()
    {
        return;
    }
    let mut conn = Conn::new(stream);
    loop {
        // Idle: one blocking read, ended by a request, the idle timeout, or a shutdown.
        conn.release();
        registry.idle(id);
        if !conn.wait_readable(limits.idle_timeout) {
            return;
        }
        if stop.load(Ordering::SeqCst) || !registry.busy(id) {
            return;
        }
        let deadline = Instant::now() + limits.request.head_timeout;
        let (head, request) = match read_request(&mut conn, peer, &limits.request, deadline) {
            Ok(read) => read,
            Err(Refused { error, head }) => {
                // Told before the answer goes out: whoever reads the answer finds it journaled.
                tell_rejection(&serving.on_reject, &error, head.as_ref(), conn.buffered());
                // A 413 whose body was read and dropped leaves the connection in step.
                let close = error.close;
                answer_error(stream, error);
                if close {
                    return;
                }
                continue;
            }
        };
        let close = !head.keep_alive();
        let mode = |delivery| WriteMode {
            is_head: head.method == "HEAD",
            delivery,
            close,
            http10: head.minor == 0,
        };
        let outcome = match panic::catch_unwind(AssertUnwindSafe(|| handler(&request))) {
            Ok(outcome) => outcome,
            Err(cause) => {
                report_panic(&request.method, &request.path, &*cause, "answered 500");
                let e = HttpError {
                    status: 500,
                    kind: "internal-server-error",
                    message: "The emulator failed on this request (see its stderr)".into(),
                    close: true,
                    reason: "handler-panic",
                };
                answer_error(stream, e);
                return;
            }
        };
        let delivery = outcome.delivery;
        if delivery == Delivery::Close {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        // A streamed body runs route code while it is written: a panic there is caught too.
        let written = panic::catch_unwind(AssertUnwindSafe(|| {
            write_response(stream, outcome.response, mode(delivery))
        }));
        match written {
            Ok(Ok(())) if delivery == Delivery::Normal && !close => {}
            Ok(_) => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Err(cause) => {
                report_panic(&request.method, &request.path, &*cause, "answer cut short");
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Tells the hook of a refused request: its head if it was read whole, else what was read of
/// its request line (`unread`, the connection's buffer, still holds it).
fn tell_rejection(hook: &RejectHook, error: &HttpError, head: Option<&Head>, unread: &[u8]) {
    let read;
    let (method, target) = match head {
        Some(h) => (h.method.as_str(), h.target.as_str()),
        None => {
            read = partial_line(unread, PARTIAL_LINE);
            (read.0.as_str(), read.1.as_str())
        }
    };
    hook(&Rejection {
        status: error.status,
        reason: error.reason,
        method,
        target,
        headers: head.map_or(&[], |h| &h.headers),
    });
}

/// Answers a request that was not served and closes the connection if asked to.
fn answer_error(stream: &TcpStream, e: HttpError) {
    let close = e.close;
    let mode = WriteMode {
        is_head: false,
        delivery: Delivery::Normal,
        close,
        http10: false,
    };
    let _ = write_response(stream, e.into_response(), mode);
    if close {
        linger_close(stream);
    }
}

fn report_panic(method: &str, path: &str, cause: &(dyn std::any::Any + Send), what: &str) {
    let message = cause
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "apify-emulator: the handler of {method} {path} panicked ({message}); {what}"
    );
}
