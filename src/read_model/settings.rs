//! An organization's settings: its members, and its API keys for those who manage them.

use crate::entity::{ApiKey, MemberRow};
use serde::{Deserialize, Serialize};
#[cfg(feature = "db")]
use {crate::db::Conn, crate::entity::Member, crate::error::DomainResult, crate::repo};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub members: Vec<MemberRow>,
    /// `None` for members who may not manage keys.
    pub keys: Option<Vec<ApiKey>>,
    /// The members with what Admins manage, and pending invitations (`None` for others).
    pub team: Option<crate::team::Team>,
    /// The dashboard's failure threshold (a rate) and the charts' time zone.
    pub threshold: f64,
    pub time_zone: String,
    /// When it was read, to tell expired keys (the browser's clock is not asked).
    pub read_at: time::OffsetDateTime,
}

#[cfg(feature = "db")]
pub async fn settings(conn: &mut Conn, member: &Member) -> DomainResult<Settings> {
    let members = repo::org::members_of(conn, &member.org.id).await?;
    let (keys, team) = if member.role.may_administer() {
        (
            Some(crate::api_key::list(conn, member).await?),
            Some(crate::members::list(conn, member).await?),
        )
    } else {
        (None, None)
    };
    let (threshold, time_zone) = repo::org::preferences(conn, &member.org.id).await?;
    Ok(Settings {
        members,
        keys,
        team,
        threshold,
        time_zone,
        read_at: time::OffsetDateTime::now_utc(),
    })
}
