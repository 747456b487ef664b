//! The account's request queues: list them, get or create one by name.

use crate::client::Client;
use crate::error::Result;
use crate::models::Page;
use crate::request_queue::decode;
use crate::request_queue_models::{QueueListOptions, RequestQueue};

/// The request queues of the account: list them, get or create one by name.
#[derive(Debug, Clone)]
pub struct RequestQueueCollectionClient {
    client: Client,
}

impl Client {
    /// The request queue with this name, created if missing; `None` creates a new unnamed one.
    /// API: `requestQueues_post`
    pub fn get_or_create_request_queue(&self, name: Option<&str>) -> Result<RequestQueue> {
        self.request_queues().get_or_create(name)
    }

    /// The account's request queues.
    pub fn request_queues(&self) -> RequestQueueCollectionClient {
        RequestQueueCollectionClient {
            client: self.clone(),
        }
    }
}

impl RequestQueueCollectionClient {
    /// One page of queues (named ones only unless [`QueueListOptions::unnamed`]).
    /// API: `requestQueues_get`
    pub fn list(&self, options: &QueueListOptions) -> Result<Page<RequestQueue>> {
        let call = options.call("/v2/request-queues", "request queue")?;
        self.client.http().send(&call)?.data()
    }

    /// The queue with this name, created if missing; `None` creates a new unnamed one.
    /// API: `requestQueues_post`
    pub fn get_or_create(&self, name: Option<&str>) -> Result<RequestQueue> {
        let v = crate::key_value_store::get_or_create_storage(
            &self.client,
            "/v2/request-queues",
            "request queue",
            name,
        )?;
        decode(v, "POST", "/v2/request-queues")
    }
}
