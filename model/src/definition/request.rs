//! What an `HTTP.request` step sends, as stored:
//! `{method, url, query, headers, body: {json|form|text}, auth: {bearer|basic|header}, success,
//! timeoutMs}`. The URL, the query's and headers' values and the body's are expressions; `auth`
//! names secrets. Secrets reach a request only through `auth` and through `secret.NAME` in the
//! URL, a query parameter or a header.

use super::Mapping;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The action of a step that calls out.
pub const HTTP_ACTION: &str = "HTTP.request";
/// The root under which the URL, query and header expressions read secrets by name.
pub const SECRET_ROOT: &str = "secret";
/// A request's time limit when the step sets none, and the longest one it may set.
pub const TIMEOUT_DEFAULT_MS: u64 = 30_000;
pub const TIMEOUT_MAX_MS: u64 = 120_000;

/// The longest name a secret may have.
pub const SECRET_NAME_MAX: usize = 64;

/// Whether `name` can name a secret: capitals, digits and `_`, starting with a capital.
pub fn is_secret_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= SECRET_NAME_MAX
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The methods a step may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    #[default]
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        let text = text.trim();
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
    }
}

/// What a request carries: JSON built from a mapping, form fields, or raw text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    Json(Mapping),
    Form(Mapping),
    Text(String),
}

impl Body {
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Json(_) => "json",
            Body::Form(_) => "form",
            Body::Text(_) => "text",
        }
    }
}

/// How a request proves who sends it; every value is a secret's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// `Authorization: Bearer <secret>`.
    Bearer(String),
    /// `Authorization: Basic`, a user name as typed and the password from a secret.
    Basic { user: String, password: String },
    /// A header of the step's choosing carrying the secret (`X-Api-Key`).
    Header { name: String, secret: String },
}

impl Auth {
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::Bearer(_) => "bearer",
            Auth::Basic { .. } => "basic",
            Auth::Header { .. } => "header",
        }
    }

    /// The secret it uses.
    pub fn secret(&self) -> &str {
        match self {
            Auth::Bearer(secret) => secret,
            Auth::Basic { password, .. } => password,
            Auth::Header { secret, .. } => secret,
        }
    }
}

/// Which answers count as success: any 2xx, or the statuses listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Success {
    #[default]
    AnyTwoHundred,
    Statuses(Vec<u16>),
}

impl Success {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Success::AnyTwoHundred => (200..300).contains(&status),
            Success::Statuses(list) => list.contains(&status),
        }
    }

    /// `2xx`, or `200, 404`: how the form shows it and reads it back.
    pub fn text(&self) -> String {
        match self {
            Success::AnyTwoHundred => "2xx".into(),
            Success::Statuses(list) => list
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Reads `2xx` or a list of statuses from 100 to 599; `None` for anything else.
    pub fn parse(text: &str) -> Option<Success> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("2xx") {
            return Some(Success::AnyTwoHundred);
        }
        let list: Option<Vec<u16>> = text
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().ok().filter(|n| (100..600).contains(n)))
            .collect();
        list.filter(|l| !l.is_empty() && l.len() <= 20)
            .map(Success::Statuses)
    }
}

impl Serialize for Success {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Success::AnyTwoHundred => serializer.serialize_str("2xx"),
            Success::Statuses(list) => list.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Success {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => {
                Success::parse(&text).ok_or_else(|| D::Error::custom(SuccessError))
            }
            serde_json::Value::Array(list) => {
                let text: Vec<String> = list.iter().map(|v| v.to_string()).collect();
                Success::parse(&text.join(",")).ok_or_else(|| D::Error::custom(SuccessError))
            }
            _ => Err(D::Error::custom(SuccessError)),
        }
    }
}

struct SuccessError;

impl fmt::Display for SuccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("success must be \"2xx\" or a list of statuses such as [200, 404]")
    }
}

/// An `HTTP.request` step's request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(default)]
    pub method: Method,
    /// Empty only in input, which validation then refuses with the field named.
    #[serde(default)]
    pub url: String,
    #[serde(default, skip_serializing_if = "Mapping::is_empty")]
    pub query: Mapping,
    #[serde(default, skip_serializing_if = "Mapping::is_empty")]
    pub headers: Mapping,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    #[serde(default, skip_serializing_if = "is_default_success")]
    pub success: Success,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

fn is_default_success(s: &Success) -> bool {
    *s == Success::AnyTwoHundred
}

impl Request {
    /// Every expression that may read secrets: the URL, the query's and the headers' values.
    pub fn secret_expressions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.url.as_str())
            .chain(self.query.expressions())
            .chain(self.headers.expressions())
    }

    /// The body's expressions, which never read secrets.
    pub fn body_expressions(&self) -> impl Iterator<Item = &str> {
        let (rows, text) = match &self.body {
            Some(Body::Json(m) | Body::Form(m)) => (Some(m), None),
            Some(Body::Text(t)) => (None, Some(t.as_str())),
            None => (None, None),
        };
        rows.into_iter().flat_map(|m| m.expressions()).chain(text)
    }

    /// The time limit of one attempt.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(
            self.timeout_ms
                .unwrap_or(TIMEOUT_DEFAULT_MS)
                .min(TIMEOUT_MAX_MS),
        )
    }

    /// The names of the secrets the request uses, each once: its auth's, and those its
    /// expressions read as `secret.NAME`.
    pub fn secrets(&self) -> Vec<String> {
        let mut names: Vec<String> = self.auth.iter().map(|a| a.secret().to_owned()).collect();
        for expr in self.secret_expressions() {
            for name in secret_names(expr) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

/// The names an expression reads as `secret.NAME`.
pub fn secret_names(expr: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for path in crate::mapping::paths_read(expr, SECRET_ROOT) {
        if let Some(name) = path.into_iter().next()
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_is_stored_as_product_md_writes_it_and_read_back() {
        let stored = json!({
            "method": "POST",
            "url": "\"https://crm.example/customers/\" + deal.id",
            "query": {"page": "1"},
            "headers": {"X-Source": "\"switchyard\""},
            "body": {"json": {"name": "deal.name"}},
            "auth": {"bearer": "CRM_TOKEN"},
            "success": [200, 201],
            "timeoutMs": 5000
        });
        let request: Request = serde_json::from_value(stored.clone()).expect("reads");
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.auth, Some(Auth::Bearer("CRM_TOKEN".into())));
        assert_eq!(request.success, Success::Statuses(vec![200, 201]));
        assert_eq!(serde_json::to_value(&request).expect("writes"), stored);
        let basic: Request = serde_json::from_value(json!({
            "url": "\"https://x.example\"",
            "auth": {"basic": {"user": "ops", "password": "PW"}},
            "body": {"text": "\"hello\""},
            "success": "2xx"
        }))
        .expect("basic");
        assert_eq!(basic.method, Method::Post, "POST when no method is given");
        assert_eq!(basic.auth.as_ref().map(Auth::secret), Some("PW"));
        assert!(serde_json::from_value::<Request>(json!({"url": "1", "success": "3xx"})).is_err());
        assert!(serde_json::from_value::<Request>(json!({"url": "1", "method": "TRACE"})).is_err());
    }

    #[test]
    fn success_reads_2xx_or_a_list_of_statuses() {
        assert_eq!(Success::parse(" 2XX "), Some(Success::AnyTwoHundred));
        assert_eq!(Success::parse(""), Some(Success::AnyTwoHundred));
        assert_eq!(
            Success::parse("200, 404"),
            Some(Success::Statuses(vec![200, 404]))
        );
        assert_eq!(Success::parse("200, 99"), None);
        assert_eq!(Success::parse("ok"), None);
        assert!(Success::parse("404").is_some_and(|s| s.accepts(404) && !s.accepts(200)));
        assert!(Success::AnyTwoHundred.accepts(204) && !Success::AnyTwoHundred.accepts(302));
    }

    #[test]
    fn the_secrets_a_request_uses_are_found_by_name() {
        let request = Request {
            url: "\"https://crm.example/?k=\" + secret.URL_KEY".into(),
            headers: Mapping(vec![
                ("X-A".into(), "\"k=\" + secret.HEADER_KEY".into()),
                (
                    "X-B".into(),
                    "deal.secret.NOT_ONE + \"secret.NOR_THIS\"".into(),
                ),
            ]),
            auth: Some(Auth::Bearer("CRM_TOKEN".into())),
            ..Request::default()
        };
        assert_eq!(request.secrets(), ["CRM_TOKEN", "URL_KEY", "HEADER_KEY"]);
        assert_eq!(
            Request::default().timeout(),
            std::time::Duration::from_secs(30)
        );
    }
}
