//! A workflow's saved versions: the snapshot each save keeps, and who saved it.

use crate::db::Conn;
use crate::entity::Workflow;
use crate::id::{OrgId, UserId, WorkflowId};
use crate::schema::workflow_versions;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

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
            workflow_versions::workflow_id.eq(workflow.id.sql()),
            workflow_versions::version.eq(workflow.version),
            workflow_versions::org_id.eq(workflow.org_id.sql()),
            workflow_versions::snapshot.eq(snapshot),
            workflow_versions::created_by.eq(by),
            workflow_versions::restored_from.eq(restored_from),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// The versions kept for a workflow, newest first.
pub async fn versions(conn: &mut Conn, org: &OrgId, id: &WorkflowId) -> QueryResult<Vec<i32>> {
    workflow_versions::table
        .filter(workflow_versions::workflow_id.eq(id.sql()))
        .filter(workflow_versions::org_id.eq(org.sql()))
        .select(workflow_versions::version)
        .order(workflow_versions::version.desc())
        .load(conn)
        .await
        .map_err(Into::into)
}

/// The fields of `workflow` at `version`, as its snapshot kept them.
pub async fn fields_at(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    version: i32,
) -> QueryResult<crate::workflow::WorkflowFields> {
    let snapshot: serde_json::Value = workflow_versions::table
        .find((workflow.sql(), version))
        .filter(workflow_versions::org_id.eq(org.sql()))
        .select(workflow_versions::snapshot)
        .first(conn)
        .await?;
    serde_json::from_value(snapshot).map_err(|e| {
        crate::store_error::StoreError::from(diesel::result::Error::DeserializationError(Box::new(
            e,
        )))
    })
}

/// The fields of `workflow` at each of `versions` that was kept, in one query.
pub async fn fields_at_many(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    versions: &[i32],
) -> QueryResult<Vec<(i32, crate::workflow::WorkflowFields)>> {
    let rows: Vec<(i32, serde_json::Value)> = workflow_versions::table
        .filter(workflow_versions::workflow_id.eq(workflow.sql()))
        .filter(workflow_versions::org_id.eq(org.sql()))
        .filter(workflow_versions::version.eq_any(versions))
        .select((workflow_versions::version, workflow_versions::snapshot))
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|(version, snapshot)| {
            serde_json::from_value(snapshot)
                .map(|fields| (version, fields))
                .map_err(|e| {
                    crate::store_error::StoreError::from(
                        diesel::result::Error::DeserializationError(Box::new(e)),
                    )
                })
        })
        .collect()
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
        .filter(workflow_versions::workflow_id.eq(id.sql()))
        .filter(workflow_versions::org_id.eq(org.sql()))
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
