//! Runs: a workflow's history, the organization's, and one run step by step.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard_model::entity::RunDetail;
use switchyard_model::read_model::run::{RunHistory, RunList};
use switchyard_model::retry::{BulkPreview, RetryPreview};

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
    pub batch: String,
    #[serde(default)]
    pub before: String,
}

impl RunFilters {
    /// The filters as a query's pairs.
    pub fn pairs(&self) -> [(&str, &str); 9] {
        [
            ("status", &self.status),
            ("range", &self.range),
            ("workflow", &self.workflow),
            ("step", &self.step),
            ("error", &self.error),
            ("group", &self.group),
            ("version", &self.version),
            ("batch", &self.batch),
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
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    // A bad filter is named and left out; the others still apply.
    let (query, problems) = switchyard_model::list_query::RunQuery::parse_kept(&filters.pairs());
    let mut history = switchyard::read_model::run::history(&mut conn, &member, &id, &query).await?;
    history.matched.problems = problems;
    Ok(history)
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
    // A bad filter is named and left out; the others still apply.
    let (query, problems) = switchyard_model::list_query::RunQuery::parse_kept(&filters.pairs());
    let mut list = switchyard::read_model::run::search(&mut conn, &member, &query).await?;
    list.matched.problems = problems;
    Ok(list)
}

#[server(endpoint = "get_run")]
pub async fn get_run(org: String, id: String) -> Result<RunDetail, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::id::RunId::from_path(&id)?;
    Ok(switchyard::read_model::run::detail(&mut conn, &member, &id).await?)
}

/// What retrying the run from `from` would do, in plain words; writes nothing.
#[server(endpoint = "preview_retry")]
pub async fn preview_retry(
    org: String,
    id: String,
    from: String,
) -> Result<RetryPreview, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::id::RunId::from_path(&id)?;
    let from = switchyard::retry::parse_from(&from)?;
    Ok(switchyard::retry::preview(&mut conn, &member, &id, from).await?)
}

/// Retries the run, then shows the new run.
#[server(endpoint = "retry_run")]
pub async fn retry_run(
    org: String,
    id: String,
    from: String,
    #[server(default)] based_on: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::id::RunId::from_path(&id)?;
    let from = switchyard::retry::parse_from(&from)?;
    let based_on = switchyard::retry::parse_based_on(&based_on)?;
    let retry = switchyard::retry::retry(&mut conn, &member, &id, from, based_on).await?;
    leptos_axum::redirect(&format!("/o/{org}/runs/{retry}"));
    Ok(())
}

/// Asks the run to stop, then shows it.
#[server(endpoint = "cancel_run")]
pub async fn cancel_run(org: String, id: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::id::RunId::from_path(&id)?;
    switchyard::retry::cancel(&mut conn, &member, &id).await?;
    leptos_axum::redirect(&format!("/o/{org}/runs/{id}"));
    Ok(())
}

/// What retrying every run the filters let through would do; writes nothing.
#[server(endpoint = "preview_bulk")]
pub async fn preview_bulk(
    org: String,
    #[server(flatten)]
    #[server(default)]
    filters: RunFilters,
    from: String,
) -> Result<BulkPreview, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = switchyard_model::list_query::RunQuery::parse(&filters.pairs())?;
    let from = switchyard::retry::parse_from(&from)?;
    Ok(switchyard::retry::bulk_preview(&mut conn, &member, &query, from).await?)
}

/// Retries every run the filters let through as one batch, then shows its progress.
#[server(endpoint = "retry_runs")]
pub async fn retry_runs(
    org: String,
    #[server(flatten)]
    #[server(default)]
    filters: RunFilters,
    from: String,
    #[server(default)] key: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = switchyard_model::list_query::RunQuery::parse(&filters.pairs())?;
    let from = switchyard::retry::parse_from(&from)?;
    let queued = switchyard::retry::retry_bulk(&mut conn, &member, &query, from, &key).await?;
    leptos_axum::redirect(&format!("/o/{org}/runs?batch={}", queued.batch));
    Ok(())
}

/// Cancels the runs of a batch that have not started, then shows its progress.
#[server(endpoint = "cancel_batch")]
pub async fn cancel_batch(org: String, batch: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::id::BatchId::from_path(&batch)?;
    switchyard::retry::cancel_batch(&mut conn, &member, &id).await?;
    leptos_axum::redirect(&format!("/o/{org}/runs?batch={id}"));
    Ok(())
}
