//! Run starts that happen exactly once, across threads, clients and processes.
//!
//! The API has no idempotency key for starting a run: a start that is resent after the first
//! request reached the server creates a second, billed run. So every start carries a marker of
//! its own, [`START_MARKER_PREFIX`] followed by 32 lowercase hex digits, at the end of the
//! User-Agent of each of its attempts (after the user's own suffix). The platform records the
//! User-Agent of the request that started a run as the run's `meta.userAgent`, in the run object
//! and in the run list; a run whose `meta.userAgent` ends with a start's marker was created by
//! that start and by no other.
//!
//! What happens when an attempt fails:
//! - the server cannot have acted (a 429, a connection that was never made): resent;
//! - it may have (the answer was lost or cut, the request timed out, a 5xx): the start looks for
//!   its marker among the Actor's (or task's) runs that started at most [`RECONCILE_SKEW`] before
//!   the first attempt, newest first, for up to the client's reconcile window
//!   ([`DEFAULT_RECONCILE_WINDOW`]), since a slow original may still be on its way. A run carrying
//!   the marker is the answer; input or timing is never taken as evidence. Only when no run
//!   carries it by the end of the window is the start resent.
//! - if the original shows up after a resend (seen when the resend answers, or when a later
//!   attempt is reconciled), the oldest run carrying the marker is kept, every other one is
//!   aborted at once, and the abort is logged (`log` target `apify`).
//!
//! The assumption is checked, not trusted: every start that answers tells whether the server
//! recorded its marker. Once a server is known not to record it (a platform version, a proxy
//! that rewrites User-Agents, another server), or when runs of unknown origin without a recorded
//! User-Agent could be this start's run, an ambiguous start is not resent: it ends with
//! [`Error::OutcomeUnknown`], which names the marker, the time the start was sent and where to
//! look the run up (the run list, by start time). A resend is never a guess.
//!
//! What remains: an original that reaches the server only after the window and after the resend
//! has answered is not seen by this start; the window (settable on the client) bounds how slow a
//! server may be. Synchronous runs (`run-sync*`) are never resent once they may have reached
//! the server; their marker lets [`Error::OutcomeUnknown`] name the run that exists.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, Failure, Reply, Unknown};
use crate::models::{Page, Run};
use crate::timestamps::{format_iso_millis, parse_iso_millis};

/// How much earlier than the first attempt a reconciled run may have started (server clock skew).
pub const RECONCILE_SKEW: Duration = Duration::from_secs(30);

/// What a start's marker begins with; 32 lowercase hex digits follow, and it ends the User-Agent.
pub const START_MARKER_PREFIX: &str = "libapify-start/";

/// Runs read per page of the run list while looking for a marker.
const SCAN_PAGE: u64 = 1000;
/// Pages of the run list read at most in one look; more candidates than that cannot be proven.
const SCAN_PAGES: u64 = 5;
/// Runs fetched one by one at most in one look, when the list does not show `meta.userAgent`.
const SCAN_FETCHES: usize = 50;

/// A new start marker: `libapify-start/` and 128 bits as hex, unique across processes and
/// machines (std's per-process random hash keys, the process id, the time and a counter).
pub(crate) fn new_start_marker() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(count);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *half = h.finish();
    }
    format!("{START_MARKER_PREFIX}{:016x}{:016x}", halves[0], halves[1])
}

/// The `meta.userAgent` of a run object or run list item: `None` if the field is absent,
/// `Some(None)` if the server recorded none.
fn recorded_user_agent(run: &Value) -> Option<Option<&str>> {
    let meta = run.get("meta")?.as_object()?;
    let ua = meta.get("userAgent")?;
    Some(ua.as_str().filter(|s| !s.is_empty()))
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The failure's text without the method and path the outcome-unknown error already names.
fn what_failed(call: &Call, failure: &Failure) -> String {
    let text = failure.error.to_string();
    let prefix = format!("{} {}: ", call.method, call.path);
    text.strip_prefix(&prefix).unwrap_or(&text).to_string()
}

/// What one look through the run list found.
#[derive(Default)]
struct Scan {
    /// Runs carrying this start's marker, oldest first.
    ours: Vec<String>,
    /// Runs that could be this start's without showing it: API starts with no recorded
    /// User-Agent, or (while the server is not known to record markers) one that carries none.
    unproven: Vec<String>,
    /// More candidates than one look reads: nothing can be proven.
    incomplete: bool,
}

/// How a run that started in the window relates to this start.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Ours,
    NotOurs,
    Unproven,
}

/// Judges a run by its `meta`: only this start's marker makes it ours; another start's marker,
/// or an origin other than an API start, rules it out; a run without a recorded User-Agent
/// could be ours; any other User-Agent rules it out only once the server is known to record
/// this client's markers.
fn judge(origin: Option<&str>, user_agent: Option<&str>, marker: &str, records: bool) -> Verdict {
    if origin.is_some_and(|o| o != "API") {
        return Verdict::NotOurs;
    }
    match user_agent {
        Some(ua) if ua.ends_with(marker) => Verdict::Ours,
        Some(ua) if ua.contains(START_MARKER_PREFIX) || records => Verdict::NotOurs,
        _ => Verdict::Unproven,
    }
}

/// One start: its marker, where its runs are listed and when it was first sent.
pub(crate) struct Start<'a> {
    client: &'a Client,
    /// `/v2/actors/{id}/runs` or `/v2/actor-tasks/{id}/runs`: where the start is sent and its
    /// runs are listed.
    runs_path: String,
    marker: String,
    sent_at: SystemTime,
    resent: bool,
}

impl<'a> Start<'a> {
    pub(crate) fn new(client: &'a Client, runs_path: String) -> Start<'a> {
        Start {
            client,
            runs_path,
            marker: new_start_marker(),
            sent_at: SystemTime::now(),
            resent: false,
        }
    }

    /// Sends the start (`call`, a POST to `runs_path`) and returns the one run it created.
    pub(crate) fn run(mut self, call: Call) -> Result<Run> {
        let call = call.start_marker(&self.marker);
        self.sent_at = SystemTime::now();
        let client = self.client;
        let run = client.http().send_guarded(
            &call,
            |reply| reply.data::<Run>(),
            |failure, _| self.reconcile(&call, failure),
        )?;
        let records = run
            .meta
            .get("userAgent")
            .and_then(Value::as_str)
            .is_some_and(|ua| ua.ends_with(&self.marker));
        self.client.inner.starts.learn(records);
        if self.resent && records {
            return self.keep_oldest(run);
        }
        Ok(run)
    }

    /// After a resend answered: if the original showed up too, keep the oldest run and abort
    /// the others.
    fn keep_oldest(&self, run: Run) -> Result<Run> {
        let Ok(scan) = self.scan() else {
            return Ok(run);
        };
        match scan.ours.first() {
            Some(first) if *first != run.id => {
                self.abort_extras(&scan.ours);
                self.client.run(first).fetch()
            }
            _ => {
                self.abort_extras(&scan.ours);
                Ok(run)
            }
        }
    }

    /// Decides what an ambiguous attempt means: the run it created, a resend, or no answer.
    fn reconcile(&mut self, call: &Call, failure: &Failure) -> Unknown<Run> {
        let starts = &self.client.inner.starts;
        if starts.known_to_ignore() {
            return Unknown::Done(Err(self.unknown(
                call,
                failure,
                "this server does not record a run's start marker, so the run cannot be told apart from others",
            )));
        }
        let now = Instant::now();
        // A window too large for the clock looks for a day.
        let deadline = now
            .checked_add(starts.window())
            .unwrap_or(now + Duration::from_secs(86_400));
        let mut pause = Duration::from_millis(100);
        loop {
            let scan = match self.scan() {
                Ok(s) => s,
                Err(e) => {
                    return Unknown::Done(Err(self.unknown(
                        call,
                        failure,
                        &format!("looking the run up in the run list failed: {e}"),
                    )))
                }
            };
            if !scan.ours.is_empty() {
                starts.learn(true);
            }
            if let Some(first) = scan.ours.first() {
                self.abort_extras(&scan.ours);
                return Unknown::Done(self.client.run(first).fetch());
            }
            if scan.incomplete {
                return Unknown::Done(Err(self.unknown(
                    call,
                    failure,
                    "more runs started around that time than one look through the run list reads",
                )));
            }
            let now = Instant::now();
            if now >= deadline {
                if !scan.unproven.is_empty() {
                    return Unknown::Done(Err(self.unknown(
                        call,
                        failure,
                        &format!(
                            "no run carries its marker, and {} run(s) started around that time show no marker of any start ({}), so one of them may be this start's run",
                            scan.unproven.len(),
                            scan.unproven.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )));
                }
                self.resent = true;
                return Unknown::Resend;
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// The outcome-unknown error for this start.
    fn unknown(&self, call: &Call, failure: &Failure, why: &str) -> Error {
        Error::OutcomeUnknown {
            method: call.method.to_string(),
            path: call.path.clone(),
            message: format!(
                "{}; a run may have started and may be billed. It was not resent: {why}. Look for it in the run list (GET {}?desc=true) among the runs started from {} on; its meta.userAgent ends with {}",
                what_failed(call, failure),
                self.runs_path,
                format_iso_millis(self.since()),
                self.marker
            ),
            start_marker: Some(self.marker.clone()),
            run_id: None,
            source: Some(crate::error::Cause::new(failure.error.clone())),
        }
    }

    /// The earliest start time a run of this start can show.
    fn since(&self) -> u64 {
        millis(self.sent_at).saturating_sub(RECONCILE_SKEW.as_millis() as u64)
    }

    /// Aborts every run but the first (oldest) of this start's runs, logging each.
    fn abort_extras(&self, ours: &[String]) {
        for extra in ours.iter().skip(1) {
            match self.client.run(extra).abort(false) {
                Ok(_) => log::warn!(
                    target: "apify",
                    "run start {} created more than one run (the original arrived after a resend): kept {}, aborted {extra}",
                    self.marker,
                    ours[0]
                ),
                Err(e) => log::error!(
                    target: "apify",
                    "run start {} created more than one run: kept {}, and aborting the extra run {extra} failed: {e}",
                    self.marker,
                    ours[0]
                ),
            }
        }
    }

    /// One look through the run list, newest first, back to [`Start::since`].
    fn scan(&self) -> Result<Scan> {
        let since = self.since();
        let http = self.client.http();
        let mut scan = Scan::default();
        let mut ours: Vec<(u64, String)> = Vec::new();
        let mut fetches = 0;
        let records = self.client.inner.starts.known_to_record();
        for page_index in 0..SCAN_PAGES {
            let call = Call::new("GET", self.runs_path.clone())
                .query("desc", true)
                .query("offset", page_index * SCAN_PAGE)
                .query("limit", SCAN_PAGE);
            let page: Page<Value> = http.send(&call)?.data()?;
            let mut older_seen = false;
            for item in &page.items {
                let Some(id) = item.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let started = item
                    .get("startedAt")
                    .and_then(Value::as_str)
                    .and_then(parse_iso_millis);
                // A run without a readable start time is a candidate: it cannot be ruled out.
                if started.is_some_and(|s| s < since) {
                    older_seen = true;
                    continue;
                }
                let fetched;
                let meta = match recorded_user_agent(item) {
                    Some(_) => item,
                    None if fetches < SCAN_FETCHES => {
                        fetches += 1;
                        fetched = serde_json::to_value(self.client.run(id).fetch()?)
                            .unwrap_or(Value::Null);
                        &fetched
                    }
                    None => {
                        scan.incomplete = true;
                        continue;
                    }
                };
                let origin = meta.pointer("/meta/origin").and_then(Value::as_str);
                let ua = recorded_user_agent(meta).flatten();
                match judge(origin, ua, &self.marker, records) {
                    Verdict::Ours => ours.push((started.unwrap_or(u64::MAX), id.to_string())),
                    Verdict::NotOurs => {}
                    Verdict::Unproven => scan.unproven.push(id.to_string()),
                }
            }
            if older_seen || (page.items.len() as u64) < SCAN_PAGE {
                ours.sort();
                scan.ours = ours.into_iter().map(|(_, id)| id).collect();
                return Ok(scan);
            }
        }
        scan.incomplete = true;
        ours.sort();
        scan.ours = ours.into_iter().map(|(_, id)| id).collect();
        Ok(scan)
    }

    /// Sends a synchronous run, which is never resent once it may have reached the server; a
    /// lost answer becomes [`Error::OutcomeUnknown`], naming the run that carries the marker
    /// when one is found at once.
    pub(crate) fn run_sync(mut self, call: Call) -> Result<Reply> {
        let call = call.start_marker(&self.marker);
        self.sent_at = SystemTime::now();
        let client = self.client;
        client.http().send_guarded(&call, Ok, |failure, _| {
            let run_id = self.scan().ok().and_then(|s| s.ours.into_iter().next());
            let found = match &run_id {
                Some(id) => format!("It is run {id}, found by its start marker {}", self.marker),
                None => format!(
                    "No run carrying its start marker was found at once; look in the run list (GET {}?desc=true) among the runs started from {} on: its meta.userAgent ends with {}",
                    self.runs_path,
                    format_iso_millis(self.since()),
                    self.marker
                ),
            };
            Unknown::Done(Err(Error::OutcomeUnknown {
                method: call.method.to_string(),
                path: call.path.clone(),
                message: format!(
                    "{}; a run may have started and may be billed. A synchronous run is never resent once it may have reached the server. {found}",
                    what_failed(&call, failure)
                ),
                start_marker: Some(self.marker.clone()),
                run_id,
                source: Some(crate::error::Cause::new(failure.error.clone())),
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let m = new_start_marker();
            let hex = m.strip_prefix(START_MARKER_PREFIX).unwrap();
            assert_eq!(hex.len(), 32);
            assert!(hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert!(seen.insert(m));
        }
    }

    #[test]
    fn only_the_marker_makes_a_run_ours() {
        let m = "libapify-start/00112233445566778899aabbccddeeff";
        let ours = format!("libapify/0.1.0 (Rust; blocking) me {m}");
        let other =
            "libapify/0.1.0 (Rust; blocking) libapify-start/ffeeddccbbaa99887766554433221100";
        for records in [false, true] {
            assert_eq!(judge(Some("API"), Some(&ours), m, records), Verdict::Ours);
            assert_eq!(judge(None, Some(&ours), m, records), Verdict::Ours);
            assert_eq!(
                judge(Some("API"), Some(other), m, records),
                Verdict::NotOurs
            );
            assert_eq!(judge(Some("SCHEDULER"), None, m, records), Verdict::NotOurs);
            assert_eq!(judge(Some("API"), None, m, records), Verdict::Unproven);
        }
        assert_eq!(
            judge(Some("API"), Some("curl/8"), m, false),
            Verdict::Unproven
        );
        assert_eq!(
            judge(Some("API"), Some("curl/8"), m, true),
            Verdict::NotOurs
        );
    }

    #[test]
    fn user_agents_are_read_from_meta() {
        let v = serde_json::json!({"meta": {"userAgent": "x libapify-start/ab"}});
        assert_eq!(recorded_user_agent(&v), Some(Some("x libapify-start/ab")));
        let v = serde_json::json!({"meta": {"userAgent": null}});
        assert_eq!(recorded_user_agent(&v), Some(None));
        let v = serde_json::json!({"meta": {"origin": "API"}});
        assert_eq!(recorded_user_agent(&v), None);
    }
}
