//! The workflow status, its verbs and the one transition table that knows every legal move:
//! the verbs' moves and the moves a workflow's runs make (a run starts; the last run in flight
//! ends).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a workflow is in its life (the spec's state machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Draft,
    /// Legacy twin of `Activated`: listens for events and accepts the same verbs.
    Active,
    Activated,
    Paused,
    /// Transient: a run is in flight.
    Triggered,
    Archived,
}

/// The verbs that act on an existing workflow (`create` has no status to start from).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    /// Makes a new workflow in Draft; it has no status to start from.
    Create,
    Update,
    Delete,
    Activate,
    Pause,
    Trigger,
    Archive,
}

/// What moves a workflow: a verb, or one of its runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    Verb(Verb),
    /// A run of the workflow starts.
    RunStarted,
    /// A run ends and no other run of the workflow is in flight.
    LastRunEnded,
}

/// What a verb does to the status when it is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The status stays as it is (update, delete).
    Unchanged,
    /// The status becomes this one.
    To(Status),
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Active,
        Status::Activated,
        Status::Paused,
        Status::Triggered,
        Status::Archived,
    ];

    /// The transition table of PRODUCT.md, with the run-driven rows: `None` when `cause`
    /// has no row from `self` (a verb is then refused; a run leaves the status as it is).
    pub fn transition(self, cause: Cause) -> Option<Outcome> {
        use Status::*;
        use Verb::*;
        match (cause, self) {
            (Cause::Verb(Update), Draft | Active | Activated | Paused) => Some(Outcome::Unchanged),
            (Cause::Verb(Delete), Draft | Paused | Archived) => Some(Outcome::Unchanged),
            (Cause::Verb(Activate), Draft | Paused | Active) => Some(Outcome::To(Activated)),
            (Cause::Verb(Pause), Active | Activated | Triggered) => Some(Outcome::To(Paused)),
            (Cause::Verb(Trigger), Active | Activated) => Some(Outcome::To(Triggered)),
            (Cause::Verb(Archive), Draft | Paused) => Some(Outcome::To(Archived)),
            (Cause::RunStarted, Active | Activated) => Some(Outcome::To(Triggered)),
            (Cause::LastRunEnded, Triggered) => Some(Outcome::To(Activated)),
            _ => None,
        }
    }

    /// The verb's row of the table: `None` when `verb` is not allowed from `self` (always for
    /// `create`, which starts a new workflow in Draft).
    pub fn apply(self, verb: Verb) -> Option<Outcome> {
        self.transition(Cause::Verb(verb))
    }

    /// The status after a run's move: a row of the table, or the same status when it has none
    /// (a paused workflow stays paused while its last run ends).
    pub fn after_run(self, cause: Cause) -> Status {
        match self.transition(cause) {
            Some(Outcome::To(status)) => status,
            Some(Outcome::Unchanged) | None => self,
        }
    }

    /// The status after applying `verb`, if it is allowed.
    pub fn next(self, verb: Verb) -> Option<Status> {
        self.apply(verb).map(|outcome| match outcome {
            Outcome::Unchanged => self,
            Outcome::To(status) => status,
        })
    }

    /// Every verb allowed from this status, in the table's order.
    pub fn allowed_verbs(self) -> Vec<Verb> {
        Verb::ALL
            .into_iter()
            .filter(|verb| self.apply(*verb).is_some())
            .collect()
    }

    /// Whether a workflow in this status runs when its trigger event arrives.
    pub fn listens(self) -> bool {
        matches!(self, Status::Active | Status::Activated | Status::Triggered)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Active => "Active",
            Status::Activated => "Activated",
            Status::Paused => "Paused",
            Status::Triggered => "Triggered",
            Status::Archived => "Archived",
        }
    }
}

impl Verb {
    pub const ALL: [Verb; 7] = [
        Verb::Create,
        Verb::Update,
        Verb::Delete,
        Verb::Activate,
        Verb::Pause,
        Verb::Trigger,
        Verb::Archive,
    ];

    /// The verb `name` names when it is posted to a workflow's address of its own (`POST
    /// …/workflows/{id}/activate`): activate, pause, archive or trigger. Create, update and
    /// delete have methods of their own (POST to the list, PUT, DELETE).
    pub fn posted(name: &str) -> Option<Verb> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == name)
            .filter(|v| {
                matches!(
                    v,
                    Verb::Activate | Verb::Pause | Verb::Archive | Verb::Trigger
                )
            })
    }

    /// The verbs that have a button of their own (update is the edit form).
    pub fn is_button(self) -> bool {
        !matches!(self, Verb::Create | Verb::Update)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
            Verb::Activate => "activate",
            Verb::Pause => "pause",
            Verb::Trigger => "trigger",
            Verb::Archive => "archive",
        }
    }

    /// The label on the verb's button.
    pub fn label(self) -> &'static str {
        match self {
            Verb::Create => "Create",
            Verb::Update => "Edit",
            Verb::Delete => "Delete",
            Verb::Activate => "Activate",
            Verb::Pause => "Pause",
            Verb::Trigger => "Trigger",
            Verb::Archive => "Archive",
        }
    }

    /// The past tense used in event types (`Workflow.activated`).
    pub fn past_tense(self) -> &'static str {
        match self {
            Verb::Create => "created",
            Verb::Update => "updated",
            Verb::Delete => "deleted",
            Verb::Activate => "activated",
            Verb::Pause => "paused",
            Verb::Trigger => "triggered",
            Verb::Archive => "archived",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status or verb name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
}

/// The member of `all` whose name is `s`: every closed list's `FromStr` reads through it.
pub(crate) fn find_name<T: Copy>(
    kind: &'static str,
    all: &[T],
    name: fn(T) -> &'static str,
    s: &str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|item| name(*item) == s)
        .ok_or_else(|| UnknownName {
            kind,
            value: s.to_owned(),
        })
}

impl FromStr for Status {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        find_name("status", &Status::ALL, Status::as_str, s)
    }
}

impl FromStr for Verb {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        find_name("verb", &Verb::ALL, Verb::as_str, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;
    use Verb::*;

    /// The table as PRODUCT.md writes it, row by row, to check `apply` against.
    fn expected(status: Status, verb: Verb) -> Option<Status> {
        let rows: [(Verb, &[Status], Option<Status>); 7] = [
            (Create, &[], None),
            (Update, &[Draft, Active, Activated, Paused], None),
            (Delete, &[Draft, Paused, Archived], None),
            (Activate, &[Draft, Paused, Active], Some(Activated)),
            (Pause, &[Active, Activated, Triggered], Some(Paused)),
            (Trigger, &[Active, Activated], Some(Triggered)),
            (Archive, &[Draft, Paused], Some(Archived)),
        ];
        let (_, from, to) = rows.iter().find(|(v, _, _)| *v == verb)?;
        from.contains(&status).then(|| to.unwrap_or(status))
    }

    #[test]
    fn every_status_and_verb_pair_follows_the_table() {
        let mut allowed = 0;
        for status in Status::ALL {
            for verb in Verb::ALL {
                assert_eq!(status.next(verb), expected(status, verb), "{status} {verb}");
                allowed += usize::from(status.next(verb).is_some());
            }
        }
        assert_eq!(allowed, 17, "the table has 17 allowed pairs");
    }

    /// The run-driven rows as PRODUCT.md words them: a run's start moves a listening workflow
    /// to Triggered; the end of its last run in flight moves it back to Activated.
    fn expected_after_run(status: Status, cause: Cause) -> Option<Status> {
        match cause {
            Cause::RunStarted => [Active, Activated].contains(&status).then_some(Triggered),
            Cause::LastRunEnded => (status == Triggered).then_some(Activated),
            Cause::Verb(_) => unreachable!(),
        }
    }

    #[test]
    fn every_status_and_run_move_follows_the_table() {
        let mut moves = 0;
        for status in Status::ALL {
            for cause in [Cause::RunStarted, Cause::LastRunEnded] {
                let expected = expected_after_run(status, cause);
                let row = status.transition(cause).map(|o| match o {
                    Outcome::To(s) => s,
                    Outcome::Unchanged => status,
                });
                assert_eq!(row, expected, "{status} {cause:?}");
                assert_eq!(status.after_run(cause), expected.unwrap_or(status));
                moves += usize::from(expected.is_some());
            }
        }
        assert_eq!(moves, 3, "three run-driven rows");
    }

    #[test]
    fn a_workflow_triggered_by_hand_and_by_a_run_ends_activated() {
        let by_hand = Activated.next(Trigger).expect("trigger");
        let running = by_hand.after_run(Cause::RunStarted);
        assert_eq!(running, Triggered, "a run starting keeps Triggered");
        assert_eq!(running.after_run(Cause::LastRunEnded), Activated);
        assert_eq!(
            Paused.after_run(Cause::LastRunEnded),
            Paused,
            "paused mid-run stays paused"
        );
    }

    #[test]
    fn archived_is_read_only_but_deletable() {
        assert_eq!(Archived.allowed_verbs(), vec![Delete]);
    }

    #[test]
    fn active_accepts_what_activated_accepts_and_more() {
        for verb in Activated.allowed_verbs() {
            assert!(Active.apply(verb).is_some(), "{verb}");
        }
        assert_eq!(Active.next(Activate), Some(Activated));
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
        }
        for verb in Verb::ALL {
            assert_eq!(verb.as_str().parse::<Verb>(), Ok(verb));
        }
        assert!("Running".parse::<Status>().is_err());
        assert!("activated".parse::<Status>().is_err());
        assert!("explode".parse::<Verb>().is_err());
    }

    #[test]
    fn only_listening_statuses_listen() {
        let listening: Vec<_> = Status::ALL.into_iter().filter(|s| s.listens()).collect();
        assert_eq!(listening, vec![Active, Activated, Triggered]);
    }
}
