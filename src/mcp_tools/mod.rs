//! The MCP server's three tools as domain calls: `search` (`{type, filter, sort, limit,
//! cursor}` over Workflow, Run, Event and an endpoint's webhook deliveries), `fetch` (`{type, id}`) and `do` (one verb as
//! `{action, id, data}`, or the spec's statements as `{code}`, parsed by `statement`, never
//! evaluated). Each answers JSON for the tool's structured content; what an actor may do is
//! asked by the same domain functions the pages and the REST API call.

pub mod statement;

use crate::db::Conn;
use crate::entity::Actor;
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::{EventId, RunId, WorkflowId};
use crate::list_query::{EventFeedQuery, RunQuery, flat_pairs};
use crate::read_model::resource;
use crate::workflow_search::Search;
use serde_json::{Map, Value, json};

/// The types `search` and `fetch` know (`Delivery`: `search` only, within one endpoint).
pub const TYPES: [&str; 4] = ["Workflow", "Run", "Event", "Delivery"];

/// The actions `do` knows, as `Type.method`.
pub const ACTIONS: [&str; 16] = [
    "Workflow.find",
    "Workflow.get",
    "Workflow.create",
    "Workflow.update",
    "Workflow.delete",
    "Workflow.activate",
    "Workflow.pause",
    "Workflow.archive",
    "Workflow.trigger",
    "Workflow.preview",
    "Workflow.acknowledgeAlerts",
    "Run.find",
    "Run.get",
    "Run.retry",
    "Run.cancel",
    "Event.send",
];

fn type_error(given: &Value) -> DomainError {
    DomainError::field(
        "type",
        format!("`type` must be one of {}, not {given}", TYPES.join(", ")),
    )
}

fn text_arg<'a>(value: &'a Value, field: &str) -> DomainResult<&'a str> {
    value
        .as_str()
        .ok_or_else(|| DomainError::field(field, format!("`{field}` must be text")))
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// `search`: `{"type", "filter"?, "sort"?, "limit"?, "cursor"?}`. Workflows take the full
/// filter language and any sort; runs come newest first, events in the order recorded.
pub async fn search(conn: &mut Conn, actor: &impl Actor, args: &Value) -> DomainResult<Value> {
    let (filter, sort, limit, cursor) = (
        &args["filter"],
        &args["sort"],
        &args["limit"],
        &args["cursor"],
    );
    match args["type"].as_str() {
        Some("Workflow") => {
            let search = Search::from_json(filter, sort, limit, cursor)?;
            let page = crate::read_model::workflow::search(conn, actor, &search).await?;
            let results: Vec<Value> = page
                .results
                .iter()
                .map(crate::Workflow::to_resource)
                .collect();
            Ok(json!({
                "type": "Workflow", "results": results, "total": page.total,
                "hasMore": page.has_more, "cursor": page.cursor,
            }))
        }
        Some("Run") => {
            let newest_first = [json!({"queuedAt": "desc"}), json!({"$createdAt": "desc"})];
            if !sort.is_null() && !newest_first.contains(sort) {
                return Err(DomainError::field(
                    "sort",
                    "Runs come newest first: leave out `sort`, or send {\"queuedAt\": \"desc\"}",
                ));
            }
            let mut pairs = flat_pairs(filter, "filter")?;
            if let Some(c) = cursor.as_str() {
                pairs.push(("before".into(), c.to_owned()));
            }
            let query = RunQuery::parse(&borrowed(&pairs))?;
            let list = crate::read_model::run::search(conn, actor, &query).await?;
            let limit = limit.as_u64().unwrap_or(u64::MAX) as usize;
            let results: Vec<Value> = list
                .runs
                .iter()
                .take(limit)
                .map(|r| json!(resource::run(r)))
                .collect();
            let cut = results.len() < list.runs.len();
            let cursor = if cut {
                list.runs
                    .get(results.len().saturating_sub(1))
                    .map(|r| r.id.to_string())
            } else {
                list.next.map(|id| id.to_string())
            };
            Ok(
                json!({ "type": "Run", "results": results, "hasMore": cut || cursor.is_some(), "cursor": cursor }),
            )
        }
        Some("Event") => {
            let mut pairs = flat_pairs(filter, "filter")?;
            if let Some(c) = cursor.as_str() {
                pairs.push(("cursor".into(), c.to_owned()));
            }
            if !limit.is_null() {
                pairs.push(("limit".into(), limit.to_string()));
            }
            let query = EventFeedQuery::parse(&borrowed(&pairs))?;
            let feed = crate::read_model::event::feed(conn, actor, &query).await?;
            let results: Vec<Value> = feed
                .events
                .iter()
                .map(|e| json!(resource::event(e)))
                .collect();
            Ok(
                json!({ "type": "Event", "results": results, "hasMore": feed.has_more, "cursor": feed.cursor }),
            )
        }
        Some("Delivery") => deliveries(conn, actor, filter, cursor).await,
        _ => Err(type_error(&args["type"])),
    }
}

/// An endpoint's webhook deliveries with their attempts, newest first (Admins and keys with
/// the `admin` scope): `filter` names the `endpoint`, and may name a `status` (Pending,
/// Delivered, Failed) and an `eventType`.
async fn deliveries(
    conn: &mut Conn,
    actor: &impl Actor,
    filter: &Value,
    cursor: &Value,
) -> DomainResult<Value> {
    use crate::webhook::{DeliveryQuery, DeliveryResource, DeliveryStatus};
    let endpoint = filter["endpoint"].as_str().ok_or_else(|| {
        DomainError::field(
            "filter",
            "Deliveries are an endpoint's: filter by {\"endpoint\": \"endpoint_…\"}",
        )
    })?;
    let endpoint = crate::id::EndpointId::from_path(endpoint)?;
    let status = match filter["status"].as_str() {
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            DomainError::field("filter", "status is Pending, Delivered or Failed")
        })?),
        None => None,
    };
    let query = DeliveryQuery {
        status,
        event_type: filter["eventType"].as_str().map(str::to_owned),
        before: cursor.as_str().map(str::to_owned),
    };
    let page = crate::webhooks::deliveries::page(conn, actor, &endpoint, &query).await?;
    let results: Vec<DeliveryResource> = page.deliveries.into_iter().map(Into::into).collect();
    Ok(json!({
        "type": "Delivery", "results": results,
        "hasMore": page.next_before.is_some(), "cursor": page.next_before,
    }))
}

/// `fetch`: `{"type", "id"}`: one workflow, run (with its steps) or event.
pub async fn fetch(conn: &mut Conn, actor: &impl Actor, args: &Value) -> DomainResult<Value> {
    let id = text_arg(&args["id"], "id")?;
    match args["type"].as_str() {
        Some("Workflow") => {
            let id = WorkflowId::from_path(id)?;
            Ok((crate::read_model::workflow::get(conn, actor, &id).await?).to_resource())
        }
        Some("Run") => {
            let id = RunId::from_path(id)?;
            Ok(json!(resource::run_detail(
                &crate::read_model::run::detail(conn, actor, &id).await?
            )))
        }
        Some("Event") => {
            let id = EventId::from_path(id)?;
            Ok(json!(resource::event(
                &crate::read_model::event::get(conn, actor, &id).await?
            )))
        }
        _ => Err(type_error(&args["type"])),
    }
}

/// One call of `do`, with its arguments resolved.
async fn call(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    action: &str,
    args: &[Value],
) -> DomainResult<Value> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    let workflow_id =
        || -> DomainResult<WorkflowId> { Ok(WorkflowId::from_path(text_arg(arg(0), "id")?)?) };
    let run_id = || -> DomainResult<RunId> { Ok(RunId::from_path(text_arg(arg(0), "id")?)?) };
    let object = |i: usize, field: &str| -> DomainResult<Map<String, Value>> {
        match arg(i) {
            Value::Object(map) => Ok(map.clone()),
            Value::Null => Ok(Map::new()),
            _ => Err(DomainError::field(
                field,
                format!("`{field}` must be an object"),
            )),
        }
    };
    match action {
        "Workflow.find" => {
            let options = arg(1);
            let search = json!({
                "type": "Workflow", "filter": arg(0), "sort": options["sort"],
                "limit": options["limit"], "cursor": options["cursor"],
            });
            Ok(search_results(search_in(conn, actor, &search).await?))
        }
        "Workflow.get" => fetch(conn, actor, &json!({"type": "Workflow", "id": arg(0)})).await,
        "Workflow.create" => {
            let fields = object(0, "data")?;
            Ok((crate::verbs::create_from(conn, hooks, actor, &fields).await?).to_resource())
        }
        "Workflow.update" => {
            let id = workflow_id()?;
            let patch = object(1, "data")?;
            Ok((crate::verbs::merge(conn, hooks, actor, &id, None, &patch).await?).to_resource())
        }
        "Workflow.delete" | "Workflow.activate" | "Workflow.pause" | "Workflow.archive" => {
            let id = workflow_id()?;
            let verb = action.trim_start_matches("Workflow.");
            Ok((crate::verbs::apply_named(conn, hooks, actor, &id, verb).await?).to_resource())
        }
        "Workflow.trigger" => {
            let id = workflow_id()?;
            let (workflow, run) =
                crate::verbs::trigger(conn, hooks, actor, &id, arg(1).clone()).await?;
            Ok(json!(crate::read_model::resource::QueuedRun::triggered(
                &run, &workflow
            )))
        }
        "Workflow.preview" => {
            let id = workflow_id()?;
            let dry = crate::engine::dry_run_saved(conn, actor, &id, &arg(1).to_string()).await?;
            Ok(json!(dry))
        }
        "Workflow.acknowledgeAlerts" => {
            let id = workflow_id()?;
            Ok(json!(crate::alerts::acknowledge(conn, actor, &id).await?))
        }
        "Run.find" => {
            let search = json!({ "type": "Run", "filter": arg(0), "limit": arg(1)["limit"], "cursor": arg(1)["cursor"] });
            Ok(search_results(search_in(conn, actor, &search).await?))
        }
        "Run.get" => fetch(conn, actor, &json!({"type": "Run", "id": arg(0)})).await,
        "Run.retry" => {
            let id = run_id()?;
            let from = crate::retry::parse_from(arg(1)["from"].as_str().unwrap_or_default())?;
            let run = crate::retry::retry(conn, actor, &id, from, None).await?;
            Ok(json!(crate::read_model::resource::QueuedRun::retried(
                &run,
                &id,
                from.as_str()
            )))
        }
        "Run.cancel" => {
            let id = run_id()?;
            crate::retry::cancel(conn, actor, &id).await?;
            Ok(json!({ "$id": id, "$type": "Run", "cancelRequested": true }))
        }
        "Event.send" => {
            let posted: crate::ingest::PostedEvent = serde_json::from_value(arg(0).clone())
                .map_err(|e| {
                    DomainError::field(
                        "data",
                        format!("an event is {{\"type\", \"data\"?, \"id\"?}}: {e}"),
                    )
                })?;
            Ok(json!(crate::ingest::send(conn, actor, &posted).await?))
        }
        other => Err(DomainError::field(
            "action",
            format!(
                "`{other}` is not an action; the actions are {}",
                ACTIONS.join(", ")
            ),
        )),
    }
}

async fn search_in(conn: &mut Conn, actor: &impl Actor, args: &Value) -> DomainResult<Value> {
    Box::pin(search(conn, actor, args)).await
}

/// What `find` answers: the results, as the SDK's `find` returns them.
fn search_results(page: Value) -> Value {
    page["results"].clone()
}

/// `do`: `{"action": "Workflow.trigger", "id"?, "data"?}`, or `{"code": "..."}` with one or
/// more of the spec's statements (`const w = await $.Workflow.find({ status: 'Activated' })`),
/// run in order; a name bound by one statement may be read by the next (`w.$id`). Answers
/// `{"results": [...]}`, one per statement, and stops at the first that fails, saying which.
pub async fn act(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    args: &Value,
) -> DomainResult<Value> {
    if let Some(code) = args.get("code").filter(|c| !c.is_null()) {
        let code = text_arg(code, "code")?;
        let statements =
            statement::parse(code).map_err(|e| DomainError::field("code", e.to_string()))?;
        let mut bound: Vec<(String, Value)> = Vec::new();
        let mut results = Vec::new();
        for (i, s) in statements.iter().enumerate() {
            let lookup = |name: &str| {
                bound
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            let values = s
                .args
                .iter()
                .map(|a| statement::resolve(a, &lookup))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DomainError::field("code", format!("statement {}: {e}", i + 1)))?;
            let action = format!("{}.{}", s.noun, s.method);
            let result = call(conn, hooks, actor, &action, &values)
                .await
                .map_err(|e| match e {
                    DomainError::Validation(mut fields) if statements.len() > 1 => {
                        for f in &mut fields {
                            f.message = format!("statement {} ({action}): {}", i + 1, f.message);
                        }
                        DomainError::Validation(fields)
                    }
                    other => other,
                })?;
            if let Some(name) = &s.bind {
                bound.push((name.clone(), result.clone()));
            }
            results.push(json!({ "action": action, "result": result }));
        }
        return Ok(json!({ "results": results }));
    }
    let action = text_arg(&args["action"], "action")?;
    let mut values = Vec::new();
    match (&args["id"], action) {
        (Value::Null, _) => {}
        (id, _) => values.push(id.clone()),
    }
    if !args["data"].is_null() || action == "Workflow.trigger" {
        values.push(args["data"].clone());
    }
    let result = call(conn, hooks, actor, action, &values).await?;
    Ok(json!({ "results": [{ "action": action, "result": result }] }))
}

/// A short line about a tool's answer, for the text beside the structured content.
pub fn summary(answer: &Value) -> String {
    if let Some(results) = answer["results"].as_array() {
        if let Some(kind) = answer["type"].as_str() {
            let more = if answer["hasMore"] == true {
                " (more with the cursor)"
            } else {
                ""
            };
            return format!("{} {kind} result(s){more}.", results.len());
        }
        return results
            .iter()
            .map(|r| {
                let result = &r["result"];
                let what = match (result["$type"].as_str(), result["$id"].as_str()) {
                    (Some(t), Some(id)) => format!("{t} {id}"),
                    _ => match result.as_array() {
                        Some(items) => format!("{} result(s)", items.len()),
                        None => "done".to_owned(),
                    },
                };
                format!("{}: {what}", r["action"].as_str().unwrap_or("do"))
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    match (answer["$type"].as_str(), answer["$id"].as_str()) {
        (Some(t), Some(id)) => format!("{t} {id}"),
        _ => "Done.".to_owned(),
    }
}
