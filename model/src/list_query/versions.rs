//! What the versions page asks for: two versions side by side, its page of versions, and a
//! version to restore.

use super::{Problems, value};
use crate::error::{DomainError, DomainResult};

/// Two versions to compare (`a` and `b`), or one to restore over another.
pub struct VersionPair;

/// What the versions page shows: two versions side by side, and its page of versions.
pub struct VersionsPage {
    pub compare: Option<(i32, i32)>,
    pub before: Option<i32>,
}

impl VersionPair {
    /// `a` and `b` from an address: both or neither.
    pub fn parse(pairs: &[(&str, &str)]) -> DomainResult<Option<(i32, i32)>> {
        let mut problems = Problems::default();
        let a = problems.parse::<i32>("a", value(pairs, &["a"]).unwrap_or(""), "a version");
        let b = problems.parse::<i32>("b", value(pairs, &["b"]).unwrap_or(""), "a version");
        problems.done(a.zip(b))
    }

    /// The versions page's address: two versions to compare (`a` and `b`, both or neither)
    /// and the page (`before`: versions older than it; one that is not a number starts at the
    /// newest, as an edited address should).
    pub fn page(a: &str, b: &str, before: &str) -> DomainResult<VersionsPage> {
        Ok(VersionsPage {
            compare: Self::parse(&[("a", a), ("b", b)])?,
            before: before.trim().parse::<i32>().ok(),
        })
    }

    /// The version to restore and the version the page showed as current.
    pub fn restore(version: &str, based_on: &str) -> DomainResult<(i32, i32)> {
        let mut problems = Problems::default();
        let version = problems.parse::<i32>("version", version, "a version");
        let based_on = problems.parse::<i32>("basedOn", based_on, "a version");
        match (version, based_on) {
            (Some(v), Some(b)) => problems.done((v, b)),
            _ if problems.0.is_empty() => Err(DomainError::field(
                "version",
                "Say which version to restore",
            )),
            _ => problems.done((0, 0)),
        }
    }
}
