use super::*;
use crate::error::DomainError;

fn fields(pairs: &[(&str, &str)]) -> Vec<String> {
    match Search::parse(pairs) {
        Ok(_) => Vec::new(),
        Err(DomainError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn filters_read_flat_and_as_json_and_each_bad_part_is_named() {
    let search = Search::parse(&[
        ("status", "Activated"),
        ("filter", r#"{"runCount": {"$gt": 5, "$lte": 9}, "$or": [{"name": {"$regex": "^A", "$options": "i"}}, {"lastRunAt": null}]}"#),
        ("sort", "-lastRunAt,name"),
        ("limit", "10"),
    ])
    .expect("valid");
    assert_eq!(search.limit, 10);
    assert_eq!(search.sort.len(), 2);
    assert_eq!(search.sort[0].1, Dir::Desc);
    assert_eq!(fields(&[("colour", "red")]), ["colour"]);
    assert_eq!(
        fields(&[("filter", r#"{"runCount": {"$near": 5}}"#)]),
        ["filter.runCount.$near"]
    );
    assert_eq!(
        fields(&[("filter", r#"{"runCount": "five"}"#)]),
        ["filter.runCount"]
    );
    assert_eq!(
        fields(&[("filter", r#"{"$where": "1"}"#)]),
        ["filter.$where"]
    );
    assert_eq!(
        fields(&[("filter", r#"{"lastRunAt": {"$gt": "yesterday"}}"#)]),
        ["filter.lastRunAt.$gt"]
    );
    assert_eq!(
        fields(&[("filter", r#"{"runCount": {"$regex": "5"}}"#)]),
        ["filter.runCount.$regex"]
    );
    assert_eq!(fields(&[("filter", "[1]")]), ["filter"]);
    assert_eq!(fields(&[("filter", "{")]), ["filter"]);
    assert_eq!(fields(&[("sort", "colour")]), ["sort"]);
    assert_eq!(fields(&[("limit", "0")]), ["limit"]);
    assert_eq!(fields(&[("cursor", "nonsense")]), ["cursor"]);
    let mut deep = json!({"name": "x"});
    for _ in 0..10 {
        deep = json!({ "$not": deep });
    }
    assert!(
        fields(&[("filter", &deep.to_string())])
            .iter()
            .any(|f| f.starts_with("filter.$not"))
    );
}

#[test]
fn a_cursor_continues_only_the_sort_it_was_made_for() {
    let search = Search::parse(&[("sort", "-runCount")]).expect("valid");
    let cursor = search.cursor(&[Lit::Int(7)], "workflow_abcdefgh");
    let next = Search::parse(&[("sort", "-runCount"), ("cursor", &cursor)]).expect("valid");
    assert_eq!(
        next.after,
        Some(After {
            values: vec![Lit::Int(7)],
            id: "workflow_abcdefgh".into()
        })
    );
    assert_eq!(fields(&[("sort", "name"), ("cursor", &cursor)]), ["cursor"]);
}

#[test]
fn the_mcp_form_sorts_by_an_object() {
    let search = Search::from_json(
        &json!({"status": "Activated"}),
        &json!({"lastRunAt": "desc"}),
        &json!(20),
        &Value::Null,
    )
    .expect("valid");
    assert_eq!(
        (search.sort[0].0.name, search.sort[0].1, search.limit),
        ("lastRunAt", Dir::Desc, 20)
    );
    assert!(
        Search::from_json(
            &json!({}),
            &json!({"lastRunAt": "sideways"}),
            &Value::Null,
            &Value::Null
        )
        .is_err()
    );
}

#[test]
fn empty_filters_count_against_the_limit_of_conditions() {
    let empties = vec![json!({}); CONDITIONS_MAX + 1];
    let filter = json!({ "$or": empties }).to_string();
    assert_eq!(
        fields(&[("filter", &filter)]),
        [format!("filter.$or.{CONDITIONS_MAX}")]
    );
    let fine = json!({ "$or": vec![json!({}); CONDITIONS_MAX] }).to_string();
    assert!(fields(&[("filter", &fine)]).is_empty());
}

#[test]
fn a_regex_that_refers_back_is_refused_by_where_it_is() {
    assert_eq!(
        fields(&[("filter", r#"{"description": {"$regex": "^((a+)\\2)+$"}}"#)]),
        ["filter.description.$regex"]
    );
    assert!(fields(&[("filter", r#"{"description": {"$regex": "^a+$"}}"#)]).is_empty());
}
