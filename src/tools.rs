//! The tools endpoints (`Client::tools`): what the server saw of a request (for proxy tests),
//! and signing a JSON object so that anyone can later check who encoded it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;

/// What the server saw of a request (`browser-info`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BrowserInfo {
    /// The request's method.
    pub method: String,
    /// The address the request came from.
    #[serde(default)]
    pub client_ip: Option<String>,
    /// The country of that address (two letters), if known.
    #[serde(default)]
    pub country_code: Option<String>,
    /// The request body's length in bytes.
    #[serde(default)]
    pub body_length: u64,
    /// The request's headers (a repeated header is a list), except `authorization`, which is
    /// dropped so that the token shows nowhere.
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A value decoded by `decode-and-verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DecodedValue {
    /// The object that was encoded.
    pub decoded: Value,
    /// Who encoded it.
    #[serde(default)]
    pub encoded_by_user_id: Option<String>,
    /// Whether that user is verified.
    #[serde(default)]
    pub is_verified_user: bool,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct Encoded {
    encoded: String,
}

/// The tools endpoints (`Client::tools`).
#[derive(Debug, Clone)]
pub struct ToolsClient {
    client: Client,
}

impl Client {
    /// The tools endpoints: browser info, encode-and-sign, decode-and-verify.
    pub fn tools(&self) -> ToolsClient {
        ToolsClient {
            client: self.clone(),
        }
    }
}

impl ToolsClient {
    /// What the server saw of a request sent with `method` (`GET`, `POST`, `PUT` or `DELETE`,
    /// any case): the client address as seen from the server, the headers, the method.
    ///
    /// API: `tools_browser_info_get`, `tools_browser_info_post`
    /// API: `tools_browser_info_put`, `tools_browser_info_delete`
    pub fn browser_info(&self, method: &str) -> Result<BrowserInfo> {
        let method = match method.trim().to_ascii_uppercase().as_str() {
            "GET" => "GET",
            "POST" => "POST",
            "PUT" => "PUT",
            "DELETE" => "DELETE",
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "browser info takes GET, POST, PUT or DELETE, got {method:?}"
                )))
            }
        };
        let mut info: BrowserInfo = self
            .client
            .http()
            .send(&Call::new(method, "/v2/browser-info"))?
            .json()?;
        info.headers
            .retain(|name, _| !name.eq_ignore_ascii_case("authorization"));
        Ok(info)
    }

    /// Encodes and signs a JSON object with the token owner's key; the answer is the encoded
    /// value, which [`decode_and_verify`](Self::decode_and_verify) reads back.
    ///
    /// API: `tools_encode_and_sign_post`
    pub fn encode_and_sign(&self, value: &Value) -> Result<String> {
        if !value.is_object() {
            return Err(Error::InvalidArgument(
                "only a JSON object can be encoded and signed".into(),
            ));
        }
        let call = Call::new("POST", "/v2/tools/encode-and-sign").json_body(value)?;
        Ok(self.client.http().send(&call)?.data::<Encoded>()?.encoded)
    }

    /// Decodes a value made by [`encode_and_sign`](Self::encode_and_sign) and checks its
    /// signature; a changed value is the API's error.
    ///
    /// API: `tools_decode_and_verify_post`
    pub fn decode_and_verify(&self, encoded: &str) -> Result<DecodedValue> {
        if encoded.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "the encoded value must not be empty".into(),
            ));
        }
        let call = Call::new("POST", "/v2/tools/decode-and-verify")
            .json_body(&serde_json::json!({ "encoded": encoded }))?;
        self.client.http().send(&call)?.data()
    }
}
