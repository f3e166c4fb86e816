//! The limits on an event's data, wherever it comes in: posted to the API, sent with the
//! trigger verb by a program, or typed into the trigger form. One function checks them all.

use crate::error::{DomainError, DomainResult};
use serde_json::Value;

/// The largest data, as JSON bytes.
pub const SIZE_MAX: usize = 1 << 20;
/// How deep data may nest (an object or array inside another is one level more).
pub const DEPTH_MAX: usize = 64;

/// How deep a JSON value nests (a scalar is 0, `{"a": 1}` is 1), without recursion.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

/// How messages name the field: the trigger form's sample data, or the API's field.
fn label(field: &str) -> &str {
    match field {
        "payload" => "The sample data",
        other => other,
    }
}

/// Checks an event's data: a JSON object (or nothing), at most 1 MiB, nesting at most 64
/// levels. Nothing means an empty object. The error names `field`.
pub fn check(field: &str, data: Value) -> DomainResult<Value> {
    let data = match data {
        Value::Null => Value::Object(Default::default()),
        object @ Value::Object(_) => object,
        _ => {
            return Err(DomainError::field(
                field,
                format!(
                    "{} must be a JSON object, like {{\"name\": \"Acme\"}}",
                    label(field)
                ),
            ));
        }
    };
    if depth(&data) > DEPTH_MAX {
        return Err(DomainError::field(
            field,
            format!("{} nests deeper than {DEPTH_MAX} levels", label(field)),
        ));
    }
    if crate::mapping::json_size(&data, SIZE_MAX).is_none() {
        return Err(DomainError::field(
            field,
            format!("{} is larger than 1 MiB", label(field)),
        ));
    }
    Ok(data)
}

/// Reads data typed as JSON text (empty text is no data), then checks it like `check`.
pub fn from_text(field: &str, text: &str) -> DomainResult<Value> {
    if text.len() > SIZE_MAX {
        return Err(DomainError::field(
            field,
            format!("{} is larger than 1 MiB", label(field)),
        ));
    }
    let value = match text.trim() {
        "" => Value::Null,
        text => serde_json::from_str(text).map_err(|e| {
            DomainError::field(field, format!("The sample data is not valid JSON: {e}"))
        })?,
    };
    check(field, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        let mut deep = json!(1);
        for _ in 0..levels - 1 {
            deep = json!([deep]);
        }
        json!({ "deep": deep })
    }

    #[test]
    fn depth_counts_nesting_without_recursion() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({"a": [1, {"b": 2}]})), 3);
        let mut deep = Value::Null;
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(depth(&deep), 10_000);
        // Dropping a deep value recurses in serde_json; let it go without running the drop.
        std::mem::forget(deep);
    }

    #[test]
    fn the_limits_are_the_same_for_values_and_text() {
        assert_eq!(check("data", Value::Null), Ok(json!({})));
        assert!(check("data", nested(DEPTH_MAX)).is_ok());
        for bad in [
            json!([1]),
            json!("text"),
            nested(DEPTH_MAX + 1),
            json!({"blob": "x".repeat(SIZE_MAX)}),
        ] {
            let text = bad.to_string();
            let by_value = check("payload", bad).expect_err("refused");
            let by_text = from_text("payload", &text).expect_err("refused");
            assert_eq!(by_value, by_text);
            assert!(matches!(by_value, DomainError::Validation(ref f) if f[0].field == "payload"));
        }
        assert!(from_text("payload", "{ not json").is_err());
        assert_eq!(from_text("payload", "  "), Ok(json!({})));
    }
}
