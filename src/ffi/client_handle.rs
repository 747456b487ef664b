//! The client handle, below both the boundary (which hands a handle's client to a body) and
//! the functions that make and use handles.

use crate::Client;

/// A client of the Apify API. Safe to use from many threads at once.
pub struct apify_client {
    pub(super) client: Client,
}
