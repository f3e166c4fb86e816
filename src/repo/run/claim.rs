//! Claims: a worker takes ready runs under a lease and a fencing token, one run or a batch in
//! one statement, organizations in turn.

use super::*;
use crate::sql_text::quoted;
use crate::store_error::QueryResult;
use diesel::sql_types::{BigInt, Timestamptz};

/// A run a worker holds, with the fencing token of its claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub run: RunId,
    pub fence: i64,
}

/// The claim, one statement: the oldest ready runs (up to `limit`) of the first organization
/// after `$4` (by id) that has them, then of the first organizations of all. Ready means in
/// flight, due, and not held under a live lease. PostgreSQL reads a `WITH` query only as far as
/// its reader asks, so the second look runs only when the first found too few. Taking over a
/// run whose lease ran out counts as a stall.
fn claim_sql(limit: &str) -> String {
    let ready = format!(
        "SELECT id FROM runs WHERE status IN ({}) AND run_at <= $1
           AND (lease_until IS NULL OR lease_until < $1)",
        quoted(&RunStatus::IN_FLIGHT, RunStatus::as_str)
    );
    format!(
        "WITH after AS ({ready} AND org_id > $4 ORDER BY org_id, run_at LIMIT {limit} FOR UPDATE SKIP LOCKED),
              round AS ({ready} ORDER BY org_id, run_at LIMIT {limit} FOR UPDATE SKIP LOCKED),
              next AS (SELECT id FROM after
                       UNION ALL (SELECT id FROM round WHERE id NOT IN (SELECT id FROM after))
                       LIMIT {limit})
         UPDATE runs r SET status = $5, lease_owner = $2, lease_until = $3, fence = r.fence + 1,
             stalls = r.stalls + CASE WHEN r.lease_until IS NULL THEN 0 ELSE 1 END
         FROM next WHERE r.id = next.id
         RETURNING r.id, r.org_id, r.fence"
    )
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = crate::sql_text::Stored)]
    id: RunId,
    #[diesel(sql_type = crate::sql_text::Stored)]
    org_id: OrgId,
    #[diesel(sql_type = BigInt)]
    fence: i64,
}

/// Claims a ready run for `worker` until `lease_until`: `claim_many` of one.
pub async fn claim_next(
    conn: &mut Conn,
    worker: &str,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    after: Option<&OrgId>,
) -> QueryResult<Option<(Claim, OrgId)>> {
    Ok(claim_many(conn, worker, now, lease_until, after, 1)
        .await?
        .pop())
}

/// Claims up to `max` ready runs for `worker` until `lease_until`, one statement: the oldest
/// ready runs of the organizations after `after`, then (when those are fewer) of the first
/// organizations. One commit for a batch.
pub async fn claim_many(
    conn: &mut Conn,
    worker: &str,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    after: Option<&OrgId>,
    max: usize,
) -> QueryResult<Vec<(Claim, OrgId)>> {
    // The limit is written into the statement (one prepared statement per batch size): as a
    // parameter, PostgreSQL planned the statement again at every claim (1.3 ms).
    let claimed: Vec<Claimed> = diesel::sql_query(claim_sql(&max.clamp(1, 1_000).to_string()))
        .bind::<Timestamptz, _>(now)
        .bind::<crate::sql_text::Stored, _>(worker)
        .bind::<Timestamptz, _>(lease_until)
        .bind::<crate::sql_text::Stored, _>(after.map_or("", OrgId::as_str))
        .bind::<crate::sql_text::Stored, _>(RunStatus::Running)
        .load(conn)
        .await?;
    Ok(claimed
        .into_iter()
        .map(|c| {
            let claim = Claim {
                run: c.id,
                fence: c.fence,
            };
            (claim, c.org_id)
        })
        .collect())
}
