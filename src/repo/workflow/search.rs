//! `search::Search` in SQL: every condition a bound parameter, two-valued (a comparison with a
//! missing value is false, so `$not` turns it true, as in MongoDB), keyset pages over the sort
//! keys and the id. Always inside one organization, deleted workflows hidden.

use crate::db::Conn;
use crate::entity::Workflow;
use crate::id::OrgId;
use crate::list_query::Page;
use crate::schema::workflows;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use crate::workflow_search::{Cmp, Dir, Field, Filter, Kind, Lit, Search, value_of};
use diesel::dsl::sql;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate,
};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Text, Timestamptz};
use diesel_async::RunQueryDsl;

/// A piece of SQL with its parameters bound in place: the filter and the keyset condition,
/// built from the parsed search, never from text a client wrote.
#[derive(Clone, Debug, Default)]
struct Cond(Vec<Part>);

#[derive(Clone, Debug)]
enum Part {
    Sql(String),
    Bind(Lit),
}

impl Cond {
    fn sql(text: impl Into<String>) -> Self {
        Cond(vec![Part::Sql(text.into())])
    }

    fn push(mut self, part: Part) -> Self {
        self.0.push(part);
        self
    }
}

impl Expression for Cond {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for Cond {}

impl<QS> SelectableExpression<QS> for Cond {}

impl<GB> ValidGrouping<GB> for Cond {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for Cond {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Cond {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        for part in &self.0 {
            match part {
                Part::Sql(text) => out.push_sql(text),
                Part::Bind(Lit::Text(s)) => out.push_bind_param::<Text, _>(s)?,
                Part::Bind(Lit::Int(n)) => out.push_bind_param::<BigInt, _>(n)?,
                Part::Bind(Lit::Time(t)) => out.push_bind_param::<Timestamptz, _>(t)?,
                Part::Bind(Lit::Null) => out.push_sql("NULL"),
            }
        }
        Ok(())
    }
}

fn always(value: bool) -> Cond {
    Cond::sql(if value { "TRUE" } else { "FALSE" })
}

/// `{before}$1{after}` with `lit` bound as `$1`.
fn bound(before: &str, lit: &Lit, after: &str) -> Cond {
    Cond::sql(before)
        .push(Part::Bind(lit.clone()))
        .push(Part::Sql(after.to_owned()))
}

fn join(parts: Vec<Cond>, op: &str, empty: bool) -> Cond {
    if parts.is_empty() {
        return always(empty);
    }
    let mut out = Cond::sql("(");
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out = out.push(Part::Sql(format!(" {op} ")));
        }
        out.0.extend(part.0);
    }
    out.push(Part::Sql(")".into()))
}

fn and(parts: Vec<Cond>) -> Cond {
    join(parts, "AND", true)
}

fn or(parts: Vec<Cond>) -> Cond {
    join(parts, "OR", false)
}

fn negate(inner: Cond) -> Cond {
    let mut out = Cond::sql("(NOT ");
    out.0.extend(inner.0);
    out.push(Part::Sql(")".into()))
}

/// The SQL a field reads: its column, but for the counters and the last run time what the
/// fold put on the row plus what it has not folded yet, as `Workflow` reads them, so that
/// filters, sorts and the cursors (written from the rows read) agree.
fn column(field: &Field) -> &'static str {
    use crate::repo::workflow::{
        FAILURE_COUNT_SQL, LAST_RUN_AT_SQL, RUN_COUNT_SQL, SUCCESS_COUNT_SQL,
    };
    match field.column {
        "run_count" => RUN_COUNT_SQL.as_str(),
        "success_count" => SUCCESS_COUNT_SQL.as_str(),
        "failure_count" => FAILURE_COUNT_SQL.as_str(),
        "last_run_at" => LAST_RUN_AT_SQL.as_str(),
        other => other,
    }
}

/// The column as compared: text by its bytes.
fn compared(field: &Field) -> String {
    match field.kind {
        Kind::Text => format!("{} COLLATE \"C\"", column(field)),
        _ => column(field).to_owned(),
    }
}

fn condition(filter: &Filter) -> Cond {
    match filter {
        Filter::All(parts) => and(parts.iter().map(condition).collect()),
        Filter::Any(parts) => or(parts.iter().map(condition).collect()),
        Filter::Not(inner) => negate(condition(inner)),
        Filter::Exists(field, true) | Filter::Compare(field, Cmp::Ne, Lit::Null) => {
            Cond::sql(format!("({} IS NOT NULL)", column(field)))
        }
        Filter::Exists(field, false) | Filter::Compare(field, Cmp::Eq, Lit::Null) => {
            Cond::sql(format!("({} IS NULL)", column(field)))
        }
        Filter::Compare(field, Cmp::Ne, lit) => {
            bound(&format!("({} IS DISTINCT FROM ", column(field)), lit, ")")
        }
        Filter::Compare(field, cmp, lit) => {
            let op = match cmp {
                Cmp::Eq => "=",
                Cmp::Gt => ">",
                Cmp::Gte => ">=",
                Cmp::Lt => "<",
                Cmp::Lte => "<=",
                Cmp::Ne => unreachable!("handled above"),
            };
            bound(
                &format!("COALESCE({} {op} ", compared(field)),
                lit,
                ", FALSE)",
            )
        }
        Filter::In(field, lits) => or(lits
            .iter()
            .map(|lit| condition(&Filter::Compare(field, Cmp::Eq, lit.clone())))
            .collect()),
        Filter::Regex {
            field,
            pattern,
            ignore_case,
        } => {
            let op = if *ignore_case { "~*" } else { "~" };
            bound(
                &format!("COALESCE({} {op} ", column(field)),
                &Lit::Text(pattern.clone()),
                ", FALSE)",
            )
        }
    }
}

/// One part of the order: the SQL it sorts by, and how a cursor's value is written to compare
/// with it.
struct Key {
    sql: String,
    /// `(before, after)` around the bound value.
    wrap: (&'static str, &'static str),
    value: Lit,
    dir: Dir,
}

/// The keys a field sorts by: whether it has a value (when it may not), then the value itself
/// (text ignoring case), so that missing values come first ascending and last descending.
fn keys(field: &Field, dir: Dir, value: &Lit) -> Vec<Key> {
    let mut out = Vec::new();
    let sentinel = match field.kind {
        Kind::Text => Lit::Text(String::new()),
        Kind::Int => Lit::Int(0),
        Kind::Time => Lit::Time(time::OffsetDateTime::UNIX_EPOCH),
    };
    if field.nullable {
        let present = if *value == Lit::Null { 0 } else { 1 };
        out.push(Key {
            sql: format!("({} IS NOT NULL)::int", column(field)),
            wrap: ("", ""),
            value: Lit::Int(present),
            dir,
        });
    }
    let (sql, wrap) = match (field.kind, field.nullable) {
        (Kind::Text, false) => (
            format!("lower({}) COLLATE \"C\"", column(field)),
            ("lower(", ") COLLATE \"C\""),
        ),
        (Kind::Text, true) => (
            format!("COALESCE(lower({}), '') COLLATE \"C\"", column(field)),
            ("lower(", ") COLLATE \"C\""),
        ),
        (Kind::Int, true) => (format!("COALESCE({}, 0)", column(field)), ("", "")),
        (Kind::Time, true) => (
            format!("COALESCE({}, 'epoch'::timestamptz)", column(field)),
            ("", ""),
        ),
        (_, false) => (column(field).to_owned(), ("", "")),
    };
    out.push(Key {
        sql,
        wrap,
        value: if *value == Lit::Null {
            sentinel
        } else {
            value.clone()
        },
        dir,
    });
    out
}

/// Rows after the cursor's: lexicographically past its keys, then past its id.
fn after(keys: &[Key], id: &str) -> Cond {
    let compare = |k: &Key, op: &str| {
        bound(
            &format!("({} {op} {}", k.sql, k.wrap.0),
            &k.value,
            &format!("{})", k.wrap.1),
        )
    };
    let mut alternatives = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let mut parts: Vec<Cond> = keys[..i].iter().map(|k| compare(k, "=")).collect();
        parts.push(compare(key, if key.dir == Dir::Asc { ">" } else { "<" }));
        alternatives.push(and(parts));
    }
    let mut tie: Vec<Cond> = keys.iter().map(|k| compare(k, "=")).collect();
    tie.push(bound(
        "(id COLLATE \"C\" > ",
        &Lit::Text(id.to_owned()),
        ")",
    ));
    alternatives.push(and(tie));
    or(alternatives)
}

fn base<'a>(org: &'a OrgId, search: &'a Search) -> workflows::BoxedQuery<'a, Pg> {
    let mut q = workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::deleted_at.is_null())
        .filter(condition(&search.filter))
        .into_boxed();
    if let Some(text) = search.text.as_deref() {
        let pattern = crate::sql_text::contains_pattern(text);
        q = q.filter(
            workflows::name
                .ilike(pattern.clone())
                .or(workflows::description.ilike(pattern)),
        );
    }
    q
}

/// The org's workflows the search lets through: one page, the total, and the next cursor.
pub async fn search(conn: &mut Conn, org: &OrgId, search: &Search) -> QueryResult<Page<Workflow>> {
    let total: i64 = base(org, search).count().get_result(conn).await?;
    let mut q = base(org, search).select(super::WorkflowRow::as_select());
    for (field, dir) in &search.sort {
        for key in keys(field, *dir, &Lit::Null) {
            let expr = sql::<Text>(&key.sql);
            q = match dir {
                Dir::Asc => q.then_order_by(expr.asc()),
                Dir::Desc => q.then_order_by(expr.desc()),
            };
        }
    }
    q = q.then_order_by(sql::<Text>("id COLLATE \"C\"").asc());
    if let Some(cursor) = &search.after {
        let all: Vec<Key> = search
            .sort
            .iter()
            .zip(&cursor.values)
            .flat_map(|((field, dir), value)| keys(field, *dir, value))
            .collect();
        q = q.filter(after(&all, &cursor.id));
    }
    let rows: Vec<super::WorkflowRow> = q.limit(search.limit + 1).load(conn).await?;
    let mut results: Vec<Workflow> = rows.into_iter().map(Workflow::from).collect();
    let has_more = results.len() as i64 > search.limit;
    results.truncate(search.limit as usize);
    let cursor = match results.last() {
        Some(last) if has_more => {
            let resource = last.to_resource();
            let map = resource.as_object().cloned().unwrap_or_default();
            let values: Vec<Lit> = search.sort.iter().map(|(f, _)| value_of(&map, f)).collect();
            Some(search.cursor(&values, last.id.as_str()))
        }
        _ => None,
    };
    Ok(Page {
        results,
        total,
        has_more,
        cursor,
        previous: None,
        offset: 0,
    })
}
