//! Run statistics as people read them: counts of runs by outcome over a period, their failure
//! rate, and their durations in a fixed histogram (exact counts, percentiles to the bucket). The
//! rollups they are read from are kept per workflow, version and hour (`repo::stats`).

use crate::run::RunStatus;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::{Duration, OffsetDateTime};

/// A count with its thousands apart, as pages show counts: `1234567` is "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The hour `at` falls in.
pub fn hour_of(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(at)
}

/// The span a dashboard or a chart covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Range {
    Day,
    #[default]
    Week,
    Month,
    Quarter,
}

impl Range {
    pub const ALL: [Range; 4] = [Range::Day, Range::Week, Range::Month, Range::Quarter];

    /// The range as addresses name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
            Range::Quarter => "90d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "Last 24 hours",
            Range::Week => "Last 7 days",
            Range::Month => "Last 30 days",
            Range::Quarter => "Last 90 days",
        }
    }

    /// How long it is, in hours.
    pub fn hours(self) -> i64 {
        match self {
            Range::Day => 24,
            Range::Week => 7 * 24,
            Range::Month => 30 * 24,
            Range::Quarter => 90 * 24,
        }
    }

    /// Whether its charts count per hour (else per day).
    pub fn hourly(self) -> bool {
        matches!(self, Range::Day | Range::Week)
    }

    /// Where it starts when it ends at `now`: whole hours back from the current one for an
    /// hourly range (the current hour is its last point), the same time of day for a daily one.
    pub fn start(self, now: OffsetDateTime) -> OffsetDateTime {
        if self.hourly() {
            hour_of(now) - Duration::hours(self.hours() - 1)
        } else {
            now - Duration::hours(self.hours())
        }
    }
}

impl Range {
    /// Reads an address's `range`: empty is the default week, anything unknown a field error.
    pub fn parse_param(text: &str) -> crate::error::DomainResult<Range> {
        match text.trim() {
            "" => Ok(Range::default()),
            other => other.parse().map_err(|_| {
                crate::error::DomainError::field(
                    "range",
                    format!("`{other}` is not a range: use 24h, 7d, 30d or 90d"),
                )
            }),
        }
    }
}

impl FromStr for Range {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::status::find_name("range", &Range::ALL, Range::as_str, s)
    }
}

/// Upper bounds (ms) of the duration histogram's buckets; one more bucket holds the rest.
pub const DURATION_BOUNDS_MS: [i64; 13] = [
    10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
];
/// How many buckets the histogram has.
pub const BUCKETS: usize = DURATION_BOUNDS_MS.len() + 1;

/// The bucket a duration falls in.
pub fn bucket_of(duration_ms: i64) -> usize {
    DURATION_BOUNDS_MS
        .iter()
        .position(|bound| duration_ms <= *bound)
        .unwrap_or(DURATION_BOUNDS_MS.len())
}

/// Runs of one period (an hour, a day, a range): how many started and how each ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub started: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub timed_out: i64,
    pub cancelled: i64,
    pub duration_ms_sum: i64,
    /// Finished runs per duration bucket (`DURATION_BOUNDS_MS`).
    pub durations: Vec<i64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            started: 0,
            succeeded: 0,
            failed: 0,
            timed_out: 0,
            cancelled: 0,
            duration_ms_sum: 0,
            durations: vec![0; BUCKETS],
        }
    }
}

impl Tally {
    /// Counts one run's start and, when it ended, its end.
    pub fn count(&mut self, started: bool, ended: Option<(RunStatus, i64)>) {
        self.started += i64::from(started);
        if let Some((status, duration_ms)) = ended {
            match status {
                RunStatus::Succeeded => self.succeeded += 1,
                RunStatus::Failed => self.failed += 1,
                RunStatus::TimedOut => self.timed_out += 1,
                RunStatus::Cancelled => self.cancelled += 1,
                RunStatus::Queued | RunStatus::Running => return,
            }
            self.duration_ms_sum += duration_ms;
            self.durations[bucket_of(duration_ms)] += 1;
        }
    }

    /// Adds another period's counts.
    pub fn add(&mut self, other: &Tally) {
        self.started += other.started;
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
        self.cancelled += other.cancelled;
        self.duration_ms_sum += other.duration_ms_sum;
        for (mine, theirs) in self.durations.iter_mut().zip(&other.durations) {
            *mine += theirs;
        }
    }

    /// Runs that ended.
    pub fn finished(&self) -> i64 {
        self.succeeded + self.failures()
    }

    /// Runs that ended without succeeding (`RunStatus::is_failure`).
    pub fn failures(&self) -> i64 {
        self.failed + self.timed_out + self.cancelled
    }

    /// Failures over finished runs (`rate::failure_rate`).
    pub fn failure_rate(&self) -> Option<f64> {
        crate::rate::failure_rate(self.failures(), self.finished())
    }

    /// The duration under which `p` (0 to 1) of the finished runs ended, to the histogram's
    /// bucket: its upper bound, or `None` without finished runs or past the last bound.
    pub fn percentile_ms(&self, p: f64) -> Option<i64> {
        let total: i64 = self.durations.iter().sum();
        if total == 0 {
            return None;
        }
        let wanted = (p * total as f64).ceil().max(1.0) as i64;
        let mut seen = 0;
        for (i, n) in self.durations.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                return DURATION_BOUNDS_MS.get(i).copied();
            }
        }
        None
    }
}

/// An HTTP step's error about an answer it got ("… (HTTP.request): crm.example answered 503
/// Service Unavailable: …") by its host and status alone, whatever the body said: "the CRM
/// answers 503" is one failure group.
fn http_fingerprint(error: &str) -> Option<String> {
    let (_, rest) = error.split_once(&format!("({}): ", crate::definition::HTTP_ACTION))?;
    let (host, after) = rest.split_once(" answered ")?;
    let status = after
        .get(..3)
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?;
    (!host.contains(' ')).then(|| format!("HTTP {host} answered {status}"))
}

/// A failed run's error with what differs from one run to the next taken out: quoted values,
/// ids (`customer_a1B2c3D4`) and numbers. Errors equal once so reduced are one failure group.
pub fn fingerprint(error: &str) -> String {
    if let Some(answered) = http_fingerprint(error) {
        return answered;
    }
    let mut out = String::with_capacity(error.len());
    let mut chars = error.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut closed = false;
                for next in chars.by_ref() {
                    if next == c {
                        closed = true;
                        break;
                    }
                }
                out.push_str(if closed { "\"…\"" } else { "\"…" });
            }
            c if c.is_ascii_digit() => {
                while chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_digit() || *n == '.' || *n == ',')
                {
                    chars.next();
                }
                out.push('#');
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '-' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(if is_id(&word) { "<id>" } else { &word });
            }
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            other => out.push(other),
        }
    }
    out.trim().to_owned()
}

/// `customer_a1B2c3D4`, `run_Ab12Cd34`: a lower-case prefix, `_`, and six or more letters and
/// digits with at least one digit or capital after the first (so `first_name` is a word).
fn is_id(word: &str) -> bool {
    let Some((prefix, rest)) = word.split_once('_') else {
        return false;
    };
    !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && rest.len() >= 6
        && rest.chars().all(|c| c.is_ascii_alphanumeric())
        && rest
            .chars()
            .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_that_differ_in_ids_numbers_and_quoted_values_share_a_fingerprint() {
        let same = [
            "Step 1 (Customer.update): There is no Customer customer_a1B2c3D4",
            "Step 1 (Customer.update): There is no Customer customer_x9Y8w7V6",
            "Step 1 (Customer.update):  There is no Customer customer_Zz00Zz00",
        ];
        let prints: Vec<String> = same.iter().map(|e| fingerprint(e)).collect();
        assert!(prints.windows(2).all(|w| w[0] == w[1]), "{prints:?}");
        assert_eq!(
            prints[0],
            "Step # (Customer.update): There is no Customer <id>"
        );
        assert_eq!(
            fingerprint("Timed out after 30000 ms at 12.5%"),
            fingerprint("Timed out after 45 ms at 99.1%")
        );
        assert_eq!(
            fingerprint(r#"The field type must be an event type like Deal.won, not "deal won""#),
            fingerprint(r#"The field type must be an event type like Deal.won, not "x""#)
        );
    }

    #[test]
    fn http_answers_are_grouped_by_host_and_status_whatever_their_body() {
        let a = "Step 2 (HTTP.request): crm.example answered 503 Service Unavailable: busy";
        let b = "Step 2 (HTTP.request): crm.example answered 503 Service Unavailable: try later";
        let c = "Step 2 (HTTP.request): crm.example answered 502 Bad Gateway: busy";
        let d = "Step 2 (HTTP.request): mail.example answered 503 Service Unavailable: busy";
        assert_eq!(fingerprint(a), fingerprint(b));
        assert_ne!(fingerprint(a), fingerprint(c));
        assert_ne!(fingerprint(a), fingerprint(d));
    }

    #[test]
    fn errors_that_differ_in_words_stay_apart() {
        let apart = [
            "There is no Customer customer_a1B2c3D4",
            "There is no Contact contact_a1B2c3D4",
            "Could not save Customer customer_a1B2c3D4",
            "The field first_name cannot be worked out",
            "The field last_name cannot be worked out",
        ];
        let mut prints: Vec<String> = apart.iter().map(|e| fingerprint(e)).collect();
        prints.sort();
        prints.dedup();
        assert_eq!(prints.len(), apart.len(), "{prints:?}");
    }

    #[test]
    fn a_tally_counts_ends_and_durations_and_reads_percentiles_to_the_bucket() {
        let mut t = Tally::default();
        t.count(true, None);
        t.count(false, Some((RunStatus::Succeeded, 40)));
        t.count(true, Some((RunStatus::Failed, 90)));
        t.count(true, Some((RunStatus::TimedOut, 31_000)));
        assert_eq!((t.started, t.finished(), t.failures()), (3, 3, 2));
        assert_eq!(t.failure_rate(), Some(2.0 / 3.0));
        assert_eq!(t.percentile_ms(0.5), Some(100));
        assert_eq!(t.percentile_ms(0.3), Some(50));
        assert_eq!(t.percentile_ms(0.95), Some(60_000));
        let mut sum = Tally::default();
        sum.add(&t);
        sum.add(&t);
        assert_eq!((sum.started, sum.duration_ms_sum), (6, 2 * 31_130));
        assert_eq!(Tally::default().percentile_ms(0.5), None);
    }
}
