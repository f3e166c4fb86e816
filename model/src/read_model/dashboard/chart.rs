//! A range's chart (every period, with its runs, rates and durations) and failure groups as
//! pages show them.

/// An error without the "Step 2 (Event.create): " it starts with, where the page says the step.
pub fn without_step(error: &str) -> &str {
    let Some(rest) = error.strip_prefix("Step ") else {
        return error;
    };
    match rest.split_once("): ") {
        Some((head, tail)) if head.contains(" (") && !head.contains(':') => tail,
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_groups_error_reads_without_the_step_it_names_anyway() {
        assert_eq!(
            without_step("Step 2 (Event.create): The field type must be an event type"),
            "The field type must be an event type"
        );
        assert_eq!(
            without_step("Step 2 failed; the steps after it still ran."),
            "Step 2 failed; the steps after it still ran."
        );
        assert_eq!(without_step("disk on fire"), "disk on fire");
    }
}
