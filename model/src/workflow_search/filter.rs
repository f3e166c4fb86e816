//! Reading a filter: `{field: value | {op: value, ...}, $and, $or, $not}` into `Filter`, every
//! problem named by where it was found (`filter.runCount.$near`).

use super::fields::{field_names, find_field};
use super::{
    CONDITIONS_MAX, Cmp, DEPTH_MAX, Field, Filter, Kind, Lit, REGEX_MAX, TEXT_MAX, VALUES_MAX,
};
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
        // An empty filter matches everything, and still counts: a thousand of them in an
        // `$or` would otherwise cost the database without a condition counted.
        if map.is_empty() && !self.count(at) {
            return Filter::All(Vec::new());
        }
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
                    Value::String(_) if field.kind != Kind::Text => {
                        self.problem(&here, format!("`$regex` matches text; `{}` is not text", field.name));
                    }
                    Value::String(p) => match regex_problem(p) {
                        None => all.push(Filter::Regex {
                            field,
                            pattern: p.clone(),
                            ignore_case,
                        }),
                        Some(problem) => self.problem(&here, problem),
                    },
                    _ => self.problem(&here, format!("`$regex` takes a pattern of 1 to {REGEX_MAX} characters")),
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

/// Why PostgreSQL is not given `pattern`, if it is not: too long, or with a back-reference
/// (`\1` to `\9`), which can make its matching take exponential time.
fn regex_problem(pattern: &str) -> Option<String> {
    let length = pattern.chars().count();
    if length == 0 || length > REGEX_MAX {
        return Some(format!(
            "`$regex` takes a pattern of 1 to {REGEX_MAX} characters, not {length}"
        ));
    }
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(d @ '1'..='9') => {
                    return Some(format!(
                        "`$regex` patterns may not refer back to a group (`\\{d}`): such patterns can take the database minutes"
                    ));
                }
                _ => continue,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::regex_problem;

    #[test]
    fn patterns_that_refer_back_or_run_long_are_refused() {
        assert_eq!(
            regex_problem("^((a+)\\2)+$").map(|p| p.contains("\\2")),
            Some(true)
        );
        assert!(regex_problem("(x)\\1").is_some());
        assert!(regex_problem(&"a".repeat(201)).is_some());
        assert!(regex_problem("").is_some());
        // An escaped backslash before a digit is a backslash and a digit, not a reference.
        assert_eq!(regex_problem("C:\\\\1"), None);
        assert_eq!(regex_problem("^Deal\\.w[a-z]+\\d$"), None);
        assert_eq!(regex_problem(&"a".repeat(200)), None);
    }
}
