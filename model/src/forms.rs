//! What the small forms of the account and settings pages send, as the domain reads them.

use crate::entity::Scope;
use serde::{Deserialize, Serialize};

/// A change of one's own password: the current one, and the new one twice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub new_password_again: String,
}

/// The API key form's scope checkboxes: a checked box is sent (`Some`), an unchecked one is
/// not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeChoice {
    #[serde(default)]
    pub events_write: Option<String>,
    #[serde(default)]
    pub read: Option<String>,
    #[serde(default)]
    pub write: Option<String>,
    #[serde(default)]
    pub admin: Option<String>,
}

impl ScopeChoice {
    /// The checked scopes' names, in the form's order.
    pub fn names(&self) -> Vec<String> {
        [
            (Scope::EventsWrite, &self.events_write),
            (Scope::Read, &self.read),
            (Scope::Write, &self.write),
            (Scope::Admin, &self.admin),
        ]
        .into_iter()
        .filter(|(_, checked)| checked.is_some())
        .map(|(scope, _)| scope.as_str().to_owned())
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_checked_boxes_are_scopes() {
        let choice = ScopeChoice {
            read: Some("on".into()),
            admin: Some("on".into()),
            ..Default::default()
        };
        assert_eq!(choice.names(), ["read", "admin"]);
        assert!(ScopeChoice::default().names().is_empty());
    }
}
