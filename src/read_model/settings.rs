//! An organization's settings: its members, and its API keys, team and secrets for those who
//! manage them.

pub use switchyard_model::read_model::settings::*;

use {crate::db::Conn, crate::entity::Member, crate::error::DomainResult, crate::repo};

pub async fn settings(conn: &mut Conn, member: &Member) -> DomainResult<Settings> {
    let members = repo::org::members_of(conn, &member.org.id).await?;
    let (keys, team, secrets) = if member.role.may_administer() {
        (
            Some(crate::api_key::list(conn, member).await?),
            Some(crate::members::list(conn, member).await?),
            Some(crate::secrets::list(conn, member).await?),
        )
    } else {
        (None, None, None)
    };
    let (threshold, time_zone) = repo::org::preferences(conn, &member.org.id).await?;
    Ok(Settings {
        members,
        keys,
        team,
        secrets,
        threshold,
        time_zone,
        read_at: time::OffsetDateTime::now_utc(),
    })
}
