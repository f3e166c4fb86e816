//! An organization's preferences: the failure rate above which the dashboard says a workflow
//! needs attention, and the time zone its charts read in. Admins change them.

use crate::db::Conn;
use crate::entity::Member;
use crate::error::{DomainError, DomainResult};
use crate::repo;
use crate::workflow::FieldError;

/// Saves the threshold (a percentage, as typed) and the time zone (a name PostgreSQL knows,
/// like `Europe/Paris`); every bad value is named by its field and nothing is saved.
pub async fn save(
    conn: &mut Conn,
    member: &Member,
    threshold_percent: &str,
    time_zone: &str,
) -> DomainResult<()> {
    if !member.role.may_administer() {
        return Err(DomainError::Forbidden);
    }
    let mut errors = Vec::new();
    let threshold = threshold_percent
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (1.0..=99.0).contains(p));
    if threshold.is_none() {
        errors.push(FieldError::new(
            "failureThreshold",
            "The threshold must be a percentage from 1 to 99, like 10",
        ));
    }
    let time_zone = time_zone.trim();
    if !repo::stats::is_time_zone(conn, time_zone).await? {
        errors.push(FieldError::new(
            "timeZone",
            "Choose a time zone by its name, like UTC, Europe/Paris or America/New_York",
        ));
    }
    match threshold {
        Some(percent) if errors.is_empty() => {
            repo::org::set_preferences(conn, &member.org.id, percent / 100.0, time_zone).await?;
            Ok(())
        }
        _ => Err(DomainError::Validation(errors)),
    }
}
