use crate::TestApp;
use axum::http::StatusCode;
use switchyard::Role;

#[tokio::test(flavor = "multi_thread")]
async fn signed_out_pages_redirect_to_login_and_back() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let answer = app.get(None, "/o/acme/workflows?status=Draft").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.location.as_deref(),
        Some("/login?next=/o/acme/workflows%3Fstatus%3DDraft")
    );
    // Signing in with that `next`, as the login form does without JavaScript, lands there.
    let form = [
        ("email", editor.email.as_str()),
        ("password", switchyard::testing::PASSWORD),
        ("next", "/o/acme/workflows?status=Draft"),
    ];
    let answer = app
        .post_form(
            None,
            "login",
            &form,
            "http://localhost/login?next=%2Fo%2Facme%2Fworkflows",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(
        answer.location.as_deref(),
        Some("/o/acme/workflows?status=Draft")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_never_sends_anyone_to_another_site() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    for next in ["https://evil.test/", "//evil.test/", "/\\evil.test"] {
        let form = [
            ("email", editor.email.as_str()),
            ("password", switchyard::testing::PASSWORD),
            ("next", next),
        ];
        let answer = app
            .post_form(None, "login", &form, "http://localhost/login")
            .await;
        // Where a member lands: the dashboard (issue 8), never the other site.
        assert_eq!(
            answer.location.as_deref(),
            Some("/o/acme/dashboard"),
            "{next}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_render_on_the_server_with_their_content() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Customer Onboarding", 1).await;
    let cookie = app.sign_in(&admin).await;
    let list = app.get(Some(&cookie), "/o/acme/workflows").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("Customer Onboarding") && list.body.contains("Deal.won"),
        "{}",
        list.body
    );
    let detail = app
        .get(Some(&cookie), &format!("/o/acme/workflows/{}", workflow.id))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains(">Activate<") && detail.body.contains(">Archive<"),
        "{}",
        detail.body
    );
    let edit = app
        .get(
            Some(&cookie),
            &format!("/o/acme/workflows/{}/edit", workflow.id),
        )
        .await;
    assert!(
        edit.body.contains("value=\"Customer.create\""),
        "the steps editor shows the step"
    );
    let empty = app
        .get(Some(&cookie), "/o/acme/workflows?q=nothing-like-this")
        .await;
    assert!(empty.body.contains("No workflows match"), "{}", empty.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_organizations_pages_are_404_like_missing_ones() {
    let app = TestApp::new().await;
    let acme = app.member("acme", Role::Admin).await;
    let globex = app.member("globex", Role::Admin).await;
    let theirs = app.workflow(&acme, "Acme secret", 1).await;
    let cookie = app.sign_in(&globex).await;
    let foreign = app
        .get(Some(&cookie), &format!("/o/globex/workflows/{}", theirs.id))
        .await;
    let missing = app
        .get(Some(&cookie), "/o/globex/workflows/workflow_Missing0")
        .await;
    assert_eq!(
        (foreign.status, missing.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert!(!foreign.body.contains("Acme secret"));
    let same = |body: &str, id: &str| without_nonces(&body.replace(id, "ID"));
    assert_eq!(
        same(&foreign.body, theirs.id.as_str()),
        same(&missing.body, "workflow_Missing0")
    );
    let other_org = app.get(Some(&cookie), "/o/acme/workflows").await;
    assert_eq!(other_org.status, StatusCode::NOT_FOUND);
    assert!(!other_org.body.contains("Acme secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_posted_without_javascript_comes_back_with_its_error() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Empty", 0).await;
    let cookie = app.sign_in(&admin).await;
    let page = format!("http://localhost/o/acme/workflows/{}", workflow.id);
    let form = [
        ("org", "acme"),
        ("id", workflow.id.as_str()),
        ("verb", "activate"),
    ];
    let answer = app
        .post_form(Some(&cookie), "apply_verb", &form, &page)
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location.expect("back to the page");
    // The error waits in the session; the address holds only a reference to it.
    assert!(
        location.starts_with(&page)
            && location.contains("__flash=")
            && !location.contains("__err="),
        "{location}"
    );
    let shown = app
        .get(
            Some(&cookie),
            location.trim_start_matches("http://localhost"),
        )
        .await;
    assert!(
        shown.body.contains("At least one step is required"),
        "{}",
        shown.body
    );
    // Posting again from that address does not pile up errors.
    let again = app
        .post_form(Some(&cookie), "apply_verb", &form, &location)
        .await;
    assert_eq!(again.location.expect("back").matches("__flash=").count(), 1);
}

/// The page with its per-response nonces blanked, to compare two answers.
fn without_nonces(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(['"']) {
        let (head, tail) = rest.split_at(at + 1);
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        let value = &tail[..end];
        let is_nonce = head.ends_with("nonce=\"") || head.ends_with("crossorigin=\"");
        out.push_str(if is_nonce { "N" } else { value });
        rest = &tail[end..];
        if let Some(stripped) = rest.strip_prefix('"') {
            out.push('"');
            rest = stripped;
        }
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_of_several_organizations_chooses_one_and_can_switch() {
    let app = TestApp::new().await;
    let acme = app.member("acme", Role::Editor).await;
    let globex_admin = app.member("globex", Role::Admin).await;
    let mut conn = app.db.conn().await;
    switchyard::setup::add_user(
        &mut conn,
        &globex_admin.org,
        &acme.email,
        "Ed",
        "unused",
        Role::Viewer,
    )
    .await
    .expect("add");
    let form = [
        ("email", acme.email.as_str()),
        ("password", switchyard::testing::PASSWORD),
    ];
    let answer = app
        .post_form(None, "login", &form, "http://localhost/login")
        .await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/orgs"),
        "several organizations: choose one"
    );
    let cookie = answer.cookie();
    let chooser = app.get(Some(&cookie), "/orgs").await;
    assert!(
        chooser.body.contains("href=\"/o/acme/dashboard\"")
            && chooser.body.contains("href=\"/o/globex/dashboard\""),
        "{}",
        chooser.body
    );
    for org in ["acme", "globex"] {
        assert_eq!(
            app.get(Some(&cookie), &format!("/o/{org}/workflows"))
                .await
                .status,
            StatusCode::OK,
            "{org}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_a_member_cannot_use_say_why_instead() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let workflow = app.workflow(&admin, "Onboarding", 0).await;
    let cookie = app.sign_in(&viewer).await;
    let new = app.get(Some(&cookie), "/o/acme/workflows/new").await;
    assert_eq!(new.status, StatusCode::FORBIDDEN);
    assert!(
        new.body.contains("Your role does not allow this") && !new.body.contains("Create workflow"),
        "{}",
        new.body
    );
    let edit = app
        .get(
            Some(&cookie),
            &format!("/o/acme/workflows/{}/edit", workflow.id),
        )
        .await;
    assert!(
        edit.body.contains("Your role does not allow this") && !edit.body.contains("Save changes")
    );
    let mut conn = app.db.conn().await;
    switchyard::verbs::archive(
        &mut conn,
        &switchyard::hooks::Hooks::with_defaults(),
        &admin,
        &workflow.id,
    )
    .await
    .expect("archive");
    let cookie = app.sign_in(&admin).await;
    let edit = app
        .get(
            Some(&cookie),
            &format!("/o/acme/workflows/{}/edit", workflow.id),
        )
        .await;
    assert!(
        edit.body
            .contains("A workflow that is Archived cannot be edited.")
            && !edit.body.contains("Save changes")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflows_recent_activity_reads_in_words_with_who_did_it() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 1).await;
    app.activate(&admin, &workflow.id).await;
    let cookie = app.sign_in(&admin).await;
    let page = app
        .get(Some(&cookie), &format!("/o/acme/workflows/{}", workflow.id))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // Without the markers Leptos puts between a view's parts.
    let text = page.body.replace("<!>", "");
    let activity = text
        .split("Recent activity")
        .nth(1)
        .expect("the activity list");
    for said in [
        format!("Activated by {}", admin.display_name),
        format!("Created by {}", admin.display_name),
    ] {
        assert!(activity.contains(&said), "{said}: {activity}");
    }
    assert!(
        !activity.to_lowercase().contains("workflow.activated"),
        "{activity}"
    );
}
