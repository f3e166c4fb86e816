//! The OpenAPI document: generated, 3.1, naming every route the router serves and only those;
//! and the page that shows it without fetching anything from elsewhere.

use crate::TestApp;
use crate::ingest::json_body;
use crate::rest_api::ROUTES;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

/// A route of the list in the document's spelling: `{w}`, `{r}` and `{e}` are `{id}`, `{d}`
/// is `{delivery}`, a verb is `{verb}`.
fn documented(path: &str) -> String {
    let path = path
        .replace("{w}", "{id}")
        .replace("{r}", "{id}")
        .replace("{e}", "{id}")
        .replace("{d}", "{delivery}")
        .replace("{k}", "{kind}");
    for verb in ["activate", "pause", "archive", "trigger"] {
        if let Some(base) = path.strip_suffix(&format!("/{verb}")) {
            return format!("{base}/{{verb}}");
        }
    }
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_names_every_route_and_every_route_it_names_is_served() {
    let app = TestApp::new().await;
    let answer = app
        .send(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = json_body(&answer);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");

    // Every route of the REST API is in the document, with its method and error answers.
    for (method, path) in ROUTES {
        let spelled = documented(path);
        let op = &paths
            .get(&spelled)
            .unwrap_or_else(|| panic!("{spelled} is not in the document"))[method.to_lowercase()];
        assert!(op.is_object(), "{method} {spelled} is not in the document");
        assert!(
            op["responses"]["401"].is_object(),
            "{method} {spelled} documents 401"
        );
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()));
    }

    // Every operation the document names answers from the API (signed out: 401 in the error
    // shape), not from the pages' fallback.
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let concrete = path
                .replace("{org}", "acme")
                .replace("{id}", "x_AAAAAAAA")
                .replace("{verb}", "activate");
            let request = Request::builder()
                .method(method.to_uppercase().parse::<Method>().expect("method"))
                .uri(&concrete)
                .body(Body::empty())
                .expect("request");
            let answer = app.send(request).await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {}",
                answer.body
            );
            assert_eq!(json_body(&answer)["error"]["code"], "unauthorized");
        }
    }
    assert_eq!(
        operations, 32,
        "the document's operations (verbs share one)"
    );
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "WorkflowResource",
        "WorkflowPage",
        "RunDetailResource",
        "EventPage",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    assert!(
        schemas["WorkflowResource"]["properties"]["triggerEvent"].is_object(),
        "the spec's field names"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_docs_page_shows_every_operation_from_this_server_alone() {
    let app = TestApp::new().await;
    let page = app.get(None, "/api/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    for (_, path) in ROUTES {
        let spelled = documented(path).replace('&', "&amp;");
        assert!(page.body.contains(&spelled), "{spelled} on the page");
    }
    assert!(page.body.contains("href=\"/api/openapi.json\""));
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "nothing from elsewhere"
    );
    assert!(!page.body.contains("<script"), "it needs no JavaScript");
}
