//! What the front doors read, each a single call that takes the actor, checks what it may
//! see, and stays inside its organization: the workflow list and overview, run history and
//! one run step by step, the event log, the settings. The records they answer with are the
//! model's (`switchyard_model::read_model`); here is how they are read.

pub use switchyard_model::read_model::{account, resource};

pub mod audit;
pub mod dashboard;
pub mod editor;
pub mod event;
pub mod health;
pub mod run;
pub mod settings;
pub mod versions;
pub mod workflow;
