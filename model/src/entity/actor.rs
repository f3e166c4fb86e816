//! Who acts in an organization, and what each may do: a signed-in member by their role, or
//! another system by its API key's scopes (`access` asks these).

use super::{Member, Organization};
use crate::id::UserId;
use serde::{Deserialize, Serialize};

/// Who acts on a workflow: a signed-in member, or another system holding an API key.
pub trait Actor: Sync {
    fn org(&self) -> &Organization;
    /// May read the organization's workflows, runs and events (keys that only send events
    /// may not).
    fn may_read(&self) -> bool;
    /// May change workflows (members whose role only reads may not).
    fn may_edit(&self) -> bool;
    /// May send events into the organization.
    fn may_send_events(&self) -> bool;
    /// May read what Admins keep to themselves: sign-in records, invitations, keys' events
    /// (Admins, keys with the `admin` scope).
    fn may_administer(&self) -> bool;
    /// Who the events of the act name: a user id or an API key id.
    fn reference(&self) -> String;
    /// The signed-in user acting, if it is one (what a workflow's `createdBy` names).
    fn user(&self) -> Option<&UserId>;
}

impl Actor for Member {
    fn org(&self) -> &Organization {
        &self.org
    }

    fn may_read(&self) -> bool {
        true
    }

    fn may_edit(&self) -> bool {
        self.role.may_edit()
    }

    fn may_send_events(&self) -> bool {
        self.role.may_edit()
    }

    fn may_administer(&self) -> bool {
        self.role.may_administer()
    }

    fn reference(&self) -> String {
        self.user_id.to_string()
    }

    fn user(&self) -> Option<&UserId> {
        Some(&self.user_id)
    }
}

/// What an API key may do, chosen when it is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Send events, and nothing else.
    EventsWrite,
    /// Read workflows, runs and events.
    Read,
    /// Everything an Editor may do: read, change workflows, apply verbs, retry, send events.
    Write,
    /// Read what Admins keep to themselves: sign-in records, invitations and keys' events.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::EventsWrite, Scope::Read, Scope::Write, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EventsWrite => "events:write",
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    /// What it allows, in the settings page's words.
    pub fn label(self) -> &'static str {
        match self {
            Scope::EventsWrite => "Send events",
            Scope::Read => "Read workflows, runs and events",
            Scope::Write => "Change workflows and runs (everything an Editor may do)",
            Scope::Admin => "Read sign-in records, invitations and API keys' events (the audit)",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::status::find_name("scope", &Self::ALL, Self::as_str, s)
    }
}

/// An API key of one organization, as the REST API authenticated it, with what it may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyHolder {
    pub org: Organization,
    pub key: crate::id::ApiKeyId,
    pub scopes: Vec<Scope>,
}

impl KeyHolder {
    fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

impl Actor for KeyHolder {
    fn org(&self) -> &Organization {
        &self.org
    }

    fn may_read(&self) -> bool {
        self.has(Scope::Read) || self.has(Scope::Write) || self.has(Scope::Admin)
    }

    fn may_edit(&self) -> bool {
        self.has(Scope::Write)
    }

    fn may_send_events(&self) -> bool {
        self.has(Scope::EventsWrite) || self.has(Scope::Write)
    }

    fn may_administer(&self) -> bool {
        self.has(Scope::Admin)
    }

    fn reference(&self) -> String {
        self.key.to_string()
    }

    fn user(&self) -> Option<&UserId> {
        None
    }
}

/// Whoever calls the REST API or the MCP server: an API key, or a member signed in to the
/// app's pages (its session cookie).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Caller {
    Key(KeyHolder),
    Member(Member),
}

impl Caller {
    fn actor(&self) -> &dyn Actor {
        match self {
            Caller::Key(key) => key,
            Caller::Member(member) => member,
        }
    }
}

impl Actor for Caller {
    fn org(&self) -> &Organization {
        self.actor().org()
    }

    fn may_read(&self) -> bool {
        self.actor().may_read()
    }

    fn may_edit(&self) -> bool {
        self.actor().may_edit()
    }

    fn may_send_events(&self) -> bool {
        self.actor().may_send_events()
    }

    fn may_administer(&self) -> bool {
        self.actor().may_administer()
    }

    fn reference(&self) -> String {
        self.actor().reference()
    }

    fn user(&self) -> Option<&UserId> {
        self.actor().user()
    }
}
