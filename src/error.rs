//! The errors the domain's callers branch on.

use crate::status::{Status, Verb};
use crate::workflow::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum DomainError {
    /// Missing, deleted, or another organization's: callers cannot tell which.
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("{}", transition_message(*from, *verb))]
    InvalidTransition { from: Status, verb: Verb },
    #[error("some fields are not valid")]
    Validation(Vec<FieldError>),
    /// The edit was based on an older version.
    #[error("someone else changed this workflow (it is now at version {current_version})")]
    Conflict { current_version: i32 },
    /// A BEFORE hook said no; its message reaches the user verbatim.
    #[error("{0}")]
    Vetoed(String),
    #[error("internal error: {0}")]
    Internal(String),
}

fn transition_message(from: Status, verb: Verb) -> String {
    let allowed: Vec<&str> = from.allowed_verbs().into_iter().map(Verb::as_str).collect();
    let allowed = if allowed.is_empty() {
        "none".to_owned()
    } else {
        allowed.join(", ")
    };
    format!("Cannot {verb} a workflow that is {from}. Allowed now: {allowed}.")
}

impl DomainError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        DomainError::Validation(vec![FieldError::new(field, message)])
    }
}

#[cfg(feature = "db")]
impl From<diesel::result::Error> for DomainError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => DomainError::NotFound,
            other => DomainError::Internal(other.to_string()),
        }
    }
}

#[cfg(feature = "db")]
impl From<diesel_async::pooled_connection::deadpool::PoolError> for DomainError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        DomainError::Internal(format!("database pool: {err}"))
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_verb_says_the_status_and_what_is_allowed() {
        let err = DomainError::InvalidTransition {
            from: Status::Archived,
            verb: Verb::Activate,
        };
        assert_eq!(
            err.to_string(),
            "Cannot activate a workflow that is Archived. Allowed now: delete."
        );
    }
}
