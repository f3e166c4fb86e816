//! `/o/{org}/workflows/{id}/versions`: every version (who, when, what changed in a line), any
//! two side by side in plain words, and restoring an older one (asked first). The versions
//! compared and the one about to be restored are in the address.

use crate::components::layout::org_param;
use crate::server_fns::workflows::{RestoreVersion, get_versions};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use switchyard_model::read_model::versions::{Comparison, Versions};

#[component]
pub fn VersionsPage() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let asked = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("a").unwrap_or_default(),
            q.get("b").unwrap_or_default(),
            q.get("before").unwrap_or_default(),
        )
    });
    let data = Resource::new(
        move || (org.get(), id.get(), asked.get()),
        |(org, id, (a, b, before))| get_versions(org, id, a, b, before),
    );
    let restore = ServerAction::<RestoreVersion>::new();
    view! {
        <Suspense fallback=|| view! { <p>"Loading the versions…"</p> }>
            {move || {
                let confirm = query.read().get("restore").and_then(|v| v.parse::<i32>().ok());
                Suspend::new(async move {
                    match data.await {
                        Ok((member, versions)) => view! { <Body org=member.org.slug versions restore confirm /> }.into_any(),
                        Err(err) => crate::pages::error_view(err),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Body(
    org: String,
    versions: Versions,
    restore: ServerAction<RestoreVersion>,
    confirm: Option<i32>,
) -> impl IntoView {
    let w = versions.workflow;
    let base = format!("/o/{org}/workflows/{}", w.id);
    let numbers: Vec<i32> = versions.versions.iter().map(|v| v.version).collect();
    let (a, b) = versions
        .comparison
        .as_ref()
        .map(|c| (c.a, c.b))
        .unwrap_or((w.version.saturating_sub(1).max(1), w.version));
    let refused = move || {
        restore
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let confirming = confirm.filter(|v| versions.may_restore && *v != w.version && *v >= 1);
    // The restore link compares the current version with the one restored: what goes back.
    let goes_back = versions
        .comparison
        .as_ref()
        .filter(|c| Some(c.b) == confirming && c.a == w.version)
        .map(Comparison::sentences);
    view! {
        <Title text=format!("Versions of {}", w.name) />
        <p class="crumbs"><a href=base.clone()>"← " {w.name.clone()}</a></p>
        <h1>"Versions"</h1>
        {move || refused().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        {confirming.map(|v| view! {
            <div class="confirm" role="alertdialog" aria-labelledby="restore-title">
                <h2 id="restore-title">{format!("Restore version {v}?")}</h2>
                <p>{format!("This saves version {} with the fields of version {v}. Version {} and every other version stay in the history.", w.version + 1, w.version)}</p>
                {goes_back.clone().map(|lines| if lines.is_empty() {
                    view! { <p>{format!("Version {v} has the same fields as version {}: nothing changes but the version number.", w.version)}</p> }.into_any()
                } else {
                    view! {
                        <p>"What goes back:"</p>
                        <ul class="changes">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    }.into_any()
                })}
                <p class="hint">"Runs that failed stay failed: once it is saved, retry them from the runs page."</p>
                <ActionForm action=restore attr:class="inline">
                    <input type="hidden" name="org" value=org.clone() />
                    <input type="hidden" name="id" value=w.id.to_string() />
                    <input type="hidden" name="version" value=v.to_string() />
                    <input type="hidden" name="based_on" value=w.version.to_string() />
                    <button type="submit" class="primary">{format!("Restore version {v}")}</button>
                </ActionForm>
                " " <a href=format!("{base}/versions")>"Cancel"</a>
            </div>
        })}
        <form method="get" class="filters" aria-label="Compare two versions">
            <div class="field">
                <label for="a">"Compare version"</label>
                <input id="a" name="a" type="number" inputmode="numeric" min="1" max=w.version.to_string() value=a.to_string() />
            </div>
            <div class="field">
                <label for="b">"with version"</label>
                <input id="b" name="b" type="number" inputmode="numeric" min="1" max=w.version.to_string() value=b.to_string() />
            </div>
            <button type="submit">"Compare"</button>
        </form>
        {versions.comparison.map(|c| view! { <Compared comparison=c /> }.into_any())}
        <History base=base.clone() may_restore=versions.may_restore current=w.version rows=versions.versions />
        <Pages base total=versions.total shown=numbers older=versions.older newer=versions.newer />
    }
}

/// Where this page of the history is among them all, and the links to the pages beside it.
#[component]
fn Pages(
    base: String,
    total: usize,
    shown: Vec<i32>,
    older: Option<i32>,
    newer: Option<Option<i32>>,
) -> impl IntoView {
    let (Some(newest), Some(oldest)) = (shown.first(), shown.last()) else {
        return ().into_any();
    };
    if shown.len() == total {
        return ().into_any();
    }
    let place = format!("Versions {oldest}–{newest} of {total}");
    let page = |before: Option<i32>| match before {
        Some(b) => format!("{base}/versions?before={b}"),
        None => format!("{base}/versions"),
    };
    view! {
        <nav class="pager" aria-label="Pages of versions">
            <span>{place}</span>
            {newer.map(|b| view! { " " <a href=page(b)>"← Newer versions"</a> })}
            {older.map(|b| view! { " " <a href=page(Some(b))>"Older versions →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn History(
    base: String,
    may_restore: bool,
    /// The current version, which a restore is compared with.
    current: i32,
    rows: Vec<switchyard_model::read_model::versions::VersionRow>,
) -> impl IntoView {
    view! {
        <h2>"History"</h2>
        <table class="workflows versions" tabindex="0">
            <thead><tr>
                <th scope="col">"Version"</th><th scope="col">"Saved"</th><th scope="col">"By"</th>
                <th scope="col">"What changed"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|v| {
                    let n = v.version;
                    view! {
                        <tr>
                            <td>{n}{v.current.then_some(" (current)")}</td>
                            <td>{v.saved}</td>
                            <td>{v.by.unwrap_or_else(|| "An API key".into())}</td>
                            <td>{v.summary}</td>
                            <td class="actions">
                                {(n > 1).then(|| view! { <a href=format!("{base}/versions?a={}&b={n}", n - 1)>"Compare with the one before"</a> })}
                                {(may_restore && !v.current).then(|| view! {
                                    " " <a class="button" href=format!("{base}/versions?restore={n}&a={current}&b={n}")>{format!("Restore version {n}")}</a>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Compared(comparison: Comparison) -> impl IntoView {
    let c = comparison;
    let (a, b) = (format!("Version {}", c.a), format!("Version {}", c.b));
    // A step's lines; those the other version does not have are marked.
    let lines = |lines: Vec<String>, other: &[String]| {
        if lines.is_empty() {
            view! { <span class="hint">"No such step"</span> }.into_any()
        } else {
            let other = other.to_vec();
            view! {
                <ul class="plain">
                    {lines.into_iter().map(|l| {
                        let changed = !other.contains(&l);
                        view! { <li class:line-changed=changed>{changed.then(|| view! { <span class="visually-hidden">"Changed: "</span> })}<code>{l}</code></li> }
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }
    };
    let sentences = c.sentences();
    let changes = c.fields.iter().filter(|f| f.changed).count()
        + c.steps.iter().filter(|s| s.changed).count();
    view! {
        <section aria-labelledby="compared">
            <h2 id="compared">{format!("Version {} and version {}", c.a, c.b)}</h2>
            <p class="hint">{match changes { 0 => "They are the same.".to_owned(), 1 => "One difference, marked “Changed”.".to_owned(), n => format!("{n} differences, marked “Changed”.") }}</p>
            {(!sentences.is_empty()).then(|| view! {
                <ul class="changes">{sentences.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            })}
            <table class="workflows compare" tabindex="0">
                <thead><tr><th scope="col">"Field"</th><th scope="col">{a.clone()}</th><th scope="col">{b.clone()}</th></tr></thead>
                <tbody>
                    {c.fields.into_iter().map(|f| view! {
                        <tr class:changed=f.changed>
                            <th scope="row">{f.label}{f.changed.then(|| view! { <span class="badge changed">"Changed"</span> })}</th>
                            <td>{f.a}</td><td>{f.b}</td>
                        </tr>
                    }).collect_view()}
                    {c.steps.into_iter().map(|s| view! {
                        <tr class:changed=s.changed>
                            <th scope="row">{format!("Step {}", s.number)}{s.changed.then(|| view! { <span class="badge changed">"Changed"</span> })}</th>
                            <td>{lines(s.a.clone(), &s.b)}</td><td>{lines(s.b.clone(), &s.a)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
