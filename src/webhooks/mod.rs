//! Outbound webhooks: an organization's endpoints, the deliveries of its events to them from
//! an outbox written in each event's transaction, signed (`sign`) as the Standard Webhooks
//! specification says, retried on `webhook::SCHEDULE`, and logged attempt by attempt.

pub mod deliver;
pub mod deliveries;
pub mod endpoints;
pub mod sign;

pub use crate::webhook::*;
