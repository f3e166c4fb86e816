//! Every registered server function, called through its own type: none is left out of the
//! signed-out and the other-organization checks, and a function added without being listed here
//! fails the first test.

use crate::TestApp;
use app::error::AppError;
use app::server_fns::{
    account::*, alerts::*, audit::*, auth::*, dashboard::*, events::*, mail::*, members::*,
    runs::*, settings::*, webhooks::*, workflows::*,
};
use axum::http::StatusCode;
use server_fn::ServerFn;
use switchyard::Role;

/// Who may call a server function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Door {
    /// Anyone: signing in and out, and an invitation's link (the link is the secret).
    Open,
    /// A signed-in person, about themselves.
    Personal,
    /// A member of the organization it names.
    Org,
}

/// One call: the function's path, its arguments as a form sends them, and who may call it.
struct Call {
    path: &'static str,
    body: String,
    door: Door,
}

fn call<S: ServerFn + serde::Serialize>(args: S, door: Door) -> Call {
    Call {
        path: S::PATH,
        body: serde_qs::to_string(&args).expect("form"),
        door,
    }
}

/// Every server function, for `org`, with ids that look right and name nothing.
fn every_call(org: &str) -> Vec<Call> {
    let o = || org.to_owned();
    let s = |text: &str| text.to_owned();
    let (workflow, run) = (s("workflow_Missing0"), s("run_Missing0"));
    let endpoint = s("endpoint_Missing0");
    let form = || switchyard::workflow::WorkflowInput {
        name: s("New"),
        trigger_event: s("Deal.won"),
        error_handling: s("Stop"),
        ..Default::default()
    };
    use Door::*;
    vec![
        call(GetAccount {}, Personal),
        call(
            ChangePassword {
                change: switchyard::forms::PasswordChange {
                    current_password: s("x"),
                    new_password: s("y"),
                    new_password_again: s("y"),
                },
            },
            Personal,
        ),
        call(
            EndSession {
                handle: s("0123456789abcdef"),
                all: s(""),
            },
            Personal,
        ),
        call(
            GetAudit {
                org: o(),
                person: s(""),
                kind: s(""),
                before: s(""),
            },
            Org,
        ),
        call(
            Login {
                email: s("nobody@nowhere.test"),
                password: s("wrong password"),
                next: s(""),
            },
            Open,
        ),
        call(Logout {}, Open),
        call(EmailOn {}, Open),
        call(
            ForgotPassword {
                email: s("nobody@nowhere.test"),
            },
            Open,
        ),
        call(
            GetReset {
                token: s("nothing"),
            },
            Open,
        ),
        call(
            ResetPassword {
                token: s("nothing"),
                password: s("a quiet harbour at dawn"),
                password_again: s("a quiet harbour at dawn"),
            },
            Open,
        ),
        call(ListEndpoints { org: o() }, Org),
        call(GetAlerts { org: o() }, Org),
        call(
            SaveAlertRule {
                org: o(),
                kind: s("FailureRate"),
                quiet_minutes: s("60"),
                email_to: vec![],
            },
            Org,
        ),
        call(
            SetAlertEmails {
                org: o(),
                on: s("false"),
            },
            Org,
        ),
        call(
            CreateEndpoint {
                org: o(),
                url: s("https://hooks.example.com/"),
                description: s(""),
                events: switchyard::webhook::EventChoice {
                    run_failed: Some(s("on")),
                    ..Default::default()
                },
            },
            Org,
        ),
        call(
            GetEndpoint {
                org: o(),
                id: endpoint.clone(),
                status: s(""),
                event_type: s(""),
                before: s(""),
            },
            Org,
        ),
        call(
            SendTestEvent {
                org: o(),
                id: endpoint.clone(),
            },
            Org,
        ),
        call(
            ResendDelivery {
                org: o(),
                id: endpoint.clone(),
                delivery: s("msg_0000000000000000"),
            },
            Org,
        ),
        call(
            ResendFailedDeliveries {
                org: o(),
                id: endpoint.clone(),
                within: s("24h"),
            },
            Org,
        ),
        call(
            RotateEndpointSecret {
                org: o(),
                id: endpoint.clone(),
            },
            Org,
        ),
        call(
            EnableEndpoint {
                org: o(),
                id: endpoint.clone(),
            },
            Org,
        ),
        call(
            DeleteEndpoint {
                org: o(),
                id: endpoint,
            },
            Org,
        ),
        call(
            SendTestEmail {
                org: o(),
                to: s("ops@example.com"),
            },
            Org,
        ),
        call(MyOrgs {}, Personal),
        call(CurrentMember { org: o() }, Org),
        call(
            GetDashboard {
                org: o(),
                range: s("7d"),
            },
            Org,
        ),
        call(
            GetWorkflowCharts {
                org: o(),
                id: workflow.clone(),
                range: s(""),
            },
            Org,
        ),
        call(
            EventLog {
                org: o(),
                event_type: s(""),
                before: s(""),
                system: s(""),
            },
            Org,
        ),
        call(
            InviteMember {
                org: o(),
                email: s("new@person.test"),
                role: s("Viewer"),
            },
            Org,
        ),
        call(
            ChangeMemberRole {
                org: o(),
                user: s("user_Missing0"),
                role: s("Viewer"),
            },
            Org,
        ),
        call(
            RemoveMember {
                org: o(),
                user: s("user_Missing0"),
            },
            Org,
        ),
        call(
            RevokeInvitation {
                org: o(),
                id: s("inv_Missing0"),
            },
            Org,
        ),
        call(
            GetInvitation {
                token: s("nothing"),
            },
            Open,
        ),
        call(
            JoinInvitation {
                token: s("nothing"),
            },
            Personal,
        ),
        call(
            DeclineInvitation {
                token: s("nothing"),
            },
            Personal,
        ),
        call(
            AcceptInvitation {
                token: s("nothing"),
                display_name: s("Someone"),
                password: s("a quiet harbour at dawn"),
                password_again: s("a quiet harbour at dawn"),
            },
            Open,
        ),
        call(
            WorkflowRuns {
                org: o(),
                id: workflow.clone(),
                filters: RunFilters::default(),
            },
            Org,
        ),
        call(
            ListRuns {
                org: o(),
                filters: RunFilters::default(),
            },
            Org,
        ),
        call(
            GetRun {
                org: o(),
                id: run.clone(),
            },
            Org,
        ),
        call(
            PreviewRetry {
                org: o(),
                id: run.clone(),
                from: s("start"),
            },
            Org,
        ),
        call(
            RetryRun {
                org: o(),
                id: run.clone(),
                from: s("start"),
                based_on: s(""),
            },
            Org,
        ),
        call(
            CancelRun {
                org: o(),
                id: run.clone(),
            },
            Org,
        ),
        call(
            PreviewBulk {
                org: o(),
                filters: RunFilters::default(),
                from: s("start"),
            },
            Org,
        ),
        call(
            RetryRuns {
                org: o(),
                filters: RunFilters::default(),
                from: s("start"),
                key: s("a-key"),
            },
            Org,
        ),
        call(
            CancelBatch {
                org: o(),
                batch: s("batch_Missing0"),
            },
            Org,
        ),
        call(GetSettings { org: o() }, Org),
        call(
            CreateApiKey {
                org: o(),
                name: s("Zapier"),
                scopes: switchyard::forms::ScopeChoice {
                    events_write: Some(s("on")),
                    ..Default::default()
                },
                expires_on: s(""),
            },
            Org,
        ),
        call(
            RevokeApiKey {
                org: o(),
                id: s("key_Missing0"),
            },
            Org,
        ),
        call(
            SavePreferences {
                org: o(),
                failure_threshold: s("10"),
                time_zone: s("UTC"),
            },
            Org,
        ),
        call(
            ListWorkflows {
                org: o(),
                filters: Default::default(),
            },
            Org,
        ),
        call(
            SaveWorkflow {
                org: o(),
                id: s(""),
                version: s(""),
                form: form(),
                fixing: s(""),
            },
            Org,
        ),
        call(
            PreviewWorkflow {
                org: o(),
                id: workflow.clone(),
                form: form(),
                sample: s("{}"),
                sample_field: Vec::new(),
            },
            Org,
        ),
        call(
            EditWorkflowForm {
                org: o(),
                id: s(""),
                op: s("add_step"),
                form: form(),
                sample: s(""),
                sample_field: Vec::new(),
            },
            Org,
        ),
        call(
            EditingWorkflow {
                org: o(),
                id: workflow.clone(),
            },
            Org,
        ),
        call(
            GetWorkflow {
                org: o(),
                id: workflow.clone(),
            },
            Org,
        ),
        call(
            ApplyVerb {
                org: o(),
                id: workflow.clone(),
                verb: s("archive"),
            },
            Org,
        ),
        call(
            SetSecret {
                org: o(),
                input: switchyard::secret::SecretInput {
                    name: s("CRM_TOKEN"),
                    value: s("x"),
                    hosts: s("crm.example.com"),
                },
            },
            Org,
        ),
        call(
            DeleteSecret {
                org: o(),
                name: s("NO_SUCH"),
            },
            Org,
        ),
        call(
            AcknowledgeAlert {
                org: o(),
                workflow: workflow.clone(),
            },
            Org,
        ),
        call(
            TriggerWorkflow {
                org: o(),
                id: workflow.clone(),
                payload: s("{}"),
                payload_field: Vec::new(),
            },
            Org,
        ),
        call(
            PreviewTrigger {
                org: o(),
                id: workflow.clone(),
                payload: s("{}"),
                payload_field: Vec::new(),
            },
            Org,
        ),
        call(
            DryRunWorkflow {
                org: o(),
                id: workflow.clone(),
                sample: s("{}"),
            },
            Org,
        ),
        call(
            GetVersions {
                org: o(),
                id: workflow.clone(),
                a: s(""),
                b: s(""),
                before: s(""),
            },
            Org,
        ),
        call(
            RestoreVersion {
                org: o(),
                id: workflow,
                version: s("1"),
                based_on: s("2"),
            },
            Org,
        ),
    ]
}

/// Posts `call` as the hydrated app does (JSON back).
async fn send(app: &TestApp, cookie: Option<&str>, call: &Call) -> crate::Answer {
    use axum::body::Body;
    use axum::http::{Request, header};
    let mut request = crate::from_the_app(Request::post(call.path))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(
        request
            .body(Body::from(call.body.clone()))
            .expect("request"),
    )
    .await
}

#[test]
fn every_registered_server_function_is_called_here() {
    let registered: std::collections::BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let called: std::collections::BTreeSet<String> = every_call("acme")
        .iter()
        .map(|c| c.path.to_owned())
        .collect();
    assert_eq!(called.len(), every_call("acme").len(), "each once");
    assert_eq!(called, registered);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_server_function_but_the_open_ones_refuses_the_signed_out() {
    let app = TestApp::new().await;
    app.member("acme", Role::Admin).await;
    let mut refused = 0;
    for call in every_call("acme") {
        let answer = send(&app, None, &call).await;
        if call.door == Door::Open {
            assert_ne!(
                answer.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{}",
                call.path
            );
            continue;
        }
        assert_eq!(answer.error(), AppError::Unauthorized, "{}", call.path);
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", call.path);
        refused += 1;
    }
    assert_eq!(refused, every_call("acme").len() - 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn to_another_organizations_admin_every_function_of_an_organization_answers_as_if_it_did_not_exist()
 {
    let app = TestApp::new().await;
    app.member("acme", Role::Admin).await;
    let stranger = app.member("globex", Role::Admin).await;
    let cookie = app.sign_in(&stranger).await;
    let mut compared = 0;
    for (theirs, missing) in every_call("acme").iter().zip(every_call("initech")) {
        if theirs.door != Door::Org {
            continue;
        }
        let answer = send(&app, Some(&cookie), theirs).await;
        let control = send(&app, Some(&cookie), &missing).await;
        assert_eq!(answer.error(), AppError::NotFound, "{}", theirs.path);
        assert_eq!(
            (answer.status, answer.body),
            (control.status, control.body),
            "{}: the same answer as an organization that does not exist",
            theirs.path
        );
        compared += 1;
    }
    assert_eq!(compared, 50);
}
