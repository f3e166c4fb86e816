//! Switchyard's model: what the domain is made of, with no database and no web. Ids and
//! errors, the records and their statuses, the Workflow's definition and state machine, the
//! mapping language, how list queries and workflow searches are read, the statistics' types,
//! and the records the pages and APIs show (`read_model`). The domain crate (`switchyard`)
//! stores and runs them; the browser build compiles only this.

pub mod access;
pub mod alert_rule;
pub mod blame;
pub mod call_words;
pub mod clock;
pub mod definition;
pub mod editor;
pub mod entity;
pub mod error;
pub mod forms;
pub mod id;
pub mod list_query;
pub mod mail;
pub mod mapping;
pub mod payload;
pub mod preview;
pub mod rate;
pub mod read_model;
pub mod retry;
pub mod role;
pub mod run;
pub mod sample;
pub mod secret;
pub mod session;
pub mod stats;
pub mod status;
pub mod team;
pub mod timefmt;
pub mod webhook;
pub mod workflow;
pub mod workflow_search;

pub use entity::{Member, Organization, Workflow};
pub use error::{DomainError, DomainResult};
pub use id::{OrgId, UserId, WorkflowId};
pub use role::Role;
pub use status::{Status, Verb};
