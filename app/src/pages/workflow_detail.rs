//! `/o/{org}/workflows/{id}`: every field, status, version, counters, recent events, and the
//! verbs the status allows as buttons. Destructive verbs ask first.

use crate::components::format::{MaybeWhen, StatusBadge, When, rate};
use crate::components::layout::org_param;
use crate::components::sample::SampleFields;
use crate::server_fns::workflows::{
    ApplyVerb, PreviewTrigger, TriggerWorkflow, WorkflowView, dry_run_workflow, get_workflow,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use switchyard_model::Verb;
use switchyard_model::definition::RetryPolicy;

fn asks_first(verb: Verb) -> bool {
    matches!(verb, Verb::Delete | Verb::Archive)
}

fn consequence(verb: Verb) -> &'static str {
    match verb {
        Verb::Delete => "The workflow leaves every list. Its runs and events are kept.",
        Verb::Archive => {
            "An archived workflow is read-only for ever: it can no longer be edited, activated or triggered."
        }
        _ => "",
    }
}

#[component]
pub fn WorkflowDetail() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let range = Memo::new(move |_| query.read().get("range").unwrap_or_default());
    let apply = ServerAction::<ApplyVerb>::new();
    let data = Resource::new(
        move || (org.get(), id.get()),
        |(org, id)| get_workflow(org, id),
    );
    let refused = move || {
        apply
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                // Read here, tracked: the confirmation comes and goes with the address.
                let confirm = query.read().get("confirm").and_then(|v| v.parse::<Verb>().ok());
                Suspend::new(async move {
                match data.await {
                    Ok(view) => {
                        view! {
                            <Overview view=view.clone() />
                            {move || refused().map(|m| view! { <p class="error refused" role="alert" id="verb-error">{m}</p> })}
                            <Verbs view=view.clone() apply=apply confirm=confirm />
                            <crate::pages::workflow_charts::WorkflowChartsSection org id range />
                            <Details view=view />
                        }
                            .into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn Overview(view: WorkflowView) -> impl IntoView {
    let w = view.overview.workflow;
    view! {
        <Title text=w.name.clone() />
        <p class="crumbs"><a href=format!("/o/{}/workflows", view.member.org.slug)>"← Workflows"</a></p>
        <div class="page-head">
            <h1>{w.name.clone()}</h1>
            <StatusBadge status=w.status />
            <a class="version" href=format!("/o/{}/workflows/{}/versions", view.member.org.slug, w.id)>{format!("Version {}", w.version)}</a>
        </div>
        {(!w.description.is_empty()).then(|| view! { <p class="description">{w.description.clone()}</p> })}
        <dl class="counters">
            <div><dt>"Runs"</dt><dd>{w.run_count}</dd></div>
            <div><dt>"Succeeded"</dt><dd>{w.success_count}</dd></div>
            <div><dt>"Failed"</dt><dd>{w.failure_count}</dd></div>
            <div><dt>"Success rate"</dt><dd>{rate(w.success_rate())}</dd></div>
            <div><dt>"Last run"</dt><dd><MaybeWhen at=w.last_run_at /></dd></div>
        </dl>
    }
}

#[component]
fn Verbs(
    view: WorkflowView,
    apply: ServerAction<ApplyVerb>,
    confirm: Option<Verb>,
) -> impl IntoView {
    let w = view.overview.workflow.clone();
    let verbs = view.overview.verbs.clone();
    let org = view.member.org.slug.clone();
    let base = format!("/o/{org}/workflows/{}", w.id);
    if !view.overview.may_edit {
        return view! { <p class="hint">"You can look at this workflow; your role does not allow changes."</p> }.into_any();
    }
    if verbs.is_empty() {
        return view! { <p class="hint">{format!("A workflow that is {} accepts no changes.", w.status)}</p> }.into_any();
    }
    let id = w.id.to_string();
    let name = w.name.clone();
    let confirming = confirm.filter(|v| verbs.contains(v) && asks_first(*v));
    view! {
        <div class="verbs" role="group" aria-label="Actions">
            {verbs.iter().copied().filter(|v| v.is_button() && *v != Verb::Trigger).map(|verb| {
                if asks_first(verb) {
                    view! { <a class="button danger" href=format!("{base}?confirm={verb}")>{verb.label()}</a> }.into_any()
                } else {
                    view! { <VerbForm apply org=org.clone() id=id.clone() verb class="primary" /> }.into_any()
                }
            }).collect_view()}
            {verbs.contains(&Verb::Update).then(|| view! { <a class="button" href=format!("{base}/edit")>"Edit"</a> })}
        </div>
        {verbs.contains(&Verb::Trigger).then(|| view! { <TriggerForm org=org.clone() workflow=w.clone() latest=view.overview.latest_event.clone() /> })}
        {confirming.map(|verb| view! {
            <div class="confirm" role="alertdialog" aria-labelledby="confirm-title">
                <h2 id="confirm-title">{format!("{} “{}”?", verb.label(), name)}</h2>
                <p>{consequence(verb)}</p>
                <VerbForm apply org=org.clone() id=id.clone() verb class="danger" />
                <a href=base.clone()>"Cancel"</a>
            </div>
        })}
    }
    .into_any()
}

/// Runs the workflow by hand with sample data, prefilled from what its steps read; or shows,
/// step by step, what it would do with that data without running anything.
#[component]
fn TriggerForm(
    org: String,
    workflow: switchyard_model::Workflow,
    latest: Option<serde_json::Value>,
) -> impl IntoView {
    let trigger = ServerAction::<TriggerWorkflow>::new();
    // The preview button posts there; its error comes back to it.
    let preview = ServerAction::<PreviewTrigger>::new();
    let query = use_query_map();
    let asked = query.read_untracked().get("sample");
    let (data, origin) =
        switchyard_model::sample::starting(&workflow.trigger_event, latest.as_ref(), || {
            workflow.sample_data()
        });
    let sample = asked
        .clone()
        .unwrap_or_else(|| serde_json::to_string_pretty(&data).unwrap_or_default());
    let error = move || {
        [trigger.value(), preview.value()]
            .into_iter()
            .find_map(|value| value.get().and_then(|r| r.err()))
            // The preview names the sample `sample`, the trigger `payload`: one sample form here.
            .map(|e| {
                e.field("payload")
                    .or_else(|| e.field("sample"))
                    .unwrap_or_else(|| e.to_string())
            })
    };
    let (dry_org, dry_id) = (org.clone(), workflow.id.to_string());
    let dry = Resource::new(
        move || query.read().get("sample"),
        move |sample| {
            let (org, id) = (dry_org.clone(), dry_id.clone());
            async move {
                match sample {
                    Some(sample) => Some(dry_run_workflow(org, id, sample).await),
                    None => None,
                }
            }
        },
    );
    view! {
        <details class="trigger" open=asked.is_some()>
            <summary>"Trigger by hand"</summary>
            <ActionForm action=trigger>
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="id" value=workflow.id.to_string() />
                <p class="hint">"The run gets these fields as the event's data. " {origin}</p>
                <SampleFields name="payload_field" title=format!("Sample {} data", workflow.trigger_event) data=sample error=None />
                {move || error().map(|m| view! { <p class="field-error" id="payload-error" role="alert">{m}</p> })}
                <button type="submit" class="primary">"Trigger now"</button>
                " "
                <button type="submit" formaction=PreviewTrigger::PATH>"Preview with sample data"</button>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match dry.await {
                        Some(Ok(dry)) => view! { <DryRunView dry /> }.into_any(),
                        Some(Err(e)) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        None => ().into_any(),
                    }
                })}
            </Suspense>
        </details>
    }
}

/// A dry run: each step with its condition's result and its fields' values, or its error.
#[component]
pub fn DryRunView(dry: switchyard_model::preview::DryRun) -> impl IntoView {
    let fails = dry
        .steps
        .iter()
        .filter(|s| matches!(s.effect, switchyard_model::preview::Effect::Fails { .. }))
        .count();
    let summary = match fails {
        0 => "With this data every step would work. Nothing was run or saved.".to_owned(),
        1 => "With this data one step would fail. Nothing was run or saved.".to_owned(),
        n => format!("With this data {n} steps would fail. Nothing was run or saved."),
    };
    view! {
        <section id="preview" class="dry-run" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview with sample data"</h2>
            <p role="status">{summary}</p>
            <ol class="preview">
                {dry.steps.into_iter().map(|s| view! { <crate::pages::runs::PreviewStep step=s dry=true /> }).collect_view()}
            </ol>
        </section>
    }
}

/// One verb's button: a form posting to `apply_verb`, so it works without JavaScript.
#[component]
fn VerbForm(
    apply: ServerAction<ApplyVerb>,
    org: String,
    id: String,
    verb: Verb,
    class: &'static str,
) -> impl IntoView {
    view! {
        <ActionForm action=apply attr:class="inline">
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="verb" value=verb.as_str() />
            <button type="submit" class=class>{verb.label()}</button>
        </ActionForm>
    }
}

#[component]
fn Details(view: WorkflowView) -> impl IntoView {
    let WorkflowView { member, overview } = view;
    let w = overview.workflow;
    let steps = w.steps.0.clone();
    view! {
        <section>
            <h2>"Trigger"</h2>
            <p>"Runs when " <code>{w.trigger_event.clone()}</code> " happens."</p>
            <h2>"Steps"</h2>
            {if steps.is_empty() {
                view! { <p class="empty">"No steps yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="step-summary">
                        {steps.into_iter().map(|s| view! {
                            <li>
                                <strong>{match &s.name { Some(name) => format!("{name} ({})", s.action), None => s.action.clone() }}</strong>
                                {s.condition.clone().map(|c| view! { <span class="condition">" only when " <code>{c.0}</code></span> })}
                                <ul>
                                    {s.mapping.0.into_iter().map(|(field, expr)| view! { <li><span class="field-name">{field}</span> " ← " <code>{expr}</code></li> }).collect_view()}
                                </ul>
                                {s.fallback.map(|f| view! { <p class="fallback">"If it fails: " <code>{f.action}</code></p> })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <h2>"Settings"</h2>
            <dl class="settings">
                <dt>"If a step fails"</dt><dd>{w.error_handling.label()}</dd>
                <dt>"Time limit"</dt><dd>{w.timeout_ms.map(|t| format!("{t} ms")).unwrap_or_else(|| "None".into())}</dd>
                <dt>"Retries"</dt><dd>{RetryPolicy::describe(w.retry_policy.as_ref())}</dd>
                <dt>"Created"</dt><dd><When at=w.created_at /></dd>
                <dt>"Updated"</dt><dd><When at=w.updated_at /></dd>
            </dl>
            <h2>"Recent runs"</h2>
            {if overview.runs.is_empty() {
                view! { <p class="empty">"No runs yet."</p> }.into_any()
            } else {
                view! { <crate::pages::runs::RunTable org=member.org.slug.clone() runs=overview.runs.clone() /> }.into_any()
            }}
            <p><a href=format!("/o/{}/workflows/{}/runs", member.org.slug, w.id)>"All runs"</a></p>
            <h2>"Recent activity"</h2>
            {overview.activity.is_empty().then(|| view! { <p class="empty">"Nothing yet."</p> })}
            <ul class="events">
                {overview.activity.into_iter().map(|a| {
                    let words = match &a.run {
                        Some(run) => view! { <a href=format!("/o/{}/runs/{run}", member.org.slug)>{a.words.clone()}</a> }.into_any(),
                        None => view! { {a.words.clone()} }.into_any(),
                    };
                    view! {
                        <li>{words} {a.by.map(|by| format!(" by {by}"))} " · " <When at=a.at /></li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
