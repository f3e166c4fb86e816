//! The dry run: what each step of a workflow would do with sample data, worked out by the
//! engine's preview without running or writing anything, for the saved workflow (its page, REST,
//! MCP) or for the edit form as typed (Editors only).

use crate::db::Conn;
use crate::entity::Actor;
use crate::error::{DomainError, DomainResult};
use crate::id::Generate;
use crate::id::WorkflowId;
pub use crate::preview::DryRun;
use crate::repo;
use crate::workflow::WorkflowFields;

/// The dry run of `fields` (the saved version `version` of `workflow`, or an unsaved form)
/// for `sample_text`, sample data typed as JSON (a field error when it is not).
async fn dry_run(
    conn: &mut Conn,
    actor: &impl Actor,
    (workflow, version): (&WorkflowId, i32),
    fields: WorkflowFields,
    sample_text: &str,
) -> DomainResult<DryRun> {
    crate::access::read(actor)?;
    let sample = crate::payload::from_text("sample", sample_text)?;
    let event_type = fields.trigger_event.clone();
    let event = super::EventContext {
        id: "evt_preview",
        event_type: &event_type,
        data: sample.clone(),
        created_at: time::OffsetDateTime::now_utc(),
    };
    let steps = super::preview(
        conn,
        actor.org(),
        (workflow, version),
        fields,
        &event,
        (0, &[]),
    )
    .await?;
    Ok(DryRun { sample, steps })
}

/// The dry run of the saved workflow `id` with `sample_text`. Any member may read it.
pub async fn dry_run_saved(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &WorkflowId,
    sample_text: &str,
) -> DomainResult<DryRun> {
    let workflow = repo::workflow::get(conn, &actor.org().id, id).await?;
    let fields = workflow.fields();
    dry_run(
        conn,
        actor,
        (&workflow.id, workflow.version),
        fields,
        sample_text,
    )
    .await
}

/// `dry_run_input` as the edit form sends it: `id` empty for a workflow not saved yet.
pub async fn dry_run_form(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &str,
    input: &crate::workflow::WorkflowInput,
    sample_text: &str,
) -> DomainResult<DryRun> {
    let id = match id {
        "" => None,
        id => Some(WorkflowId::from_path(id)?),
    };
    dry_run_input(conn, actor, id.as_ref(), input, sample_text).await
}

/// The dry run of the workflow form as typed (not saved) with `sample_text`: the form's own
/// field errors first, as saving would give them. Steps nobody saved are an editor's to try:
/// Viewers may not (the preview works out whatever expressions it is given).
pub async fn dry_run_input(
    conn: &mut Conn,
    actor: &impl Actor,
    id: Option<&WorkflowId>,
    input: &crate::workflow::WorkflowInput,
    sample_text: &str,
) -> DomainResult<DryRun> {
    crate::access::edit(actor)?;
    let fields = input.validate().map_err(DomainError::Validation)?;
    let (workflow, version) = match id {
        Some(id) => {
            let saved = repo::workflow::get(conn, &actor.org().id, id).await?;
            (saved.id, saved.version + 1)
        }
        None => (WorkflowId::generate(), 1),
    };
    dry_run(conn, actor, (&workflow, version), fields, sample_text).await
}
