//! Public URLs of storage contents: links that anyone can open without a token, signed with the
//! storage's `urlSigningSecretKey` the way the platform checks them (a record: an HMAC of its
//! key; items and keys: a signature over the storage id with an optional expiry).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::Value;

use crate::dataset::DatasetClient;
use crate::error::{Error, Result};
use crate::http::encode_component;
use crate::key_value_store::KeyValueStoreClient;

/// The platform's short signature: the first 120 bits of HMAC-SHA256(secret, message), written in
/// base 62.
fn hmac_signature(secret: &str, message: &str) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, message.as_bytes());
    let mut n = tag.as_ref()[..15]
        .iter()
        .fold(0u128, |n, b| n << 8 | u128::from(*b));
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 62) as usize]);
        n /= 62;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// The signature of a storage's content (`version.expiresAt.hmac`, base64url); `expires_at` in
/// epoch milliseconds, 0 for never.
fn content_signature(secret: &str, resource_id: &str, expires_at: u64) -> String {
    let mac = hmac_signature(secret, &format!("0.{expires_at}.{resource_id}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("0.{expires_at}.{mac}"))
}

/// Epoch milliseconds `expires_in` from now; 0 (never) for `None`.
fn expiry(expires_in: Option<Duration>) -> Result<u64> {
    let Some(d) = expires_in else { return Ok(0) };
    if d.is_zero() {
        return Err(Error::InvalidArgument(
            "a public URL's lifetime must be longer than zero (None: it never expires)".into(),
        ));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from((now + d).as_millis()).map_err(|_| {
        Error::InvalidArgument(format!("a public URL's lifetime of {d:?} is too long"))
    })
}

/// The storage's id and signing key, read from its metadata.
fn id_and_secret(meta: Option<Value>, what: &str) -> Result<(String, Option<String>)> {
    let meta = meta.ok_or_else(|| Error::InvalidArgument(format!("the {what} does not exist")))?;
    let id = meta["id"]
        .as_str()
        .ok_or_else(|| Error::Decode {
            method: "GET".into(),
            path: what.into(),
            message: format!("the {what}'s metadata has no id"),
        })?
        .to_string();
    let secret = meta["urlSigningSecretKey"].as_str().map(str::to_string);
    Ok((id, secret))
}

impl KeyValueStoreClient {
    /// A URL that opens this record without a token (signed when the store has a signing key;
    /// one GET of the store's metadata first). It stays valid as long as the store's key does.
    ///
    /// API: `keyValueStore_get`
    pub fn record_public_url(&self, key: &str) -> Result<String> {
        if key.is_empty() {
            return Err(Error::InvalidArgument(
                "the record key must not be empty".into(),
            ));
        }
        let (id, secret) = id_and_secret(self.get()?, "key-value store")?;
        let mut url = format!(
            "{}/v2/key-value-stores/{}/records/{}",
            self.client.base_url(),
            encode_component(&id),
            encode_component(key)
        );
        if let Some(secret) = secret {
            url.push_str("?signature=");
            url.push_str(&hmac_signature(&secret, key));
        }
        Ok(url)
    }

    /// A URL that lists this store's keys without a token, valid for `expires_in` (`None`:
    /// until the store's signing key changes).
    ///
    /// API: `keyValueStore_get`
    pub fn keys_public_url(&self, expires_in: Option<Duration>) -> Result<String> {
        let expires_at = expiry(expires_in)?;
        let (id, secret) = id_and_secret(self.get()?, "key-value store")?;
        let mut url = format!(
            "{}/v2/key-value-stores/{}/keys",
            self.client.base_url(),
            encode_component(&id)
        );
        if let Some(secret) = secret {
            url.push_str("?signature=");
            url.push_str(&content_signature(&secret, &id, expires_at));
        }
        Ok(url)
    }
}

impl DatasetClient {
    /// A URL that reads this dataset's items (JSON; add the usual items query parameters after
    /// it with `&`) without a token, valid for `expires_in` (`None`: until the dataset's signing
    /// key changes).
    ///
    /// API: `dataset_get`
    pub fn items_public_url(&self, expires_in: Option<Duration>) -> Result<String> {
        let expires_at = expiry(expires_in)?;
        let (id, secret) = id_and_secret(self.get()?, "dataset")?;
        let base = format!(
            "{}/v2/datasets/{}/items",
            self.client.base_url(),
            encode_component(&id)
        );
        Ok(match secret {
            Some(secret) => format!(
                "{base}?signature={}",
                content_signature(&secret, &id, expires_at)
            ),
            // No key: the dataset is readable by id as it is (or not at all without a token).
            None => format!("{base}?format=json"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_base62_of_120_bits_and_content_signatures_decode() {
        let s = hmac_signature("secret", "OUTPUT");
        assert!(
            s.len() <= 21 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{s}"
        );
        assert_eq!(s, hmac_signature("secret", "OUTPUT"));
        assert_ne!(s, hmac_signature("secret", "INPUT"));
        let c = content_signature("secret", "abc", 0);
        let text = String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&c)
                .unwrap(),
        )
        .unwrap();
        assert!(text.starts_with("0.0."), "{text}");
        assert!(expiry(Some(Duration::ZERO)).is_err());
        assert_eq!(expiry(None).unwrap(), 0);
    }
}
