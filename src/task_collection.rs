//! The account's tasks (list, create) and what a task has besides its runs: update, delete,
//! its saved input and its webhooks.

use serde_json::Value;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, Retry};
use crate::models::Page;
use crate::task::TaskClient;
use crate::task_models::{Task, TaskCreate, TaskListOptions, TaskUpdate};
use crate::webhooks::WebhookInfo;

/// The account's tasks: list and create (`Client::tasks`).
#[derive(Debug, Clone)]
pub struct TaskCollectionClient {
    client: Client,
}

impl Client {
    /// The account's tasks.
    pub fn tasks(&self) -> TaskCollectionClient {
        TaskCollectionClient {
            client: self.clone(),
        }
    }
}

impl TaskCollectionClient {
    /// One page of tasks (oldest first unless `desc`). List items carry no input or options.
    ///
    /// API: `actorTasks_get`
    pub fn list(&self, options: &TaskListOptions) -> Result<Page<Task>> {
        let call = options.call("/v2/actor-tasks", "task")?;
        self.client.http().send(&call)?.data()
    }

    /// Creates a task. Sent once unless the server cannot have acted on it (a resend could
    /// create a second task, or fail on the name).
    ///
    /// API: `actorTasks_post`
    pub fn create(&self, task: &TaskCreate) -> Result<Task> {
        let call = Call::new("POST", "/v2/actor-tasks")
            .json_body(&task.body()?)?
            .retry(Retry::OnlyIfNotProcessed);
        self.client.http().send(&call)?.data()
    }
}

impl TaskClient {
    /// The task, or `None` if it does not exist.
    ///
    /// API: `actorTask_get`
    pub fn get(&self) -> Result<Option<Task>> {
        match self.client.http().send(&Call::new("GET", self.base()?)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Changes the task (the fields `update` sets; input and options are replaced whole) and
    /// returns it as it now is. The server checks the input against the Actor's input schema.
    ///
    /// API: `actorTask_put`
    pub fn update(&self, update: &TaskUpdate) -> Result<Task> {
        let call = Call::new("PUT", self.base()?).json_body(&update.body()?)?;
        self.client.http().send(&call)?.data()
    }

    /// Deletes the task; a missing task is the API's 404 error.
    ///
    /// API: `actorTask_delete`
    pub fn delete(&self) -> Result<()> {
        self.client
            .http()
            .send(&Call::new("DELETE", self.base()?))?;
        Ok(())
    }

    /// The task's saved input (a JSON object), or `None` if the task does not exist.
    ///
    /// API: `actorTask_input_get`
    pub fn input(&self) -> Result<Option<Value>> {
        let call = Call::new("GET", format!("{}/input", self.base()?));
        match self.client.http().send(&call) {
            Ok(r) => r.json().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the task's saved input with `input` (a JSON object) and returns it as stored.
    ///
    /// API: `actorTask_input_put`
    pub fn update_input(&self, input: &Value) -> Result<Value> {
        if !input.is_object() {
            return Err(Error::InvalidArgument(format!(
                "a task's input must be a JSON object, got {}",
                crate::input_schema::kind_of(input)
            )));
        }
        let call = Call::new("PUT", format!("{}/input", self.base()?)).json_body(input)?;
        self.client.http().send(&call)?.json()
    }

    /// One page of the webhooks whose condition is this task.
    ///
    /// API: `actorTask_webhooks_get`
    pub fn webhooks(&self, options: &crate::WebhookListOptions) -> Result<Page<WebhookInfo>> {
        let call = options.call(format!("{}/webhooks", self.base()?), "webhook")?;
        self.client.http().send(&call)?.data()
    }
}
