//! How the model's values are stored: in text columns of SQL type `Stored`, closed enums by
//! name (`as_str` going in, `FromStr` coming out) and definitions as JSON text.
//!
//! Why not Diesel's `Text`: the model's types belong to the model crate and Diesel's traits
//! and `Text` to Diesel, so Rust's orphan rule lets no third crate say how one is stored as the
//! other. `Stored` is this crate's own name for PostgreSQL's `text`, so the conversions can
//! live here, and the model compiles with no database at all. A column holding an id, a
//! status or a definition is `Stored` in `schema.rs`; one holding free text (a name, an email)
//! stays `Text`, which `LIKE` needs. Strings go in and out of `Stored` columns as well.
//!
//! Diesel cannot be told here how a bare value goes into a nullable `Stored` column (the orphan
//! rule again: `Nullable<Stored>` is Diesel's type), so such a value is written `Some(&value)`.

use crate::definition::{ErrorHandling, RetryPolicy, Steps};
use crate::entity::{EventSource, Scope};
use crate::id::{
    ApiKeyId, BatchId, DeliveryId, EndpointId, EventId, InvitationId, OrgId, RunId, UserId,
    WorkflowId,
};
use crate::role::Role;
use crate::run::{RunStatus, StepStatus};
use crate::status::Status;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::{Pg, PgValue};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Nullable;
use std::io::Write;

/// PostgreSQL's `text`, holding one of the model's values (see the module's text).
#[derive(
    Clone, Copy, Debug, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 25, array_oid = 1009))]
pub struct Stored;

/// A value bound into a statement as `Stored` (or as a nullable `Stored`):
/// `workflows::org_id.eq(org.sql())`.
#[derive(Debug, Clone, Copy)]
pub struct Value<U, ST = Stored> {
    value: U,
    sql_type: std::marker::PhantomData<ST>,
}

impl<U, ST> Value<U, ST> {
    fn new(value: U) -> Self {
        Value {
            value,
            sql_type: std::marker::PhantomData,
        }
    }
}

impl<U, ST> Expression for Value<U, ST>
where
    ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
{
    type SqlType = ST;
}

impl<U, ST> QueryFragment<Pg> for Value<U, ST>
where
    U: ToSql<ST, Pg>,
    Pg: diesel::sql_types::HasSqlType<ST>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_bind_param::<ST, U>(&self.value)
    }
}

/// Bound as its value in an `IN (...)` list (Diesel binds a list's items one by one).
impl<U: ToSql<Stored, Pg> + std::fmt::Debug> ToSql<Stored, Pg> for Value<U> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        self.value.to_sql(out)
    }
}

impl<U, ST: 'static> QueryId for Value<U, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<U, ST, QS> AppearsOnTable<QS> for Value<U, ST> where Self: Expression {}

impl<U, ST, QS> SelectableExpression<QS> for Value<U, ST> where Self: Expression {}

impl<U, ST, GB> ValidGrouping<GB> for Value<U, ST> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

/// How a model value goes into a statement. Diesel's `.eq(value)` cannot take a model type
/// directly (the orphan rule: only Diesel or the model could say so), so it takes
/// `value.sql()`, bound as `Stored`, or `value.sql_nullable()` for a nullable column.
pub trait Sql: ToSql<Stored, Pg> {
    fn sql(&self) -> Value<&Self> {
        Value::new(self)
    }

    /// The value itself bound, for a statement that outlives it (a constant status).
    fn sql_owned(self) -> Value<Self>
    where
        Self: Sized,
    {
        Value::new(self)
    }

    fn sql_nullable(&self) -> Value<Option<&Self>, Nullable<Stored>> {
        Value::new(Some(self))
    }
}

impl<T: ToSql<Stored, Pg> + ?Sized> Sql for T {}

/// Model values for an `IN (...)`: `runs::status.eq_any(all(&RunStatus::IN_FLIGHT))`.
pub fn all<T: ToSql<Stored, Pg>>(items: &[T]) -> Vec<Value<&T>> {
    items.iter().map(|item| item.sql()).collect()
}

/// An optional model value for a nullable `Stored` column: `maybe(&option)` or
/// `maybe(option_of_reference)`.
pub fn maybe<U: ToSql<Nullable<Stored>, Pg>>(value: U) -> Value<U, Nullable<Stored>> {
    Value::new(value)
}

/// A model value read back from `Stored` as itself.
macro_rules! read_back {
    ($ty:ty) => {
        impl Queryable<Stored, Pg> for $ty {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

/// A value stored by its name: ids and closed enums.
macro_rules! stored_by_name {
    ($($ty:ty),* $(,)?) => {$(
        read_back!($ty);

        impl ToSql<Stored, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                out.write_all(self.as_str().as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<Stored, Pg> for $ty {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let text = std::str::from_utf8(bytes.as_bytes())?;
                Ok(text.parse()?)
            }
        }
    )*};
}

/// A value stored as JSON text (steps, retry policy). Text that does not read back as the
/// type is an error with its cause, never a default.
macro_rules! stored_as_json {
    ($($ty:ty),* $(,)?) => {$(
        read_back!($ty);

        impl ToSql<Stored, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                serde_json::to_writer(&mut *out, self)?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<Stored, Pg> for $ty {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                Ok(serde_json::from_slice(bytes.as_bytes())?)
            }
        }
    )*};
}

stored_by_name!(
    OrgId,
    UserId,
    WorkflowId,
    EventId,
    RunId,
    ApiKeyId,
    BatchId,
    InvitationId,
    EndpointId,
    DeliveryId,
    Status,
    Role,
    RunStatus,
    StepStatus,
    EventSource,
    Scope,
    ErrorHandling,
);
stored_as_json!(Steps, RetryPolicy);

// Plain strings in `Stored` columns (a digest, a reference to whoever acted).
impl ToSql<Stored, Pg> for str {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl ToSql<Stored, Pg> for String {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<Stored, Pg>::to_sql(self.as_str(), out)
    }
}

impl FromSql<Stored, Pg> for String {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(std::str::from_utf8(bytes.as_bytes())?.to_owned())
    }
}

/// `'A', 'B'`: a closed list's names for an SQL `IN (...)`, written from the enum (never by
/// hand) so that the statement keeps constants the planner can match to a partial index.
pub fn quoted<T: Copy>(items: &[T], name: fn(T) -> &'static str) -> String {
    items
        .iter()
        .map(|item| format!("'{}'", name(*item)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `%text%` for an `ILIKE` that finds `text` as it is: its `\\`, `%` and `_` escaped.
pub fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// The failure rate (`rate::failure_rate`) in SQL, over a row's `failure_count` and
/// `success_count` (the list's sort).
pub const FAILURE_RATE_SQL: &str =
    "failure_count::float8 / NULLIF(success_count + failure_count, 0)";
