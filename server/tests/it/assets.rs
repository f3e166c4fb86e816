//! The browser bundle's files: compressed ahead as the browser asks, kept a year when their
//! names carry their content's hash, asked again otherwise.

use crate::TestApp;
use crate::security::header_of;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread")]
async fn hashed_files_are_kept_a_year_in_the_encoding_asked_and_others_are_asked_again() {
    let site = std::env::temp_dir().join(format!("switchyard-site-{}", std::process::id()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).expect("site folder");
    let hashed = "switchyard.AbCdEfGhIjKlMnOpQrStUv.wasm";
    std::fs::write(pkg.join(hashed), b"plain wasm").expect("file");
    std::fs::write(pkg.join(format!("{hashed}.br")), b"brotli wasm").expect("file");
    std::fs::write(pkg.join(format!("{hashed}.gz")), b"gzip wasm").expect("file");
    std::fs::write(pkg.join("switchyard.css"), b"body {}").expect("file");
    let app = TestApp::with_site(Default::default(), site.to_str().expect("path")).await;

    let get = |path: String, encoding: &'static str| {
        let router = app.router();
        async move {
            let response = router
                .oneshot(
                    Request::get(path)
                        .header(header::ACCEPT_ENCODING, encoding)
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("answer");
            let status = response.status();
            let head = |name: &str| header_of(&response, name).map(str::to_owned);
            let heads = (
                head("cache-control"),
                head("content-encoding"),
                head("vary"),
            );
            let body = response.into_body().collect().await.expect("body");
            (status, heads, body.to_bytes())
        }
    };

    for (encoding, body, sent_as) in [
        ("br, gzip", &b"brotli wasm"[..], Some("br")),
        ("gzip", &b"gzip wasm"[..], Some("gzip")),
        ("identity", &b"plain wasm"[..], None),
    ] {
        let (status, (cache, content_encoding, vary), got) =
            get(format!("/pkg/{hashed}"), encoding).await;
        assert_eq!(status, StatusCode::OK, "{encoding}");
        assert_eq!(got, body, "{encoding}");
        assert_eq!(content_encoding.as_deref(), sent_as, "{encoding}");
        assert_eq!(
            cache.as_deref(),
            Some("public, max-age=31536000, immutable"),
            "{encoding}"
        );
        assert!(
            vary.is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{encoding}: caches must keep the encodings apart"
        );
    }

    let (status, (cache, ..), _) = get("/pkg/switchyard.css".to_owned(), "identity").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cache.as_deref(), Some("no-cache"), "a name without a hash");

    let (status, (cache, ..), _) = get(
        "/pkg/switchyard.ZZZZZZZZZZZZZZZZZZZZZZ.wasm".to_owned(),
        "br",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(cache.as_deref(), Some("no-store"), "a missing file");

    let _ = std::fs::remove_dir_all(&site);
}
