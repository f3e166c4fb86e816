//! An HTTP step's request and answer in a sentence, as the run page, the retry preview and
//! the dry run say them: "POST to crm.example/customers with 2 fields, using the secret
//! CRM_TOKEN"; "Answered 201 Created in 0.05 s". Read from the request as shown (secrets
//! masked) and the answer as kept.

use serde_json::Value;

/// Where a URL goes, without its scheme and query: `crm.example/customers`.
pub fn place(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    rest.trim_end_matches('/').to_owned()
}

/// The host a URL goes to, with its port: `crm.example`.
pub fn host(url: &str) -> String {
    place(url).split('/').next().unwrap_or_default().to_owned()
}

/// "POST to crm.example/customers with 2 fields, using the secret CRM_TOKEN".
pub fn request_words(shown: &Value) -> String {
    let method = shown["method"].as_str().unwrap_or("POST");
    let mut words = format!("{method} to {}", place(shown["url"].as_str().unwrap_or("")));
    let fields = |v: &Value| v.as_object().map_or(0, |m| m.len());
    let carried = match (&shown["body"], &shown["form"]) {
        (Value::Object(_), _) => Some(count(fields(&shown["body"]), "field")),
        (Value::String(_), _) => Some("a text body".to_owned()),
        (_, Value::Object(_)) => Some(count(fields(&shown["form"]), "form field")),
        _ => None,
    };
    if let Some(carried) = carried {
        words.push_str(&format!(" with {carried}"));
    }
    let secrets: Vec<&str> = shown["secrets"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match secrets.as_slice() {
        [] => {}
        [one] => words.push_str(&format!(", using the secret {one}")),
        many => words.push_str(&format!(", using the secrets {}", many.join(", "))),
    }
    words
}

/// An answer's status with its reason ("502 Bad Gateway") and how long it took ("30 s").
fn status_and_time(answer: &Value) -> Option<(String, String)> {
    let status = answer["status"].as_u64()? as u16;
    let ms = answer["ms"].as_i64().unwrap_or(0);
    Some((status_words(status), crate::timefmt::duration_ms(ms)))
}

/// "422 Unprocessable Entity": a status and its usual reason, when it has one.
pub fn status_words(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason());
    match reason {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// "Answered 201 Created in 0.05 s", and whether the body was cut.
pub fn answer_words(answer: &Value) -> String {
    let Some((status, took)) = status_and_time(answer) else {
        return "No answer".into();
    };
    let mut words = format!("Answered {status} in {took}");
    if answer["truncated"].as_bool() == Some(true) {
        words.push_str("; the answer was longer than what is kept (64 KiB), so it is cut");
    }
    words
}

/// "got 502 Bad Gateway after 30 s": what an attempt got, for a preview's last attempt.
pub fn got_words(answer: &Value) -> String {
    match status_and_time(answer) {
        Some((status, took)) => format!("got {status} after {took}"),
        None => "got no answer".into(),
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_and_its_answer_read_as_sentences() {
        let shown = json!({
            "method": "POST", "url": "https://crm.example/customers/?x=1",
            "headers": {"Authorization": "Bearer ••••(CRM_TOKEN)"},
            "body": {"name": "Acme", "amount": 5, "plan": "pro", "contact": "Ada"},
            "secrets": ["CRM_TOKEN"]
        });
        assert_eq!(
            request_words(&shown),
            "POST to crm.example/customers with 4 fields, using the secret CRM_TOKEN"
        );
        let get = json!({"method": "GET", "url": "http://a.example"});
        assert_eq!(request_words(&get), "GET to a.example");
        let answer = json!({"status": 201, "ms": 50, "truncated": false});
        assert_eq!(answer_words(&answer), "Answered 201 Created in 0.05 s");
        let bad = json!({"status": 502, "ms": 30000});
        assert_eq!(got_words(&bad), "got 502 Bad Gateway after 30 s");
        assert_eq!(host("https://crm.example:8443/a/b?c"), "crm.example:8443");
        let cut = json!({"status": 299, "ms": 2500, "truncated": true});
        assert!(answer_words(&cut).starts_with("Answered 299 in 2.5 s; the answer was longer"));
    }
}
