//! `Expr` back to text that parses to the same tree.

use super::{CompareOp, Expr};
use serde_json::Value;
use std::fmt;

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }
}

impl fmt::Display for Expr {
    /// Prints the expression back as source text that parses to the same tree: a sum or a
    /// comparison inside another gets brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nested = |e: &Expr| match e {
            Expr::Sum(..) | Expr::Compare(..) => format!("({e})"),
            _ => e.to_string(),
        };
        match self {
            Expr::Literal(Value::String(s)) => write!(f, "{}", Value::String(s.clone())),
            Expr::Literal(value) => write!(f, "{value}"),
            Expr::Path { root, segments } => {
                f.write_str(root)?;
                segments.iter().try_for_each(|s| write!(f, ".{s}"))
            }
            Expr::Sum(terms) => {
                let terms: Vec<String> = terms.iter().map(nested).collect();
                f.write_str(&terms.join(" + "))
            }
            Expr::Compare(op, left, right) => {
                let side = |e: &Expr| match e {
                    Expr::Compare(..) => format!("({e})"),
                    _ => e.to_string(),
                };
                write!(f, "{} {} {}", side(left), op.as_str(), side(right))
            }
        }
    }
}
