//! Run lists: the options they take (page, order, statuses, start-time window) and the user's
//! list of all runs.

use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;
use crate::models::{Page, Run, RunStatus};
use crate::runnable::Runnable;
use crate::timestamps::parse_iso_millis;

/// The most runs one page holds.
pub const MAX_RUNS_PER_PAGE: u64 = 1000;

/// Options of a run list: which page, in which order, and which runs.
///
/// ```
/// use apify::{RunStatus, RunsOptions};
/// let o = RunsOptions::default()
///     .limit(50)
///     .desc(true)
///     .status(RunStatus::Succeeded)
///     .started_after("2026-01-01T00:00:00.000Z");
/// assert_eq!(o.statuses, [RunStatus::Succeeded]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RunsOptions {
    /// Runs to skip (default 0).
    pub offset: Option<u64>,
    /// Runs on the page: 1 to [`MAX_RUNS_PER_PAGE`] (default: the server's, 1000).
    pub limit: Option<u64>,
    /// Newest first (default: oldest first, by start time).
    pub desc: bool,
    /// Only runs in one of these statuses (empty: any).
    pub statuses: Vec<RunStatus>,
    /// Only runs started at or after this ISO 8601 UTC time (`2026-01-31T12:00:00.000Z`).
    pub started_after: Option<String>,
    /// Only runs started at or before this ISO 8601 UTC time.
    pub started_before: Option<String>,
}

setters!(RunsOptions {
    /// Sets how many runs to skip.
    offset: some u64,
    /// Sets how many runs the page holds (1 to 1000).
    limit: some u64,
    /// Sets newest first.
    desc: set bool,
    /// Only runs started at or after this ISO 8601 UTC time.
    started_after: text String,
    /// Only runs started at or before this ISO 8601 UTC time.
    started_before: text String,
});

impl RunsOptions {
    /// Adds a status to keep.
    pub fn status(mut self, status: RunStatus) -> Self {
        self.statuses.push(status);
        self
    }

    /// Sets the statuses to keep.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = RunStatus>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// Checks the options (before any request) and puts them on `call`.
    pub(crate) fn apply(&self, call: Call) -> Result<Call> {
        if let Some(l) = self.limit {
            if !(1..=MAX_RUNS_PER_PAGE).contains(&l) {
                return Err(Error::InvalidArgument(format!(
                    "the run list's limit must be from 1 to {MAX_RUNS_PER_PAGE}, got {l}"
                )));
            }
        }
        let mut statuses = Vec::with_capacity(self.statuses.len());
        for s in &self.statuses {
            let name = s.as_str();
            if name.is_empty() || name.contains(',') || name.trim() != name {
                return Err(Error::InvalidArgument(format!(
                    "'{name}' is not a run status"
                )));
            }
            statuses.push(name);
        }
        let time = |name: &str, v: &Option<String>| -> Result<Option<u64>> {
            v.as_deref()
                .map(|t| {
                    parse_iso_millis(t.trim()).ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "{name} must be an ISO 8601 UTC time such as 2026-01-31T12:00:00.000Z, got '{t}'"
                        ))
                    })
                })
                .transpose()
        };
        let after = time("started_after", &self.started_after)?;
        let before = time("started_before", &self.started_before)?;
        if let (Some(a), Some(b)) = (after, before) {
            if a > b {
                return Err(Error::InvalidArgument(
                    "started_after is later than started_before: no run can match".into(),
                ));
            }
        }
        Ok(call
            .query_opt("offset", self.offset)
            .query_opt("limit", self.limit)
            .query("desc", self.desc)
            .query_opt("status", (!statuses.is_empty()).then(|| statuses.join(",")))
            .query_opt("startedAfter", self.started_after.as_deref().map(str::trim))
            .query_opt(
                "startedBefore",
                self.started_before.as_deref().map(str::trim),
            ))
    }
}

impl Client {
    /// One page of all the user's runs (any Actor or task), filtered by `options`. The items
    /// are the list's short form of a run: fetch a run for all its fields.
    ///
    /// API: `actorRuns_get`
    pub fn runs(&self, options: &RunsOptions) -> Result<Page<Run>> {
        self.runs_page(options)
    }

    /// [`runs`](Self::runs) with items of any type (the C library hands them on as received).
    pub(crate) fn runs_page<T: DeserializeOwned>(&self, options: &RunsOptions) -> Result<Page<T>> {
        let call = options.apply(Call::new("GET", "/v2/actor-runs"))?;
        self.http().send(&call)?.data()
    }
}

impl Runnable<'_> {
    /// An Actor's or task's runs with items of any type (the C library hands them on as
    /// received).
    pub(crate) fn runs_page<T: DeserializeOwned>(&self, options: &RunsOptions) -> Result<Page<T>> {
        let call = options.apply(Call::new("GET", format!("{}/runs", self.base()?)))?;
        self.client.http().send(&call)?.data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(o: &RunsOptions) -> Result<Vec<(String, String)>> {
        o.apply(Call::new("GET", "/x")).map(|c| c.query)
    }

    #[test]
    fn options_become_the_query() {
        let o = RunsOptions::default()
            .offset(5)
            .limit(10)
            .desc(true)
            .statuses([RunStatus::Succeeded, RunStatus::TimedOut])
            .started_after("2026-01-01T00:00:00Z")
            .started_before(" 2026-02-01T00:00:00.000Z ");
        let q = query(&o).unwrap();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("offset"), Some("5"));
        assert_eq!(get("limit"), Some("10"));
        assert_eq!(get("desc"), Some("true"));
        assert_eq!(get("status"), Some("SUCCEEDED,TIMED-OUT"));
        assert_eq!(get("startedAfter"), Some("2026-01-01T00:00:00Z"));
        assert_eq!(get("startedBefore"), Some("2026-02-01T00:00:00.000Z"));
        let q = query(&RunsOptions::default()).unwrap();
        assert_eq!(q, [("desc".to_string(), "false".to_string())]);
    }

    #[test]
    fn bad_options_are_refused_before_any_request() {
        for (o, says) in [
            (RunsOptions::default().limit(0), "limit"),
            (RunsOptions::default().limit(1001), "limit"),
            (
                RunsOptions::default().started_after("yesterday"),
                "started_after",
            ),
            (
                RunsOptions::default().started_before("2026-01-01"),
                "started_before",
            ),
            (
                RunsOptions::default()
                    .started_after("2026-02-01T00:00:00Z")
                    .started_before("2026-01-01T00:00:00Z"),
                "later",
            ),
            (
                RunsOptions::default().status(RunStatus::Unknown("A,B".into())),
                "not a run status",
            ),
            (
                RunsOptions::default().status(RunStatus::Unknown(String::new())),
                "not a run status",
            ),
        ] {
            match query(&o) {
                Err(Error::InvalidArgument(m)) => assert!(m.contains(says), "{m}"),
                other => panic!("{o:?}: {other:?}"),
            }
        }
    }
}
