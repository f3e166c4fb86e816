//! "Send a test email": an Admin (or a key with the `admin` scope) checks that the instance's
//! email works, and reads what the mail server answered. The pages, REST and any other front
//! door call `send_test`.

use super::{EmailSent, Letter, Mail, Refusal};
use crate::db::Conn;
use crate::entity::{Actor, EventSource};
use crate::error::{DomainError, DomainResult};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::workflow::FieldError;
use serde_json::json;

/// The event a test email records, sent or not.
pub const TESTED: &str = "Email.tested";

/// Sends a test email to `to`. A bad address is a field error and sends nothing; a mail
/// server that does not take it is `Refused` with its answer in words. No transaction is
/// open while the mail server is asked.
pub async fn send_test(
    conn: &mut Conn,
    mail: &Mail,
    actor: &impl Actor,
    to: &str,
) -> DomainResult<EmailSent> {
    crate::access::administer(actor)?;
    let to = to.trim();
    if !crate::setup::is_email(to) {
        return Err(DomainError::Validation(vec![FieldError::new(
            "to",
            "Send to an address like name@example.com",
        )]));
    }
    if !mail.is_on() {
        return Err(DomainError::Refused(Refusal::Off.to_string()));
    }
    let org = &actor.org();
    let by = repo::org::who(conn, &org.id, &actor.reference()).await?;
    let sent = mail.send(&Letter::test(to, &org.name, &by)).await;
    let (outcome, answer) = match &sent {
        Ok(answer) => ("sent", answer.clone()),
        Err(refusal) => ("not sent", refusal.to_string()),
    };
    let event = NewEvent {
        actor: Some(actor.reference()),
        ..NewEvent::new(
            TESTED,
            json!({"to": to, "outcome": outcome, "answer": answer}),
            EventSource::Verb,
        )
    };
    repo::event::insert(conn, &org.id, &event).await?;
    match sent {
        Ok(answer) => Ok(EmailSent {
            to: to.to_owned(),
            answer,
        }),
        Err(refusal) => Err(DomainError::Refused(refusal.to_string())),
    }
}
