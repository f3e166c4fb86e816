//! What the workflow editor offers to pick from, read from the organization's events, records
//! and workflows (`editor::EditorChoices` says what each list holds).

use crate::db::Conn;
use crate::editor::EditorChoices;
use crate::entity::Actor;
use crate::error::DomainResult;
use crate::id::WorkflowId;
use crate::repo;

/// How many recent events of the trigger type the offered values come from.
const EVENTS_READ: i64 = 20;

/// The choices for the form of workflow `id` (none: a new one) whose trigger is `typed`, or
/// when nothing was typed yet, the saved workflow's.
pub async fn choices(
    conn: &mut Conn,
    actor: &impl Actor,
    id: Option<&WorkflowId>,
    typed: Option<&str>,
) -> DomainResult<EditorChoices> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let trigger = match (typed, id) {
        (Some(typed), _) => typed.trim().to_owned(),
        (None, Some(id)) => repo::workflow::get(conn, org, id).await?.trigger_event,
        (None, None) => String::new(),
    };
    let received = repo::event::types(conn, org, 200).await?;
    let workflows = repo::workflow::definitions(conn, org, 500).await?;
    let fields = repo::thing::fields(conn, org).await?;
    let latest = real_samples(conn, org, &trigger, EVENTS_READ).await?;
    let secrets = repo::secret::list(conn, org).await?;
    Ok(EditorChoices {
        secrets: secrets
            .into_iter()
            .map(|(name, hosts, ..)| (name, hosts))
            .collect(),
        ..EditorChoices::assemble(received, &workflows, fields, &trigger, latest)
    })
}

/// The data of the newest `limit` events of `trigger` that arrived, newest first: what sample
/// forms start from. Events only Admins may read never serve as samples.
pub(crate) async fn real_samples(
    conn: &mut Conn,
    org: &crate::id::OrgId,
    trigger: &str,
    limit: i64,
) -> crate::store_error::QueryResult<Vec<serde_json::Value>> {
    if !crate::workflow::is_event_type(trigger) || crate::workflow::is_private_event(trigger) {
        return Ok(Vec::new());
    }
    repo::event::latest_data(conn, org, trigger, limit).await
}
