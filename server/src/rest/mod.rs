//! The REST API under `/~{org}` (PRODUCT.md's REST section), for an organization's API keys
//! and its signed-in members. Each handler finds the caller, makes one domain call and maps its
//! answer. Errors are `{"error": {"code", "message", "field"?}}`; another organization's ids
//! answer exactly like missing ones.

mod alerts;
mod auth;
mod docs;
mod email;
mod events;
mod runs;
pub mod schema;
mod secrets;
mod webhooks;
mod workflows;

pub use auth::Api;
pub(crate) use auth::{bearer, unauthorized};

use app::state::AppState;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::prelude::LeptosOptions;
use serde_json::{Value, json};
use switchyard::{DomainError, payload};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// At most this much body per request.
pub const BODY_LIMIT: usize = 1 << 20;

/// An API error in the PRODUCT.md shape.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    /// What the answer carries beside the error (a conflict's current resource).
    current: Option<Box<Value>>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            current: None,
        }
    }

    /// A verb's name in a workflow's address that names none it may take there.
    pub(crate) fn no_such_verb() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is no such verb: use activate, pause, archive or trigger (DELETE deletes, PUT updates).",
        )
    }

    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("api: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side.",
        )
    }
}

/// 202 Accepted with `answer`: what was queued.
pub(crate) fn accepted(answer: impl serde::Serialize) -> Response {
    (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
}

/// An id in a path that is not one: not found, like one that names nothing.
impl From<switchyard::id::NoSuchId> for ApiError {
    fn from(err: switchyard::id::NoSuchId) -> Self {
        DomainError::from(err).into()
    }
}

impl From<DomainError> for ApiError {
    /// The domain's one table of answers: its status and code, and the first field's message.
    fn from(err: DomainError) -> Self {
        let status = StatusCode::from_u16(err.kind().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let current = match &err {
            DomainError::Conflict { current } => Some(Box::new(current.to_resource())),
            _ => None,
        };
        let (message, field) = match &err {
            DomainError::Validation(fields) => match fields.first() {
                Some(first) => (first.message.clone(), Some(first.field.clone())),
                None => ("invalid input".to_owned(), None),
            },
            DomainError::NotFound => ("not found".to_owned(), None),
            DomainError::Forbidden => ("not allowed".to_owned(), None),
            DomainError::Internal(_) => return ApiError::internal(err),
            other => (other.to_string(), None),
        };
        ApiError {
            status,
            code: err.code(),
            message,
            field,
            current,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = json!(field);
        }
        let mut body = json!({ "error": error });
        if let Some(current) = self.current {
            body["current"] = *current;
        }
        (self.status, axum::Json(body)).into_response()
    }
}

/// The body as JSON, refused unless it says it is JSON, fits `BODY_LIMIT` and nests at most
/// `payload::DEPTH_MAX` levels (and more deeply nested JSON is never built). An empty body
/// is `None`.
async fn read_json(req: Request) -> Result<Option<Value>, ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    let body: Body = req.into_body();
    let bytes = to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "A request may have at most 1 MiB.",
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send JSON, with `Content-Type: application/json`.",
        ));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        let code = if e.to_string().contains("recursion limit") {
            "too_deep"
        } else {
            "invalid_json"
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("The body is not valid JSON: {e}"),
        )
    })?;
    if payload::depth(&value) > payload::DEPTH_MAX {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_deep",
            format!("JSON may nest at most {} levels.", payload::DEPTH_MAX),
        ));
    }
    Ok(Some(value))
}

/// A request's JSON body read into `T` (its default when empty): the same type is the handler's
/// extractor and, through its `request_body`, the OpenAPI document's schema. A body of another
/// shape is refused (422) with what serde found wrong.
pub struct Typed<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Default> FromRequest<S> for Typed<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        match read_json(req).await? {
            None => Ok(Typed(T::default())),
            Some(value) => serde_json::from_value(value).map(Typed).map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("The body does not read: {e}"),
                )
            }),
        }
    }
}

/// A request's JSON body (`None` when empty), read by `read_json`.
pub struct JsonBody(pub Option<Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        read_json(req).await.map(JsonBody)
    }
}

impl JsonBody {
    /// The body as a JSON object; an empty body is an empty object.
    fn object(self) -> Result<serde_json::Map<String, Value>, ApiError> {
        match self.0 {
            None => Ok(serde_json::Map::new()),
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                "The body must be a JSON object.",
            )),
        }
    }
}

/// The query string's pairs, in order.
type Pairs = axum::extract::Query<Vec<(String, String)>>;

fn pairs(query: &[(String, String)]) -> Vec<(&str, &str)> {
    query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Every REST route with its OpenAPI operation: the document and the router are built from
/// the same list, so neither can name a route the other lacks.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events::post, events::list))
        .routes(routes!(workflows::list, workflows::create))
        .routes(routes!(
            workflows::get,
            workflows::update,
            workflows::delete
        ))
        .routes(routes!(workflows::preview))
        .routes(routes!(runs::of_workflow))
        .routes(routes!(workflows::verb))
        .routes(routes!(workflows::acknowledge_alerts))
        .routes(routes!(runs::list))
        .routes(routes!(runs::retry_bulk))
        .routes(routes!(runs::get))
        .routes(routes!(runs::retry))
        .routes(routes!(runs::cancel))
        .routes(routes!(secrets::list))
        .routes(routes!(secrets::set, secrets::delete))
        .routes(routes!(email::test))
        .routes(routes!(alerts::get))
        .routes(routes!(alerts::set))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::resend_failed))
        .routes(routes!(webhooks::resend))
}

/// The generated OpenAPI 3.1 document with its title, description and security schemes.
fn described(mut doc: OpenApi) -> OpenApi {
    doc.info.title = "Switchyard REST API".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc.info.description = Some(
        "Event-triggered workflows of one organization, under `/~{org}`. Authenticate with `Authorization: Bearer <API key>` (scopes `events:write`, `read`, `write`, `admin`: sign-in records, invitations and keys' events) or, from Switchyard's own pages, the session cookie. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`.".into(),
    );
    // The API is served by the same server as this document: clients resolve paths against
    // the address they fetched it from.
    doc.servers = Some(vec![utoipa::openapi::Server::new("/")]);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "apiKey",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API key of the organization, `sy_…`"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
            utoipa::openapi::security::ApiKeyValue::new(crate::routes::SESSION_COOKIE),
        )),
    );
    doc
}

/// The OpenAPI document of the REST API, as `/api/openapi.json` serves it.
pub fn document() -> OpenApi {
    described(api_routes().split_for_parts().1)
}

/// The REST API, its OpenAPI document and reference page, and MCP; `stylesheet` is the
/// address of the build's stylesheet, for the reference page.
pub fn router(state: AppState, stylesheet: String) -> Router<LeptosOptions> {
    let (routes, doc) = api_routes().split_for_parts();
    let doc = std::sync::Arc::new(described(doc));
    let json_doc = doc.clone();
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = json_doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route(
            "/api/docs",
            get(move || {
                let (doc, stylesheet) = (doc.clone(), stylesheet.clone());
                async move { docs::page(&doc, &stylesheet) }
            }),
        )
        .merge(routes.with_state(state.clone()))
        .merge(
            Router::new()
                .route_service("/~{org}/mcp", crate::mcp::service(state.clone()))
                .route_layer(axum::middleware::from_fn_with_state(
                    state,
                    crate::mcp::require_key,
                )),
        )
}
