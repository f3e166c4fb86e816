//! Who is emailed about which alerts of an organization: the failure rate above the
//! threshold, a new failure group, a webhook endpoint disabled. Without a rule of their own,
//! the organization's Admins are, at most once an hour per workflow (or endpoint). A member may
//! turn off the alert emails of an organization.

use crate::id::UserId;
use serde::{Deserialize, Serialize};

/// The shortest and longest quiet time between two emails of one alert about one workflow.
pub const QUIET_MIN: i32 = 5;
pub const QUIET_MAX: i32 = 7 * 24 * 60;
pub const QUIET_DEFAULT: i32 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AlertKind {
    FailureRate,
    FailureGroup,
    EndpointDisabled,
}

impl AlertKind {
    pub const ALL: [AlertKind; 3] = [
        Self::FailureRate,
        Self::FailureGroup,
        Self::EndpointDisabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailureRate => "FailureRate",
            Self::FailureGroup => "FailureGroup",
            Self::EndpointDisabled => "EndpointDisabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The event that raises it.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::FailureRate => "workflow.high_failure_rate",
            Self::FailureGroup => "FailureGroup.opened",
            Self::EndpointDisabled => "Endpoint.disabled",
        }
    }

    pub fn of_event(event_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.event_type() == event_type)
    }

    /// How the settings page names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::FailureRate => "A workflow fails more than the threshold",
            Self::FailureGroup => "A new kind of failure (a new failure group)",
            Self::EndpointDisabled => "A webhook endpoint is disabled",
        }
    }
}

/// One kind of alert: who is emailed and how often at most.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRule {
    pub kind: AlertKind,
    pub email_to: Vec<UserId>,
    pub quiet_minutes: i32,
    /// Not chosen yet: the Admins, hourly.
    pub default: bool,
}

/// A member as the alert settings list them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub user: UserId,
    pub name: String,
    pub email: String,
    /// They turned this organization's alert emails off.
    pub opted_out: bool,
}

/// The organization's alert settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSettings {
    pub rules: Vec<AlertRule>,
    pub members: Vec<Recipient>,
}
