//! The charts of a workflow's page: runs and failure rate over time with each version saved
//! marked on the time axis, durations, and the workflow's failure groups.

use crate::components::chart::{DurationChart, RateChart, RunsChart};
use crate::pages::dashboard::GroupTable;
use crate::server_fns::dashboard::get_workflow_charts;
use leptos::prelude::*;
use switchyard_model::read_model::health::WorkflowCharts;
use switchyard_model::stats::Range;

#[component]
pub fn WorkflowChartsSection(
    org: Memo<String>,
    id: Memo<String>,
    range: Memo<String>,
) -> impl IntoView {
    let data = Resource::new(
        move || (org.get(), id.get(), range.get()),
        |(org, id, range)| get_workflow_charts(org, id, range),
    );
    view! {
        <section aria-labelledby="health">
            <h2 id="health">"Health"</h2>
            <Suspense fallback=|| view! { <p>"Loading the charts…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(charts) => view! { <Charts org=org.get_untracked() id=id.get_untracked() charts /> }.into_any(),
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Charts(org: String, id: String, charts: WorkflowCharts) -> impl IntoView {
    let c = charts;
    let per = if c.range.hourly() { "hour" } else { "day" };
    let finished: i64 = c.points.iter().map(|p| p.succeeded + p.failed).sum();
    view! {
        <nav class="ranges" aria-label="Range of the charts">
            {Range::ALL.into_iter().map(|r| {
                let current = (r == c.range).then_some("page");
                view! { <a href=format!("/o/{org}/workflows/{id}?range={}#health", r.as_str()) aria-current=current>{r.label()}</a> }
            }).collect_view()}
        </nav>
        {c.since.map(|s| view! {
            <p class="since problem">{format!("Failing since version {}, saved {}{}.", s.version, s.at, s.by.map(|b| format!(" by {b}")).unwrap_or_default())}</p>
        })}
        {if finished == 0 {
            view! { <p class="empty">"No run ended in this range. Its runs, failure rate and durations will show here."</p> }.into_any()
        } else {
            view! {
                <h3>{format!("Runs per {per}")}</h3>
                <RunsChart points=c.points.clone() marks=c.marks.clone() caption=format!("Runs per {per}, {}", c.range.label().to_lowercase()) />
                <h3>"Failure rate"</h3>
                <RateChart points=c.points.clone() marks=c.marks.clone() threshold=c.threshold caption=format!("Failure rate per {per}") />
                <h3>"How long runs take"</h3>
                <DurationChart points=c.points caption=format!("Run durations per {per}, p50 and p95") />
            }.into_any()
        }}
        {(!c.marks.is_empty()).then(|| {
            let versions = format!("/o/{org}/workflows/{id}/versions");
            view! {
                <p class="hint">
                    {format!("Dashed lines mark the versions saved in this range (times in {}): ", c.time_zone)}
                    {c.marks.iter().map(|m| view! {
                        <a href=format!("{versions}?a={}&b={}", m.version - 1, m.version)>
                            {format!("what changed in version {}", m.version)}
                        </a>
                        " "
                    }).collect_view()}
                </p>
            }
        })}
        <h3>"Failure groups"</h3>
        <GroupTable org groups=c.groups />
    }
}
