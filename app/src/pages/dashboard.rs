//! `/o/{org}/dashboard`, where a member lands: what the organization's runs did over a range,
//! the workflows failing most and since which version, the largest failure groups, and the
//! runs failing now. The range is in the address, so a link shows the same.

use crate::components::chart::{RateChart, RunsChart, Sparkline};
use crate::components::format::rate;
use crate::components::layout::org_param;
use crate::pages::runs::RunTable;
use crate::server_fns::dashboard::{AcknowledgeAlert, get_dashboard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use switchyard_model::read_model::dashboard::{Alert, Attention, Dashboard, Group};
use switchyard_model::stats::Range;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let range = Memo::new(move |_| query.read().get("range").unwrap_or_default());
    let data = Resource::new(
        move || (org.get(), range.get()),
        |(org, range)| get_dashboard(org, range),
    );
    view! {
        <Title text="Dashboard" />
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <p>"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((member, dashboard)) => view! { <Body org=member.org.slug may_edit=member.role.may_edit() dashboard /> }.into_any(),
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Body(org: String, may_edit: bool, dashboard: Dashboard) -> impl IntoView {
    let d = dashboard;
    let range = d.range;
    let change = match (d.failure_rate, d.previous_failure_rate) {
        (Some(now), Some(before)) => {
            let points = (now - before) * 100.0;
            if points.abs() < 0.05 {
                "no change from the range before".to_owned()
            } else if points > 0.0 {
                format!("up {points:.1} points from the range before")
            } else {
                format!("down {:.1} points from the range before", -points)
            }
        }
        _ => "nothing to compare with before".to_owned(),
    };
    let per = if range.hourly() { "hour" } else { "day" };
    view! {
        <nav class="ranges" aria-label="Range">
            {Range::ALL.into_iter().map(|r| {
                let current = (r == range).then_some("page");
                view! { <a href=format!("/o/{org}/dashboard?range={}", r.as_str()) aria-current=current>{r.label()}</a> }
            }).collect_view()}
        </nav>
        <p class="hint">{format!("Times in {}. A workflow needs attention above {} failed runs.", d.time_zone, rate(Some(d.threshold)))}</p>
        <dl class="counters">
            <div><dt>"Runs"</dt><dd>{d.runs}</dd></div>
            <div><dt>"Failed"</dt><dd>{d.failures}</dd></div>
            <div><dt>"Failure rate"</dt><dd>{rate(d.failure_rate)}</dd><dd class="change">{change}</dd></div>
            <div><dt>"Failing now"</dt><dd>{d.failing_now_count}</dd><dd class="change">{if d.failing_now_count == 1 { "workflow" } else { "workflows" }}</dd></div>
        </dl>
        <section aria-labelledby="attention">
            <h2 id="attention">"Needs attention"</h2>
            {if d.attention.is_empty() {
                view! { <p class="empty">{format!("No workflow failed more than {} of its runs. Workflows that do appear here, worst first.", rate(Some(d.threshold)))}</p> }.into_any()
            } else {
                view! { <ol class="attention">{d.attention.into_iter().map(|a| view! { <AttentionItem org=org.clone() item=a range /> }).collect_view()}</ol> }.into_any()
            }}
        </section>
        {(!d.alerts.is_empty()).then(|| view! {
            <section aria-labelledby="alerts">
                <h2 id="alerts">"Alerts"</h2>
                <ul class="alerts">
                    {d.alerts.into_iter().map(|a| view! { <AlertItem org=org.clone() may_edit alert=a /> }).collect_view()}
                </ul>
            </section>
        })}
        <section aria-labelledby="over-time">
            <h2 id="over-time">{format!("Runs per {per}")}</h2>
            {if d.runs == 0 {
                view! { <p class="empty">"No runs in this range yet. Runs appear here as soon as workflows start."</p> }.into_any()
            } else {
                view! {
                    <RunsChart points=d.points.clone() caption=format!("Runs per {per}, {}", range.label().to_lowercase()) />
                    <RateChart points=d.points threshold=d.threshold caption=format!("Failure rate per {per}") />
                }.into_any()
            }}
        </section>
        <section aria-labelledby="groups">
            <h2 id="groups">"Largest failure groups"</h2>
            <GroupTable org=org.clone() groups=d.groups />
        </section>
        <section aria-labelledby="failing-now">
            <h2 id="failing-now">"Failing now"</h2>
            <p class="hint">"A workflow is failing now when its latest finished run failed or timed out, whatever the range above. A retry that succeeds takes it off this list."</p>
            {if d.failing_now.is_empty() {
                view! { <p class="empty">"No workflow is failing now: every workflow's latest finished run succeeded."</p> }.into_any()
            } else {
                let more = d.failing_now_count.saturating_sub(d.failing_now.len());
                view! {
                    <RunTable org=org.clone() runs=d.failing_now with_workflow=true />
                    {(more > 0).then(|| view! { <p class="hint">{format!("And {more} more workflows: see the failed runs on the runs page.")}</p> })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn AttentionItem(org: String, item: Attention, range: Range) -> impl IntoView {
    let a = item;
    // The workflow's page opens on the range the dashboard shows.
    let base = format!("/o/{org}/workflows/{}?range={}", a.workflow, range.as_str());
    let spark = format!("Failure rate of {} over the range", a.name);
    view! {
        <li class="attention-item">
            <div class="attention-head">
                <a class="name" href=base.clone()>{a.name.clone()}</a>
                <span class="rate">{format!("{} failed", rate(Some(a.failure_rate)))}</span>
                <span class="hint">{format!("{} of {} finished runs", a.failures, a.finished)}</span>
                <Sparkline values=a.sparkline label=spark />
            </div>
            {a.since.map(|s| view! {
                <p class="since">{format!("Failing since version {}, saved {}{}", s.version, s.at, s.by.map(|b| format!(" by {b}")).unwrap_or_default())}</p>
            })}
            {a.largest_group.map(|g| view! {
                <p class="group">{format!("Mostly at step {}: ", g.step)}<q>{g.error.clone()}</q>{format!(" ({} times)", g.runs)}</p>
            })}
            <p class="links">
                <a href=format!("/o/{org}/runs?workflow={}&status=Failed", a.workflow)>"Its failed runs"</a>
                " · "
                <a href=format!("/o/{org}/runs?workflow={}&status=Failed&bulk=failed-step", a.workflow)>"Retry them"</a>
                " · "
                <a href=base>"Open the workflow"</a>
            </p>
        </li>
    }
}

/// Failure groups: where, what, how often, since when.
#[component]
pub fn GroupTable(org: String, groups: Vec<Group>) -> impl IntoView {
    if groups.is_empty() {
        return view! { <p class="empty">"No failures in this range. Failed runs with the same error at the same step are grouped here."</p> }.into_any();
    }
    view! {
        <table class="workflows groups" tabindex="0">
            <thead><tr>
                <th scope="col">"Workflow"</th><th scope="col">"Step"</th><th scope="col">"Error"</th>
                <th scope="col" class="num">"Failures"</th><th scope="col">"First seen"</th><th scope="col">"Last seen"</th><th scope="col">"Versions"</th>
            </tr></thead>
            <tbody>
                {groups.into_iter().map(|g| {
                    let versions = g.versions.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
                    view! {
                        <tr>
                            <td><a href=format!("/o/{org}/workflows/{}", g.workflow)>{g.workflow_name}</a></td>
                            <td>{g.step}</td>
                            <td><a href=format!("/o/{org}/runs?group={}", g.key)>{g.error}</a></td>
                            <td class="num">{g.runs}</td>
                            <td>{g.first_seen}</td>
                            <td>{g.last_seen}</td>
                            <td>{versions}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// One incident of a workflow's alerts: what, since when, and who has seen it, or the button to
/// say you have (for those who may change workflows).
#[component]
fn AlertItem(org: String, may_edit: bool, alert: Alert) -> impl IntoView {
    let a = alert;
    let acknowledge = ServerAction::<AcknowledgeAlert>::new();
    let name = a
        .workflow
        .as_ref()
        .map(|w| view! { <a href=format!("/o/{org}/workflows/{w}")>{a.name.clone()}</a> });
    let when = if a.times == 1 {
        format!("Raised {}.", a.at)
    } else if a.started == a.at {
        format!("Raised {} times, at {}.", a.times, a.at)
    } else {
        format!(
            "Since {}, raised {} times, the latest {}.",
            a.started, a.times, a.at
        )
    };
    let seen = a.acknowledged.is_some();
    let button = (!seen && may_edit).then(|| a.workflow.clone()).flatten().map(|w| view! {
        <ActionForm action=acknowledge attr:class="inline">
            <input type="hidden" name="org" value=org.clone() />
            <input type="hidden" name="workflow" value=w.to_string() />
            <button type="submit" class="small secondary">"Acknowledge"<span class="visually-hidden">{format!(" the alerts of {}", a.name)}</span></button>
        </ActionForm>
    });
    view! {
        <li class:acknowledged=seen>
            {name} {format!(" failed {} of its runs, above the threshold. ", rate(a.failure_rate))}
            <span class="hint">{when}</span>
            {a.acknowledged.map(|words| view! { " " <span class="hint seen">{words}</span> })}
            {button}
        </li>
    }
}
