//! Listing, reading, saving workflows and applying their verbs.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard::entity::Event;
use switchyard::query::Page;
use switchyard::workflow::{RetryInput, StepInput};
use switchyard::{Member, Verb, Workflow};

/// A workflow with what its page needs around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowView {
    pub workflow: Workflow,
    pub member: Member,
    /// The verbs the status allows and the member's role may apply, in the table's order.
    pub verbs: Vec<Verb>,
    pub events: Vec<Event>,
    /// The latest runs, newest first.
    pub runs: Vec<switchyard::entity::RunSummary>,
}

/// A page of the org's workflows. Filters come as the list page's query string has them.
#[server(endpoint = "list_workflows")]
pub async fn list_workflows(
    org: String,
    #[server(default)] status: String,
    #[server(default)] trigger: String,
    #[server(default)] q: String,
    #[server(default)] sort: String,
    #[server(default)] cursor: String,
) -> Result<(Member, Page<Workflow>), AppError> {
    use switchyard::query::WorkflowQuery;
    use switchyard::workflow::FieldError;
    let member = crate::state::member(&org).await?;
    let mut errors = Vec::new();
    let status = match status.as_str() {
        "" => None,
        s => s.parse().map(Some).unwrap_or_else(|_| {
            errors.push(FieldError::new("status", format!("`{s}` is not a status")));
            None
        }),
    };
    let sort = match sort.as_str() {
        "" => Default::default(),
        s => s.parse().unwrap_or_else(|_| {
            errors.push(FieldError::new(
                "sort",
                format!("`{s}` is not a way to sort"),
            ));
            Default::default()
        }),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid {
            errors,
            input: None,
        });
    }
    let query = WorkflowQuery {
        status,
        trigger_event: Some(trigger).filter(|t| !t.is_empty()),
        text: Some(q).filter(|t| !t.trim().is_empty()),
        sort,
        limit: None,
        cursor: Some(cursor).filter(|c| !c.is_empty()),
    };
    let mut conn = crate::state::conn().await?;
    let page = switchyard::repo::workflow::find(&mut conn, &member.org.id, &query)
        .await
        .map_err(AppError::internal)?;
    Ok((member, page))
}

/// One workflow of the org, with the verbs the member may apply now.
#[server(endpoint = "get_workflow")]
pub async fn get_workflow(org: String, id: String) -> Result<WorkflowView, AppError> {
    let member = crate::state::member(&org).await?;
    let id = switchyard::WorkflowId::parse(&id).ok_or(AppError::NotFound)?;
    let mut conn = crate::state::conn().await?;
    let workflow = switchyard::repo::workflow::get(&mut conn, &member.org.id, &id)
        .await
        .map_err(switchyard::DomainError::from)?;
    let events = switchyard::repo::event::for_subject(&mut conn, &member.org.id, id.as_str(), 20)
        .await
        .map_err(AppError::internal)?;
    let (runs, _) = switchyard::run_view::history(&mut conn, &member.org.id, &id, None, None, 5)
        .await
        .map_err(AppError::internal)?;
    let verbs = if member.role.can_edit() {
        workflow.status.allowed_verbs()
    } else {
        Vec::new()
    };
    Ok(WorkflowView {
        workflow,
        member,
        verbs,
        events,
        runs,
    })
}

/// Saves the workflow form (create without `id`, update with it), or applies one of the
/// step editor's buttons (`op`) and hands the edited form back unsaved.
#[server(endpoint = "save_workflow")]
#[allow(clippy::too_many_arguments)]
pub async fn save_workflow(
    org: String,
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(default)] op: String,
    #[server(default)] name: String,
    #[server(default)] description: String,
    #[server(default)] trigger_event: String,
    #[server(default)] error_handling: String,
    #[server(default)] timeout_ms: String,
    #[server(default)] retry: RetryInput,
    #[server(default)] steps: Vec<StepInput>,
) -> Result<(), AppError> {
    use crate::form_ops::FormOp;
    use switchyard::{DomainError, verbs};
    let member = crate::state::member(&org).await?;
    let mut input = switchyard::workflow::WorkflowInput {
        name,
        description,
        trigger_event,
        steps,
        error_handling,
        timeout_ms,
        retry,
    };
    let op = FormOp::parse(&op);
    if op != FormOp::Save {
        op.apply(&mut input);
        return Err(AppError::Draft {
            input: Box::new(input),
        });
    }
    let state = crate::state::state()?;
    let mut conn = crate::state::conn().await?;
    let saved = if id.is_empty() {
        verbs::create(&mut conn, &state.hooks, &member, &input).await
    } else {
        let id = switchyard::WorkflowId::parse(&id).ok_or(AppError::NotFound)?;
        let Ok(version) = version.parse::<i32>() else {
            return Err(AppError::Invalid {
                errors: vec![switchyard::workflow::FieldError::new(
                    "version",
                    "The form lost track of the version: reload and try again",
                )],
                input: Some(Box::new(input)),
            });
        };
        verbs::update(&mut conn, &state.hooks, &member, &id, version, &input).await
    };
    match saved {
        Ok(workflow) => {
            leptos_axum::redirect(&format!("/o/{org}/workflows/{}", workflow.id));
            Ok(())
        }
        Err(DomainError::Conflict { .. }) => {
            let id = switchyard::WorkflowId::parse(&id).ok_or(AppError::NotFound)?;
            let current = switchyard::repo::workflow::get(&mut conn, &member.org.id, &id)
                .await
                .map_err(AppError::internal)?;
            Err(AppError::Conflict {
                current: Box::new(current),
                input: Box::new(input),
            })
        }
        Err(err) => Err(AppError::from_domain(err, Some(&input))),
    }
}

/// Applies a verb from the workflow page's buttons.
#[server(endpoint = "apply_verb")]
pub async fn apply_verb(org: String, id: String, verb: String) -> Result<(), AppError> {
    use switchyard::workflow::FieldError;
    let member = crate::state::member(&org).await?;
    let id = switchyard::WorkflowId::parse(&id).ok_or(AppError::NotFound)?;
    let verb: Verb = verb.parse().map_err(|_| AppError::Invalid {
        errors: vec![FieldError::new("verb", format!("`{verb}` is not a verb"))],
        input: None,
    })?;
    let state = crate::state::state()?;
    let mut conn = crate::state::conn().await?;
    switchyard::verbs::apply(&mut conn, &state.hooks, &member, &id, verb).await?;
    if verb == Verb::Delete {
        leptos_axum::redirect(&format!("/o/{org}/workflows"));
    }
    Ok(())
}

/// Runs the workflow by hand with `payload` (JSON text, empty for none) as the event's data,
/// then shows the run.
#[server(endpoint = "trigger_workflow")]
pub async fn trigger_workflow(
    org: String,
    id: String,
    #[server(default)] payload: String,
) -> Result<(), AppError> {
    use switchyard::workflow::FieldError;
    let member = crate::state::member(&org).await?;
    let id = switchyard::WorkflowId::parse(&id).ok_or(AppError::NotFound)?;
    let data: serde_json::Value = match payload.trim() {
        "" => serde_json::Value::Null,
        text => serde_json::from_str(text).map_err(|e| AppError::Invalid {
            errors: vec![FieldError::new(
                "payload",
                format!("The sample data is not valid JSON: {e}"),
            )],
            input: None,
        })?,
    };
    let state = crate::state::state()?;
    let mut conn = crate::state::conn().await?;
    let (_, run) = switchyard::verbs::trigger(&mut conn, &state.hooks, &member, &id, data).await?;
    leptos_axum::redirect(&format!("/o/{org}/runs/{run}"));
    Ok(())
}
