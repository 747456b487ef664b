//! The table and markup formats of dataset items, written item by item: CSV, HTML, XML and RSS.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

pub(crate) fn flatten_into(out: &mut Vec<(String, Value)>, prefix: &str, v: &Value, sep: &str) {
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

/// The columns of a table of flattened rows, gathered row by row: in the order first seen,
/// except that with `fields` they follow the order of the fields given (an item lacking the first
/// field must not move it behind the others), each field's nested columns (`field/...`) kept
/// together.
#[derive(Default)]
pub(crate) struct Columns {
    list: Vec<String>,
    seen: HashSet<String>,
}

impl Columns {
    pub(crate) fn add(&mut self, obj: &Map<String, Value>) {
        for (k, _) in flat_row(obj) {
            if !self.seen.contains(&k) {
                self.seen.insert(k.clone());
                self.list.push(k);
            }
        }
    }

    pub(crate) fn finish(self, fields: Option<&[String]>) -> Vec<String> {
        let mut columns = self.list;
        if let Some(fields) = fields {
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
}

fn csv_quote(s: &str, d: &str) -> String {
    if s.contains(d) || s.contains('"') || s.contains('\n') || s.contains('\r') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV header line.
pub(crate) fn csv_head(out: &mut String, columns: &[String], d: &str) {
    let cells: Vec<String> = columns.iter().map(|c| csv_quote(c, d)).collect();
    out.push_str(&cells.join(d));
    out.push('\n');
}

/// One CSV line of an item.
pub(crate) fn csv_row(out: &mut String, obj: &Map<String, Value>, columns: &[String], d: &str) {
    let row = flat_row(obj);
    let map: HashMap<&str, &Value> = row.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let cells: Vec<String> = columns
        .iter()
        .map(|c| {
            map.get(c.as_str())
                .map(|v| csv_quote(&cell_text(v), d))
                .unwrap_or_default()
        })
        .collect();
    out.push_str(&cells.join(d));
    out.push('\n');
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

/// An element for a value; recursion is bounded by the depth pushes may have.
fn xml_value(out: &mut String, name: &str, v: &Value) {
    let tag = xml_name(name);
    match v {
        Value::Object(m) => xml_object(out, &tag, m),
        Value::Array(a) => {
            for v in a {
                xml_value(out, name, v);
            }
        }
        other => out.push_str(&format!("<{tag}>{}</{tag}>", escape_xml(&cell_text(other)))),
    }
}

fn xml_object(out: &mut String, tag: &str, m: &Map<String, Value>) {
    out.push_str(&format!("<{tag}>"));
    for (k, v) in m {
        xml_value(out, k, v);
    }
    out.push_str(&format!("</{tag}>"));
}

pub(crate) fn xml_head(out: &mut String, root: &str) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<{}>\n", xml_name(root)));
}

/// One item as an XML element named `row` (RSS: `item`).
pub(crate) fn xml_row(out: &mut String, obj: &Map<String, Value>, row: &str) {
    xml_object(out, &xml_name(row), obj);
    out.push('\n');
}

pub(crate) fn xml_tail(out: &mut String, root: &str) {
    out.push_str(&format!("</{}>\n", xml_name(root)));
}

pub(crate) const RSS_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Dataset items</title>\n";
pub(crate) const RSS_TAIL: &str = "</channel></rss>\n";

pub(crate) fn html_head(out: &mut String, columns: &[String]) {
    out.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body><table>\n<tr>");
    for c in columns {
        out.push_str(&format!("<th>{}</th>", escape_xml(c)));
    }
    out.push_str("</tr>\n");
}

pub(crate) fn html_row(out: &mut String, obj: &Map<String, Value>, columns: &[String]) {
    let row = flat_row(obj);
    out.push_str("<tr>");
    let map: HashMap<&str, &Value> = row.iter().map(|(k, v)| (k.as_str(), v)).collect();
    for c in columns {
        let cell = map
            .get(c.as_str())
            .map(|v| cell_text(v))
            .unwrap_or_default();
        out.push_str(&format!("<td>{}</td>", escape_xml(&cell)));
    }
    out.push_str("</tr>\n");
}

pub(crate) const HTML_TAIL: &str = "</table></body></html>\n";
