//! How long a signed-in session lasts: it ends after a while unused (idle) and, used or not,
//! a while after signing in (absolute). The web layer asks `Policy::judge` on every request.

use time::{Duration, OffsetDateTime};

/// What a signed-in session keeps: who, when they signed in and last used it (Unix seconds),
/// and the browser and address they signed in from (to show them their sessions).
pub const USER_KEY: &str = "user_id";
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
pub const SEEN_AT_KEY: &str = "seen_at";
pub const BROWSER_KEY: &str = "browser";
pub const ADDRESS_KEY: &str = "address";

/// The session's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Unused this long, a session ends.
    pub idle: Duration,
    /// This long after signing in, a session ends however much it is used.
    pub absolute: Duration,
}

impl Default for Policy {
    /// 30 minutes idle, 12 hours in all (OWASP ASVS 3.3.2 for level 2 asks at most 12 hours
    /// and 30 minutes of inactivity).
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// How often a used session's last use is written down: writing it on every request would
/// cost a database write per page; the idle limit is then exact to this much.
pub const TOUCH_EVERY: Duration = Duration::seconds(60);

/// What to do with a session on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It has ended: forget it.
    Ended,
    /// It goes on; write down that it was used now.
    Touch,
    /// It goes on; nothing to write.
    Keep,
}

impl Policy {
    pub fn judge(
        &self,
        signed_in_at: OffsetDateTime,
        seen_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Verdict {
        if now - signed_in_at >= self.absolute || now - seen_at >= self.idle {
            Verdict::Ended
        } else if now - seen_at >= TOUCH_EVERY {
            Verdict::Touch
        } else {
            Verdict::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_session_ends_when_idle_or_old_and_is_touched_at_most_once_a_minute() {
        let policy = Policy::default();
        let start = datetime!(2026-11-28 09:00 UTC);
        let at = |minutes: i64| start + Duration::minutes(minutes);
        assert_eq!(policy.judge(start, start, start), Verdict::Keep);
        assert_eq!(
            policy.judge(start, start, start + Duration::seconds(59)),
            Verdict::Keep
        );
        assert_eq!(policy.judge(start, start, at(1)), Verdict::Touch);
        assert_eq!(policy.judge(start, start, at(29)), Verdict::Touch);
        assert_eq!(policy.judge(start, start, at(30)), Verdict::Ended);
        // Used every 20 minutes, it still ends 12 hours after signing in.
        assert_eq!(policy.judge(start, at(700), at(719)), Verdict::Touch);
        assert_eq!(policy.judge(start, at(710), at(720)), Verdict::Ended);
    }
}
