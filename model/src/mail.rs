//! Email as the pages and APIs show it: whether the instance sends any, and what a mail
//! server answered.

use serde::{Deserialize, Serialize};

/// Whether this server sends email, and through what (never its password).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailStatus {
    /// The mail server, `host:port`, and how the connection is protected; `None` when email
    /// is off.
    pub server: Option<String>,
    /// The address email comes from.
    pub from: Option<String>,
}

impl EmailStatus {
    pub fn is_on(&self) -> bool {
        self.server.is_some()
    }
}

/// A test email the mail server took.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailSent {
    /// Who it went to.
    pub to: String,
    /// What the mail server answered, as it said it (`250 2.0.0 Ok: queued as 4F2A1`).
    pub answer: String,
}

/// How an invitation reached the person: by email, or as a link for the Admin to hand over
/// (email off, or the mail server would not take it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Handed {
    /// Emailed; the Admin never sees the link.
    Mailed,
    /// The link, shown once, and why it was not emailed when email is on.
    Link {
        link: String,
        not_mailed: Option<String>,
    },
}
