//! Steps as stored: `{"action", "mapping", "name"?, "condition"?, "fallback"?}`, in the order
//! the spec writes them.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// One step: an action (`Customer.create`), the fields it fills, an optional gate and fallback.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: String,
    #[serde(default)]
    pub mapping: Mapping,
    /// What an `HTTP.request` step sends; none for other actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<super::Request>,
    /// A label for people; the action stands in when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
}

impl Step {
    /// What pages call the step: its label, or its action when it has none.
    pub fn label(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.action)
    }

    /// What the step sends, when it is an `HTTP.request` step.
    pub fn http_request(&self) -> Option<&super::Request> {
        self.request
            .as_ref()
            .filter(|_| self.action == super::HTTP_ACTION)
    }

    /// Every expression of the step: its mapping, its condition, its fallback's mapping.
    pub fn expressions(&self) -> impl Iterator<Item = &str> {
        let fallback = self.fallback.iter().flat_map(|f| f.mapping.expressions());
        let request = self
            .request
            .iter()
            .flat_map(|r| r.secret_expressions().chain(r.body_expressions()));
        self.mapping
            .expressions()
            .chain(request)
            .chain(self.condition.iter().map(|c| c.0.as_str()))
            .chain(fallback)
    }
}

/// The action that runs in place of a failed step (error handling Fallback).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallback {
    pub action: String,
    #[serde(default)]
    pub mapping: Mapping,
}

/// A gate: the step runs only when this expression holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Condition(pub String);

/// The fields a step fills, each with the expression that fills it, in the order they were written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping(pub Vec<(String, String)>);

impl Mapping {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(field, expression)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, e)| (f.as_str(), e.as_str()))
    }

    pub fn expressions(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, e)| e.as_str())
    }

    /// The expression that fills `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.iter().find(|(f, _)| *f == field).map(|(_, e)| e)
    }
}

impl Serialize for Mapping {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, expr) in &self.0 {
            map.serialize_entry(field, expr)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Mapping {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Rows;
        impl<'de> Visitor<'de> for Rows {
            type Value = Mapping;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of field names and expressions")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Mapping, A::Error> {
                let mut rows = Vec::new();
                while let Some((field, expr)) = access.next_entry::<String, String>()? {
                    rows.push((field, expr));
                }
                Ok(Mapping(rows))
            }
        }
        deserializer.deserialize_map(Rows)
    }
}

/// Every step of a workflow, stored as a JSON array in a text column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Steps(pub Vec<Step>);

impl<'de> Deserialize<'de> for Steps {
    /// An array, or (in the first version snapshots) the array's JSON text.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::from_json_or_text(deserializer).map(Steps)
    }
}

impl std::ops::Deref for Steps {
    type Target = [Step];
    fn deref(&self) -> &[Step] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_step_is_stored_in_the_spec_order_and_read_back() {
        let step = Step {
            action: "Customer.create".into(),
            mapping: Mapping(vec![
                ("name".into(), "deal.name".into()),
                ("contact".into(), "deal.contact".into()),
            ]),
            name: Some("Create customer".into()),
            request: None,
            condition: Some(Condition("deal.amount > 1000".into())),
            fallback: Some(Fallback {
                action: "Task.create".into(),
                mapping: Mapping(vec![("subject".into(), "\"Check\"".into())]),
            }),
        };
        let text = serde_json::to_string(&step).expect("json");
        assert_eq!(
            text,
            r#"{"action":"Customer.create","mapping":{"name":"deal.name","contact":"deal.contact"},"name":"Create customer","condition":"deal.amount > 1000","fallback":{"action":"Task.create","mapping":{"subject":"\"Check\""}}}"#
        );
        assert_eq!(serde_json::from_str::<Step>(&text).expect("back"), step);
    }

    #[test]
    fn steps_are_read_from_an_array_or_from_its_text() {
        let array = json!([{"action": "Project.create", "mapping": {"b": "1", "a": "2"}}]);
        let from_array: Steps = serde_json::from_value(array.clone()).expect("array");
        let from_text: Steps = serde_json::from_value(json!(array.to_string())).expect("text");
        assert_eq!(from_array, from_text);
        let order: Vec<&str> = from_array[0].mapping.iter().map(|(f, _)| f).collect();
        assert_eq!(order, ["b", "a"], "rows keep their order");
        assert!(serde_json::from_value::<Steps>(json!([{"mapping": {}}])).is_err());
        assert!(serde_json::from_value::<Steps>(json!("not json")).is_err());
    }
}
