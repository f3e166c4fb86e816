//! An organization's people as the pages show them: the Admins' member list, its pending
//! invitations, and an invitation's page (`members` reads and changes them).

use crate::entity::Organization;
use crate::id::{InvitationId, UserId};
use crate::role::Role;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The people of an organization as its Admins manage them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<MemberEntry>,
    pub invitations: Vec<PendingInvitation>,
}

/// One member, as the Admins' list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEntry {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: OffsetDateTime,
}

/// An invitation not yet used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// What inviting made: the one-time link's secret, shown to the Admin only now. Whether or
/// not the address has an account, it is the same: the person joins only by acting on the
/// link themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invited {
    pub email: String,
    pub role: Role,
    pub token: String,
    pub expires_at: OffsetDateTime,
}

impl Invited {
    /// The link to send, on the app reached at `base` (`https://switchyard.example`).
    pub fn link(&self, base: &str) -> String {
        format!("{}/invite/{}", base.trim_end_matches('/'), self.token)
    }
}

/// An invitation made, and how it reached the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationSent {
    pub email: String,
    pub role: Role,
    pub expires_at: OffsetDateTime,
    pub handed: crate::mail::Handed,
}

/// An invitation as its link shows it, before the person accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub org: Organization,
    pub email: String,
    pub role: Role,
    pub expires_at: OffsetDateTime,
}

/// Who opens an invitation's link, as its page answers them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visitor {
    /// Nobody is signed in on this browser: sign in, or make an account.
    SignedOut,
    /// The account the invitation was sent to: it may say yes or no.
    Invited,
    /// Another account, by its email: it must sign out first.
    Other(String),
}

/// An invitation as its link's page shows it to the one who opened it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPage {
    pub invitation: InvitationView,
    pub visitor: Visitor,
}
