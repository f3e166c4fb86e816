//! An `HTTP.request` step's request in the steps editor: method, URL, query parameters,
//! headers, a body (JSON or form fields, or text) and authentication by a secret's name, all
//! picked and filled in the page, each value a mapping expression as in any step.

use crate::components::field::{FieldMessage, SelectField, TextField};
use crate::components::steps_editor::{Choices, Errors, MappingRows, StepLists, message};
use crate::form_ops::Rows;
use leptos::prelude::*;
use std::sync::Arc;
use switchyard_model::definition::Method;
use switchyard_model::workflow::RequestInput;

const BODIES: [(&str, &str); 4] = [
    ("", "No body"),
    ("json", "JSON from the body fields"),
    ("form", "Form fields from the body fields"),
    ("text", "Text"),
];
const AUTHS: [(&str, &str); 4] = [
    ("", "None"),
    ("bearer", "Bearer token (a secret)"),
    ("basic", "Basic: user name and a secret password"),
    ("header", "API key in a header (a secret)"),
];

#[component]
pub fn RequestForm(
    step: usize,
    request: RequestInput,
    errors: Errors,
    values_list: String,
    lists: Arc<StepLists>,
) -> impl IntoView {
    let id = |field: &str| format!("step-{}-request-{field}", step + 1);
    let name = |field: &str| format!("steps[{step}][request][{field}]");
    let error = |field: &str| message(&errors, &format!("steps.{step}.request.{field}"));
    let methods = Method::ALL.map(|m| (m.as_str(), m.as_str())).to_vec();
    let secrets_list = format!("step-{}-secrets", step + 1);
    let secrets: Vec<(String, String)> = lists
        .choices
        .secrets
        .iter()
        .map(|(n, hosts)| (n.clone(), format!("may go to {}", hosts.join(", "))))
        .collect();
    let no_secrets = secrets.is_empty().then(|| {
        view! { <p class="hint">"This organization has no secrets yet: an Admin sets them on Settings, each with the hosts it may be sent to."</p> }
    });
    view! {
        <fieldset class="request">
            <legend>"Request"</legend>
            <FieldMessage id=format!("step-{}-mapping", step + 1) message=message(&errors, &format!("steps.{step}.mapping")) />
            <div class="grid two">
                <SelectField id=id("method") name=name("method") label="Method" value=request.method.clone()
                    options=methods error=error("method") />
                <TextField id=id("url") name=name("url") label="URL" value=request.url.clone()
                    placeholder="\"https://crm.example/customers\""
                    hint="Text in quotes, joined with + to values: \"https://crm.example/customers/\" + deal.id. A secret reads secret.NAME."
                    error=error("url") list=Some(values_list.clone()) />
            </div>
            <MappingRows step rows=request.query.clone() errors=errors.clone() kind=Rows::Query marked=None
                fields_list=String::new() values_list=values_list.clone() lists=lists.clone() />
            <MappingRows step rows=request.headers.clone() errors=errors.clone() kind=Rows::Headers marked=None
                fields_list=String::new() values_list=values_list.clone() lists=lists.clone() />
            <SelectField id=id("body-kind") name=name("body_kind") label="Body" value=request.body_kind.clone()
                options=BODIES.to_vec() error=error("bodyKind")
                hint="JSON and form bodies are built from the body fields; a text body from the body text." />
            <MappingRows step rows=request.body.clone() errors=errors.clone() kind=Rows::Body marked=None
                fields_list=String::new() values_list=values_list.clone() lists=lists.clone() />
            <TextField id=id("body-text") name=name("body_text") label="Body text (for a text body)" value=request.body_text.clone()
                placeholder="\"Deal won: \" + deal.name" error=error("bodyText") list=Some(values_list) />
            <fieldset class="auth">
                <legend>"Authentication"</legend>
                <SelectField id=id("auth-kind") name=name("auth_kind") label="Authentication" value=request.auth_kind.clone()
                    options=AUTHS.to_vec() error=error("authKind") />
                <div class="grid two">
                    <TextField id=id("auth-secret") name=name("auth_secret") label="Secret" value=request.auth_secret.clone()
                        placeholder="CRM_TOKEN" hint="The secret's name; its value is never shown."
                        error=error("authSecret") list=Some(secrets_list.clone()) />
                    <TextField id=id("auth-user") name=name("auth_user") label="User name (Basic)" value=request.auth_user.clone()
                        error=error("authUser") />
                    <TextField id=id("auth-header") name=name("auth_header") label="Header name (API key)" value=request.auth_header.clone()
                        placeholder="X-Api-Key" error=error("authHeader") />
                </div>
                <Choices id=secrets_list options=secrets />
                {no_secrets}
            </fieldset>
            <div class="grid two">
                <TextField id=id("success") name=name("success") label="Counts as success" value=request.success.clone()
                    placeholder="2xx" hint="2xx, or statuses like 200, 404. Other answers fail the step with what the server said."
                    error=error("success") />
                <TextField id=id("timeout") name=name("timeout") label="Time limit" value=request.timeout.clone()
                    placeholder="30 s" hint="From 1 s to 2 min; 30 s when empty."
                    error=error("timeout") />
            </div>
            <p class="hint">
                "Every attempt carries the header Idempotency-Key: the run and step, the same on every retry. "
                "Should Switchyard stop between the call and recording its answer, the call is made again with the same key (at least once)."
            </p>
        </fieldset>
    }
}
