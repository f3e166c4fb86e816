//! The audit trail Admins read: who signed in (or failed to) and from where, who changed the
//! members, the API keys and the workflows, and who retried runs. It is read from the event
//! log, so it is kept as long as events are.

pub use switchyard_model::read_model::audit::*;

use crate::sql_text::Sql;
use time::OffsetDateTime;
use {
    crate::db::Conn,
    crate::entity::Member,
    crate::error::DomainResult,
    crate::schema::{events, memberships, users},
    diesel::prelude::*,
    diesel_async::RunQueryDsl,
    std::collections::HashMap,
};

/// The entry's detail in words, from the event's data.
fn describe(
    kind: &str,
    data: &serde_json::Value,
    names: &dyn Fn(&str) -> Option<String>,
) -> String {
    let text = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
    match kind {
        "Member.signedIn" | "Member.signInFailed" => {
            let from = data["address"].as_str().unwrap_or("an unknown address");
            let outcome = match text("outcome").as_str() {
                "locked" => " (account locked)",
                _ => "",
            };
            format!("From {from}{outcome}")
        }
        "Member.roleChanged" => format!("{} → {}", text("from"), text("to")),
        "Member.invited" | "Member.added" | "Member.joined" => {
            format!("{} as {}", text("email"), text("role"))
        }
        "Member.removed"
        | "Member.unlocked"
        | "Member.invitationRevoked"
        | "Member.invitationDeclined" => text("email"),
        "Email.tested" => format!(
            "To {}: {} ({})",
            text("to"),
            text("outcome"),
            text("answer")
        ),
        "Member.passwordChanged" | "Member.passwordReset" => match data["sessionsEnded"].as_i64() {
            Some(n) if n > 0 => format!("{n} other session(s) ended"),
            _ => String::new(),
        },
        "ApiKey.created" | "ApiKey.revoked" => format!("“{}” ({}…)", text("name"), text("prefix")),
        k if k.starts_with("Workflow.") => text("name"),
        k if k.starts_with("Endpoint.") => text("url"),
        "Run.retried" | "RunBatch.queued" => data["workflow"]
            .as_str()
            .and_then(names)
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// One page of the trail of the Admin's organization, newest first.
pub async fn page(conn: &mut Conn, actor: &Member, query: &AuditQuery) -> DomainResult<AuditPage> {
    crate::access::manage(actor)?;
    let org = &actor.org.id;
    let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    let mut q = events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(events::type_.eq_any(&kinds))
        // Only what the server recorded: the same types sent by keys, members or steps (which
        // are refused now, but may be stored from before) are not the audit's.
        .filter(events::source.eq(crate::entity::EventSource::Verb.sql()))
        // Runs the engine starts record `Workflow.triggered` with no one acting: only people,
        // keys and the command line (members and keys made there) are in the trail.
        .filter(
            events::actor
                .is_not_null()
                .or(events::type_.like("Member.%"))
                .or(events::type_.like("ApiKey.%")),
        )
        .into_boxed();
    if let Some(kind) = query.kind.as_deref().filter(|k| !k.is_empty()) {
        q = q.filter(events::type_.eq(kind.to_owned()));
    }
    if let Some(person) = query.person.as_deref().filter(|p| !p.is_empty()) {
        q = q.filter(events::actor.eq(person.to_owned()));
    }
    if let Some(before) = query.before {
        q = q.filter(events::seq.lt(before));
    }
    let mut rows: Vec<(
        i64,
        OffsetDateTime,
        String,
        Option<String>,
        serde_json::Value,
    )> = q
        .order(events::seq.desc())
        .limit(PAGE + 1)
        .select((
            events::seq,
            events::created_at,
            events::type_,
            events::actor,
            events::data,
        ))
        .load(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    let next_before = (rows.len() as i64 > PAGE).then(|| rows[PAGE as usize - 1].0);
    rows.truncate(PAGE as usize);

    // Names of people who acted, members now or not, and of the keys and workflows named.
    let actors: Vec<&str> = rows.iter().filter_map(|r| r.3.as_deref()).collect();
    let names = crate::repo::org::actor_names(conn, org, &actors).await?;
    let named: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.4["workflow"].as_str())
        .collect();
    let workflows: HashMap<String, String> = crate::schema::workflows::table
        .filter(crate::schema::workflows::org_id.eq(org.sql()))
        .filter(crate::schema::workflows::id.eq_any(crate::sql_text::all(&named)))
        .select((crate::schema::workflows::id, crate::schema::workflows::name))
        .load::<(String, String)>(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?
        .into_iter()
        .collect();
    let entries = rows
        .into_iter()
        .map(|(seq, at, kind, actor, data)| AuditEntry {
            seq,
            at,
            what: describe(&kind, &data, &|id| workflows.get(id).cloned()),
            who: match actor {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| "Someone".into()),
                None => "The command line".into(),
            },
            kind,
        })
        .collect();
    let members: Vec<(String, String, String)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org.sql()))
        .order(users::display_name.asc())
        .select((users::id, users::display_name, users::email))
        .load(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    let emails: Vec<String> = members.iter().map(|(_, _, e)| e.clone()).collect();
    let floods = crate::auth::flooded(conn, &emails)
        .await
        .map_err(crate::store_error::StoreError::from)?
        .into_iter()
        .filter_map(|(email, failures, networks)| {
            let (_, name, email) = members
                .iter()
                .find(|(_, _, e)| e.eq_ignore_ascii_case(&email))?;
            Some(Flood {
                name: name.clone(),
                email: email.clone(),
                failures,
                networks,
            })
        })
        .collect();
    let people = members
        .into_iter()
        .map(|(id, name, _)| (id, name))
        .collect();
    Ok(AuditPage {
        floods,
        entries,
        people,
        next_before,
    })
}
