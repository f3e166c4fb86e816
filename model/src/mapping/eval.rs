//! Evaluating an `Expr` against a run's context. Values are borrowed from the context where
//! they can be; every value built is measured, and one evaluation's work is counted, so an
//! expression that would build too much fails with a message instead of exhausting memory.

use super::{CompareOp, Expr, NESTING_MAX, VALUE_MAX_BYTES};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The work one evaluation may do: nodes visited plus bytes of text written.
const WORK_MAX: usize = 8 * VALUE_MAX_BYTES;
/// How deep the evaluator may recurse: a parsed expression nests at most two nodes a bracket.
const DEPTH_MAX: usize = 2 * NESTING_MAX + 2;

/// Why an expression could not be worked out at run time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("its value would be larger than 1 MiB")]
    TooLarge,
    #[error("working it out takes too much work (it builds too much text)")]
    TooMuchWork,
    #[error("it nests too deeply to work out")]
    TooDeep,
    #[error("working it out takes longer than its time allows")]
    TooSlow,
}

/// Work done between two looks at the clock.
const CLOCK_EVERY: usize = 4096;

struct Budget<'c> {
    work: usize,
    deadline: Option<std::time::Instant>,
    next_look: usize,
    /// The clock it looks at: the system's, or a test's.
    clock: &'c mut dyn FnMut() -> std::time::Instant,
}

impl Budget<'_> {
    fn spend(&mut self, units: usize) -> Result<(), EvalError> {
        self.work = self.work.saturating_add(units);
        if self.work > WORK_MAX {
            return Err(EvalError::TooMuchWork);
        }
        if let Some(deadline) = self.deadline
            && self.work >= self.next_look
        {
            self.next_look = self.work.saturating_add(CLOCK_EVERY);
            if (self.clock)() >= deadline {
                return Err(EvalError::TooSlow);
            }
        }
        Ok(())
    }
}

impl Expr {
    /// Evaluates against `context`, an object holding every root.
    pub fn eval(&self, context: &Value) -> Result<Value, EvalError> {
        self.eval_until(context, None)
    }

    /// Evaluates against `context`, giving up with `TooSlow` once `deadline` has passed.
    pub fn eval_until(
        &self,
        context: &Value,
        deadline: Option<std::time::Instant>,
    ) -> Result<Value, EvalError> {
        self.eval_by_clock(context, deadline, &mut std::time::Instant::now)
    }

    /// `eval_until` with the clock it looks at (every `CLOCK_EVERY` units of work) given.
    pub(crate) fn eval_by_clock(
        &self,
        context: &Value,
        deadline: Option<std::time::Instant>,
        clock: &mut dyn FnMut() -> std::time::Instant,
    ) -> Result<Value, EvalError> {
        if deadline.is_some_and(|d| clock() >= d) {
            return Err(EvalError::TooSlow);
        }
        let mut budget = Budget {
            work: 0,
            deadline,
            next_look: CLOCK_EVERY,
            clock,
        };
        self.eval_in(context, 0, &mut budget).map(Cow::into_owned)
    }

    fn eval_in<'a>(
        &'a self,
        context: &'a Value,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Cow<'a, Value>, EvalError> {
        if depth > DEPTH_MAX {
            return Err(EvalError::TooDeep);
        }
        budget.spend(1)?;
        match self {
            Expr::Literal(value) => Ok(Cow::Borrowed(value)),
            Expr::Path { root, segments } => {
                let mut current = context.get(root).unwrap_or(&Value::Null);
                for segment in segments {
                    current = match current {
                        Value::Object(map) => map.get(segment).unwrap_or(&Value::Null),
                        Value::Array(items) => segment
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| items.get(i))
                            .unwrap_or(&Value::Null),
                        _ => &Value::Null,
                    };
                }
                Ok(Cow::Borrowed(current))
            }
            Expr::Sum(terms) => {
                let mut sum = Sum::Value(Cow::Owned(Value::Null));
                for (i, term) in terms.iter().enumerate() {
                    let value = term.eval_in(context, depth + 1, budget)?;
                    sum = if i == 0 {
                        Sum::Value(value)
                    } else {
                        sum.add(value, budget)?
                    };
                }
                Ok(sum.into_value())
            }
            Expr::Compare(op, left, right) => {
                let left = left.eval_in(context, depth + 1, budget)?;
                let right = right.eval_in(context, depth + 1, budget)?;
                Ok(Cow::Owned(Value::Bool(compare(*op, &left, &right))))
            }
        }
    }
}

/// A sum so far: a value while every term was a number (or there was one term), text after.
enum Sum<'a> {
    Value(Cow<'a, Value>),
    Text(String),
}

impl<'a> Sum<'a> {
    /// Adds the next term: two numbers add up; anything else joins as text.
    fn add(self, right: Cow<'a, Value>, budget: &mut Budget) -> Result<Sum<'a>, EvalError> {
        let mut text = match self {
            Sum::Value(left) => {
                if let (Value::Number(a), Value::Number(b)) = (left.as_ref(), right.as_ref()) {
                    return Ok(Sum::Value(Cow::Owned(add_numbers(a, b))));
                }
                let text = text_of(&left)?;
                budget.spend(text.len())?;
                text
            }
            Sum::Text(text) => text,
        };
        let more = text_of(&right)?;
        budget.spend(more.len())?;
        if text.len() + more.len() > VALUE_MAX_BYTES {
            return Err(EvalError::TooLarge);
        }
        text.push_str(&more);
        Ok(Sum::Text(text))
    }

    fn into_value(self) -> Cow<'a, Value> {
        match self {
            Sum::Value(value) => value,
            Sum::Text(text) => Cow::Owned(Value::String(text)),
        }
    }
}

fn add_numbers(a: &Number, b: &Number) -> Value {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64())
        && let Some(sum) = x.checked_add(y)
    {
        return Value::from(sum);
    }
    let sum = a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0);
    Number::from_f64(sum)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// How a value joins text, refused when it is larger than a value may be.
fn text_of(value: &Value) -> Result<String, EvalError> {
    match value {
        Value::String(s) if s.len() > VALUE_MAX_BYTES => Err(EvalError::TooLarge),
        Value::Array(_) | Value::Object(_) if json_size(value, VALUE_MAX_BYTES).is_none() => {
            Err(EvalError::TooLarge)
        }
        other => Ok(as_text(other)),
    }
}

/// How a value joins text: strings as they are, null as nothing, the rest as JSON prints it.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The size of `value` as JSON, or `None` once it passes `limit` (it is never printed whole).
pub fn json_size(value: &Value, limit: usize) -> Option<usize> {
    struct Counter {
        bytes: usize,
        limit: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes += buf.len();
            if self.bytes > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter { bytes: 0, limit };
    serde_json::to_writer(&mut counter, value).ok()?;
    Some(counter.bytes)
}

fn compare(op: CompareOp, left: &Value, right: &Value) -> bool {
    let ordering = match (left, right) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .and_then(|x| b.as_f64().and_then(|y| x.partial_cmp(&y))),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        CompareOp::Eq => ordering.map_or(left == right, |o| o == Ordering::Equal),
        CompareOp::Ne => ordering.map_or(left != right, |o| o != Ordering::Equal),
        CompareOp::Gt => ordering == Some(Ordering::Greater),
        CompareOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::Lt => ordering == Some(Ordering::Less),
        CompareOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
    }
}
