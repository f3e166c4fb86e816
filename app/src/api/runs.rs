//! Runs: a workflow's history and one run step by step.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard::entity::{RunDetail, RunSummary};

/// A page of a workflow's run history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunHistory {
    pub workflow_name: String,
    pub runs: Vec<RunSummary>,
    /// The run to continue after, for the next (older) page.
    pub next: Option<String>,
}

#[server(endpoint = "workflow_runs")]
pub async fn workflow_runs(
    org: String,
    id: String,
    #[server(default)] status: String,
    #[server(default)] before: String,
) -> Result<RunHistory, AppError> {
    use switchyard::workflow::FieldError;
    let member = crate::state::member(&org).await?;
    let id = switchyard::WorkflowId::parse(&id).ok_or(AppError::NotFound)?;
    let status = match status.as_str() {
        "" => None,
        s => Some(s.parse().map_err(|_| AppError::Invalid {
            errors: vec![FieldError::new(
                "status",
                format!("`{s}` is not a run status"),
            )],
            input: None,
        })?),
    };
    let before = match before.as_str() {
        "" => None,
        b => Some(
            switchyard::id::RunId::parse(b).ok_or_else(|| AppError::Invalid {
                errors: vec![FieldError::new(
                    "before",
                    "This page address is damaged: go back to the newest runs",
                )],
                input: None,
            })?,
        ),
    };
    let mut conn = crate::state::conn().await?;
    let workflow = switchyard::repo::workflow::get(&mut conn, &member.org.id, &id)
        .await
        .map_err(switchyard::DomainError::from)?;
    let (runs, next) = switchyard::run_view::history(
        &mut conn,
        &member.org.id,
        &id,
        status,
        before.as_ref(),
        switchyard::run_view::PAGE,
    )
    .await
    .map_err(AppError::internal)?;
    Ok(RunHistory {
        workflow_name: workflow.name,
        runs,
        next: next.map(|r| r.to_string()),
    })
}

#[server(endpoint = "get_run")]
pub async fn get_run(org: String, id: String) -> Result<RunDetail, AppError> {
    let member = crate::state::member(&org).await?;
    let id = switchyard::id::RunId::parse(&id).ok_or(AppError::NotFound)?;
    let mut conn = crate::state::conn().await?;
    switchyard::run_view::detail(&mut conn, &member.org.id, &id)
        .await
        .map_err(|e| AppError::from(switchyard::DomainError::from(e)))
}
