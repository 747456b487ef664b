//! A build's OpenAPI document (`.../builds/{buildId}/openapi.json`): an OpenAPI 3.0 description
//! of running that build (start a run, run synchronously for the output or the dataset items),
//! its request body the build's input schema.

use serde_json::{json, Map, Value};

use crate::emulator::registry::{Actor, Build};

/// Input schema keywords that are JSON Schema too; the editor hints (`editor`, `prefill`,
/// `sectionCaption`, ...) stay out.
const SCHEMA_KEYWORDS: [&str; 17] = [
    "type",
    "title",
    "description",
    "default",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "items",
    "properties",
    "required",
    "nullable",
];

/// The JSON Schema part of an input schema (or of one of its properties).
fn json_schema(schema: &Value) -> Value {
    let Some(obj) = schema.as_object() else {
        return json!({});
    };
    let mut out = Map::new();
    for k in SCHEMA_KEYWORDS {
        let Some(v) = obj.get(k) else { continue };
        let v = match k {
            "properties" => Value::Object(
                v.as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(name, s)| (name.clone(), json_schema(s)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "items" => json_schema(v),
            _ => v.clone(),
        };
        out.insert(k.to_string(), v);
    }
    Value::Object(out)
}

fn operation(summary: String, id: &str, answer: &str, answer_schema: Value) -> Value {
    json!({
        "operationId": id,
        "summary": summary,
        "tags": ["Run Actor"],
        "parameters": [{"name": "token", "in": "query", "required": true,
                        "schema": {"type": "string"},
                        "description": "The API token (an Authorization: Bearer header works too)"}],
        "requestBody": {"required": true, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/inputSchema"}}}},
        "responses": {"200": {"description": answer, "content": {"application/json": {
            "schema": answer_schema}}}},
    })
}

/// The document for running `build` of `actor` on the API at `base_url`.
pub(crate) fn document(base_url: &str, actor: &Actor, build: &Build) -> Value {
    let input = match &build.input_schema {
        Some(s) => json_schema(s),
        None => json!({"type": "object"}),
    };
    let path = |what: &str| format!("/acts/{}/{what}", actor.full_name());
    let name = actor.full_name();
    let mut paths = Map::new();
    paths.insert(
        path("run-sync-get-dataset-items"),
        json!({"post": operation(
            format!("Executes {name} and returns its dataset items"),
            &format!("run-sync-get-dataset-items-{}", actor.name),
            "The items of the run's default dataset",
            json!({"type": "array", "items": {"type": "object"}}),
        )}),
    );
    paths.insert(
        path("runs"),
        json!({"post": operation(
            format!("Starts {name} and returns the run at once"),
            &format!("runs-sync-{}", actor.name),
            "The run",
            json!({"$ref": "#/components/schemas/runsResponseSchema"}),
        )}),
    );
    paths.insert(
        path("run-sync"),
        json!({"post": operation(
            format!("Executes {name} and returns its OUTPUT record"),
            &format!("run-sync-{}", actor.name),
            "The run's OUTPUT record",
            json!({}),
        )}),
    );
    json!({
        "openapi": "3.0.1",
        "info": {
            "title": actor.title.clone().unwrap_or_else(|| actor.name.clone()),
            "description": actor.description.clone().unwrap_or_default(),
            "version": build.build_number,
            "x-build-id": build.id,
        },
        "servers": [{"url": format!("{base_url}/v2")}],
        "paths": paths,
        "components": {"schemas": {
            "inputSchema": input,
            "runsResponseSchema": {"type": "object", "properties": {"data": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"}, "actId": {"type": "string"},
                    "status": {"type": "string"}, "startedAt": {"type": "string"},
                    "finishedAt": {"type": "string"}, "buildId": {"type": "string"},
                    "defaultDatasetId": {"type": "string"},
                    "defaultKeyValueStoreId": {"type": "string"},
                    "defaultRequestQueueId": {"type": "string"},
                }}}},
        }},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_hints_stay_out_of_the_schema() {
        let s = json!({"title": "T", "type": "object", "schemaVersion": 1,
            "properties": {"n": {"title": "N", "type": "integer", "editor": "number",
                                 "minimum": 1, "prefill": 3}},
            "required": ["n"]});
        let out = json_schema(&s);
        assert_eq!(
            out["properties"]["n"],
            json!({"title": "N", "type": "integer", "minimum": 1})
        );
        assert_eq!(out["required"], json!(["n"]));
        assert!(out.get("schemaVersion").is_none());
    }
}
