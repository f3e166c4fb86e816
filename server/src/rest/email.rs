//! `/~{org}/email/test`: an Admin key or session sends a test email and reads what the mail
//! server answered.

use super::schema::*;
use super::{Api, ApiError, JsonBody};
use app::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use switchyard::mail::EmailSent;

/// `POST /~{org}/email/test`: 200 with the mail server's answer; 409 when email is off or the
/// server would not take it, with its answer in the message.
#[utoipa::path(
    post, operation_id = "sendTestEmail", path = "/~{org}/email/test", tag = "Email",
    summary = "Send a test email and read what the mail server answered",
    params(("org" = String, Path, description = "The organization's slug")),
    request_body = TestEmailBody,
    responses((status = 200, description = "The mail server took it", body = EmailSent), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody),
        (status = 409, description = "Email is off, or the mail server did not take it (its answer is the message)", body = ErrorBody), (status = 422, description = "Not an email address", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn test(
    State(state): State<AppState>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body = body.object()?;
    // Anything but text is no address: the domain says so, once it has checked the caller.
    let to = body
        .get("to")
        .and_then(|to| to.as_str())
        .unwrap_or_default();
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let sent = switchyard::mail::send_test(&mut conn, &state.mail, &caller, to).await?;
    Ok(axum::Json(sent).into_response())
}
