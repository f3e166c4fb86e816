//! Reading runs back: a workflow's history (keyset pages that stay fast with many runs) and one
//! run step by step. Always inside one organization.

use crate::db::Conn;
use crate::entity::{RunDetail, RunStepView, RunSummary};
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::run::RunStatus;
use crate::schema::{events, run_steps, runs, workflow_versions, workflows};
use crate::workflow::steps_from_json;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;
use serde_json::Value;
use time::OffsetDateTime;

pub const PAGE: i64 = 25;

type SummaryRow = (
    RunId,
    WorkflowId,
    String,
    i32,
    String,
    String,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<String>,
    Option<i32>,
);

/// The columns a `RunSummary` is read from, in `SummaryRow`'s order.
#[diesel::dsl::auto_type]
fn summary_columns() -> _ {
    (
        runs::id,
        runs::workflow_id,
        workflows::name,
        runs::workflow_version,
        runs::status,
        events::type_,
        runs::queued_at,
        runs::started_at,
        runs::finished_at,
        runs::error,
        runs::failed_step,
    )
}

fn to_summary(r: SummaryRow) -> RunSummary {
    RunSummary {
        id: r.0,
        workflow: r.1,
        workflow_name: r.2,
        workflow_version: r.3,
        status: r.4.parse().unwrap_or(RunStatus::Queued),
        event_type: r.5,
        queued_at: r.6,
        started_at: r.7,
        finished_at: r.8,
        error: r.9,
        failed_step: r.10,
    }
}

/// A workflow's runs, newest first, older than run `before` when given; with the next cursor.
pub async fn history(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    status: Option<RunStatus>,
    before: Option<&RunId>,
    limit: i64,
) -> QueryResult<(Vec<RunSummary>, Option<RunId>)> {
    let mut q = runs::table
        .inner_join(workflows::table.on(workflows::id.eq(runs::workflow_id)))
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::org_id.eq(org))
        .filter(runs::workflow_id.eq(workflow))
        .into_boxed();
    if let Some(status) = status {
        q = q.filter(runs::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        // Keyset: strictly after the given run in (queued_at, id) descending order.
        q = q.filter(
            sql::<Bool>(
                "(runs.queued_at, runs.id) < (SELECT r.queued_at, r.id FROM runs r WHERE r.id = ",
            )
            .bind::<Text, _>(before.as_str())
            .sql(" AND r.org_id = ")
            .bind::<Text, _>(org.as_str())
            .sql(")"),
        );
    }
    let mut rows: Vec<SummaryRow> = q
        .order((runs::queued_at.desc(), runs::id.desc()))
        .limit(limit + 1)
        .select(summary_columns())
        .load(conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let runs: Vec<RunSummary> = rows.into_iter().map(to_summary).collect();
    let next = more.then(|| runs.last().map(|r| r.id.clone())).flatten();
    Ok((runs, next))
}

/// One run with every step of its workflow version: done ones as recorded, the rest Pending.
pub async fn detail(conn: &mut Conn, org: &OrgId, id: &RunId) -> QueryResult<RunDetail> {
    let (row, event_id, event_data): (SummaryRow, EventId, Value) = runs::table
        .inner_join(workflows::table.on(workflows::id.eq(runs::workflow_id)))
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::id.eq(id))
        .filter(runs::org_id.eq(org))
        .select((summary_columns(), events::id, events::data))
        .first(conn)
        .await?;
    let run = to_summary(row);
    let snapshot: Option<Value> = workflow_versions::table
        .find((&run.workflow, run.workflow_version))
        .select(workflow_versions::snapshot)
        .first(conn)
        .await
        .optional()?;
    let planned = snapshot
        .as_ref()
        .and_then(|s| s.get("steps").and_then(Value::as_str))
        .and_then(|text| steps_from_json(text).ok())
        .unwrap_or_default();
    type StepRow = (
        i32,
        String,
        String,
        Option<Value>,
        Option<Value>,
        Option<String>,
        i32,
        Option<OffsetDateTime>,
    );
    let done: Vec<StepRow> = run_steps::table
        .filter(run_steps::run_id.eq(id))
        .filter(run_steps::org_id.eq(org))
        .order(run_steps::idx.asc())
        .select((
            run_steps::idx,
            run_steps::action,
            run_steps::status,
            run_steps::input,
            run_steps::output,
            run_steps::error,
            run_steps::attempts,
            run_steps::finished_at,
        ))
        .load(conn)
        .await?;
    let steps = planned
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let action = step.action.clone();
            let label = match step.name.trim() {
                "" => action.clone(),
                name => name.to_owned(),
            };
            match done.iter().find(|d| d.0 == i as i32) {
                Some(d) => RunStepView {
                    index: d.0,
                    label,
                    action: d.1.clone(),
                    status: d.2.clone(),
                    input: d.3.clone(),
                    output: d.4.clone(),
                    error: d.5.clone(),
                    attempts: d.6,
                    finished_at: d.7,
                },
                None => RunStepView {
                    index: i as i32,
                    label,
                    action,
                    status: "Pending".into(),
                    input: None,
                    output: None,
                    error: None,
                    attempts: 0,
                    finished_at: None,
                },
            }
        })
        .collect();
    Ok(RunDetail {
        run,
        event_id,
        event_data,
        steps,
    })
}
