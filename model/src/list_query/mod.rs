//! What a list asks for (filters, sort, page) and what it gets back. Every list's address
//! (a page's query string, a REST query, a server function's arguments) becomes one of these
//! query types by one parse here, which lists every bad value by its field.

mod runs;
mod versions;

pub use runs::RunQuery;
pub use versions::{VersionPair, VersionsPage};

use crate::error::{DomainError, DomainResult};
use crate::status::Status;
use crate::workflow::FieldError;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

pub const LIMIT_DEFAULT: i64 = 25;
pub const LIMIT_MAX: i64 = 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    /// Newest first.
    #[default]
    Created,
    Name,
    /// Most recently run first; never-run last.
    LastRun,
    /// Highest failure rate first.
    FailureRate,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Created, Sort::Name, Sort::LastRun, Sort::FailureRate];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Created => "created",
            Sort::Name => "name",
            Sort::LastRun => "lastRun",
            Sort::FailureRate => "failureRate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Created => "Newest",
            Sort::Name => "Name",
            Sort::LastRun => "Last run",
            Sort::FailureRate => "Failure rate",
        }
    }
}

impl FromStr for Sort {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::status::find_name("sort", &Sort::ALL, Sort::as_str, s)
    }
}

/// Collects a query's bad values, each next to its field.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn parse<T: FromStr>(&mut self, field: &str, value: &str, what: &str) -> Option<T> {
        match value.trim() {
            "" => None,
            v => v.parse().map_or_else(
                |_| {
                    self.0
                        .push(FieldError::new(field, format!("“{v}” is not {what}")));
                    None
                },
                Some,
            ),
        }
    }

    fn done<T>(self, query: T) -> DomainResult<T> {
        if self.0.is_empty() {
            Ok(query)
        } else {
            Err(DomainError::Validation(self.0))
        }
    }
}

/// The non-empty value of `key` among `pairs`, trimmed.
fn value<'a>(pairs: &[(&'a str, &'a str)], keys: &[&str]) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| keys.contains(k) && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// A workflow list's address as the list page has it (`?status=&trigger=&q=&sort=&cursor=`),
/// every value as typed; `WorkflowQuery::from_filters` reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowFilters {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub trigger: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub cursor: String,
}

/// Filters, sort and page of a workflow list. Built by the caller, checked by `normalized`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowQuery {
    pub status: Option<Status>,
    pub trigger_event: Option<String>,
    pub text: Option<String>,
    pub sort: Sort,
    pub limit: Option<i64>,
    /// Opaque position returned by the previous page.
    pub cursor: Option<String>,
}

impl WorkflowQuery {
    /// Reads the list page's filters, as `parse` reads an address.
    pub fn from_filters(f: &WorkflowFilters) -> DomainResult<Self> {
        Self::parse(&[
            ("status", &f.status),
            ("trigger", &f.trigger),
            ("q", &f.q),
            ("sort", &f.sort),
            ("cursor", &f.cursor),
        ])
    }

    /// Reads a workflow list's address: `status`, `trigger` (or `triggerEvent`), `q`, `sort`,
    /// `limit`, `cursor`. Empty values are absent; every bad one is listed by its field.
    pub fn parse(pairs: &[(&str, &str)]) -> DomainResult<Self> {
        let mut problems = Problems::default();
        let status = problems.parse(
            "status",
            value(pairs, &["status"]).unwrap_or(""),
            "a status",
        );
        let sort = problems
            .parse(
                "sort",
                value(pairs, &["sort"]).unwrap_or(""),
                "a way to sort",
            )
            .unwrap_or_default();
        let limit = problems.parse::<i64>(
            "limit",
            value(pairs, &["limit"]).unwrap_or(""),
            "a number of results",
        );
        if limit.is_some_and(|l| !(1..=LIMIT_MAX).contains(&l)) {
            problems.0.push(FieldError::new(
                "limit",
                format!("limit must be from 1 to {LIMIT_MAX}"),
            ));
        }
        problems.done(WorkflowQuery {
            status,
            trigger_event: value(pairs, &["trigger", "triggerEvent"]).map(str::to_owned),
            text: value(pairs, &["q"]).map(str::to_owned),
            sort,
            limit,
            cursor: value(pairs, &["cursor"]).map(str::to_owned),
        })
    }

    /// The page size, clamped to 1..=100.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(LIMIT_DEFAULT).clamp(1, LIMIT_MAX)
    }

    /// Where the cursor says the page starts; a cursor we did not make, or made for another
    /// sort, starts from the top.
    pub fn position(&self) -> Option<Position> {
        let body = decode_cursor(self.cursor.as_deref()?)?;
        if body["s"].as_str()? != self.sort.as_str() {
            return None;
        }
        Some(Position {
            key: body["k"].as_str()?.to_owned(),
            id: body["id"].as_str()?.to_owned(),
            offset: body["o"].as_i64().filter(|o| *o >= 0)?,
            back: body["b"].as_bool()?,
        })
    }

    /// The cursor of a page that starts after the row with sort key `key` and id `id` (or,
    /// `back`, that ends before it), with `offset` rows before it.
    pub fn cursor_at(&self, key: &str, id: &str, offset: i64, back: bool) -> String {
        encode_cursor(&serde_json::json!({
            "s": self.sort.as_str(),
            "k": key,
            "id": id,
            "o": offset,
            "b": back,
        }))
    }
}

/// An opaque cursor, safe in an address: `body` as JSON in unpadded base64url.
pub(crate) fn encode_cursor(body: &serde_json::Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.to_string())
}

/// The JSON a cursor of ours holds; `None` for text we did not make.
pub(crate) fn decode_cursor(text: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Where a page of the workflow list starts: just after the row with this sort key and id in
/// the list's order, or, going back, just before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The row's sort key as PostgreSQL writes it out.
    pub key: String,
    pub id: String,
    /// How many rows come before the page ("26–50 of 1,004").
    pub offset: i64,
    pub back: bool,
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub results: Vec<T>,
    pub total: i64,
    pub has_more: bool,
    /// Where the next page starts, when there is one.
    pub cursor: Option<String>,
    /// Where the previous page starts, when there is one.
    pub previous: Option<String>,
    /// Where this page started (0 for the first).
    pub offset: i64,
}

impl<T> Page<T> {
    /// The same page with each result made into another thing.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            results: self.results.into_iter().map(f).collect(),
            total: self.total,
            has_more: self.has_more,
            cursor: self.cursor,
            previous: self.previous,
            offset: self.offset,
        }
    }
}

/// Filters and page of the event log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    pub event_type: Option<String>,
    /// Also Switchyard's own events (what its verbs and hooks recorded: a workflow activated, a
    /// run retried, a member signed in), which the people's pages leave out unless asked.
    pub system: bool,
    /// The position to continue before, for the next (older) page.
    pub before: Option<i64>,
}

impl EventQuery {
    /// Reads the event log's address: `type` (or `event_type`), `before`, `system` (`1`).
    pub fn parse(pairs: &[(&str, &str)]) -> DomainResult<Self> {
        let mut problems = Problems::default();
        let before = value(pairs, &["before"]).and_then(|b| {
            b.parse::<i64>().ok().or_else(|| {
                problems.0.push(FieldError::new(
                    "before",
                    "This page address is damaged: go back to the newest events",
                ));
                None
            })
        });
        problems.done(EventQuery {
            event_type: value(pairs, &["type", "event_type"]).map(str::to_owned),
            before,
            system: value(pairs, &["system"]).is_some_and(|v| v != "0"),
        })
    }
}

/// The filters of the REST event feed: `since` (a time), `type` and `limit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFeedQuery {
    pub since: Option<time::OffsetDateTime>,
    pub event_type: Option<String>,
    pub limit: i64,
    /// Where the previous page ended: its last event's transaction and position.
    pub after: Option<FeedPosition>,
}

/// A place in the event feed: the recording transaction's id and the event's position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPosition {
    pub xid: u64,
    pub seq: i64,
}

impl FeedPosition {
    /// The opaque cursor a client sends back.
    pub fn cursor(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}.{}", self.xid, self.seq))
    }

    fn read(cursor: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (xid, seq) = text.split_once('.')?;
        Some(FeedPosition {
            xid: xid.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl EventFeedQuery {
    pub fn parse(pairs: &[(&str, &str)]) -> DomainResult<Self> {
        let mut problems = Problems::default();
        let since = value(pairs, &["since"]).and_then(|s| {
            let rfc3339 = &time::format_description::well_known::Rfc3339;
            time::OffsetDateTime::parse(s, rfc3339).ok().or_else(|| {
                problems.0.push(FieldError::new(
                    "since",
                    "since must be a date and time like 2026-11-27T10:00:00Z",
                ));
                None
            })
        });
        let limit = problems
            .parse::<i64>("limit", value(pairs, &["limit"]).unwrap_or(""), "a number")
            .unwrap_or(LIMIT_DEFAULT);
        if !(1..=LIMIT_MAX).contains(&limit) {
            problems.0.push(FieldError::new(
                "limit",
                format!("limit must be from 1 to {LIMIT_MAX}"),
            ));
        }
        let after = value(pairs, &["cursor"]).and_then(|c| {
            FeedPosition::read(c).or_else(|| {
                problems.0.push(FieldError::new(
                    "cursor",
                    "cursor must be the `cursor` of an earlier page of events",
                ));
                None
            })
        });
        problems.done(EventFeedQuery {
            since,
            event_type: value(pairs, &["type"]).map(str::to_owned),
            limit,
            after,
        })
    }
}

/// Flat string pairs from a filter object (`{"status": "Failed"}`), for the run and event
/// filters, which take one value per field.
pub fn flat_pairs(filter: &serde_json::Value, field: &str) -> DomainResult<Vec<(String, String)>> {
    match filter {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
                serde_json::Value::Number(n) => Ok((k.clone(), n.to_string())),
                _ => Err(DomainError::field(
                    &format!("{field}.{k}"),
                    "a run or event filter takes one text or number per field",
                )),
            })
            .collect(),
        _ => Err(DomainError::field(field, "`filter` must be an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RunStatus;

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_list_address_reads_into_a_query_and_empty_values_are_absent() {
        let q = WorkflowQuery::parse(&[
            ("status", "Paused"),
            ("trigger", " Deal.won "),
            ("q", ""),
            ("sort", "name"),
            ("cursor", "not a cursor"),
            ("other", "ignored"),
        ])
        .expect("query");
        assert_eq!(q.status, Some(Status::Paused));
        assert_eq!(q.trigger_event.as_deref(), Some("Deal.won"));
        assert_eq!(q.text, None);
        assert_eq!(q.sort, Sort::Name);
        assert_eq!(
            q.position(),
            None,
            "a cursor we did not make starts from the top"
        );
    }

    #[test]
    fn a_cursor_reads_back_for_its_own_sort_only() {
        let by_name = WorkflowQuery {
            sort: Sort::Name,
            ..WorkflowQuery::default()
        };
        let cursor = by_name.cursor_at("acme onboarding", "wf_1", 25, true);
        let read = WorkflowQuery {
            cursor: Some(cursor.clone()),
            ..by_name.clone()
        };
        assert_eq!(
            read.position(),
            Some(Position {
                key: "acme onboarding".into(),
                id: "wf_1".into(),
                offset: 25,
                back: true,
            })
        );
        let other_sort = WorkflowQuery {
            sort: Sort::Created,
            cursor: Some(cursor),
            ..WorkflowQuery::default()
        };
        assert_eq!(other_sort.position(), None);
    }

    #[test]
    fn a_run_list_keeps_its_good_filters_and_reads_numbers_as_the_table_shows_them() {
        let (query, problems) = RunQuery::parse_kept(&[
            ("status", "Broken"),
            ("step", "Step 2"),
            ("version", "v3"),
            ("error", "urgent"),
            ("group", "zz"),
        ]);
        assert_eq!(query.status, None);
        assert_eq!((query.step, query.version), (Some(2), Some(3)));
        assert_eq!(query.error.as_deref(), Some("urgent"));
        assert_eq!(query.group, None);
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["status", "group"]);
        assert_eq!(problems[0].message, "“Broken” is not a run status");
        let (query, problems) = RunQuery::parse_kept(&[("step", "0"), ("version", "Version 2")]);
        assert_eq!((query.step, query.version), (None, Some(2)));
        assert_eq!(problems[0].message, "Steps are numbered from 1 to 50");
    }

    #[test]
    fn every_bad_value_is_named_by_its_field() {
        let err =
            WorkflowQuery::parse(&[("status", "Running"), ("sort", "random"), ("limit", "0")])
                .expect_err("bad");
        assert_eq!(fields(err), ["status", "sort", "limit"]);
        let err = RunQuery::parse(&[("status", "Paused"), ("before", "run_x")]).expect_err("bad");
        assert_eq!(fields(err), ["status", "before"]);
        let err = EventQuery::parse(&[("before", "yesterday")]).expect_err("bad");
        assert_eq!(fields(err), ["before"]);
        assert_eq!(
            RunQuery::parse(&[("status", "TimedOut")])
                .expect("ok")
                .status,
            Some(RunStatus::TimedOut)
        );
    }
}
