//! A child process that cannot outlive its test: dropping the guard (a test that ends, passes or
//! panics) kills the process and reaps it.

use std::ops::{Deref, DerefMut};
use std::process::{Child, Command};

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
