//! The step editor's buttons (add, remove, move a step; add, remove a mapping row) as
//! operations on the form's input. They run on the server so that they work without JavaScript.

use switchyard_model::workflow::{MappingRow, StepInput, WorkflowInput};

/// What a button of the workflow form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormOp {
    Save,
    AddStep,
    RemoveStep(usize),
    MoveUp(usize),
    MoveDown(usize),
    AddRow(usize),
    RemoveRow(usize, usize),
    AddFallbackRow(usize),
    RemoveFallbackRow(usize, usize),
}

impl FormOp {
    /// Reads a button's value (`save`, `remove_step:2`, `remove_row:1:0`); anything else saves.
    pub fn parse(op: &str) -> FormOp {
        let mut parts = op.split(':');
        let name = parts.next().unwrap_or_default();
        let mut num = || parts.next().and_then(|p| p.parse::<usize>().ok());
        match (name, num(), num()) {
            ("add_step", _, _) => FormOp::AddStep,
            ("remove_step", Some(i), _) => FormOp::RemoveStep(i),
            ("move_up", Some(i), _) => FormOp::MoveUp(i),
            ("move_down", Some(i), _) => FormOp::MoveDown(i),
            ("add_row", Some(i), _) => FormOp::AddRow(i),
            ("remove_row", Some(i), Some(j)) => FormOp::RemoveRow(i, j),
            ("add_fallback_row", Some(i), _) => FormOp::AddFallbackRow(i),
            ("remove_fallback_row", Some(i), Some(j)) => FormOp::RemoveFallbackRow(i, j),
            _ => FormOp::Save,
        }
    }

    /// The step (counted from 1) the form should come back at once applied, when the form
    /// then has `steps` steps: the one added, moved or changed, or the one now where a step
    /// was removed.
    pub fn step_after(self, steps: usize) -> Option<usize> {
        let at = match self {
            FormOp::Save => return None,
            FormOp::AddStep => steps,
            FormOp::RemoveStep(i) => (i + 1).min(steps),
            FormOp::MoveUp(i) => i,
            FormOp::MoveDown(i) => i + 2,
            FormOp::AddRow(i)
            | FormOp::RemoveRow(i, _)
            | FormOp::AddFallbackRow(i)
            | FormOp::RemoveFallbackRow(i, _) => i + 1,
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
            FormOp::RemoveStep(i) if i < steps.len() => {
                steps.remove(i);
            }
            FormOp::MoveUp(i) if i > 0 && i < steps.len() => steps.swap(i - 1, i),
            FormOp::MoveDown(i) if i + 1 < steps.len() => steps.swap(i, i + 1),
            FormOp::AddRow(i) => {
                if let Some(step) = steps.get_mut(i) {
                    step.mapping.push(MappingRow::default());
                }
            }
            FormOp::RemoveRow(i, j) => {
                if let Some(step) = steps.get_mut(i).filter(|s| j < s.mapping.len()) {
                    step.mapping.remove(j);
                }
            }
            FormOp::AddFallbackRow(i) => {
                if let Some(step) = steps.get_mut(i) {
                    step.fallback_mapping.push(MappingRow::default());
                }
            }
            FormOp::RemoveFallbackRow(i, j) => {
                if let Some(step) = steps.get_mut(i).filter(|s| j < s.fallback_mapping.len()) {
                    step.fallback_mapping.remove(j);
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
    }
}
