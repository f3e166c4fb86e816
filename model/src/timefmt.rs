//! Dates as people read them on the charts, in the organization's time zone: "Nov 27" for a
//! day, "Nov 27, 14:00" for an hour. The zone's clock is read by PostgreSQL, which knows every
//! zone; these only print.

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A period's label from its start as the zone's clock reads it (`YYYY-MM-DD HH:MM`).
pub fn period_label(local: &str, hourly: bool) -> String {
    let parsed = PrimitiveDateTime::parse(
        local,
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
    );
    let Ok(t) = parsed else {
        return local.to_owned();
    };
    let format = if hourly {
        format_description!("[month repr:short] [day padding:none], [hour]:[minute]")
    } else {
        format_description!("[month repr:short] [day padding:none]")
    };
    t.format(format).unwrap_or_else(|_| local.to_owned())
}

/// A moment as the zone's clock read it `offset_seconds` ahead of UTC: "Nov 27, 14:03".
pub fn moment(at: OffsetDateTime, offset_seconds: i32) -> String {
    let offset = UtcOffset::from_whole_seconds(offset_seconds).unwrap_or(UtcOffset::UTC);
    at.to_offset(offset)
        .format(format_description!(
            "[month repr:short] [day padding:none], [hour]:[minute]"
        ))
        .unwrap_or_default()
}

/// A moment as the REST API and the MCP tools write it: RFC 3339, in UTC.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How long something took, as the run pages and the charts show it: "250 ms", "2.5 s",
/// "2 s", "5 min", "12.5 min" (one decimal at most, none when it is zero).
pub fn duration_ms(ms: i64) -> String {
    let one_decimal = |v: f64| {
        let text = format!("{v:.1}");
        text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
    };
    match ms {
        ms if ms < 1_000 => format!("{ms} ms"),
        ms if ms < 60_000 => format!("{} s", one_decimal(ms as f64 / 1000.0)),
        ms => format!("{} min", one_decimal(ms as f64 / 60_000.0)),
    }
}

/// A wait in words, rounded up to what a person can act on: "1 second", "40 seconds",
/// "3 minutes".
pub fn duration_words(wait: time::Duration) -> String {
    let seconds = (wait.whole_milliseconds() as i64 + 999)
        .div_euclid(1000)
        .max(1);
    let (n, unit) = if seconds < 60 {
        (seconds, "second")
    } else {
        ((seconds + 59) / 60, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_duration_reads_in_the_unit_that_suits_it() {
        assert_eq!(duration_ms(250), "250 ms");
        assert_eq!(duration_ms(2_500), "2.5 s");
        assert_eq!(duration_ms(2_000), "2 s");
        assert_eq!(duration_ms(2_049), "2 s");
        assert_eq!(duration_ms(300_000), "5 min");
        assert_eq!(duration_ms(750_000), "12.5 min");
    }

    #[test]
    fn a_wait_is_said_in_whole_seconds_or_minutes_rounded_up() {
        use time::Duration;
        assert_eq!(duration_words(Duration::milliseconds(10)), "1 second");
        assert_eq!(duration_words(Duration::milliseconds(1_500)), "2 seconds");
        assert_eq!(duration_words(Duration::seconds(59)), "59 seconds");
        assert_eq!(duration_words(Duration::seconds(61)), "2 minutes");
        assert_eq!(duration_words(Duration::minutes(15)), "15 minutes");
    }

    #[test]
    fn labels_read_like_dates() {
        assert_eq!(period_label("2026-11-07 14:00", true), "Nov 7, 14:00");
        assert_eq!(period_label("2026-11-27 00:00", false), "Nov 27");
        assert_eq!(period_label("garbage", false), "garbage");
        assert_eq!(
            moment(datetime!(2026-11-27 23:30 UTC), 3600),
            "Nov 28, 00:30"
        );
    }
}
