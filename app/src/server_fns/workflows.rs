//! Listing, reading, saving workflows and applying their verbs.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard_model::list_query::Page;
use switchyard_model::read_model::workflow::Overview;
use switchyard_model::workflow::{RetryInput, StepInput};
use switchyard_model::{Member, Workflow};

/// A workflow's overview, with the member looking at it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowView {
    pub member: Member,
    pub overview: Overview,
}

/// A workflow as the list shows it: its row, not its definition, so that the list's server
/// function reads eight fields a workflow instead of its every step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListedWorkflow {
    pub id: switchyard_model::WorkflowId,
    pub name: String,
    pub trigger_event: String,
    pub status: switchyard_model::Status,
    pub version: i32,
    pub last_run_at: Option<time::OffsetDateTime>,
    pub run_count: i64,
    pub success_rate: Option<f64>,
}

impl From<Workflow> for ListedWorkflow {
    fn from(w: Workflow) -> Self {
        ListedWorkflow {
            success_rate: w.success_rate(),
            id: w.id,
            name: w.name,
            trigger_event: w.trigger_event,
            status: w.status,
            version: w.version,
            last_run_at: w.last_run_at,
            run_count: w.run_count,
        }
    }
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
) -> Result<(Member, Page<ListedWorkflow>), AppError> {
    use switchyard_model::list_query::WorkflowQuery;
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = WorkflowQuery::parse(&[
        ("status", &status),
        ("trigger", &trigger),
        ("q", &q),
        ("sort", &sort),
        ("cursor", &cursor),
    ])?;
    let page = switchyard::read_model::workflow::list(&mut conn, &member, &query).await?;
    let page = Page {
        results: page.results.into_iter().map(ListedWorkflow::from).collect(),
        total: page.total,
        has_more: page.has_more,
        cursor: page.cursor,
        previous: page.previous,
        offset: page.offset,
    };
    Ok((member, page))
}

/// One workflow of the org, with the verbs the member may apply now.
#[server(endpoint = "get_workflow")]
pub async fn get_workflow(org: String, id: String) -> Result<WorkflowView, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let overview = switchyard::read_model::workflow::overview(&mut conn, &member, &id).await?;
    Ok(WorkflowView { member, overview })
}

/// Saves the workflow form (create without `id`, update with it), or applies one of the
/// step editor's buttons (`op`) and hands the edited form back unsaved.
#[server(endpoint = "save_workflow")]
// `allow`, not `expect`: the macro copies the attribute onto code where it may not fire.
#[allow(clippy::too_many_arguments, reason = "one argument per form field")]
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
    #[server(default)] sample: String,
) -> Result<(), AppError> {
    use crate::form_ops::FormOp;
    let (member, mut conn) = crate::state::member(&org).await?;
    let mut input = switchyard_model::workflow::WorkflowInput {
        name,
        description,
        trigger_event,
        steps,
        error_handling,
        timeout_ms,
        retry,
    };
    if op == "preview" {
        // The form as typed, worked out with the sample data; nothing saved or run.
        let existing = match id.as_str() {
            "" => None,
            id => Some(switchyard_model::WorkflowId::from_path(id)?),
        };
        let dry = switchyard::engine::dry_run_input(
            &mut conn,
            &member,
            existing.as_ref(),
            &input,
            &sample,
        )
        .await
        .map_err(|e| AppError::from_domain(e, Some(&input)))?;
        return Err(AppError::Previewed {
            input: Box::new(input),
            sample,
            dry: Box::new(dry),
        });
    }
    let op = FormOp::parse(&op);
    if op != FormOp::Save {
        op.apply(&mut input);
        return Err(AppError::Draft {
            input: Box::new(input),
        });
    }
    let existing = match id.as_str() {
        "" => None,
        id => Some((
            switchyard_model::WorkflowId::from_path(id)?,
            version_of(&version, &input)?,
        )),
    };
    let hooks = crate::state::state()?.hooks;
    let existing = existing.as_ref().map(|(id, version)| (id, *version));
    match switchyard::verbs::save(&mut conn, &hooks, &member, existing, &input).await {
        Ok(workflow) => {
            leptos_axum::redirect(&format!("/o/{org}/workflows/{}", workflow.id));
            Ok(())
        }
        Err(err) => Err(AppError::from_domain(err, Some(&input))),
    }
}

/// The version the edit form was loaded at.
#[cfg(feature = "ssr")]
fn version_of(
    version: &str,
    input: &switchyard_model::workflow::WorkflowInput,
) -> Result<i32, AppError> {
    version.parse().map_err(|_| AppError::Invalid {
        kept: Vec::new(),
        errors: vec![switchyard_model::workflow::FieldError::new(
            "version",
            "The form lost track of the version: reload and try again",
        )],
        input: Some(Box::new(input.clone())),
    })
}

/// Applies a verb from the workflow page's buttons.
#[server(endpoint = "apply_verb")]
pub async fn apply_verb(org: String, id: String, verb: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let hooks = crate::state::state()?.hooks;
    let applied = switchyard::verbs::apply_named(&mut conn, &hooks, &member, &id, &verb).await?;
    if applied.deleted_at.is_some() {
        leptos_axum::redirect(&format!("/o/{org}/workflows"));
    }
    Ok(())
}

/// Runs the workflow by hand with `payload` (JSON text, empty for none) as the event's data,
/// then shows the run.
/// `op=preview` shows the dry run with this sample data instead (the page's address carries it).
#[server(endpoint = "trigger_workflow")]
pub async fn trigger_workflow(
    org: String,
    id: String,
    #[server(default)] payload: String,
    #[server(default)] op: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    if op == "preview" {
        switchyard::engine::dry_run_saved(&mut conn, &member, &id, &payload).await?;
        let sample = crate::urlencode(&payload);
        if sample.len() > SAMPLE_IN_ADDRESS_MAX {
            return Err(switchyard_model::DomainError::field(
                "payload",
                "This sample is too long to preview here: shorten it, or trigger the workflow to see it run",
            )
            .into());
        }
        leptos_axum::redirect(&format!("/o/{org}/workflows/{id}?sample={sample}#preview"));
        return Ok(());
    }
    let hooks = crate::state::state()?.hooks;
    let (_, run) =
        switchyard::verbs::trigger_with_text(&mut conn, &hooks, &member, &id, &payload).await?;
    leptos_axum::redirect(&format!("/o/{org}/runs/{run}"));
    Ok(())
}

/// The longest sample data a preview carries in the page's address, encoded.
pub const SAMPLE_IN_ADDRESS_MAX: usize = 6_000;

/// What each step of the saved workflow would do with `sample` (JSON text); writes nothing.
#[server(endpoint = "dry_run_workflow")]
pub async fn dry_run_workflow(
    org: String,
    id: String,
    #[server(default)] sample: String,
) -> Result<switchyard_model::preview::DryRun, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    Ok(switchyard::engine::dry_run_saved(&mut conn, &member, &id, &sample).await?)
}

/// A page of a workflow's versions (older than `before`, when given), and two of them side by
/// side when `a` and `b` name them.
#[server(endpoint = "get_versions")]
pub async fn get_versions(
    org: String,
    id: String,
    #[server(default)] a: String,
    #[server(default)] b: String,
    #[server(default)] before: String,
) -> Result<(Member, switchyard_model::read_model::versions::Versions), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let compare = switchyard_model::list_query::VersionPair::parse(&[("a", &a), ("b", &b)])?;
    // A page that is not a number starts at the newest, as an edited address should.
    let before = before.trim().parse::<i32>().ok();
    let versions =
        switchyard::read_model::versions::versions(&mut conn, &member, &id, compare, before)
            .await?;
    Ok((member, versions))
}

/// Restores an older version as a new one, then shows the workflow.
#[server(endpoint = "restore_version")]
pub async fn restore_version(
    org: String,
    id: String,
    version: String,
    based_on: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let (version, based_on) =
        switchyard_model::list_query::VersionPair::restore(&version, &based_on)?;
    let hooks = crate::state::state()?.hooks;
    switchyard::verbs::restore(&mut conn, &hooks, &member, &id, based_on, version).await?;
    leptos_axum::redirect(&format!("/o/{org}/workflows/{id}"));
    Ok(())
}
