//! The options of every plain list (offset, limit, desc) and the one check of a list's limit.

use crate::error::{Error, Result};
use crate::http::Call;

/// Most items one list request may ask for (the API's cap on these lists).
pub(crate) const MAX_LIST_LIMIT: u64 = 1000;

/// A page of a list: `limit` items (1 to 1000; the server's default when unset) after `offset`,
/// newest first with `desc`. Tasks, schedules, builds and webhooks (and their dispatches) are
/// listed with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Items to skip.
    pub offset: Option<u64>,
    /// Items to list at most, 1 to 1000.
    pub limit: Option<u64>,
    /// Newest first.
    pub desc: bool,
}

setters!(ListOptions {
    /// Sets the items to skip.
    offset: some u64,
    /// Sets the most items to list (1 to 1000).
    limit: some u64,
    /// Newest first.
    desc: set bool,
});

impl ListOptions {
    /// A GET of `path` with these options; `what` names the list in errors.
    pub(crate) fn call(&self, path: impl Into<String>, what: &str) -> Result<Call> {
        paged_call(path.into(), what, self.offset, self.limit, self.desc)
    }
}

/// A list request with offset, limit (checked before anything is sent) and desc.
pub(crate) fn paged_call(
    path: String,
    what: &str,
    offset: Option<u64>,
    limit: Option<u64>,
    desc: bool,
) -> Result<Call> {
    if let Some(l) = limit {
        if !(1..=MAX_LIST_LIMIT).contains(&l) {
            return Err(Error::InvalidArgument(format!(
                "the {what} list limit must be 1 to {MAX_LIST_LIMIT}, got {l}"
            )));
        }
    }
    Ok(Call::new("GET", path)
        .query_opt("offset", offset)
        .query_opt("limit", limit)
        .query_opt("desc", desc.then_some(true)))
}
