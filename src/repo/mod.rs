//! Diesel repositories. Each function takes the connection first and returns `QueryResult`,
//! so that its caller owns the transaction.

pub mod alert;
pub mod batch;
pub mod chain;
pub mod delivery;
pub mod event;
pub mod org;
pub mod run;
pub mod run_step;
pub mod secret;
pub mod session;
pub mod stats;
pub mod thing;
pub mod webhook;
pub mod workflow;
