//! Reading a filter: `{field: value | {op: value, ...}, $and, $or, $not}` into `Filter`, every
//! problem named by where it was found (`filter.runCount.$near`).

use super::fields::{field_names, find_field};
use super::{CONDITIONS_MAX, Cmp, DEPTH_MAX, Field, Filter, Kind, Lit, TEXT_MAX, VALUES_MAX};
use crate::workflow::FieldError;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The filter's and the query's problems, each named by where it was found.
#[derive(Default)]
pub(super) struct Reader {
    pub(super) errors: Vec<FieldError>,
    conditions: usize,
}

impl Reader {
    pub(super) fn problem(&mut self, at: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(at, message));
    }

    pub(super) fn literal(&mut self, at: &str, field: &Field, value: &Value) -> Option<Lit> {
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
    pub(super) fn filter(&mut self, at: &str, value: &Value, depth: usize) -> Filter {
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
