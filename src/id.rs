//! Prefixed identifiers (`workflow_nV4xKpQm`): one newtype per entity, parsed and printed here.

use serde::{Deserialize, Serialize};
use std::fmt;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Makes a random base62 string of `len` characters.
#[cfg(feature = "db")]
pub fn random_base62(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| BASE62[rng.gen_range(0..BASE62.len())] as char)
        .collect()
}

fn is_base62(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| BASE62.contains(&b))
}

/// An id taken from an address or a request that is not one: not found, like an id that names
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not found")]
pub struct NoSuchId;

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal, $len:literal) => {
        #[doc = concat!("The id of one entity, printed as `", $prefix, "_` and ", stringify!($len), " base62 characters.")]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "db", derive(diesel::AsExpression, diesel::FromSqlRow))]
        #[cfg_attr(feature = "db", diesel(sql_type = diesel::sql_types::Text))]
        pub struct $name(String);

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s).ok_or_else(|| format!("not a {} id: {s}", $prefix))
            }
        }

        #[cfg(feature = "db")]
        $crate::text_sql!($name);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id.
            #[cfg(feature = "db")]
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, random_base62($len)))
            }

            /// Parses the prefixed form; anything else is `None`.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix(concat!($prefix, "_"))?;
                is_base62(rest, $len).then(|| Self(s.to_owned()))
            }

            /// Parses an id taken from an address or a request: one that is not even well
            /// formed is simply not found, like one that does not exist (`NoSuchId` is
            /// `DomainError::NotFound`).
            pub fn from_path(s: &str) -> Result<Self, NoSuchId> {
                Self::parse(s).ok_or(NoSuchId)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("not a {} id: {s}", $prefix))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

prefixed_id!(OrgId, "org", 8);
prefixed_id!(UserId, "user", 8);
prefixed_id!(WorkflowId, "workflow", 8);
prefixed_id!(EventId, "evt", 12);
prefixed_id!(RunId, "run", 8);
prefixed_id!(ApiKeyId, "key", 8);
prefixed_id!(BatchId, "batch", 8);
prefixed_id!(InvitationId, "inv", 8);

/// The hex BLAKE2b-512 digest of a secret (an API key, an invitation's token, a session id):
/// what is stored or shown in its place. Secrets are long and random, so a fast hash is as
/// good as a slow one.
#[cfg(feature = "db")]
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
    fn parses_the_spec_example() {
        let id = WorkflowId::parse("workflow_nV4xKpQm").expect("valid");
        assert_eq!(id.to_string(), "workflow_nV4xKpQm");
    }

    #[test]
    fn refuses_wrong_prefix_length_and_alphabet() {
        assert!(WorkflowId::parse("org_nV4xKpQm").is_none());
        assert!(WorkflowId::parse("workflow_nV4xKpQ").is_none());
        assert!(WorkflowId::parse("workflow_nV4xKpQ-").is_none());
        assert!(WorkflowId::parse("").is_none());
        assert!(EventId::parse("evt_a1B2c3D4e5F6").is_some());
    }

    #[cfg(feature = "db")]
    #[test]
    fn generated_ids_parse() {
        for _ in 0..100 {
            let id = WorkflowId::generate();
            assert_eq!(WorkflowId::parse(id.as_str()), Some(id));
        }
    }
}
