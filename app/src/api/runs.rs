//! Runs: a workflow's history, the organization's, and one run step by step.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard::entity::RunDetail;
use switchyard::view::run::{RunHistory, RunList};

/// A run history's filters, as the address has them (`step` counts from 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFilters {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub range: String,
    #[serde(default)]
    pub workflow: String,
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub before: String,
}

impl RunFilters {
    /// The filters as a query's pairs.
    pub fn pairs(&self) -> [(&str, &str); 8] {
        [
            ("status", &self.status),
            ("range", &self.range),
            ("workflow", &self.workflow),
            ("step", &self.step),
            ("error", &self.error),
            ("group", &self.group),
            ("version", &self.version),
            ("before", &self.before),
        ]
    }
}

#[server(endpoint = "workflow_runs")]
pub async fn workflow_runs(
    org: String,
    id: String,
    #[server(flatten)]
    #[server(default)]
    filters: RunFilters,
) -> Result<RunHistory, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard::WorkflowId::from_path(&id)?;
    let query = switchyard::query::RunQuery::parse(&filters.pairs())?;
    Ok(switchyard::view::run::history(&mut conn, &member, &id, &query).await?)
}

/// The organization's runs, filtered as the address says.
#[server(endpoint = "list_runs")]
pub async fn list_runs(
    org: String,
    #[server(flatten)]
    #[server(default)]
    filters: RunFilters,
) -> Result<RunList, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = switchyard::query::RunQuery::parse(&filters.pairs())?;
    Ok(switchyard::view::run::search(&mut conn, &member, &query).await?)
}

#[server(endpoint = "get_run")]
pub async fn get_run(org: String, id: String) -> Result<RunDetail, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard::id::RunId::from_path(&id)?;
    Ok(switchyard::view::run::detail(&mut conn, &member, &id).await?)
}
