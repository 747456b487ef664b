//! Datasets: the collection, one dataset, and pushing items. Reading items is the items query
//! engine's (`items_query`).

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::emulator::context::Ctx;
use crate::emulator::reply::{data_response, json_kind, ApiError, ApiResult};
use crate::emulator::state::Item;

use super::items_query::ItemsQuery;
use super::items_stream::items_response;
use super::storages::{data_free_created, Kind};

pub(crate) fn route_datasets(ctx: &Ctx, m: &str, rest: &[&str]) -> ApiResult {
    Kind::Dataset.route(ctx, m, rest, dataset_sub)
}

/// Operations on one (existing) dataset: `rest` is what follows `/datasets/{id}`.
pub(crate) fn dataset_sub(ctx: &Ctx, m: &str, id: &str, rest: &[&str]) -> ApiResult {
    if let Some(result) = Kind::Dataset.item(ctx, m, id, rest) {
        return result;
    }
    match (m, rest) {
        ("GET" | "HEAD", ["items"]) => {
            let q = ItemsQuery::parse(ctx)?;
            items_response(ctx.shared, id, q, 200)
        }
        ("POST", ["items"]) => push_items(ctx, id),
        // Field statistics come from a dataset's fields schema, which emulated datasets do
        // not have: the platform then answers null.
        ("GET", ["statistics"]) => {
            if !ctx.shared.lock().datasets.contains_key(id) {
                return Err(ApiError::not_found("Dataset", id));
            }
            Ok(data_response(
                200,
                serde_json::json!({"fieldStatistics": null}),
            ))
        }
        _ => Err(ApiError::no_route()),
    }
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

/// The deepest nesting a pushed item may have (`{}` is 1, `{"a": []}` 2). Every view of the
/// items (csv, xml, html, rss, `fields`, `omit`, `flatten`, `unwind`) parses the item, and
/// serde_json parses at most 127 levels; 100 leaves room for the wrappers a client puts around
/// an item (a page array, an envelope) when it parses a page with such a parser.
pub(crate) const MAX_ITEM_DEPTH: usize = 100;

/// How deeply `text` (JSON) nests, counted without recursion and without parsing: brackets
/// outside strings.
fn nesting_depth(text: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses a push body (one object or an array of objects) keeping each item's own text.
/// Items nested deeper than [`MAX_ITEM_DEPTH`] are refused, naming the depth.
pub(crate) fn parse_items(body: &[u8]) -> Result<Vec<Item>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("The request body is not UTF-8 text"))?;
    let trimmed = text.trim_start();
    let wrapper = usize::from(trimmed.starts_with('['));
    // One pass over the whole body first, so that the usual shallow push costs no more; the
    // items are only measured one by one (to name the one) when something is too deep.
    let too_deep = nesting_depth(trimmed.as_bytes()) > MAX_ITEM_DEPTH + wrapper;
    let raws: Vec<Box<RawValue>> = if trimmed.starts_with('[') {
        serde_json::from_str(text)
    } else {
        serde_json::from_str::<Box<RawValue>>(text).map(|r| vec![r])
    }
    .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))?;
    raws.into_iter()
        .enumerate()
        .map(|(i, raw)| {
            if too_deep {
                let depth = nesting_depth(raw.get().as_bytes());
                if depth > MAX_ITEM_DEPTH {
                    return Err(ApiError::new(
                        400,
                        "invalid-input",
                        format!(
                            "Dataset item at index {i} is nested {depth} levels deep; the emulator stores items at most {MAX_ITEM_DEPTH} levels deep (so that every format can serve them)"
                        ),
                    ));
                }
            }
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
