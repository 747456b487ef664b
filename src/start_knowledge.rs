//! What a client's run starts have learned about its server (does it record a start's marker
//! as the run's `meta.userAgent`?), and how long an ambiguous start looks for its run. Kept
//! apart from `start` so that the client holds it without importing the start logic.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// How long an ambiguous start looks for its run before it is resent, unless the client says
/// otherwise ([`ClientBuilder::reconcile_window`](crate::ClientBuilder::reconcile_window)).
pub const DEFAULT_RECONCILE_WINDOW: Duration = Duration::from_secs(5);

const SUPPORT_UNKNOWN: u8 = 0;
const SUPPORT_RECORDS: u8 = 1;
const SUPPORT_IGNORES: u8 = 2;

/// What a client's starts have learned about its server, and how long they look for a run.
pub(crate) struct Starts {
    window: Duration,
    support: AtomicU8,
}

impl Starts {
    pub(crate) fn new(window: Duration) -> Starts {
        Starts {
            window,
            support: AtomicU8::new(SUPPORT_UNKNOWN),
        }
    }

    /// How long an ambiguous start looks for its run.
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// The server is known to record start markers.
    pub(crate) fn known_to_record(&self) -> bool {
        self.support.load(Ordering::Relaxed) == SUPPORT_RECORDS
    }

    /// The server is known not to record them.
    pub(crate) fn known_to_ignore(&self) -> bool {
        self.support.load(Ordering::Relaxed) == SUPPORT_IGNORES
    }

    /// Remembers whether a start that answered showed its marker recorded.
    pub(crate) fn learn(&self, records: bool) {
        let v = if records {
            SUPPORT_RECORDS
        } else {
            SUPPORT_IGNORES
        };
        self.support.store(v, Ordering::Relaxed);
    }
}
