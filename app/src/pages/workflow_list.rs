//! `/o/{org}/workflows`: the organization's workflows, filtered, sorted and paged.

use crate::components::format::{MaybeWhen, StatusBadge, rate};
use crate::components::layout::org_param;
use crate::error::AppError;
use crate::server_fns::workflows::list_workflows;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use switchyard_model::Status;
use switchyard_model::list_query::{Sort, WorkflowFilters};

/// The page's own readings of its filters.
trait Filters {
    fn any(&self) -> bool;
    fn href(&self, org: &str, cursor: &str) -> String;
}

impl Filters for WorkflowFilters {
    /// Whether any filter narrows the list (the sort and page do not).
    fn any(&self) -> bool {
        !(self.status.is_empty() && self.trigger.is_empty() && self.q.is_empty())
    }

    /// This list's URL at another cursor.
    fn href(&self, org: &str, cursor: &str) -> String {
        let pairs = [
            ("status", &self.status),
            ("trigger", &self.trigger),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        let mut query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", crate::urlencode(v)))
            .collect();
        if !cursor.is_empty() {
            query.push(format!("cursor={cursor}"));
        }
        format!("/o/{org}/workflows?{}", query.join("&"))
    }
}

#[component]
pub fn WorkflowList() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        WorkflowFilters {
            status: get("status"),
            trigger: get("trigger"),
            q: get("q"),
            sort: get("sort"),
            cursor: get("cursor"),
        }
    });
    let page = Resource::new(
        move || (org.get(), filters.get()),
        |(org, f)| list_workflows(org, f),
    );
    view! {
        <Title text="Workflows" />
        <div class="page-head">
            <h1>"Workflows"</h1>
        </div>
        <Suspense fallback=|| view! { <p>"Loading workflows…"</p> }>
            {move || Suspend::new(async move {
                let f = filters.get_untracked();
                let org = org.get_untracked();
                match page.await {
                    Ok((member, page)) => {
                        let may_edit = member.role.may_edit();
                        view! {
                            {may_edit.then(|| view! { <a class="button primary new" href=format!("/o/{org}/workflows/new")>"New workflow"</a> })}
                            <FilterForm org=org.clone() filters=f.clone() errors=None />
                            <WorkflowTable org=org.clone() page=page filters=f may_edit=may_edit />
                        }
                            .into_any()
                    }
                    Err(err @ AppError::Invalid { .. }) => view! {
                        <FilterForm org=org.clone() filters=f errors=Some(err) />
                    }
                        .into_any(),
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FilterForm(org: String, filters: WorkflowFilters, errors: Option<AppError>) -> impl IntoView {
    let status_error = errors.as_ref().and_then(|e| e.field("status"));
    let sort_error = errors.as_ref().and_then(|e| e.field("sort"));
    let (status_invalid, sort_invalid) = (status_error.is_some(), sort_error.is_some());
    let selected_status = filters.status.clone();
    let selected_sort = filters.sort.clone();
    view! {
        <form method="get" action=format!("/o/{org}/workflows") class="filters" role="search">
            <div class="field">
                <label for="q">"Search"</label>
                <input type="search" id="q" name="q" value=filters.q.clone() placeholder="Name or description" />
            </div>
            <div class="field" class:invalid=status_invalid>
                <label for="status">"Status"</label>
                <select id="status" name="status">
                    <option value="" selected=selected_status.is_empty()>"Any status"</option>
                    {Status::ALL.into_iter().map(|s| {
                        let selected = selected_status == s.as_str();
                        view! { <option value=s.as_str() selected=selected>{s.as_str()}</option> }
                    }).collect_view()}
                </select>
                {status_error.map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </div>
            <div class="field">
                <label for="trigger">"Trigger event"</label>
                <input type="text" id="trigger" name="trigger" value=filters.trigger.clone() placeholder="Deal.won" />
            </div>
            <div class="field" class:invalid=sort_invalid>
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort">
                    {Sort::ALL.into_iter().map(|s| {
                        let selected = selected_sort == s.as_str() || (selected_sort.is_empty() && s == Sort::default());
                        view! { <option value=s.as_str() selected=selected>{s.label()}</option> }
                    }).collect_view()}
                </select>
                {sort_error.map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </div>
            <button type="submit">"Apply"</button>
            {filters.any().then(|| view! { <a href=format!("/o/{org}/workflows") class="clear">"Clear filters"</a> })}
        </form>
    }
}

#[component]
fn WorkflowTable(
    org: String,
    page: switchyard_model::list_query::Page<crate::server_fns::workflows::ListedWorkflow>,
    filters: WorkflowFilters,
    may_edit: bool,
) -> impl IntoView {
    if page.results.is_empty() {
        return if filters.any() {
            view! { <p class="empty">"No workflows match these filters. " <a href=format!("/o/{org}/workflows")>"Clear filters"</a></p> }.into_any()
        } else if may_edit {
            view! {
                <div class="empty">
                    <h2>"No workflows yet"</h2>
                    <p>"A workflow runs steps when an event happens, for example: when a deal is won, create the customer and book a welcome call."</p>
                    <p><a class="button primary" href=format!("/o/{org}/workflows/new")>"Create your first workflow"</a></p>
                </div>
            }.into_any()
        } else {
            view! { <p class="empty">"No workflows yet. An Admin or Editor of your organization can create one."</p> }.into_any()
        };
    }
    let first = page.offset + 1;
    let last = page.offset + page.results.len() as i64;
    let previous = page.previous.as_deref().map(|c| filters.href(&org, c));
    let next = page.cursor.as_deref().map(|c| filters.href(&org, c));
    view! {
        <table class="workflows" tabindex="0">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Trigger event"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="num">"Version"</th>
                    <th scope="col">"Last run"</th>
                    <th scope="col" class="num">"Runs"</th>
                    <th scope="col" class="num">"Success rate"</th>
                </tr>
            </thead>
            <tbody>
                {page.results.into_iter().map(|w| view! {
                    <tr>
                        <td><a href=format!("/o/{org}/workflows/{}", w.id)>{w.name.clone()}</a></td>
                        <td><code>{w.trigger_event.clone()}</code></td>
                        <td><StatusBadge status=w.status /></td>
                        <td class="num">{w.version}</td>
                        <td><MaybeWhen at=w.last_run_at /></td>
                        <td class="num">{w.run_count}</td>
                        <td class="num">{rate(w.success_rate)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            <span>{format!("{first}–{last} of {}", page.total)}</span>
            {previous.map(|href| view! { <a href=href rel="prev">"Previous"</a> })}
            {next.map(|href| view! { <a href=href rel="next">"Next"</a> })}
        </nav>
    }
    .into_any()
}
