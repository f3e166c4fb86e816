//! A member's role in an organization, and what each role may do.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Members, API keys and everything an Editor does.
    Admin,
    /// Creates and edits workflows and applies their verbs.
    Editor,
    /// Reads only.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Editor => "Editor",
            Role::Viewer => "Viewer",
        }
    }

    /// Whether this role may manage members and API keys.
    pub fn may_administer(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// Whether this role may create, edit and apply verbs to workflows.
    pub fn may_edit(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }
}

impl FromStr for Role {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Role::Admin, Role::Editor, Role::Viewer]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::status::UnknownName {
                kind: "role",
                value: s.to_owned(),
            })
    }
}
