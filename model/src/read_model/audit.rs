//! The audit trail Admins read: who signed in (or failed to) and from where, who changed the
//! members, the API keys and the workflows, and who retried runs. It is read from the event
//! log, so it is kept as long as events are.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The kinds of entries, with how the page names them.
pub const KINDS: &[(&str, &str)] = &[
    ("Member.signedIn", "Signed in"),
    ("Member.signInFailed", "Failed to sign in"),
    ("Member.passwordChanged", "Changed their password"),
    ("Member.passwordReset", "Chose a new password by email"),
    ("Member.invited", "Invited someone"),
    ("Member.invitationRevoked", "Withdrew an invitation"),
    ("Member.invitationDeclined", "Declined an invitation"),
    ("Member.added", "Added a member"),
    ("Member.joined", "Joined"),
    ("Member.roleChanged", "Changed a role"),
    ("Member.removed", "Removed a member"),
    // Recorded before accounts stopped being locked (issue 24); still shown from the past.
    ("Member.unlocked", "Unlocked an account"),
    ("ApiKey.created", "Created an API key"),
    ("ApiKey.revoked", "Revoked an API key"),
    ("Email.tested", "Sent a test email"),
    ("Endpoint.created", "Added a webhook endpoint"),
    ("Endpoint.updated", "Changed a webhook endpoint"),
    (
        "Endpoint.secretRotated",
        "Rotated a webhook endpoint's secret",
    ),
    ("Endpoint.enabled", "Sent to a webhook endpoint again"),
    ("Endpoint.deleted", "Deleted a webhook endpoint"),
    ("Workflow.created", "Created a workflow"),
    ("Workflow.updated", "Edited a workflow"),
    ("Workflow.activated", "Activated a workflow"),
    ("Workflow.paused", "Paused a workflow"),
    ("Workflow.triggered", "Ran a workflow"),
    ("Workflow.archived", "Archived a workflow"),
    ("Workflow.deleted", "Deleted a workflow"),
    (
        "Workflow.alertsAcknowledged",
        "Acknowledged a workflow's alerts",
    ),
    ("Run.retried", "Retried a run"),
    ("RunBatch.queued", "Retried runs in bulk"),
];

/// Entries per page.
pub const PAGE: i64 = 50;

/// What to show: one person's entries, one kind, older than a position.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub person: Option<String>,
    pub kind: Option<String>,
    pub before: Option<i64>,
}

/// One line of the trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub kind: String,
    /// Who: a member's name, an API key, or the command line.
    pub who: String,
    /// What, in a few words.
    pub what: String,
}

/// A member whose password is being guessed at: many wrong ones in the last hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flood {
    pub name: String,
    pub email: String,
    /// Wrong passwords in the last hour, and from how many networks.
    pub failures: i64,
    pub networks: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Members with at least `auth::FLOOD` wrong passwords in the last hour, most first.
    pub floods: Vec<Flood>,
    pub entries: Vec<AuditEntry>,
    /// The members to filter by: id and name.
    pub people: Vec<(String, String)>,
    /// Where the next (older) page starts, if there is one.
    pub next_before: Option<i64>,
}

/// The label of a kind.
pub fn label(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(kind, |(_, label)| label)
}
