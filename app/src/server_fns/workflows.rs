//! Listing, reading, saving workflows and applying their verbs.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard_model::editor::EditorChoices;
use switchyard_model::list_query::{Page, WorkflowFilters};
use switchyard_model::read_model::workflow::Overview;
use switchyard_model::sample::SampleField;
use switchyard_model::workflow::WorkflowInput;
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
    #[server(flatten)] filters: WorkflowFilters,
) -> Result<(Member, Page<ListedWorkflow>), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = switchyard::list_query::WorkflowQuery::from_filters(&filters)?;
    let page = switchyard::read_model::workflow::list(&mut conn, &member, &query).await?;
    Ok((member, page.map(ListedWorkflow::from)))
}

/// One workflow of the org, with the verbs the member may apply now.
#[server(endpoint = "get_workflow")]
pub async fn get_workflow(org: String, id: String) -> Result<WorkflowView, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let overview = switchyard::read_model::workflow::overview(&mut conn, &member, &id).await?;
    Ok(WorkflowView { member, overview })
}

/// The workflow form while it is being edited, not saved: what it holds after one of the step
/// editor's buttons or a preview, kept once in the session for the form to show again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Editing {
    pub input: WorkflowInput,
    /// The preview's sample data, as typed.
    pub sample: String,
    /// What each step would do with `sample`, after a preview.
    pub dry: Option<switchyard_model::preview::DryRun>,
}

impl Editing {
    /// The form after a preview, with what each step would do.
    pub fn previewed(
        input: WorkflowInput,
        sample: String,
        dry: switchyard_model::preview::DryRun,
    ) -> Self {
        Editing {
            input,
            sample,
            dry: Some(dry),
        }
    }

    /// The form after one of the step editor's buttons (`op`) changed it.
    pub fn edited(mut input: WorkflowInput, op: &str, sample: String) -> Self {
        crate::form_ops::FormOp::parse(op).apply(&mut input);
        Editing {
            input,
            sample,
            dry: None,
        }
    }
}

/// The session slot of the form of workflow `id` (empty: a new one) in `org`.
#[cfg(feature = "ssr")]
fn editing_slot(org: &str, id: &str) -> String {
    format!("editing:{org}:{id}")
}

/// Saves the workflow form: creates a workflow without `id`, updates the one at `version`
/// with it; then shows it.
#[server(endpoint = "save_workflow")]
pub async fn save_workflow(
    org: String,
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(flatten)] form: WorkflowInput,
    #[server(default)] fixing: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let hooks = crate::state::state()?.hooks;
    let saved = switchyard::verbs::save_form(&mut conn, &hooks, &member, &id, &version, &form)
        .await
        .map_err(|e| AppError::from_domain(e, Some(&form)))?;
    // Saved from a failed run: back to it, to retry it and the runs that failed this way.
    match switchyard_model::id::RunId::parse(&fixing) {
        Some(run) => leptos_axum::redirect(&format!("/o/{org}/runs/{run}?fixed=1")),
        None => leptos_axum::redirect(&format!("/o/{org}/workflows/{}", saved.id)),
    }
    Ok(())
}

/// Works the form out as typed with `sample` as the trigger event's data, saving and running
/// nothing, and keeps it with its preview for the form to show (`editing_workflow`).
#[server(endpoint = "preview_workflow")]
pub async fn preview_workflow(
    org: String,
    #[server(default)] id: String,
    #[server(flatten)] form: WorkflowInput,
    #[server(default)] sample: String,
    #[server(default)] sample_field: Vec<SampleField>,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let sample = switchyard_model::sample::posted(&sample, &sample_field);
    let dry = switchyard::engine::dry_run_form(&mut conn, &member, &id, &form, &sample)
        .await
        .map_err(|e| AppError::from_domain(e, Some(&form)).keeping(&[("sample", &sample)]))?;
    let editing = Editing::previewed(form, sample, dry);
    crate::state::keep_once(&editing_slot(&org, &id), editing).await
}

/// Applies one of the step editor's buttons (`op`: add, remove or move a step, add or remove
/// a mapping row) to the form as typed, and keeps it unsaved for the form to show.
#[server(endpoint = "edit_workflow_form")]
pub async fn edit_workflow_form(
    org: String,
    #[server(default)] id: String,
    #[server(default)] op: String,
    #[server(flatten)] form: WorkflowInput,
    #[server(default)] sample: String,
    #[server(default)] sample_field: Vec<SampleField>,
) -> Result<(), AppError> {
    crate::state::member(&org).await?;
    let sample = switchyard_model::sample::posted(&sample, &sample_field);
    let editing = Editing::edited(form, &op, sample);
    let step = crate::form_ops::FormOp::parse(&op).step_after(editing.input.steps.len());
    crate::state::keep_once(&editing_slot(&org, &id), editing).await?;
    // Without JavaScript the browser comes back to the form: at the step the button changed.
    if let Some(step) = step {
        crate::state::back_to_form(&org, &format!("#step-{step}"));
    }
    Ok(())
}

/// The workflow form as `preview_workflow` or `edit_workflow_form` kept it, taken out of the
/// session (shown once), with what the editor offers to pick from for its trigger.
#[server(endpoint = "editing_workflow")]
pub async fn editing_workflow(
    org: String,
    #[server(default)] id: String,
) -> Result<(Option<Editing>, EditorChoices), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let kept: Option<Editing> = crate::state::take_once(&editing_slot(&org, &id)).await?;
    let id = (!id.is_empty())
        .then(|| switchyard_model::WorkflowId::from_path(&id))
        .transpose()?;
    let typed = kept.as_ref().map(|k| k.input.trigger_event.as_str());
    let choices =
        switchyard::read_model::editor::choices(&mut conn, &member, id.as_ref(), typed).await?;
    Ok((kept, choices))
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
#[server(endpoint = "trigger_workflow")]
pub async fn trigger_workflow(
    org: String,
    id: String,
    #[server(default)] payload: String,
    #[server(default)] payload_field: Vec<SampleField>,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let payload = switchyard_model::sample::posted(&payload, &payload_field);
    let hooks = crate::state::state()?.hooks;
    let (_, run) =
        switchyard::verbs::trigger_with_text(&mut conn, &hooks, &member, &id, &payload).await?;
    leptos_axum::redirect(&format!("/o/{org}/runs/{run}"));
    Ok(())
}

/// Shows what the workflow would do with `payload` as its sample data, running nothing: its
/// page, with the sample in the address (the page works the preview out again from there).
#[server(endpoint = "preview_trigger")]
pub async fn preview_trigger(
    org: String,
    id: String,
    #[server(default)] payload: String,
    #[server(default)] payload_field: Vec<SampleField>,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::WorkflowId::from_path(&id)?;
    let payload = switchyard_model::sample::posted(&payload, &payload_field);
    switchyard::engine::dry_run_saved(&mut conn, &member, &id, &payload).await?;
    let sample = crate::urlencode(&payload);
    if sample.len() > SAMPLE_IN_ADDRESS_MAX {
        return Err(AppError::sample_too_long());
    }
    leptos_axum::redirect(&format!("/o/{org}/workflows/{id}?sample={sample}#preview"));
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
    let page = switchyard_model::list_query::VersionPair::page(&a, &b, &before)?;
    let read = switchyard::read_model::versions::versions;
    let versions = read(&mut conn, &member, &id, page.compare, page.before).await?;
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
