//! A workflow's health over a range: runs, failure rate and durations per period, each version
//! saved meanwhile marked where it falls, the version it fails since, and its failure groups.

use super::dashboard::{Group, Point, VersionMark};
use crate::stats::Range;
use serde::{Deserialize, Serialize};

/// A workflow's charts over a range: runs, failure rate and durations per period, the versions
/// saved meanwhile, the version it fails since, and its failure groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowCharts {
    pub range: Range,
    pub threshold: f64,
    pub time_zone: String,
    pub points: Vec<Point>,
    pub marks: Vec<VersionMark>,
    pub since: Option<VersionMark>,
    pub groups: Vec<Group>,
}
