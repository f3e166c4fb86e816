//! Sample event data as a form of its fields, not a JSON box: `{"contact": {"name": "Ada"}}` is
//! the field `contact.name` with the value `Ada`. The editor's preview and "Trigger by hand" show
//! it; what is posted back is read into the JSON text the domain checks (`payload::from_text`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The most fields a sample form shows; data with more is shown from its first ones.
pub const FIELDS_MAX: usize = 100;
/// How deep a field's path may go (`a.b.c.d` is 4); deeper data is one field of JSON text.
const PATH_DEPTH_MAX: usize = 4;

/// One field of a sample as a form edits it: where it is in the data and its value as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleField {
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub value: String,
}

/// Where a sample form starts, and the sentence that says so: the latest real event of
/// `trigger_event` when one arrived, else `examples()` (made up from what the steps read).
pub fn starting(
    trigger_event: &str,
    latest: Option<&Value>,
    examples: impl FnOnce() -> Value,
) -> (Value, String) {
    let trigger = trigger_event.trim();
    match latest {
        Some(data) => (
            data.clone(),
            format!(
                "These fields come from the latest {trigger} event that arrived: change what you like."
            ),
        ),
        None if trigger.is_empty() => (
            examples(),
            "No trigger event is chosen yet: these are examples to change to real values."
                .to_owned(),
        ),
        None => (
            examples(),
            format!(
                "No {trigger} event has arrived yet: these are examples made up from what the steps read, to change to real values."
            ),
        ),
    }
}

/// The fields of `data` (an object), in order: each scalar at its path; a list, an empty
/// object or anything deeper as JSON text at its own.
pub fn fields_of(data: &Value) -> Vec<SampleField> {
    let mut out = Vec::new();
    if let Value::Object(map) = data {
        walk(map, "", 1, &mut out);
    }
    out
}

fn walk(map: &Map<String, Value>, prefix: &str, depth: usize, out: &mut Vec<SampleField>) {
    for (key, value) in map {
        if out.len() >= FIELDS_MAX {
            return;
        }
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner)
                if !inner.is_empty()
                    && depth < PATH_DEPTH_MAX
                    && inner.keys().all(|k| !k.contains('.') && !k.is_empty()) =>
            {
                walk(inner, &path, depth + 1, out)
            }
            Value::String(text) => out.push(SampleField {
                path,
                value: text.clone(),
            }),
            other => out.push(SampleField {
                path,
                value: other.to_string(),
            }),
        }
    }
}

/// A value as typed: a number, true, false, null, a list or an object when it reads as JSON,
/// else text ("42" is a number, "Acme" and "Acme Ltd" are text).
fn typed(text: &str) -> Value {
    let trimmed = text.trim();
    let looks_json = trimmed.starts_with([
        '{', '[', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
    ]) || matches!(trimmed, "true" | "false" | "null");
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) if looks_json && !value.is_string() => value,
        _ => Value::String(text.to_owned()),
    }
}

/// The fields back as JSON text: empty paths are left out, later fields win, at most
/// `FIELDS_MAX` are read. A path whose start is already a value replaces it.
pub fn text_of(fields: &[SampleField]) -> String {
    let mut data = Value::Object(Map::new());
    for field in fields.iter().take(FIELDS_MAX) {
        let path: Vec<&str> = field
            .path
            .split('.')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut at = &mut data;
        for part in parents.iter().take(PATH_DEPTH_MAX) {
            if !at.get(*part).is_some_and(Value::is_object) {
                at[*part] = Value::Object(Map::new());
            }
            at = &mut at[*part];
        }
        at[*last] = typed(&field.value);
    }
    data.to_string()
}

/// The sample as posted: the form's fields when it sent any, else the JSON text (programs and
/// older forms send that).
pub fn posted(text: &str, fields: &[SampleField]) -> String {
    if fields.iter().any(|f| !f.path.trim().is_empty()) {
        text_of(fields)
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_starts_from_the_latest_real_event_and_says_so() {
        let latest = serde_json::json!({"name": "Acme"});
        let (data, said) = starting("Deal.won", Some(&latest), || unreachable!());
        assert_eq!(data, latest);
        assert!(said.starts_with("These fields come from the latest Deal.won event"));
        let (data, said) = starting("Deal.won", None, || serde_json::json!({"name": "Example"}));
        assert_eq!(data["name"], "Example");
        assert!(said.starts_with("No Deal.won event has arrived yet"));
        assert!(
            starting(" ", None, || Value::Null)
                .1
                .starts_with("No trigger event is chosen")
        );
    }
    use serde_json::json;

    #[test]
    fn data_becomes_fields_and_back() {
        let data = json!({
            "name": "Acme",
            "amount": 5000,
            "won": true,
            "contact": {"name": "Ada", "email": "ada@acme.test"},
            "tags": ["a", "b"],
            "note": null
        });
        let fields = fields_of(&data);
        let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "name",
                "amount",
                "won",
                "contact.name",
                "contact.email",
                "tags",
                "note"
            ]
        );
        assert_eq!(fields[1].value, "5000");
        assert_eq!(fields[5].value, r#"["a","b"]"#);
        let back: Value = serde_json::from_str(&text_of(&fields)).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn typed_values_read_as_people_type_them() {
        let fields = [
            SampleField {
                path: "name".into(),
                value: "Acme Ltd".into(),
            },
            SampleField {
                path: "zip".into(),
                value: "0042x".into(),
            },
            SampleField {
                path: "count".into(),
                value: " 12 ".into(),
            },
            SampleField {
                path: "".into(),
                value: "ignored".into(),
            },
            SampleField {
                path: "a.b".into(),
                value: "deep".into(),
            },
        ];
        let back: Value = serde_json::from_str(&text_of(&fields)).unwrap();
        assert_eq!(
            back,
            json!({"name": "Acme Ltd", "zip": "0042x", "count": 12, "a": {"b": "deep"}})
        );
        assert_eq!(posted("{\"x\": 1}", &[]), "{\"x\": 1}");
        assert_eq!(posted("", &fields[..1]), r#"{"name":"Acme Ltd"}"#);
    }
}
