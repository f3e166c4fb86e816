//! `/api/docs`: the OpenAPI document as a page a person reads, rendered on the server from the
//! same document as `/api/openapi.json`, with nothing fetched from elsewhere (it works offline
//! and without JavaScript).

use axum::response::Html;
use serde_json::Value;
use std::fmt::Write;
use utoipa::openapi::OpenApi;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Inline code in descriptions (`…`) as `<code>`, the rest escaped.
fn prose(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

/// A schema's name when it refers to a component, else its type in words.
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_name(items));
    }
    if let Some(variants) = schema["oneOf"].as_array() {
        return variants
            .iter()
            .map(schema_name)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    match &schema["type"] {
        Value::String(t) => escape(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any JSON".to_owned(),
    }
}

fn body_schema(content: &Value) -> Option<String> {
    content["content"]
        .as_object()?
        .values()
        .next()
        .map(|media| schema_name(&media["schema"]))
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let anchor = format!("{method}-{path}")
        .replace(['/', '{', '}', '~', '$'], "-")
        .to_lowercase();
    let _ = write!(
        out,
        "<section class=\"operation\" id=\"{anchor}\"><h3><span class=\"method\">{}</span> <code>{}</code></h3>",
        method.to_uppercase(),
        escape(path)
    );
    if let Some(summary) = op["summary"].as_str() {
        let _ = write!(out, "<p>{}</p>", prose(summary));
    }
    if let Some(description) = op["description"].as_str() {
        let _ = write!(out, "<p class=\"hint\">{}</p>", prose(description));
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("<table><caption>Parameters</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">In</th><th scope=\"col\">Required</th><th scope=\"col\">Type</th><th scope=\"col\">Description</th></tr></thead><tbody>");
        for p in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(p["name"].as_str().unwrap_or_default()),
                escape(p["in"].as_str().unwrap_or_default()),
                if p["required"] == true { "yes" } else { "no" },
                schema_name(&p["schema"]),
                prose(p["description"].as_str().unwrap_or_default()),
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(body) = body_schema(&op["requestBody"]) {
        let _ = write!(out, "<p>Body: {body}</p>");
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str("<table><caption>Answers</caption><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Meaning</th><th scope=\"col\">Body</th></tr></thead><tbody>");
        for (status, response) in responses {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(status),
                prose(response["description"].as_str().unwrap_or_default()),
                body_schema(response).unwrap_or_else(|| "none".into()),
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

fn schema(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        out,
        "<section class=\"schema\" id=\"schema-{name}\"><h3>{name}</h3>"
    );
    if let Some(description) = schema["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", prose(description));
    }
    let mut properties: Vec<(String, Value)> = Vec::new();
    let mut collect = |s: &Value| {
        if let Some(map) = s["properties"].as_object() {
            properties.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    };
    collect(schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        collect(part);
    }
    if !properties.is_empty() {
        out.push_str("<table><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Type</th><th scope=\"col\">Description</th></tr></thead><tbody>");
        for (field, property) in properties {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&field),
                schema_name(&property),
                prose(property["description"].as_str().unwrap_or_default()),
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// The page.
pub fn page(doc: &OpenApi, stylesheet: &str) -> Html<String> {
    let doc = serde_json::to_value(doc).unwrap_or_default();
    let title = escape(doc["info"]["title"].as_str().unwrap_or("REST API"));
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"{stylesheet}\"></head><body><main class=\"api-docs\"><h1>{title}</h1>"
    );
    if let Some(description) = doc["info"]["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", prose(description));
    }
    out.push_str("<p>The same document as JSON, for programs and code generators: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI ");
    out.push_str(&escape(doc["openapi"].as_str().unwrap_or_default()));
    out.push_str(").</p><h2>Operations</h2>");
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "delete"] {
                if let Some(op) = item.get(method) {
                    operation(&mut out, method, path, op);
                }
            }
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, s) in schemas {
            schema(&mut out, name, s);
        }
    }
    out.push_str("</main></body></html>");
    Html(out)
}
