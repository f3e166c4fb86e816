//! JSON values shown to people: fields as a list of name and value, text without quotes.

use leptos::prelude::*;
use serde_json::Value;

/// A value as one line of text.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match record(map) {
            Some(name) => name,
            None => map
                .iter()
                .map(|(k, v)| format!("{}: {}", k.trim_start_matches('$'), text(v)))
                .collect::<Vec<_>>()
                .join("; "),
        },
    }
}

/// A record a step made or changed (`$type` and `$id`), as people name it: "Customer
/// customer_eV1j".
fn record(map: &serde_json::Map<String, Value>) -> Option<String> {
    match (map.get("$type"), map.get("$id")) {
        (Some(Value::String(kind)), Some(Value::String(id))) => Some(format!("{kind} {id}")),
        _ => None,
    }
}

/// An object's fields as a definition list; anything else as one line. A record's `$type` and
/// `$id` read as one line, "Record: Customer customer_eV1j", and no field shows its `$`.
#[component]
pub fn Fields(value: Value) -> impl IntoView {
    match value {
        Value::Object(map) if map.is_empty() => {
            view! { <p class="hint">"No fields"</p> }.into_any()
        }
        Value::Object(map) => {
            let named = record(&map);
            let shown = map
                .iter()
                .filter(|(k, _)| named.is_none() || !matches!(k.as_str(), "$type" | "$id"))
                .map(|(k, v)| view! { <dt>{k.trim_start_matches('$').to_owned()}</dt><dd>{text(v)}</dd> })
                .collect_view();
            view! {
                <dl class="fields">
                    {named.map(|name| view! { <dt>"Record"</dt><dd>{name}</dd> })}
                    {shown}
                </dl>
            }
            .into_any()
        }
        other => view! { <p>{text(&other)}</p> }.into_any(),
    }
}
