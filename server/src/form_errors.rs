//! A form posted without JavaScript that fails comes back to its page with the error, so the
//! page can say what to fix and show what was typed. Leptos carries that error in the page's
//! address (`__path`, `__err`), where anyone could write one into a link ("Password expired:
//! reset at …", a workflow form filled in by someone else). Here the error never travels in the
//! address: it waits in the session of the browser that posted the form, and the address holds
//! only a one-time reference to it (`__flash`). A page reads an error only through that
//! reference, in that session; `__path` and `__err` given in an address are dropped.

use axum::extract::Request;
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// The session slot of the error waiting for its page.
const SLOT: &str = "form_error";
/// The address's reference to it.
const REFERENCE: &str = "__flash";
/// Leptos' own parameters, which only this module may put in a page's address.
const LEPTOS: [&str; 2] = ["__path", "__err"];

/// A server function's error on its way back to the page its form was posted from.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Waiting {
    reference: String,
    path: String,
    err: String,
}

/// Moves a failed form's error from the redirect's address into the session, and puts it back
/// into the address of the page request that comes with its reference (only on the server:
/// the browser never sees it). Every other `__path`, `__err` or `__flash` is dropped.
pub async fn keep_in_session(session: Session, mut req: Request, next: Next) -> Response {
    let server_fn = req.uri().path().starts_with("/api/");
    if !server_fn {
        let waiting = match reference(req.uri()) {
            Some(reference) => take(&session, &reference).await,
            None => None,
        };
        if let Some(uri) = rewritten(req.uri(), waiting.as_ref()) {
            *req.uri_mut() = uri;
        }
        return next.run(req).await;
    }
    let mut response = next.run(req).await;
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return response;
    };
    let Some((moved, waiting)) = moved_out(location) else {
        return response;
    };
    if session.insert(SLOT, &waiting).await.is_err() {
        tracing::warn!("a form's error could not be kept in the session");
    }
    if let Ok(value) = HeaderValue::from_str(&moved) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The `__flash` reference a page's address carries, if any.
fn reference(uri: &Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == REFERENCE)
        .map(|(_, v)| v.into_owned())
}

/// The error waiting under `reference` in this session, taken out of it.
async fn take(session: &Session, reference: &str) -> Option<Waiting> {
    let waiting: Waiting = session.get(SLOT).await.ok().flatten()?;
    if waiting.reference != reference {
        return None;
    }
    let _ = session.remove::<Waiting>(SLOT).await;
    Some(waiting)
}

/// The address without Leptos' parameters and the reference, with the waiting error's own
/// (for Leptos to read); `None` when it has none of them and nothing waits.
fn rewritten(uri: &Uri, waiting: Option<&Waiting>) -> Option<Uri> {
    let query = uri.query().unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let ours = |k: &str| k == REFERENCE || LEPTOS.contains(&k);
    if waiting.is_none() && !pairs.iter().any(|(k, _)| ours(k)) {
        return None;
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(k, _)| !ours(k)) {
        out.append_pair(k, v);
    }
    if let Some(w) = waiting {
        out.append_pair("__path", &w.path)
            .append_pair("__err", &w.err);
    }
    let query = out.finish();
    let path_and_query = if query.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{query}", uri.path())
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).ok()
}

/// A redirect's address with Leptos' error parameters replaced by a new reference, and the
/// error to keep under it; `None` when the address carries no error.
fn moved_out(location: &str) -> Option<(String, Waiting)> {
    let base = url::Url::parse("http://switchyard.invalid/").ok()?;
    let relative = location.starts_with('/');
    let mut url = base.join(location).ok()?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (path, err) = (find("__path")?, find("__err")?);
    let reference = switchyard::id::random_base62(16);
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (k, v) in pairs
            .iter()
            .filter(|(k, _)| k != REFERENCE && !LEPTOS.contains(&k.as_str()))
        {
            query.append_pair(k, v);
        }
        query.append_pair(REFERENCE, &reference);
    }
    let moved = if relative {
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    } else {
        url.to_string()
    };
    Some((
        moved,
        Waiting {
            reference,
            path,
            err,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_leaves_the_address_for_a_reference() {
        let (moved, waiting) =
            moved_out("http://h/o/acme/settings?tab=1&__path=/api/x&__err=RVJS").expect("moved");
        assert_eq!(waiting.path, "/api/x");
        assert_eq!(waiting.err, "RVJS");
        assert_eq!(
            moved,
            format!(
                "http://h/o/acme/settings?tab=1&__flash={}",
                waiting.reference
            )
        );
        let (relative, _) = moved_out("/login?__path=/api/login&__err=RQ").expect("moved");
        assert!(relative.starts_with("/login?__flash="), "{relative}");
        assert!(moved_out("http://h/o/acme/settings?tab=1").is_none());
    }

    #[test]
    fn a_page_reads_only_the_error_its_session_keeps() {
        let uri: Uri = "/login?next=%2Fo&__path=/api/login&__err=Rk9SR0VE"
            .parse()
            .expect("uri");
        assert_eq!(
            rewritten(&uri, None).expect("cleaned").to_string(),
            "/login?next=%2Fo"
        );
        let waiting = Waiting {
            reference: "r".into(),
            path: "/api/login".into(),
            err: "UkVBTA==".into(),
        };
        let with: Uri = "/login?__flash=r".parse().expect("uri");
        assert_eq!(
            rewritten(&with, Some(&waiting))
                .expect("filled")
                .to_string(),
            "/login?__path=%2Fapi%2Flogin&__err=UkVBTA%3D%3D"
        );
        let plain: Uri = "/login?next=%2Fo".parse().expect("uri");
        assert!(rewritten(&plain, None).is_none());
    }
}
