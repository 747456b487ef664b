//! Datasets and key-value stores: the storage endpoints and the dataset-items query engine.

use std::collections::HashMap;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::emulator::context::{paginate, Ctx};
use crate::emulator::http::Response;
use crate::emulator::reply::{data_response, json_kind, ApiError, ApiResult};
use crate::emulator::state::{Item, Shared, State};
use crate::emulator::util::{encode_segment, is_valid_name, now_millis};

/// Record keys: at most 256 characters from `a-zA-Z0-9!-_.'()`.
pub(crate) fn check_record_key(key: &str) -> Result<(), ApiError> {
    let ok = !key.is_empty()
        && key.len() <= 256
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!-_.'()".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "invalid-record-key",
            format!(
                "Record key '{key}' is invalid: a key has 1 to 256 characters from a-z, A-Z, 0-9 and !-_.'()"
            ),
        ))
    }
}

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

// ---------------------------------------------------------------- storages

/// The two storage kinds that share their collection endpoints (list, get-or-create, get,
/// update, delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dataset,
    Store,
}

/// The metadata fields every storage has.
trait Meta {
    fn id(&self) -> &str;
    fn name(&self) -> Option<&str>;
    fn seq(&self) -> u64;
    fn set_name(&mut self, name: Option<String>);
    fn set_title(&mut self, title: Option<String>);
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

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Dataset => "Dataset",
            Kind::Store => "Key-value store",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Dataset => "datasets",
            Kind::Store => "key-value-stores",
        }
    }

    /// Resolves an id or name.
    fn find(self, st: &State, id: &str) -> Option<String> {
        match self {
            Kind::Dataset => st.dataset_id(id),
            Kind::Store => st.store_id(id),
        }
    }

    fn create(self, st: &mut State, name: Option<String>) -> String {
        match self {
            Kind::Dataset => st.new_dataset(name),
            Kind::Store => st.new_store(name),
        }
    }

    fn all(self, st: &State) -> Vec<&dyn Meta> {
        match self {
            Kind::Dataset => st.datasets.values().map(|d| d as &dyn Meta).collect(),
            Kind::Store => st.stores.values().map(|s| s as &dyn Meta).collect(),
        }
    }

    fn get_mut<'a>(self, st: &'a mut State, id: &str) -> Result<&'a mut dyn Meta, ApiError> {
        let found = match self {
            Kind::Dataset => st.datasets.get_mut(id).map(|d| d as &mut dyn Meta),
            Kind::Store => st.stores.get_mut(id).map(|s| s as &mut dyn Meta),
        };
        found.ok_or_else(|| ApiError::not_found(self.label(), id))
    }

    fn remove(self, st: &mut State, id: &str) {
        match self {
            Kind::Dataset => drop(st.datasets.remove(id)),
            Kind::Store => drop(st.stores.remove(id)),
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
        }
    }

    /// `GET` (list) and `POST` (get-or-create by name) on the collection, and the storage by id.
    fn route(self, ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
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
                match self {
                    Kind::Dataset => dataset_sub(ctx, m, &id, rest),
                    Kind::Store => store_sub(ctx, m, &id, rest),
                }
            }
            _ => Err(ApiError::no_route()),
        }
    }

    /// `GET`, `PUT` and `DELETE` on one existing storage; `None` for any other request.
    fn item(self, ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> Option<ApiResult> {
        let base = &ctx.shared.base_url;
        let result = match (m, rest) {
            ("GET", []) => (|| {
                let mut st = ctx.shared.lock();
                self.get_mut(&mut st, id)?.touch(false);
                Ok(data_response(200, self.json(&st, id, base, false)))
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

// ---------------------------------------------------------------- datasets

pub(crate) fn route_datasets(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    Kind::Dataset.route(ctx, m, rest)
}

/// Operations on one (existing) dataset: `rest` is what follows `/datasets/{id}`.
pub(crate) fn dataset_sub(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    if let Some(result) = Kind::Dataset.item(ctx, m, id, rest) {
        return result;
    }
    match (m, rest) {
        ("GET" | "HEAD", ["items"]) => {
            let q = ItemsQuery::parse(ctx)?;
            items_response(ctx.shared, id, &q, 200)
        }
        ("POST", ["items"]) => push_items(ctx, id),
        _ => Err(ApiError::no_route()),
    }
}

/// What an update body (`PUT` of a dataset or key-value store) changes. Each field is `None`
/// when absent, `Some(None)` to clear it and `Some(Some(v))` to set it.
struct Update {
    name: Option<Option<String>>,
    title: Option<Option<String>>,
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
    Ok(Update {
        name,
        title: field("title")?,
    })
}

fn push_items(ctx: &Ctx, id: &str) -> ApiResult {
    let body = ctx.decoded_body()?;
    let items = parse_items(&body)?;
    let mut st = ctx.shared.lock();
    if !st.datasets.contains_key(id) {
        return Err(ApiError::not_found("Dataset", id));
    }
    st.push_items(id, items);
    Ok(data_free_created(&format!(
        "{}/v2/datasets/{id}/items",
        ctx.shared.base_url
    )))
}

fn data_free_created(location: &str) -> Response {
    Response::bytes(201, "application/json; charset=utf-8", b"{}".to_vec())
        .with_header("Location", location.to_string())
}

/// Parses a push body (one object or an array of objects) keeping each item's own text.
pub(crate) fn parse_items(body: &[u8]) -> Result<Vec<Item>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("The request body is not UTF-8 text"))?;
    let trimmed = text.trim_start();
    let raws: Vec<Box<RawValue>> = if trimmed.starts_with('[') {
        serde_json::from_str(text)
    } else {
        serde_json::from_str::<Box<RawValue>>(text).map(|r| vec![r])
    }
    .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))?;
    raws.into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let keys: HashMap<String, IgnoredAny> =
                serde_json::from_str(raw.get()).map_err(|_| {
                    let kind = serde_json::from_str::<Value>(raw.get())
                        .map(|v| json_kind(&v))
                        .unwrap_or("not JSON");
                    ApiError::new(
                        400,
                        "invalid-input",
                        format!(
                            "Dataset item at index {i} is {kind}; every item must be a JSON object"
                        ),
                    )
                })?;
            Ok(Item {
                empty: keys.is_empty(),
                hidden: keys.keys().any(|k| k.starts_with('#')),
                json: raw.get().into(),
            })
        })
        .collect()
}

/// The dataset-items parameters (shared with run-sync-get-dataset-items).
pub(crate) struct ItemsQuery {
    format: String,
    offset: u64,
    limit: Option<u64>,
    desc: bool,
    fields: Option<Vec<String>>,
    omit: Option<Vec<String>>,
    unwind: Option<Vec<String>>,
    flatten: Option<Vec<String>>,
    skip_empty: bool,
    skip_hidden: bool,
    skip_header_row: bool,
    delimiter: String,
    bom: Option<bool>,
    xml_root: String,
    xml_row: String,
    attachment: bool,
}

const FORMATS: &[&str] = &["json", "jsonl", "csv", "html", "xml", "rss"];

impl ItemsQuery {
    pub(crate) fn parse(ctx: &Ctx) -> Result<ItemsQuery, ApiError> {
        // An empty value means the parameter is absent, as for the numbers and booleans:
        // clients fill unset options with `name=`, and `fields=` must not pick nothing.
        let text = |name: &str| ctx.query.get(name).filter(|v| !v.is_empty());
        let list = |name: &str| ctx.query.list(name).filter(|l| !l.is_empty());
        let format = text("format").unwrap_or("json").to_ascii_lowercase();
        if !FORMATS.contains(&format.as_str()) {
            return Err(ApiError::bad_parameter(format!(
                "Format '{format}' is not supported by the emulator; use one of {FORMATS:?}"
            )));
        }
        let clean = ctx.q_bool("clean")?.unwrap_or(false);
        let delimiter = text("delimiter").unwrap_or(",").to_string();
        if delimiter.chars().count() != 1 {
            return Err(ApiError::bad_parameter(
                "'delimiter' must be exactly one character",
            ));
        }
        Ok(ItemsQuery {
            format,
            offset: ctx.q_uint("offset")?.unwrap_or(0),
            limit: ctx.q_uint("limit")?,
            desc: ctx.q_bool("desc")?.unwrap_or(false),
            fields: list("fields"),
            omit: list("omit"),
            unwind: list("unwind"),
            flatten: list("flatten"),
            skip_empty: clean || ctx.q_bool("skipEmpty")?.unwrap_or(false),
            skip_hidden: clean || ctx.q_bool("skipHidden")?.unwrap_or(false),
            skip_header_row: ctx.q_bool("skipHeaderRow")?.unwrap_or(false),
            delimiter,
            bom: ctx.q_bool("bom")?,
            xml_root: text("xmlRoot").unwrap_or("items").to_string(),
            xml_row: text("xmlRow").unwrap_or("item").to_string(),
            attachment: ctx.q_bool("attachment")?.unwrap_or(false),
        })
    }

    /// Whether this item's stored text must be parsed and rebuilt for the output.
    fn reshapes(&self, item: &Item) -> bool {
        (self.skip_hidden && item.hidden)
            || self.fields.is_some()
            || self.omit.is_some()
            || self.unwind.is_some()
            || self.flatten.is_some()
    }
}

/// Answers one page of a dataset's items with the pagination headers.
pub(crate) fn items_response(
    shared: &Arc<Shared>,
    id: &str,
    q: &ItemsQuery,
    status: u16,
) -> ApiResult {
    let (page, total, reported_total) = {
        let mut st = shared.lock();
        let ds = st
            .datasets
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("Dataset", id))?;
        ds.read_count += 1;
        ds.accessed_at = now_millis();
        let total = ds.items.len() as u64;
        let reported = match shared.config.total_refresh {
            None => total,
            Some(every) => match ds.reported_total {
                Some((at, count)) if at.elapsed() < every => count,
                _ => {
                    ds.reported_total = Some((std::time::Instant::now(), total));
                    total
                }
            },
        };
        let start = q.offset.min(total);
        let end = match q.limit {
            Some(l) => start.saturating_add(l).min(total),
            None => total,
        };
        let (start, end) = (start as usize, end as usize);
        let page: Vec<Item> = if q.desc {
            let n = ds.items.len();
            ds.items[n - end..n - start].iter().rev().cloned().collect()
        } else {
            ds.items[start..end].to_vec()
        };
        (page, total, reported)
    };
    let scanned = page.len();
    let kept = page
        .into_iter()
        .filter(|i| !(q.skip_empty && i.empty))
        .collect::<Vec<_>>();
    let body = render_items(&kept, q)?;
    let content_type = match q.format.as_str() {
        "json" => "application/json; charset=utf-8",
        "jsonl" => "application/jsonl; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        _ => "application/rss+xml; charset=utf-8",
    };
    let mut resp = Response::bytes(status, content_type, body)
        .with_header("X-Apify-Pagination-Offset", q.offset.to_string())
        .with_header(
            "X-Apify-Pagination-Limit",
            q.limit
                .unwrap_or(total.saturating_sub(q.offset))
                .to_string(),
        )
        .with_header("X-Apify-Pagination-Count", scanned.to_string())
        .with_header("X-Apify-Pagination-Total", reported_total.to_string())
        .with_header("X-Apify-Pagination-Desc", q.desc.to_string());
    if q.attachment {
        resp = resp.with_header(
            "Content-Disposition",
            format!("attachment; filename=\"dataset_{id}.{}\"", q.format),
        );
    }
    Ok(resp)
}

fn render_items(items: &[Item], q: &ItemsQuery) -> Result<Vec<u8>, ApiError> {
    // JSON and JSONL cost a copy of the stored text, not a re-serialization, for every item
    // that no parameter reshapes.
    if q.format == "json" || q.format == "jsonl" {
        let size: usize = items.iter().map(|i| i.json.len() + 1).sum();
        let mut out = String::with_capacity(size + 2);
        let (open, sep, close) = if q.format == "json" {
            ("[", ",", "]")
        } else {
            ("", "\n", "\n")
        };
        out.push_str(open);
        let mut first = true;
        for item in items {
            let mut emit = |text: &str| {
                if !first {
                    out.push_str(sep);
                }
                first = false;
                out.push_str(text);
            };
            if !q.reshapes(item) {
                let text = item.json.as_bytes();
                // (`<[u8]>::contains` is a memchr: this scan costs next to nothing.)
                if q.format == "jsonl" && (text.contains(&b'\n') || text.contains(&b'\r')) {
                    // JSONL holds one item per line, but a pretty-printed push is stored with
                    // its line breaks. Those can only be whitespace between tokens (a JSON string
                    // cannot hold a raw one), so spaces stand in for them without changing the
                    // item.
                    emit(&item.json.replace(['\n', '\r'], " "));
                } else {
                    emit(&item.json);
                }
            } else if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&item.json) {
                for row in transform(obj, q) {
                    emit(&Value::Object(row).to_string());
                }
            }
        }
        if !first || close != "\n" {
            out.push_str(close);
        }
        return Ok(with_bom(out, q.bom == Some(true)));
    }
    let mut objects = Vec::with_capacity(items.len());
    for item in items {
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&item.json) else {
            continue;
        };
        objects.extend(transform(obj, q));
    }
    let out = match q.format.as_str() {
        "csv" => {
            return Ok(with_bom(to_csv(&objects, q), q.bom.unwrap_or(true)));
        }
        "html" => to_html(&objects, q),
        "xml" => to_xml(&objects, &q.xml_root, &q.xml_row),
        _ => to_rss(&objects),
    };
    Ok(with_bom(out, q.bom == Some(true)))
}

fn with_bom(s: String, bom: bool) -> Vec<u8> {
    if bom {
        let mut out = "\u{FEFF}".as_bytes().to_vec();
        out.extend_from_slice(s.as_bytes());
        out
    } else {
        s.into_bytes()
    }
}

/// Applies skipHidden, unwind, flatten, fields and omit (in that order) to one item.
fn transform(mut obj: Map<String, Value>, q: &ItemsQuery) -> Vec<Map<String, Value>> {
    if q.skip_hidden {
        obj.retain(|k, _| !k.starts_with('#'));
    }
    let mut rows = vec![obj];
    for field in q.unwind.iter().flatten() {
        rows = rows
            .into_iter()
            .flat_map(|row| unwind(row, field))
            .collect();
    }
    rows.into_iter()
        .map(|mut row| {
            for field in q.flatten.iter().flatten() {
                if matches!(row.get(field), Some(Value::Object(_))) {
                    // Rebuilt in order so the flattened keys stand where the object stood.
                    let mut flat_row = Map::new();
                    for (k, v) in std::mem::take(&mut row) {
                        if k == *field {
                            let mut flat = Vec::new();
                            flatten_into(&mut flat, &k, &v, ".");
                            flat_row.extend(flat);
                        } else {
                            flat_row.insert(k, v);
                        }
                    }
                    row = flat_row;
                }
            }
            if let Some(fields) = &q.fields {
                let mut picked = Map::new();
                for f in fields {
                    if let Some(v) = row.get(f) {
                        picked.insert(f.clone(), v.clone());
                    }
                }
                row = picked;
            }
            for f in q.omit.iter().flatten() {
                row.shift_remove(f);
            }
            row
        })
        .collect()
}

fn unwind(row: Map<String, Value>, field: &str) -> Vec<Map<String, Value>> {
    match row.get(field).cloned() {
        Some(Value::Array(elems)) => {
            if elems.is_empty() {
                let mut r = row;
                r.shift_remove(field);
                return vec![r];
            }
            elems
                .into_iter()
                .map(|e| {
                    let mut r = row.clone();
                    r.shift_remove(field);
                    match e {
                        Value::Object(inner) => r.extend(inner),
                        other => {
                            r.insert(field.to_string(), other);
                        }
                    }
                    r
                })
                .collect()
        }
        Some(Value::Object(inner)) => {
            let mut r = row;
            r.shift_remove(field);
            r.extend(inner);
            vec![r]
        }
        _ => vec![row],
    }
}

fn flatten_into(out: &mut Vec<(String, Value)>, prefix: &str, v: &Value, sep: &str) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                flatten_into(out, &format!("{prefix}{sep}{k}"), v, sep);
            }
        }
        Value::Array(a) if !a.is_empty() && sep == "/" => {
            for (i, v) in a.iter().enumerate() {
                flatten_into(out, &format!("{prefix}{sep}{i}"), v, sep);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn flat_row(obj: &Map<String, Value>) -> Vec<(String, Value)> {
    let mut flat = Vec::new();
    for (k, v) in obj {
        flatten_into(&mut flat, k, v, "/");
    }
    flat
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Object(m) if m.is_empty() => String::new(),
        Value::Array(a) if a.is_empty() => String::new(),
        other => other.to_string(),
    }
}

/// The columns of a table of flattened rows: in the order first seen, except that with `fields`
/// they follow the order of the fields given (an item lacking the first field must not move it
/// behind the others), each field's nested columns (`field/...`) kept together.
fn table_columns(rows: &[Vec<(String, Value)>], q: &ItemsQuery) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        for (k, _) in row {
            if seen.insert(k.as_str()) {
                columns.push(k.clone());
            }
        }
    }
    if let Some(fields) = &q.fields {
        let rank = |column: &str| {
            fields
                .iter()
                .position(|f| {
                    column
                        .strip_prefix(f.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
                .unwrap_or(fields.len())
        };
        // A stable sort: nested columns of one field keep their first-seen order.
        columns.sort_by_cached_key(|c| rank(c));
    }
    columns
}

fn to_csv(objects: &[Map<String, Value>], q: &ItemsQuery) -> String {
    let rows: Vec<Vec<(String, Value)>> = objects.iter().map(flat_row).collect();
    let columns = table_columns(&rows, q);
    let d = q.delimiter.as_str();
    let quote = |s: &str| {
        if s.contains(d) || s.contains('"') || s.contains('\n') || s.contains('\r') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    if !q.skip_header_row {
        out.push_str(&columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(d));
        out.push('\n');
    }
    for row in rows {
        let map: HashMap<&str, &Value> = row.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let cells: Vec<String> = columns
            .iter()
            .map(|c| {
                map.get(c.as_str())
                    .map(|v| quote(&cell_text(v)))
                    .unwrap_or_default()
            })
            .collect();
        out.push_str(&cells.join(d));
        out.push('\n');
    }
    out
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        cleaned
    } else {
        format!("_{cleaned}")
    }
}

fn xml_value(out: &mut String, name: &str, v: &Value) {
    let tag = xml_name(name);
    match v {
        Value::Object(m) => {
            out.push_str(&format!("<{tag}>"));
            for (k, v) in m {
                xml_value(out, k, v);
            }
            out.push_str(&format!("</{tag}>"));
        }
        Value::Array(a) => {
            for v in a {
                xml_value(out, name, v);
            }
        }
        other => out.push_str(&format!("<{tag}>{}</{tag}>", escape_xml(&cell_text(other)))),
    }
}

fn to_xml(objects: &[Map<String, Value>], root: &str, row: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<{}>\n", xml_name(root)));
    for o in objects {
        xml_value(&mut out, row, &Value::Object(o.clone()));
        out.push('\n');
    }
    out.push_str(&format!("</{}>\n", xml_name(root)));
    out
}

fn to_rss(objects: &[Map<String, Value>]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Dataset items</title>\n",
    );
    for o in objects {
        xml_value(&mut out, "item", &Value::Object(o.clone()));
        out.push('\n');
    }
    out.push_str("</channel></rss>\n");
    out
}

fn to_html(objects: &[Map<String, Value>], q: &ItemsQuery) -> String {
    let rows: Vec<Vec<(String, Value)>> = objects.iter().map(flat_row).collect();
    let columns = table_columns(&rows, q);
    let mut out = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body><table>\n<tr>",
    );
    for c in &columns {
        out.push_str(&format!("<th>{}</th>", escape_xml(c)));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        let map: HashMap<&str, &Value> = row.iter().map(|(k, v)| (k.as_str(), v)).collect();
        for c in &columns {
            let cell = map
                .get(c.as_str())
                .map(|v| cell_text(v))
                .unwrap_or_default();
            out.push_str(&format!("<td>{}</td>", escape_xml(&cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></body></html>\n");
    out
}

// ---------------------------------------------------------------- key-value stores

pub(crate) fn route_stores(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    Kind::Store.route(ctx, m, rest)
}

/// Operations on one (existing) key-value store: `rest` is what follows `/key-value-stores/{id}`.
pub(crate) fn store_sub(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    if let Some(result) = Kind::Store.item(ctx, m, id, rest) {
        return result;
    }
    match (m, rest) {
        ("GET", ["keys"]) => list_keys(ctx, id),
        (_, ["records", key]) => record(ctx, m, id, key),
        _ => Err(ApiError::no_route()),
    }
}

fn list_keys(ctx: &Ctx, id: &str) -> ApiResult {
    let limit = match ctx.q_uint("limit")? {
        None => 1000,
        Some(0) => {
            return Err(ApiError::bad_parameter(
                "'limit' must be between 1 and 1000",
            ))
        }
        Some(l) => l.min(1000) as usize,
    };
    let start = ctx.query.get("exclusiveStartKey").filter(|k| !k.is_empty());
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let base = &ctx.shared.base_url;
    let mut st = ctx.shared.lock();
    let s = st
        .stores
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Key-value store", id))?;
    s.list_count += 1;
    s.accessed_at = now_millis();
    use std::ops::Bound;
    let lower = match start {
        Some(k) => Bound::Excluded(k.to_string()),
        None => Bound::Included(prefix.to_string()),
    };
    let mut matching = s
        .records
        .range((lower, Bound::Unbounded))
        .skip_while(|(k, _)| !k.starts_with(prefix) && k.as_str() < prefix)
        .take_while(|(k, _)| k.starts_with(prefix));
    let page: Vec<(String, usize)> = matching
        .by_ref()
        .take(limit)
        .map(|(k, r)| (k.clone(), r.data.len()))
        .collect();
    let truncated = matching.next().is_some();
    let items: Vec<Value> = page
        .iter()
        .map(|(k, size)| {
            json!({
                "key": k,
                "size": size,
                "recordPublicUrl": format!("{base}/v2/key-value-stores/{id}/records/{}", encode_segment(k)),
            })
        })
        .collect();
    let next = if truncated {
        page.last().map(|(k, _)| Value::String(k.clone()))
    } else {
        None
    };
    Ok(data_response(
        200,
        json!({
            "items": items,
            "count": page.len(),
            "limit": limit,
            "exclusiveStartKey": start,
            "isTruncated": truncated,
            "nextExclusiveStartKey": next.unwrap_or(Value::Null),
        }),
    ))
}

fn record(ctx: &Ctx, m: &str, id: &str, key: &str) -> ApiResult {
    check_record_key(key)?;
    match m {
        "GET" | "HEAD" => {
            let mut st = ctx.shared.lock();
            let s = st
                .stores
                .get_mut(id)
                .ok_or_else(|| ApiError::not_found("Key-value store", id))?;
            s.read_count += 1;
            s.accessed_at = now_millis();
            let rec = s.records.get(key).cloned().ok_or_else(|| {
                ApiError::not_found("Record", &format!("{key}' in key-value store '{id}"))
            })?;
            drop(st);
            let mut resp = Response::bytes(200, &rec.content_type, rec.data.as_ref().clone());
            if ctx.q_bool("attachment")?.unwrap_or(false) {
                resp = resp.with_header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{key}\""),
                );
            }
            Ok(resp)
        }
        "PUT" | "POST" => {
            let data = ctx.decoded_body()?;
            let content_type = ctx
                .req
                .header("content-type")
                .filter(|c| !c.trim().is_empty())
                .unwrap_or("application/octet-stream")
                .to_string();
            let mut st = ctx.shared.lock();
            if !st.put_record(id, key, data, content_type) {
                return Err(ApiError::not_found("Key-value store", id));
            }
            Ok(data_free_created(&format!(
                "{}/v2/key-value-stores/{id}/records/{}",
                ctx.shared.base_url,
                encode_segment(key)
            )))
        }
        "DELETE" => {
            let mut st = ctx.shared.lock();
            let s = st
                .stores
                .get_mut(id)
                .ok_or_else(|| ApiError::not_found("Key-value store", id))?;
            if s.records.remove(key).is_none() {
                return Err(ApiError::not_found(
                    "Record",
                    &format!("{key}' in key-value store '{id}"),
                ));
            }
            s.delete_count += 1;
            s.modified_at = now_millis();
            Ok(Response::empty(204))
        }
        _ => Err(ApiError::no_route()),
    }
}
