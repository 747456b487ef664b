//! The client handle, below both the boundary (which hands a handle's client to a body) and
//! the functions that make and use handles.

use crate::Client;

/// A client of the API. Safe to use from many threads at once.
pub struct apify_client {
    pub(super) client: Client,
    /// The request-queue `clientKey` of this handle, made once: the locks `apify_rq_lock_head`
    /// takes belong to it, so `apify_rq_mark_handled` and `apify_rq_delete_lock` through the
    /// same handle own them (threads sharing a handle share its locks).
    pub(super) rq_client_key: String,
}

impl apify_client {
    pub(super) fn new(client: Client) -> apify_client {
        apify_client {
            client,
            rq_client_key: crate::request_queue::new_client_key(),
        }
    }
}
