//! Reading runs back for pages: a run as lists show it, a workflow's or an organization's runs
//! filtered and in keyset pages, one run with its event, the latest failures.

use crate::db::Conn;
use crate::entity::RunSummary;
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::list_query::RunQuery;
use crate::run::RunStatus;
use crate::schema::{events, runs, workflows};
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

pub(crate) type SummaryRow = (
    RunId,
    WorkflowId,
    String,
    i32,
    RunStatus,
    String,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<String>,
    Option<i32>,
    Option<String>,
);

/// The columns a `RunSummary` is read from, in `SummaryRow`'s order.
#[diesel::dsl::auto_type]
pub(crate) fn summary_columns() -> _ {
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
        runs::notice,
    )
}

pub(crate) fn to_summary(r: SummaryRow) -> RunSummary {
    RunSummary {
        id: r.0,
        workflow: r.1,
        workflow_name: r.2,
        workflow_version: r.3,
        status: r.4,
        event_type: r.5,
        queued_at: r.6,
        started_at: r.7,
        finished_at: r.8,
        error: r.9,
        failed_step: r.10,
        notice: r.11,
    }
}

/// A workflow's runs, newest first, older than run `before` when given, at most `limit` and
/// whether there are more.
pub async fn history(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    status: Option<RunStatus>,
    before: Option<&RunId>,
    limit: i64,
) -> QueryResult<(Vec<RunSummary>, bool)> {
    let query = RunQuery {
        status,
        workflow: Some(workflow.clone()),
        before: before.cloned(),
        ..RunQuery::default()
    };
    search(conn, org, &query, OffsetDateTime::now_utc(), limit).await
}

/// The organization's runs that match `query`, newest first, at most `limit` and whether there
/// are more. Every filter narrows an index the planner can use: the organization's runs by time,
/// a workflow's, a failure group's, or the failed ones by time for error text.
pub async fn search(
    conn: &mut Conn,
    org: &OrgId,
    query: &RunQuery,
    now: OffsetDateTime,
    limit: i64,
) -> QueryResult<(Vec<RunSummary>, bool)> {
    let mut q = matching(org, query, now);
    if let Some(before) = &query.before {
        // Keyset: strictly after the given run in (queued_at, id) descending order.
        q = q.filter(
            sql::<Bool>(
                "(runs.queued_at, runs.id) < (SELECT r.queued_at, r.id FROM runs r WHERE r.id = ",
            )
            .bind::<diesel::sql_types::Text, _>(before.as_str())
            .sql(" AND r.org_id = ")
            .bind::<diesel::sql_types::Text, _>(org.as_str())
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
    Ok((rows.into_iter().map(to_summary).collect(), more))
}

/// How many runs of `org` match `query` (not its page), counting at most `most`.
pub async fn count(
    conn: &mut Conn,
    org: &OrgId,
    query: &RunQuery,
    now: OffsetDateTime,
    most: i64,
) -> QueryResult<i64> {
    let ids: Vec<RunId> = matching(org, query, now)
        .select(runs::id)
        .limit(most)
        .load(conn)
        .await?;
    Ok(ids.len() as i64)
}

type Matching<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::InnerJoinOn<
            diesel::dsl::InnerJoinOn<
                runs::table,
                workflows::table,
                diesel::dsl::Eq<workflows::id, runs::workflow_id>,
            >,
            events::table,
            diesel::dsl::Eq<events::id, runs::event_id>,
        >,
        diesel::dsl::Eq<runs::org_id, crate::sql_text::Value<&'a OrgId>>,
    >,
    diesel::pg::Pg,
>;

/// The runs of `org` that `query`'s filters (all but the page) let through, with their
/// workflow and event joined: what the run lists show and what a bulk retry takes.
pub(crate) fn matching<'a>(org: &'a OrgId, query: &RunQuery, now: OffsetDateTime) -> Matching<'a> {
    let mut q = runs::table
        .inner_join(workflows::table.on(workflows::id.eq(runs::workflow_id)))
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::org_id.eq(org.sql()))
        .into_boxed();
    if let Some(workflow) = &query.workflow {
        q = q.filter(runs::workflow_id.eq(workflow.clone().sql_owned()));
    }
    if let Some(status) = query.status {
        q = q.filter(runs::status.eq(status.sql_owned()));
    }
    if let Some(range) = query.range {
        q = q.filter(runs::queued_at.ge(now - time::Duration::hours(range.hours())));
    }
    if let Some(step) = query.step {
        q = q.filter(runs::failed_step.eq(step - 1));
    }
    if let Some(version) = query.version {
        q = q.filter(runs::workflow_version.eq(version));
    }
    if let Some(group) = &query.group {
        q = q.filter(runs::failure_group.eq(group.clone()));
    }
    if let Some(text) = query
        .error
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        q = q.filter(runs::error.ilike(crate::sql_text::contains_pattern(text)));
    }
    if let Some(batch) = &query.batch {
        q = q.filter(runs::batch_id.eq(crate::sql_text::maybe(Some(batch.clone()))));
    }
    q
}

/// One run of `org` with the event that started it: its id and data.
pub async fn summary(
    conn: &mut Conn,
    org: &OrgId,
    id: &RunId,
) -> QueryResult<(RunSummary, EventId, serde_json::Value)> {
    let (row, event_id, event_data): (SummaryRow, EventId, serde_json::Value) = runs::table
        .inner_join(workflows::table.on(workflows::id.eq(runs::workflow_id)))
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::id.eq(id.sql()))
        .filter(runs::org_id.eq(org.sql()))
        .select((summary_columns(), events::id, events::data))
        .first(conn)
        .await?;
    Ok((to_summary(row), event_id, event_data))
}

/// The organization's workflows "failing now": each live workflow whose latest finished run
/// failed or timed out. Answers how many there are (at most `read`) and the summaries of the
/// newest `listed` of those runs; the others are counted, not read.
pub async fn failing_now(
    conn: &mut Conn,
    org: &OrgId,
    read: i64,
    listed: usize,
) -> QueryResult<(usize, Vec<RunSummary>)> {
    #[derive(QueryableByName)]
    struct Latest {
        #[diesel(sql_type = crate::sql_text::Stored)]
        id: RunId,
    }
    let latest: Vec<Latest> = diesel::sql_query(
        "SELECT r.id FROM workflows w
         CROSS JOIN LATERAL (
             SELECT id, status, finished_at FROM runs
             WHERE runs.org_id = w.org_id AND runs.workflow_id = w.id
               AND runs.finished_at IS NOT NULL
             ORDER BY runs.queued_at DESC, runs.id DESC LIMIT 1) r
         WHERE w.org_id = $1 AND w.deleted_at IS NULL AND r.status IN ('Failed', 'TimedOut')
         ORDER BY r.finished_at DESC LIMIT $2",
    )
    .bind::<crate::sql_text::Stored, _>(org.as_str())
    .bind::<diesel::sql_types::BigInt, _>(read)
    .load(conn)
    .await?;
    let ids: Vec<RunId> = latest.iter().take(listed).map(|l| l.id.clone()).collect();
    let rows: Vec<SummaryRow> = runs::table
        .inner_join(workflows::table.on(workflows::id.eq(runs::workflow_id)))
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::org_id.eq(org.sql()))
        .filter(runs::id.eq_any(crate::sql_text::all(&ids)))
        .order(runs::finished_at.desc())
        .select(summary_columns())
        .load(conn)
        .await?;
    Ok((latest.len(), rows.into_iter().map(to_summary).collect()))
}

/// What a retry reads of the run it repeats, with its event.
#[derive(Queryable, Clone, Debug)]
pub struct RetrySource {
    pub id: RunId,
    pub workflow_id: WorkflowId,
    pub workflow_version: i32,
    pub status: RunStatus,
    pub failed_step: Option<i32>,
    pub next_step: i32,
    pub depth: i32,
    pub chain_root: Option<EventId>,
    pub event_id: EventId,
    pub event_type: String,
    pub event_data: serde_json::Value,
    pub event_created_at: OffsetDateTime,
}

/// The run `id` of `org` as a retry reads it.
pub async fn retry_source(conn: &mut Conn, org: &OrgId, id: &RunId) -> QueryResult<RetrySource> {
    runs::table
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::id.eq(id.sql()))
        .filter(runs::org_id.eq(org.sql()))
        .select((
            runs::id,
            runs::workflow_id,
            runs::workflow_version,
            runs::status,
            runs::failed_step,
            runs::next_step,
            runs::depth,
            runs::chain_root,
            events::id,
            events::type_,
            events::data,
            events::created_at,
        ))
        .first(conn)
        .await
        .map_err(Into::into)
}

/// Locks the run `id` of `org` for the transaction and returns its status; NotFound when it
/// is not there.
pub async fn lock(conn: &mut Conn, org: &OrgId, id: &RunId) -> QueryResult<RunStatus> {
    runs::table
        .filter(runs::id.eq(id.sql()))
        .filter(runs::org_id.eq(org.sql()))
        .select(runs::status)
        .for_update()
        .first(conn)
        .await
        .map_err(Into::into)
}

/// The retries of run `id`, newest first (at most `limit`), and how many there are.
pub async fn retries_of(
    conn: &mut Conn,
    org: &OrgId,
    id: &RunId,
    limit: i64,
) -> QueryResult<(Vec<(RunId, RunStatus)>, i64)> {
    let mine = runs::org_id
        .eq(org.sql())
        .and(runs::retry_of.eq(id.sql_nullable()));
    let count = runs::table.filter(mine).count().get_result(conn).await?;
    let newest = runs::table
        .filter(mine)
        .order((runs::queued_at.desc(), runs::id.desc()))
        .limit(limit)
        .select((runs::id, runs::status))
        .load(conn)
        .await?;
    Ok((newest, count))
}

/// How a run came to be and who acted on it: the run it retries (and from which step), who
/// asked for the retry, who asked to cancel it.
#[derive(Queryable, Clone, Debug, Default)]
pub struct Lineage {
    pub retry_of: Option<RunId>,
    pub retry_from: Option<i32>,
    pub requested_by: Option<String>,
    pub cancel_requested_by: Option<String>,
    pub next_step: i32,
    /// The failure group the engine filed the run under, when it failed.
    pub failure_group: Option<String>,
}

pub async fn lineage(conn: &mut Conn, org: &OrgId, id: &RunId) -> QueryResult<Lineage> {
    runs::table
        .filter(runs::id.eq(id.sql()))
        .filter(runs::org_id.eq(org.sql()))
        .select((
            runs::retry_of,
            runs::retry_from,
            runs::requested_by,
            runs::cancel_requested_by,
            runs::next_step,
            runs::failure_group,
        ))
        .first(conn)
        .await
        .map_err(Into::into)
}
