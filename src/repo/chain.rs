//! How many runs a chain of events has started: kept per chain once it reaches past its first
//! event, so that one posted event cannot fan out without end.

use crate::db::Conn;
use crate::id::{EventId, OrgId};
use crate::schema::event_chains;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Takes up to `wanted` more runs from the chain started by `root`, of at most `cap` in all;
/// returns how many it may start. The chain's row is locked until the transaction ends.
pub async fn take_runs(
    conn: &mut Conn,
    org: &OrgId,
    root: &EventId,
    wanted: i32,
    cap: i32,
) -> QueryResult<i32> {
    // Made at the chain's first link past its root, counting the root's own runs.
    diesel::sql_query(
        "INSERT INTO event_chains (root_event_id, org_id, runs)
         SELECT $1, $2, count(*) FROM runs WHERE event_id = $1
         ON CONFLICT (root_event_id) DO NOTHING",
    )
    .bind::<crate::sql_text::Stored, _>(root.as_str())
    .bind::<crate::sql_text::Stored, _>(org.as_str())
    .execute(conn)
    .await?;
    let used: i32 = event_chains::table
        .find(root.sql())
        .filter(event_chains::org_id.eq(org.sql()))
        .select(event_chains::runs)
        .for_update()
        .first(conn)
        .await?;
    let allowed = wanted.min(cap - used).max(0);
    if allowed > 0 {
        diesel::update(event_chains::table.find(root.sql()))
            .set(event_chains::runs.eq(used + allowed))
            .execute(conn)
            .await?;
    }
    Ok(allowed)
}
