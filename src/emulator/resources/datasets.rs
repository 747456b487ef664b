//! Datasets: the collection, one dataset, and pushing items. Reading items is the items query
//! engine's (`items_query`).

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::emulator::context::Ctx;
use crate::emulator::reply::{json_kind, ApiError, ApiResult};
use crate::emulator::state::Item;

use super::items_query::{items_response, ItemsQuery};
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
            items_response(ctx.shared, id, &q, 200)
        }
        ("POST", ["items"]) => push_items(ctx, id),
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
