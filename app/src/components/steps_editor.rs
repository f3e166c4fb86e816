//! The steps editor: step rows (action, then mapping rows of field and expression) with add,
//! remove and move buttons. Each button submits the form with its own `op`, so the editor
//! works without JavaScript; nothing is saved until Save. Every step is a group named by its
//! visible legend ("Step 2"), and every button's name is the text it shows, so a person can
//! reach "Move up" in "Step 2" by what they see.

use crate::components::field::{FieldMessage, TextField};
use crate::components::request_form::RequestForm;
use crate::error::AppError;
use crate::form_ops::Rows;
use leptos::prelude::*;
use std::sync::Arc;
use switchyard_model::blame::Blame;
use switchyard_model::definition::HTTP_ACTION;
use switchyard_model::editor::{EditorChoices, step_outputs};
use switchyard_model::workflow::{MappingRow, StepInput, WorkflowInput};

/// What a step's lists offer and the remarks on the form.
#[derive(Clone, Debug)]
pub struct StepLists {
    input: WorkflowInput,
    pub(crate) choices: EditorChoices,
    notes: Vec<(String, String)>,
}

impl StepLists {
    fn note(&self, key: &str) -> Option<String> {
        self.notes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| n.clone())
    }
}

/// A `<datalist>`: choices a text field offers while anything else can still be typed. Each
/// option is a value and the words shown beside it.
#[component]
pub fn Choices(#[prop(into)] id: String, options: Vec<(String, String)>) -> impl IntoView {
    view! {
        <datalist id=id>
            {options
                .into_iter()
                .map(|(value, label)| view! { <option value=value.clone() label=(!label.is_empty()).then_some(label)>{value.clone()}</option> })
                .collect_view()}
        </datalist>
    }
}

/// Where the step editor's buttons post: they edit the form as typed and keep it unsaved.
pub(crate) const EDIT: &str =
    <crate::server_fns::workflows::EditWorkflowForm as leptos::server_fn::ServerFn>::PATH;

pub(crate) type Errors = Option<AppError>;

pub(crate) fn message(errors: &Errors, key: &str) -> Option<String> {
    errors.as_ref().and_then(|e| e.field(key))
}

/// Every step of the form.
#[component]
pub fn StepsEditor(
    input: WorkflowInput,
    errors: Errors,
    trigger_root: String,
    /// Where a failed run being fixed went wrong.
    blame: Option<Blame>,
    /// What to offer in each step's lists.
    choices: EditorChoices,
    /// Remarks on what nobody used before, keyed as field errors are.
    notes: Vec<(String, String)>,
) -> impl IntoView {
    let count = input.steps.len();
    let steps = input.steps.clone();
    // One copy for every step to read.
    let lists = Arc::new(StepLists {
        input,
        choices,
        notes,
    });
    let hint = format!(
        "Values can use the trigger's data ({trigger_root}.name), what an earlier step made (step.0.$id is step 1's id: \
         in values, steps count from 0), text in quotes, and + to join."
    );
    view! {
        <fieldset class="steps">
            <legend>"Steps"</legend>
            <p class="hint">{hint}</p>
            <FieldMessage id="steps" message=message(&errors, "steps") />
            {if count == 0 {
                view! { <p class="empty">"No steps yet. A workflow needs at least one step before it can be activated."</p> }.into_any()
            } else {
                view! {
                    <ol class="step-list">
                        {steps
                            .into_iter()
                            .enumerate()
                            .map(|(i, step)| {
                                let marked = blame.clone().filter(|b| b.step as usize == i);
                                view! { <StepRow index=i count=count step=step errors=errors.clone() marked lists=lists.clone() /> }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            <div class="step-adders">
                <button type="submit" formaction=EDIT name="op" value="add_step" class="secondary">"Add step"</button>
                <button type="submit" formaction=EDIT name="op" value="add_http_step" class="secondary">"Add HTTP request step"</button>
            </div>
        </fieldset>
    }
}

#[component]
fn StepRow(
    index: usize,
    count: usize,
    step: StepInput,
    errors: Errors,
    marked: Option<Blame>,
    lists: Arc<StepLists>,
) -> impl IntoView {
    let key = format!("steps.{index}");
    let fields_list = format!("step-{}-fields", index + 1);
    let values_list = format!("step-{}-values", index + 1);
    let field_options: Vec<(String, String)> = lists
        .choices
        .fields_of(&step.action)
        .iter()
        .map(|f| (f.clone(), String::new()))
        .collect();
    let value_options: Vec<(String, String)> = lists
        .choices
        .values
        .iter()
        .cloned()
        .chain(step_outputs(&lists.input, index))
        .map(|v| (v.expr, format!("{} ({})", v.words, v.example)))
        .collect();
    let action_note = lists.note(&format!("{key}.action"));
    let number = index + 1;
    // The step's anchor counts from 1, as its title does: `#step-2` is "Step 2".
    let id = format!("step-{number}");
    let name = |field: &str| format!("steps[{index}][{field}]");
    let is_marked = marked.is_some();
    let marked_note = marked.as_ref().map(|b| {
        view! { <p class="field-note" role="note">{format!("The run you are fixing failed here. {}", b.words)}</p> }
    });
    let open = !step.condition.is_empty() || !step.fallback_action.is_empty();
    let http = step.action.trim() == HTTP_ACTION;
    view! {
        <li class="step" class:marked=is_marked id=id.clone()>
            <fieldset class="step-group">
            <legend class="step-title">{format!("Step {number}")}</legend>
            <div class="step-tools">
                <button type="submit" formaction=EDIT name="op" value=format!("move_up:{index}") disabled=index == 0>"Move up"</button>
                <button type="submit" formaction=EDIT name="op" value=format!("move_down:{index}") disabled=index + 1 == count>"Move down"</button>
                <button type="submit" formaction=EDIT name="op" value=format!("remove_step:{index}") class="danger">"Remove step"</button>
            </div>
            {marked_note}
            <div class="grid two">
                <TextField id=format!("{id}-action") name=name("action") label="Action" value=step.action
                    placeholder="Customer.create" hint="What the step does, as Noun.verb: pick one, or type a new one."
                    error=message(&errors, &format!("{key}.action")) note=action_note list=Some("action-choices".to_owned()) />
                <TextField id=format!("{id}-name") name=name("name") label="Label (optional)" value=step.name
                    error=message(&errors, &format!("{key}.name")) />
            </div>
            <Choices id=fields_list.clone() options=field_options />
            <Choices id=values_list.clone() options=value_options />
            {if http {
                view! {
                    <RequestForm step=index request=step.request.clone() errors=errors.clone()
                        values_list=values_list.clone() lists=lists.clone() />
                }.into_any()
            } else {
                view! {
                    <MappingRows step=index rows=step.mapping errors=errors.clone() kind=Rows::Fields marked=marked
                        fields_list=fields_list.clone() values_list=values_list.clone() lists=lists.clone() />
                }.into_any()
            }}
            <details class="advanced" open=open>
                <summary>"Condition and fallback"</summary>
                <TextField id=format!("{id}-condition") name=name("condition") label="Run only when (optional)"
                    value=step.condition placeholder="deal.amount > 1000"
                    hint="When this is false the step is skipped."
                    error=message(&errors, &format!("{key}.condition")) />
                <TextField id=format!("{id}-fallback-action") name=name("fallback_action") label="Fallback action (optional)"
                    value=step.fallback_action placeholder="Task.create"
                    hint="Runs instead of this step when it fails and error handling is Fallback."
                    error=message(&errors, &format!("{key}.fallbackAction")) />
                <MappingRows step=index rows=step.fallback_mapping errors=errors kind=Rows::Fallback marked=None
                    fields_list values_list lists />
            </details>
            </fieldset>
        </li>
    }
}

#[component]
pub(crate) fn MappingRows(
    step: usize,
    rows: Vec<MappingRow>,
    errors: Errors,
    /// Which of the step's lists: its fields, its fallback's, its request's.
    kind: Rows,
    /// Where a failed run being fixed went wrong, when it is this step.
    marked: Option<Blame>,
    /// The ids of the step's field and value lists.
    fields_list: String,
    values_list: String,
    /// What the lists offer, and the remarks.
    lists: Arc<StepLists>,
) -> impl IntoView {
    // An example value from the trigger's real data, else one of its root.
    let placeholder = lists
        .choices
        .values
        .first()
        .map_or_else(|| "deal.name".to_owned(), |v| v.expr.clone());
    // The list's name in the form, in error keys, its title and its rows' words.
    let (list, key, title, (name_label, name_example), thing) = match kind {
        Rows::Fields => ("mapping", "mapping", "Fields", ("Field", "name"), "field"),
        Rows::Fallback => (
            "fallback_mapping",
            "fallbackMapping",
            "Fallback fields",
            ("Field", "name"),
            "field",
        ),
        Rows::Query => (
            "request][query",
            "request.query",
            "Query parameters",
            ("Parameter", "page"),
            "parameter",
        ),
        Rows::Headers => (
            "request][headers",
            "request.headers",
            "Headers",
            ("Header", "X-Source"),
            "header",
        ),
        Rows::Body => (
            "request][body",
            "request.body",
            "Body fields (JSON or form)",
            ("Field", "name"),
            "field",
        ),
    };
    let op = kind.as_str();
    let prefix = format!("step-{step}-{}", op.trim_end_matches("_row"));
    // Field names are offered for the step's own fields only.
    let fields_list = matches!(kind, Rows::Fields | Rows::Fallback).then_some(fields_list);
    view! {
        <fieldset class="mapping" data-rows=op>
            <legend>{title}</legend>
            {rows
                .into_iter()
                .enumerate()
                .map(|(j, row)| {
                    let row_key = format!("steps.{step}.{key}.{j}");
                    let field_error = message(&errors, &format!("{row_key}.field"));
                    let expr_error = message(&errors, &format!("{row_key}.expr"));
                    let blamed = marked.as_ref().filter(|b| b.field.as_deref() == Some(row.field.trim()));
                    let note = blamed.map(|b| match &b.value {
                        Some(v) => format!("The run you are fixing got “{v}” from this value."),
                        None => "The run you are fixing got nothing from this value.".to_owned(),
                    });
                    view! {
                        <div class="mapping-row" class:marked=blamed.is_some()>
                            <TextField id=format!("{prefix}-{j}-field") name=format!("steps[{step}][{list}][{j}][field]")
                                label=name_label value=row.field placeholder=name_example error=field_error
                                note=lists.note(&format!("{row_key}.field")) list=fields_list.clone() />
                            <TextField id=format!("{prefix}-{j}-expr") name=format!("steps[{step}][{list}][{j}][expr]")
                                label="Value" value=row.expr placeholder=placeholder.clone() error=expr_error note=note list=Some(values_list.clone()) />
                            <button type="submit" formaction=EDIT name="op" value=format!("remove_{op}:{step}:{j}") class="danger small">{format!("Remove {thing}")}</button>
                        </div>
                    }
                })
                .collect_view()}
            <button type="submit" formaction=EDIT name="op" value=format!("add_{op}:{step}") class="secondary small">{format!("Add {thing}")}</button>
        </fieldset>
    }
}
