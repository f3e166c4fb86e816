//! A whole search from a query string or the MCP tool's JSON: filters, text, sort, limit, and
//! the opaque keyset cursor.

use super::fields::{WORKFLOW_FIELDS, field_names, find_field};
use super::filter::Reader;
use super::{
    After, Cmp, Dir, Field, Filter, Kind, LIMIT_DEFAULT, LIMIT_MAX, Lit, SORT_MAX, Search,
};
use crate::error::{DomainError, DomainResult};
use crate::list_query::{decode_cursor, encode_cursor};
use crate::workflow::FieldError;
use serde_json::{Value, json};

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
        encode_cursor(&json!({
            "s": sort_text(&self.sort),
            "v": values.iter().map(Lit::to_json).collect::<Vec<_>>(),
            "id": id,
        }))
    }

    fn read_cursor(&self, text: &str) -> Option<After> {
        let body = decode_cursor(text)?;
        if body["s"].as_str()? != sort_text(&self.sort) {
            return None;
        }
        let values = body["v"].as_array()?;
        if values.len() != self.sort.len() {
            return None;
        }
        let mut reader = Reader::default();
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
        let mut reader = Reader::default();
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
