//! The run lists' filter form: each filter a choice where it can be one, a bad filter named
//! next to its field while the others still apply, how many runs match, and every filter in
//! use as a chip that takes it off.

use crate::server_fns::runs::RunFilters;
use leptos::prelude::*;
use switchyard_model::entity::NamedWorkflow;
use switchyard_model::read_model::run::Matched;
use switchyard_model::run::RunStatus;
use switchyard_model::stats::Range;

/// A filter's value as a chip says it: "Status: Failed".
fn chip_words(key: &str, value: &str, workflows: &[NamedWorkflow], group: Option<&str>) -> String {
    match key {
        "status" => format!(
            "Status: {}",
            value
                .parse::<RunStatus>()
                .map_or(value.to_owned(), |s| s.label().to_owned())
        ),
        "range" => format!(
            "Queued: {}",
            value
                .parse::<Range>()
                .map_or(value.to_owned(), |r| r.label().to_owned())
        ),
        "workflow" => format!(
            "Workflow: {}",
            workflows
                .iter()
                .find(|w| w.id.as_str() == value)
                .map_or(value, |w| w.name.as_str())
        ),
        "step" => format!("Failed at step {value}"),
        "version" => format!("Version {value}"),
        "error" => format!("Error contains “{value}”"),
        "group" => format!("Failure group: {}", group.unwrap_or(value)),
        "batch" => "One bulk retry".to_owned(),
        other => format!("{other}: {value}"),
    }
}

#[component]
pub fn FilterForm(
    filters: RunFilters,
    /// The address the filters apply to.
    base: String,
    /// The workflows to choose from; none on a workflow's own history.
    #[prop(optional)]
    workflows: Vec<NamedWorkflow>,
    /// The failure group filtered by, in words.
    group: Option<String>,
    /// How many match, the step and version choices, and the filters that could not be used.
    matched: Matched,
) -> impl IntoView {
    let f = filters;
    let selected = |current: &str, value: &str| current == value;
    let problem = |key: &str| {
        matched
            .problems
            .iter()
            .find(|p| p.field == key)
            .map(|p| view! { <p class="field-error" role="alert">{p.message.clone()}</p> })
    };
    // Every filter applied, each with the address without it (and without the bad ones).
    let applied = matched.applied.pairs();
    let active: Vec<(String, String)> = applied
        .iter()
        .map(|(key, value)| {
            let rest: Vec<String> = applied
                .iter()
                .filter(|(k, _)| k != key)
                .map(|(k, v)| format!("{k}={}", crate::urlencode(v)))
                .collect();
            let href = if rest.is_empty() {
                base.clone()
            } else {
                format!("{base}?{}", rest.join("&"))
            };
            (chip_words(key, value, &workflows, group.as_deref()), href)
        })
        .collect();
    // The choices from 1 to `max`, and the one applied when it is past them.
    let numbers = |max: i32, now: Option<i32>| {
        let mut n: Vec<i32> = (1..=max.max(1)).collect();
        n.extend(now.filter(|v| !n.contains(v)));
        n
    };
    let (step_now, version_now) = (matched.applied.step, matched.applied.version);
    view! {
        <form method="get" class="filters" aria-label="Filter the runs">
            <div class="field" class:invalid=problem("status").is_some()>
                <label for="status">"Status"</label>
                <select id="status" name="status">
                    <option value="" selected=f.status.is_empty()>"Any status"</option>
                    {RunStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=selected(&f.status, s.as_str())>{s.label()}</option> }).collect_view()}
                </select>
                {problem("status")}
            </div>
            <div class="field" class:invalid=problem("range").is_some()>
                <label for="range">"Queued"</label>
                <select id="range" name="range">
                    <option value="" selected=f.range.is_empty()>"Any time"</option>
                    {Range::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=selected(&f.range, r.as_str())>{r.label()}</option> }).collect_view()}
                </select>
                {problem("range")}
            </div>
            {(!workflows.is_empty()).then(|| view! {
                <div class="field" class:invalid=problem("workflow").is_some()>
                    <label for="workflow">"Workflow"</label>
                    <select id="workflow" name="workflow">
                        <option value="" selected=f.workflow.is_empty()>"Any workflow"</option>
                        {workflows.clone().into_iter().map(|w| view! { <option value=w.id.to_string() selected=selected(&f.workflow, w.id.as_str())>{w.name}</option> }).collect_view()}
                    </select>
                    {problem("workflow")}
                </div>
            })}
            <div class="field narrow" class:invalid=problem("step").is_some()>
                <label for="step">"Failed at step"</label>
                <select id="step" name="step">
                    <option value="" selected=step_now.is_none()>"Any step"</option>
                    {numbers(matched.steps, step_now).into_iter().map(|n| view! { <option value=n.to_string() selected=step_now == Some(n)>{format!("Step {n}")}</option> }).collect_view()}
                </select>
                {problem("step")}
            </div>
            <div class="field narrow" class:invalid=problem("version").is_some()>
                <label for="version">"Version"</label>
                <select id="version" name="version">
                    <option value="" selected=version_now.is_none()>"Any version"</option>
                    {numbers(matched.versions, version_now).into_iter().rev().map(|n| view! { <option value=n.to_string() selected=version_now == Some(n)>{format!("Version {n}")}</option> }).collect_view()}
                </select>
                {problem("version")}
            </div>
            <div class="field">
                <label for="error">"Error contains"</label>
                <input type="search" id="error" name="error" value=f.error.clone() />
            </div>
            {(!f.group.is_empty()).then(|| view! { <input type="hidden" name="group" value=f.group.clone() /> })}
            {(!f.batch.is_empty()).then(|| view! { <input type="hidden" name="batch" value=f.batch.clone() /> })}
            <button type="submit">"Show"</button>
        </form>
        {problem("group")}
        {problem("before")}
        {problem("batch")}
        <p class="matched" role="status">
            {format!("{} {}.", matched.words(), if active.is_empty() { "in all" } else { "match" })}
            {(!active.is_empty()).then(|| view! {
                " "
                <span class="chips">
                    {active.into_iter().map(|(words, href)| view! {
                        <span class="chip">{words.clone()} " " <a href=href aria-label=format!("Remove the filter {words}")>"Remove"</a></span>
                    }).collect_view()}
                </span>
                " " <a href=base.clone()>"Clear all filters"</a>
            })}
        </p>
    }
}
