//! A child process that cannot outlive its test: dropping the guard (a test that ends, passes or
//! panics) kills the process and reaps it.
#![allow(dead_code)]

use std::io::Read;
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// The variables through which HTTP clients take a proxy from the environment.
pub const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Loopback only: no proxy from the environment may take `cmd`'s requests elsewhere.
pub fn without_proxies(cmd: &mut Command) -> &mut Command {
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// Owns a running child; `Drop` kills and waits for it unless it has already exited.
pub struct ChildGuard(Child);

impl ChildGuard {
    /// Starts `cmd`, panicking with the command line when it cannot start.
    pub fn spawn(cmd: &mut Command) -> ChildGuard {
        match cmd.spawn() {
            Ok(child) => ChildGuard(child),
            Err(e) => panic!("cannot start {cmd:?}: {e}"),
        }
    }

    /// Waits for the child to exit (panicking with `late` once `deadline` passes), then reads
    /// all of its piped stdout and stderr.
    pub fn finish(&mut self, deadline: Instant, late: &str) -> (ExitStatus, String, String) {
        let status = loop {
            if let Some(status) = self.0.try_wait().expect("the child can be waited for") {
                break status;
            }
            assert!(Instant::now() < deadline, "{late}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        if let Some(mut out) = self.0.stdout.take() {
            out.read_to_string(&mut stdout).unwrap();
        }
        if let Some(mut err) = self.0.stderr.take() {
            err.read_to_string(&mut stderr).unwrap();
        }
        (status, stdout, stderr)
    }
}

impl Deref for ChildGuard {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}
