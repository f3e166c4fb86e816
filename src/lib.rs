//! Switchyard's domain: the Workflow entity, its verbs, hooks and state machine, the mapping
//! language, and (behind the `db` feature) the Diesel repositories. No web code lives here.

pub mod access;
pub mod clock;
pub mod definition;
pub mod entity;
pub mod error;
pub mod id;
pub mod list_query;
pub mod mapping;
pub mod payload;
pub mod preview;
pub mod rate;
pub mod retry;
pub mod role;
pub mod run;
pub mod session;
mod sql_text;
pub mod stats;
pub mod status;
pub mod team;
pub mod timefmt;
pub mod workflow;
pub mod workflow_search;

#[cfg(feature = "db")]
pub mod account;
#[cfg(feature = "db")]
pub mod api_key;
#[cfg(feature = "db")]
pub mod auth;
#[cfg(feature = "db")]
pub mod db;
#[cfg(feature = "db")]
pub mod engine;
#[cfg(feature = "db")]
pub mod hooks;
#[cfg(feature = "db")]
pub mod housekeeping;
#[cfg(feature = "db")]
pub mod ingest;
#[cfg(feature = "db")]
pub mod mcp_tools;
#[cfg(feature = "db")]
pub mod members;
#[cfg(feature = "db")]
pub mod preferences;
pub mod read_model;
#[cfg(feature = "db")]
pub mod repo;
#[cfg(feature = "db")]
pub mod schema;
#[cfg(feature = "db")]
pub mod seed;
#[cfg(feature = "db")]
pub mod setup;
#[cfg(feature = "db")]
pub mod testing;
#[cfg(feature = "db")]
pub mod verbs;

pub use entity::{Member, Organization, Workflow};
pub use error::{DomainError, DomainResult};
pub use id::{OrgId, UserId, WorkflowId};
pub use role::Role;
pub use status::{Status, Verb};
