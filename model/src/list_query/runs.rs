//! A run history's filters and page, read from its address (the run lists, REST's run search
//! and bulk retry, MCP's run search).

use super::{Problems, flat_pairs, value};
use crate::error::DomainResult;
use crate::id::{RunId, WorkflowId};
use crate::run::RunStatus;
use crate::stats::Range;
use crate::workflow::FieldError;
use serde::{Deserialize, Serialize};

/// Filters and page of a run history: one workflow's, or the organization's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunQuery {
    pub status: Option<RunStatus>,
    /// Runs queued in the last 24 hours, 7, 30 or 90 days.
    pub range: Option<Range>,
    pub workflow: Option<WorkflowId>,
    /// The step the run failed at, counted from 1.
    pub step: Option<i32>,
    /// Text the run's error contains.
    pub error: Option<String>,
    /// A failure group's key.
    pub group: Option<String>,
    pub version: Option<i32>,
    /// The runs a bulk retry queued.
    pub batch: Option<crate::id::BatchId>,
    /// The run to continue after, for the next (older) page.
    pub before: Option<RunId>,
}

impl RunQuery {
    /// Reads a filter sent as a JSON object (`{"status": "Failed", "step": 2}`), as REST's
    /// bulk retry and MCP's run search send it.
    pub fn from_filter(filter: &serde_json::Value) -> DomainResult<Self> {
        let pairs = flat_pairs(filter, "filter")?;
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Self::parse(&borrowed)
    }

    /// Reads a run history's address: `status`, `range`, `workflow`, `step`, `error`, `group`,
    /// `version`, `before`. Empty values are absent; every bad one is named by its field.
    pub fn parse(pairs: &[(&str, &str)]) -> DomainResult<Self> {
        let (query, problems) = Self::parse_kept(pairs);
        Problems(problems).done(query)
    }

    /// Reads a run history's address as `parse` does, but keeps what is good: a bad value is
    /// left out of the query and named, with why, among the problems. A step or version may be
    /// written as a list shows it ("Step 2", "v2").
    pub fn parse_kept(pairs: &[(&str, &str)]) -> (Self, Vec<FieldError>) {
        let mut problems = Problems::default();
        let get = |key: &str| value(pairs, &[key]).unwrap_or("");
        let status = problems.parse("status", get("status"), "a run status");
        let range = problems.parse("range", get("range"), "a range (24h, 7d, 30d or 90d)");
        let workflow = problems.parse("workflow", get("workflow"), "a workflow");
        let step = problems
            .parse::<i32>("step", as_numbered(get("step"), "step"), "a step number")
            .filter(|s| {
                let fits = (1..=crate::workflow::STEPS_MAX as i32).contains(s);
                if !fits {
                    problems.0.push(FieldError::new(
                        "step",
                        format!(
                            "Steps are numbered from 1 to {}",
                            crate::workflow::STEPS_MAX
                        ),
                    ));
                }
                fits
            });
        let version = problems.parse::<i32>(
            "version",
            as_numbered(as_numbered(get("version"), "version"), "v"),
            "a version number",
        );
        let batch = problems.parse("batch", get("batch"), "a batch of retries");
        let group = value(pairs, &["group"]).map(str::to_owned).filter(|g| {
            let fits = g.len() <= 64 && g.chars().all(|c| c.is_ascii_hexdigit());
            if !fits {
                problems.0.push(FieldError::new(
                    "group",
                    "This failure group's address is damaged: open it from the dashboard again",
                ));
            }
            fits
        });
        let error = value(pairs, &["error"]).map(|e| e.chars().take(200).collect::<String>());
        let before = value(pairs, &["before"]).and_then(|b| {
            RunId::parse(b).or_else(|| {
                problems.0.push(FieldError::new(
                    "before",
                    "This page address is damaged: go back to the newest runs",
                ));
                None
            })
        });
        let query = RunQuery {
            status,
            range,
            workflow,
            step,
            error,
            group,
            version,
            batch,
            before,
        };
        (query, problems.0)
    }

    /// The query as an address's pairs, without the page (`before`), for links and the form.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut put = |key: &'static str, value: Option<String>| {
            if let Some(v) = value {
                out.push((key, v));
            }
        };
        put("status", self.status.map(|s| s.as_str().to_owned()));
        put("range", self.range.map(|r| r.as_str().to_owned()));
        put("workflow", self.workflow.as_ref().map(ToString::to_string));
        put("step", self.step.map(|s| s.to_string()));
        put("error", self.error.clone());
        put("group", self.group.clone());
        put("version", self.version.map(|v| v.to_string()));
        put("batch", self.batch.as_ref().map(ToString::to_string));
        out
    }
}

/// `value` without a leading `word` ("Step 2" is "2", "v3" is "3"), as a list shows a number.
fn as_numbered<'a>(value: &'a str, word: &str) -> &'a str {
    let v = value.trim();
    match v.get(..word.len()) {
        Some(head) if head.eq_ignore_ascii_case(word) => v[word.len()..].trim(),
        _ => v,
    }
}
