//! The model's prefixed ids (`switchyard_model::id`), and what only the domain does with
//! them: draw fresh ones, and digest secrets.

pub use switchyard_model::id::*;

/// Draws a fresh random id of any kind: `WorkflowId::generate()`.
pub trait Generate: Prefixed {
    fn generate() -> Self {
        Self::from_random(&random_base62(Self::LEN)).expect("base62 of the id's length")
    }
}

impl<T: Prefixed> Generate for T {}

/// Makes a random base62 string of `len` characters.
pub fn random_base62(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| BASE62[rng.gen_range(0..BASE62.len())] as char)
        .collect()
}

/// The hex BLAKE2b-512 digest of a secret (an API key, an invitation's token, a session id):
/// what is stored or shown in its place. Secrets are long and random, so a fast hash is as
/// good as a slow one.
pub fn digest(secret: &str) -> String {
    use blake2::{Blake2b512, Digest};
    Blake2b512::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse() {
        for _ in 0..100 {
            let id = WorkflowId::generate();
            assert_eq!(WorkflowId::parse(id.as_str()), Some(id));
        }
    }
}
