//! Test support: a plain HTTP client for the emulator that checks every JSON body it receives
//! against the official OpenAPI document, and helpers around it.
#![allow(dead_code)]

pub mod artifacts;
pub mod child;
pub mod openapi;
pub mod receiver;
pub mod rogue;
pub mod runs;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use apify::emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

/// How many bodies were validated against a schema in this test binary.
pub static VALIDATED: AtomicUsize = AtomicUsize::new(0);

/// An answer: status, headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The `data` of a `{"data": ...}` body.
    pub fn data(&self) -> Value {
        let v = self.json();
        assert!(v.get("data").is_some(), "no 'data' in {v}");
        v["data"].clone()
    }

    /// The error type of an error envelope (and checks the envelope's shape).
    pub fn error_type(&self) -> String {
        let v = self.json();
        let t = v["error"]["type"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error envelope: {v}"));
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without a message: {v}"
        );
        t.to_string()
    }

    /// Asserts the status, printing the body when it differs.
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }
}

/// The message of an error envelope (empty when there is none).
pub fn error_message(resp: &Resp) -> String {
    resp.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// A plain HTTP client (ureq, not the SDK) bound to one emulator.
pub struct Api {
    pub base: String,
    pub token: String,
    agent: ureq::Agent,
    /// Skip the schema check for the next requests (bodies the spec describes wrongly).
    pub validate: bool,
    _emulator: Option<Emulator>,
}

impl Api {
    /// A fresh emulator with the default configuration.
    pub fn start() -> Api {
        Api::start_with(EmulatorConfig::default())
    }

    pub fn start_with(config: EmulatorConfig) -> Api {
        let emu = Emulator::start(config).expect("emulator starts");
        let mut api = Api::connect(emu.base_url(), emu.token());
        api._emulator = Some(emu);
        api
    }

    /// A client of an emulator running elsewhere (a child process).
    pub fn connect(base: &str, token: &str) -> Api {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Loopback only, whatever proxy the environment names.
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Api {
            base: base.to_string(),
            token: token.to_string(),
            agent,
            validate: true,
            _emulator: None,
        }
    }

    pub fn with_token(&self, token: Option<&str>) -> Api {
        let mut api = Api::connect(&self.base, token.unwrap_or(""));
        api.validate = self.validate;
        api
    }

    /// Sends a request; `path` may carry a query string. Every JSON body is validated against
    /// the spec's schema for the operation and status.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let url = format!("{}{}", self.base, path);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if !self.token.is_empty() {
            builder = builder.header("Authorization", format!("Bearer {}", self.token));
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .expect("request builds");
        let mut response = self
            .agent
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(2 << 30)
            .read_to_vec()
            .unwrap_or_default();
        let resp = Resp {
            status,
            headers,
            body,
        };
        self.check(method, path, &resp);
        resp
    }

    fn check(&self, method: &str, path: &str, resp: &Resp) {
        let is_json = resp.header("content-type").is_some_and(|c| {
            c.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
        if !is_json || resp.body.is_empty() {
            return;
        }
        let body = resp
            .body
            .strip_prefix("\u{feff}".as_bytes())
            .unwrap_or(&resp.body);
        let value: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{method} {path}: JSON content type but not JSON ({e})"));
        if resp.status >= 400 {
            assert!(
                value["error"]["type"].is_string() && value["error"]["message"].is_string(),
                "{method} {path}: error body is not an error envelope: {value}"
            );
        }
        if !self.validate || path.starts_with("/_emulator") {
            return;
        }
        let bare = path.split('?').next().unwrap_or(path);
        match openapi::Spec::get().validate_response(method, bare, resp.status, &value) {
            Ok(true) => {
                VALIDATED.fetch_add(1, Ordering::Relaxed);
            }
            Ok(false) => {}
            Err(e) => panic!("{method} {path}: body breaks the spec: {e}\nbody: {value}"),
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], None)
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path, &[], None)
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Resp {
        let bytes = body.to_string().into_bytes();
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(&bytes),
        )
    }

    pub fn put_json(&self, path: &str, body: &Value) -> Resp {
        let bytes = body.to_string().into_bytes();
        self.request(
            "PUT",
            path,
            &[("Content-Type", "application/json")],
            Some(&bytes),
        )
    }

    pub fn post_empty(&self, path: &str) -> Resp {
        self.request("POST", path, &[], None)
    }

    /// Starts a run of an Actor and returns the run object.
    pub fn start_run(&self, actor: &str, input: &Value, query: &str) -> Value {
        self.post_json(&format!("/v2/acts/{actor}/runs{query}"), input)
            .expect(201)
            .data()
    }

    /// Waits (long polling) until the run is terminal.
    pub fn wait_run(&self, run_id: &str) -> Value {
        for _ in 0..100 {
            let run = self
                .get(&format!("/v2/actor-runs/{run_id}?waitForFinish=60"))
                .expect(200)
                .data();
            if ["SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"]
                .contains(&run["status"].as_str().unwrap())
            {
                return run;
            }
        }
        panic!("run {run_id} did not finish");
    }

    /// Adds a fault through `/_emulator/faults`.
    pub fn fault(&self, method: &str, path: &str, times: u64, action: Value) {
        self.post_json(
            "/_emulator/faults",
            &serde_json::json!({"method": method, "path": path, "times": times, "action": action}),
        )
        .expect(201);
    }

    /// The journal entries, optionally filtered by a path glob.
    pub fn journal(&self, path_glob: &str) -> Vec<Value> {
        let q = if path_glob.is_empty() {
            String::new()
        } else {
            format!("?path={path_glob}")
        };
        self.get(&format!("/_emulator/requests{q}"))
            .expect(200)
            .data()
            .as_array()
            .unwrap()
            .clone()
    }

    /// host:port of the emulator.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// Sends raw bytes on a new connection and returns everything read until the server closes
    /// it (or `timeout` passes).
    pub fn raw(&self, bytes: &[u8], timeout: Duration) -> Vec<u8> {
        let mut s = TcpStream::connect(self.addr()).expect("connect");
        s.set_read_timeout(Some(timeout)).unwrap();
        s.write_all(bytes).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        out
    }
}
