//! The workflow search (REST list, MCP `search`) against a reference: for a seeded set of
//! workflows, every operator's results, walked page by page with the cursor, equal the same
//! query evaluated here in Rust over the whole set, in the same order.

use crate::input;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use switchyard::entity::Member;
use switchyard::hooks::Hooks;
use switchyard::schema::workflows;
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::{RetryInput, WorkflowInput};
use switchyard::workflow_search::Search;
use switchyard::{Role, verbs};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

type Resource = Map<String, Value>;

struct Seed {
    name: &'static str,
    trigger: &'static str,
    description: &'static str,
    error_handling: &'static str,
    timeout: Option<i64>,
    retry: bool,
    verbs: &'static [&'static str],
    runs: (i64, i64, i64),
    /// Hours before now of its last run.
    last_run: Option<i64>,
}

const SEEDS: &[Seed] = &[
    Seed {
        name: "alpha",
        trigger: "Deal.won",
        description: "",
        error_handling: "Stop",
        timeout: None,
        retry: false,
        verbs: &["activate"],
        runs: (10, 9, 1),
        last_run: Some(1),
    },
    Seed {
        name: "Beta",
        trigger: "Deal.won",
        description: "billing",
        error_handling: "Continue",
        timeout: Some(30_000),
        retry: true,
        verbs: &["activate", "pause"],
        runs: (5, 5, 0),
        last_run: Some(30),
    },
    Seed {
        name: "gamma",
        trigger: "Lead.created",
        description: "",
        error_handling: "Fallback",
        timeout: Some(10_000),
        retry: false,
        verbs: &[],
        runs: (0, 0, 0),
        last_run: None,
    },
    Seed {
        name: "Delta",
        trigger: "Contact.created",
        description: "Sales",
        error_handling: "Stop",
        timeout: Some(30_000),
        retry: false,
        verbs: &["activate"],
        runs: (5, 2, 3),
        last_run: Some(5),
    },
    Seed {
        name: "epsilon",
        trigger: "Lead.created",
        description: "",
        error_handling: "Continue",
        timeout: None,
        retry: true,
        verbs: &["activate", "pause", "archive"],
        runs: (2, 1, 1),
        last_run: Some(200),
    },
    Seed {
        name: "Zeta",
        trigger: "Deal.won",
        description: "ops",
        error_handling: "Stop",
        timeout: Some(5_000),
        retry: false,
        verbs: &["activate"],
        runs: (7, 7, 0),
        last_run: Some(1),
    },
    Seed {
        name: "eta",
        trigger: "Invoice.paid",
        description: "",
        error_handling: "Stop",
        timeout: None,
        retry: false,
        verbs: &[],
        runs: (0, 0, 0),
        last_run: None,
    },
    Seed {
        name: "theta",
        trigger: "Deal.won",
        description: "",
        error_handling: "Fallback",
        timeout: Some(20_000),
        retry: true,
        verbs: &["activate", "pause"],
        runs: (50, 40, 10),
        last_run: Some(3),
    },
    Seed {
        name: "Iota",
        trigger: "Contact.created",
        description: "",
        error_handling: "Stop",
        timeout: None,
        retry: false,
        verbs: &["activate"],
        runs: (1, 0, 1),
        last_run: Some(2),
    },
    Seed {
        name: "kappa",
        trigger: "Lead.created",
        description: "scoring",
        error_handling: "Continue",
        timeout: Some(20_000),
        retry: false,
        verbs: &[],
        runs: (0, 0, 0),
        last_run: None,
    },
    Seed {
        name: "alpha",
        trigger: "Invoice.paid",
        description: "a second alpha",
        error_handling: "Stop",
        timeout: Some(1_000),
        retry: false,
        verbs: &["activate"],
        runs: (5, 4, 1),
        last_run: Some(1),
    },
];

async fn seed(db: &TestDb) -> (Member, OffsetDateTime) {
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("now");
    for (i, s) in SEEDS.iter().enumerate() {
        let mut steps = input(s.name, 1 + i % 3).steps;
        for step in &mut steps {
            step.mapping[0].expr = "event.type".into();
        }
        if i % 2 == 0 {
            steps[0].action = "Project.create".into();
        }
        let fields = WorkflowInput {
            name: s.name.into(),
            description: s.description.into(),
            trigger_event: s.trigger.into(),
            error_handling: s.error_handling.into(),
            timeout_ms: s.timeout.map(|t| t.to_string()).unwrap_or_default(),
            retry: if s.retry {
                RetryInput {
                    max_attempts: "3".into(),
                    ..Default::default()
                }
            } else {
                RetryInput::default()
            },
            steps,
        };
        let w = verbs::create(&mut conn, &hooks, &admin, &fields)
            .await
            .expect("create");
        for verb in s.verbs {
            verbs::apply(
                &mut conn,
                &hooks,
                &admin,
                &w.id,
                verb.parse().expect("verb"),
            )
            .await
            .expect("verb");
        }
        diesel::update(workflows::table.find(w.id.sql()))
            .set((
                workflows::run_count.eq(s.runs.0),
                workflows::success_count.eq(s.runs.1),
                workflows::failure_count.eq(s.runs.2),
                workflows::last_run_at.eq(s.last_run.map(|h| now - Duration::hours(h))),
                // Distinct creation times, a minute apart, so that the default order is known.
                workflows::created_at.eq(now - Duration::minutes(100 - i as i64)),
            ))
            .execute(&mut conn)
            .await
            .expect("counters");
    }
    // Another organization's workflow, which no search of acme's may find.
    let globex = member(&mut conn, "globex", Role::Admin).await;
    verbs::create(&mut conn, &hooks, &globex, &input("alpha", 1))
        .await
        .expect("globex");
    (admin, now)
}

async fn all_resources(db: &TestDb, admin: &Member) -> Vec<Resource> {
    let mut conn = db.conn().await;
    let rows: Vec<switchyard::repo::workflow::WorkflowRow> = workflows::table
        .filter(workflows::org_id.eq(admin.org.id.sql()))
        .filter(workflows::deleted_at.is_null())
        .select(switchyard::repo::workflow::WorkflowRow::as_select())
        .load(&mut conn)
        .await
        .expect("all");
    let rows: Vec<switchyard::Workflow> = rows.into_iter().map(Into::into).collect();
    rows.iter()
        .map(|w| w.to_resource().as_object().cloned().expect("object"))
        .collect()
}

// ---- The reference: MongoDB's semantics as search.rs documents them, over JSON. ----

fn time_of(v: &Value) -> Option<OffsetDateTime> {
    v.as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
}

fn is_time_field(field: &str) -> bool {
    matches!(field, "$createdAt" | "$updatedAt" | "lastRunAt")
}

/// The field's value as stored (steps and the retry policy as their JSON text).
fn field_value(r: &Resource, field: &str) -> Value {
    match r.get(field) {
        Some(Value::Array(_)) | Some(Value::Object(_)) => Value::String(r[field].to_string()),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

/// `a` against `b`, both present: numbers, times or text by bytes.
fn compare(field: &str, a: &Value, b: &Value) -> Option<Ordering> {
    if is_time_field(field) {
        return Some(time_of(a)?.cmp(&time_of(b)?));
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(x.as_i64()?.cmp(&y.as_i64()?)),
        (Value::String(x), Value::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

fn equal(field: &str, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => compare(field, a, b) == Some(Ordering::Equal),
    }
}

fn field_matches(field: &str, value: &Value, condition: &Value) -> bool {
    let ops = match condition {
        Value::Object(map) if map.keys().any(|k| k.starts_with('$')) => map,
        plain => return equal(field, value, plain),
    };
    let ignore_case = ops.get("$options") == Some(&json!("i"));
    ops.iter().all(|(op, operand)| match op.as_str() {
        "$eq" => equal(field, value, operand),
        "$ne" => !equal(field, value, operand),
        "$gt" | "$gte" | "$lt" | "$lte" => {
            let Some(order) = (!value.is_null())
                .then(|| compare(field, value, operand))
                .flatten()
            else {
                return false;
            };
            match op.as_str() {
                "$gt" => order == Ordering::Greater,
                "$gte" => order != Ordering::Less,
                "$lt" => order == Ordering::Less,
                _ => order != Ordering::Greater,
            }
        }
        "$in" => operand
            .as_array()
            .expect("array")
            .iter()
            .any(|o| equal(field, value, o)),
        "$nin" => !operand
            .as_array()
            .expect("array")
            .iter()
            .any(|o| equal(field, value, o)),
        "$exists" => value.is_null() != operand.as_bool().expect("bool"),
        "$regex" => value.as_str().is_some_and(|text| {
            let pattern = operand.as_str().expect("pattern");
            let pattern = if ignore_case {
                format!("(?i){pattern}")
            } else {
                pattern.to_owned()
            };
            regex::Regex::new(&pattern).expect("regex").is_match(text)
        }),
        "$not" => !field_matches(field, value, operand),
        "$options" => true,
        other => panic!("the reference does not know {other}"),
    })
}

fn matches(r: &Resource, filter: &Value) -> bool {
    filter
        .as_object()
        .expect("filter object")
        .iter()
        .all(|(key, cond)| match key.as_str() {
            "$and" => cond
                .as_array()
                .expect("array")
                .iter()
                .all(|f| matches(r, f)),
            "$or" => cond
                .as_array()
                .expect("array")
                .iter()
                .any(|f| matches(r, f)),
            "$not" => !matches(r, cond),
            field => field_matches(field, &field_value(r, field), cond),
        })
}

/// Sorting: missing values lowest, text ignoring case, then `$id` by its bytes.
fn order(sort: &str, a: &Resource, b: &Resource) -> Ordering {
    for key in sort.split(',') {
        let (field, desc) = match key.strip_prefix('-') {
            Some(f) => (f, true),
            None => (key, false),
        };
        let (x, y) = (field_value(a, field), field_value(b, field));
        let lower = |v: &Value| match v {
            Value::String(s) if !is_time_field(field) => Value::String(s.to_lowercase()),
            other => other.clone(),
        };
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => compare(field, &lower(&x), &lower(&y)).expect("comparable"),
        };
        let o = if desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a["$id"].as_str().cmp(&b["$id"].as_str())
}

fn id(r: &Resource) -> String {
    r["$id"].as_str().expect("id").to_owned()
}

/// Every page of the search, walked with its cursor, `limit` at a time.
async fn walk(
    db: &TestDb,
    admin: &Member,
    filter: &Value,
    sort: &str,
    limit: i64,
) -> (Vec<String>, i64) {
    let mut conn = db.conn().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total = None;
    loop {
        let filter_text = filter.to_string();
        let limit_text = limit.to_string();
        let mut pairs = vec![
            ("filter", filter_text.as_str()),
            ("sort", sort),
            ("limit", limit_text.as_str()),
        ];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c.as_str()));
        }
        let search = Search::parse(&pairs).unwrap_or_else(|e| panic!("{filter}: {e:?}"));
        let page = switchyard::read_model::workflow::search(&mut conn, admin, &search)
            .await
            .unwrap_or_else(|e| panic!("{filter} {sort}: {e:?}"));
        assert!(page.results.len() as i64 <= limit);
        total = total.or(Some(page.total));
        seen.extend(page.results.iter().map(|w| w.id.to_string()));
        match page.cursor {
            Some(c) if page.has_more => cursor = Some(c),
            _ => break,
        }
        assert!(seen.len() < 100, "the walk ends");
    }
    (seen, total.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operator_gives_what_the_reference_gives_in_the_same_order() {
    let db = TestDb::new().await;
    let (admin, now) = seed(&db).await;
    let all = all_resources(&db, &admin).await;
    assert_eq!(all.len(), SEEDS.len());
    let hours_ago = |h: i64| (now - Duration::hours(h)).format(&Rfc3339).expect("time");
    let filters = [
        json!({}),
        json!({"status": "Activated"}),
        json!({"status": {"$eq": "Paused"}}),
        json!({"status": {"$ne": "Draft"}}),
        json!({"runCount": {"$gt": 5}}),
        json!({"runCount": {"$gte": 5}}),
        json!({"runCount": {"$lt": 5}}),
        json!({"runCount": {"$lte": 5}}),
        json!({"runCount": {"$gte": 2, "$lt": 10}}),
        json!({"lastRunAt": {"$gt": hours_ago(4)}}),
        json!({"lastRunAt": {"$lte": hours_ago(5)}}),
        json!({"lastRunAt": null}),
        json!({"timeout": {"$lt": 20_000}}),
        json!({"timeout": {"$not": {"$lt": 20_000}}}),
        json!({"timeout": {"$ne": 30_000}}),
        json!({"timeout": {"$ne": null}}),
        json!({"timeout": {"$in": [null, 30_000]}}),
        json!({"timeout": {"$nin": [20_000, 30_000]}}),
        json!({"triggerEvent": {"$in": ["Deal.won", "Lead.created"]}}),
        json!({"triggerEvent": {"$nin": ["Deal.won", "Lead.created"]}}),
        json!({"lastRunAt": {"$exists": true}}),
        json!({"retryPolicy": {"$exists": false}}),
        json!({"name": {"$regex": "^[a-d]"}}),
        json!({"name": {"$regex": "^[a-d]", "$options": "i"}}),
        json!({"steps": {"$regex": "Project\\.create"}}),
        json!({"name": {"$gt": "D"}}),
        json!({"name": "alpha"}),
        json!({"description": ""}),
        json!({"errorHandling": {"$in": ["Continue", "Fallback"]}, "status": {"$ne": "Archived"}}),
        json!({"$and": [{"runCount": {"$gt": 0}}, {"failureCount": {"$gte": 1}}]}),
        json!({"$or": [{"status": "Draft"}, {"failureCount": {"$gt": 2}}]}),
        json!({"$not": {"status": "Activated"}}),
        json!({"$or": [{"$and": [{"triggerEvent": "Deal.won"}, {"timeout": null}]}, {"$not": {"runCount": {"$lte": 7}}}]}),
        json!({"$createdBy": {"$exists": true}, "$version": {"$gte": 1}}),
        json!({"$createdAt": {"$gte": (now - Duration::minutes(95)).format(&Rfc3339).expect("t")}}),
    ];
    let sorts = [
        "-$createdAt",
        "name",
        "-lastRunAt,name",
        "timeout,-runCount",
        "status,-name",
        "-timeout",
    ];
    let mut checked = 0;
    for filter in &filters {
        for sort in sorts {
            let mut expected: Vec<&Resource> = all.iter().filter(|r| matches(r, filter)).collect();
            expected.sort_by(|a, b| order(sort, a, b));
            let expected: Vec<String> = expected.into_iter().map(id).collect();
            let (got, total) = walk(&db, &admin, filter, sort, 3).await;
            assert_eq!(got, expected, "filter {filter}, sort {sort}");
            assert_eq!(total, expected.len() as i64, "total of {filter}");
            checked += 1;
        }
    }
    assert_eq!(checked, filters.len() * sorts.len());
    // The reference is not vacuous: most filters keep some workflows and drop others.
    let partial = filters
        .iter()
        .filter(|f| {
            let n = all.iter().filter(|r| matches(r, f)).count();
            n > 0 && n < all.len()
        })
        .count();
    assert!(
        partial >= filters.len() - 3,
        "{partial} of {} filters split the set",
        filters.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_walk_sees_every_workflow_once_while_others_are_written() {
    let db = TestDb::new().await;
    let (admin, _) = seed(&db).await;
    let before: Vec<String> = all_resources(&db, &admin).await.iter().map(id).collect();
    let hooks = Hooks::with_defaults();
    for sort in ["-$createdAt", "name", "-$updatedAt"] {
        let mut conn = db.conn().await;
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut round = 0;
        loop {
            let mut pairs = vec![("sort", sort), ("limit", "2")];
            if let Some(c) = &cursor {
                pairs.push(("cursor", c.as_str()));
            }
            let search = Search::parse(&pairs).expect("search");
            let page = switchyard::read_model::workflow::search(&mut conn, &admin, &search)
                .await
                .expect("page");
            seen.extend(page.results.iter().map(|w| w.id.to_string()));
            // Meanwhile, someone creates workflows (names before and after the cursor).
            round += 1;
            for name in [format!("aaa {sort} {round}"), format!("zzz {sort} {round}")] {
                verbs::create(&mut conn, &hooks, &admin, &input(&name, 1))
                    .await
                    .expect("create");
            }
            match page.cursor {
                Some(c) if page.has_more => cursor = Some(c),
                _ => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{sort}: none twice");
        for id in &before {
            assert!(seen.contains(id), "{sort}: {id} was missed");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pattern_postgresql_cannot_read_is_the_filters_error() {
    let db = TestDb::new().await;
    let (admin, _) = seed(&db).await;
    let mut conn = db.conn().await;
    let search =
        Search::parse(&[("filter", r#"{"name": {"$regex": "(unclosed"}}"#)]).expect("parsed");
    let err = switchyard::read_model::workflow::search(&mut conn, &admin, &search)
        .await
        .expect_err("refused");
    match err {
        switchyard::DomainError::Validation(fields) => assert_eq!(fields[0].field, "filter"),
        other => panic!("{other:?}"),
    }
}
