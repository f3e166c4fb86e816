//! An `HTTP.request` step's request as a form edits it (plain text everywhere), its rules, and
//! the way back from the stored request.

use super::FieldError;
use super::input::{MappingRow, rows};
use super::validate::{check_expr, expr_message};
use crate::definition::{
    Auth, Body, Mapping, Method, Request, SECRET_ROOT, Success, TIMEOUT_MAX_MS,
};
use crate::mapping;
use serde::{Deserialize, Serialize};

/// The longest name a query parameter, a header or a body field may have.
pub const HEADER_NAME_MAX: usize = 100;

/// A request as typed: method, URL, rows of query parameters and headers, a body of one kind,
/// an auth of one kind, which statuses count as success, and a time limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestInput {
    pub method: String,
    pub url: String,
    pub query: Vec<MappingRow>,
    pub headers: Vec<MappingRow>,
    /// `json`, `form`, `text`, or empty for none.
    pub body_kind: String,
    /// The JSON body's or the form's fields.
    pub body: Vec<MappingRow>,
    pub body_text: String,
    /// `bearer`, `basic`, `header`, or empty for none.
    pub auth_kind: String,
    pub auth_secret: String,
    pub auth_user: String,
    pub auth_header: String,
    pub success: String,
    pub timeout: String,
}

impl From<&Request> for RequestInput {
    fn from(r: &Request) -> Self {
        let (body_kind, body, body_text) = match &r.body {
            Some(Body::Json(m)) => ("json", rows(m), String::new()),
            Some(Body::Form(m)) => ("form", rows(m), String::new()),
            Some(Body::Text(t)) => ("text", Vec::new(), t.clone()),
            None => ("", Vec::new(), String::new()),
        };
        let (auth_user, auth_header) = match &r.auth {
            Some(Auth::Basic { user, .. }) => (user.clone(), String::new()),
            Some(Auth::Header { name, .. }) => (String::new(), name.clone()),
            _ => (String::new(), String::new()),
        };
        RequestInput {
            method: r.method.as_str().to_owned(),
            url: r.url.clone(),
            query: rows(&r.query),
            headers: rows(&r.headers),
            body_kind: body_kind.to_owned(),
            body,
            body_text,
            auth_kind: r
                .auth
                .as_ref()
                .map(Auth::kind)
                .unwrap_or_default()
                .to_owned(),
            auth_secret: r
                .auth
                .as_ref()
                .map(|a| a.secret().to_owned())
                .unwrap_or_default(),
            auth_user,
            auth_header,
            success: r.success.text(),
            timeout: r
                .timeout_ms
                .map(|ms| crate::timefmt::length_text(ms as i64))
                .unwrap_or_default(),
        }
    }
}

/// Whether `name` is a header name (an HTTP token) we let a step set.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= HEADER_NAME_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// Headers Switchyard sets itself, or that would change how the request travels.
const OWN_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "idempotency-key",
    "proxy-authorization",
];

/// The roots of the URL, query and header expressions: the workflow's, and `secret`.
fn with_secret(roots: Option<&[String]>) -> Option<Vec<String>> {
    roots.map(|r| {
        let mut all = r.to_vec();
        all.push(SECRET_ROOT.to_owned());
        all
    })
}

/// The checks of one expression, with the message under `key`.
struct Exprs<'a> {
    step: usize,
    roots: Option<&'a [String]>,
}

impl Exprs<'_> {
    fn check(&self, source: &str, key: String, what: &str, errors: &mut Vec<FieldError>) {
        if let Err(err) = check_expr(source, self.roots) {
            errors.push(FieldError::new(key, expr_message(&err, self.step, what)));
        }
    }

    /// Rows of names and expressions under `key`; `header` checks the names as header names.
    fn rows(
        &self,
        rows: &[MappingRow],
        (key, what): (&str, &str),
        header: bool,
        errors: &mut Vec<FieldError>,
    ) -> Mapping {
        let mut out: Vec<(String, String)> = Vec::new();
        let rows = rows.iter().enumerate().filter(|(_, r)| !r.is_blank());
        for (count, (index, row)) in rows.enumerate() {
            let name = row.field.trim();
            let at = format!("{key}.{index}");
            if count == mapping::ROWS_MAX {
                errors.push(FieldError::new(
                    key,
                    format!(
                        "Step {}: at most {} {what}",
                        self.step + 1,
                        mapping::ROWS_MAX
                    ),
                ));
            }
            if header && !is_header_name(name) {
                errors.push(FieldError::new(
                    format!("{at}.field"),
                    "A header's name is letters, digits and - (like X-Source)",
                ));
            } else if header && OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                errors.push(FieldError::new(
                    format!("{at}.field"),
                    format!("Switchyard sets {name} itself"),
                ));
            } else if name.is_empty() || name.len() > HEADER_NAME_MAX {
                errors.push(FieldError::new(
                    format!("{at}.field"),
                    "Name is required (at most 100 characters)",
                ));
            } else if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                errors.push(FieldError::new(
                    format!("{at}.field"),
                    format!("{name} is given twice"),
                ));
            }
            self.check(&row.expr, format!("{at}.expr"), what, errors);
            out.push((name.to_owned(), row.expr.trim().to_owned()));
        }
        Mapping(out)
    }
}

fn secret_name(raw: &str, key: String, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim();
    if !crate::definition::is_secret_name(name) {
        errors.push(FieldError::new(
            key,
            "Pick a secret by its name, like CRM_TOKEN (set secrets on Settings)",
        ));
    }
    name.to_owned()
}

impl RequestInput {
    /// Whether nothing was typed.
    pub fn is_blank(&self) -> bool {
        self.url.trim().is_empty()
            && self.body_text.trim().is_empty()
            && self.auth_secret.trim().is_empty()
            && self.query.iter().all(MappingRow::is_blank)
            && self.headers.iter().all(MappingRow::is_blank)
            && self.body.iter().all(MappingRow::is_blank)
    }

    /// Checks the request of step `step` (its fields keyed `steps.N.request.…`).
    pub fn validate(
        &self,
        step: usize,
        roots: Option<&[String]>,
        errors: &mut Vec<FieldError>,
    ) -> Request {
        let key = |field: &str| format!("steps.{step}.request.{field}");
        let secret_roots = with_secret(roots);
        let open = Exprs {
            step,
            roots: secret_roots.as_deref(),
        };
        let closed = Exprs { step, roots };
        let method = match self.method.trim() {
            "" => Method::default(),
            text => Method::parse(text).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    key("method"),
                    "Method must be GET, POST, PUT, PATCH or DELETE",
                ));
                Method::default()
            }),
        };
        let url = self.url.trim();
        if url.is_empty() {
            errors.push(FieldError::new(
                key("url"),
                "URL is required, like \"https://crm.example/customers\" (in quotes)",
            ));
        } else {
            open.check(url, key("url"), "its URL", errors);
            literal_url(url, key("url"), errors);
        }
        let query = open.rows(
            &self.query,
            (&key("query"), "query parameters"),
            false,
            errors,
        );
        let headers = open.rows(&self.headers, (&key("headers"), "headers"), true, errors);
        let body = match self.body_kind.trim() {
            "" | "none" => None,
            "json" => Some(Body::Json(closed.rows(
                &self.body,
                (&key("body"), "body fields"),
                false,
                errors,
            ))),
            "form" => Some(Body::Form(closed.rows(
                &self.body,
                (&key("body"), "form fields"),
                false,
                errors,
            ))),
            "text" => {
                let text = self.body_text.trim();
                closed.check(text, key("bodyText"), "its body", errors);
                Some(Body::Text(text.to_owned()))
            }
            _ => {
                errors.push(FieldError::new(
                    key("bodyKind"),
                    "Body must be none, JSON, form fields or text",
                ));
                None
            }
        };
        let auth = match self.auth_kind.trim() {
            "" | "none" => None,
            "bearer" => Some(Auth::Bearer(secret_name(
                &self.auth_secret,
                key("authSecret"),
                errors,
            ))),
            "basic" => {
                let password = secret_name(&self.auth_secret, key("authSecret"), errors);
                let user = self.auth_user.trim();
                if user.is_empty() || user.contains(':') || user.len() > 200 {
                    errors.push(FieldError::new(
                        key("authUser"),
                        "User name is required, without a colon",
                    ));
                }
                Some(Auth::Basic {
                    user: user.to_owned(),
                    password,
                })
            }
            "header" => {
                let secret = secret_name(&self.auth_secret, key("authSecret"), errors);
                let name = self.auth_header.trim();
                if !is_header_name(name) {
                    errors.push(FieldError::new(
                        key("authHeader"),
                        "Header name is required, like X-Api-Key",
                    ));
                }
                Some(Auth::Header {
                    name: name.to_owned(),
                    secret,
                })
            }
            _ => {
                errors.push(FieldError::new(
                    key("authKind"),
                    "Authentication must be none, a Bearer token, Basic or an API-key header",
                ));
                None
            }
        };
        let success = Success::parse(&self.success).unwrap_or_else(|| {
            errors.push(FieldError::new(
                key("success"),
                "Success must be 2xx or statuses like 200, 404",
            ));
            Success::default()
        });
        let timeout_ms = match self.timeout.trim() {
            "" => None,
            raw => match crate::timefmt::parse_length_ms(raw)
                .filter(|ms| (1_000..=TIMEOUT_MAX_MS as i64).contains(ms))
            {
                Some(ms) => Some(ms as u64),
                None => {
                    errors.push(FieldError::new(
                        key("timeout"),
                        "Time limit must be a length like 30 s, from 1 s to 2 min",
                    ));
                    None
                }
            },
        };
        Request {
            method,
            url: url.to_owned(),
            query,
            headers,
            body,
            auth,
            success,
            timeout_ms,
        }
    }
}

/// A URL written out in quotes is checked now: `http` or `https`, and no user name in it.
fn literal_url(source: &str, key: String, errors: &mut Vec<FieldError>) {
    let Ok(mapping::Expr::Literal(serde_json::Value::String(text))) =
        mapping::parse_any_root(source)
    else {
        // Worked out at run time, and checked then.
        if let Ok(mapping::Expr::Sum(terms)) = mapping::parse_any_root(source)
            && let Some(mapping::Expr::Literal(serde_json::Value::String(start))) = terms.first()
        {
            url_start(start, key, errors);
        }
        return;
    };
    url_start(&text, key, errors);
}

fn url_start(text: &str, key: String, errors: &mut Vec<FieldError>) {
    let lower = text.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    // A sum may go on with the rest of the scheme (`"http" + "s://…"`).
    let may_go_on = "https://".starts_with(&lower) || "http://".starts_with(&lower);
    if !scheme_ok && !may_go_on {
        errors.push(FieldError::new(
            key,
            "The URL must start with https:// or http://",
        ));
        return;
    }
    let host_part = text.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let authority = host_part.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        errors.push(FieldError::new(
            key,
            "Put no user name or password in the URL: use the authentication settings and a secret",
        ));
    }
}
