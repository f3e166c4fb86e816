//! Runs: a workflow's history and one run step by step.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard::entity::RunDetail;
use switchyard::view::run::RunHistory;

#[server(endpoint = "workflow_runs")]
pub async fn workflow_runs(
    org: String,
    id: String,
    #[server(default)] status: String,
    #[server(default)] before: String,
) -> Result<RunHistory, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard::WorkflowId::from_path(&id)?;
    let query = switchyard::query::RunQuery::parse(&[("status", &status), ("before", &before)])?;
    Ok(switchyard::view::run::history(&mut conn, &member, &id, &query).await?)
}

#[server(endpoint = "get_run")]
pub async fn get_run(org: String, id: String) -> Result<RunDetail, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard::id::RunId::from_path(&id)?;
    Ok(switchyard::view::run::detail(&mut conn, &member, &id).await?)
}
