//! Dates as people read them, in the organization's time zone: "Nov 27" for a day, "Nov 27,
//! 14:00" for an hour or a moment. The charts' periods are cut by PostgreSQL in the zone and
//! only printed here; a moment is read in the zone by that day's rules (`Moment`, `moment`).

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

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

/// An organization's time zone with the time now: what moments are read in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Local {
    pub zone: String,
    pub now: OffsetDateTime,
}

impl Local {
    pub fn new(zone: &str, now: OffsetDateTime) -> Local {
        Local {
            zone: zone.to_owned(),
            now,
        }
    }
}

/// A moment as the pages show it, in `local`'s zone by that day's rules: "Nov 27, 14:03".
pub fn moment(at: OffsetDateTime, local: &Local) -> String {
    Moment::new(at, &local.zone, local.now).short
}

/// A moment as the pages show it in the organization's time zone `zone` (an IANA name; UTC
/// when unknown): `short` for the page, "Dec 7, 14:24" ("Dec 7 2025, 14:24" outside the year
/// of `now`), and `exact` for the hover, "Monday, December 7, 2026, 14:24:05 Europe/Paris
/// (UTC+01:00)".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moment {
    pub short: String,
    pub exact: String,
    /// RFC 3339 in UTC, for `<time datetime>`.
    pub machine: String,
}

impl Moment {
    pub fn new(at: OffsetDateTime, zone: &str, now: OffsetDateTime) -> Moment {
        let machine = rfc3339(at);
        let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let Ok(ts) = jiff::Timestamp::from_second(at.unix_timestamp()) else {
            return Moment {
                short: machine.clone(),
                exact: machine.clone(),
                machine,
            };
        };
        let local = ts.to_zoned_datetime(tz.clone());
        let this_year = jiff::Timestamp::from_second(now.unix_timestamp())
            .map(|n| n.to_zoned_datetime(tz).year() == local.year())
            .unwrap_or(true);
        let short = if this_year {
            local.strftime("%b %-d, %H:%M")
        } else {
            local.strftime("%b %-d %Y, %H:%M")
        };
        let name = local.time_zone().iana_name().unwrap_or("UTC");
        let exact = format!(
            "{} {name} (UTC{})",
            local.strftime("%A, %B %-d, %Y, %H:%M:%S"),
            local.strftime("%:z")
        );
        Moment {
            short: short.to_string(),
            exact,
            machine,
        }
    }
}

/// A moment as the REST API and the MCP tools write it: RFC 3339, in UTC.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How long something took, as the run pages and the charts show it, in seconds and minutes:
/// "0.25 s", "under 0.01 s", "2.5 s", "2 s", "5 min", "12.5 min" (one decimal at most from a
/// second up, none when it is zero).
pub fn duration_ms(ms: i64) -> String {
    let one_decimal = |v: f64| {
        let text = format!("{v:.1}");
        text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
    };
    match ms {
        ms if ms <= 0 => "0 s".to_owned(),
        ms if ms < 10 => "under 0.01 s".to_owned(),
        ms if ms < 1_000 => {
            let text = format!("{:.2}", ms as f64 / 1000.0);
            format!("{} s", text.trim_end_matches('0'))
        }
        ms if ms < 60_000 => format!("{} s", one_decimal(ms as f64 / 1000.0)),
        ms => format!("{} min", one_decimal(ms as f64 / 60_000.0)),
    }
}

/// A length of time as a person types it into a form, in milliseconds: "30 s", "1.5 s", "2 min",
/// "500 ms", "30 seconds"; a number alone counts milliseconds (as the REST API sends them).
/// `None` for anything else, or a length that is not a whole number of milliseconds.
pub fn parse_length_ms(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.len() > 32 {
        return None;
    }
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hour" | "hours" => 3_600_000.0,
        _ => return None,
    };
    if number.is_empty() || number.starts_with('.') || number.matches('.').count() > 1 {
        return None;
    }
    let ms = number.parse::<f64>().ok()? * scale;
    (ms.is_finite() && ms.fract().abs() < 1e-6 && ms <= i64::MAX as f64).then_some(ms as i64)
}

/// A length of time as the form shows it again, so that `parse_length_ms` reads it back the
/// same: "2 min", "30 s", "1.5 s", "0.25 s".
pub fn length_text(ms: i64) -> String {
    if ms != 0 && ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else if ms % 1_000 == 0 {
        format!("{} s", ms / 1_000)
    } else {
        let text = format!("{:.3}", ms as f64 / 1000.0);
        format!("{} s", text.trim_end_matches('0'))
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
    fn a_moment_reads_in_the_zone_by_its_rules_on_that_day() {
        let now = datetime!(2026-12-07 12:00 UTC);
        let winter = Moment::new(datetime!(2026-12-07 14:24:05 UTC), "Europe/Paris", now);
        assert_eq!(winter.short, "Dec 7, 15:24");
        assert_eq!(
            winter.exact,
            "Monday, December 7, 2026, 15:24:05 Europe/Paris (UTC+01:00)"
        );
        assert_eq!(winter.machine, "2026-12-07T14:24:05Z");
        // Summer time, and another year.
        let summer = Moment::new(datetime!(2025-07-01 10:00 UTC), "Europe/Paris", now);
        assert_eq!(summer.short, "Jul 1 2025, 12:00");
        assert!(summer.exact.ends_with("(UTC+02:00)"), "{}", summer.exact);
        // A zone nobody knows reads as UTC, and says so.
        let unknown = Moment::new(datetime!(2026-12-07 14:24:05 UTC), "Mars/Olympus", now);
        assert_eq!(unknown.short, "Dec 7, 14:24");
        assert!(
            unknown.exact.contains("UTC (UTC+00:00)"),
            "{}",
            unknown.exact
        );
    }

    #[test]
    fn a_length_of_time_reads_back_as_it_was_written() {
        assert_eq!(parse_length_ms("30 s"), Some(30_000));
        assert_eq!(parse_length_ms("1.5s"), Some(1_500));
        assert_eq!(parse_length_ms("2 min"), Some(120_000));
        assert_eq!(parse_length_ms("2 Minutes"), Some(120_000));
        assert_eq!(parse_length_ms("500 ms"), Some(500));
        assert_eq!(parse_length_ms("30000"), Some(30_000));
        for bad in [
            "",
            "soon",
            "1.2.3 s",
            "-5 s",
            ".5 s",
            "1.0005 s",
            "3 fortnights",
            "9e99",
        ] {
            assert_eq!(parse_length_ms(bad), None, "{bad}");
        }
        for ms in [120_000, 30_000, 1_500, 250, 1, 0, 90_500] {
            assert_eq!(parse_length_ms(&length_text(ms)), Some(ms), "{ms}");
        }
        assert_eq!(length_text(120_000), "2 min");
        assert_eq!(length_text(90_000), "90 s");
        assert_eq!(length_text(1_500), "1.5 s");
    }

    #[test]
    fn a_duration_reads_in_the_unit_that_suits_it() {
        assert_eq!(duration_ms(250), "0.25 s");
        assert_eq!(duration_ms(200), "0.2 s");
        assert_eq!(duration_ms(12), "0.01 s");
        assert_eq!(duration_ms(3), "under 0.01 s");
        assert_eq!(duration_ms(0), "0 s");
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
        let paris = Local::new("Europe/Paris", datetime!(2026-12-07 12:00 UTC));
        assert_eq!(
            moment(datetime!(2026-11-27 23:30 UTC), &paris),
            "Nov 28, 00:30"
        );
        // A moment of the summer read in winter keeps its summer offset.
        assert_eq!(
            moment(datetime!(2026-07-01 10:00 UTC), &paris),
            "Jul 1, 12:00"
        );
    }
}
