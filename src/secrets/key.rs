//! The operator's key for secrets at rest: 32 random bytes given as base64 in
//! `SWITCHYARD_SECRETS_KEY`, never stored in the database. Each value is sealed with
//! XChaCha20-Poly1305 under a fresh random nonce, the organization and the secret's name as
//! associated data: a ciphertext copied to another organization or name does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The environment variable that holds the key.
pub const ENV: &str = "SWITCHYARD_SECRETS_KEY";

/// The key, ready to seal and open.
#[derive(Clone)]
pub struct SecretsKey {
    cipher: XChaCha20Poly1305,
    id: String,
}

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretsKey({})", self.id)
    }
}

impl SecretsKey {
    /// Reads a key written as base64 (standard or URL-safe, padded or not) of 32 bytes.
    pub fn parse(text: &str) -> Result<SecretsKey, String> {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| {
                format!("{ENV} must be base64, like the output of `switchyard secrets new-key`")
            })?;
        if bytes.len() != 32 {
            return Err(format!(
                "{ENV} must hold 32 bytes; it holds {}: make one with `switchyard secrets new-key`",
                bytes.len()
            ));
        }
        let id = {
            use blake2::{Blake2b512, Digest};
            let digest = Blake2b512::digest(&bytes);
            digest[..6].iter().map(|b| format!("{b:02x}")).collect()
        };
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|e| e.to_string())?;
        Ok(SecretsKey { cipher, id })
    }

    /// A new random key, as `parse` reads it.
    pub fn new_text() -> String {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// Names the key without revealing it (a digest): what sealed a stored secret.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `value` bound to `context`; the nonce and the ciphertext.
    pub fn seal(&self, context: &[u8], value: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: value,
                    aad: context,
                },
            )
            .expect("XChaCha20-Poly1305 seals any value that fits in memory");
        (nonce.to_vec(), sealed)
    }

    /// The value sealed with `context`, or `None` when it was not sealed so with this key.
    pub fn open(&self, context: &[u8], nonce: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if nonce.len() != 24 {
            return None;
        }
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context,
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_its_context() {
        let key = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
        let other = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
        let (nonce, sealed) = key.seal(b"org_a/CRM_TOKEN", b"s3cr3t");
        assert!(!sealed.windows(6).any(|w| w == b"s3cr3t"));
        assert_eq!(
            key.open(b"org_a/CRM_TOKEN", &nonce, &sealed).as_deref(),
            Some(&b"s3cr3t"[..])
        );
        assert_eq!(key.open(b"org_b/CRM_TOKEN", &nonce, &sealed), None);
        assert_eq!(other.open(b"org_a/CRM_TOKEN", &nonce, &sealed), None);
        assert_ne!(key.id(), other.id());
        assert!(SecretsKey::parse("dG9vIHNob3J0").is_err());
        assert!(SecretsKey::parse("not base64 at all!").is_err());
    }
}
