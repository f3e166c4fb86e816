//! The workflow list: filtered, sorted, and paged by keyset.

use crate::db::Conn;
use crate::entity::Workflow;
use crate::id::OrgId;
use crate::list_query::{Page, Position, Sort, WorkflowQuery};
use crate::schema::workflows;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;

type Live<'a> = workflows::BoxedQuery<'a, Pg>;

/// The org's live workflows matching the query's filters; shared by the list and its count.
fn filtered<'a>(org: &'a OrgId, query: &'a WorkflowQuery) -> Live<'a> {
    let mut q = workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::deleted_at.is_null())
        .into_boxed();
    if let Some(status) = query.status {
        q = q.filter(workflows::status.eq(status.sql_owned()));
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
struct Order {
    key: String,
    cast: &'static str,
    desc: bool,
}

impl Order {
    fn of(sort: Sort) -> Self {
        let (key, cast, desc) = match sort {
            Sort::Created => ("created_at".into(), "timestamptz", true),
            Sort::Name => ("lower(name)".into(), "text", false),
            Sort::LastRun => (
                "COALESCE(last_run_at, '-infinity'::timestamptz)".into(),
                "timestamptz",
                true,
            ),
            Sort::FailureRate => (
                format!("COALESCE({}, -1)", crate::sql_text::FAILURE_RATE_SQL),
                "float8",
                true,
            ),
        };
        Order { key, cast, desc }
    }

    /// Whether a cursor's key is a value of this key's type, as PostgreSQL writes it: a cursor
    /// somebody edited starts from the top instead of failing the cast.
    fn reads(&self, key: &str) -> bool {
        use time::format_description::well_known::Iso8601;
        match self.cast {
            "float8" => key.parse::<f64>().is_ok_and(f64::is_finite),
            "timestamptz" => {
                key == "-infinity"
                    || time::OffsetDateTime::parse(&key.replacen(' ', "T", 1), &Iso8601::DEFAULT)
                        .is_ok()
            }
            _ => true,
        }
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
    let order = Order::of(query.sort);
    let at = query.position().filter(|at| order.reads(&at.key));
    match page(conn, org, query, &order, at.as_ref()).await? {
        // Fewer rows before than a page (some were deleted): the reader gets the first page.
        None => Ok(page(conn, org, query, &order, None)
            .await?
            .expect("the first page")),
        Some(page) => Ok(page),
    }
}

/// The page at `at`, or `None` going back to fewer rows than a page.
async fn page(
    conn: &mut Conn,
    org: &OrgId,
    query: &WorkflowQuery,
    order: &Order,
    at: Option<&Position>,
) -> QueryResult<Option<Page<Workflow>>> {
    let total: i64 = filtered(org, query).count().get_result(conn).await?;
    let limit = query.limit();
    let Order { key, cast, desc } = order;
    // Going back reads the rows before the cursor in the opposite order, then turns them round.
    let back = at.is_some_and(|at| at.back);
    let (op, dir) = if *desc != back {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let mut q = filtered(org, query)
        .select((
            super::WorkflowRow::as_select(),
            sql::<Text>(&format!("({key})::text AS list_key")),
        ))
        .order(sql::<Text>(&format!("{key} {dir}, id {dir}")))
        .limit(limit + 1);
    if let Some(at) = at {
        q = q.filter(
            sql::<Bool>(&format!("({key}, id) {op} ("))
                .bind::<diesel::sql_types::Text, _>(at.key.clone())
                .sql(&format!("::{cast}, "))
                .bind::<Text, _>(at.id.clone())
                .sql(")"),
        );
    }
    let rows: Vec<(super::WorkflowRow, String)> = q.load(conn).await?;
    let mut rows: Vec<(Workflow, String)> = rows
        .into_iter()
        .map(|(row, key)| (Workflow::from(row), key))
        .collect();
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
