//! Diesel repositories. Each function takes the connection first and returns `QueryResult`,
//! so that its caller owns the transaction.

pub mod event;
pub mod org;
pub mod workflow;
