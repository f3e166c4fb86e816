//! What a repository or a transaction fails with: the database's error, or a rule the domain
//! refused inside a transaction. `?` turns it into the model's `DomainError`, which the front
//! doors map; a missing row is `NotFound`, anything else an internal error that keeps its
//! cause. (The model cannot convert Diesel's error itself: it has no Diesel.)

use crate::error::DomainError;

#[derive(Debug)]
pub enum StoreError {
    Database(diesel::result::Error),
    Domain(DomainError),
}

/// A repository's answer.
pub type QueryResult<T> = Result<T, StoreError>;

/// A transaction's body written with the domain's error, as `conn.transaction` takes it:
/// `conn.transaction::<_, StoreError, _>(async |conn| domain(async { ... }).await)`. Naming the
/// body's type here lets its `?` and `return Err(...)` be the domain's, as they read.
pub async fn domain<T>(
    body: impl Future<Output = crate::error::DomainResult<T>>,
) -> Result<T, StoreError> {
    body.await.map_err(StoreError::Domain)
}

impl From<diesel::result::Error> for StoreError {
    fn from(err: diesel::result::Error) -> Self {
        StoreError::Database(err)
    }
}

impl From<DomainError> for StoreError {
    fn from(err: DomainError) -> Self {
        StoreError::Domain(err)
    }
}

impl From<StoreError> for DomainError {
    fn from(failure: StoreError) -> Self {
        match failure {
            StoreError::Database(diesel::result::Error::NotFound) => DomainError::NotFound,
            StoreError::Database(other) => DomainError::caused_by("database", other),
            StoreError::Domain(err) => err,
        }
    }
}

impl From<crate::db::PoolError> for StoreError {
    fn from(err: crate::db::PoolError) -> Self {
        StoreError::Domain(DomainError::caused_by("database pool", err))
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(err) => err.fmt(f),
            StoreError::Domain(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Database(err) => Some(err),
            StoreError::Domain(err) => Some(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_error_keeps_its_source_and_a_missing_row_is_not_found() {
        use std::error::Error;
        let err = DomainError::from(StoreError::from(
            diesel::result::Error::BrokenTransactionManager,
        ));
        let source = err.source().expect("the internal part");
        assert!(source.source().is_some(), "the diesel error is kept");
        let missing = DomainError::from(StoreError::from(diesel::result::Error::NotFound));
        assert!(matches!(missing, DomainError::NotFound));
    }
}
