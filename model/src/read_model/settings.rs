//! An organization's settings: its members, and its API keys for those who manage them.

use crate::entity::{ApiKey, MemberRow};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub members: Vec<MemberRow>,
    /// `None` for members who may not manage keys.
    pub keys: Option<Vec<ApiKey>>,
    /// The members with what Admins manage, and pending invitations (`None` for others).
    pub team: Option<crate::team::Team>,
    /// The secrets by name, never their values (`None` for all but Admins).
    pub secrets: Option<Vec<crate::secret::SecretSummary>>,
    /// The dashboard's failure threshold (a rate) and the charts' time zone.
    pub threshold: f64,
    pub time_zone: String,
    /// When it was read, to tell expired keys (the browser's clock is not asked).
    pub read_at: time::OffsetDateTime,
}
