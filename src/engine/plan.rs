//! What a run needs to know before a step: its workflow version's fields, its event, the
//! outputs of the steps done so far, and the context expressions are evaluated against.

use crate::db::Conn;
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::mapping;
use crate::repo;
use crate::repo::run::RunRow;
use crate::workflow::WorkflowFields;
use serde_json::{Value, json};

/// A run's workflow version and the context its expressions read.
pub(crate) struct Plan {
    pub fields: WorkflowFields,
    /// The names a mapping may start with, for this trigger event.
    pub roots: Vec<String>,
    pub context: Value,
    /// The event came from the trigger verb, which recorded `Workflow.triggered` itself.
    pub manual: bool,
    /// When working out expressions must stop (a preview's time budget); none for runs.
    pub deadline: Option<std::time::Instant>,
}

pub(super) async fn load(conn: &mut Conn, run: &RunRow) -> DomainResult<Plan> {
    let inputs = repo::run::plan_inputs(conn, run).await?;
    let fields: WorkflowFields = serde_json::from_value(inputs.snapshot).map_err(|e| {
        DomainError::caused_by(
            format!(
                "version {} of the workflow cannot be read",
                run.workflow_version
            ),
            e,
        )
    })?;
    let outputs = if run.next_step > 0 {
        repo::run_step::outputs(conn, &run.id).await?
    } else {
        Vec::new()
    };
    let event = EventContext {
        id: run.event_id.as_str(),
        event_type: &inputs.event_type,
        data: inputs.event_data,
        created_at: inputs.event_created_at,
    };
    let workflow = (run.workflow_id.as_str(), run.workflow_version);
    let org = (run.org_id.as_str(), inputs.org_name.as_str());
    let outputs = outputs.into_iter().map(|o| o.unwrap_or(Value::Null));
    let mut plan = build(fields, &event, workflow, org, outputs.collect());
    plan.manual = inputs.event_source == EventSource::Manual;
    Ok(plan)
}

/// The event a plan's context is built from.
pub struct EventContext<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub data: Value,
    pub created_at: time::OffsetDateTime,
}

/// The plan of `fields` for `event`, with the outputs of the steps done so far: what a run
/// reads, and what a preview reads without a run.
pub(crate) fn build(
    fields: WorkflowFields,
    event: &EventContext<'_>,
    (workflow, version): (&str, i32),
    (org, org_name): (&str, &str),
    outputs: Vec<Value>,
) -> Plan {
    let stamp = event
        .created_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut context = json!({
        "event": { "id": event.id, "type": event.event_type, "data": event.data, "createdAt": stamp },
        "step": outputs,
        "workflow": { "id": workflow, "name": fields.name, "version": version },
        "org": { "id": org, "name": org_name },
    });
    let root = mapping::root_for_trigger(&fields.trigger_event);
    if !root.is_empty() && context.get(&root).is_none() {
        context[root] = context["event"]["data"].clone();
    }
    Plan {
        roots: mapping::known_roots(&fields.trigger_event),
        fields,
        context,
        manual: false,
        deadline: None,
    }
}
