//! Runs and events as the REST API and the MCP tools show them: the spec's style of names
//! (camelCase, `$id`, `$type`), times in RFC 3339, steps counted from 1 where a person reads
//! them (`failedStep`) and from 0 where an expression does (`step.0.$id`, a step's `index`).

use crate::entity::{Event, RunDetail, RunSummary};
use serde_json::{Value, json};

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A run as lists show it.
pub fn run(r: &RunSummary) -> Value {
    json!({
        "$id": r.id, "$type": "Run",
        "workflow": { "$id": r.workflow, "$type": "Workflow", "name": r.workflow_name },
        "workflowVersion": r.workflow_version,
        "status": r.status,
        "eventType": r.event_type,
        "queuedAt": rfc3339(r.queued_at),
        "startedAt": r.started_at.map(rfc3339),
        "finishedAt": r.finished_at.map(rfc3339),
        "durationMs": r.duration_ms(),
        "error": r.error,
        "failedStep": r.failed_step.map(|i| i + 1),
        "notice": r.notice,
    })
}

/// A run with its event and every step of its workflow version.
pub fn run_detail(d: &RunDetail) -> Value {
    let mut resource = run(&d.run);
    let steps: Vec<Value> = d
        .steps
        .iter()
        .map(|s| {
            json!({
                "index": s.index, "name": s.label, "action": s.action, "status": s.status,
                "input": s.input, "output": s.output, "error": s.error, "attempts": s.attempts,
                "finishedAt": s.finished_at.map(rfc3339), "reused": s.reused,
            })
        })
        .collect();
    resource["event"] = json!({ "$id": d.event_id, "$type": "Event", "data": d.event_data });
    resource["steps"] = json!(steps);
    resource["retryOf"] = match &d.retry_of {
        Some((id, from, by)) => json!({
            "$id": id, "fromStep": from + 1, "by": by,
        }),
        None => Value::Null,
    };
    resource["retries"] = json!(d.retries);
    resource["cancelRequestedBy"] = json!(d.cancel_requested_by);
    resource
}

/// An event as the event log keeps it.
pub fn event(e: &Event) -> Value {
    json!({
        "$id": e.id, "$type": "Event", "type": e.event_type, "data": e.data,
        "source": e.source.as_str(), "actor": e.actor, "note": e.note,
        "$createdAt": rfc3339(e.created_at),
    })
}
