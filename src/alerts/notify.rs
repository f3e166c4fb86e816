//! Emailing alerts: the mailer reads the alert events (`workflow.high_failure_rate`,
//! `FailureGroup.opened`, `Endpoint.disabled`) in the event feed's order from where it left
//! off, and emails each to the people its organization's rule names, at most once per alert
//! and workflow (or endpoint) in the rule's quiet time. The letters name the workflow, the
//! rate, since which version it fails, its largest failure group, and link to the dashboard and
//! to the runs. No transaction is open while the mail server is asked; an alert is emailed at
//! least once (a crash after sending and before recording may send it again).

use super::rules;
use crate::alert_rule::AlertKind;
use crate::db::{Conn, Pool};
use crate::error::{DomainError, DomainResult};
use crate::id::{OrgId, WorkflowId};
use crate::mail::{Letter, Mail};
use crate::repo::stats::Selection;
use crate::sql_text::Sql;
use crate::store_error::StoreError;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Text};
use diesel_async::RunQueryDsl;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// Alert events read at most in one go.
const BATCH: i64 = 50;

#[derive(QueryableByName)]
struct AlertEvent {
    #[diesel(sql_type = Text)]
    xid: String,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    type_: String,
    #[diesel(sql_type = Jsonb)]
    data: Value,
}

/// One letter to send, and what to record once it is sent.
struct Planned {
    org: OrgId,
    kind: AlertKind,
    about: String,
    letters: Vec<Letter>,
}

/// Emails the alerts raised since the last tick, as of `now` (quiet times are counted from
/// it); how many letters went out. `base` is the app's configured address (links); with email
/// off the alerts are passed over.
pub async fn tick(
    pool: &Pool,
    mail: &Mail,
    base: Option<&str>,
    now: OffsetDateTime,
) -> DomainResult<usize> {
    let mut conn = pool
        .get()
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    let events: Vec<AlertEvent> = diesel::sql_query(
        "SELECT e.xid::text AS xid, e.seq, e.org_id, e.type AS type_, e.data
         FROM events e, alert_cursor c
         WHERE e.type IN ('workflow.high_failure_rate', 'FailureGroup.opened', 'Endpoint.disabled')
           AND (e.xid, e.seq) > (c.xid, c.seq)
           AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY e.xid, e.seq
         LIMIT $1",
    )
    .bind::<BigInt, _>(BATCH)
    .load(&mut conn)
    .await
    .map_err(StoreError::from)?;
    let Some(last) = events.last() else {
        return Ok(0);
    };
    let (last_xid, last_seq) = (last.xid.clone(), last.seq);
    let mut planned = Vec::new();
    if let (true, Some(base)) = (mail.is_on(), base) {
        for event in &events {
            if let Some(plan) = plan(&mut conn, event, base, now).await? {
                planned.push(plan);
            }
        }
    }
    drop(conn);
    let mut sent = 0;
    let mut done = Vec::new();
    for plan in planned {
        let mut any = false;
        for letter in &plan.letters {
            match mail.send(letter).await {
                Ok(_) => {
                    sent += 1;
                    any = true;
                }
                Err(refusal) => {
                    tracing::warn!(org = %plan.org, "an alert email was not sent: {refusal}")
                }
            }
        }
        if any {
            done.push(plan);
        }
    }
    let mut conn = pool
        .get()
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    for plan in &done {
        diesel::sql_query(
            "INSERT INTO alert_emails (org_id, kind, subject, sent_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, kind, subject) DO UPDATE SET sent_at = excluded.sent_at",
        )
        .bind::<Text, _>(plan.org.as_str())
        .bind::<Text, _>(plan.kind.as_str())
        .bind::<Text, _>(&plan.about)
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .execute(&mut conn)
        .await
        .map_err(StoreError::from)?;
    }
    diesel::sql_query("UPDATE alert_cursor SET xid = $1::xid8, seq = $2")
        .bind::<Text, _>(last_xid)
        .bind::<BigInt, _>(last_seq)
        .execute(&mut conn)
        .await
        .map_err(StoreError::from)?;
    Ok(sent)
}

/// The letters of one alert event, unless nobody is to be told or it was told within the
/// quiet time.
async fn plan(
    conn: &mut Conn,
    event: &AlertEvent,
    base: &str,
    now: OffsetDateTime,
) -> DomainResult<Option<Planned>> {
    let Some(kind) = AlertKind::of_event(&event.type_) else {
        return Ok(None);
    };
    let org_id = OrgId::parse(&event.org_id).ok_or(DomainError::NotFound)?;
    let about = match kind {
        AlertKind::EndpointDisabled => event.data["endpoint"].as_str(),
        _ => event.data["workflow"].as_str(),
    }
    .unwrap_or_default()
    .to_owned();
    let (to, quiet) = rules::recipients(conn, &org_id, kind).await?;
    if to.is_empty() {
        return Ok(None);
    }
    let last: Option<OffsetDateTime> = crate::schema::alert_emails::table
        .filter(crate::schema::alert_emails::org_id.eq(org_id.sql()))
        .filter(crate::schema::alert_emails::kind.eq(kind.as_str()))
        .filter(crate::schema::alert_emails::subject.eq(&about))
        .select(crate::schema::alert_emails::sent_at)
        .first(conn)
        .await
        .optional()
        .map_err(StoreError::from)?;
    if last.is_some_and(|at| now - at < Duration::minutes(i64::from(quiet))) {
        return Ok(None);
    }
    let Some(org) = crate::repo::org::org_by_id(conn, &org_id).await? else {
        return Ok(None);
    };
    let base = format!("{}/o/{}", base.trim_end_matches('/'), org.slug);
    let (subject, text) = match kind {
        AlertKind::FailureRate => failure_rate(conn, &org, &event.data, &base, now).await?,
        AlertKind::FailureGroup => failure_group(conn, &org, &event.data, &base).await?,
        AlertKind::EndpointDisabled => endpoint_disabled(&event.data, &base),
    };
    let letters = to
        .iter()
        .map(|address| Letter::alert(address, &org.name, &subject, &text))
        .collect();
    Ok(Some(Planned {
        org: org_id,
        kind,
        about,
        letters,
    }))
}

async fn workflow_name(
    conn: &mut Conn,
    org: &OrgId,
    data: &Value,
) -> DomainResult<(WorkflowId, String)> {
    let id = data["workflow"]
        .as_str()
        .and_then(WorkflowId::parse)
        .ok_or(DomainError::NotFound)?;
    let name = crate::repo::workflow::get(conn, org, &id)
        .await
        .map(|w| w.name)
        .unwrap_or_else(|_| id.to_string());
    Ok((id, name))
}

fn percent(rate: f64) -> String {
    format!("{}%", (rate * 1000.0).round() / 10.0)
}

/// "Onboarding fails 42% of its runs": the rate, the threshold, since which version, the
/// largest failure group of the last 7 days, and links.
async fn failure_rate(
    conn: &mut Conn,
    org: &crate::entity::Organization,
    data: &Value,
    base: &str,
    now: OffsetDateTime,
) -> DomainResult<(String, String)> {
    let (workflow, name) = workflow_name(conn, &org.id, data).await?;
    let rate = data["failureRate"].as_f64().unwrap_or_default();
    let threshold = data["threshold"].as_f64().unwrap_or_default();
    let runs = data["runCount"].as_i64().unwrap_or_default();
    let scope = Selection {
        org: &org.id,
        workflow: Some(&workflow),
        from: now - Duration::days(7),
        to: now + Duration::hours(1),
    };
    let local = crate::timefmt::Local::new(&org.time_zone, now);
    let since =
        crate::read_model::dashboard::failing_since(conn, &scope, threshold, &local).await?;
    let largest = crate::repo::stats::groups(conn, &scope, 1).await?;
    let mut text = format!(
        "Hello,\n\n{name} has failed {} of its {runs} finished runs, above {}'s threshold of {}.\n",
        percent(rate),
        org.name,
        percent(threshold)
    );
    if let Some(mark) = since {
        text.push_str(&format!(
            "It fails since version {} ({}).\n",
            mark.version, mark.at
        ));
    }
    let runs_link = match <[_]>::first(&largest) {
        Some(group) => {
            text.push_str(&format!(
                "Its largest failure group in the last 7 days: step {}, \"{}\" ({} runs).\n",
                group.step + 1,
                group.error,
                group.runs
            ));
            format!("{base}/runs?workflow={workflow}&group={}", group.key)
        }
        None => format!("{base}/runs?workflow={workflow}&status=Failed"),
    };
    text.push_str(&format!(
        "\nThe dashboard: {base}/dashboard\nIts failed runs: {runs_link}\n"
    ));
    Ok((format!("{name} fails {} of its runs", percent(rate)), text))
}

/// "A new failure in Onboarding at step 2".
async fn failure_group(
    conn: &mut Conn,
    org: &crate::entity::Organization,
    data: &Value,
    base: &str,
) -> DomainResult<(String, String)> {
    let (workflow, name) = workflow_name(conn, &org.id, data).await?;
    let step = data["step"].as_i64().unwrap_or_default() + 1;
    let error = data["error"].as_str().unwrap_or_default();
    let group = data["group"].as_str().unwrap_or_default();
    let run = data["run"].as_str().unwrap_or_default();
    let text = format!(
        "Hello,\n\n{name} failed in a new way at step {step}:\n\n  {error}\n\n\
         The run: {base}/runs/{run}\nEvery run that failed this way: {base}/runs?workflow={workflow}&group={group}\n"
    );
    Ok((format!("A new failure in {name} at step {step}"), text))
}

/// "A webhook endpoint was disabled".
fn endpoint_disabled(data: &Value, base: &str) -> (String, String) {
    let endpoint = data["endpoint"].as_str().unwrap_or_default();
    let reason = data["reason"].as_str().unwrap_or_default();
    let text = format!(
        "Hello,\n\nA webhook endpoint no longer receives deliveries: {reason}.\n\n\
         Its deliveries, and \"Send to it again\": {base}/settings/webhooks/{endpoint}\n"
    );
    ("A webhook endpoint was disabled".to_owned(), text)
}
