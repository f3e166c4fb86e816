//! The mapping language: expressions that fill a step's fields from the trigger event,
//! earlier steps, the workflow and the organization. Parsed at save time, evaluated by the engine.
//!
//! Every input is bounded: an expression's length and nesting, the size of any value it
//! builds and the work of one evaluation. The parser and the evaluator never recurse deeper
//! than the nesting limit allows, whatever they are given, so no expression can take the
//! process down.

mod eval;
mod parse;
mod print;
#[cfg(test)]
mod tests;
mod words;

pub use eval::{EvalError, as_text, json_size};
pub use parse::{parse, parse_any_root};
pub use words::{field_words, in_words};

use serde_json::Value;

/// The roots every expression may start from, besides the trigger's noun.
pub const FIXED_ROOTS: [&str; 4] = ["event", "step", "workflow", "org"];
/// The longest expression, in characters.
pub const EXPRESSION_MAX_CHARS: usize = 2_000;
/// How deep brackets may nest.
pub const NESTING_MAX: usize = 32;
/// The most fields one step (or its fallback) may fill.
pub const ROWS_MAX: usize = 100;
/// The largest value an expression may build, and a step's whole input, as JSON bytes.
pub const VALUE_MAX_BYTES: usize = 1 << 20;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Value),
    Path {
        root: String,
        segments: Vec<String>,
    },
    /// `a + b + c`, left to right: two terms or more, flat, so that a long sum never nests.
    Sum(Vec<Expr>),
    Compare(CompareOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// Why an expression cannot be used, in words a non-developer can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error(
        "The expression is empty: write a value, a field such as deal.name, or text in quotes."
    )]
    Empty,
    #[error("{message} ({})", where_words(near))]
    Syntax {
        position: usize,
        message: String,
        /// The text from where it goes wrong, as the person wrote it (a few characters).
        near: String,
    },
    #[error("“{root}” is not something this workflow knows. Start with one of: {}.", known.join(", "))]
    UnknownRoot { root: String, known: Vec<String> },
    #[error(
        "The expression has {chars} characters; at most {EXPRESSION_MAX_CHARS} are allowed. Split it over several fields or steps."
    )]
    TooLong { chars: usize },
    #[error("Brackets nest more than {NESTING_MAX} levels deep; write it more simply.")]
    TooDeep { position: usize },
}

/// Where a syntax error is, in words: "where it says “na me”", or "at the end".
fn where_words(near: &str) -> String {
    if near.trim().is_empty() {
        "at the end".to_owned()
    } else {
        format!("where it says “{near}”")
    }
}

impl MappingError {
    /// The error's kind as `spec/mapping-cases.json` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            MappingError::Empty => "empty",
            MappingError::Syntax { .. } => "syntax",
            MappingError::UnknownRoot { .. } => "unknown_root",
            MappingError::TooLong { .. } => "too_long",
            MappingError::TooDeep { .. } => "too_deep",
        }
    }

    /// Whether this is one of the language's limits rather than a mistake in writing.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            MappingError::TooLong { .. } | MappingError::TooDeep { .. }
        )
    }
}

/// The root that names the trigger event's data: `Deal.won` -> `deal`, `FeatureFlag.toggled` -> `featureFlag`.
pub fn root_for_trigger(trigger_event: &str) -> String {
    let noun = trigger_event.split('.').next().unwrap_or_default();
    let mut chars = noun.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Every root known to a workflow triggered by `trigger_event`.
pub fn known_roots(trigger_event: &str) -> Vec<String> {
    let mut roots = vec![root_for_trigger(trigger_event)];
    roots.extend(FIXED_ROOTS.iter().map(|r| r.to_string()));
    roots.retain(|r| !r.is_empty());
    roots.dedup();
    roots
}

impl Expr {
    /// Every path under `root` that the expression reads, as segment lists. Recursion is
    /// bounded by the parser's nesting limit.
    fn paths_under(&self, root: &str, out: &mut Vec<Vec<String>>) {
        match self {
            Expr::Path { root: r, segments } if r == root && !segments.is_empty() => {
                out.push(segments.clone())
            }
            Expr::Sum(terms) => terms.iter().for_each(|t| t.paths_under(root, out)),
            Expr::Compare(_, a, b) => {
                a.paths_under(root, out);
                b.paths_under(root, out);
            }
            _ => {}
        }
    }
}

/// The paths `source` reads under `root`, as segment lists (`secret.CRM_TOKEN` gives
/// `[["CRM_TOKEN"]]` under `secret`); none when it cannot be read.
pub fn paths_read(source: &str, root: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    if let Ok(expr) = parse_any_root(source) {
        expr.paths_under(root, &mut paths);
    }
    paths
}

/// An example of the trigger event's data, built from the paths the steps read under the
/// trigger's root (`deal.contact.name` gives `{"contact": {"name": "Example name"}}`).
pub fn sample_data<'a>(
    trigger_event: &str,
    expressions: impl IntoIterator<Item = &'a str>,
) -> Value {
    let roots = known_roots(trigger_event);
    let root = root_for_trigger(trigger_event);
    let mut sample = Value::Object(Default::default());
    let mut paths = Vec::new();
    for source in expressions {
        if let Ok(expr) = parse(source, &roots) {
            expr.paths_under(&root, &mut paths);
        }
    }
    for path in paths {
        let mut at = &mut sample;
        for (i, segment) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let Value::Object(map) = at else { break };
            let example = if last {
                Value::String(format!("Example {segment}"))
            } else {
                Value::Object(Default::default())
            };
            at = map.entry(segment.clone()).or_insert(example);
        }
    }
    sample
}
