//! The mapping language: expressions that fill a step's fields from the trigger event,
//! earlier steps, the workflow and the organization. Parsed at save time, evaluated by the engine.

use serde_json::{Number, Value};
use std::fmt;

/// The roots every expression may start from, besides the trigger's noun.
pub const FIXED_ROOTS: [&str; 4] = ["event", "step", "workflow", "org"];

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Value),
    Path { root: String, segments: Vec<String> },
    Add(Box<Expr>, Box<Expr>),
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
    #[error("{message} (at character {position})")]
    Syntax { position: usize, message: String },
    #[error("`{root}` is not something this workflow knows. Start with one of: {}.", known.join(", "))]
    UnknownRoot { root: String, known: Vec<String> },
}

impl MappingError {
    /// The error's kind as `spec/mapping-cases.json` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            MappingError::Empty => "empty",
            MappingError::Syntax { .. } => "syntax",
            MappingError::UnknownRoot { .. } => "unknown_root",
        }
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

/// An example of the trigger event's data, built from the paths the steps read under the
/// trigger's root (`deal.contact.name` gives `{"contact": {"name": "Example name"}}`).
pub fn sample_data<'a>(
    trigger_event: &str,
    expressions: impl IntoIterator<Item = &'a str>,
) -> Value {
    let roots = known_roots(trigger_event);
    let root = root_for_trigger(trigger_event);
    let mut sample = Value::Object(Default::default());
    fn collect(expr: &Expr, root: &str, out: &mut Vec<Vec<String>>) {
        match expr {
            Expr::Path { root: r, segments } if r == root && !segments.is_empty() => {
                out.push(segments.clone())
            }
            Expr::Add(a, b) | Expr::Compare(_, a, b) => {
                collect(a, root, out);
                collect(b, root, out);
            }
            _ => {}
        }
    }
    let mut paths = Vec::new();
    for source in expressions {
        if let Ok(expr) = parse(source, &roots) {
            collect(&expr, &root, &mut paths);
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

/// Parses `source` for a workflow whose trigger root list is `roots`.
pub fn parse(source: &str, roots: &[String]) -> Result<Expr, MappingError> {
    parse_with(source, roots, false)
}

/// Parses `source` taking any word followed by a dot as a root (for when the roots are not
/// known yet, such as while the trigger event is itself invalid).
pub fn parse_any_root(source: &str) -> Result<Expr, MappingError> {
    parse_with(source, &[], true)
}

fn parse_with(source: &str, roots: &[String], any_root: bool) -> Result<Expr, MappingError> {
    if source.trim().is_empty() {
        return Err(MappingError::Empty);
    }
    let mut parser = Parser {
        src: source,
        pos: 0,
        roots,
        any_root,
    };
    let expr = parser.comparison()?;
    parser.skip_spaces();
    if parser.pos < source.len() {
        return Err(parser.trailing());
    }
    Ok(expr)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    roots: &'a [String],
    any_root: bool,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }

    fn error(&self, message: impl Into<String>) -> MappingError {
        MappingError::Syntax {
            position: self.pos + 1,
            message: message.into(),
        }
    }

    fn trailing(&self) -> MappingError {
        let rest = self.rest();
        if rest.starts_with(['>', '<', '=', '!']) {
            return self.error("Only one comparison is allowed in an expression");
        }
        self.error(format!(
            "Unexpected `{}`: to use text with spaces, put it in quotes, like \"{}\"",
            rest.split_whitespace().next().unwrap_or(rest),
            self.src.trim()
        ))
    }

    fn comparison(&mut self) -> Result<Expr, MappingError> {
        let left = self.sum()?;
        self.skip_spaces();
        let ops = [
            ("==", CompareOp::Eq),
            ("!=", CompareOp::Ne),
            (">=", CompareOp::Ge),
            ("<=", CompareOp::Le),
            (">", CompareOp::Gt),
            ("<", CompareOp::Lt),
        ];
        let Some((token, op)) = ops.into_iter().find(|(t, _)| self.rest().starts_with(t)) else {
            return Ok(left);
        };
        self.pos += token.len();
        let right = self.sum()?;
        Ok(Expr::Compare(op, Box::new(left), Box::new(right)))
    }

    fn sum(&mut self) -> Result<Expr, MappingError> {
        let mut left = self.term()?;
        loop {
            self.skip_spaces();
            if self.peek() != Some('+') {
                return Ok(left);
            }
            self.pos += 1;
            let right = self.term()?;
            left = Expr::Add(Box::new(left), Box::new(right));
        }
    }

    fn term(&mut self) -> Result<Expr, MappingError> {
        self.skip_spaces();
        match self.peek() {
            None => Err(self
                .error("The expression ends too early: something is missing after the last sign")),
            Some('"' | '\'') => self.string(),
            Some('(') => {
                self.pos += 1;
                let inner = self.comparison()?;
                self.skip_spaces();
                if self.peek() != Some(')') {
                    return Err(self.error("A `(` is never closed: add the missing `)`"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if is_ident_start(c) => self.path_or_word(),
            Some(c) => Err(self.error(format!("`{c}` cannot start a value"))),
        }
    }

    fn string(&mut self) -> Result<Expr, MappingError> {
        let start = self.pos;
        let quote = self.peek().unwrap_or('"');
        let mut escaped = false;
        for (offset, c) in self.rest().char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                let body = &self.src[start + 1..start + offset];
                self.pos = start + offset + 1;
                return self.unescape(body, start);
            }
        }
        Err(self.error("Text in quotes is never closed: add the closing quote"))
    }

    /// Reads a string's body with JSON's escapes, plus `\'` for a quote in single-quoted text.
    fn unescape(&self, body: &str, start: usize) -> Result<Expr, MappingError> {
        let mut json = String::with_capacity(body.len() + 2);
        json.push('"');
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('\'') => json.push('\''),
                    Some(next) => {
                        json.push('\\');
                        json.push(next);
                    }
                    None => json.push_str("\\\\"),
                },
                '"' => json.push_str("\\\""),
                other => json.push(other),
            }
        }
        json.push('"');
        serde_json::from_str::<String>(&json)
            .map(|s| Expr::Literal(Value::String(s)))
            .map_err(|_| MappingError::Syntax {
                position: start + 1,
                message: "This text has a backslash that is not a valid escape, or a line break: write \\n for one".into(),
            })
    }

    fn number(&mut self) -> Result<Expr, MappingError> {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(self.rest().len());
        // A `+` only belongs to the number right after an exponent mark.
        let mut end = 0;
        for (i, c) in self.rest()[..len].char_indices() {
            if c == '+' && !matches!(self.rest()[..i].chars().last(), Some('e' | 'E')) {
                break;
            }
            if c == '-' && i > 0 && !matches!(self.rest()[..i].chars().last(), Some('e' | 'E')) {
                break;
            }
            end = i + c.len_utf8();
        }
        let text = &self.rest()[..end];
        match serde_json::from_str::<Number>(text) {
            Ok(n) => {
                self.pos = start + end;
                Ok(Expr::Literal(Value::Number(n)))
            }
            Err(_) => Err(self.error(format!("`{text}` is not a number"))),
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !is_ident_char(c))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.src[start..self.pos]
    }

    fn path_or_word(&mut self) -> Result<Expr, MappingError> {
        let word = self.ident().to_owned();
        match word.as_str() {
            "true" => return Ok(Expr::Literal(Value::Bool(true))),
            "false" => return Ok(Expr::Literal(Value::Bool(false))),
            "null" => return Ok(Expr::Literal(Value::Null)),
            _ => {}
        }
        let is_root = self.roots.contains(&word) || (self.any_root && self.peek() == Some('.'));
        if !is_root {
            if self.peek() == Some('.') {
                return Err(MappingError::UnknownRoot {
                    root: word,
                    known: self.roots.to_vec(),
                });
            }
            return Ok(Expr::Literal(Value::String(word)));
        }
        let mut segments = Vec::new();
        while self.peek() == Some('.') {
            self.pos += 1;
            let dollar = self.peek() == Some('$');
            if dollar {
                self.pos += 1;
            }
            let segment = self.ident().to_owned();
            if segment.is_empty() {
                return Err(self.error("A `.` must be followed by a field name"));
            }
            segments.push(if dollar {
                format!("${segment}")
            } else {
                segment
            });
        }
        Ok(Expr::Path {
            root: word,
            segments,
        })
    }
}

impl Expr {
    /// Evaluates against `context`, an object holding every root.
    pub fn eval(&self, context: &Value) -> Value {
        match self {
            Expr::Literal(value) => value.clone(),
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
                current.clone()
            }
            Expr::Add(left, right) => add(left.eval(context), right.eval(context)),
            Expr::Compare(op, left, right) => {
                Value::Bool(compare(*op, &left.eval(context), &right.eval(context)))
            }
        }
    }
}

fn add(left: Value, right: Value) -> Value {
    if let (Value::Number(a), Value::Number(b)) = (&left, &right) {
        if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64())
            && let Some(sum) = x.checked_add(y)
        {
            return Value::from(sum);
        }
        let sum = a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0);
        return Number::from_f64(sum)
            .map(Value::Number)
            .unwrap_or(Value::Null);
    }
    Value::String(as_text(&left) + &as_text(&right))
}

/// How a value joins text: strings as they are, null as nothing, the rest as JSON prints it.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compare(op: CompareOp, left: &Value, right: &Value) -> bool {
    use std::cmp::Ordering;
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

impl fmt::Display for Expr {
    /// Prints the expression back as source text that parses to the same tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(Value::String(s)) => write!(f, "{}", Value::String(s.clone())),
            Expr::Literal(value) => write!(f, "{value}"),
            Expr::Path { root, segments } => {
                f.write_str(root)?;
                segments.iter().try_for_each(|s| write!(f, ".{s}"))
            }
            Expr::Add(left, right) => {
                // `+` binds tighter than a comparison and groups to the left.
                match **left {
                    Expr::Compare(..) => write!(f, "({left})")?,
                    _ => write!(f, "{left}")?,
                }
                match **right {
                    Expr::Add(..) | Expr::Compare(..) => write!(f, " + ({right})"),
                    _ => write!(f, " + {right}"),
                }
            }
            Expr::Compare(op, left, right) => {
                let op = match op {
                    CompareOp::Eq => "==",
                    CompareOp::Ne => "!=",
                    CompareOp::Gt => ">",
                    CompareOp::Ge => ">=",
                    CompareOp::Lt => "<",
                    CompareOp::Le => "<=",
                };
                let side = |e: &Expr| match e {
                    Expr::Compare(..) => format!("({e})"),
                    _ => e.to_string(),
                };
                write!(f, "{} {op} {}", side(left), side(right))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Value {
        let text = include_str!("../spec/mapping-cases.json");
        serde_json::from_str(text).expect("mapping-cases.json parses")
    }

    #[test]
    fn every_normative_case_gives_its_value_or_error() {
        let cases = cases();
        let roots = known_roots(cases["triggerEvent"].as_str().expect("trigger"));
        let context = &cases["context"];
        let list = cases["cases"].as_array().expect("cases");
        assert!(list.len() > 50);
        for case in list {
            let source = case["expr"].as_str().expect("expr");
            let result = parse(source, &roots);
            match (&case.get("value"), &case.get("error"), result) {
                (Some(expected), _, Ok(expr)) => {
                    assert_eq!(&&expr.eval(context), expected, "{source}");
                    let printed = expr.to_string();
                    assert_eq!(
                        parse(&printed, &roots).as_ref(),
                        Ok(&expr),
                        "round trip of {source} via {printed}"
                    );
                }
                (_, Some(kind), Err(err)) => {
                    assert_eq!(err.kind(), kind.as_str().expect("kind"), "{source}: {err}")
                }
                (_, _, other) => panic!("{source}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn trigger_roots_follow_the_noun() {
        let cases = cases();
        for (trigger, root) in cases["rootForTrigger"].as_object().expect("map") {
            assert_eq!(root_for_trigger(trigger), root.as_str().expect("root"));
        }
    }

    #[test]
    fn words_with_spaces_get_a_hint_about_quotes() {
        let err = parse("Follow up", &known_roots("Lead.created")).expect_err("syntax");
        assert!(err.to_string().contains("quotes"), "{err}");
        let err = parse("dael.name", &known_roots("Deal.won")).expect_err("unknown root");
        assert!(
            err.to_string().contains("deal, event, step, workflow, org"),
            "{err}"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn roots() -> Vec<String> {
            known_roots("Deal.won")
        }

        fn segment() -> impl Strategy<Value = String> {
            prop_oneof!["[a-z][a-z0-9_-]{0,8}", "[0-9]{1,3}", "\\$[a-z]{1,5}",]
        }

        fn leaf() -> impl Strategy<Value = Expr> {
            prop_oneof![
                any::<String>().prop_map(|s| Expr::Literal(Value::String(s))),
                any::<i64>().prop_map(|n| Expr::Literal(Value::from(n))),
                (-1.0e9f64..1.0e9).prop_map(|x| Expr::Literal(
                    Number::from_f64(x).map_or(Value::Null, Value::Number)
                )),
                any::<bool>().prop_map(|b| Expr::Literal(Value::Bool(b))),
                Just(Expr::Literal(Value::Null)),
                (
                    prop::sample::select(roots()),
                    prop::collection::vec(segment(), 0..4)
                )
                    .prop_map(|(root, segments)| Expr::Path { root, segments }),
            ]
        }

        fn compare_op() -> impl Strategy<Value = CompareOp> {
            prop::sample::select(vec![
                CompareOp::Eq,
                CompareOp::Ne,
                CompareOp::Gt,
                CompareOp::Ge,
                CompareOp::Lt,
                CompareOp::Le,
            ])
        }

        /// Trees the grammar can write: comparisons only at the top or inside parentheses.
        fn expr() -> impl Strategy<Value = Expr> {
            leaf().prop_recursive(4, 24, 2, |inner| {
                prop_oneof![
                    (inner.clone(), inner.clone())
                        .prop_map(|(l, r)| Expr::Add(Box::new(l), Box::new(r))),
                    (compare_op(), inner.clone(), inner).prop_map(|(op, l, r)| Expr::Compare(
                        op,
                        Box::new(l),
                        Box::new(r)
                    )),
                ]
            })
        }

        fn context() -> Value {
            let cases: Value =
                serde_json::from_str(include_str!("../spec/mapping-cases.json")).expect("json");
            cases["context"].clone()
        }

        proptest! {
            #[test]
            fn parsing_any_text_never_panics(source in any::<String>()) {
                if let Ok(expr) = parse(&source, &roots()) {
                    let _ = expr.eval(&context());
                }
                let _ = parse_any_root(&source);
            }

            #[test]
            fn parsing_near_miss_text_never_panics(source in "[a-z.$ +=<>!()'\"0-9eE-]{0,24}") {
                if let Ok(expr) = parse(&source, &roots()) {
                    let _ = expr.eval(&context());
                }
            }

            #[test]
            fn printed_expressions_parse_back_to_the_same_tree(expr in expr()) {
                let printed = expr.to_string();
                prop_assert_eq!(parse(&printed, &roots()), Ok(expr), "printed as {}", printed);
            }
        }
    }

    #[test]
    fn quotes_and_backslashes_inside_text_survive() {
        let roots = known_roots("Deal.won");
        let eval = |src: &str| parse(src, &roots).map(|e| e.eval(&Value::Null));
        assert_eq!(eval(r#"'it\'s'"#), Ok(serde_json::json!("it's")));
        assert_eq!(eval(r#"'say "hi"'"#), Ok(serde_json::json!("say \"hi\"")));
        assert_eq!(eval(r#""back\\'""#), Ok(serde_json::json!("back\\'")));
        assert_eq!(
            eval("-918931961.1181935"),
            Ok(serde_json::json!(-918931961.1181935))
        );
        assert_eq!(eval(r#""bad \q""#).map_err(|e| e.kind()), Err("syntax"));
    }

    #[test]
    fn sample_data_follows_what_the_steps_read() {
        let exprs = [
            "deal.name",
            "\"Welcome \" + deal.contact.name",
            "deal.contact.email",
            "step.0.$id",
            "Call",
        ];
        assert_eq!(
            sample_data("Deal.won", exprs),
            serde_json::json!({"name": "Example name", "contact": {"name": "Example name", "email": "Example email"}})
        );
        assert_eq!(
            sample_data("Lead.created", ["deal.name"]),
            serde_json::json!({})
        );
    }

    #[test]
    fn numbers_are_written_as_in_json() {
        let roots = known_roots("Deal.won");
        assert_eq!(
            parse("-1.5e3", &roots).map(|e| e.eval(&Value::Null)),
            Ok(serde_json::json!(-1500.0))
        );
        assert_eq!(
            parse("\"\\u00e9\"", &roots).map(|e| e.eval(&Value::Null)),
            Ok(serde_json::json!("é"))
        );
        assert_eq!(
            parse("1+2", &roots).map(|e| e.eval(&Value::Null)),
            Ok(serde_json::json!(3))
        );
    }
}
