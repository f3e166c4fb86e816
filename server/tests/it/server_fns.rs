use crate::TestApp;
use app::error::AppError;
use axum::http::StatusCode;
use switchyard::{Role, Status};

/// Every server function that needs a signed-in user, with arguments that would otherwise work.
fn calls<'a>(org: &'a str, id: &'a str) -> Vec<(&'static str, Vec<(&'static str, &'a str)>)> {
    vec![
        ("my_orgs", vec![]),
        ("current_member", vec![("org", org)]),
        ("list_workflows", vec![("org", org)]),
        ("get_dashboard", vec![("org", org), ("range", "30d")]),
        ("list_runs", vec![("org", org), ("status", "Failed")]),
        ("get_workflow", vec![("org", org), ("id", id)]),
        (
            "get_workflow_charts",
            vec![("org", org), ("id", id), ("range", "7d")],
        ),
        (
            "save_workflow",
            vec![
                ("org", org),
                ("id", id),
                ("version", "1"),
                ("name", "Renamed"),
                ("trigger_event", "Deal.won"),
            ],
        ),
        (
            "apply_verb",
            vec![("org", org), ("id", id), ("verb", "archive")],
        ),
        (
            "get_versions",
            vec![("org", org), ("id", id), ("a", "1"), ("b", "1")],
        ),
        (
            "restore_version",
            vec![
                ("org", org),
                ("id", id),
                ("version", "1"),
                ("based_on", "1"),
            ],
        ),
        ("logout", vec![]),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_out_calls_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 1).await;
    for (name, args) in calls("acme", workflow.id.as_str()) {
        let answer = app.call(None, name, &args).await;
        if name == "logout" {
            assert!(
                answer.status.is_success(),
                "signing out without a session is harmless"
            );
            continue;
        }
        assert_eq!(answer.error(), AppError::Unauthorized, "{name}");
    }
    let stored = app.stored(&admin, &workflow.id).await.expect("still there");
    assert_eq!(
        (stored.name.as_str(), stored.status, stored.version),
        ("Onboarding", Status::Draft, 1)
    );
}

/// `args` with the value of `key` replaced.
fn with<'a>(args: &[(&'a str, &'a str)], key: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    args.iter()
        .map(|(k, v)| (*k, if *k == key { value } else { *v }))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn another_organization_looks_exactly_like_a_missing_one() {
    let app = TestApp::new().await;
    let acme = app.member("acme", Role::Admin).await;
    let globex = app.member("globex", Role::Admin).await;
    let theirs = app.workflow(&globex, "Globex only", 1).await;
    app.workflow(&acme, "Acme only", 1).await;
    let cookie = app.sign_in(&acme).await;
    let mut compared = 0;
    // Globex's workflow asked for inside acme answers like an id that does not exist…
    for (name, args) in calls("acme", theirs.id.as_str()) {
        if !args.iter().any(|(k, _)| *k == "id") {
            continue;
        }
        let answer = app.call(Some(&cookie), name, &args).await;
        let control = app
            .call(Some(&cookie), name, &with(&args, "id", "workflow_Missing0"))
            .await;
        assert_eq!(answer.error(), AppError::NotFound, "{name} {args:?}");
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{name}");
        assert_eq!(
            (answer.status, answer.body),
            (control.status, control.body),
            "{name}: same answer as a missing id"
        );
        compared += 1;
    }
    // …and globex itself, which exists and has a workflow, like an organization that does not.
    for (name, args) in calls("globex", theirs.id.as_str()) {
        if matches!(name, "my_orgs" | "logout") {
            continue;
        }
        let answer = app.call(Some(&cookie), name, &args).await;
        let control = app
            .call(Some(&cookie), name, &with(&args, "org", "initech"))
            .await;
        assert_eq!(answer.error(), AppError::NotFound, "{name} {args:?}");
        assert_eq!(
            (answer.status, answer.body),
            (control.status, control.body),
            "{name}: same answer as a missing organization"
        );
        compared += 1;
    }
    assert_eq!(
        compared,
        6 + 10,
        "every call that names an id or an organization"
    );
    let stored = app.stored(&globex, &theirs.id).await.expect("untouched");
    assert_eq!(
        (stored.name.as_str(), stored.status, stored.version),
        ("Globex only", Status::Draft, 1)
    );
    let listed = app
        .call(Some(&cookie), "list_workflows", &[("org", "acme")])
        .await;
    assert!(listed.body.contains("Acme only"), "{}", listed.body);
    assert!(
        !listed.body.contains("Globex only"),
        "acme's list never shows globex's workflows"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_functions_answer_with_the_status_of_their_error() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let workflow = app.workflow(&editor, "Onboarding", 0).await;
    let id = workflow.id.as_str();
    let cookie = app.sign_in(&editor).await;
    let viewing = app.sign_in(&viewer).await;
    type Case<'a> = (
        Option<&'a str>,
        &'a str,
        Vec<(&'a str, &'a str)>,
        StatusCode,
    );
    let cases: Vec<Case> = vec![
        (
            None,
            "get_workflow",
            vec![("org", "acme"), ("id", id)],
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(&cookie),
            "get_workflow",
            vec![("org", "acme"), ("id", "workflow_Missing0")],
            StatusCode::NOT_FOUND,
        ),
        (
            Some(&viewing),
            "apply_verb",
            vec![("org", "acme"), ("id", id), ("verb", "archive")],
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&cookie),
            "save_workflow",
            vec![("org", "acme"), ("name", ""), ("trigger_event", "Deal.won")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&cookie),
            "list_workflows",
            vec![("org", "acme"), ("sort", "random")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&cookie),
            "apply_verb",
            vec![("org", "acme"), ("id", id), ("verb", "pause")],
            StatusCode::CONFLICT,
        ),
        (
            Some(&cookie),
            "apply_verb",
            vec![("org", "acme"), ("id", id), ("verb", "activate")],
            StatusCode::CONFLICT,
        ),
        (
            Some(&cookie),
            "save_workflow",
            vec![
                ("org", "acme"),
                ("id", id),
                ("version", "7"),
                ("name", "Stale"),
                ("trigger_event", "Deal.won"),
            ],
            StatusCode::CONFLICT,
        ),
    ];
    for (cookie, name, args, status) in cases {
        let answer = app.call(cookie, name, &args).await;
        assert_eq!(answer.status, status, "{name} {args:?}: {}", answer.body);
        answer.error();
    }
    // A form posted without JavaScript still goes back to its page, with the error.
    let answer = app
        .post_form(
            Some(&cookie),
            "save_workflow",
            &[("org", "acme"), ("name", ""), ("trigger_event", "Deal.won")],
            "http://localhost/o/acme/workflows/new",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert!(
        answer
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("http://localhost/o/acme/workflows/new?")),
        "{:?}",
        answer.location
    );
    let stored = app.stored(&editor, &workflow.id).await.expect("there");
    assert_eq!(
        (stored.version, stored.status),
        (1, Status::Draft),
        "nothing changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_reads_but_every_change_is_forbidden() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let workflow = app.workflow(&admin, "Onboarding", 1).await;
    let cookie = app.sign_in(&viewer).await;
    let id = workflow.id.as_str();
    assert!(
        app.call(Some(&cookie), "list_workflows", &[("org", "acme")])
            .await
            .body
            .contains("Onboarding")
    );
    let view = app
        .call(
            Some(&cookie),
            "get_workflow",
            &[("org", "acme"), ("id", id)],
        )
        .await;
    let view: app::server_fns::workflows::WorkflowView =
        serde_json::from_str(&view.body).expect("view");
    assert!(view.overview.verbs.is_empty(), "no buttons for a Viewer");
    for (name, args) in [
        ("get_dashboard", vec![("org", "acme")]),
        ("get_workflow_charts", vec![("org", "acme"), ("id", id)]),
    ] {
        let answer = app.call(Some(&cookie), name, &args).await;
        assert!(
            answer.status.is_success(),
            "a Viewer reads {name}: {}",
            answer.body
        );
    }
    for verb in ["activate", "archive", "delete"] {
        let answer = app
            .call(
                Some(&cookie),
                "apply_verb",
                &[("org", "acme"), ("id", id), ("verb", verb)],
            )
            .await;
        assert_eq!(answer.error(), AppError::Forbidden, "{verb}");
    }
    let save = [
        ("org", "acme"),
        ("id", id),
        ("version", "1"),
        ("name", "Mine now"),
        ("trigger_event", "Deal.won"),
    ];
    assert_eq!(
        app.call(Some(&cookie), "save_workflow", &save)
            .await
            .error(),
        AppError::Forbidden
    );
    let create = [
        ("org", "acme"),
        ("name", "New"),
        ("trigger_event", "Deal.won"),
    ];
    assert_eq!(
        app.call(Some(&cookie), "save_workflow", &create)
            .await
            .error(),
        AppError::Forbidden
    );
    let stored = app.stored(&admin, &workflow.id).await.expect("there");
    assert_eq!(
        (stored.name.as_str(), stored.version, stored.status),
        ("Onboarding", 1, Status::Draft)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_field_messages_and_writes_nothing() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    let long = "x".repeat(201);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("name", ""), ("trigger_event", "Deal.won")], "name"),
        (vec![("name", &long), ("trigger_event", "Deal.won")], "name"),
        (
            vec![("name", "Ok"), ("trigger_event", "deal won")],
            "triggerEvent",
        ),
        (
            vec![
                ("name", "Ok"),
                ("trigger_event", "Deal.won"),
                ("steps[0][action]", "create customer"),
            ],
            "steps.0.action",
        ),
        (
            vec![
                ("name", "Ok"),
                ("trigger_event", "Deal.won"),
                ("steps[0][action]", "Customer.create"),
                ("steps[0][mapping][0][field]", "name"),
                ("steps[0][mapping][0][expr]", "Follow up"),
            ],
            "steps.0.mapping.0.expr",
        ),
        (
            vec![
                ("name", "Ok"),
                ("trigger_event", "Deal.won"),
                ("error_handling", "Explode"),
            ],
            "errorHandling",
        ),
        (
            vec![
                ("name", "Ok"),
                ("trigger_event", "Deal.won"),
                ("timeout_ms", "-5"),
            ],
            "timeout",
        ),
    ];
    for (fields, field) in cases {
        let mut form = vec![("org", "acme")];
        form.extend(fields);
        let error = app
            .call(Some(&cookie), "save_workflow", &form)
            .await
            .error();
        assert!(error.field(field).is_some(), "{field}: {error:?}");
        assert!(
            error.input().is_some(),
            "the input comes back to refill the form"
        );
    }
    let list = app
        .call(Some(&cookie), "list_workflows", &[("org", "acme")])
        .await;
    assert!(list.body.contains("\"total\":0"), "{}", list.body);
    // Unknown status, sort and verb values.
    let error = app
        .call(
            Some(&cookie),
            "list_workflows",
            &[("org", "acme"), ("status", "Running"), ("sort", "random")],
        )
        .await
        .error();
    assert!(
        error.field("status").is_some() && error.field("sort").is_some(),
        "{error:?}"
    );
    let workflow = app.workflow(&editor, "Onboarding", 1).await;
    let error = app
        .call(
            Some(&cookie),
            "apply_verb",
            &[
                ("org", "acme"),
                ("id", workflow.id.as_str()),
                ("verb", "explode"),
            ],
        )
        .await
        .error();
    assert!(error.field("verb").is_some(), "{error:?}");
    // A wrong version is a conflict that shows what is current, and keeps the edit.
    let stale = [
        ("org", "acme"),
        ("id", workflow.id.as_str()),
        ("version", "7"),
        ("name", "Stale"),
        ("trigger_event", "Deal.won"),
    ];
    match app
        .call(Some(&cookie), "save_workflow", &stale)
        .await
        .error()
    {
        AppError::Conflict { current, input } => {
            assert_eq!(
                (current.version, current.name.as_str(), input.name.as_str()),
                (1, "Onboarding", "Stale")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        app.stored(&editor, &workflow.id).await.expect("there").name,
        "Onboarding"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_editor_creates_edits_and_moves_a_workflow_through_its_verbs() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    let create = [
        ("org", "acme"),
        ("name", "Onboarding"),
        ("trigger_event", "Deal.won"),
    ];
    let answer = app.call(Some(&cookie), "save_workflow", &create).await;
    assert!(
        answer.status.is_success(),
        "{} {}",
        answer.status,
        answer.body
    );
    let list = app
        .call(Some(&cookie), "list_workflows", &[("org", "acme")])
        .await;
    let (_, page): (
        switchyard::Member,
        switchyard::list_query::Page<app::server_fns::workflows::ListedWorkflow>,
    ) = serde_json::from_str(&list.body).expect("page");
    let id = page.results[0].id.to_string();
    let refused = app
        .call(
            Some(&cookie),
            "apply_verb",
            &[("org", "acme"), ("id", &id), ("verb", "activate")],
        )
        .await
        .error();
    assert_eq!(
        refused,
        AppError::Refused("At least one step is required".into())
    );
    let edit = [
        ("org", "acme"),
        ("id", &id),
        ("version", "1"),
        ("name", "Onboarding"),
        ("trigger_event", "Deal.won"),
        ("steps[0][action]", "Customer.create"),
        ("steps[0][mapping][0][field]", "name"),
        ("steps[0][mapping][0][expr]", "deal.name"),
        ("steps[1][action]", "Project.create"),
        ("steps[1][mapping][0][field]", "name"),
        ("steps[1][mapping][0][expr]", "\"Onboarding: \" + deal.name"),
    ];
    let answer = app.call(Some(&cookie), "save_workflow", &edit).await;
    assert!(answer.status.is_success(), "{}", answer.body);
    for (verb, status) in [
        ("activate", Status::Activated),
        ("pause", Status::Paused),
        ("archive", Status::Archived),
    ] {
        let answer = app
            .call(
                Some(&cookie),
                "apply_verb",
                &[("org", "acme"), ("id", &id), ("verb", verb)],
            )
            .await;
        assert!(answer.status.is_success(), "{verb}: {}", answer.body);
        let id = switchyard::WorkflowId::parse(&id).expect("id");
        let stored = app.stored(&editor, &id).await.expect("there");
        assert_eq!(
            (stored.status, stored.version, stored.step_count()),
            (status, 2, 2)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_step_buttons_hand_the_edited_form_back_unsaved() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    let form = [
        ("org", "acme"),
        ("op", "move_up:1"),
        ("name", "Draft"),
        ("trigger_event", "Deal.won"),
        ("steps[0][action]", "A.create"),
        ("steps[1][action]", "B.create"),
    ];
    let edited = app.call(Some(&cookie), "edit_workflow_form", &form).await;
    assert!(edited.status.is_success(), "{}", edited.body);
    let kept = app
        .call(Some(&cookie), "editing_workflow", &[("org", "acme")])
        .await;
    let (kept, _): (
        Option<app::server_fns::workflows::Editing>,
        switchyard::editor::EditorChoices,
    ) = serde_json::from_str(&kept.body).expect("the form as it was left");
    let kept = kept.expect("kept");
    let actions: Vec<&str> = kept.input.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["B.create", "A.create"]);
    assert_eq!(kept.dry, None, "no preview was asked for");
    // Shown once.
    let again = app
        .call(Some(&cookie), "editing_workflow", &[("org", "acme")])
        .await;
    assert!(again.body.starts_with("[null,"), "{}", again.body);
    // Without JavaScript: back to the form, which shows the steps in their new order.
    let answer = app
        .post_form(
            Some(&cookie),
            "edit_workflow_form",
            &form,
            "http://localhost/o/acme/workflows/new",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    // At the step the button moved (step 2 moved up is step 1 now).
    assert_eq!(
        answer.location.as_deref(),
        Some("/o/acme/workflows/new#step-1")
    );
    // A page elsewhere is not gone back to with an anchor of ours.
    let elsewhere = app
        .post_form(
            Some(&cookie),
            "edit_workflow_form",
            &form,
            "http://localhost/o/globex/workflows/new",
        )
        .await;
    assert!(
        !elsewhere
            .location
            .as_deref()
            .unwrap_or_default()
            .contains("#step-"),
        "{:?}",
        elsewhere.location
    );
    let page = app.get(Some(&cookie), "/o/acme/workflows/new").await;
    let (b, a) = (
        page.body.find("B.create").expect("B shown"),
        page.body.find("A.create").expect("A shown"),
    );
    assert!(b < a, "moved up");
    // An action nobody used before is said plainly next to its field.
    assert!(
        page.body.contains("No workflow has used A.create before."),
        "{}",
        page.body
    );
    let list = app
        .call(Some(&cookie), "list_workflows", &[("org", "acme")])
        .await;
    assert!(list.body.contains("\"total\":0"), "nothing saved");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_refuses_a_wrong_password_and_an_unknown_email_alike() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let wrong = app
        .call(
            None,
            "login",
            &[("email", &editor.email), ("password", "nope")],
        )
        .await;
    let unknown = app
        .call(
            None,
            "login",
            &[("email", "ghost@acme.test"), ("password", "nope")],
        )
        .await;
    assert_eq!(
        wrong.error(),
        AppError::SignIn("That email and password do not match.".into())
    );
    assert_eq!((wrong.status, wrong.body), (unknown.status, unknown.body));
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_compare_in_words_and_only_editors_restore() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let workflow = app.workflow(&editor, "Onboarding", 1).await;
    let id = workflow.id.to_string();
    let cookie = app.sign_in(&editor).await;
    let edit = [
        ("org", "acme"),
        ("id", id.as_str()),
        ("version", "1"),
        ("name", "Onboarding"),
        ("trigger_event", "Deal.won"),
        ("steps[0][action]", "Customer.create"),
        ("steps[0][mapping][0][field]", "name"),
        ("steps[0][mapping][0][expr]", "deal.title"),
    ];
    assert!(
        app.call(Some(&cookie), "save_workflow", &edit)
            .await
            .status
            .is_success()
    );
    let page = app
        .get(
            Some(&cookie),
            &format!("/o/acme/workflows/{id}/versions?a=1&b=2"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // The history says it in words: the one change is its sentence.
    let said = "Step 1 “name” changed from the deal's name to the deal's title.";
    assert!(page.body.contains(said), "{}", page.body);
    assert!(page.body.contains("name ← deal.title") && page.body.contains("name ← deal.name"));
    let watching = app.sign_in(&viewer).await;
    let restore = [
        ("org", "acme"),
        ("id", id.as_str()),
        ("version", "1"),
        ("based_on", "2"),
    ];
    assert_eq!(
        app.call(Some(&watching), "restore_version", &restore)
            .await
            .error(),
        AppError::Forbidden
    );
    let viewer_page = app
        .get(Some(&watching), &format!("/o/acme/workflows/{id}/versions"))
        .await;
    assert!(
        !viewer_page.body.contains("Restore version"),
        "nothing to restore for a Viewer"
    );
    let done = app.call(Some(&cookie), "restore_version", &restore).await;
    assert!(done.status.is_success(), "{}", done.body);
    let stale = app.call(Some(&cookie), "restore_version", &restore).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let stored = app.stored(&editor, &workflow.id).await.expect("there");
    assert_eq!(stored.version, 3);
    assert_eq!(stored.steps, workflow.steps, "version 1's steps again");
}
