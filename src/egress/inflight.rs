//! How many calls are in flight, per organization and per host, so that one organization's
//! slow endpoint cannot hold every worker: a call over either bound waits for a place (a
//! short while; each call is a task of its own, so waiting holds up no other run), and past
//! that its run is handed back for a moment instead of being made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many organizations and hosts are remembered before those with no call in flight go.
const KEPT_MAX: usize = 1024;

/// The bounds, and the places in flight under them. Cheap to clone: clones share the places.
#[derive(Clone, Debug)]
pub struct Inflight {
    per_org: usize,
    per_host: usize,
    places: Arc<Mutex<Places>>,
}

#[derive(Debug, Default)]
struct Places {
    orgs: HashMap<String, Arc<Semaphore>>,
    hosts: HashMap<String, Arc<Semaphore>>,
}

/// A call's place in flight; dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    _org: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl Inflight {
    /// Bounds of `per_org` calls for one organization and `per_host` to one host (at least 1).
    pub fn new(per_org: usize, per_host: usize) -> Inflight {
        Inflight {
            per_org: per_org.max(1),
            per_host: per_host.max(1),
            places: Arc::default(),
        }
    }

    fn semaphores(&self, org: &str, host: &str) -> (Arc<Semaphore>, Arc<Semaphore>) {
        let mut guard = self.places.lock().unwrap_or_else(|e| e.into_inner());
        let places = &mut *guard;
        // Hosts come from what steps work out: keep only the ones in use once there are many.
        // A place held keeps its semaphore alive (`OwnedSemaphorePermit`), so one no call holds
        // is full and may go.
        for map in [&mut places.orgs, &mut places.hosts] {
            if map.len() >= KEPT_MAX {
                map.retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
            }
        }
        let org = Arc::clone(
            places
                .orgs
                .entry(org.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_org))),
        );
        let host = Arc::clone(
            places
                .hosts
                .entry(host.to_ascii_lowercase())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
        );
        (org, host)
    }

    /// A place for a call of `org` to `host` now, or `None` while either is at its bound.
    pub fn enter(&self, org: &str, host: &str) -> Option<Ticket> {
        let (org, host) = self.semaphores(org, host);
        let org = org.try_acquire_owned().ok()?;
        let host = host.try_acquire_owned().ok()?;
        Some(Ticket {
            _org: org,
            _host: host,
        })
    }

    /// A place for a call of `org` to `host`, waiting at most `wait` for one.
    pub async fn wait_for(&self, org: &str, host: &str, wait: Duration) -> Option<Ticket> {
        let (org, host) = self.semaphores(org, host);
        let places = async {
            let org = org.acquire_owned().await.ok()?;
            let host = host.acquire_owned().await.ok()?;
            Some(Ticket {
                _org: org,
                _host: host,
            })
        };
        tokio::time::timeout(wait, places).await.ok().flatten()
    }
}

impl Default for Inflight {
    /// 8 calls in flight per organization, 4 per host.
    fn default() -> Self {
        Inflight::new(8, 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_wait_at_the_bound_of_their_organization_or_host() {
        let inflight = Inflight::new(2, 1);
        let first = inflight.enter("org_a", "crm.example").expect("room");
        assert!(
            inflight.enter("org_a", "CRM.example").is_none(),
            "host full"
        );
        let second = inflight.enter("org_a", "mail.example").expect("other host");
        assert!(
            inflight.enter("org_a", "chat.example").is_none(),
            "org full"
        );
        assert!(
            inflight.enter("org_b", "chat.example").is_some(),
            "other org"
        );
        let short = Duration::from_millis(20);
        assert!(
            inflight
                .wait_for("org_a", "chat.example", short)
                .await
                .is_none()
        );
        let waiting = inflight.wait_for("org_a", "crm.example", Duration::from_secs(5));
        let freed = async {
            tokio::time::sleep(short).await;
            drop(first);
        };
        let (ticket, ()) = tokio::join!(waiting, freed);
        assert!(ticket.is_some(), "a place freed while waiting is taken");
        drop(second);
    }

    #[test]
    fn hosts_with_no_call_in_flight_are_forgotten_once_there_are_many() {
        let inflight = Inflight::new(8, 4);
        let held = inflight.enter("org_a", "kept.example").expect("room");
        for n in 0..3 * KEPT_MAX {
            drop(inflight.enter("org_a", &format!("h{n}.example")));
        }
        let places = inflight.places.lock().expect("lock");
        assert!(places.hosts.len() <= KEPT_MAX, "{}", places.hosts.len());
        assert!(
            places.hosts.contains_key("kept.example"),
            "the one in use stays"
        );
        drop(places);
        drop(held);
    }
}
