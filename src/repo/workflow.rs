//! Workflow rows: always read and written inside one organization, deleted rows hidden.

use crate::db::Conn;
use crate::entity::Workflow;
use crate::id::{OrgId, RunId, UserId, WorkflowId};
use crate::query::{Page, Position, Sort, WorkflowQuery};
use crate::schema::{workflow_versions, workflows};
use crate::status::Status;
use crate::workflow::WorkflowFields;
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text};
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

type Live<'a> = workflows::BoxedQuery<'a, Pg>;

/// The row of workflow `id` in `org`, unless deleted: every read and change by id goes through it.
#[diesel::dsl::auto_type(no_type_alias)]
fn live<'a>(org: &'a OrgId, id: &'a WorkflowId) -> _ {
    workflows::id
        .eq(id)
        .and(workflows::org_id.eq(org))
        .and(workflows::deleted_at.is_null())
}

/// The org's live workflows matching the query's filters; shared by the list and its count.
fn filtered<'a>(org: &'a OrgId, query: &'a WorkflowQuery) -> Live<'a> {
    let mut q = workflows::table
        .filter(workflows::org_id.eq(org))
        .filter(workflows::deleted_at.is_null())
        .into_boxed();
    if let Some(status) = query.status {
        q = q.filter(workflows::status.eq(status));
    }
    if let Some(trigger) = query.trigger_event.as_deref().filter(|t| !t.is_empty()) {
        q = q.filter(workflows::trigger_event.eq(trigger));
    }
    if let Some(text) = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = crate::sql_text::contains_pattern(text);
        q = q.filter(
            workflows::name
                .ilike(pattern.clone())
                .or(workflows::description.ilike(pattern)),
        );
    }
    q
}

/// How a sort orders the list: the key it sorts by (a missing value as the smallest), that
/// key's SQL type, and whether the largest come first; the id breaks ties the same way. Each
/// is an index of migration `workflow_list_keys`, so a page is one range of an index.
fn order_of(sort: Sort) -> (String, &'static str, bool) {
    match sort {
        Sort::Created => ("created_at".into(), "timestamptz", true),
        Sort::Name => ("lower(name)".into(), "text", false),
        Sort::LastRun => (
            "COALESCE(last_run_at, '-infinity'::timestamptz)".into(),
            "timestamptz",
            true,
        ),
        Sort::FailureRate => (
            format!("COALESCE({}, -1)", crate::rate::FAILURE_RATE_SQL),
            "float8",
            true,
        ),
    }
}

/// Whether a cursor's key is a value of the sort's type, as PostgreSQL writes it: a cursor
/// somebody edited starts from the top instead of failing the cast.
fn key_reads_as(key: &str, cast: &str) -> bool {
    use time::format_description::well_known::Iso8601;
    match cast {
        "float8" => key.parse::<f64>().is_ok_and(f64::is_finite),
        "timestamptz" => {
            key == "-infinity"
                || time::OffsetDateTime::parse(&key.replacen(' ', "T", 1), &Iso8601::DEFAULT)
                    .is_ok()
        }
        _ => true,
    }
}

/// One page of the org's workflows, by keyset: the cursor holds the sort key and id of the row
/// the page starts after (or, going back, ends before), so a deep page costs what the first
/// does.
pub async fn find(
    conn: &mut Conn,
    org: &OrgId,
    query: &WorkflowQuery,
) -> QueryResult<Page<Workflow>> {
    let (_, cast, _) = order_of(query.sort);
    let at = query.position().filter(|at| key_reads_as(&at.key, cast));
    match page(conn, org, query, at.as_ref()).await? {
        // Fewer rows before than a page (some were deleted): the reader gets the first page.
        None => Ok(page(conn, org, query, None).await?.expect("the first page")),
        Some(page) => Ok(page),
    }
}

/// The page at `at`, or `None` going back to fewer rows than a page.
async fn page(
    conn: &mut Conn,
    org: &OrgId,
    query: &WorkflowQuery,
    at: Option<&Position>,
) -> QueryResult<Option<Page<Workflow>>> {
    let total: i64 = filtered(org, query).count().get_result(conn).await?;
    let limit = query.limit();
    let (key, cast, desc) = order_of(query.sort);
    // Going back reads the rows before the cursor in the opposite order, then turns them round.
    let back = at.is_some_and(|at| at.back);
    let (op, dir) = if desc != back {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let mut q = filtered(org, query)
        .select((
            Workflow::as_select(),
            sql::<Text>(&format!("({key})::text AS list_key")),
        ))
        .order(sql::<Text>(&format!("{key} {dir}, id {dir}")))
        .limit(limit + 1);
    if let Some(at) = at {
        q = q.filter(
            sql::<Bool>(&format!("({key}, id) {op} ("))
                .bind::<Text, _>(at.key.clone())
                .sql(&format!("::{cast}, "))
                .bind::<Text, _>(at.id.clone())
                .sql(")"),
        );
    }
    let mut rows: Vec<(Workflow, String)> = q.load(conn).await?;
    let beyond = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if back {
        rows.reverse();
        if !beyond && (rows.len() as i64) < limit {
            return Ok(None);
        }
    }
    let (offset, has_more, has_previous) = match at {
        None => (0, beyond, false),
        Some(at) if at.back => (if beyond { at.offset } else { 0 }, true, beyond),
        Some(at) => (at.offset, beyond, true),
    };
    let cursor = rows
        .last()
        .filter(|_| has_more)
        .map(|(w, key)| query.cursor_at(key, w.id.as_str(), offset + rows.len() as i64, false));
    let previous = <[_]>::first(&rows)
        .filter(|_| has_previous)
        .map(|(w, key)| query.cursor_at(key, w.id.as_str(), (offset - limit).max(0), true));
    Ok(Some(Page {
        results: rows.into_iter().map(|(w, _)| w).collect(),
        total,
        has_more,
        cursor,
        previous,
        offset,
    }))
}

/// The org's live workflow, or `NotFound` (also for another org's id).
pub async fn get(conn: &mut Conn, org: &OrgId, id: &WorkflowId) -> QueryResult<Workflow> {
    workflows::table
        .filter(live(org, id))
        .select(Workflow::as_select())
        .first(conn)
        .await
}

/// Like `get`, but takes a row lock for the rest of the transaction.
pub async fn get_for_update(
    conn: &mut Conn,
    org: &OrgId,
    id: &WorkflowId,
) -> QueryResult<Workflow> {
    workflows::table
        .filter(live(org, id))
        .select(Workflow::as_select())
        .for_update()
        .first(conn)
        .await
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
            workflows::id.eq(id),
            workflows::org_id.eq(org),
            workflows::name.eq(&fields.name),
            workflows::description.eq(&fields.description),
            workflows::trigger_event.eq(&fields.trigger_event),
            workflows::steps.eq(&fields.steps),
            workflows::retry_policy.eq(&fields.retry_policy),
            workflows::error_handling.eq(fields.error_handling),
            workflows::timeout_ms.eq(fields.timeout_ms),
            workflows::status.eq(Status::Draft),
            workflows::created_by.eq(by),
        ))
        .returning(Workflow::as_returning())
        .get_result(conn)
        .await
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
            workflows::steps.eq(&fields.steps),
            workflows::retry_policy.eq(&fields.retry_policy),
            workflows::error_handling.eq(fields.error_handling),
            workflows::timeout_ms.eq(fields.timeout_ms),
            workflows::version.eq(version + 1),
            workflows::updated_at.eq(OffsetDateTime::now_utc()),
        ))
        .returning(Workflow::as_returning())
        .get_result(conn)
        .await
        .optional()
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
        .filter(workflows::status.eq(from))
        .set((
            workflows::status.eq(to),
            workflows::updated_at.eq(OffsetDateTime::now_utc()),
        ))
        .returning(Workflow::as_returning())
        .get_result(conn)
        .await
        .optional()
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
        .filter(workflows::status.eq(from))
        .set((workflows::deleted_at.eq(now), workflows::updated_at.eq(now)))
        .returning(Workflow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Keeps the editable fields of `workflow` as its version's snapshot.
/// `restored_from`: the older version this one copies, when it was made by a restore.
pub async fn insert_version(
    conn: &mut Conn,
    workflow: &Workflow,
    by: Option<&UserId>,
    restored_from: Option<i32>,
) -> QueryResult<()> {
    let snapshot = serde_json::to_value(workflow.fields())
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(workflow_versions::table)
        .values((
            workflow_versions::workflow_id.eq(&workflow.id),
            workflow_versions::version.eq(workflow.version),
            workflow_versions::org_id.eq(&workflow.org_id),
            workflow_versions::snapshot.eq(snapshot),
            workflow_versions::created_by.eq(by),
            workflow_versions::restored_from.eq(restored_from),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The versions kept for a workflow, newest first.
pub async fn versions(conn: &mut Conn, org: &OrgId, id: &WorkflowId) -> QueryResult<Vec<i32>> {
    workflow_versions::table
        .filter(workflow_versions::workflow_id.eq(id))
        .filter(workflow_versions::org_id.eq(org))
        .select(workflow_versions::version)
        .order(workflow_versions::version.desc())
        .load(conn)
        .await
}

/// The live workflows of `org` triggered by `event_type`: those listening now (id and version,
/// by id) and the paused ones, which ignore it.
pub async fn listening(
    conn: &mut Conn,
    org: &OrgId,
    event_type: &str,
) -> QueryResult<(Vec<(WorkflowId, i32)>, Vec<WorkflowId>)> {
    let wanted: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.listens() || *s == Status::Paused)
        .collect();
    let rows: Vec<(WorkflowId, i32, Status)> = workflows::table
        .filter(workflows::org_id.eq(org))
        .filter(workflows::deleted_at.is_null())
        .filter(workflows::trigger_event.eq(event_type))
        .filter(workflows::status.eq_any(wanted))
        .order(workflows::id.asc())
        .select((workflows::id, workflows::version, workflows::status))
        .load(conn)
        .await?;
    let mut listening = Vec::new();
    let mut ignoring = Vec::new();
    for (id, version, status) in rows {
        if status.listens() {
            listening.push((id, version));
        } else {
            ignoring.push(id);
        }
    }
    Ok((listening, ignoring))
}

/// Locks the workflow's row for the rest of the transaction; its status and last run time.
/// The lock is `FOR NO KEY UPDATE`, what the counters' update needs: a stronger one would wait
/// for every transaction holding a key-share lock from a foreign-key check, and two runs
/// ending together would deadlock.
pub async fn lock_for_run(
    conn: &mut Conn,
    id: &WorkflowId,
) -> QueryResult<(Status, Option<OffsetDateTime>)> {
    workflows::table
        .find(id)
        .select((workflows::status, workflows::last_run_at))
        .for_no_key_update()
        .first(conn)
        .await
}

/// What one run changes on its workflow's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunTally<'a> {
    pub run: &'a RunId,
    /// The run started: one more run.
    pub started: bool,
    /// The run ended: one more success (true) or failure (false).
    pub ended: Option<bool>,
    /// The status when no other run of the workflow is running.
    pub status: Status,
    /// The status while another run of it is still running.
    pub status_while_others_run: Status,
    pub last_run_at: Option<OffsetDateTime>,
}

/// A workflow's health after a run's tally: its counters, when it last raised the failure-rate
/// alert, and its organization's threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Health {
    pub succeeded: i64,
    pub failed: i64,
    pub alerted_at: Option<OffsetDateTime>,
    pub threshold: f64,
}

/// Writes a run's start and end onto its workflow: the counters, the last run time and the
/// status the transition table gave, the one or the other as another run of the workflow is
/// still `Running` or not. Called with the row locked (`lock_for_run`), so that this statement's
/// look at the other runs sees every run that ended before it.
pub async fn tally_run(
    conn: &mut Conn,
    id: &WorkflowId,
    tally: RunTally<'_>,
) -> QueryResult<Health> {
    use crate::schema::runs;
    let (count, successes, failures) = (
        i64::from(tally.started),
        i64::from(tally.ended == Some(true)),
        i64::from(tally.ended == Some(false)),
    );
    let others_running = diesel::dsl::exists(
        runs::table
            .filter(runs::workflow_id.eq(id))
            .filter(sql::<diesel::sql_types::Bool>(
                &crate::repo::run::IS_RUNNING,
            ))
            .filter(runs::id.ne(tally.run))
            .select(runs::id),
    );
    let status = diesel::dsl::case_when::<_, _, diesel::sql_types::Text>(
        others_running,
        tally.status_while_others_run,
    )
    .otherwise(tally.status);
    diesel::update(workflows::table.find(id))
        .set((
            workflows::run_count.eq(workflows::run_count + count),
            workflows::success_count.eq(workflows::success_count + successes),
            workflows::failure_count.eq(workflows::failure_count + failures),
            workflows::status.eq(status),
            workflows::last_run_at.eq(tally.last_run_at),
        ))
        .returning((
            workflows::success_count,
            workflows::failure_count,
            workflows::alerted_at,
            sql::<Double>(
                "(SELECT o.failure_threshold FROM organizations o WHERE o.id = workflows.org_id)",
            ),
        ))
        .get_result(conn)
        .await
        .map(|(succeeded, failed, alerted_at, threshold)| Health {
            succeeded,
            failed,
            alerted_at,
            threshold,
        })
}

/// Notes that the workflow raised the failure-rate alert at `at`.
pub async fn alerted(conn: &mut Conn, id: &WorkflowId, at: OffsetDateTime) -> QueryResult<()> {
    diesel::update(workflows::table.find(id))
        .set(workflows::alerted_at.eq(at))
        .execute(conn)
        .await
        .map(drop)
}

/// The fields of `workflow` at `version`, as its snapshot kept them.
pub async fn fields_at(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    version: i32,
) -> QueryResult<crate::workflow::WorkflowFields> {
    let snapshot: serde_json::Value = workflow_versions::table
        .find((workflow, version))
        .filter(workflow_versions::org_id.eq(org))
        .select(workflow_versions::snapshot)
        .first(conn)
        .await?;
    serde_json::from_value(snapshot)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// A workflow's name, deleted or not (for the engine's events about its runs).
pub async fn name_of(conn: &mut Conn, id: &WorkflowId) -> QueryResult<String> {
    workflows::table
        .find(id)
        .select(workflows::name)
        .first(conn)
        .await
}

/// One saved version of a workflow: when and by whom, and the older one it restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
    pub restored_from: Option<i32>,
}

/// The versions of `id` in `org`, oldest first, with who saved each (their display name).
pub async fn version_history(
    conn: &mut Conn,
    org: &OrgId,
    id: &WorkflowId,
) -> QueryResult<Vec<VersionInfo>> {
    use crate::schema::users;
    let rows: Vec<(i32, OffsetDateTime, Option<String>, Option<i32>)> = workflow_versions::table
        .left_join(users::table.on(users::id.nullable().eq(workflow_versions::created_by)))
        .filter(workflow_versions::workflow_id.eq(id))
        .filter(workflow_versions::org_id.eq(org))
        .order(workflow_versions::version.asc())
        .select((
            workflow_versions::version,
            workflow_versions::created_at,
            users::display_name.nullable(),
            workflow_versions::restored_from,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(version, created_at, created_by, restored_from)| VersionInfo {
                version,
                created_at,
                created_by,
                restored_from,
            },
        )
        .collect())
}

/// The names of `ids` that are workflows of `org` (deleted ones too), in one query; ids of
/// another organization are not in the answer.
pub async fn names_of(
    conn: &mut Conn,
    org: &OrgId,
    ids: &[WorkflowId],
) -> QueryResult<std::collections::BTreeMap<WorkflowId, String>> {
    let rows: Vec<(WorkflowId, String)> = workflows::table
        .filter(workflows::org_id.eq(org))
        .filter(workflows::id.eq_any(ids))
        .select((workflows::id, workflows::name))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The organization's live workflows, by name: what a filter offers.
pub async fn names(conn: &mut Conn, org: &OrgId) -> QueryResult<Vec<crate::entity::WorkflowRef>> {
    let rows: Vec<(WorkflowId, String)> = workflows::table
        .filter(workflows::org_id.eq(org))
        .filter(workflows::deleted_at.is_null())
        .order((workflows::name.asc(), workflows::id.asc()))
        .limit(1_000)
        .select((workflows::id, workflows::name))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| crate::entity::WorkflowRef { id, name })
        .collect())
}
