//! What a run would do, as previews answer it without running or writing anything: each
//! step's effect on the business's records, in a word and in a sentence. The engine works them
//! out (`engine::preview`); a retry's preview and the dry run of a workflow show them.

use serde::{Deserialize, Serialize};

/// What one step does to the business's records, as a preview foretells it and as a run's
/// records show it afterwards. In JSON: `{"kind": "Creates", "noun": "Customer"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Effect {
    /// Not run: the result of the run it repeats is reused.
    Reused,
    /// Makes a new Thing of this type.
    Creates { noun: String },
    /// Changes an existing Thing of this type.
    Changes { noun: String },
    /// Records an event of this type.
    Records { event_type: String },
    /// Calls out to this host (an HTTP step): a preview sends nothing.
    Calls { host: String },
    /// Its condition does not hold.
    Skipped,
    /// It fails; `stops` when the run ends there.
    Fails { stops: bool },
    /// It fails and its fallback runs in its place.
    Recovered,
    /// An earlier step stops the run first.
    NotReached,
}

impl Effect {
    /// Whether the step would touch the business's records (create, change or record).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Effect::Creates { .. }
                | Effect::Changes { .. }
                | Effect::Records { .. }
                | Effect::Calls { .. }
                | Effect::Recovered
        )
    }
}

/// One step of a preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepPreview {
    pub index: i32,
    pub label: String,
    pub action: String,
    pub effect: Effect,
    /// The effect in a sentence for people.
    pub words: String,
    /// The condition's result, when the step has one and it could be worked out.
    pub condition: Option<bool>,
    /// The fields the step would fill, with their values, in the mapping's order.
    pub fields: Vec<(String, serde_json::Value)>,
}

/// What each step of a workflow would do with sample data, worked out without running or
/// writing anything.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRun {
    /// The sample data as it was read.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub sample: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub steps: Vec<StepPreview>,
}
