//! How long a failed step waits before its next attempt.

use serde_json::Value;
use time::Duration;

/// A workflow's retry policy; the default is one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: i32,
    pub backoff: Backoff,
    pub delay_ms: i64,
    pub max_delay_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    Fixed,
    Linear,
    Exponential,
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
    /// Reads the stored JSON (validated when saved); anything unreadable is one attempt.
    pub fn from_json(text: Option<&str>) -> Self {
        let Some(v) = text.and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
            return Self::default();
        };
        let number = |k: &str| v.get(k).and_then(Value::as_i64);
        Self {
            max_attempts: number("maxAttempts").unwrap_or(1).clamp(1, 10) as i32,
            backoff: match v.get("backoff").and_then(Value::as_str) {
                Some("linear") => Backoff::Linear,
                Some("exponential") => Backoff::Exponential,
                _ => Backoff::Fixed,
            },
            delay_ms: number("delayMs").unwrap_or(0).max(0),
            max_delay_ms: number("maxDelayMs"),
        }
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
    fn stored_json_is_read_and_nonsense_is_one_attempt() {
        let p = RetryPolicy::from_json(Some(
            r#"{"maxAttempts": 3, "backoff": "exponential", "delayMs": 500}"#,
        ));
        assert_eq!(
            (p.max_attempts, p.backoff, p.delay_ms, p.max_delay_ms),
            (3, Backoff::Exponential, 500, None)
        );
        assert_eq!(RetryPolicy::from_json(Some("nope")), RetryPolicy::default());
        assert_eq!(RetryPolicy::from_json(None).max_attempts, 1);
    }
}
