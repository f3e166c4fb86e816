//! Acknowledging a workflow's failure-rate alerts: someone has seen them and is on it. The
//! dashboard then shows its incident as acknowledged, by whom and when, until a new alert is
//! raised. Who may change workflows may acknowledge; the pages, the REST API and the MCP tools
//! all call `acknowledge`.

pub mod notify;
pub mod rules;

use crate::db::Conn;
use crate::entity::{Actor, EventSource};
use crate::error::DomainResult;
use crate::id::WorkflowId;
use crate::read_model::resource::AcknowledgedAlerts;
use crate::repo;
use crate::repo::event::NewEvent;
use diesel_async::AsyncConnection;
use serde_json::json;

/// The event recorded when a workflow's alerts are acknowledged.
pub const ACKNOWLEDGED: &str = "Workflow.alertsAcknowledged";

/// Acknowledges the alerts raised so far for `workflow` (of the actor's organization: another's
/// is missing), and records who did.
pub async fn acknowledge(
    conn: &mut Conn,
    actor: &impl Actor,
    workflow: &WorkflowId,
) -> DomainResult<AcknowledgedAlerts> {
    crate::access::edit(actor)?;
    let org = &actor.org().id;
    let by = actor.reference();
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        let named = repo::workflow::get(conn, org, workflow).await?;
        let through = repo::alert::acknowledge(conn, org, workflow, &by).await?;
        let event = NewEvent {
            actor: Some(by.clone()),
            subject: Some(workflow.to_string()),
            ..NewEvent::new(
                ACKNOWLEDGED,
                json!({ "workflow": workflow, "name": named.name }),
                EventSource::Verb,
            )
        };
        crate::ingest::record_and_queue(conn, org, &event, None, &crate::ingest::Limits::DEFAULT)
            .await?;
        Ok(AcknowledgedAlerts {
            workflow: workflow.to_string(),
            acknowledged_through: crate::timefmt::rfc3339(through),
        })
    })
    .await
    .map_err(Into::into)
}
