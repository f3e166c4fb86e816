//! A workflow's definition as typed values: its steps (action, mapping, condition, fallback),
//! its retry policy and its error handling. Parsed once when a workflow is saved; the engine,
//! the run page, the form and the workflow page all read these types, never the JSON text.
//! Compiles for wasm too.

mod request;
pub mod retry;
mod step;

pub use request::{
    Auth, Body, HTTP_ACTION, Method, Request, SECRET_NAME_MAX, SECRET_ROOT, Success,
    TIMEOUT_DEFAULT_MS, TIMEOUT_MAX_MS, is_secret_name, secret_names,
};
pub use retry::{Backoff, RetryPolicy};
pub use step::{Condition, Fallback, Mapping, Step, Steps};

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What happens when a step fails after its retries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorHandling {
    /// The run ends Failed; the steps after the failed one are skipped.
    #[default]
    Stop,
    /// The failed step stays Failed, the next steps still run, the run ends Failed.
    Continue,
    /// The step's fallback runs in its place.
    Fallback,
}

impl ErrorHandling {
    pub const ALL: [ErrorHandling; 3] = [
        ErrorHandling::Stop,
        ErrorHandling::Continue,
        ErrorHandling::Fallback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorHandling::Stop => "Stop",
            ErrorHandling::Continue => "Continue",
            ErrorHandling::Fallback => "Fallback",
        }
    }

    /// What it does, in the form's words.
    pub fn label(self) -> &'static str {
        match self {
            ErrorHandling::Stop => "Stop the run",
            ErrorHandling::Continue => "Go on with the next step",
            ErrorHandling::Fallback => "Run the step's fallback",
        }
    }
}

impl FromStr for ErrorHandling {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::status::find_name("error handling", &Self::ALL, Self::as_str, s)
    }
}

/// Reads a value given either as JSON or as JSON inside a string (the REST API's `retryPolicy`).
pub(crate) fn from_json_value<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<T, serde_json::Error> {
    match value {
        serde_json::Value::String(text) => serde_json::from_str(text),
        value => serde_json::from_value(value.clone()),
    }
}

/// Reads a value stored either as JSON or as JSON inside a string (how the first version
/// snapshots kept steps and retry policies).
pub(crate) fn from_json_or_text<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => serde_json::from_str(&text).map_err(D::Error::custom),
        value => serde_json::from_value(value).map_err(D::Error::custom),
    }
}
