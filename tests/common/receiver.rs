//! A loopback HTTP receiver for webhook deliveries: records every request it gets and answers it
//! (200 unless told otherwise). It stops when dropped, and by itself after two minutes at most.
//! Standalone (no `super::`), so tests that do not use `mod common` can include it by `#[path]`.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest a receiver serves, should its owner never drop it.
const LIFETIME: Duration = Duration::from_secs(120);
/// The longest [`Receiver::wait_for`] waits for the requests it expects.
const WAIT: Duration = Duration::from_secs(20);

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub request_line: String,
    /// The request target of the request line.
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "webhook body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// The receiver: `url` is `http://127.0.0.1:{port}/hook`.
pub struct Receiver {
    pub url: String,
    pub port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Receiver {
    /// `answers[i]` is the status line (code, reason and any extra header lines) of the answer
    /// to the i-th request; later requests get `200 OK`. Each answer's body is `answer {code}`.
    pub fn start(answers: Vec<String>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (hits2, stop2) = (hits.clone(), stop.clone());
        let handle = thread::spawn(move || {
            let end = Instant::now() + LIFETIME;
            let mut served = 0;
            while !stop2.load(Ordering::SeqCst) && Instant::now() < end {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let answer = answers
                            .get(served)
                            .cloned()
                            .unwrap_or_else(|| "200 OK".into());
                        served += 1;
                        if let Some(hit) = serve_one(stream, &answer) {
                            hits2.lock().unwrap().push(hit);
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => panic!("receiver accept: {e}"),
                }
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            hits,
            stop,
            handle: Some(handle),
        }
    }

    /// `count` answers with this status code (reason `X`).
    pub fn statuses(code: u16, count: usize) -> Vec<String> {
        vec![format!("{code} X"); count]
    }

    /// What arrived so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (at most 20 s), then `linger` more to catch
    /// any extra one, and returns them all.
    pub fn wait_for(&self, n: usize, linger: Duration) -> Vec<Hit> {
        let end = Instant::now() + WAIT;
        while self.hits.lock().unwrap().len() < n && Instant::now() < end {
            thread::sleep(Duration::from_millis(10));
        }
        thread::sleep(linger);
        self.hits()
    }

    /// Stops at once and returns what arrived.
    pub fn stop(mut self) -> Vec<Hit> {
        self.halt();
        self.hits()
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Reads one request fully (head, then a Content-Length or chunked body) and answers it.
fn serve_one(mut stream: TcpStream, answer: &str) -> Option<Hit> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("").to_string();
    let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut rest = buf[head_end..].to_vec();
    let body = if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        // Read until the terminating zero-size chunk, then decode.
        while !rest.windows(5).any(|w| w == b"0\r\n\r\n") {
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(eol) = rest[pos..].windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&rest[pos..pos + eol]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            pos += eol + 2;
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[pos..pos + size]);
            pos += size + 2;
        }
        out
    } else {
        let len: usize = find("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while rest.len() < len {
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    };
    let code = answer.split(' ').next().unwrap_or("");
    let text = format!("answer {code}");
    let reply = format!(
        "HTTP/1.1 {answer}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.flush();
    Some(Hit {
        request_line,
        path,
        headers,
        body,
    })
}
