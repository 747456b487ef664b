//! A successful answer: its head, and its body read within the attempt or left as a stream.

use std::io::Read;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::failure::Secrets;
use crate::error::{Error, Result};

/// An answer with a success status, its body read (or, for a streamed call, not yet).
pub(crate) struct Reply {
    pub(super) status: u16,
    pub(super) headers: ureq::http::HeaderMap,
    pub(super) body: ReplyBody,
    pub(super) method: &'static str,
    pub(super) path: String,
    pub(super) secrets: Arc<Secrets>,
}

pub(super) enum ReplyBody {
    /// Read within the attempt, so that a cut body counts as a failed attempt.
    Read(Vec<u8>),
    Stream(ureq::Body),
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as a stream (a streamed call's is read as it arrives, with no total cap).
    pub(crate) fn into_reader(self) -> Box<dyn Read + Send + 'static> {
        match self.body {
            ReplyBody::Read(bytes) => Box::new(std::io::Cursor::new(bytes)),
            ReplyBody::Stream(body) => Box::new(body.into_with_config().limit(u64::MAX).reader()),
        }
    }

    pub(crate) fn bytes(self) -> Result<Vec<u8>> {
        match self.body {
            ReplyBody::Read(bytes) => Ok(bytes),
            ReplyBody::Stream(_) => Err(Error::InvalidArgument(format!(
                "{} {}: a streamed answer is read with into_reader",
                self.method, self.path
            ))),
        }
    }

    /// The body as a record: its bytes and `Content-Type` (default `application/octet-stream`).
    pub(crate) fn into_record(self) -> Result<crate::models::Record> {
        let content_type = self
            .header("content-type")
            .unwrap_or("application/octet-stream")
            .to_string();
        Ok(crate::models::Record {
            data: self.bytes()?,
            content_type,
        })
    }

    /// Parses the body as JSON.
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T> {
        let (method, path, secrets) = (self.method, self.path.clone(), self.secrets.clone());
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|e| {
            secrets.redact_error(Error::Decode {
                method: method.to_string(),
                path,
                message: e.to_string(),
            })
        })
    }

    /// Parses `{"data": T}`.
    pub(crate) fn data<T: DeserializeOwned>(self) -> Result<T> {
        #[derive(serde::Deserialize)]
        struct Envelope<T> {
            data: T,
        }
        Ok(self.json::<Envelope<T>>()?.data)
    }
}
