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

/// "Answered 201 Created in 0.05 s", and whether the body was cut.
pub fn answer_words(answer: &Value) -> String {
    let Some(status) = answer["status"].as_u64() else {
        return "No answer".into();
    };
    let reason = reason(status as u16);
    let ms = answer["ms"].as_i64().unwrap_or(0);
    let mut words = format!(
        "Answered {status}{}{reason} in {}",
        if reason.is_empty() { "" } else { " " },
        crate::timefmt::duration_ms(ms)
    );
    if answer["truncated"].as_bool() == Some(true) {
        words.push_str("; the answer was longer than what is kept (64 KiB), so it is cut");
    }
    words
}

/// "got 502 Bad Gateway after 30 s": what an attempt got, for a preview's last attempt.
pub fn got_words(answer: &Value) -> String {
    let status = answer["status"].as_u64().unwrap_or(0);
    let reason = reason(status as u16);
    let ms = answer["ms"].as_i64().unwrap_or(0);
    let space = if reason.is_empty() { "" } else { " " };
    format!(
        "got {status}{space}{reason} after {}",
        crate::timefmt::duration_ms(ms)
    )
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The usual reason phrase of the statuses a step meets most.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        425 => "Too Early",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
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
