//! What datasets, key-value stores and request queues share: their collection endpoints (list,
//! get-or-create by name) and the get, update (name, title, `generalAccess`) and delete of one
//! storage.

use serde_json::{json, Map, Value};

use crate::emulator::context::{paginate, Ctx};
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, json_kind, ApiError, ApiResult};
use crate::emulator::state::State;
use crate::emulator::util::{is_valid_name, now_millis};

/// The operations on one existing storage after its id: `(ctx, method, id, rest)`.
pub(crate) type SubRoute = fn(&Ctx, &str, &str, &[&str]) -> ApiResult;

/// Storage names: letters, digits and hyphens, at most 63 characters.
fn check_storage_name(name: &str) -> Result<(), ApiError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "invalid-value",
            format!(
                "Storage name '{name}' is invalid: use 1 to 63 letters, digits and inner hyphens"
            ),
        ))
    }
}

/// The storage kinds that share their collection endpoints (list, get-or-create, get,
/// update, delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Dataset,
    Store,
    Queue,
}

/// The values of `generalAccess`.
pub(crate) const GENERAL_ACCESS: &[&str] = &[
    "ANYONE_WITH_ID_CAN_READ",
    "ANYONE_WITH_NAME_CAN_READ",
    "FOLLOW_USER_SETTING",
    "RESTRICTED",
];

/// The metadata fields every storage has.
trait Meta {
    fn id(&self) -> &str;
    fn name(&self) -> Option<&str>;
    fn seq(&self) -> u64;
    fn set_name(&mut self, name: Option<String>);
    fn set_title(&mut self, title: Option<String>);
    fn set_general_access(&mut self, access: String);
    fn touch(&mut self, modified: bool);
}

macro_rules! impl_meta {
    ($t:ty) => {
        impl Meta for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn name(&self) -> Option<&str> {
                self.name.as_deref()
            }
            fn seq(&self) -> u64 {
                self.seq
            }
            fn set_name(&mut self, name: Option<String>) {
                self.name = name;
            }
            fn set_title(&mut self, title: Option<String>) {
                self.title = title;
            }
            fn set_general_access(&mut self, access: String) {
                self.general_access = access;
            }
            fn touch(&mut self, modified: bool) {
                let now = now_millis();
                self.accessed_at = now;
                if modified {
                    self.modified_at = now;
                }
            }
        }
    };
}
impl_meta!(crate::emulator::state::Dataset);
impl_meta!(crate::emulator::state::KeyValueStore);
impl_meta!(crate::emulator::state::RequestQueue);

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Dataset => "Dataset",
            Kind::Store => "Key-value store",
            Kind::Queue => "Request queue",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Dataset => "datasets",
            Kind::Store => "key-value-stores",
            Kind::Queue => "request-queues",
        }
    }

    /// Resolves an id or name.
    fn find(self, st: &State, id: &str) -> Option<String> {
        match self {
            Kind::Dataset => st.dataset_id(id),
            Kind::Store => st.store_id(id),
            Kind::Queue => st.queue_id(id),
        }
    }

    fn create(self, st: &mut State, name: Option<String>) -> String {
        match self {
            Kind::Dataset => st.new_dataset(name),
            Kind::Store => st.new_store(name),
            Kind::Queue => st.new_queue(name),
        }
    }

    fn all(self, st: &State) -> Vec<&dyn Meta> {
        match self {
            Kind::Dataset => st.datasets.values().map(|d| d as &dyn Meta).collect(),
            Kind::Store => st.stores.values().map(|s| s as &dyn Meta).collect(),
            Kind::Queue => st.queues.values().map(|q| q as &dyn Meta).collect(),
        }
    }

    fn get_mut<'a>(self, st: &'a mut State, id: &str) -> Result<&'a mut dyn Meta, ApiError> {
        let found = match self {
            Kind::Dataset => st.datasets.get_mut(id).map(|d| d as &mut dyn Meta),
            Kind::Store => st.stores.get_mut(id).map(|s| s as &mut dyn Meta),
            Kind::Queue => st.queues.get_mut(id).map(|q| q as &mut dyn Meta),
        };
        found.ok_or_else(|| ApiError::not_found(self.label(), id))
    }

    fn remove(self, st: &mut State, id: &str) {
        match self {
            Kind::Dataset => drop(st.datasets.remove(id)),
            Kind::Store => drop(st.stores.remove(id)),
            Kind::Queue => drop(st.queues.remove(id)),
        }
    }

    /// The storage's JSON; `listed` drops what only the single-storage endpoint returns.
    fn json(self, st: &State, id: &str, base: &str, listed: bool) -> Value {
        match self {
            Kind::Dataset => {
                let mut v = st.dataset_json(&st.datasets[id], base);
                if listed {
                    v.as_object_mut().map(|o| o.shift_remove("fields"));
                }
                v
            }
            Kind::Store => st.store_json(&st.stores[id], base),
            Kind::Queue => st.queue_json(&st.queues[id], base),
        }
    }

    /// `GET` (list) and `POST` (get-or-create by name) on the collection, and the storage by id.
    pub(crate) fn route(self, ctx: &Ctx, m: &str, rest: &[&str], sub: SubRoute) -> ApiResult {
        let base = &ctx.shared.base_url;
        match (m, rest) {
            ("GET", []) => {
                let unnamed = ctx.q_bool("unnamed")?.unwrap_or(false);
                let st = ctx.shared.lock();
                let mut list: Vec<&dyn Meta> = self
                    .all(&st)
                    .into_iter()
                    .filter(|s| unnamed || s.name().is_some())
                    .collect();
                list.sort_by_key(|s| s.seq());
                let items = list
                    .iter()
                    .map(|s| self.json(&st, s.id(), base, true))
                    .collect();
                drop(st);
                let mut page = paginate(ctx, items)?;
                page["unnamed"] = json!(unnamed);
                Ok(data_response(200, page))
            }
            ("POST", []) => {
                let name = ctx.query.get("name").filter(|n| !n.is_empty());
                if let Some(n) = name {
                    check_storage_name(n)?;
                }
                let mut st = ctx.shared.lock();
                let (id, status) = match name.and_then(|n| self.find(&st, n)) {
                    Some(id) => (id, 200),
                    None => (self.create(&mut st, name.map(str::to_string)), 201),
                };
                let body = self.json(&st, &id, base, false);
                Ok(data_response(status, body)
                    .with_header("Location", format!("{base}/v2/{}/{id}", self.path())))
            }
            (_, [id, rest @ ..]) => {
                let id = self
                    .find(&ctx.shared.lock(), id)
                    .ok_or_else(|| ApiError::not_found(self.label(), id))?;
                sub(ctx, m, &id, rest)
            }
            _ => Err(ApiError::no_route()),
        }
    }

    /// `GET`, `PUT` and `DELETE` on one existing storage; `None` for any other request.
    pub(crate) fn item(self, ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> Option<ApiResult> {
        let base = &ctx.shared.base_url;
        let result = match (m, rest) {
            ("GET", []) => (|| {
                let mut st = ctx.shared.lock();
                self.get_mut(&mut st, id)?.touch(false);
                let mut body = self.json(&st, id, base, false);
                if ctx.anonymous {
                    // The signing secret is for those who may write.
                    body.as_object_mut()
                        .map(|o| o.shift_remove("urlSigningSecretKey"));
                }
                Ok(data_response(200, body))
            })(),
            ("PUT", []) => (|| {
                let body = ctx.json_object_body()?;
                let update = read_update(&body)?;
                let mut st = ctx.shared.lock();
                if let Some(Some(n)) = &update.name {
                    if self
                        .all(&st)
                        .iter()
                        .any(|s| s.id() != id && s.name() == Some(n))
                    {
                        return Err(ApiError::new(
                            400,
                            "invalid-value",
                            format!(
                                "A {} named '{n}' already exists",
                                self.label().to_lowercase()
                            ),
                        ));
                    }
                }
                let storage = self.get_mut(&mut st, id)?;
                if let Some(name) = update.name {
                    storage.set_name(name);
                }
                if let Some(title) = update.title {
                    storage.set_title(title);
                }
                if let Some(access) = update.general_access {
                    storage.set_general_access(access);
                }
                storage.touch(true);
                Ok(data_response(200, self.json(&st, id, base, false)))
            })(),
            ("DELETE", []) => {
                self.remove(&mut ctx.shared.lock(), id);
                Ok(Response::empty(204))
            }
            _ => return None,
        };
        Some(result)
    }
}

/// What an update body (`PUT` of a dataset or key-value store) changes. Each field is `None`
/// when absent, `Some(None)` to clear it and `Some(Some(v))` to set it.
struct Update {
    name: Option<Option<String>>,
    title: Option<Option<String>>,
    general_access: Option<String>,
}

fn read_update(body: &Map<String, Value>) -> Result<Update, ApiError> {
    let field = |key: &str| match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        // Refused rather than read as null, which would silently clear the field.
        Some(other) => Err(ApiError::bad_request(format!(
            "'{key}' must be a string or null, got {}",
            json_kind(other)
        ))),
    };
    let name = field("name")?;
    if let Some(Some(n)) = &name {
        check_storage_name(n)?;
    }
    let general_access = match body.get("generalAccess") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if GENERAL_ACCESS.contains(&s.as_str()) => Some(s.clone()),
        Some(other) => {
            return Err(ApiError::new(
                400,
                "invalid-value",
                format!(
                    "'generalAccess' must be one of {}, got {other}",
                    GENERAL_ACCESS.join(", ")
                ),
            ))
        }
    };
    Ok(Update {
        name,
        title: field("title")?,
        general_access,
    })
}

pub(crate) fn data_free_created(location: &str) -> Response {
    Response::bytes(201, "application/json; charset=utf-8", b"{}".to_vec())
        .with_header("Location", location.to_string())
}
