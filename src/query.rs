//! What a list of workflows asks for (filters, sort, page) and what it gets back.

use crate::status::Status;
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
        Sort::ALL
            .into_iter()
            .find(|sort| sort.as_str() == s)
            .ok_or_else(|| crate::status::UnknownName {
                kind: "sort",
                value: s.to_owned(),
            })
    }
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
    /// The page size, clamped to 1..=100.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(LIMIT_DEFAULT).clamp(1, LIMIT_MAX)
    }

    /// The offset the cursor stands for; a cursor we did not make starts from the top.
    pub fn offset(&self) -> i64 {
        self.cursor
            .as_deref()
            .and_then(|c| c.strip_prefix("o"))
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .unwrap_or(0)
    }

    pub fn cursor_for(offset: i64) -> String {
        format!("o{offset}")
    }
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub results: Vec<T>,
    pub total: i64,
    pub has_more: bool,
    /// Where the next page starts, when there is one.
    pub cursor: Option<String>,
    /// Where this page started (0 for the first).
    pub offset: i64,
}
