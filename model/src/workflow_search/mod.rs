//! Searching workflows the way the REST list and the MCP `search` tool ask: MongoDB-style
//! filters on the spec's field names (`$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $and
//! $or $not`), sorting by several fields, and opaque keyset cursors.
//!
//! The semantics, which the reference test checks against the SQL:
//! - a missing value is `null`; `null` sorts below every value, and only `$eq: null`,
//!   `$in: [null]`, `$ne`, `$nin` and `$exists` match it; `$gt`, `$lt`, ... and `$regex` do not;
//! - `$exists: true` means "has a value" (the resource always has the field);
//! - text compares by its bytes (`"B" < "a"`); `$regex` is a POSIX pattern, `$options: "i"`
//!   makes it ignore case; sorting text ignores case;
//! - `{field: value}` is `$eq`, several operators on one field must all hold, and `$not`
//!   works on one field's operators (`{runCount: {$not: {$gt: 5}}}`) or on a whole filter.

mod fields;
mod filter;
mod request;
#[cfg(test)]
mod tests;

pub use fields::{Field, WORKFLOW_FIELDS, value_of};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// At most this many conditions in one filter, and this deep.
pub const CONDITIONS_MAX: usize = 100;
pub const DEPTH_MAX: usize = 8;
/// At most this many values in `$in` / `$nin`, and this long a text or pattern.
pub const VALUES_MAX: usize = 100;
pub const TEXT_MAX: usize = 500;
/// At most this long a `$regex` pattern. Patterns with back-references (`\1`) are refused:
/// PostgreSQL takes exponential time on some of them.
pub const REGEX_MAX: usize = 200;
/// At most this many sort keys.
pub const SORT_MAX: usize = 4;
/// A page's length, as every list of the API takes it.
pub use crate::list_query::{LIMIT_DEFAULT, LIMIT_MAX};

/// What kind of value a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Time,
}

/// A value a filter compares with.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Null,
    Text(String),
    Int(i64),
    Time(OffsetDateTime),
}

impl Lit {
    fn to_json(&self) -> Value {
        match self {
            Lit::Null => Value::Null,
            Lit::Text(s) => json!(s),
            Lit::Int(n) => json!(n),
            Lit::Time(t) => json!(t.format(&Rfc3339).unwrap_or_default()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Compare(&'static Field, Cmp, Lit),
    /// `$in` (or, negated, `$nin`).
    In(&'static Field, Vec<Lit>),
    Exists(&'static Field, bool),
    Regex {
        field: &'static Field,
        pattern: String,
        ignore_case: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

/// Where the previous page ended: its last row's sort values and id.
#[derive(Clone, Debug, PartialEq)]
pub struct After {
    pub values: Vec<Lit>,
    pub id: String,
}

/// A whole search: filter, text, order, page size, and where to continue.
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    pub filter: Filter,
    pub text: Option<String>,
    pub sort: Vec<(&'static Field, Dir)>,
    pub limit: i64,
    pub after: Option<After>,
}
