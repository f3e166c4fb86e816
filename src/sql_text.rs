//! Stores closed enums as checked text columns: `as_str` going in, `FromStr` coming out.

/// Implements Diesel's text conversions for an enum with `as_str()` and `FromStr`.
#[macro_export]
#[doc(hidden)]
macro_rules! text_sql {
    ($ty:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write;
                out.write_all(self.as_str().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = std::str::from_utf8(bytes.as_bytes())?;
                Ok(text.parse()?)
            }
        }
    };
}

/// Implements Diesel's text conversions for a type stored as JSON text (steps, retry policy).
/// Text that does not read back as the type is an error with its cause, never a default.
#[macro_export]
#[doc(hidden)]
macro_rules! json_text_sql {
    ($ty:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                serde_json::to_writer(&mut *out, self)?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                Ok(serde_json::from_slice(bytes.as_bytes())?)
            }
        }
    };
}

/// `'A', 'B'`: a closed list's names for an SQL `IN (...)`, written from the enum (never by
/// hand) so that the statement keeps constants the planner can match to a partial index.
#[cfg(feature = "db")]
pub fn quoted<T: Copy>(items: &[T], name: fn(T) -> &'static str) -> String {
    items
        .iter()
        .map(|item| format!("'{}'", name(*item)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(feature = "db")]
/// `%text%` for an `ILIKE` that finds `text` as it is: its `\\`, `%` and `_` escaped.
pub fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}
