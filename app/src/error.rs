//! `AppError`: the one error every server function returns, serializable so that a page can
//! say "Name is required" next to the field, with or without JavaScript.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use switchyard_model::error::ErrorKind;
use switchyard_model::workflow::{FieldError, WorkflowInput};
use switchyard_model::{DomainError, Workflow};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Missing, deleted, or another organization's.
    #[error("This page does not exist, or you do not have access to it.")]
    NotFound,
    #[error("Your role does not allow this. Ask an Admin of your organization.")]
    Forbidden,
    /// A refused verb or a BEFORE hook's veto; the message is shown as it is.
    #[error("{0}")]
    Refused(String),
    /// Fields to fix; `input` is what was sent, so that the form shows it again.
    #[error("Some fields need attention.")]
    Invalid {
        errors: Vec<FieldError>,
        input: Option<Box<WorkflowInput>>,
        /// A small form's fields as they were sent (never a password), so that the form shows
        /// them again with JavaScript and without.
        #[serde(default)]
        kept: Vec<(String, String)>,
    },
    /// The save was based on an older version; `current` is what is stored now.
    #[error("Someone else changed this workflow while you were editing it.")]
    Conflict {
        current: Box<Workflow>,
        input: Box<WorkflowInput>,
    },
    #[error("{0}")]
    SignIn(String),
    #[error("Something went wrong on our side (reference {0}). Please try again.")]
    Internal(String),
    #[error("The request could not be handled: {0}")]
    Request(String),
}

/// A refused sign-in says why in words; a broken one is internal.
#[cfg(feature = "ssr")]
impl From<switchyard::auth::SignInError> for AppError {
    fn from(err: switchyard::auth::SignInError) -> Self {
        match err {
            switchyard::auth::SignInError::Internal(cause) => AppError::internal(cause),
            other => AppError::SignIn(other.to_string()),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}

impl AppError {
    /// The HTTP status a server function answers this error with (the domain's table, for
    /// the errors that come from the domain). A form posted without JavaScript is redirected
    /// back to its page instead, with the error in the address.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::SignIn(_) => 401,
            AppError::NotFound => ErrorKind::NotFound.http_status(),
            AppError::Forbidden => ErrorKind::Forbidden.http_status(),
            AppError::Refused(_) | AppError::Conflict { .. } => ErrorKind::Conflict.http_status(),
            AppError::Invalid { .. } => ErrorKind::Invalid.http_status(),
            AppError::Internal(_) => ErrorKind::Internal.http_status(),
            AppError::Request(_) => 400,
        }
    }

    /// The message for one field, if this error has one.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { errors, .. } => errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// The message that belongs to no field (anything but an invalid form), for the top of a
    /// form.
    pub fn general(&self) -> Option<String> {
        (!matches!(self, AppError::Invalid { .. })).then(|| self.to_string())
    }

    /// With these fields of the form kept, when it is an invalid form.
    pub fn keeping(mut self, fields: &[(&str, &str)]) -> Self {
        if let AppError::Invalid { kept, .. } = &mut self {
            *kept = fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
        }
        self
    }

    /// A kept field's value as it was sent.
    pub fn kept(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { kept, .. } => {
                kept.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            }
            _ => None,
        }
    }

    /// The form input this error carries back, if any.
    pub fn input(&self) -> Option<&WorkflowInput> {
        match self {
            AppError::Invalid { input, .. } => input.as_deref(),
            AppError::Conflict { input, .. } => Some(input),
            _ => None,
        }
    }

    /// Sample data too long for the page's address, which carries a preview's sample.
    pub fn sample_too_long() -> Self {
        DomainError::field(
            "payload",
            "This sample is too long to preview here: shorten it, or trigger the workflow to see it run",
        )
        .into()
    }

    /// Maps a domain error, keeping the input that caused it.
    pub fn from_domain(err: DomainError, input: Option<&WorkflowInput>) -> Self {
        match err {
            DomainError::NotFound => AppError::NotFound,
            DomainError::Forbidden => AppError::Forbidden,
            DomainError::InvalidTransition { .. }
            | DomainError::Vetoed(_)
            | DomainError::Refused(_) => AppError::Refused(err.to_string()),
            DomainError::Validation(errors) => AppError::Invalid {
                errors,
                input: input.cloned().map(Box::new),
                kept: Vec::new(),
            },
            DomainError::Conflict { current } => match input {
                Some(input) => AppError::Conflict {
                    current,
                    input: Box::new(input.clone()),
                },
                None => AppError::Refused(DomainError::Conflict { current }.to_string()),
            },
            DomainError::Internal(internal) => AppError::internal(internal),
        }
    }

    /// Logs the cause once and answers with a short reference.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let reference = format!("{:08x}", fastrand_u32());
        #[cfg(feature = "ssr")]
        tracing::error!(error.reference = %reference, "{cause}");
        #[cfg(not(feature = "ssr"))]
        let _ = cause.to_string();
        AppError::Internal(reference)
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        AppError::from_domain(err, None)
    }
}

/// An id in an address that is not one: not found, like one that names nothing.
impl From<switchyard_model::id::NoSuchId> for AppError {
    fn from(err: switchyard_model::id::NoSuchId) -> Self {
        DomainError::from(err).into()
    }
}

fn fastrand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish() as u32
}
