//! Secrets kept out of what people and logs see: wherever a request is shown (a run's step,
//! an error, a preview), each secret's value reads `••••(NAME)`.

use serde_json::Value;

/// `text` with every secret's value replaced by `••••(NAME)`; longer values first, so that a
/// value holding another is masked whole.
pub fn mask(text: &str, secrets: &[(&str, &str)]) -> String {
    let mut ordered: Vec<&(&str, &str)> = secrets.iter().filter(|(_, v)| !v.is_empty()).collect();
    ordered.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let mut out = text.to_owned();
    for (name, value) in ordered {
        if out.contains(value) {
            out = out.replace(value, &format!("••••({name})"));
        }
    }
    out
}

/// `value` with every string in it (keys too) masked as `mask` does.
pub fn mask_json(value: &Value, secrets: &[(&str, &str)]) -> Value {
    match value {
        Value::String(s) => Value::String(mask(s, secrets)),
        Value::Array(items) => Value::Array(items.iter().map(|v| mask_json(v, secrets)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (mask(k, secrets), mask_json(v, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_secrets_value_reads_as_its_name_wherever_it_stands() {
        let secrets = [
            ("CRM_TOKEN", "tok_123"),
            ("LONG", "tok_123456"),
            ("EMPTY", ""),
        ];
        assert_eq!(
            mask("Authorization: Bearer tok_123456; X: tok_123", &secrets),
            "Authorization: Bearer ••••(LONG); X: ••••(CRM_TOKEN)"
        );
        assert_eq!(mask("nothing here", &secrets), "nothing here");
        assert_eq!(
            mask_json(
                &json!({"headers": {"authorization": "Bearer tok_123"}, "tok_123": [1, "tok_123"]}),
                &secrets
            ),
            json!({"headers": {"authorization": "Bearer ••••(CRM_TOKEN)"}, "••••(CRM_TOKEN)": [1, "••••(CRM_TOKEN)"]})
        );
    }
}
