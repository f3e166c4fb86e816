//! An organization's secrets as people set and see them: a name (`CRM_TOKEN`), a value nobody
//! reads back, and the hosts the value may be sent to. Admins set them; a step uses one by
//! name, and only towards a host the secret lists.

use crate::workflow::FieldError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The longest name, value and host list a secret may have.
pub const NAME_MAX: usize = crate::definition::SECRET_NAME_MAX;
pub const VALUE_MAX: usize = 8 * 1024;
pub const HOSTS_MAX: usize = 20;

/// A secret as an Admin types it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInput {
    pub name: String,
    pub value: String,
    /// Host names, separated by commas, spaces or lines.
    pub hosts: String,
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretInput")
            .field("name", &self.name)
            .field("value", &"••••")
            .field("hosts", &self.hosts)
            .finish()
    }
}

/// A secret ready to store: its name, value and hosts, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub name: String,
    pub value: String,
    pub hosts: Vec<String>,
}

impl std::fmt::Debug for Secret {
    // The value never reaches a log line, even through a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("name", &self.name)
            .field("value", &"••••")
            .field("hosts", &self.hosts)
            .finish()
    }
}

pub use crate::definition::is_secret_name as is_name;

fn is_host(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

impl SecretInput {
    /// Checks every field; all the problems are named, each by its field.
    pub fn validate(&self) -> Result<Secret, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if !is_name(name) {
            errors.push(FieldError::new(
                "name",
                format!(
                    "A secret's name is capitals, digits and _, starting with a capital, at most {NAME_MAX} characters, like CRM_TOKEN"
                ),
            ));
        }
        if self.value.is_empty() {
            errors.push(FieldError::new("value", "Give the secret's value"));
        } else if self.value.len() > VALUE_MAX {
            errors.push(FieldError::new(
                "value",
                format!("A secret's value is at most {VALUE_MAX} bytes"),
            ));
        }
        let hosts: Vec<String> = self
            .hosts
            .split([',', ' ', '\n', '\r', '\t'])
            .filter(|h| !h.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if hosts.is_empty() {
            errors.push(FieldError::new(
                "hosts",
                "Name the hosts this secret may be sent to, like crm.example.com",
            ));
        } else if hosts.len() > HOSTS_MAX {
            errors.push(FieldError::new(
                "hosts",
                format!("At most {HOSTS_MAX} hosts"),
            ));
        } else if let Some(bad) = hosts.iter().find(|h| !is_host(h)) {
            errors.push(FieldError::new(
                "hosts",
                format!("“{bad}” is not a host name like crm.example.com (no https://, no path)"),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut unique: Vec<String> = Vec::new();
        for host in hosts {
            if !unique.contains(&host) {
                unique.push(host);
            }
        }
        Ok(Secret {
            name: name.to_owned(),
            value: self.value.clone(),
            hosts: unique,
        })
    }
}

/// A secret as it is listed: never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSummary {
    pub name: String,
    pub hosts: Vec<String>,
    /// Who set it last, by name.
    pub set_by: String,
    pub set_at: OffsetDateTime,
    /// The workflows whose steps use it, by id and name.
    #[serde(default)]
    pub used_by: Vec<(crate::id::WorkflowId, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_named_in_capitals_and_lists_the_hosts_it_may_go_to() {
        let good = SecretInput {
            name: "CRM_TOKEN".into(),
            value: "s3cr3t".into(),
            hosts: "crm.example.com, API.crm.example.com\nother.example".into(),
        };
        let secret = good.validate().expect("valid");
        assert_eq!(
            secret.hosts,
            ["crm.example.com", "api.crm.example.com", "other.example"]
        );
        assert!(!format!("{secret:?}").contains("s3cr3t"));
        let bad = SecretInput {
            name: "crm token".into(),
            value: String::new(),
            hosts: "https://crm.example.com/x".into(),
        };
        let fields: Vec<String> = bad
            .validate()
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "value", "hosts"]);
        for name in ["A", "CRM_TOKEN_2", "X9"] {
            assert!(is_name(name), "{name}");
        }
        for name in ["", "crm", "_X", "9X", "CRM-TOKEN"] {
            assert!(!is_name(name), "{name}");
        }
    }
}
