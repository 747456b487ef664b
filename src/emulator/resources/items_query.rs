//! The dataset-items query: the parameters of an items read (shared with
//! run-sync-get-dataset-items) and the reshaping of each item. `items_stream` writes the answer.

use serde_json::{Map, Value};

use crate::emulator::context::Ctx;
use crate::emulator::reply::ApiError;
use crate::emulator::state::Item;

use super::items_formats::flatten_into;

/// The dataset-items parameters (shared with run-sync-get-dataset-items).
pub(crate) struct ItemsQuery {
    pub(crate) format: String,
    pub(crate) offset: u64,
    pub(crate) limit: Option<u64>,
    pub(crate) desc: bool,
    pub(crate) fields: Option<Vec<String>>,
    pub(crate) omit: Option<Vec<String>>,
    pub(crate) unwind: Option<Vec<String>>,
    pub(crate) flatten: Option<Vec<String>>,
    pub(crate) skip_empty: bool,
    pub(crate) skip_hidden: bool,
    pub(crate) skip_header_row: bool,
    pub(crate) delimiter: String,
    pub(crate) bom: Option<bool>,
    pub(crate) xml_root: String,
    pub(crate) xml_row: String,
    pub(crate) attachment: bool,
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
    pub(crate) fn reshapes(&self, item: &Item) -> bool {
        (self.skip_hidden && item.hidden)
            || self.fields.is_some()
            || self.omit.is_some()
            || self.unwind.is_some()
            || self.flatten.is_some()
    }
}

/// Applies skipHidden, unwind, flatten, fields and omit (in that order) to one item.
pub(crate) fn transform(mut obj: Map<String, Value>, q: &ItemsQuery) -> Vec<Map<String, Value>> {
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
