//! Run histories you can search: a workflow's (`/o/{org}/workflows/{id}/runs`) and the
//! organization's (`/o/{org}/runs`), filtered by status, time, workflow, failing step, error
//! text, failure group and version. Every filter is in the address, so a link can be shared and
//! the back button works; pages follow each other by position, not by number.

use crate::api::runs::{RunFilters, list_runs, workflow_runs};
use crate::components::layout::org_param;
use crate::pages::runs::RunTable;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use switchyard::entity::{RunSummary, WorkflowRef};
use switchyard::id::RunId;
use switchyard::run::RunStatus;
use switchyard::view::dashboard::Range;

/// The filters the address names.
fn filters() -> Memo<RunFilters> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        let get = |key: &str| q.get(key).unwrap_or_default();
        RunFilters {
            status: get("status"),
            range: get("range"),
            workflow: get("workflow"),
            step: get("step"),
            error: get("error"),
            group: get("group"),
            version: get("version"),
            before: get("before"),
        }
    })
}

/// The address of the page after this one: the same filters, older than `next`.
fn older(base: &str, f: &RunFilters, next: &RunId) -> String {
    let mut pairs: Vec<String> = f
        .pairs()
        .into_iter()
        .filter(|(k, v)| *k != "before" && !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::urlencode(v)))
        .collect();
    pairs.push(format!("before={next}"));
    format!("{base}?{}", pairs.join("&"))
}

#[component]
fn FilterForm(
    filters: RunFilters,
    /// The workflows to choose from; none on a workflow's own history.
    #[prop(optional)]
    workflows: Vec<WorkflowRef>,
    /// The failure group filtered by, in words.
    group: Option<String>,
) -> impl IntoView {
    let f = filters;
    let selected = |current: &str, value: &str| current == value;
    view! {
        <form method="get" class="filters" aria-label="Filter the runs">
            <div class="field">
                <label for="status">"Status"</label>
                <select id="status" name="status">
                    <option value="" selected=f.status.is_empty()>"Any status"</option>
                    {RunStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=selected(&f.status, s.as_str())>{s.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="range">"Queued"</label>
                <select id="range" name="range">
                    <option value="" selected=f.range.is_empty()>"Any time"</option>
                    {Range::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=selected(&f.range, r.as_str())>{r.label()}</option> }).collect_view()}
                </select>
            </div>
            {(!workflows.is_empty()).then(|| view! {
                <div class="field">
                    <label for="workflow">"Workflow"</label>
                    <select id="workflow" name="workflow">
                        <option value="" selected=f.workflow.is_empty()>"Any workflow"</option>
                        {workflows.into_iter().map(|w| view! { <option value=w.id.to_string() selected=selected(&f.workflow, w.id.as_str())>{w.name}</option> }).collect_view()}
                    </select>
                </div>
            })}
            <div class="field narrow">
                <label for="step">"Failed at step"</label>
                <input type="text" inputmode="numeric" id="step" name="step" value=f.step.clone() />
            </div>
            <div class="field narrow">
                <label for="version">"Version"</label>
                <input type="text" inputmode="numeric" id="version" name="version" value=f.version.clone() />
            </div>
            <div class="field">
                <label for="error">"Error contains"</label>
                <input type="search" id="error" name="error" value=f.error.clone() />
            </div>
            {(!f.group.is_empty()).then(|| view! { <input type="hidden" name="group" value=f.group.clone() /> })}
            <button type="submit">"Show"</button>
        </form>
        {group.map(|g| view! { <p class="chip">"Failure group: " {g}</p> })}
    }
}

#[component]
fn Results(
    org: String,
    runs: Vec<RunSummary>,
    older: Option<String>,
    with_workflow: bool,
    filtered: bool,
) -> impl IntoView {
    view! {
        {if runs.is_empty() {
            let empty = if filtered {
                "No run matches these filters. Loosen one of them to see more."
            } else {
                "No runs yet. A run starts when the trigger event arrives, or with Trigger on a workflow's page."
            };
            view! { <p class="empty">{empty}</p> }.into_any()
        } else {
            view! { <RunTable org runs with_workflow /> }.into_any()
        }}
        <nav class="pager" aria-label="Pages">{older.map(|href| view! { <a href=href rel="next">"Older runs"</a> })}</nav>
    }
}

fn is_filtered(f: &RunFilters) -> bool {
    f.pairs()
        .iter()
        .any(|(k, v)| *k != "before" && !v.is_empty())
}

#[component]
pub fn WorkflowRuns() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let filters = filters();
    let page = Resource::new(
        move || (org.get(), id.get(), filters.get()),
        |(org, id, filters)| workflow_runs(org, id, filters),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                let (org, id, f) = (org.get_untracked(), id.get_untracked(), filters.get_untracked());
                match page.await {
                    Ok(history) => {
                        let base = format!("/o/{org}/workflows/{id}");
                        let more = history.next.as_ref().map(|n| older(&format!("{base}/runs"), &f, n));
                        view! {
                            <Title text=format!("Runs of {}", history.workflow_name) />
                            <p class="crumbs"><a href=base.clone()>"← " {history.workflow_name.clone()}</a></p>
                            <h1>"Run history"</h1>
                            <FilterForm filters=f.clone() group=None />
                            <Results org runs=history.runs older=more with_workflow=false filtered=is_filtered(&f) />
                        }.into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn OrgRuns() -> impl IntoView {
    let org = org_param();
    let filters = filters();
    let page = Resource::new(
        move || (org.get(), filters.get()),
        |(org, filters)| list_runs(org, filters),
    );
    view! {
        <Title text="Runs" />
        <h1>"Runs"</h1>
        <Suspense fallback=|| view! { <p>"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                let (org, f) = (org.get_untracked(), filters.get_untracked());
                match page.await {
                    Ok(list) => {
                        let more = list.next.as_ref().map(|n| older(&format!("/o/{org}/runs"), &f, n));
                        view! {
                            <FilterForm filters=f.clone() workflows=list.workflows group=list.group />
                            <Results org runs=list.runs older=more with_workflow=true filtered=is_filtered(&f) />
                        }.into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}
