//! The records steps create and change (`things`), as the editor reads them: which nouns an
//! organization has and which fields their records carry. The engine writes them
//! (`engine::action`).

use crate::db::Conn;
use crate::id::OrgId;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Each noun (at most 50) with the fields of its newest 20 records, at most 2,000 pairs. The
/// nouns come by a skip scan of `things_org_type`, one row a noun, however many records.
pub async fn fields(conn: &mut Conn, org: &OrgId) -> QueryResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Pair {
        #[diesel(sql_type = diesel::sql_types::Text)]
        noun: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        field: String,
    }
    let rows: Vec<Pair> = diesel::sql_query(
        "WITH RECURSIVE nouns(t) AS (
           (SELECT type FROM things WHERE org_id = $1 ORDER BY type LIMIT 1)
           UNION ALL
           SELECT (SELECT x.type FROM things x WHERE x.org_id = $1 AND x.type > nouns.t
                   ORDER BY x.type LIMIT 1)
           FROM nouns WHERE nouns.t IS NOT NULL)
         SELECT n.t AS noun, k.key AS field
         FROM (SELECT t FROM nouns WHERE t IS NOT NULL LIMIT 50) n
         CROSS JOIN LATERAL (SELECT data FROM things x WHERE x.org_id = $1 AND x.type = n.t
                             ORDER BY x.created_at DESC LIMIT 20) d
         CROSS JOIN LATERAL jsonb_object_keys(
             CASE WHEN jsonb_typeof(d.data) = 'object' THEN d.data ELSE '{}'::jsonb END) k(key)
         GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 2000",
    )
    .bind::<crate::sql_text::Stored, _>(org.as_str())
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.noun, r.field)).collect())
}
