//! Switchyard's domain: the Workflow entity's verbs, hooks and state machine, the engine that
//! runs workflows, retries, the read models and the Diesel repositories, over the model
//! (`switchyard_model`: ids, errors, records, definitions, the mapping language), whose
//! modules it re-exports where they always were (`switchyard::id`, `switchyard::entity`, ...).
//! No web code lives here.

pub use switchyard_model::{
    access, alert_rule, blame, call_words, clock, definition, editor, entity, error, forms,
    list_query, mapping, payload, preview, rate, role, run, secret, session, stats, status, team,
    timefmt, webhook, workflow, workflow_search,
};

pub mod account;
pub mod alerts;
pub mod api_key;
pub mod auth;
pub mod db;
pub mod egress;
pub mod engine;
pub mod hooks;
pub mod housekeeping;
pub mod id;
pub mod ingest;
pub mod mail;
pub mod mcp_tools;
pub mod members;
pub mod preferences;
pub mod read_model;
pub mod repo;
pub mod retry;
pub mod schema;
pub mod secrets;
pub mod seed;
pub mod setup;
pub mod sql_text;
pub mod store_error;
pub mod testing;
pub mod verbs;
pub mod webhooks;

pub use switchyard_model::entity::{Member, Organization, Workflow};
pub use switchyard_model::error::{DomainError, DomainResult};
pub use switchyard_model::id::{OrgId, UserId, WorkflowId};
pub use switchyard_model::role::Role;
pub use switchyard_model::status::{Status, Verb};
