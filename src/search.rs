//! Searching workflows the way the REST list and the MCP `search` tool ask: MongoDB-style
//! filters on the spec's field names (`$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $and
//! $or $not`), sorting by several fields, and opaque keyset cursors.
//!
//! The semantics, which the reference test checks against the SQL:
//! - a missing value is `null`; `null` sorts below every value, and only `$eq: null`,
//!   `$in: [null]`, `$ne`, `$nin` and `$exists` match it; `$gt`, `$lt`, ... and `$regex` do not;
//! - `$exists: true` means "has a value" (the resource always has the field);
//! - text compares by its bytes (`"B" < "a"`); `$regex` is a POSIX pattern, `$options: "i"`
//!   makes it ignore case; sorting text ignores case;
//! - `{field: value}` is `$eq`, several operators on one field must all hold, and `$not`
//!   works on one field's operators (`{runCount: {$not: {$gt: 5}}}`) or on a whole filter.

use crate::error::{DomainError, DomainResult};
use crate::workflow::FieldError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// At most this many conditions in one filter, and this deep.
pub const CONDITIONS_MAX: usize = 100;
pub const DEPTH_MAX: usize = 8;
/// At most this many values in `$in` / `$nin`, and this long a text or pattern.
pub const VALUES_MAX: usize = 100;
pub const TEXT_MAX: usize = 500;
/// At most this many sort keys.
pub const SORT_MAX: usize = 4;
pub const LIMIT_DEFAULT: i64 = 25;
pub const LIMIT_MAX: i64 = 100;

/// What kind of value a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Time,
}

/// A field of the resource, with the column that holds it.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

const fn field(name: &'static str, column: &'static str, kind: Kind, nullable: bool) -> Field {
    Field {
        name,
        column,
        kind,
        nullable,
    }
}

/// The Workflow's fields, as its resource names them.
pub static WORKFLOW_FIELDS: [Field; 18] = [
    field("$id", "id", Kind::Text, false),
    field("$version", "version", Kind::Int, false),
    field("$createdAt", "created_at", Kind::Time, false),
    field("$updatedAt", "updated_at", Kind::Time, false),
    field("$createdBy", "created_by", Kind::Text, true),
    field("name", "name", Kind::Text, false),
    field("description", "description", Kind::Text, false),
    field("triggerEvent", "trigger_event", Kind::Text, false),
    field("steps", "steps", Kind::Text, false),
    field("retryPolicy", "retry_policy", Kind::Text, true),
    field("errorHandling", "error_handling", Kind::Text, false),
    field("timeout", "timeout_ms", Kind::Int, true),
    field("status", "status", Kind::Text, false),
    field("version", "version", Kind::Int, false),
    field("lastRunAt", "last_run_at", Kind::Time, true),
    field("runCount", "run_count", Kind::Int, false),
    field("successCount", "success_count", Kind::Int, false),
    field("failureCount", "failure_count", Kind::Int, false),
];

impl Field {
    /// The values a field of names may hold (`status`, `errorHandling`), if it is one.
    fn one_of(&self) -> Option<Vec<&'static str>> {
        match self.name {
            "status" => Some(
                crate::status::Status::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect(),
            ),
            "errorHandling" => Some(
                crate::definition::ErrorHandling::ALL
                    .iter()
                    .map(|e| e.as_str())
                    .collect(),
            ),
            _ => None,
        }
    }
}

fn find_field(name: &str) -> Option<&'static Field> {
    WORKFLOW_FIELDS.iter().find(|f| f.name == name)
}

fn field_names() -> String {
    WORKFLOW_FIELDS
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value a filter compares with.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Null,
    Text(String),
    Int(i64),
    Time(OffsetDateTime),
}

impl Lit {
    fn to_json(&self) -> Value {
        match self {
            Lit::Null => Value::Null,
            Lit::Text(s) => json!(s),
            Lit::Int(n) => json!(n),
            Lit::Time(t) => json!(t.format(&Rfc3339).unwrap_or_default()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Compare(&'static Field, Cmp, Lit),
    /// `$in` (or, negated, `$nin`).
    In(&'static Field, Vec<Lit>),
    Exists(&'static Field, bool),
    Regex {
        field: &'static Field,
        pattern: String,
        ignore_case: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

/// Where the previous page ended: its last row's sort values and id.
#[derive(Clone, Debug, PartialEq)]
pub struct After {
    pub values: Vec<Lit>,
    pub id: String,
}

/// A whole search: filter, text, order, page size, and where to continue.
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    pub filter: Filter,
    pub text: Option<String>,
    pub sort: Vec<(&'static Field, Dir)>,
    pub limit: i64,
    pub after: Option<After>,
}

/// The filter's and the query's problems, each named by where it was found.
struct Reader {
    errors: Vec<FieldError>,
    conditions: usize,
}

impl Reader {
    fn problem(&mut self, at: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(at, message));
    }

    fn literal(&mut self, at: &str, field: &Field, value: &Value) -> Option<Lit> {
        let lit = match (field.kind, value) {
            (_, Value::Null) => Some(Lit::Null),
            (Kind::Text, Value::String(s)) if s.chars().count() <= TEXT_MAX => {
                Some(Lit::Text(s.clone()))
            }
            (Kind::Int, Value::Number(n)) => n.as_i64().map(Lit::Int),
            (Kind::Time, Value::String(s)) => {
                OffsetDateTime::parse(s, &Rfc3339).ok().map(Lit::Time)
            }
            _ => None,
        };
        if let Some(Lit::Text(text)) = &lit
            && let Some(names) = field.one_of()
            && !names.contains(&text.as_str())
        {
            self.problem(
                at,
                format!("`{text}` is not a {}: use {}", field.name, names.join(", ")),
            );
            return None;
        }
        if lit.is_none() {
            let expected = match field.kind {
                Kind::Text => format!("text (at most {TEXT_MAX} characters)"),
                Kind::Int => "a whole number".to_owned(),
                Kind::Time => "a date and time like 2026-11-27T10:00:00Z".to_owned(),
            };
            self.problem(
                at,
                format!(
                    "`{}` compares with {expected} or null, not {value}",
                    field.name
                ),
            );
        }
        lit
    }

    fn count(&mut self, at: &str) -> bool {
        self.conditions += 1;
        if self.conditions == CONDITIONS_MAX + 1 {
            self.problem(
                at,
                format!("A filter may have at most {CONDITIONS_MAX} conditions"),
            );
        }
        self.conditions <= CONDITIONS_MAX
    }

    /// `{field: value | {op: value, ...}, $and: [...], $or: [...], $not: {...}}`.
    fn filter(&mut self, at: &str, value: &Value, depth: usize) -> Filter {
        if depth > DEPTH_MAX {
            self.problem(at, format!("A filter may nest at most {DEPTH_MAX} levels"));
            return Filter::All(Vec::new());
        }
        let Value::Object(map) = value else {
            self.problem(
                at,
                "A filter is a JSON object, like {\"status\": \"Activated\"}",
            );
            return Filter::All(Vec::new());
        };
        let mut all = Vec::new();
        for (key, value) in map {
            let here = format!("{at}.{key}");
            match key.as_str() {
                "$and" | "$or" => {
                    let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
                        self.problem(&here, format!("`{key}` takes a non-empty array of filters"));
                        continue;
                    };
                    let parts = items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| self.filter(&format!("{here}.{i}"), v, depth + 1))
                        .collect();
                    all.push(if key == "$and" {
                        Filter::All(parts)
                    } else {
                        Filter::Any(parts)
                    });
                }
                "$not" => all.push(Filter::Not(Box::new(self.filter(&here, value, depth + 1)))),
                op if op.starts_with('$') && find_field(op).is_none() => self.problem(
                    &here,
                    format!(
                        "`{op}` is not an operator here: use $and, $or or $not, or a field name"
                    ),
                ),
                name => match find_field(name) {
                    Some(field) => all.push(self.field(&here, field, value, depth)),
                    None => self.problem(
                        &here,
                        format!(
                            "`{name}` is not a field of Workflow; the fields are {}",
                            field_names()
                        ),
                    ),
                },
            }
        }
        Filter::All(all)
    }

    /// One field's condition: a value (`$eq`), or an object of operators that must all hold.
    fn field(&mut self, at: &str, field: &'static Field, value: &Value, depth: usize) -> Filter {
        if depth > DEPTH_MAX {
            self.problem(at, format!("A filter may nest at most {DEPTH_MAX} levels"));
            return Filter::All(Vec::new());
        }
        let ops = match value {
            Value::Object(map) if map.keys().any(|k| k.starts_with('$')) => map,
            _ => {
                if !self.count(at) {
                    return Filter::All(Vec::new());
                }
                return match self.literal(at, field, value) {
                    Some(lit) => Filter::Compare(field, Cmp::Eq, lit),
                    None => Filter::All(Vec::new()),
                };
            }
        };
        let mut all = Vec::new();
        let ignore_case = match ops.get("$options") {
            None => false,
            Some(Value::String(o)) if o == "i" => true,
            Some(Value::String(o)) if o.is_empty() => false,
            Some(_) => {
                self.problem(
                    &format!("{at}.$options"),
                    "`$options` may only be \"i\" (ignore case)",
                );
                false
            }
        };
        if ops.contains_key("$options") && !ops.contains_key("$regex") {
            self.problem(&format!("{at}.$options"), "`$options` goes with `$regex`");
        }
        for (op, operand) in ops {
            let here = format!("{at}.{op}");
            if op != "$options" && !self.count(&here) {
                break;
            }
            let cmp = match op.as_str() {
                "$eq" => Some(Cmp::Eq),
                "$ne" => Some(Cmp::Ne),
                "$gt" => Some(Cmp::Gt),
                "$gte" => Some(Cmp::Gte),
                "$lt" => Some(Cmp::Lt),
                "$lte" => Some(Cmp::Lte),
                _ => None,
            };
            if let Some(cmp) = cmp {
                if let Some(lit) = self.literal(&here, field, operand) {
                    if lit == Lit::Null && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                        self.problem(&here, format!("`{op}` compares with a value, not null"));
                    } else {
                        all.push(Filter::Compare(field, cmp, lit));
                    }
                }
                continue;
            }
            match op.as_str() {
                "$in" | "$nin" => {
                    let Some(items) = operand.as_array().filter(|a| a.len() <= VALUES_MAX) else {
                        self.problem(&here, format!("`{op}` takes an array of at most {VALUES_MAX} values"));
                        continue;
                    };
                    let lits: Vec<Lit> = items
                        .iter()
                        .filter_map(|v| self.literal(&here, field, v))
                        .collect();
                    let found = Filter::In(field, lits);
                    all.push(if op == "$in" {
                        found
                    } else {
                        Filter::Not(Box::new(found))
                    });
                }
                "$exists" => match operand {
                    Value::Bool(b) => all.push(Filter::Exists(field, *b)),
                    _ => self.problem(&here, "`$exists` takes true or false"),
                },
                "$regex" => match operand {
                    Value::String(p) if !p.is_empty() && p.chars().count() <= TEXT_MAX => {
                        if field.kind == Kind::Text {
                            all.push(Filter::Regex {
                                field,
                                pattern: p.clone(),
                                ignore_case,
                            });
                        } else {
                            self.problem(&here, format!("`$regex` matches text; `{}` is not text", field.name));
                        }
                    }
                    _ => self.problem(&here, format!("`$regex` takes a pattern of 1 to {TEXT_MAX} characters")),
                },
                "$not" => {
                    let inner = self.field(&here, field, operand, depth + 1);
                    all.push(Filter::Not(Box::new(inner)));
                }
                "$options" => {}
                other => self.problem(
                    &here,
                    format!(
                        "`{other}` is not an operator: use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $regex or $not"
                    ),
                ),
            }
        }
        Filter::All(all)
    }
}

/// The sort keys of `-lastRunAt,name` (a leading `-` is descending); `$id` breaks ties.
fn sort_keys(at: &str, text: &str, errors: &mut Vec<FieldError>) -> Vec<(&'static Field, Dir)> {
    let mut keys = Vec::new();
    for key in text.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let (name, dir) = match key.strip_prefix('-') {
            Some(name) => (name, Dir::Desc),
            None => (key.strip_prefix('+').unwrap_or(key), Dir::Asc),
        };
        match find_field(name) {
            Some(f) if f.name == "steps" || f.name == "retryPolicy" => errors.push(
                FieldError::new(at, format!("Workflows cannot be sorted by `{name}`")),
            ),
            Some(f) => keys.push((f, dir)),
            None => errors.push(FieldError::new(
                at,
                format!(
                    "`{name}` is not a field to sort by; the fields are {}",
                    field_names()
                ),
            )),
        }
    }
    if keys.len() > SORT_MAX {
        errors.push(FieldError::new(
            at,
            format!("Sort by at most {SORT_MAX} fields"),
        ));
    }
    if keys.is_empty() {
        keys.push((&WORKFLOW_FIELDS[2], Dir::Desc));
    }
    keys
}

fn sort_text(sort: &[(&'static Field, Dir)]) -> String {
    sort.iter()
        .map(|(f, d)| match d {
            Dir::Asc => f.name.to_owned(),
            Dir::Desc => format!("-{}", f.name),
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Search {
    /// The cursor that continues after `values` (the last row's sort values) and `id`.
    pub fn cursor(&self, values: &[Lit], id: &str) -> String {
        let body = json!({
            "s": sort_text(&self.sort),
            "v": values.iter().map(Lit::to_json).collect::<Vec<_>>(),
            "id": id,
        });
        URL_SAFE_NO_PAD.encode(body.to_string())
    }

    fn read_cursor(&self, text: &str) -> Option<After> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let body: Value = serde_json::from_slice(&bytes).ok()?;
        if body["s"].as_str()? != sort_text(&self.sort) {
            return None;
        }
        let values = body["v"].as_array()?;
        if values.len() != self.sort.len() {
            return None;
        }
        let mut reader = Reader {
            errors: Vec::new(),
            conditions: 0,
        };
        let lits: Vec<Lit> = self
            .sort
            .iter()
            .zip(values)
            .filter_map(|((f, _), v)| reader.literal("cursor", f, v))
            .collect();
        (reader.errors.is_empty() && lits.len() == self.sort.len()).then(|| After {
            values: lits,
            id: body["id"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// A search from the MCP tool's JSON: `filter` an object, `sort` an object of
    /// `"asc"`/`"desc"` by field (`{"lastRunAt": "desc"}`), `limit`, and `cursor`.
    pub fn from_json(
        filter: &Value,
        sort: &Value,
        limit: &Value,
        cursor: &Value,
    ) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let sort_text = match sort {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Object(map) => map
                .iter()
                .map(
                    |(k, v)| match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                        Some("desc") | Some("-1") => format!("-{k}"),
                        _ if v == &json!(-1) => format!("-{k}"),
                        Some("asc") | Some("1") => k.clone(),
                        _ if v == &json!(1) => k.clone(),
                        _ => {
                            errors.push(FieldError::new(
                                "sort",
                                format!("Sort `{k}` by \"asc\" or \"desc\""),
                            ));
                            k.clone()
                        }
                    },
                )
                .collect::<Vec<_>>()
                .join(","),
            _ => {
                errors.push(FieldError::new(
                    "sort",
                    "`sort` is an object like {\"lastRunAt\": \"desc\"}",
                ));
                String::new()
            }
        };
        let limit_text = match limit {
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let filter_text = match filter {
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let cursor_text = cursor.as_str().unwrap_or_default();
        let mut pairs = vec![("sort", sort_text.as_str()), ("limit", limit_text.as_str())];
        pairs.push(("filter", filter_text.as_str()));
        pairs.push(("cursor", cursor_text));
        match Self::parse(&pairs) {
            Ok(search) if errors.is_empty() => Ok(search),
            Ok(_) => Err(DomainError::Validation(errors)),
            Err(DomainError::Validation(more)) => {
                errors.extend(more);
                Err(DomainError::Validation(errors))
            }
            Err(other) => Err(other),
        }
    }

    /// A search from a query string: flat filters (`status=Activated&triggerEvent=Deal.won`),
    /// `filter` (JSON), `q`, `sort`, `limit`, `cursor`. Every problem is listed, each named by
    /// where it was found (`filter.runCount.$gt`).
    pub fn parse(pairs: &[(&str, &str)]) -> DomainResult<Self> {
        let mut reader = Reader {
            errors: Vec::new(),
            conditions: 0,
        };
        let mut all = Vec::new();
        let (mut text, mut sort, mut limit, mut cursor) = (None, "", LIMIT_DEFAULT, None);
        for (key, value) in pairs {
            match *key {
                "q" => text = Some(value.trim().to_owned()).filter(|t| !t.is_empty()),
                "sort" => sort = value,
                "cursor" => cursor = Some(*value).filter(|c| !c.trim().is_empty()),
                "limit" if value.trim().is_empty() => {}
                "limit" => match value.trim().parse::<i64>() {
                    Ok(n) if (1..=LIMIT_MAX).contains(&n) => limit = n,
                    _ => reader.problem("limit", format!("limit must be a number from 1 to {LIMIT_MAX}")),
                },
                "filter" if value.trim().is_empty() => {}
                "filter" => match serde_json::from_str::<Value>(value) {
                    Ok(v) => all.push(reader.filter("filter", &v, 0)),
                    Err(e) => reader.problem("filter", format!("filter must be a JSON object: {e}")),
                },
                name => match find_field(name) {
                    Some(field) => {
                        let lit = match field.kind {
                            Kind::Text => Some(Value::String((*value).to_owned())),
                            Kind::Int => value.trim().parse::<i64>().ok().map(Value::from),
                            Kind::Time => Some(Value::String((*value).to_owned())),
                        };
                        match lit.and_then(|v| reader.literal(name, field, &v)) {
                            Some(lit) => all.push(Filter::Compare(field, Cmp::Eq, lit)),
                            None if field.kind == Kind::Int => {
                                reader.problem(name, format!("`{name}` must be a whole number"))
                            }
                            None => {}
                        }
                    }
                    None => reader.problem(
                        name,
                        format!(
                            "`{name}` is not a filter: use a field ({}), filter, q, sort, limit or cursor",
                            field_names()
                        ),
                    ),
                },
            }
        }
        let sort = sort_keys("sort", sort, &mut reader.errors);
        let mut search = Search {
            filter: Filter::All(all),
            text,
            sort,
            limit,
            after: None,
        };
        if let Some(c) = cursor {
            search.after = search.read_cursor(c);
            if search.after.is_none() {
                reader.problem(
                    "cursor",
                    "cursor must be the `cursor` of an earlier page with the same sort",
                );
            }
        }
        if reader.errors.is_empty() {
            Ok(search)
        } else {
            Err(DomainError::Validation(reader.errors))
        }
    }
}

/// The resource's value of `field` in `resource` (a workflow as `to_resource` shows it).
pub fn value_of(resource: &Map<String, Value>, field: &Field) -> Lit {
    let value = resource.get(field.name).unwrap_or(&Value::Null);
    match (field.kind, value) {
        (_, Value::Null) => Lit::Null,
        (Kind::Int, v) => v.as_i64().map_or(Lit::Null, Lit::Int),
        (Kind::Time, Value::String(s)) => {
            OffsetDateTime::parse(s, &Rfc3339).map_or(Lit::Null, Lit::Time)
        }
        (Kind::Text, Value::String(s)) => Lit::Text(s.clone()),
        (Kind::Text, other) => Lit::Text(other.to_string()),
        _ => Lit::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
