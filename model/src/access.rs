//! What an actor may do, asked in one place: every domain function that reads, changes or
//! sends into an organization starts with one of these.

use crate::entity::Actor;
use crate::error::{DomainError, DomainResult};

/// Refuses actors that may not read (API keys that only send events).
pub fn read(actor: &impl Actor) -> DomainResult<()> {
    allow(actor.may_read())
}

/// Refuses actors that may only read (Viewers, keys without `write`).
pub fn edit(actor: &impl Actor) -> DomainResult<()> {
    allow(actor.may_edit())
}

/// Refuses actors that may not send events.
pub fn send_events(actor: &impl Actor) -> DomainResult<()> {
    allow(actor.may_send_events())
}

/// Refuses members who may not manage the organization's members and API keys (all but Admins).
pub fn manage(member: &crate::entity::Member) -> DomainResult<()> {
    allow(member.role.may_administer())
}

/// Refuses actors that may not hold the organization's keys to other systems (all but Admins
/// and keys with the `admin` scope).
pub fn administer(actor: &impl Actor) -> DomainResult<()> {
    allow(actor.may_administer())
}

fn allow(allowed: bool) -> DomainResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}
