//! `/o/{org}/workflows/new` and `/o/{org}/workflows/{id}/edit`: every editable field and the
//! steps editor. Invalid input comes back with a message next to each field and nothing saved.

use crate::components::field::{FieldMessage, TextField};
use crate::components::format::StatusBadge;
use crate::components::layout::org_param;
use crate::components::sample::SampleFields;
use crate::components::steps_editor::Choices;
use crate::components::steps_editor::StepsEditor;
use crate::error::AppError;
use crate::server_fns::auth::current_member;
use crate::server_fns::runs::get_run;
use crate::server_fns::workflows::{
    EditWorkflowForm, Editing, PreviewWorkflow, SaveWorkflow, editing_workflow, get_workflow,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use switchyard_model::blame::Blame;
use switchyard_model::definition::Backoff;
use switchyard_model::editor::EditorChoices;
use switchyard_model::entity::RunDetail;
use switchyard_model::mapping::root_for_trigger;
use switchyard_model::workflow::{ErrorHandling, MappingRow, StepInput, WorkflowInput};
use switchyard_model::{Verb, Workflow};

#[component]
pub fn NewWorkflow() -> impl IntoView {
    let org = org_param();
    let blank = WorkflowInput {
        steps: vec![StepInput {
            mapping: vec![MappingRow::default()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let member = Resource::new(move || org.get(), current_member);
    let kept = Resource::new(
        move || org.get(),
        |org| editing_workflow(org, String::new()),
    );
    view! {
        <Title text="New workflow" />
        <h1>"New workflow"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let blank = blank.clone();
                Suspend::new(async move {
                    let (kept, choices) = kept.await.unwrap_or_default();
                    match member.await {
                        Ok(m) if m.role.may_edit() => view! { <WorkflowForm org=m.org.slug existing=None initial=blank kept choices fixing=None /> }.into_any(),
                        Ok(_) => crate::pages::error_view(AppError::Forbidden),
                        Err(err) => crate::pages::error_view(err),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn EditWorkflow() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let view_data = Resource::new(
        move || (org.get(), id.get()),
        |(org, id)| get_workflow(org, id),
    );
    let kept = Resource::new(
        move || (org.get(), id.get()),
        |(org, id)| editing_workflow(org, id),
    );
    // `?run=` names the failed run this edit fixes: its event is the sample, its failed step
    // and field are marked.
    let query = use_query_map();
    let fixing = Resource::new(
        move || (org.get(), query.read().get("run")),
        |(org, run)| async move {
            match run {
                Some(run) => get_run(org, run).await.ok(),
                None => None,
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (kept, choices) = kept.await.unwrap_or_default();
                let fixing = fixing.await;
                match view_data.await {
                    Ok(data) if !data.overview.verbs.contains(&Verb::Update) => {
                        let w = data.overview.workflow;
                        let why = if data.overview.may_edit {
                            format!("A workflow that is {} cannot be edited.", w.status)
                        } else {
                            AppError::Forbidden.to_string()
                        };
                        view! {
                            <Title text=format!("Edit {}", w.name) />
                            <h1>"Edit workflow"</h1>
                            <p class="problem" role="alert">{why}</p>
                            <p><a href=format!("/o/{}/workflows/{}", data.member.org.slug, w.id)>"Back to " {w.name.clone()}</a></p>
                        }
                            .into_any()
                    }
                    Ok(data) => {
                        let w = data.overview.workflow;
                        let initial = WorkflowInput::from_fields(&w.fields());
                        let fixing = fixing.filter(|f| f.run.workflow == w.id).map(Fixing::from);
                        view! {
                            <Title text=format!("Edit {}", w.name) />
                            <p class="crumbs"><a href=format!("/o/{}/workflows/{}", org.get_untracked(), w.id)>"← " {w.name.clone()}</a></p>
                            <h1>"Edit workflow"</h1>
                            <WorkflowForm org=org.get_untracked() existing=Some(w) initial=initial kept choices fixing />
                        }
                            .into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}

/// The failed run an edit fixes: its id, its event's data and what went wrong where.
#[derive(Clone, Debug)]
pub struct Fixing {
    pub run: String,
    pub version: i32,
    pub sample: serde_json::Value,
    pub blame: Option<Blame>,
}

impl From<RunDetail> for Fixing {
    fn from(detail: RunDetail) -> Self {
        Fixing {
            run: detail.run.id.to_string(),
            version: detail.run.workflow_version,
            sample: detail.event_data,
            blame: detail.blame,
        }
    }
}

/// The form itself. What it shows: the input an error brought back, else the form as a step
/// button or a preview left it (`kept`), else `initial`.
#[component]
fn WorkflowForm(
    org: String,
    existing: Option<Workflow>,
    initial: WorkflowInput,
    kept: Option<Editing>,
    choices: EditorChoices,
    fixing: Option<Fixing>,
) -> impl IntoView {
    let save = ServerAction::<SaveWorkflow>::new();
    // The buttons that post elsewhere bring their errors back to these.
    let preview = ServerAction::<PreviewWorkflow>::new();
    let edit = ServerAction::<EditWorkflowForm>::new();
    let outcome = [save.value(), preview.value(), edit.value()]
        .into_iter()
        .find_map(|value| value.get_untracked().and_then(|r| r.err()));
    let input = outcome
        .as_ref()
        .and_then(|e| e.input())
        .cloned()
        .or_else(|| kept.as_ref().map(|k| k.input.clone()))
        .unwrap_or(initial);
    let version = match &outcome {
        // Saving again after a conflict overwrites the version the user has now seen.
        Some(AppError::Conflict { current, .. }) => Some(current.version),
        _ => existing.as_ref().map(|w| w.version),
    };
    let errors = outcome.clone();
    let dry = kept.as_ref().and_then(|k| k.dry.clone());
    // The preview's sample, and where it comes from, in words.
    let pretty = |data: &serde_json::Value| serde_json::to_string_pretty(data).unwrap_or_default();
    let (sample, sample_origin) = if let Some(kept) = outcome
        .as_ref()
        .and_then(|e| e.kept("sample"))
        .or_else(|| kept.map(|k| k.sample))
    {
        (kept, "The sample as you left it.".to_owned())
    } else if let Some(f) = &fixing {
        (
            pretty(&f.sample),
            "The event of the run you are fixing.".to_owned(),
        )
    } else {
        let examples = || {
            let expressions = input
                .steps
                .iter()
                .flat_map(|s| s.mapping.iter().map(|r| r.expr.as_str()));
            switchyard_model::mapping::sample_data(&input.trigger_event, expressions)
        };
        let (data, origin) = switchyard_model::sample::starting(
            &input.trigger_event,
            choices.latest.as_ref(),
            examples,
        );
        (pretty(&data), origin)
    };
    let sample_error = errors.as_ref().and_then(|e| e.field("sample"));
    let trigger = input.trigger_event.clone();
    let open_preview = dry.is_some() || sample_error.is_some() || fixing.is_some();
    let cancel = match &existing {
        Some(w) => format!("/o/{org}/workflows/{}", w.id),
        None => format!("/o/{org}/workflows"),
    };
    let id = existing
        .as_ref()
        .map(|w| w.id.to_string())
        .unwrap_or_default();
    let submit = if existing.is_some() {
        "Save changes"
    } else {
        "Create workflow"
    };
    view! {
        <crate::components::edit_in_place::EditInPlace />
        <div id=crate::components::edit_in_place::EDITOR_ID>
        {errors.clone().map(|e| view! { <FormProblem error=e /> })}
        <ActionForm action=save attr:class="workflow-form" attr:novalidate="true">
            // Enter in a text field presses the first submit button: make it Save.
            <button type="submit" class="visually-hidden" tabindex="-1" aria-hidden="true">"Save"</button>
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="version" value=version.map(|v| v.to_string()).unwrap_or_default() />
            {fixing.as_ref().map(|f| view! { <FixingNotice fixing=f.clone() /> })}
            <input type="hidden" name="fixing" value=fixing.as_ref().map(|f| f.run.clone()).unwrap_or_default() />
            <Fields input=input errors=errors blame=fixing.and_then(|f| f.blame) choices />
            <details class="trigger" open=open_preview>
                <summary>"Preview with sample data"</summary>
                <p class="hint">{sample_origin}" Shows what each step, as typed above, would do with this data. Nothing is saved or run."</p>
                <SampleFields name="sample_field" title=format!("Sample {} data", if trigger.is_empty() { "event".to_owned() } else { trigger })
                    data=sample error=sample_error />
                <button type="submit" formaction=PreviewWorkflow::PATH>"Preview with sample data"</button>
                {dry.map(|dry| view! { <crate::pages::workflow_detail::DryRunView dry /> })}
            </details>
            <div class="actions">
                <button type="submit" class="primary">{submit}</button>
                <a href=cancel>"Cancel"</a>
            </div>
        </ActionForm>
        </div>
    }
}

/// The message above the form: what to fix, or who else saved.
#[component]
fn FormProblem(error: AppError) -> impl IntoView {
    match error {
        AppError::Conflict { current, .. } => view! {
            <div class="problem conflict" role="alert">
                <h2>"Someone else changed this workflow while you were editing it"</h2>
                <p>{format!("It is now at version {}. What is saved now:", current.version)}</p>
                <dl class="current">
                    <dt>"Name"</dt><dd>{current.name.clone()}</dd>
                    <dt>"Trigger event"</dt><dd><code>{current.trigger_event.clone()}</code></dd>
                    <dt>"Status"</dt><dd><StatusBadge status=current.status /></dd>
                    <dt>"Steps"</dt><dd>{current.step_count()}</dd>
                    <dt>"Description"</dt><dd>{current.description.clone()}</dd>
                </dl>
                <p>"Your edits are kept in the form below. Save again to replace the current version with them, or cancel to keep it."</p>
            </div>
        }
        .into_any(),
        AppError::Invalid { errors, .. } => {
            let count = errors.len();
            view! {
                <div class="problem" role="alert">
                    <h2>{if count == 1 { "1 field needs attention".to_owned() } else { format!("{count} fields need attention") }}</h2>
                    <p>"Nothing was saved. Each message is next to its field."</p>
                </div>
            }
            .into_any()
        }
        other => view! { <div class="problem" role="alert"><p>{other.to_string()}</p></div> }.into_any(),
    }
}

/// Above a form opened from a failed run: which run, and what to change.
#[component]
fn FixingNotice(fixing: Fixing) -> impl IntoView {
    let words = fixing.blame.as_ref().map(|b| b.words.clone());
    view! {
        <div class="notice fixing" role="status">
            <p>{format!("Fixing a failed run (it ran version {}). ", fixing.version)} {words}</p>
            <p class="hint">"The step is marked below, and the preview's sample is this run's event. Once you save, you can retry the runs that failed this way."</p>
        </div>
    }
}

#[component]
fn Fields(
    input: WorkflowInput,
    errors: Option<AppError>,
    blame: Option<Blame>,
    choices: EditorChoices,
) -> impl IntoView {
    let message = |key: &str| errors.as_ref().and_then(|e| e.field(key));
    let notes = choices.notes(&input);
    let whole = input.clone();
    let note = |key: &str| notes.iter().find(|(k, _)| k == key).map(|(_, n)| n.clone());
    let trigger_root = match root_for_trigger(&input.trigger_event) {
        root if root.is_empty() => "deal".to_owned(),
        root => root,
    };
    let handling = input.error_handling.clone();
    let backoff = input.retry.backoff.clone();
    view! {
        <div class="grid two">
            <TextField id="name" name="name" label="Name" value=input.name required=true error=message("name") />
            <TextField id="trigger_event" name="trigger_event" label="Trigger event" value=input.trigger_event
                required=true placeholder="Deal.won" hint="The event that starts this workflow, as Noun.verb: pick one that has arrived, or type a new one."
                error=message("triggerEvent") note=note("triggerEvent") list=Some("trigger-choices".to_owned()) />
        </div>
        <div class="field" class:invalid=message("description").is_some()>
            <label for="description">"Description"</label>
            <textarea id="description" name="description" rows="2">{input.description}</textarea>
            <FieldMessage id="description" message=message("description") />
        </div>
        <Choices id="trigger-choices" options=choices.triggers.iter().map(|t| (t.clone(), String::new())).collect() />
        <Choices id="action-choices" options=choices.actions.iter().map(|a| (a.clone(), String::new())).collect() />
        <StepsEditor input=whole errors=errors.clone() trigger_root=trigger_root blame choices notes />
        <fieldset class="grid three">
            <legend>"When something goes wrong"</legend>
            <div class="field" class:invalid=message("errorHandling").is_some()>
                <label for="error_handling">"If a step fails"</label>
                <select id="error_handling" name="error_handling">
                    {ErrorHandling::ALL.into_iter().map(|e| {
                        let selected = handling == e.as_str() || (handling.is_empty() && e == ErrorHandling::Stop);
                        view! { <option value=e.as_str() selected=selected>{e.label()}</option> }
                    }).collect_view()}
                </select>
                <FieldMessage id="error_handling" message=message("errorHandling") />
            </div>
            <TextField id="timeout_ms" name="timeout_ms" label="Time limit for a run (optional)" value=input.timeout_ms
                placeholder="30 s" hint="Like 30 s or 2 min. Leave empty for no limit." error=message("timeout") />
            <TextField id="retry_max_attempts" name="retry[max_attempts]" label="Attempts per step (optional)"
                value=input.retry.max_attempts placeholder="1" hint="From 1 to 10. Leave empty for a single attempt."
                error=message("retryPolicy.maxAttempts") />
            <div class="field" class:invalid=message("retryPolicy.backoff").is_some()>
                <label for="retry_backoff">"Wait between attempts"</label>
                <select id="retry_backoff" name="retry[backoff]">
                    <option value="" selected=backoff.is_empty()>{format!("{} (default)", Backoff::default().label())}</option>
                    {Backoff::ALL
                        .into_iter()
                        .map(|b| view! { <option value=b.as_str() selected=backoff == b.as_str()>{b.label()}</option> })
                        .collect_view()}
                </select>
                <FieldMessage id="retry_backoff" message=message("retryPolicy.backoff") />
            </div>
            <TextField id="retry_delay_ms" name="retry[delay_ms]" label="First wait" value=input.retry.delay_ms
                placeholder="1 s" hint="Like 1 s or 2 min." error=message("retryPolicy.delayMs") />
            <TextField id="retry_max_delay_ms" name="retry[max_delay_ms]" label="Longest wait (optional)"
                value=input.retry.max_delay_ms hint="Waits that grow stop growing here." error=message("retryPolicy.maxDelayMs") />
        </fieldset>
        <FieldMessage id="version" message=message("version") />
    }
}
