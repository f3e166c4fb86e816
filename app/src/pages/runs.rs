//! `/o/{org}/workflows/{id}/runs` (a workflow's run history) and `/o/{org}/runs/{id}` (one run
//! step by step).

use crate::components::call::CallView;
use crate::components::format::{MaybeWhen, When, time};
use crate::components::layout::org_param;
use crate::components::live::{Follow, LiveRegion};
use crate::components::value::Fields;
use crate::error::AppError;
use crate::server_fns::runs::{CancelRun, RetryRun, get_run, preview_retry};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use switchyard_model::entity::{RunDetail, RunSummary};
use switchyard_model::preview::{Effect, StepPreview};
use switchyard_model::retry::{RetryFrom, RetryPreview};
use switchyard_model::run::{RunStatus, StepStatus};

fn duration(run: &RunSummary) -> String {
    run.duration_ms()
        .map_or_else(|| "—".to_owned(), switchyard_model::timefmt::duration_ms)
}

/// The editor of `workflow`, opened to fix `run` at its step `step` (counted from 1).
pub fn fix_href(
    org: &str,
    workflow: &switchyard_model::WorkflowId,
    run: &switchyard_model::id::RunId,
    step: i32,
) -> String {
    format!("/o/{org}/workflows/{workflow}/edit?run={run}#step-{step}")
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

/// Runs as a table: status, (workflow,) start, duration, event, failed step and its error.
#[component]
pub fn RunTable(
    org: String,
    runs: Vec<RunSummary>,
    #[prop(optional)] with_workflow: bool,
) -> impl IntoView {
    view! {
        <table class="workflows runs" tabindex="0">
            <thead><tr>
                <th scope="col">"Status"</th>
                {with_workflow.then(|| view! { <th scope="col">"Workflow"</th> })}
                <th scope="col">"Started"</th><th scope="col" class="num">"Duration"</th>
                <th scope="col">"Trigger event"</th><th scope="col">"Failed step"</th><th scope="col">"Error"</th>
            </tr></thead>
            <tbody>
                {runs.into_iter().map(|r| view! {
                    <tr>
                        <td><a href=format!("/o/{org}/runs/{}", r.id)><RunBadge status=r.status /></a></td>
                        {with_workflow.then(|| view! { <td><a href=format!("/o/{org}/workflows/{}", r.workflow)>{r.workflow_name.clone()}{format!(" (v{})", r.workflow_version)}</a></td> })}
                        <td>{match r.started_at {
                            Some(at) => view! { <When at /> }.into_any(),
                            None => view! { "Queued " <When at=r.queued_at /> }.into_any(),
                        }}</td>
                        <td class="num">{duration(&r)}</td>
                        <td><code>{r.event_type.clone()}</code></td>
                        <td>{r.failed_step.map(|s| format!("Step {}", s + 1)).unwrap_or_default()}</td>
                        <td class="error-cell">{r.error.as_deref().map(|e| switchyard_model::read_model::dashboard::without_step(e).to_owned()).unwrap_or_default()}</td>
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
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let run = Resource::new(move || (org.get(), id.get()), |(org, id)| get_run(org, id));
    // `?retry=start` or `?retry=failed-step` asks for the preview; `?cancel=1` for the cancel;
    // `?fixed=1` follows a fix saved from this run; `?anyway=1` confirms a retry that would fail.
    let asked = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("retry"),
            q.get("cancel").is_some(),
            q.get("fixed").is_some(),
            q.get("anyway").is_some(),
        )
    });
    let preview = Resource::new(
        move || (org.get(), id.get(), asked.get().0),
        |(org, id, from)| async move {
            match from {
                Some(from) => Some(preview_retry(org, id, from).await),
                None => None,
            }
        },
    );
    let retry = ServerAction::<RetryRun>::new();
    let cancel = ServerAction::<CancelRun>::new();
    view! {
        <Transition fallback=|| view! { <p>"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                let org = org.get_untracked();
                let (_, cancelling, fixed, anyway) = asked.get_untracked();
                match run.await {
                    Ok(detail) => {
                        let preview = preview.await;
                        // A run in flight: the page follows it until it ends.
                        let following = detail.run.status.is_in_flight();
                        view! {
                            <LiveRegion id="run" following>
                                <RunBody org detail preview cancelling fixed anyway retry cancel />
                            </LiveRegion>
                        }
                        .into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Transition>
        <Follow />
    }
}

#[component]
fn RunBody(
    org: String,
    detail: RunDetail,
    preview: Option<Result<RetryPreview, AppError>>,
    cancelling: bool,
    fixed: bool,
    anyway: bool,
    retry: ServerAction<RetryRun>,
    cancel: ServerAction<CancelRun>,
) -> impl IntoView {
    let r = detail.run.clone();
    let base = format!("/o/{org}/runs/{}", r.id);
    // A run in flight says so, and offers the latest without JavaScript.
    let in_flight = r.status.is_in_flight();
    let refused = move || {
        let failed =
            |e: Option<Result<(), AppError>>| e.and_then(|r| r.err()).map(|e| e.to_string());
        failed(retry.value().get()).or_else(|| failed(cancel.value().get()))
    };
    let confirm_cancel = (cancelling && in_flight && detail.may_edit && detail.cancel_requested_by.is_none())
        .then(|| view! { <CancelConfirm org=org.clone() run=r.id.to_string() base=base.clone() cancel /> });
    view! {
        <Title text=format!("Run of {}", r.workflow_name) />
        <p class="crumbs">
            <a href=format!("/o/{org}/workflows/{}", r.workflow)>"← " {r.workflow_name.clone()}</a>
            " · " <a href=format!("/o/{org}/workflows/{}/runs", r.workflow)>"Run history"</a>
        </p>
        <div class="page-head">
            <h1>{format!("Run of {}", r.workflow_name)}</h1>
            <RunBadge status=r.status />
            <span class="version">{format!("Version {}", r.workflow_version)}</span>
        </div>
        {move || refused().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        {confirm_cancel}
        {r.error.clone().map(|e| view! { <p class="problem" role="alert">{e}</p> })}
        {r.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        <Lineage org=org.clone() detail=detail.clone() />
        {match preview {
            // While the preview is open, it is the page's one offer.
            Some(p) => view! { <RetryDialog org=org.clone() base=base.clone() preview=p anyway retry /> }.into_any(),
            None => view! { <Actions org=org.clone() base=base.clone() detail=detail.clone() fixed /> }.into_any(),
        }}
        {in_flight.then(|| view! {
            <p class="hint" role="status">"Still running. With JavaScript on, this page follows it until it ends."
                " " <crate::components::live::ShowLatest href=base.clone() /></p>
        })}
        <dl class="settings">
            <dt>"Queued"</dt><dd><When at=r.queued_at /></dd>
            <dt>"Started"</dt><dd><MaybeWhen at=r.started_at none="Not yet" /></dd>
            <dt>"Duration"</dt><dd>{duration(&r)}</dd>
        </dl>
        <h2>"What started it"</h2>
        <p><code>{r.event_type.clone()}</code></p>
        <Fields value=detail.event_data.clone() />
        <Timeline org detail />
    }
    .into_any()
}

/// Where the run came from (the run it retries) and what came of it (its retries, a cancel).
#[component]
fn Lineage(org: String, detail: RunDetail) -> impl IntoView {
    let link = |id: &switchyard_model::id::RunId| format!("/o/{org}/runs/{id}");
    let origin = detail.retry_of.as_ref().map(|(of, from, who)| {
        let place = match from {
            0 => "from the start".to_owned(),
            n => format!("from step {}, reusing the steps before it", n + 1),
        };
        view! { <p class="lineage">"A retry of " <a href=link(of)>{format!("run {of}")}</a> {format!(", {place}, asked by {who}.")}</p> }
    });
    let retries = (detail.retries > 0).then(|| {
        let more = detail.retries - detail.retried_by.len() as i64;
        view! {
            <p class="lineage">
                {if detail.retries == 1 { "Retried once: ".to_owned() } else { format!("Retried {} times: ", detail.retries) }}
                {detail.retried_by.iter().enumerate().map(|(i, (id, status))| view! {
                    {(i > 0).then_some(", ")}
                    <a href=link(id)>{format!("run {id}")}</a> {format!(" ({})", status.label())}
                }).collect_view()}
                {(more > 0).then(|| format!(" and {more} more"))}
                "."
            </p>
        }
    });
    let cancel = detail.cancel_requested_by.clone().map(|who| {
        let words = if detail.run.status.is_in_flight() {
            format!("{who} asked to cancel this run: it stops after the step in hand.")
        } else {
            format!("Cancel asked by {who}.")
        };
        view! { <p class="notice" role="status">{words}</p> }
    });
    view! { {origin} {retries} {cancel} }
}

/// Fix and retry, or cancel, as the run's state and the member's role allow. A failed step
/// whose bad value came from a mapping row leads to that row in the editor first; once the fix
/// is saved (`fixed`), to retrying the runs that failed the same way.
#[component]
fn Actions(org: String, base: String, detail: RunDetail, fixed: bool) -> impl IntoView {
    let r = &detail.run;
    if r.status.is_in_flight() {
        let may_cancel = detail.may_edit && detail.cancel_requested_by.is_none();
        return may_cancel
            .then(|| view! { <p class="actions"><a class="button" href=format!("{base}?cancel=1")>"Cancel this run"</a></p> })
            .into_any();
    }
    let options = detail.retry.clone();
    let blame = detail
        .blame
        .clone()
        .filter(|_| r.status == RunStatus::Failed);
    // Retrying a run whose workflow has not changed fails the same way: the fix comes first.
    let fix_first = blame.as_ref().is_some_and(|b| !b.changed_since) && detail.may_edit && !fixed;
    let retry_class = if fix_first {
        "button"
    } else {
        "button primary"
    };
    let from_failed = options.failed_step.filter(|s| *s > 0).map(|s| view! {
        <a class=retry_class href=format!("{base}?retry=failed-step")>{format!("Retry from step {}", s + 1)}</a> " "
    });
    let verb = if detail.may_edit {
        "Retry"
    } else {
        "Preview a retry"
    };
    let fix = blame
        .clone()
        .filter(|_| detail.may_edit && options.refused.is_none())
        .map(|b| {
            let step = b.step + 1;
            let href = fix_href(&org, &r.workflow, &r.id, step);
            let class = if fix_first {
                "button primary"
            } else {
                "button"
            };
            view! { <a class=class href=href>{format!("Fix step {step}")}</a> " " }
        });
    let same_way = blame.as_ref().and_then(|b| b.group.as_ref()).filter(|_| fixed && detail.may_edit).map(|group| {
        let href = format!("/o/{org}/runs?status=Failed&group={group}&bulk=failed-step");
        view! {
            <p class="notice" role="status">"Your fix is saved. Retry this run to see it work, or every run that failed this way: "
                <a href=href>"retry the runs that failed this way"</a>"."</p>
        }
    });
    view! {
        <section class="retry" aria-labelledby="retry-head">
            <h2 id="retry-head">"Fix and retry"</h2>
            {blame.as_ref().map(|b| view! { <p class="blame">{b.words.clone()}</p> })}
            {blame.as_ref().filter(|b| b.changed_since && !fixed).map(|_| view! {
                <p class="hint">{format!("The workflow has changed since version {}, which this run ran: a retry runs the latest version.", r.workflow_version)}</p>
            })}
            {same_way}
            {options.refused.clone().map(|why| view! { <p class="notice">{why}</p> })}
            {options.refused.is_none().then(|| view! {
                <p class="actions">
                    {fix}
                    {from_failed}
                    <a class="button" href=format!("{base}?retry=start")>{format!("{verb} from the start")}</a>
                </p>
                {options.failed_step_refused.clone().filter(|_| r.status != switchyard_model::run::RunStatus::Succeeded).map(|why| view! { <p class="hint">{why}</p> })}
                <p class="hint">"You see what a retry will do again before anything runs."</p>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn CancelConfirm(
    org: String,
    run: String,
    base: String,
    cancel: ServerAction<CancelRun>,
) -> impl IntoView {
    view! {
        <div class="confirm" role="alertdialog" aria-labelledby="cancel-title">
            <h2 id="cancel-title">"Cancel this run?"</h2>
            <p>"The step in hand finishes; the steps after it do not run, and the run ends Cancelled. What its steps already did stays. You can retry it later."</p>
            <ActionForm action=cancel attr:class="inline">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="id" value=run />
                <button type="submit" class="danger">"Cancel the run"</button>
            </ActionForm>
            " " <a href=base>"Keep it running"</a>
        </div>
    }
}

/// The preview of a retry, in words, with the button that asks for it. A retry that would
/// fail again offers the fix first; retrying anyway takes a second confirm (`anyway`).
#[component]
fn RetryDialog(
    org: String,
    base: String,
    preview: Result<RetryPreview, AppError>,
    anyway: bool,
    retry: ServerAction<RetryRun>,
) -> impl IntoView {
    let p = match preview {
        Ok(p) => p,
        Err(e) => return view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
    };
    let title = match p.from_step {
        0 => "Retry from the start?".to_owned(),
        n => format!("Retry from step {}?", n + 1),
    };
    let fails_at = p.fails_at().map(|s| s + 1);
    let button = match (p.from_step, fails_at) {
        (_, Some(_)) => "Retry anyway".to_owned(),
        (0, None) => "Retry from the start".to_owned(),
        (n, None) => format!("Retry from step {}", n + 1),
    };
    let again = p
        .steps
        .iter()
        .filter(|s| s.effect != Effect::Reused)
        .count();
    let writes = p.steps.iter().filter(|s| s.effect.writes()).count();
    let asked_failed = p.from == RetryFrom::Start
        && p.failed_step_refused.is_some()
        && p.run_status != switchyard_model::run::RunStatus::Succeeded;
    let fix = fails_at.map(|n| {
        let href = fix_href(&org, &p.workflow, &p.run, n);
        view! { <a class="button primary" href=href>{format!("Fix step {n} first")}</a> " " }
    });
    // The confirm itself: at once when the retry would work, after "Retry anyway…" when not.
    let confirm = match (p.may_edit, p.refused.is_none(), fails_at.is_none() || anyway) {
        (true, true, true) => view! {
            <ActionForm action=retry attr:class="inline">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="id" value=p.run.to_string() />
                <input type="hidden" name="from" value=p.from.as_str() />
                <input type="hidden" name="based_on" value=p.retries.to_string() />
                <button type="submit" class=if fails_at.is_some() { "danger" } else { "primary" }>{button}</button>
            </ActionForm>
            " "
        }.into_any(),
        (true, true, false) => view! {
            <a class="button" href=format!("{base}?retry={}&anyway=1", p.from.as_str())>"Retry anyway…"</a> " "
        }.into_any(),
        (false, _, _) => view! { <p class="hint">"Your role lets you read this preview; Editors and Admins can retry."</p> }.into_any(),
        _ => ().into_any(),
    };
    view! {
        <div class="confirm preview-dialog" role="alertdialog" aria-labelledby="retry-title">
            <h2 id="retry-title">{title}</h2>
            <p>{format!("The retry runs version {} of {} with this run's event (this run ran version {}). Nothing runs until you confirm.", p.version, p.workflow_name, p.ran_version)}</p>
            {asked_failed.then(|| p.failed_step_refused.clone().map(|why| view! { <p class="notice">{why}</p> }))}
            {p.refused.clone().map(|why| view! { <p class="problem">{why}</p> })}
            {fails_at.map(|n| if anyway {
                view! { <p class="problem">{format!("This run would fail again at step {n}, as the workflow is now. Retry it anyway? It becomes one more failed run.")}</p> }.into_any()
            } else {
                view! { <p class="notice">{format!("As the workflow is now, step {n} would fail again: fix it first, then retry this run.")}</p> }.into_any()
            })}
            <p><strong>{format!("{again} of {} steps run again; {writes} of them create or change records.", p.steps.len())}</strong></p>
            <ol class="preview">
                {p.steps.iter().map(|s| view! { <PreviewStep step=s.clone() /> }).collect_view()}
            </ol>
            <div class="actions">{p.may_edit.then_some(fix)} {confirm} <a href=base>"Back to the run"</a></div>
        </div>
    }
    .into_any()
}

/// One step of a preview: what it will do, in words, with the values it would send.
/// `dry`: a dry run, where nothing ran before (its steps "run", not "run again").
#[component]
pub fn PreviewStep(step: StepPreview, #[prop(optional)] dry: bool) -> impl IntoView {
    let runs = if dry { "Runs" } else { "Runs again" };
    let (tag, class) = match &step.effect {
        Effect::Reused => ("Reused", "reused"),
        Effect::Creates { .. } | Effect::Changes { .. } | Effect::Records { .. } => (runs, "runs"),
        Effect::Calls { .. } => ("Calls out", "runs"),
        Effect::Recovered => ("Falls back", "runs"),
        Effect::Skipped => ("Skipped", "skipped"),
        Effect::Fails { .. } => ("Would fail", "fails"),
        Effect::NotReached => ("Not run", "skipped"),
    };
    let values = (!step.fields.is_empty() && step.effect != Effect::Reused).then(|| {
        let fields: serde_json::Map<String, serde_json::Value> =
            step.fields.iter().cloned().collect();
        view! { <Fields value=serde_json::Value::Object(fields) /> }
    });
    view! {
        <li class=format!("preview-{class}")>
            <div class="step-head">
                <h3>{format!("{}. {}", step.index + 1, step.label)}</h3>
                <span class=format!("badge preview-{class}")>{tag}</span>
            </div>
            <p>{step.words.clone()}</p>
            {step.condition.map(|holds| view! { <p class="hint">{if holds { "Its condition holds." } else { "Its condition does not hold." }}</p> })}
            {values}
        </li>
    }
}

/// Every step of the run's version, done or not.
#[component]
fn Timeline(org: String, detail: RunDetail) -> impl IntoView {
    let reused_from = detail.retry_of.as_ref().map(|(of, _, _)| of.clone());
    view! {
        <h2>"Steps"</h2>
        <ol class="timeline">
            {detail.steps.into_iter().map(|s| {
                let reused = s.reused.then(|| reused_from.clone()).flatten().map(|of| view! {
                    <p class="hint">"Not run again: reused from " <a href=format!("/o/{org}/runs/{of}")>{format!("run {of}")}</a> "."</p>
                });
                view! {
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
                        {reused}
                        {s.error.clone().map(|e| view! { <p class="field-error">{e}</p> })}
                        {if s.action == switchyard_model::definition::HTTP_ACTION && s.input.is_some() {
                            let shown = s.input.clone().unwrap_or_default();
                            view! { <CallView shown=shown answer=s.output.clone() /> }.into_any()
                        } else {
                            view! {
                                {s.input.clone().map(|v| view! { <h4>"Sent"</h4> <Fields value=v /> })}
                                {s.output.clone().map(|v| view! { <h4>"Result"</h4> <Fields value=v /> })}
                            }.into_any()
                        }}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
