//! The MCP tools as domain calls: the spec's `search`, `fetch` and `do` examples as written,
//! the statement form parsed and run in order, scopes and another organization's ids.

use serde_json::{Value, json};
use switchyard::entity::{Caller, KeyHolder, Scope};
use switchyard::hooks::Hooks;
use switchyard::id::Generate;
use switchyard::testing::{TestDb, member};
use switchyard::{DomainError, Role, mcp_tools, verbs};

fn key(admin: &switchyard::Member, scopes: &[Scope]) -> Caller {
    Caller::Key(KeyHolder {
        org: admin.org.clone(),
        key: switchyard::id::ApiKeyId::generate(),
        scopes: scopes.to_vec(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_specs_three_examples_work_as_written() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let active = crate::create(&mut conn, &admin, "Onboarding", 1).await;
    verbs::activate(&mut conn, &hooks, &admin, &active.id)
        .await
        .expect("activate");
    crate::create(&mut conn, &admin, "Draft one", 1).await;
    let caller = key(&admin, &[Scope::Read, Scope::Write]);

    let found = mcp_tools::search(
        &mut conn,
        &caller,
        &json!({ "type": "Workflow", "filter": { "status": "Activated" }, "sort": { "lastRunAt": "desc" }, "limit": 20 }),
    )
    .await
    .expect("search");
    assert_eq!(found["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["results"][0]["$id"], active.id.as_str());
    assert_eq!(mcp_tools::summary(&found), "1 Workflow result(s).");

    let fetched = mcp_tools::fetch(
        &mut conn,
        &caller,
        &json!({ "type": "Workflow", "id": active.id }),
    )
    .await
    .expect("fetch");
    assert_eq!(fetched["name"], "Onboarding");

    let code = format!(
        "const workflows = await $.Workflow.find({{ status: 'Activated' }})\nawait $.Workflow.trigger('{}')",
        active.id
    );
    let done = mcp_tools::act(&mut conn, &hooks, &caller, &json!({ "code": code }))
        .await
        .expect("do");
    let results = done["results"].as_array().expect("results");
    assert_eq!(results[0]["action"], "Workflow.find");
    assert_eq!(results[0]["result"][0]["$id"], active.id.as_str());
    assert_eq!(results[1]["action"], "Workflow.trigger");
    let run = results[1]["result"]["$id"]
        .as_str()
        .expect("a run")
        .to_owned();
    assert!(run.starts_with("run_"), "{run}");

    // The run is there to fetch, with its steps; the JSON form of `do` works the same.
    let fetched = mcp_tools::fetch(&mut conn, &caller, &json!({ "type": "Run", "id": run }))
        .await
        .expect("fetch run");
    assert_eq!(fetched["steps"].as_array().map(Vec::len), Some(1));
    let paused = mcp_tools::act(
        &mut conn,
        &hooks,
        &caller,
        &json!({ "action": "Workflow.pause", "id": active.id, "code": null, "data": null }),
    )
    .await;
    let paused = paused.expect("pause");
    assert_eq!(paused["results"][0]["result"]["status"], "Paused");
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_bind_names_and_create_then_activate() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let caller = key(&admin, &[Scope::Write]);
    let code = r#"
        const newWorkflow = await $.Workflow.create({
          name: 'Lead Assignment',
          triggerEvent: 'Lead.created',
          steps: [
            { action: 'Contact.assign', mapping: { assignee: 'round-robin' } },
            { action: 'Activity.create', mapping: { subject: '"Follow up: " + lead.name', type: 'Task' } },
          ],
          errorHandling: 'Continue',
        })
        await $.Workflow.activate(newWorkflow.$id)
    "#;
    let done = mcp_tools::act(
        &mut conn,
        &Hooks::with_defaults(),
        &caller,
        &json!({ "code": code }),
    )
    .await
    .expect("do");
    assert_eq!(done["results"][1]["result"]["status"], "Activated");
    assert_eq!(done["results"][1]["result"]["name"], "Lead Assignment");
    assert_eq!(
        mcp_tools::summary(&done),
        format!(
            "Workflow.create: Workflow {id}; Workflow.activate: Workflow {id}",
            id = done["results"][0]["result"]["$id"].as_str().expect("id")
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn scopes_bad_input_and_another_organizations_ids_are_refused() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let globex = member(&mut conn, "globex", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let theirs = crate::create(&mut conn, &globex, "Theirs", 1).await;
    let reader = key(&admin, &[Scope::Read]);
    let sender = key(&admin, &[Scope::EventsWrite]);

    let trigger = json!({ "code": format!("await $.Workflow.trigger('{}')", theirs.id) });
    let refused = mcp_tools::act(&mut conn, &hooks, &reader, &trigger).await;
    assert!(
        matches!(refused, Err(DomainError::Forbidden)),
        "{refused:?}"
    );
    let search = json!({ "type": "Workflow" });
    assert!(matches!(
        mcp_tools::search(&mut conn, &sender, &search).await,
        Err(DomainError::Forbidden)
    ));

    // Another organization's id answers exactly as a missing one.
    let theirs_answer = mcp_tools::fetch(
        &mut conn,
        &reader,
        &json!({ "type": "Workflow", "id": theirs.id }),
    )
    .await;
    let missing = mcp_tools::fetch(
        &mut conn,
        &reader,
        &json!({ "type": "Workflow", "id": "workflow_AAAAAAAA" }),
    )
    .await;
    assert!(matches!(theirs_answer, Err(DomainError::NotFound)));
    assert_eq!(format!("{theirs_answer:?}"), format!("{missing:?}"));

    let field = |r: Result<Value, DomainError>| match r {
        Err(DomainError::Validation(f)) => f[0].field.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(mcp_tools::search(&mut conn, &reader, &json!({ "type": "Robot" })).await),
        "type"
    );
    assert_eq!(
        field(
            mcp_tools::search(
                &mut conn,
                &reader,
                &json!({ "type": "Workflow", "filter": { "runCount": { "$near": 1 } } })
            )
            .await
        ),
        "filter.runCount.$near"
    );
    assert_eq!(
        field(
            mcp_tools::act(
                &mut conn,
                &hooks,
                &reader,
                &json!({ "code": "process.exit(1)" })
            )
            .await
        ),
        "action"
    );
    assert_eq!(
        field(
            mcp_tools::act(
                &mut conn,
                &hooks,
                &reader,
                &json!({ "code": "fetch('http://x')" })
            )
            .await
        ),
        "code"
    );
    assert_eq!(
        field(
            mcp_tools::act(
                &mut conn,
                &hooks,
                &reader,
                &json!({ "action": "Workflow.explode", "id": "x" })
            )
            .await
        ),
        "action"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn do_acknowledges_a_workflows_alerts_as_the_pages_do() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let globex = member(&mut conn, "globex", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let ours = crate::create(&mut conn, &admin, "Ours", 1).await;
    let theirs = crate::create(&mut conn, &globex, "Theirs", 1).await;
    let writer = key(&admin, &[Scope::Write]);
    let done = mcp_tools::act(
        &mut conn,
        &hooks,
        &writer,
        &json!({ "code": format!("await $.Workflow.acknowledgeAlerts('{}')", ours.id) }),
    )
    .await
    .expect("do");
    assert_eq!(done["results"][0]["result"]["workflow"], ours.id.as_str());
    assert!(
        done["results"][0]["result"]["acknowledgedThrough"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{done}"
    );
    let reader = key(&admin, &[Scope::Read]);
    let json_form = json!({ "action": "Workflow.acknowledgeAlerts", "id": ours.id });
    assert!(matches!(
        mcp_tools::act(&mut conn, &hooks, &reader, &json_form).await,
        Err(DomainError::Forbidden)
    ));
    let stranger = json!({ "action": "Workflow.acknowledgeAlerts", "id": theirs.id });
    let missing = json!({ "action": "Workflow.acknowledgeAlerts", "id": "workflow_Missing0" });
    let (theirs, missing) = (
        mcp_tools::act(&mut conn, &hooks, &writer, &stranger).await,
        mcp_tools::act(&mut conn, &hooks, &writer, &missing).await,
    );
    assert!(matches!(theirs, Err(DomainError::NotFound)), "{theirs:?}");
    assert_eq!(format!("{theirs:?}"), format!("{missing:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn do_creates_a_workflow_with_an_http_step_and_fetch_reads_it_back() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let caller = key(&admin, &[Scope::Read, Scope::Write]);
    let code = r#"
        const w = await $.Workflow.create({
          name: 'Deal to CRM',
          triggerEvent: 'Deal.won',
          steps: [
            { action: 'HTTP.request', name: 'Create the customer in the CRM',
              request: { method: 'POST', url: '"https://crm.example/customers"',
                         body: { json: { name: 'deal.name' } }, auth: { bearer: 'CRM_TOKEN' } } },
            { action: 'Activity.create', mapping: { subject: '"CRM id " + step.0.body.id' } },
          ],
        })
        await $.Workflow.activate(w.$id)
    "#;
    let done = mcp_tools::act(
        &mut conn,
        &Hooks::with_defaults(),
        &caller,
        &json!({ "code": code }),
    )
    .await
    .expect("do");
    assert_eq!(done["results"][1]["result"]["status"], "Activated");
    let id = done["results"][0]["result"]["$id"].as_str().expect("id");
    let fetched = mcp_tools::fetch(&mut conn, &caller, &json!({ "type": "Workflow", "id": id }))
        .await
        .expect("fetch");
    let text = fetched.to_string();
    assert!(text.contains("HTTP.request"), "{text}");
    assert!(
        text.contains("CRM_TOKEN") && text.contains("crm.example/customers"),
        "{text}"
    );

    // A request without its URL is refused with the field named, and nothing is created.
    let bad = r#"await $.Workflow.create({ name: 'No URL', triggerEvent: 'Deal.won',
        steps: [{ action: 'HTTP.request', request: { method: 'GET' } }] })"#;
    let refused = mcp_tools::act(
        &mut conn,
        &Hooks::with_defaults(),
        &caller,
        &json!({ "code": bad }),
    )
    .await;
    assert!(
        matches!(&refused, Err(DomainError::Validation(e)) if e.iter().any(|f| f.field == "steps.0.request.url")),
        "{refused:?}"
    );
}
