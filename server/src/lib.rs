//! The Switchyard server: configuration, the router, the session store and the commands.

pub mod assets;
pub mod backup;
pub mod bodies;
pub mod cli;
pub mod config;
pub mod demo_crm;
pub mod form_errors;
pub mod health;
pub mod housekeeping;
pub mod mcp;
pub mod metrics;
pub mod rest;
pub mod routes;
pub mod secrets_cli;
pub mod security;
pub mod serve;
pub mod session_store;
pub mod setup_cli;
pub mod workers;
