//! The step editor's buttons (add, remove, move a step; add, remove a mapping row) as
//! operations on the form's input. They run on the server so that they work without JavaScript.

use switchyard_model::workflow::{MappingRow, StepInput, WorkflowInput};

/// A step's list of rows of a name and a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// The fields the step fills.
    Fields,
    /// The fields its fallback fills.
    Fallback,
    /// An HTTP request's query parameters, headers and body fields.
    Query,
    Headers,
    Body,
}

impl Rows {
    const ALL: [Rows; 5] = [
        Rows::Fields,
        Rows::Fallback,
        Rows::Query,
        Rows::Headers,
        Rows::Body,
    ];

    /// The list's name in buttons' values (`add_header_row:1`) and on its fieldset.
    pub fn as_str(self) -> &'static str {
        match self {
            Rows::Fields => "row",
            Rows::Fallback => "fallback_row",
            Rows::Query => "query_row",
            Rows::Headers => "header_row",
            Rows::Body => "body_row",
        }
    }

    fn of(self, step: &mut StepInput) -> &mut Vec<MappingRow> {
        match self {
            Rows::Fields => &mut step.mapping,
            Rows::Fallback => &mut step.fallback_mapping,
            Rows::Query => &mut step.request.query,
            Rows::Headers => &mut step.request.headers,
            Rows::Body => &mut step.request.body,
        }
    }
}

/// What a button of the workflow form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormOp {
    Save,
    AddStep,
    /// A step that calls out: `HTTP.request` with its request form.
    AddHttpStep,
    RemoveStep(usize),
    MoveUp(usize),
    MoveDown(usize),
    AddRow(Rows, usize),
    RemoveRow(Rows, usize, usize),
}

impl FormOp {
    /// Reads a button's value (`save`, `remove_step:2`, `remove_row:1:0`); anything else saves.
    pub fn parse(op: &str) -> FormOp {
        let mut parts = op.split(':');
        let name = parts.next().unwrap_or_default();
        let mut num = || parts.next().and_then(|p| p.parse::<usize>().ok());
        let (i, j) = (num(), num());
        let rows = |prefix: &str| {
            let list = name.strip_prefix(prefix)?;
            Rows::ALL.into_iter().find(|r| r.as_str() == list)
        };
        match (name, i, j) {
            ("add_step", _, _) => FormOp::AddStep,
            ("add_http_step", _, _) => FormOp::AddHttpStep,
            ("remove_step", Some(i), _) => FormOp::RemoveStep(i),
            ("move_up", Some(i), _) => FormOp::MoveUp(i),
            ("move_down", Some(i), _) => FormOp::MoveDown(i),
            (_, Some(i), None) if rows("add_").is_some() => {
                FormOp::AddRow(rows("add_").unwrap_or(Rows::Fields), i)
            }
            (_, Some(i), Some(j)) if rows("remove_").is_some() => {
                FormOp::RemoveRow(rows("remove_").unwrap_or(Rows::Fields), i, j)
            }
            _ => FormOp::Save,
        }
    }

    /// The step (counted from 1) the form should come back at once applied, when the form
    /// then has `steps` steps: the one added, moved or changed, or the one now where a step
    /// was removed.
    pub fn step_after(self, steps: usize) -> Option<usize> {
        let at = match self {
            FormOp::Save => return None,
            FormOp::AddStep | FormOp::AddHttpStep => steps,
            FormOp::RemoveStep(i) => (i + 1).min(steps),
            FormOp::MoveUp(i) => i,
            FormOp::MoveDown(i) => i + 2,
            FormOp::AddRow(_, i) | FormOp::RemoveRow(_, i, _) => i + 1,
        };
        (1..=steps).contains(&at).then_some(at)
    }

    /// Applies the operation; out-of-range positions change nothing.
    pub fn apply(self, input: &mut WorkflowInput) {
        let steps = &mut input.steps;
        match self {
            FormOp::Save => {}
            FormOp::AddStep => steps.push(StepInput {
                mapping: vec![MappingRow::default()],
                ..Default::default()
            }),
            FormOp::AddHttpStep => steps.push(StepInput {
                action: switchyard_model::definition::HTTP_ACTION.into(),
                request: switchyard_model::workflow::RequestInput {
                    method: "POST".into(),
                    body_kind: "json".into(),
                    body: vec![MappingRow::default()],
                    ..Default::default()
                },
                ..Default::default()
            }),
            FormOp::RemoveStep(i) if i < steps.len() => {
                steps.remove(i);
            }
            FormOp::MoveUp(i) if i > 0 && i < steps.len() => steps.swap(i - 1, i),
            FormOp::MoveDown(i) if i + 1 < steps.len() => steps.swap(i, i + 1),
            FormOp::AddRow(rows, i) => {
                if let Some(step) = steps.get_mut(i) {
                    rows.of(step).push(MappingRow::default());
                }
            }
            FormOp::RemoveRow(rows, i, j) => {
                if let Some(list) = steps.get_mut(i).map(|s| rows.of(s)).filter(|l| j < l.len()) {
                    list.remove(j);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> WorkflowInput {
        WorkflowInput {
            steps: names
                .iter()
                .map(|n| StepInput {
                    name: (*n).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn names(input: &WorkflowInput) -> Vec<&str> {
        input.steps.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn steps_move_and_go_away_within_bounds() {
        let mut input = named(&["a", "b", "c"]);
        FormOp::parse("move_up:2").apply(&mut input);
        assert_eq!(names(&input), ["a", "c", "b"]);
        FormOp::parse("move_down:0").apply(&mut input);
        assert_eq!(names(&input), ["c", "a", "b"]);
        FormOp::parse("move_up:0").apply(&mut input);
        FormOp::parse("move_down:2").apply(&mut input);
        FormOp::parse("remove_step:9").apply(&mut input);
        assert_eq!(names(&input), ["c", "a", "b"]);
        FormOp::parse("remove_step:1").apply(&mut input);
        assert_eq!(names(&input), ["c", "b"]);
        FormOp::parse("add_step").apply(&mut input);
        assert_eq!(input.steps.len(), 3);
        assert_eq!(
            input.steps[2].mapping.len(),
            1,
            "a new step starts with one empty row"
        );
    }

    #[test]
    fn rows_are_added_and_removed_per_step() {
        let mut input = named(&["a"]);
        FormOp::parse("add_row:0").apply(&mut input);
        FormOp::parse("add_row:0").apply(&mut input);
        input.steps[0].mapping[1].field = "second".into();
        FormOp::parse("remove_row:0:0").apply(&mut input);
        assert_eq!(
            input.steps[0]
                .mapping
                .iter()
                .map(|r| r.field.as_str())
                .collect::<Vec<_>>(),
            ["second"]
        );
        FormOp::parse("add_fallback_row:0").apply(&mut input);
        assert_eq!(input.steps[0].fallback_mapping.len(), 1);
        FormOp::parse("add_header_row:0").apply(&mut input);
        FormOp::parse("add_query_row:0").apply(&mut input);
        FormOp::parse("add_body_row:0").apply(&mut input);
        FormOp::parse("add_body_row:0").apply(&mut input);
        FormOp::parse("remove_body_row:0:1").apply(&mut input);
        let request = &input.steps[0].request;
        assert_eq!(
            (
                request.headers.len(),
                request.query.len(),
                request.body.len()
            ),
            (1, 1, 1)
        );
        FormOp::parse("add_http_step").apply(&mut input);
        assert_eq!(input.steps[1].action, "HTTP.request");
        assert_eq!(input.steps[1].request.body_kind, "json");
    }

    #[test]
    fn the_form_comes_back_at_the_step_a_button_changed() {
        assert_eq!(FormOp::parse("add_step").step_after(3), Some(3));
        assert_eq!(FormOp::parse("move_up:2").step_after(3), Some(2));
        assert_eq!(FormOp::parse("move_down:0").step_after(3), Some(2));
        assert_eq!(FormOp::parse("remove_step:2").step_after(2), Some(2));
        assert_eq!(FormOp::parse("remove_step:0").step_after(0), None);
        assert_eq!(FormOp::parse("add_row:1").step_after(3), Some(2));
        assert_eq!(FormOp::parse("save").step_after(3), None);
    }

    #[test]
    fn unknown_buttons_save() {
        assert_eq!(FormOp::parse("save"), FormOp::Save);
        assert_eq!(FormOp::parse("explode:1"), FormOp::Save);
        assert_eq!(FormOp::parse("remove_row:1"), FormOp::Save);
        assert_eq!(FormOp::parse("add_nothing_row:1"), FormOp::Save);
    }
}
