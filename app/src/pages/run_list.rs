//! Run histories you can search: a workflow's (`/o/{org}/workflows/{id}/runs`) and the
//! organization's (`/o/{org}/runs`), filtered by status, time, workflow, failing step, error
//! text, failure group and version. Every filter is in the address, so a link can be shared and
//! the back button works; pages follow each other by position, not by number.

use crate::components::layout::org_param;
use crate::components::live::{Follow, LiveRegion};
use crate::error::AppError;
use crate::pages::run_filters::FilterForm;
use crate::pages::runs::PreviewStep;
use crate::pages::runs::RunTable;
use crate::server_fns::runs::{
    CancelBatch, RetryRuns, RunFilters, list_runs, preview_bulk, workflow_runs,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use switchyard_model::entity::RunSummary;
use switchyard_model::id::RunId;
use switchyard_model::retry::{BatchProgress, BulkPreview};
use switchyard_model::run::RunStatus;

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
            batch: get("batch"),
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
                            <FilterForm filters=f.clone() base=format!("{base}/runs") group=None matched=history.matched />
                            <Results org runs=history.runs older=more with_workflow=false filtered=is_filtered(&f) />
                        }.into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}

/// The filters as an address's query, without the page and the batch, for the bulk links.
fn query_of(f: &RunFilters) -> String {
    f.pairs()
        .into_iter()
        .filter(|(k, v)| !matches!(*k, "before" | "batch") && !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
pub fn OrgRuns() -> impl IntoView {
    let org = org_param();
    let filters = filters();
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("bulk"),
            q.get("cancel").is_some(),
            q.get("anyway").is_some(),
        )
    });
    let page = Resource::new(
        move || (org.get(), filters.get()),
        |(org, filters)| list_runs(org, filters),
    );
    let bulk = Resource::new(
        move || (org.get(), filters.get(), asked.get().0),
        |(org, filters, from)| async move {
            match from {
                Some(from) => Some(preview_bulk(org, filters, from).await),
                None => None,
            }
        },
    );
    let retry = ServerAction::<RetryRuns>::new();
    let cancel = ServerAction::<CancelBatch>::new();
    view! {
        <Title text="Runs" />
        <h1>"Runs"</h1>
        <Transition fallback=|| view! { <p>"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                let (org, f) = (org.get_untracked(), filters.get_untracked());
                let (_, cancelling, anyway) = asked.get_untracked();
                match page.await {
                    Ok(list) => {
                        let bulk = bulk.await;
                        let more = list.next.as_ref().map(|n| older(&format!("/o/{org}/runs"), &f, n));
                        let offer = (is_filtered(&f) && f.batch.is_empty() && bulk.is_none()
                            && list.runs.iter().any(|r| r.status.is_failure()))
                            .then(|| view! { <BulkOffer org=org.clone() query=query_of(&f) /> });
                        // A batch of retries in flight: its panel and the runs follow it until it has ended.
                        let following = list.batch.as_ref().is_some_and(|b| b.waiting() > 0);
                        let panel = list.batch.clone().map(|b| view! { <BatchPanel org=org.clone() batch=b cancelling cancel /> });
                        view! {
                            <LiveRegion id="batch" following>{panel}</LiveRegion>
                            {bulk.map(|b| view! { <BulkDialog org=org.clone() filters=f.clone() preview=b anyway retry /> })}
                            <FilterForm filters=f.clone() base=format!("/o/{org}/runs") workflows=list.workflows group=list.group matched=list.matched />
                            {offer}
                            <LiveRegion id="results" following>
                                <Results org runs=list.runs older=more with_workflow=true filtered=is_filtered(&f) />
                            </LiveRegion>
                        }.into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Transition>
        <Follow />
    }
}

/// Offers to retry every failed run the filters let through.
#[component]
fn BulkOffer(org: String, query: String) -> impl IntoView {
    let base = format!("/o/{org}/runs?{query}");
    view! {
        <p class="actions bulk-offer">
            <a class="button" href=format!("{base}&bulk=failed-step")>"Retry these failed runs from their failed step"</a>
            <a class="button" href=format!("{base}&bulk=start")>"Retry them from the start"</a>
        </p>
    }
}

/// How many runs a bulk retry takes, which it leaves out, the preview of one, and the confirm.
/// Runs that would fail again offer the fix first; retrying anyway takes a second confirm
/// (`anyway`) that says how many would fail.
#[component]
fn BulkDialog(
    org: String,
    filters: RunFilters,
    preview: Result<BulkPreview, AppError>,
    anyway: bool,
    retry: ServerAction<RetryRuns>,
) -> impl IntoView {
    let p = match preview {
        Ok(p) => p,
        Err(e) => return view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
    };
    let back = format!("/o/{org}/runs?{}", query_of(&filters));
    let place = p.from.place();
    let refused = move || {
        retry
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let hidden: Vec<(String, String)> = filters
        .pairs()
        .into_iter()
        .filter(|(k, v)| !matches!(*k, "before" | "batch") && !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    // Runs that would fail again: how many, in words, and the step, with the fix to open.
    let failing = p
        .sample
        .as_ref()
        .and_then(|s| s.fails_at())
        .and_then(|s| p.failing_again(s + 1).map(|words| (words, s + 1)));
    let fix = failing
        .as_ref()
        .zip(p.sample.as_ref())
        .filter(|_| p.may_edit)
        .map(|((_, n), s)| {
            let href = crate::pages::runs::fix_href(&org, &s.workflow, &s.run, *n);
            view! { <a class="button primary" href=href>{format!("Fix step {n} first")}</a> " " }
        });
    let retry_label = match (p.retried, failing.is_some()) {
        (1, false) => "Retry 1 run".to_owned(),
        (n, false) => format!("Retry {n} runs"),
        (1, true) => "Retry 1 run anyway".to_owned(),
        (n, true) => format!("Retry {n} runs anyway"),
    };
    let title = match p.retried {
        0 => "No run to retry".to_owned(),
        1 => format!("Retry 1 failed run {place}?"),
        n => format!("Retry {n} failed runs {place}?"),
    };
    view! {
        <div class="confirm preview-dialog" role="alertdialog" aria-labelledby="bulk-title">
            <h2 id="bulk-title">{title}</h2>
            {move || refused().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {p.over_limit.then(|| view! { <p class="notice">{format!("More runs match: one bulk retry takes the newest {}. Retry again for the rest once these are queued.", switchyard_model::retry::BATCH_MAX)}</p> })}
            {(!p.skipped.is_empty()).then(|| view! {
                <p>"Left out:"</p>
                <ul>{p.skipped.iter().map(|(why, n)| view! { <li>{format!("{n} because {why}")}</li> }).collect_view()}</ul>
            })}
            <p class="hint">"Runs already retried are left out, so that nothing is retried twice. Each retry is a new run; what the failed runs did stays."</p>
            {failing.clone().map(|(how_many, n)| if anyway {
                view! { <p class="problem">{format!("{how_many}. Retry anyway? Each that fails becomes one more failed run.")}</p> }.into_any()
            } else {
                view! { <p class="notice">{format!("{how_many}: fix step {n} first, then retry them.")}</p> }.into_any()
            })}
            {p.sample.clone().map(|s| view! {
                <h3>{format!("What the newest of them will do ({})", s.workflow_name)}</h3>
                <ol class="preview">{s.steps.iter().map(|st| view! { <PreviewStep step=st.clone() /> }).collect_view()}</ol>
            })}
            <div class="actions">
            {fix}
            {match (p.may_edit, p.retried > 0, failing.is_none() || anyway) {
                (true, true, true) => view! {
                    <ActionForm action=retry attr:class="inline">
                        <input type="hidden" name="org" value=org />
                        {hidden.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                        <input type="hidden" name="from" value=p.from.as_str() />
                        <input type="hidden" name="key" value=p.key.clone() />
                        <button type="submit" class=if failing.is_some() { "danger" } else { "primary" }>{retry_label}</button>
                    </ActionForm>
                    " "
                }.into_any(),
                (true, true, false) => view! { <a class="button" href=format!("{back}&bulk={}&anyway=1", p.from.as_str())>"Retry anyway…"</a> " " }.into_any(),
                (false, _, _) => view! { <p class="hint">"Your role lets you read this preview; Editors and Admins can retry."</p> }.into_any(),
                _ => ().into_any(),
            }}
            <a href=back.clone()>"Back to the runs"</a>
            </div>
        </div>
    }
    .into_any()
}

/// A bulk retry's progress, with the cancel of its runs not started yet.
#[component]
fn BatchPanel(
    org: String,
    batch: BatchProgress,
    cancelling: bool,
    cancel: ServerAction<CancelBatch>,
) -> impl IntoView {
    let ended = batch.ended();
    let waiting = batch.waiting();
    let base = format!("/o/{org}/runs?batch={}", batch.id);
    let place = batch.from.place();
    let counts = format!(
        "{} succeeded, {} failed, {} cancelled, {} still to run.",
        batch.count(RunStatus::Succeeded),
        batch.failed(),
        batch.count(RunStatus::Cancelled),
        waiting
    );
    view! {
        <section class="batch" aria-labelledby="batch-title">
            <h2 id="batch-title">{format!("Bulk retry of {} runs {place}", batch.total)}</h2>
            <p class="hint">{format!("Asked by {} on {}.", batch.requested_by, crate::components::format::time(batch.created_at))}
                {(batch.skipped > 0).then(|| format!(" {} matching runs were left out.", batch.skipped))}</p>
            <label for="batch-progress">{format!("{ended} of {} ended", batch.total)}</label>
            <progress id="batch-progress" max=batch.total.max(1).to_string() value=ended.to_string()>{format!("{ended} of {}", batch.total)}</progress>
            <p role="status">{counts}</p>
            {(waiting > 0).then(|| view! { <p class="hint">"With JavaScript on, this follows the runs as they end. " <crate::components::live::ShowLatest href=base.clone() /></p> })}
            {batch.cancel_requested_by.clone().map(|who| view! { <p class="notice">{format!("{who} cancelled the runs that had not started.")}</p> })}
            {(batch.may_edit && waiting > 0 && batch.cancel_requested_by.is_none()).then(|| if cancelling {
                view! {
                    <div class="confirm" role="alertdialog" aria-labelledby="cancel-batch-title">
                        <h3 id="cancel-batch-title">"Cancel the runs not started yet?"</h3>
                        <p>"Runs already started finish, so that none is left half-done; the others end Cancelled and can be retried later."</p>
                        <ActionForm action=cancel attr:class="inline">
                            <input type="hidden" name="org" value=org.clone() />
                            <input type="hidden" name="batch" value=batch.id.to_string() />
                            <button type="submit" class="danger">"Cancel the runs not started"</button>
                        </ActionForm>
                        " " <a href=base.clone()>"Keep them"</a>
                    </div>
                }.into_any()
            } else {
                view! { <p class="actions"><a class="button" href=format!("{base}&cancel=1")>"Cancel the runs not started"</a></p> }.into_any()
            })}
        </section>
    }
}
