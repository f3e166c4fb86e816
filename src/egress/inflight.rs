//! How many calls are in flight, per organization and per host, so that one organization's
//! slow endpoint cannot hold every worker: a call that would pass either bound waits its turn
//! (its run is handed back for a moment) instead of being made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The bounds, and the calls in flight under them. Cheap to clone: clones share the counts.
#[derive(Clone, Debug)]
pub struct Inflight {
    per_org: usize,
    per_host: usize,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    orgs: HashMap<String, usize>,
    hosts: HashMap<String, usize>,
}

/// A call's place in flight; dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    org: String,
    host: String,
    counts: Arc<Mutex<Counts>>,
}

impl Inflight {
    /// Bounds of `per_org` calls for one organization and `per_host` to one host (at least 1).
    pub fn new(per_org: usize, per_host: usize) -> Inflight {
        Inflight {
            per_org: per_org.max(1),
            per_host: per_host.max(1),
            counts: Arc::default(),
        }
    }

    /// A place for a call of `org` to `host`, or `None` while either is at its bound.
    pub fn enter(&self, org: &str, host: &str) -> Option<Ticket> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let in_org = counts.orgs.get(org).copied().unwrap_or(0);
        let at_host = counts.hosts.get(host).copied().unwrap_or(0);
        if in_org >= self.per_org || at_host >= self.per_host {
            return None;
        }
        *counts.orgs.entry(org.to_owned()).or_default() += 1;
        *counts.hosts.entry(host.to_owned()).or_default() += 1;
        Some(Ticket {
            org: org.to_owned(),
            host: host.to_owned(),
            counts: Arc::clone(&self.counts),
        })
    }
}

impl Default for Inflight {
    /// 8 calls in flight per organization, 4 per host.
    fn default() -> Self {
        Inflight::new(8, 4)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut guard = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let counts = &mut *guard;
        for (map, key) in [
            (&mut counts.orgs, &self.org),
            (&mut counts.hosts, &self.host),
        ] {
            if let Some(n) = map.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_wait_at_the_bound_of_their_organization_or_host() {
        let inflight = Inflight::new(2, 1);
        let first = inflight.enter("org_a", "crm.example").expect("room");
        assert!(
            inflight.enter("org_a", "crm.example").is_none(),
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
        drop(first);
        assert!(inflight.enter("org_a", "crm.example").is_some(), "freed");
        drop(second);
    }
}
