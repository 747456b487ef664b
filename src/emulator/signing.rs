//! Signed public URLs of storages, as the platform makes them: a storage has a secret
//! (`urlSigningSecretKey`); a record's URL carries `signature` = HMAC of the record key; the
//! URLs of dataset items and of a store's keys and records carry a signature over the storage id
//! and an expiry (`version.expiresAt.hmac`, base64url). The HMAC is HMAC-SHA256, its first 30
//! hex digits read as a number and written in base 62.
//!
//! SHA-256 and HMAC come from `ring` (already in the build through rustls); the unit tests
//! pin them to published test vectors.

use base64::Engine;

// The digest alone only backs the test vectors (HMAC below is the one in use).
#[cfg(test)]
fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    digest.as_ref().try_into().expect("32 bytes")
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let tag = ring::hmac::sign(&key, message);
    tag.as_ref().try_into().expect("32 bytes")
}

/// The platform's short signature: the first 30 hex digits (120 bits) of the HMAC in base 62.
pub(crate) fn hmac_signature(secret: &str, message: &str) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mac = hmac_sha256(secret.as_bytes(), message.as_bytes());
    let mut n: u128 = 0;
    for b in &mac[..15] {
        n = n << 8 | u128::from(*b);
    }
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

/// The signature of a storage's content URL (dataset items, store keys or records), valid
/// until `expires_at` (epoch ms; 0 never expires).
pub(crate) fn content_signature(secret: &str, resource_id: &str, expires_at: u64) -> String {
    let mac = hmac_signature(secret, &format!("0.{expires_at}.{resource_id}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("0.{expires_at}.{mac}"))
}

/// Why a content signature was refused, or `Ok` when it matches and has not expired.
pub(crate) fn check_content_signature(
    secret: &str,
    resource_id: &str,
    signature: &str,
    now: u64,
) -> Result<(), &'static str> {
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("it is not a storage signature")?;
    let mut parts = decoded.splitn(3, '.');
    let (Some(version), Some(expires), Some(mac)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("it is not a storage signature");
    };
    let expires_at: u64 = expires
        .parse()
        .map_err(|_| "it is not a storage signature")?;
    if version != "0" {
        return Err("its version is unknown");
    }
    let expected = hmac_signature(secret, &format!("0.{expires_at}.{resource_id}"));
    if mac != expected {
        return Err("it does not match");
    }
    if expires_at != 0 && expires_at <= now {
        return Err("it has expired");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_published_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn content_signatures_check_the_resource_and_the_expiry() {
        let sig = content_signature("secret", "abc", 0);
        assert_eq!(check_content_signature("secret", "abc", &sig, 5), Ok(()));
        assert!(check_content_signature("secret", "abd", &sig, 5).is_err());
        assert!(check_content_signature("other", "abc", &sig, 5).is_err());
        let timed = content_signature("secret", "abc", 1000);
        assert_eq!(
            check_content_signature("secret", "abc", &timed, 999),
            Ok(())
        );
        assert_eq!(
            check_content_signature("secret", "abc", &timed, 1000),
            Err("it has expired")
        );
        assert!(check_content_signature("secret", "abc", "garbage!", 0).is_err());
    }
}
