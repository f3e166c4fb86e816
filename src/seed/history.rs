//! Thirty days of history for the demo organization, made by really running its workflows:
//! events are posted as a client posts them and the engine runs them, its clock set to the
//! hour each happened. Customer Onboarding stays healthy; Invoice Reminders starts failing the
//! day its version 2 is saved; Support Triage fails now and then at its second step.

use super::step;
use crate::db::Conn;
use crate::engine::{self, Progress};
use crate::entity::{EventSource, Member};
use crate::hooks::Hooks;
use crate::ingest::{self, PostedEvent};
use crate::schema::workflow_versions;
use crate::sql_text::Sql;
use crate::workflow::WorkflowInput;
use crate::{Workflow, verbs};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

/// Days of history.
pub const DAYS: i64 = 30;
/// The day (counted back from today) Invoice Reminders' version 2 is saved.
pub const CHANGE_DAY: i64 = 9;

fn invoices(channel: &str) -> WorkflowInput {
    WorkflowInput {
        name: "Invoice Reminders".into(),
        description: "When an invoice is overdue, open a task to chase it and send the reminder."
            .into(),
        trigger_event: "Invoice.overdue".into(),
        steps: vec![
            step(
                "Task.create",
                &[("subject", "\"Chase \" + invoice.customer")],
            ),
            step("Event.create", &[("type", channel), ("data", "invoice")]),
        ],
        ..Default::default()
    }
}

fn triage() -> WorkflowInput {
    WorkflowInput {
        name: "Support Triage".into(),
        description: "Log each new ticket and route it to its queue.".into(),
        trigger_event: "Ticket.opened".into(),
        steps: vec![
            step(
                "Activity.create",
                &[
                    ("subject", "\"Triage: \" + ticket.subject"),
                    ("type", "Task"),
                ],
            ),
            step(
                "Event.create",
                &[("type", "ticket.route"), ("data", "ticket")],
            ),
        ],
        ..Default::default()
    }
}

/// A small, repeatable pseudo-random sequence, so that every demo looks the same.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides
    }
}

/// Posts `data` as an event of `event_type` and runs what it starts, the engine's clock at `at`.
async fn happen(
    conn: &mut Conn,
    admin: &Member,
    (event_type, data): (&str, Value),
    at: OffsetDateTime,
    dice: &mut Dice,
) -> anyhow::Result<()> {
    let posted = PostedEvent {
        event_type: event_type.into(),
        data,
        id: None,
    };
    ingest::ingest(conn, &admin.org.id, &posted, EventSource::Api, None).await?;
    let lease = Duration::seconds(30);
    // Claimed by the real clock (the runs were queued now), run by the story's.
    while let Some(claim) = engine::claim(conn, "demo", lease, OffsetDateTime::now_utc()).await? {
        let mut step_at = at;
        while let Progress::Continue = engine::advance(conn, "demo", &claim, lease, step_at).await?
        {
            // Steps take a while, now and then much longer.
            let slow = if dice.roll(12) == 0 { 4_000 } else { 0 };
            step_at += Duration::milliseconds(120 + dice.roll(700) as i64 + slow);
        }
    }
    Ok(())
}

async fn start(
    conn: &mut Conn,
    hooks: &Hooks,
    admin: &Member,
    input: &WorkflowInput,
) -> anyhow::Result<Workflow> {
    let created = verbs::create(conn, hooks, admin, input).await?;
    Ok(verbs::activate(conn, hooks, admin, &created.id).await?)
}

/// Runs thirty days of the demo's workflows up to `now`.
pub async fn seed_history(
    conn: &mut Conn,
    admin: &Member,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let hooks = Hooks::with_defaults();
    let reminders = start(conn, &hooks, admin, &invoices("\"Reminder.sent\"")).await?;
    start(conn, &hooks, admin, &triage()).await?;
    let mut dice = Dice(7);
    let customers = [
        "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent", "Stark", "Wayne",
    ];
    let today = now.replace_time(time::Time::MIDNIGHT);
    let mut changed = false;
    for day in (0..DAYS).rev() {
        for hour in [8, 10, 12, 14, 16] {
            let at = today - Duration::days(day)
                + Duration::hours(hour)
                + Duration::minutes(dice.roll(50) as i64);
            if at > now {
                continue;
            }
            if day < CHANGE_DAY && !changed {
                // The day's edit: reminders go out on the channel each invoice names.
                let current =
                    crate::repo::workflow::get(conn, &admin.org.id, &reminders.id).await?;
                let v2 = verbs::update(
                    conn,
                    &hooks,
                    admin,
                    &reminders.id,
                    current.version,
                    &invoices("invoice.channel"),
                )
                .await?;
                // Stamped with the story's time it was saved at.
                diesel::update(workflow_versions::table.find((v2.id.sql(), v2.version)))
                    .set(workflow_versions::created_at.eq(at - Duration::minutes(30)))
                    .execute(conn)
                    .await?;
                changed = true;
            }
            let customer = customers[dice.roll(customers.len() as u64) as usize];
            if dice.roll(3) > 0 {
                let deal = json!({"name": customer, "plan": "pro", "amount": 1000 + dice.roll(9000), "contact": {"name": "Ada"}});
                happen(conn, admin, ("Deal.won", deal), at, &mut dice).await?;
            }
            let channel = if dice.roll(10) < 3 {
                "Email.sent"
            } else {
                "email reminder"
            };
            let invoice =
                json!({"customer": customer, "amount": 100 + dice.roll(900), "channel": channel});
            let overdue = ("Invoice.overdue", invoice);
            happen(conn, admin, overdue, at + Duration::minutes(3), &mut dice).await?;
            for n in 0..2 {
                let route = if dice.roll(7) == 0 {
                    "urgent queue"
                } else {
                    "Queue.assigned"
                };
                let ticket =
                    json!({"subject": format!("{customer} cannot sign in ({n})"), "route": route});
                let opened = ("Ticket.opened", ticket);
                happen(
                    conn,
                    admin,
                    opened,
                    at + Duration::minutes(7 + n),
                    &mut dice,
                )
                .await?;
            }
        }
    }
    crate::housekeeping::fold(conn).await?;
    Ok(())
}
