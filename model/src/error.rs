//! The errors the domain's callers branch on, and the one table that says how each front
//! door (pages, REST, MCP) answers them.

use crate::entity::Workflow;
use crate::status::{Status, Verb};
use crate::workflow::FieldError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
    /// The edit was based on an older version; `current` is the workflow as it is now.
    #[error("someone else changed this workflow (it is now at version {})", current.version)]
    Conflict { current: Box<Workflow> },
    /// A BEFORE hook said no; its message reaches the user verbatim.
    #[error("{0}")]
    Vetoed(String),
    /// The thing asked for cannot be done in the state things are in (a retry of a run of a
    /// paused workflow, a cancel of a run that has ended); the message says what to do.
    #[error("{0}")]
    Refused(String),
    #[error("internal error: {0}")]
    Internal(#[source] Internal),
}

/// A failure that is ours, not the caller's: its message for the log, and its cause.
#[derive(Clone, Debug, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Internal {
    pub message: String,
    #[serde(skip)]
    #[source]
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for Internal {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

/// What kind of answer an error gets at every front door.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// 422, with the field.
    Invalid,
    /// 404: missing, or another organization's.
    NotFound,
    /// 403.
    Forbidden,
    /// 409: a stale version or a verb the status does not allow.
    Conflict,
    /// 500.
    Internal,
}

impl ErrorKind {
    /// The HTTP status every front door answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Invalid => 422,
            ErrorKind::NotFound => 404,
            ErrorKind::Forbidden => 403,
            ErrorKind::Conflict => 409,
            ErrorKind::Internal => 500,
        }
    }
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

    /// An internal error with its message only.
    pub fn internal(message: impl Into<String>) -> Self {
        DomainError::Internal(Internal {
            message: message.into(),
            source: None,
        })
    }

    /// An internal error that keeps its cause.
    pub fn caused_by(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        DomainError::Internal(Internal {
            message: format!("{}: {source}", message.into()),
            source: Some(Arc::new(source)),
        })
    }

    /// The row of the one table of answers.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DomainError::Validation(_) | DomainError::Vetoed(_) => ErrorKind::Invalid,
            DomainError::NotFound => ErrorKind::NotFound,
            DomainError::Forbidden => ErrorKind::Forbidden,
            DomainError::InvalidTransition { .. }
            | DomainError::Conflict { .. }
            | DomainError::Refused(_) => ErrorKind::Conflict,
            DomainError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The code the REST API and the MCP tools name the error with.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Validation(_) => "invalid",
            DomainError::Vetoed(_) => "vetoed",
            DomainError::NotFound => "not_found",
            DomainError::Forbidden => "forbidden",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::Conflict { .. } => "conflict",
            DomainError::Refused(_) => "refused",
            DomainError::Internal(_) => "internal",
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// An id that is not even well formed is not found, like one that does not exist.
impl From<crate::id::NoSuchId> for DomainError {
    fn from(_: crate::id::NoSuchId) -> Self {
        DomainError::NotFound
    }
}

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

    #[test]
    fn every_error_has_one_status() {
        let cases = [
            (DomainError::field("name", "Name is required"), 422),
            (DomainError::Vetoed("no steps".into()), 422),
            (DomainError::NotFound, 404),
            (DomainError::Forbidden, 403),
            (
                DomainError::InvalidTransition {
                    from: Status::Draft,
                    verb: Verb::Pause,
                },
                409,
            ),
            (DomainError::internal("boom"), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.kind().http_status(), status, "{err}");
        }
    }
}
