//! The API's answers: the error envelope and the JSON reply helpers every resource uses.

use serde_json::{json, Value};

use super::http::Response;

/// An error answered with the API's envelope `{"error": {"type", "message"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    pub data: Option<Value>,
}

impl ApiError {
    pub(crate) fn new(status: u16, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            data: None,
        }
    }

    pub(crate) fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            404,
            "record-not-found",
            format!("{what} '{id}' was not found"),
        )
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid-request", message)
    }

    pub(crate) fn bad_parameter(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid-parameter", message)
    }

    /// No route matched: the dispatcher then answers 501, 405 or 404 from the operation table.
    pub(crate) fn no_route() -> ApiError {
        ApiError::new(0, "", "")
    }

    pub(crate) fn with_data(mut self, data: Value) -> ApiError {
        self.data = Some(data);
        self
    }

    pub(crate) fn into_response(self) -> Response {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(data) = self.data {
            error["data"] = data;
        }
        json_response(self.status, &json!({ "error": error }))
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// A JSON body as is.
pub(crate) fn json_response(status: u16, body: &Value) -> Response {
    Response::bytes(
        status,
        "application/json; charset=utf-8",
        body.to_string().into_bytes(),
    )
}

/// `{"data": value}`.
pub(crate) fn data_response(status: u16, data: Value) -> Response {
    json_response(status, &json!({ "data": data }))
}

/// "an object", "an array", ... for error messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
