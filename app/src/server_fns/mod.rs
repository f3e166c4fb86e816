//! Server functions: short bodies that find the member, call one domain function, map the error.

pub mod account;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod events;
pub mod mail;
pub mod members;
pub mod runs;
pub mod settings;
pub mod webhooks;
pub mod workflows;
