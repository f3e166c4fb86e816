//! `/o/{org}/workflows/{id}/runs` (a workflow's run history) and `/o/{org}/runs/{id}` (one run
//! step by step).

use crate::api::runs::get_run;
use crate::components::format::time;
use crate::components::layout::org_param;
use crate::components::value::Fields;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;
use switchyard::entity::RunSummary;
use switchyard::run::{RunStatus, StepStatus};

fn duration(run: &RunSummary) -> String {
    match run.duration_ms() {
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
        None => "—".to_owned(),
    }
}

/// A coloured run status.
#[component]
pub fn RunBadge(status: RunStatus) -> impl IntoView {
    let class = format!("badge run-{}", status.as_str().to_lowercase());
    view! { <span class=class>{status.label()}</span> }
}

/// A coloured step status.
#[component]
fn StepBadge(status: StepStatus) -> impl IntoView {
    let class = format!("badge run-{}", status.as_str().to_lowercase());
    view! { <span class=class>{status.as_str()}</span> }
}

/// Runs as a table: status, (workflow,) start, duration, event, failed step.
#[component]
pub fn RunTable(
    org: String,
    runs: Vec<RunSummary>,
    #[prop(optional)] with_workflow: bool,
) -> impl IntoView {
    view! {
        <table class="workflows runs">
            <thead><tr>
                <th scope="col">"Status"</th>
                {with_workflow.then(|| view! { <th scope="col">"Workflow"</th> })}
                <th scope="col">"Started"</th><th scope="col" class="num">"Duration"</th>
                <th scope="col">"Trigger event"</th><th scope="col">"Failed step"</th>
            </tr></thead>
            <tbody>
                {runs.into_iter().map(|r| view! {
                    <tr>
                        <td><a href=format!("/o/{org}/runs/{}", r.id)><RunBadge status=r.status /></a></td>
                        {with_workflow.then(|| view! { <td><a href=format!("/o/{org}/workflows/{}", r.workflow)>{r.workflow_name.clone()}{format!(" (v{})", r.workflow_version)}</a></td> })}
                        <td>{r.started_at.map(time).unwrap_or_else(|| format!("Queued {}", time(r.queued_at)))}</td>
                        <td class="num">{duration(&r)}</td>
                        <td><code>{r.event_type.clone()}</code></td>
                        <td>{r.failed_step.map(|s| format!("Step {}", s + 1)).unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn RunPage() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let run = Resource::new(move || (org.get(), id.get()), |(org, id)| get_run(org, id));
    view! {
        <Suspense fallback=|| view! { <p>"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                let org = org.get_untracked();
                match run.await {
                    Ok(detail) => {
                        let r = detail.run;
                        // A run in flight: the page reloads itself until it ends, with or
                        // without JavaScript.
                        let in_flight = r.status.is_in_flight();
                        view! {
                            <Title text=format!("Run of {}", r.workflow_name) />
                            {in_flight.then(|| view! { <Meta http_equiv="refresh" content="3" /> })}
                            <p class="crumbs">
                                <a href=format!("/o/{org}/workflows/{}", r.workflow)>"← " {r.workflow_name.clone()}</a>
                                " · " <a href=format!("/o/{org}/workflows/{}/runs", r.workflow)>"Run history"</a>
                            </p>
                            <div class="page-head">
                                <h1>{format!("Run of {}", r.workflow_name)}</h1>
                                <RunBadge status=r.status />
                                <span class="version">{format!("Version {}", r.workflow_version)}</span>
                            </div>
                            {in_flight.then(|| view! { <p class="hint">"Still running: this page refreshes every few seconds until the run ends."</p> })}
                            {r.error.clone().map(|e| view! { <p class="problem" role="alert">{e}</p> })}
                            {r.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                            <dl class="settings">
                                <dt>"Queued"</dt><dd>{time(r.queued_at)}</dd>
                                <dt>"Started"</dt><dd>{r.started_at.map(time).unwrap_or_else(|| "Not yet".into())}</dd>
                                <dt>"Duration"</dt><dd>{duration(&r)}</dd>
                            </dl>
                            <h2>"What started it"</h2>
                            <p><code>{r.event_type.clone()}</code></p>
                            <Fields value=detail.event_data />
                            <h2>"Steps"</h2>
                            <ol class="timeline">
                                {detail.steps.into_iter().map(|s| view! {
                                    <li class=format!("step-{}", s.status.as_str().to_lowercase())>
                                        <div class="step-head">
                                            <h3>{format!("{}. {}", s.index + 1, s.label)}</h3>
                                            <StepBadge status=s.status />
                                        </div>
                                        <p class="hint">
                                            <code>{s.action.clone()}</code>
                                            {(s.attempts > 1).then(|| format!(" · {} attempts", s.attempts))}
                                            {s.finished_at.map(|t| format!(" · {}", time(t)))}
                                        </p>
                                        {s.error.clone().map(|e| view! { <p class="field-error">{e}</p> })}
                                        {s.input.clone().map(|v| view! { <h4>"Sent"</h4> <Fields value=v /> })}
                                        {s.output.clone().map(|v| view! { <h4>"Result"</h4> <Fields value=v /> })}
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}
