//! Workflow rows: always read and written inside one organization, deleted rows hidden. The
//! list's pages are in `list`, the saved versions in `versions`, and what runs do to their
//! workflow (and how its counters are read) in `tally`.

mod list;
pub mod search;
mod tally;
mod versions;

pub use list::find;
pub use tally::{
    AlertCheck, FAILURE_COUNT_SQL, Folded, LAST_RUN_AT_SQL, RUN_COUNT_SQL, SUCCESS_COUNT_SQL,
    add_folded, alerted, failure_count, health_if_alerting, last_run_at, run_count, run_ended,
    run_started, success_count,
};
pub use versions::{
    VersionInfo, fields_at, fields_at_many, insert_version, version_history, versions,
};

use crate::db::Conn;
use crate::entity::Workflow;
use crate::id::{OrgId, UserId, WorkflowId};
use crate::schema::workflows;
use crate::sql_text::{Sql, Value};
use crate::status::Status;
use crate::store_error::QueryResult;
use crate::workflow::WorkflowFields;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;
pub use tally::WorkflowRow;
use time::OffsetDateTime;

/// The row of workflow `id` in `org`, unless deleted: every read and change by id goes through it.
type Live<'a> = diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::Eq<workflows::id, Value<&'a WorkflowId>>,
        diesel::dsl::Eq<workflows::org_id, Value<&'a OrgId>>,
    >,
    diesel::dsl::IsNull<workflows::deleted_at>,
>;

fn live<'a>(org: &'a OrgId, id: &'a WorkflowId) -> Live<'a> {
    workflows::id
        .eq(id.sql())
        .and(workflows::org_id.eq(org.sql()))
        .and(workflows::deleted_at.is_null())
}

/// The org's live workflow, or `NotFound` (also for another org's id).
pub async fn get(conn: &mut Conn, org: &OrgId, id: &WorkflowId) -> QueryResult<Workflow> {
    workflows::table
        .filter(live(org, id))
        .select(WorkflowRow::as_select())
        .first::<WorkflowRow>(conn)
        .await
        .map(Workflow::from)
        .map_err(Into::into)
}

/// Like `get`, but takes a row lock for the rest of the transaction.
pub async fn get_for_update(
    conn: &mut Conn,
    org: &OrgId,
    id: &WorkflowId,
) -> QueryResult<Workflow> {
    workflows::table
        .filter(live(org, id))
        .select(WorkflowRow::as_select())
        .for_update()
        .first::<WorkflowRow>(conn)
        .await
        .map(Workflow::from)
        .map_err(Into::into)
}

pub async fn insert(
    conn: &mut Conn,
    org: &OrgId,
    id: &WorkflowId,
    fields: &WorkflowFields,
    by: Option<&UserId>,
) -> QueryResult<Workflow> {
    diesel::insert_into(workflows::table)
        .values((
            workflows::id.eq(id.sql()),
            workflows::org_id.eq(org.sql()),
            workflows::name.eq(&fields.name),
            workflows::description.eq(&fields.description),
            workflows::trigger_event.eq(&fields.trigger_event),
            workflows::steps.eq(fields.steps.sql()),
            workflows::retry_policy.eq(&fields.retry_policy),
            workflows::error_handling.eq(fields.error_handling.sql()),
            workflows::timeout_ms.eq(fields.timeout_ms),
            workflows::status.eq(Status::Draft.sql()),
            workflows::created_by.eq(by),
        ))
        .returning(WorkflowRow::as_returning())
        .get_result::<WorkflowRow>(conn)
        .await
        .map(Workflow::from)
        .map_err(Into::into)
}

/// Writes new fields if the row is still at `version`; `None` when it is not (someone else saved).
pub async fn update_fields(
    conn: &mut Conn,
    org: &OrgId,
    id: &WorkflowId,
    version: i32,
    fields: &WorkflowFields,
) -> QueryResult<Option<Workflow>> {
    diesel::update(workflows::table)
        .filter(live(org, id))
        .filter(workflows::version.eq(version))
        .set((
            workflows::name.eq(&fields.name),
            workflows::description.eq(&fields.description),
            workflows::trigger_event.eq(&fields.trigger_event),
            workflows::steps.eq(fields.steps.sql()),
            workflows::retry_policy.eq(&fields.retry_policy),
            workflows::error_handling.eq(fields.error_handling.sql()),
            workflows::timeout_ms.eq(fields.timeout_ms),
            workflows::version.eq(version + 1),
            workflows::updated_at.eq(OffsetDateTime::now_utc()),
        ))
        .returning(WorkflowRow::as_returning())
        .get_result::<WorkflowRow>(conn)
        .await
        .optional()
        .map(|row| row.map(Workflow::from))
        .map_err(Into::into)
}

/// Moves the status from `from` to `to`; `None` when the row is no longer in `from`.
pub async fn set_status(
    conn: &mut Conn,
    org: &OrgId,
    id: &WorkflowId,
    from: Status,
    to: Status,
) -> QueryResult<Option<Workflow>> {
    diesel::update(workflows::table)
        .filter(live(org, id))
        .filter(workflows::status.eq(from.sql()))
        .set((
            workflows::status.eq(to.sql()),
            workflows::updated_at.eq(OffsetDateTime::now_utc()),
        ))
        .returning(WorkflowRow::as_returning())
        .get_result::<WorkflowRow>(conn)
        .await
        .optional()
        .map(|row| row.map(Workflow::from))
        .map_err(Into::into)
}

/// Hides the workflow from every list; its runs and events stay.
pub async fn soft_delete(
    conn: &mut Conn,
    org: &OrgId,
    id: &WorkflowId,
    from: Status,
) -> QueryResult<Option<Workflow>> {
    let now = OffsetDateTime::now_utc();
    diesel::update(workflows::table)
        .filter(live(org, id))
        .filter(workflows::status.eq(from.sql()))
        .set((workflows::deleted_at.eq(now), workflows::updated_at.eq(now)))
        .returning(WorkflowRow::as_returning())
        .get_result::<WorkflowRow>(conn)
        .await
        .optional()
        .map(|row| row.map(Workflow::from))
        .map_err(Into::into)
}

/// The live workflows of `org` triggered by `event_type`: those listening now (id and version,
/// by id) and the paused ones, which ignore it.
pub async fn listening(conn: &mut Conn, org: &OrgId, event_type: &str) -> QueryResult<Listeners> {
    let mut by_type = listening_any(conn, org, &[event_type]).await?;
    Ok(by_type.remove(event_type).unwrap_or_default())
}

/// `listening` for several event types in one query: by type, the workflows that start a run
/// (with their version) and the paused ones that ignore it, each in order of id. A type no
/// workflow listens for is not in the answer.
pub async fn listening_any(
    conn: &mut Conn,
    org: &OrgId,
    event_types: &[&str],
) -> QueryResult<HashMap<String, Listeners>> {
    let wanted: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.listens() || *s == Status::Paused)
        .collect();
    let rows: Vec<(String, WorkflowId, i32, Status)> = workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::deleted_at.is_null())
        .filter(workflows::trigger_event.eq_any(event_types))
        .filter(workflows::status.eq_any(crate::sql_text::all(&wanted)))
        .order(workflows::id.asc())
        .select((
            workflows::trigger_event,
            workflows::id,
            workflows::version,
            workflows::status,
        ))
        .load(conn)
        .await?;
    let mut by_type: HashMap<String, Listeners> = HashMap::new();
    for (event_type, id, version, status) in rows {
        let (listening, ignoring) = by_type.entry(event_type).or_default();
        if status.listens() {
            listening.push((id, version));
        } else {
            ignoring.push(id);
        }
    }
    Ok(by_type)
}

/// The workflows listening for one event type (with their version) and the paused ones.
pub type Listeners = (Vec<(WorkflowId, i32)>, Vec<WorkflowId>);

/// A workflow's name, deleted or not (for the engine's events about its runs).
pub async fn name_of(conn: &mut Conn, id: &WorkflowId) -> QueryResult<String> {
    workflows::table
        .find(id.sql())
        .select(workflows::name)
        .first(conn)
        .await
        .map_err(Into::into)
}

/// The names of `ids` that are workflows of `org` (deleted ones too), in one query; ids of
/// another organization are not in the answer.
pub async fn names_of(
    conn: &mut Conn,
    org: &OrgId,
    ids: &[WorkflowId],
) -> QueryResult<std::collections::BTreeMap<WorkflowId, String>> {
    let rows: Vec<(WorkflowId, String)> = workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::id.eq_any(crate::sql_text::all(ids)))
        .select((workflows::id, workflows::name))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The organization's live workflows, by name: what a filter offers.
pub async fn names(conn: &mut Conn, org: &OrgId) -> QueryResult<Vec<crate::entity::NamedWorkflow>> {
    let rows: Vec<(WorkflowId, String)> = workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::deleted_at.is_null())
        .order((workflows::name.asc(), workflows::id.asc()))
        .limit(1_000)
        .select((workflows::id, workflows::name))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| crate::entity::NamedWorkflow { id, name })
        .collect())
}

/// The trigger and steps of the organization's live workflows (at most `limit`, newest
/// first): what the editor offers to pick from.
pub async fn definitions(
    conn: &mut Conn,
    org: &OrgId,
    limit: i64,
) -> QueryResult<Vec<(String, crate::definition::Steps)>> {
    workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::deleted_at.is_null())
        .order(workflows::updated_at.desc())
        .limit(limit)
        .select((workflows::trigger_event, workflows::steps))
        .load(conn)
        .await
        .map_err(Into::into)
}

/// The organization's workflows with an HTTP step, by id and name with their steps: where
/// secrets are used.
pub async fn calling_out(
    conn: &mut Conn,
    org: &OrgId,
) -> QueryResult<Vec<(crate::id::WorkflowId, String, crate::definition::Steps)>> {
    workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::deleted_at.is_null())
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "workflows.steps::text LIKE '%HTTP.request%'",
        ))
        .order(workflows::name.asc())
        .limit(500)
        .select((workflows::id, workflows::name, workflows::steps))
        .load(conn)
        .await
        .map_err(Into::into)
}

/// The most steps and the latest version among the organization's workflows (or `only` one
/// of them): what a run list's step and version filters offer.
pub async fn bounds(
    conn: &mut Conn,
    org: &OrgId,
    only: Option<&WorkflowId>,
) -> QueryResult<(i32, i32)> {
    #[derive(diesel::QueryableByName)]
    struct Bounds {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        steps: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        versions: i32,
    }
    let b: Bounds = diesel::sql_query(
        "SELECT coalesce(max(CASE WHEN jsonb_typeof(steps::jsonb) = 'array'
                                  THEN jsonb_array_length(steps::jsonb) END), 0)::int4 AS steps,
                coalesce(max(version), 0)::int4 AS versions
         FROM workflows WHERE org_id = $1 AND ($2::text IS NULL OR id = $2)",
    )
    .bind::<crate::sql_text::Stored, _>(org.as_str())
    .bind::<diesel::sql_types::Nullable<crate::sql_text::Stored>, _>(only.map(WorkflowId::as_str))
    .get_result(conn)
    .await?;
    Ok((b.steps, b.versions))
}
