//! The table and markup formats of dataset items: CSV, HTML, XML and RSS.

use std::collections::HashMap;

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

/// The columns of a table of flattened rows: in the order first seen, except that with `fields`
/// they follow the order of the fields given (an item lacking the first field must not move it
/// behind the others), each field's nested columns (`field/...`) kept together.
fn table_columns(rows: &[Vec<(String, Value)>], fields: Option<&[String]>) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        for (k, _) in row {
            if seen.insert(k.as_str()) {
                columns.push(k.clone());
            }
        }
    }
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

/// CSV with `delimiter`, columns as [`table_columns`] orders them.
pub(crate) fn to_csv(
    objects: &[Map<String, Value>],
    fields: Option<&[String]>,
    delimiter: &str,
    skip_header_row: bool,
) -> String {
    let rows: Vec<Vec<(String, Value)>> = objects.iter().map(flat_row).collect();
    let columns = table_columns(&rows, fields);
    let d = delimiter;
    let quote = |s: &str| {
        if s.contains(d) || s.contains('"') || s.contains('\n') || s.contains('\r') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    if !skip_header_row {
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

pub(crate) fn to_xml(objects: &[Map<String, Value>], root: &str, row: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<{}>\n", xml_name(root)));
    for o in objects {
        xml_value(&mut out, row, &Value::Object(o.clone()));
        out.push('\n');
    }
    out.push_str(&format!("</{}>\n", xml_name(root)));
    out
}

pub(crate) fn to_rss(objects: &[Map<String, Value>]) -> String {
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

pub(crate) fn to_html(objects: &[Map<String, Value>], fields: Option<&[String]>) -> String {
    let rows: Vec<Vec<(String, Value)>> = objects.iter().map(flat_row).collect();
    let columns = table_columns(&rows, fields);
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
