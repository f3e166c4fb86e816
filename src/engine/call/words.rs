//! What an HTTP step's answers and failures say, in words: the host, the status with its
//! reason and the start of what the server said; and which of them are worth another attempt.

pub(super) use crate::egress::call::http_words;
use serde_json::Value;

/// Statuses worth another attempt: 408, 425, 429 and 5xx.
pub fn retryable(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || status >= 500
}

/// "crm.example answered 422 Unprocessable Entity: name is required".
pub(super) fn answered_words(host: &str, status: u16, body: &Value) -> String {
    let said = match body {
        Value::Object(map) => ["message", "error", "detail", "title", "description"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| body.to_string()),
        Value::String(text) => without_markup(text),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut start: String = said.chars().take(200).collect();
    if start.len() < said.len() {
        start.push('…');
    }
    let head = format!(
        "{host} answered {}",
        crate::call_words::status_words(status)
    );
    if start.is_empty() {
        head
    } else {
        format!("{head}: {start}")
    }
}

/// An HTML page's text without its tags (`<p>Refused</p>` reads "Refused"); other text as it
/// is. Error pages of servers and proxies are often HTML, and people read the words.
fn without_markup(text: &str) -> String {
    if !text.trim_start().starts_with('<') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// How long a `Retry-After` asks to wait, given as seconds or as an HTTP date (`Sun, 06 Nov
/// 1994 08:49:37 GMT`) read at `now`; a date already past asks for no wait.
pub(super) fn retry_after(value: &str, now: time::OffsetDateTime) -> Option<std::time::Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(std::time::Duration::from_secs(seconds));
    }
    let at =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    Some(std::time::Duration::try_from(at - now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_reads_as_its_host_status_and_the_start_of_its_body() {
        let body = json!({"message": "name is required", "code": 7});
        assert_eq!(
            answered_words("crm.example", 422, &body),
            "crm.example answered 422 Unprocessable Entity: name is required"
        );
        assert_eq!(
            answered_words("crm.example", 503, &Value::Null),
            "crm.example answered 503 Service Unavailable"
        );
        let page = Value::String(
            "<!DOCTYPE html><html><title>Refused</title><p>Sent from another site.</p></html>"
                .into(),
        );
        assert_eq!(
            answered_words("crm.example", 403, &page),
            "crm.example answered 403 Forbidden: Refused Sent from another site."
        );
        let long = Value::String("x ".repeat(300));
        assert!(answered_words("a.example", 500, &long).ends_with('…'));
        assert!(retryable(503) && retryable(429) && retryable(408));
        assert!(!retryable(422) && !retryable(404));
        let now = time::macros::datetime!(1994-11-06 08:49:00 UTC);
        let secs = |v: &str| retry_after(v, now).map(|d| d.as_secs());
        assert_eq!(secs("120"), Some(120));
        assert_eq!(secs("Sun, 06 Nov 1994 08:49:37 GMT"), Some(37));
        assert_eq!(
            secs("Sun, 06 Nov 1994 08:48:00 GMT"),
            Some(0),
            "past: no wait"
        );
        assert_eq!(secs("soon"), None);
    }
}
