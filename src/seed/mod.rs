//! The demo organization `acme`: an Admin, an Editor, a Viewer, workflows in several statuses
//! and thirty days of their runs (`history`); and its neighbour `globex`.

mod history;

use crate::db::Conn;
use crate::hooks::Hooks;
use crate::repo;
use crate::role::Role;
use crate::setup::{self, NewOrg};
use crate::verbs;
use crate::workflow::{ErrorHandling, MappingRow, StepInput, WorkflowInput};

pub const DEMO_SLUG: &str = "acme";
pub const DEMO_ADMIN_EMAIL: &str = "admin@acme.test";
pub const DEMO_PASSWORD: &str = "switchyard-demo";

fn step(action: &str, rows: &[(&str, &str)]) -> StepInput {
    StepInput {
        action: action.into(),
        mapping: rows
            .iter()
            .map(|(f, e)| MappingRow {
                field: (*f).into(),
                expr: (*e).into(),
            })
            .collect(),
        ..Default::default()
    }
}

fn demo_workflows() -> Vec<(WorkflowInput, &'static [&'static str])> {
    let onboarding = WorkflowInput {
        name: "Customer Onboarding".into(),
        description: "When a deal is won: create the customer, open an onboarding project, book the welcome call.".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![
            step("Customer.create", &[("name", "deal.name"), ("contact", "deal.contact")]),
            step("Subscription.create", &[("plan", "deal.plan"), ("customer", "step.0.$id")]),
            step("Project.create", &[("name", "\"Onboarding: \" + deal.name")]),
            step("Activity.create", &[("subject", "\"Welcome call with \" + deal.contact.name"), ("type", "Call")]),
        ],
        error_handling: ErrorHandling::Fallback.as_str().into(),
        timeout_ms: "30000".into(),
        ..Default::default()
    };
    let lead = WorkflowInput {
        name: "Lead Assignment".into(),
        description: "Assign each new lead and create a follow-up task.".into(),
        trigger_event: "Lead.created".into(),
        steps: vec![
            step("Contact.assign", &[("assignee", "round-robin")]),
            step(
                "Activity.create",
                &[("subject", "\"Follow up: \" + lead.name"), ("type", "Task")],
            ),
        ],
        error_handling: ErrorHandling::Continue.as_str().into(),
        ..Default::default()
    };
    let escalation = WorkflowInput {
        name: "Ticket Escalation".into(),
        description: "Draft: escalate urgent tickets to the on-call lead.".into(),
        trigger_event: "Ticket.created".into(),
        ..Default::default()
    };
    let legacy = WorkflowInput {
        name: "Old Newsletter Signup".into(),
        description: "Replaced by the marketing tool; kept for reference.".into(),
        trigger_event: "Form.submitted".into(),
        steps: vec![step("Contact.create", &[("email", "form.email")])],
        ..Default::default()
    };
    vec![
        (onboarding, &["activate"]),
        (lead, &["activate", "pause"]),
        (escalation, &[]),
        (legacy, &["archive"]),
    ]
}

/// The neighbouring organization of the demo: nobody of `acme` belongs to it, so it shows
/// (and the browser tests check) that one organization never sees another's workflows.
pub const NEIGHBOUR_SLUG: &str = "globex";

/// The demo's workflow that reaches outside: an order placed is sent to the CRM the demo serves
/// itself at `crm` (so it works offline), and the CRM's id is logged as an activity.
fn orders_to_crm(crm: &str) -> WorkflowInput {
    use crate::workflow::RequestInput;
    let row = |field: &str, expr: &str| MappingRow {
        field: field.into(),
        expr: expr.into(),
    };
    WorkflowInput {
        name: "Orders to CRM".into(),
        description: "When an order is placed, create it in the CRM and log the CRM's id.".into(),
        trigger_event: "Order.placed".into(),
        steps: vec![
            StepInput {
                action: crate::definition::HTTP_ACTION.into(),
                name: "Create the order in the CRM".into(),
                request: RequestInput {
                    method: "POST".into(),
                    url: format!("\"{crm}\""),
                    headers: vec![row("X-Source", "\"switchyard\"")],
                    body_kind: "json".into(),
                    body: vec![
                        row("customer", "order.customer"),
                        row("total", "order.total"),
                        row("fail", "order.fail"),
                    ],
                    timeout: "10 s".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            step(
                "Activity.create",
                &[
                    ("subject", "\"Order in the CRM as \" + step.0.body.id"),
                    ("type", "Note"),
                ],
            ),
        ],
        error_handling: ErrorHandling::Stop.as_str().into(),
        ..Default::default()
    }
}

/// The order the demo places once it is seeded, so that its CRM workflow has a run to show.
pub fn first_order() -> serde_json::Value {
    serde_json::json!({"customer": "Initech", "total": 1250})
}

/// Creates the demo organization and its neighbour unless they exist, its HTTP workflow
/// calling the CRM at `crm`. Returns whether the demo organization was created.
pub async fn seed_demo(conn: &mut Conn, crm: &str) -> anyhow::Result<bool> {
    seed_neighbour(conn).await?;
    if repo::org::org_by_slug(conn, DEMO_SLUG).await?.is_some() {
        return Ok(false);
    }
    let admin = setup::create_org(
        conn,
        &NewOrg {
            slug: DEMO_SLUG.into(),
            name: "Acme Inc".into(),
            admin_email: DEMO_ADMIN_EMAIL.into(),
            admin_name: "Ada Admin".into(),
            admin_password: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    setup::add_user(
        conn,
        &admin.org,
        "editor@acme.test",
        "Eddie Editor",
        DEMO_PASSWORD,
        Role::Editor,
    )
    .await?;
    setup::add_user(
        conn,
        &admin.org,
        "viewer@acme.test",
        "Vera Viewer",
        DEMO_PASSWORD,
        Role::Viewer,
    )
    .await?;
    let hooks = Hooks::with_defaults();
    for (input, verbs_to_apply) in demo_workflows() {
        let workflow = verbs::create(conn, &hooks, &admin, &input).await?;
        for verb in verbs_to_apply.iter() {
            verbs::apply(conn, &hooks, &admin, &workflow.id, verb.parse()?).await?;
        }
    }
    history::seed_history(conn, &admin, time::OffsetDateTime::now_utc()).await?;
    // After the history, which runs its workflows before the server (and its CRM) is up.
    let crm_workflow = verbs::create(conn, &hooks, &admin, &orders_to_crm(crm)).await?;
    verbs::activate(conn, &hooks, &admin, &crm_workflow.id).await?;
    let order = crate::ingest::PostedEvent {
        event_type: "Order.placed".into(),
        data: first_order(),
        id: None,
    };
    crate::ingest::ingest(
        conn,
        &admin.org.id,
        &order,
        crate::entity::EventSource::Api,
        None,
    )
    .await?;
    Ok(true)
}

async fn seed_neighbour(conn: &mut Conn) -> anyhow::Result<()> {
    if repo::org::org_by_slug(conn, NEIGHBOUR_SLUG)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let admin = setup::create_org(
        conn,
        &NewOrg {
            slug: NEIGHBOUR_SLUG.into(),
            name: "Globex Corporation".into(),
            admin_email: "admin@globex.test".into(),
            admin_name: "Gus Globex".into(),
            admin_password: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    let renewals = WorkflowInput {
        name: "Globex Renewals".into(),
        description: "When a subscription renews, thank the customer.".into(),
        trigger_event: "Subscription.renewed".into(),
        steps: vec![step(
            "Task.create",
            &[("subject", "\"Thank \" + subscription.customer")],
        )],
        ..Default::default()
    };
    verbs::create(conn, &Hooks::with_defaults(), &admin, &renewals).await?;
    Ok(())
}
