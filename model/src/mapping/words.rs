//! An expression in words, for people who do not read the mapping language:
//! `invoice.channel` is "the invoice's channel", `step.0.$id` "step 1's id",
//! `"Reminder.sent"` "the fixed text “Reminder.sent”".

use super::{CompareOp, Expr, known_roots, parse};
use serde_json::Value;

/// `source` (an expression of a workflow triggered by `trigger_event`) in words; the source
/// itself when it does not parse.
pub fn in_words(source: &str, trigger_event: &str) -> String {
    match parse(source, &known_roots(trigger_event)) {
        Ok(expr) => words(&expr),
        Err(_) => source.trim().to_owned(),
    }
}

/// A field name as words: `$id` is "id", `first-name` "first name", `dueAt` "due at".
pub fn field_words(name: &str) -> String {
    let name = name.trim_start_matches('$');
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        match c {
            '-' | '_' => out.push(' '),
            c if c.is_uppercase() && i > 0 => {
                out.push(' ');
                out.extend(c.to_lowercase());
            }
            c => out.push(c),
        }
    }
    out
}

fn words(expr: &Expr) -> String {
    match expr {
        Expr::Literal(Value::String(s)) => format!("the fixed text “{s}”"),
        Expr::Literal(Value::Null) => "nothing".to_owned(),
        Expr::Literal(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        Expr::Literal(value) => format!("the number {value}"),
        Expr::Path { root, segments } => path_words(root, segments),
        Expr::Sum(terms) => {
            let parts: Vec<String> = terms.iter().map(words).collect();
            match parts.split_last() {
                Some((last, rest)) => format!("{} joined with {last}", rest.join(", ")),
                None => String::new(),
            }
        }
        Expr::Compare(op, a, b) => {
            let how = match op {
                CompareOp::Eq => "is",
                CompareOp::Ne => "is not",
                CompareOp::Gt => "is more than",
                CompareOp::Ge => "is at least",
                CompareOp::Lt => "is less than",
                CompareOp::Le => "is at most",
            };
            format!("whether {} {how} {}", words(a), words(b))
        }
    }
}

fn path_words(root: &str, segments: &[String]) -> String {
    let rest = |from: usize| {
        segments[from.min(segments.len())..]
            .iter()
            .map(|s| field_words(s))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let owner = match root {
        "step" => match segments.first().and_then(|s| s.parse::<usize>().ok()) {
            Some(n) => {
                let what = rest(1);
                return if what.is_empty() {
                    format!("what step {} made", n + 1)
                } else {
                    format!("step {}'s {what}", n + 1)
                };
            }
            None => "the steps".to_owned(),
        },
        "event" => "the event".to_owned(),
        "workflow" => "the workflow".to_owned(),
        "org" => "the organization".to_owned(),
        noun => format!("the {}", field_words(noun)),
    };
    match rest(0) {
        what if what.is_empty() => owner,
        what => format!("{owner}'s {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{field_words, in_words};

    #[test]
    fn expressions_read_as_words() {
        let cases = [
            ("invoice.channel", "the invoice's channel"),
            ("invoice.customer.email", "the invoice's customer email"),
            ("step.0.$id", "step 1's id"),
            ("step.1", "what step 2 made"),
            ("\"Reminder.sent\"", "the fixed text “Reminder.sent”"),
            (
                "\"Welcome \" + invoice.name",
                "the fixed text “Welcome ” joined with the invoice's name",
            ),
            ("12", "the number 12"),
            (
                "invoice.amount > 10",
                "whether the invoice's amount is more than the number 10",
            ),
            ("workflow.name", "the workflow's name"),
            ("(", "("),
        ];
        for (source, words) in cases {
            assert_eq!(in_words(source, "Invoice.sent"), words, "{source}");
        }
    }

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(field_words("$id"), "id");
        assert_eq!(field_words("dueAt"), "due at");
        assert_eq!(field_words("first-name"), "first name");
    }
}
