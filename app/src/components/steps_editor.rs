//! The steps editor: step rows (action, then mapping rows of field and expression) with add,
//! remove and move buttons. Each button submits the form with its own `op`, so the editor
//! works without JavaScript; nothing is saved until Save. Every step is a group named by its
//! visible legend ("Step 2"), and every button's name is the text it shows, so a person can
//! reach "Move up" in "Step 2" by what they see.

use crate::components::field::{FieldMessage, TextField};
use crate::error::AppError;
use leptos::prelude::*;
use switchyard_model::workflow::{MappingRow, StepInput};

/// Where the step editor's buttons post: they edit the form as typed and keep it unsaved.
const EDIT: &str =
    <crate::server_fns::workflows::EditWorkflowForm as leptos::server_fn::ServerFn>::PATH;

type Errors = Option<AppError>;

fn message(errors: &Errors, key: &str) -> Option<String> {
    errors.as_ref().and_then(|e| e.field(key))
}

/// Every step of the form.
#[component]
pub fn StepsEditor(steps: Vec<StepInput>, errors: Errors, trigger_root: String) -> impl IntoView {
    let count = steps.len();
    let hint =
        format!("Values can use {trigger_root}.name, step.0.$id, text in quotes, and + to join.");
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
                            .map(|(i, step)| view! { <StepRow index=i count=count step=step errors=errors.clone() /> })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            <button type="submit" formaction=EDIT name="op" value="add_step" class="secondary">"Add step"</button>
        </fieldset>
    }
}

#[component]
fn StepRow(index: usize, count: usize, step: StepInput, errors: Errors) -> impl IntoView {
    let key = format!("steps.{index}");
    let id = format!("step-{index}");
    let name = |field: &str| format!("steps[{index}][{field}]");
    let number = index + 1;
    let open = !step.condition.is_empty() || !step.fallback_action.is_empty();
    view! {
        <li class="step" id=id.clone()>
            <fieldset class="step-group">
            <legend class="step-title">{format!("Step {number}")}</legend>
            <div class="step-tools">
                <button type="submit" formaction=EDIT name="op" value=format!("move_up:{index}") disabled=index == 0>"Move up"</button>
                <button type="submit" formaction=EDIT name="op" value=format!("move_down:{index}") disabled=index + 1 == count>"Move down"</button>
                <button type="submit" formaction=EDIT name="op" value=format!("remove_step:{index}") class="danger">"Remove step"</button>
            </div>
            <div class="grid two">
                <TextField id=format!("{id}-action") name=name("action") label="Action" value=step.action
                    placeholder="Customer.create" hint="What the step does, as Noun.verb: Customer.create, Contact.assign, Event.create."
                    error=message(&errors, &format!("{key}.action")) />
                <TextField id=format!("{id}-name") name=name("name") label="Label (optional)" value=step.name
                    error=message(&errors, &format!("{key}.name")) />
            </div>
            <MappingRows step=index rows=step.mapping errors=errors.clone() fallback=false />
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
                <MappingRows step=index rows=step.fallback_mapping errors=errors fallback=true />
            </details>
            </fieldset>
        </li>
    }
}

#[component]
fn MappingRows(
    step: usize,
    rows: Vec<MappingRow>,
    errors: Errors,
    fallback: bool,
) -> impl IntoView {
    let (list, key, op, title) = if fallback {
        (
            "fallback_mapping",
            "fallbackMapping",
            "fallback_row",
            "Fallback fields",
        )
    } else {
        ("mapping", "mapping", "row", "Fields")
    };
    let prefix = format!("step-{step}-{list}");
    view! {
        <fieldset class="mapping">
            <legend>{title}</legend>
            {rows
                .into_iter()
                .enumerate()
                .map(|(j, row)| {
                    let row_key = format!("steps.{step}.{key}.{j}");
                    let field_error = message(&errors, &format!("{row_key}.field"));
                    let expr_error = message(&errors, &format!("{row_key}.expr"));
                    view! {
                        <div class="mapping-row">
                            <TextField id=format!("{prefix}-{j}-field") name=format!("steps[{step}][{list}][{j}][field]")
                                label="Field" value=row.field placeholder="name" error=field_error />
                            <TextField id=format!("{prefix}-{j}-expr") name=format!("steps[{step}][{list}][{j}][expr]")
                                label="Value" value=row.expr placeholder="deal.name" error=expr_error />
                            <button type="submit" formaction=EDIT name="op" value=format!("remove_{op}:{step}:{j}") class="danger small">"Remove field"</button>
                        </div>
                    }
                })
                .collect_view()}
            <button type="submit" formaction=EDIT name="op" value=format!("add_{op}:{step}") class="secondary small">"Add field"</button>
        </fieldset>
    }
}
