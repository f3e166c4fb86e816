//! What the front doors read, each a single call that takes the actor, checks what it may
//! see, and stays inside its organization: the workflow list and overview, run history and
//! one run step by step, the event log, the settings.

pub mod account;
pub mod audit;
pub mod dashboard;
pub mod health;
pub mod resource;
pub mod run;
pub mod settings;
pub mod versions;
pub mod workflow;
