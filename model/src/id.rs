//! Prefixed identifiers (`workflow_nV4xKpQm`): one newtype per entity, parsed and printed here.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The characters after an id's prefix.
pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn is_base62(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| BASE62.contains(&b))
}

/// An id taken from an address or a request that is not one: not found, like an id that names
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not found")]
pub struct NoSuchId;

/// What every kind of id shares: its prefix, how many base62 characters follow it, and the
/// id made of given characters (`None` unless they are that many base62 ones). The domain
/// draws fresh ids with it; the model draws nothing.
pub trait Prefixed: Sized {
    const PREFIX: &'static str;
    const LEN: usize;
    fn from_random(random: &str) -> Option<Self>;
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal, $len:literal) => {
        #[doc = concat!("The id of one entity, printed as `", $prefix, "_` and ", stringify!($len), " base62 characters.")]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s).ok_or_else(|| format!("not a {} id: {s}", $prefix))
            }
        }

        impl $name {
            pub const PREFIX: &'static str = $prefix;

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

        impl Prefixed for $name {
            const PREFIX: &'static str = $prefix;
            const LEN: usize = $len;
            fn from_random(random: &str) -> Option<Self> {
                Self::parse(&format!("{}_{random}", $prefix))
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
prefixed_id!(EndpointId, "endpoint", 8);
// A delivery's id is its `webhook-id`, the same on every attempt.
prefixed_id!(DeliveryId, "msg", 16);

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
}
