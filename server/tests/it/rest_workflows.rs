//! `GET /~{org}/workflows` and `GET /~{org}/workflows/{id}`: the spec's field names with
//! `$id`, `$type` and friends, the list's filters and pages, and strangers kept out.

use crate::TestApp;
use crate::ingest::{json_body, key, workflows};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use switchyard::id::Generate;

fn get(path: &str, key: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    request.body(Body::empty()).expect("request")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_lists_its_organizations_workflows_with_the_specs_field_names() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let acme = key(&app, "acme").await;

    let answer = app
        .send(get("/~acme/workflows?sort=name", Some(&acme)))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = json_body(&answer);
    assert_eq!(body["total"], 3, "acme's three, not globex's");
    assert_eq!(body["hasMore"], false);
    let names: Vec<&str> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|w| w["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["draft", "listening", "paused"]);
    let first = &body["results"][1];
    assert_eq!(first["$type"], "Workflow");
    assert_eq!(first["$id"], made[0].id.as_str());
    assert_eq!(first["triggerEvent"], "Deal.won");
    assert_eq!(first["status"], "Activated");
    assert_eq!(first["steps"][0]["action"], "Customer.create");
    assert_eq!(first["steps"][0]["mapping"]["name"], "deal.name");
    for field in [
        "$version",
        "$createdAt",
        "$updatedAt",
        "$createdBy",
        "runCount",
        "successCount",
        "failureCount",
        "errorHandling",
    ] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }

    // Flat filters, and a page at a time.
    let active = json_body(
        &app.send(get("/~acme/workflows?status=Activated", Some(&acme)))
            .await,
    );
    assert_eq!(active["total"], 1);
    assert_eq!(active["results"][0]["name"], "listening");
    let page = json_body(
        &app.send(get("/~acme/workflows?sort=name&limit=2", Some(&acme)))
            .await,
    );
    assert_eq!(
        (
            page["results"].as_array().map(Vec::len),
            page["hasMore"].clone()
        ),
        (Some(2), true.into())
    );
    let cursor = page["cursor"].as_str().expect("a cursor");
    let next = json_body(
        &app.send(get(
            &format!("/~acme/workflows?sort=name&limit=2&cursor={cursor}"),
            Some(&acme),
        ))
        .await,
    );
    assert_eq!(next["results"][0]["name"], "paused");
    assert_eq!(next["hasMore"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_workflow_reads_with_its_version_and_strangers_see_nothing() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;
    let id = made[0].id.to_string();

    let answer = app
        .send(get(&format!("/~acme/workflows/{id}"), Some(&acme)))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(json_body(&answer)["$id"], id.as_str());
    assert_eq!(answer.etag.as_deref(), Some("W/\"1\""), "its version");

    // Signed out, another organization's key, bad query values: each a 4xx in the error shape.
    let refused = [
        (
            get("/~acme/workflows", None),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            get("/~acme/workflows", Some(&globex)),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            get(&format!("/~acme/workflows/{id}"), None),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            get("/~acme/workflows?limit=0", Some(&acme)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            get("/~acme/workflows?status=Sleeping", Some(&acme)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            get("/~acme/workflows/not-an-id", Some(&acme)),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (request, status, code) in refused {
        let answer = app.send(request).await;
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(json_body(&answer)["error"]["code"], code, "{}", answer.body);
    }

    // Globex's own workflow, asked for with globex's key under acme... and with acme's key:
    // exactly like a missing one.
    let mut conn = app.db.conn().await;
    let globex_admin = app.member("globex", switchyard::Role::Admin).await;
    let theirs =
        switchyard::read_model::workflow::list(&mut conn, &globex_admin, &Default::default())
            .await
            .expect("list")
            .results[0]
            .id
            .to_string();
    let hidden = app
        .send(get(&format!("/~acme/workflows/{theirs}"), Some(&acme)))
        .await;
    let missing = app
        .send(get(
            &format!("/~acme/workflows/{}", switchyard::WorkflowId::generate()),
            Some(&acme),
        ))
        .await;
    assert_eq!((hidden.status, hidden.body), (missing.status, missing.body));
}
