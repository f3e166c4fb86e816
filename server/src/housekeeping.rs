//! The server's background chores besides the engine: folding run statistics every few
//! seconds; every quarter of an hour, expired sessions, old failed sign-ins, and runs and
//! rollups past their retention.

use std::time::Duration;
use switchyard::db::Pool;

#[derive(Clone, Debug)]
pub struct HousekeepingSettings {
    /// How often run outcomes are folded into the rollups.
    pub fold_every: Duration,
    /// How long ended runs and their steps are kept.
    pub retention: time::Duration,
}

impl Default for HousekeepingSettings {
    fn default() -> Self {
        HousekeepingSettings {
            fold_every: Duration::from_secs(2),
            retention: time::Duration::days(90),
        }
    }
}

/// Folds the run outcomes into the rollups, for ever, every `fold_every`.
pub async fn fold_stats(pool: Pool, settings: HousekeepingSettings) {
    let mut tick = tokio::time::interval(settings.fold_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match pool.get().await {
            Ok(mut conn) => {
                if let Err(e) = switchyard::housekeeping::fold(&mut conn).await {
                    tracing::warn!("folding run statistics failed: {e}");
                }
            }
            Err(e) => tracing::warn!("folding run statistics has no connection: {e}"),
        }
    }
}

/// Every quarter of an hour: expired sessions, failed sign-ins past the throttle's hour, reset
/// links a day past their hour, and
/// runs and rollups past their retention.
pub async fn quarter_hourly(pool: Pool, settings: HousekeepingSettings) {
    let store = crate::session_store::DieselStore::new(pool.clone());
    let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
    loop {
        tick.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!("removing expired sessions failed: {e}");
        }
        let mut conn = match pool.get().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!("housekeeping has no connection: {e}");
                continue;
            }
        };
        if let Err(e) = switchyard::auth::prune_failures(&mut conn).await {
            tracing::warn!("pruning failed sign-ins failed: {e}");
        }
        if let Err(e) = switchyard::account::reset::prune(&mut conn).await {
            tracing::warn!("pruning password reset links failed: {e}");
        }
        let now = time::OffsetDateTime::now_utc();
        match switchyard::housekeeping::prune(&mut conn, now, settings.retention).await {
            Ok(pruned) if pruned.runs + pruned.rollups > 0 => tracing::info!(
                runs = pruned.runs,
                rollups = pruned.rollups,
                "removed what is past its retention"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("removing old runs failed: {e}"),
        }
    }
}

/// Sends the webhook outbox: every second (and as soon as a place frees), the deliveries that
/// are due, at most `IN_FLIGHT` at once; a slow endpoint holds only its own deliveries' places.
pub async fn send_webhooks(pool: Pool, sender: switchyard::webhooks::deliver::Sender) {
    use switchyard::webhooks::deliver;
    const IN_FLIGHT: usize = 32;
    let places = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            let free = places.available_permits();
            if free == 0 {
                break;
            }
            let claimed = match deliver::claim_due(&pool, &sender, free as i64).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!("claiming webhook deliveries failed: {e}");
                    break;
                }
            };
            let full = claimed.len() == free;
            for claimed in claimed {
                let Ok(place) = places.clone().try_acquire_owned() else {
                    break;
                };
                let (pool, sender) = (pool.clone(), sender.clone());
                tokio::spawn(async move {
                    if let Err(e) = deliver::deliver(&pool, &sender, &claimed).await {
                        tracing::warn!(delivery = %claimed.id, "a webhook delivery could not be settled: {e}");
                    }
                    drop(place);
                });
            }
            if !full {
                break;
            }
        }
    }
}

/// Emails the alerts raised since the last look, every 5 seconds (`alerts::notify`).
pub async fn email_alerts(pool: Pool, mail: switchyard::mail::Mail, base: Option<String>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = time::OffsetDateTime::now_utc();
        if let Err(e) = switchyard::alerts::notify::tick(&pool, &mail, base.as_deref(), now).await {
            tracing::warn!("emailing alerts failed: {e}");
        }
    }
}
