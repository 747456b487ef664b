//! The dataset-items query engine: the parameters of an items read (shared with
//! run-sync-get-dataset-items), the page, and the reshaping of each item.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::emulator::context::Ctx;
use crate::emulator::http::Response;
use crate::emulator::reply::{ApiError, ApiResult};
use crate::emulator::state::{Item, Shared};
use crate::emulator::util::now_millis;

use super::items_formats::{flatten_into, to_csv, to_html, to_rss, to_xml};

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
            return Ok(with_bom(
                to_csv(
                    &objects,
                    q.fields.as_deref(),
                    &q.delimiter,
                    q.skip_header_row,
                ),
                q.bom.unwrap_or(true),
            ));
        }
        "html" => to_html(&objects, q.fields.as_deref()),
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
