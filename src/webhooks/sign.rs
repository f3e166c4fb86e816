//! Signing deliveries as the Standard Webhooks specification says: a secret `whsec_<base64>`
//! (the key is the decoded bytes), and for each delivery the headers `webhook-id`,
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`: `v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, one for each secret that signs (two while a rotation's old
//! secret still does), separated by spaces.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

/// How a secret is shown: `whsec_` and its key in base64.
pub const PREFIX: &str = "whsec_";
const KEY_BYTES: usize = 32;

/// A new random secret, `whsec_…`.
pub fn new_secret() -> String {
    let mut key = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The key a secret names, or `None` for text that is not one.
fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(PREFIX)?)
        .ok()
        .filter(|k| !k.is_empty())
}

/// `v1,<base64>`: the signature of one delivery with one secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)?).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: a signature for each of `secrets`, the current first.
pub fn header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|s| signature(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example_signs_as_it_says() {
        // The example of the Standard Webhooks specification (and of its reference libraries).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let (new, old) = (new_secret(), new_secret());
        assert!(new.starts_with(PREFIX) && new != old);
        let both = header(&[&new, &old], "msg_1", 1, b"{}");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], signature(&new, "msg_1", 1, b"{}").unwrap());
        assert_eq!(parts[1], signature(&old, "msg_1", 1, b"{}").unwrap());
        assert_eq!(signature("not a secret", "msg_1", 1, b"{}"), None);
    }
}
