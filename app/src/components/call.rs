//! An HTTP step on the run page: the request as sent and the answer, in a sentence each first
//! (secrets read `••••(NAME)`), then their parts, and the raw JSON on demand.

use crate::components::value::Fields;
use leptos::prelude::*;
use serde_json::Value;
use switchyard_model::call_words::{answer_words, request_words};

fn raw(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn with_fields(value: &Value) -> bool {
    value.as_object().is_some_and(|m| !m.is_empty())
}

/// The request a step sent (`shown`) and the answer it got, if any.
#[component]
pub fn CallView(shown: Value, answer: Option<Value>) -> impl IntoView {
    let url = shown["url"].as_str().unwrap_or_default().to_owned();
    let method = shown["method"].as_str().unwrap_or_default().to_owned();
    let headers = shown["headers"].clone();
    let query = shown["query"].clone();
    let body = match (&shown["body"], &shown["form"]) {
        (Value::Null, Value::Null) => None,
        (Value::Null, form) => Some(form.clone()),
        (body, _) => Some(body.clone()),
    };
    let answer = answer.filter(|a| a.get("status").is_some());
    view! {
        <h4>"Request"</h4>
        <p>{request_words(&shown)}</p>
        <dl class="fields">
            <dt>"Method"</dt><dd>{method}</dd>
            <dt>"URL"</dt><dd class="wrap">{url}</dd>
        </dl>
        {with_fields(&query).then(|| view! { <h5>"Query"</h5> <Fields value=query.clone() /> })}
        <h5>"Headers"</h5>
        <Fields value=headers />
        {body.map(|b| view! { <h5>"Body"</h5> <Fields value=b /> })}
        <details class="advanced">
            <summary>"Request as JSON"</summary>
            <pre class="raw">{raw(&shown)}</pre>
        </details>
        {answer.map(|a| {
            let words = answer_words(&a);
            let headers = a["headers"].clone();
            let body = a["body"].clone();
            view! {
                <h4>"Answer"</h4>
                <p>{words}</p>
                <h5>"Body"</h5>
                <Fields value=body />
                <details class="advanced">
                    <summary>"Answer headers and JSON"</summary>
                    <Fields value=headers />
                    <pre class="raw">{raw(&a)}</pre>
                </details>
            }
        })}
    }
}
