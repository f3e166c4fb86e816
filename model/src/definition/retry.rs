//! The retry policy: how many attempts a failing step gets and how long it waits between them.

use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::Duration;

pub const ATTEMPTS_MAX: i32 = 10;
pub const DELAY_MAX_MS: i64 = 3_600_000;
pub const MAX_DELAY_MAX_MS: i64 = 86_400_000;

/// How the wait between attempts grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backoff {
    #[default]
    Fixed,
    Linear,
    Exponential,
}

impl Backoff {
    pub const ALL: [Backoff; 3] = [Backoff::Fixed, Backoff::Linear, Backoff::Exponential];

    pub fn as_str(self) -> &'static str {
        match self {
            Backoff::Fixed => "fixed",
            Backoff::Linear => "linear",
            Backoff::Exponential => "exponential",
        }
    }

    /// The form's words for it.
    pub fn label(self) -> &'static str {
        match self {
            Backoff::Fixed => "Same each time",
            Backoff::Linear => "Longer each time",
            Backoff::Exponential => "Doubling each time",
        }
    }
}

impl FromStr for Backoff {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::status::find_name("backoff", &Self::ALL, Self::as_str, s)
    }
}

/// A workflow's retry policy, stored as `{"maxAttempts", "backoff", "delayMs", "maxDelayMs"?}`.
/// A workflow without one makes one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    pub max_attempts: i32,
    #[serde(default)]
    pub backoff: Backoff,
    #[serde(default)]
    pub delay_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_delay_ms: Option<i64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 1,
            backoff: Backoff::Fixed,
            delay_ms: 0,
            max_delay_ms: None,
        }
    }
}

impl RetryPolicy {
    /// The policy in force: the workflow's, or one attempt.
    pub fn or_default(policy: Option<&RetryPolicy>) -> RetryPolicy {
        policy.copied().unwrap_or_default()
    }

    /// The wait after the `failed`-th failed attempt (1 for the first).
    pub fn delay_after(&self, failed: i32) -> Duration {
        let n = i64::from(failed.max(1));
        let ms = match self.backoff {
            Backoff::Fixed => self.delay_ms,
            Backoff::Linear => self.delay_ms.saturating_mul(n),
            Backoff::Exponential => self.delay_ms.saturating_mul(1i64 << (n - 1).min(30)),
        };
        Duration::milliseconds(self.max_delay_ms.map_or(ms, |cap| ms.min(cap)))
    }

    /// The policy in words: "Up to 3 attempts, waiting 0.5 s, doubling each time, at most 4 s".
    pub fn describe(policy: Option<&RetryPolicy>) -> String {
        let policy = Self::or_default(policy);
        if policy.max_attempts <= 1 {
            return "One attempt, no retry".to_owned();
        }
        let growth = match policy.backoff {
            Backoff::Fixed => "",
            Backoff::Linear => ", longer each time",
            Backoff::Exponential => ", doubling each time",
        };
        let cap = policy
            .max_delay_ms
            .map(|m| format!(", at most {}", crate::timefmt::length_text(m)))
            .unwrap_or_default();
        format!(
            "Up to {} attempts, waiting {}{growth}{cap}",
            policy.max_attempts,
            crate::timefmt::length_text(policy.delay_ms)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_backoffs_and_the_cap() {
        let policy = |backoff| RetryPolicy {
            max_attempts: 5,
            backoff,
            delay_ms: 100,
            max_delay_ms: Some(350),
        };
        let waits = |p: RetryPolicy| {
            (1..=4)
                .map(|n| p.delay_after(n).whole_milliseconds())
                .collect::<Vec<_>>()
        };
        assert_eq!(waits(policy(Backoff::Fixed)), [100, 100, 100, 100]);
        assert_eq!(waits(policy(Backoff::Linear)), [100, 200, 300, 350]);
        assert_eq!(waits(policy(Backoff::Exponential)), [100, 200, 350, 350]);
    }

    #[test]
    fn stored_json_is_read_and_nonsense_is_refused() {
        let p: RetryPolicy =
            serde_json::from_str(r#"{"maxAttempts": 3, "backoff": "exponential", "delayMs": 500}"#)
                .expect("policy");
        assert_eq!(
            (p.max_attempts, p.backoff, p.delay_ms, p.max_delay_ms),
            (3, Backoff::Exponential, 500, None)
        );
        assert!(serde_json::from_str::<RetryPolicy>("nope").is_err());
        assert!(
            serde_json::from_str::<RetryPolicy>(r#"{"maxAttempts": 3, "backoff": "random"}"#)
                .is_err(),
            "an unknown backoff is an error, not a default"
        );
        assert_eq!(RetryPolicy::or_default(None).max_attempts, 1);
    }

    #[test]
    fn policies_read_as_words() {
        assert_eq!(RetryPolicy::describe(None), "One attempt, no retry");
        let policy = RetryPolicy {
            max_attempts: 3,
            backoff: Backoff::Exponential,
            delay_ms: 500,
            max_delay_ms: Some(4000),
        };
        assert_eq!(
            RetryPolicy::describe(Some(&policy)),
            "Up to 3 attempts, waiting 0.5 s, doubling each time, at most 4 s"
        );
        assert_eq!(
            serde_json::to_string(&policy).expect("json"),
            r#"{"maxAttempts":3,"backoff":"exponential","delayMs":500,"maxDelayMs":4000}"#
        );
    }

    #[test]
    fn backoff_names_round_trip() {
        for b in Backoff::ALL {
            assert_eq!(b.as_str().parse::<Backoff>(), Ok(b));
            assert_eq!(serde_json::to_value(b).expect("json"), b.as_str());
        }
    }
}
