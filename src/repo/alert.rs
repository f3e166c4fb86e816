//! Acknowledged alerts: per workflow, the moment up to which its failure-rate alerts were seen,
//! and who saw them.

use crate::db::Conn;
use crate::id::{OrgId, WorkflowId};
use crate::schema::alert_acknowledgements as acks;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;
use time::OffsetDateTime;

/// Marks the alerts of `workflow` raised until now as seen by `by` (a user or key id); the
/// moment they are acknowledged through.
pub async fn acknowledge(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    by: &str,
) -> QueryResult<OffsetDateTime> {
    use diesel::dsl::now;
    diesel::insert_into(acks::table)
        .values((
            acks::org_id.eq(org.sql()),
            acks::workflow_id.eq(workflow.sql()),
            acks::through.eq(now),
            acks::acknowledged_by.eq(by),
        ))
        .on_conflict((acks::org_id, acks::workflow_id))
        .do_update()
        .set((acks::through.eq(now), acks::acknowledged_by.eq(by)))
        .returning(acks::through)
        .get_result(conn)
        .await
        .map_err(Into::into)
}

/// Who acknowledged an alert, by name, and through when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub through: OffsetDateTime,
    pub by: String,
}

/// The org's acknowledgements by workflow, each with the name of who made it (a person's, an
/// API key's, "Someone" for one gone).
pub async fn of_org(conn: &mut Conn, org: &OrgId) -> QueryResult<HashMap<WorkflowId, Seen>> {
    let rows: Vec<(WorkflowId, OffsetDateTime, String)> = acks::table
        .filter(acks::org_id.eq(org.sql()))
        .select((acks::workflow_id, acks::through, acks::acknowledged_by))
        .load(conn)
        .await?;
    let refs: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    let names = crate::repo::org::actor_names(conn, org, &refs).await?;
    Ok(rows
        .into_iter()
        .map(|(workflow, through, by)| {
            let by = names.get(&by).cloned().unwrap_or_else(|| "Someone".into());
            (workflow, Seen { through, by })
        })
        .collect())
}
