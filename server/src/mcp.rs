//! The MCP server at `/~{org}/mcp`: Streamable HTTP on the official Rust SDK (rmcp), for API
//! keys of the organization in the path, with the spec's three tools. Each tool finds the
//! caller the key middleware put on the request, makes one domain call
//! (`switchyard::mcp_tools`), and answers its JSON as structured content with a short text.

use crate::rest::ApiError;
use app::state::AppState;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, session::local::LocalSessionManager, tower::StreamableHttpService,
};
use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchyard::DomainError;
use switchyard::entity::Caller;

/// `search`'s arguments, as the spec's example writes them.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SearchArgs {
    /// What to search: `Workflow`, `Run`, `Event`, or `Delivery` (a webhook endpoint's
    /// deliveries with their attempts, for keys with the admin scope).
    #[serde(rename = "type")]
    pub type_: String,
    /// Workflow: MongoDB-style, on the spec's fields, e.g. `{"status": "Activated", "runCount": {"$gt": 0}}`
    /// (operators `$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $and $or $not`).
    /// Run: `{"status": "Failed", "workflow": "workflow_…", "range": "7d"}`. Event: `{"type": "Deal.won"}`.
    /// Delivery: `{"endpoint": "endpoint_…", "status": "Failed", "eventType": "Run.failed"}`.
    #[serde(default)]
    pub filter: Option<Value>,
    /// Workflows only: fields and directions, e.g. `{"lastRunAt": "desc"}`. Runs come newest
    /// first, events in the order they were recorded.
    #[serde(default)]
    pub sort: Option<Value>,
    /// At most this many results, 1 to 100 (default 25).
    #[serde(default)]
    pub limit: Option<i64>,
    /// The `cursor` of the previous answer, for the next page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `fetch`'s arguments.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FetchArgs {
    /// `Workflow`, `Run` or `Event`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Its `$id`, like `workflow_nV4xKpQm`, `run_…` or `evt_…`.
    pub id: String,
}

/// `do`'s arguments: either one action, or `code`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DoArgs {
    /// `Workflow.find`, `Workflow.get`, `Workflow.create`, `Workflow.update`, `Workflow.delete`,
    /// `Workflow.activate`, `Workflow.pause`, `Workflow.archive`, `Workflow.trigger`,
    /// `Workflow.preview`, `Workflow.acknowledgeAlerts`, `Run.find`, `Run.get`, `Run.retry`,
    /// `Run.cancel` or `Event.send`.
    #[serde(default)]
    pub action: Option<String>,
    /// The `$id` the action is on (a workflow's or a run's).
    #[serde(default)]
    pub id: Option<String>,
    /// The action's data: the fields to create or change, a trigger's sample payload, a
    /// retry's `{"from": "start" | "failed-step"}`, an event's `{"type", "data"}`.
    #[serde(default)]
    pub data: Option<Value>,
    /// Instead of `action`: statements as the spec writes them, run in order, parsed and never
    /// evaluated, e.g. `const workflows = await $.Workflow.find({ status: 'Activated' })` or
    /// `await $.Workflow.trigger('workflow_nV4xKpQm')`. A name bound with `const` may be read
    /// by later statements as `name.$id`.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Clone)]
pub struct Mcp {
    state: AppState,
}

fn caller(ctx: &RequestContext<RoleServer>) -> Result<Caller, McpError> {
    ctx.extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>())
        .cloned()
        .ok_or_else(|| McpError::internal_error("the request carries no caller", None))
}

/// The domain's answer as a tool result: structured content and a short text, or the error's
/// message (with its field) for the assistant to act on.
fn answer(result: Result<Value, DomainError>) -> Result<CallToolResult, McpError> {
    match result {
        Ok(value) => {
            let text = switchyard::mcp_tools::summary(&value);
            let mut result = CallToolResult::structured(value);
            result.content = vec![ContentBlock::text(text)];
            Ok(result)
        }
        Err(DomainError::Internal(cause)) => {
            tracing::error!("mcp: {cause}");
            Err(McpError::internal_error(
                "Something went wrong on our side.",
                None,
            ))
        }
        Err(err) => {
            let message = match &err {
                DomainError::Validation(fields) => fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                DomainError::NotFound => "Not found in this organization.".to_owned(),
                DomainError::Forbidden => "This API key's scopes do not allow it.".to_owned(),
                other => other.to_string(),
            };
            let mut result = CallToolResult::structured_error(serde_json::json!({
                "error": { "code": err.code(), "message": message }
            }));
            result.content = vec![ContentBlock::text(message)];
            Ok(result)
        }
    }
}

#[tool_router]
impl Mcp {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn conn(&self) -> Result<switchyard::db::PooledConn, McpError> {
        self.state
            .pool
            .get()
            .await
            .map_err(|e| McpError::internal_error(e.to_string(), None))
    }

    #[tool(
        description = "Search this organization's workflows, runs or events. Workflows take MongoDB-style filters on the spec's fields (name, triggerEvent, status, lastRunAt, runCount, successCount, failureCount, ...) and a sort like {\"lastRunAt\": \"desc\"}. Answers {results, total?, hasMore, cursor}."
    )]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let caller = caller(&ctx)?;
        let args = serde_json::to_value(&args).unwrap_or_default();
        let mut conn = self.conn().await?;
        answer(switchyard::mcp_tools::search(&mut conn, &caller, &args).await)
    }

    #[tool(
        description = "Fetch one workflow, run (with every step, its input, output and error) or event by its $id."
    )]
    async fn fetch(
        &self,
        Parameters(args): Parameters<FetchArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let caller = caller(&ctx)?;
        let args = serde_json::to_value(&args).unwrap_or_default();
        let mut conn = self.conn().await?;
        answer(switchyard::mcp_tools::fetch(&mut conn, &caller, &args).await)
    }

    #[tool(
        name = "do",
        description = "Do one thing: {\"action\": \"Workflow.trigger\", \"id\": \"workflow_…\", \"data\": {...}} (actions: Workflow.find/get/create/update/delete/activate/pause/archive/trigger/preview, Run.find/get/retry/cancel, Event.send), or {\"code\": \"await $.Workflow.trigger('workflow_…')\"} with statements as the spec writes them, run in order. Changes need an API key with the write scope."
    )]
    async fn act(
        &self,
        Parameters(args): Parameters<DoArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let caller = caller(&ctx)?;
        let args = serde_json::to_value(&args).unwrap_or_default();
        let mut conn = self.conn().await?;
        answer(switchyard::mcp_tools::act(&mut conn, &self.state.hooks, &caller, &args).await)
    }
}

#[tool_handler]
impl ServerHandler for Mcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("switchyard", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Switchyard runs an organization's event-triggered workflows. Use search to find workflows (by status, trigger event, failures, last run), runs (by status, workflow, time range) and events; fetch to read one, a run with every step; do to create, change, switch on or off, trigger and retry.".to_owned(),
            )
    }
}

/// Lets through requests with an API key of the organization in the path, and puts the
/// caller on the request for the tools; others get 401 in the REST API's error shape.
pub async fn require_key(
    State(state): State<AppState>,
    Path(org): Path<String>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = crate::rest::bearer(req.headers()).map(|t| t.map(str::to_owned));
    let found = async {
        let token = token.ok_or_else(crate::rest::unauthorized)??;
        let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
        switchyard::api_key::authenticate(&mut conn, &org, &token)
            .await?
            .ok_or_else(crate::rest::unauthorized)
    }
    .await;
    match found {
        Ok(holder) => {
            req.extensions_mut().insert(Caller::Key(holder));
            next.run(req).await
        }
        Err(refused) => refused.into_response(),
    }
}

/// The Streamable HTTP service. It answers to any `Host`: the SDK's check of it guards servers
/// that trust whoever can reach them (DNS rebinding), and every request here needs an API key.
pub fn service(state: AppState) -> StreamableHttpService<Mcp, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default().disable_allowed_hosts();
    StreamableHttpService::new(
        move || Ok(Mcp::new(state.clone())),
        LocalSessionManager::default().into(),
        config,
    )
}
