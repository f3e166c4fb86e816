//! The MCP `do` tool's statement form, as the spec writes it:
//! `const workflows = await $.Workflow.find({ status: 'Activated' })` and
//! `await $.Workflow.trigger('workflow_nV4xKpQm')`. It is parsed into calls, never evaluated:
//! arguments are JSON-like literals (keys may go unquoted, strings may use single quotes,
//! trailing commas are allowed) or a name an earlier statement bound, with `.field` reads
//! (`newWorkflow.$id`).

use serde_json::{Map, Number, Value};

/// At most this many statements in one `do`, and this much text.
pub const STATEMENTS_MAX: usize = 20;
pub const CODE_MAX: usize = 20_000;
const DEPTH_MAX: usize = 32;

/// An argument: a literal, or a read of what an earlier statement bound.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Literal(Value),
    /// A name and the fields read from it, in order.
    Read(String, Vec<String>),
    /// An object or array holding reads somewhere inside.
    Object(Vec<(String, Arg)>),
    Array(Vec<Arg>),
}

/// One call: `Noun.method(args)`, bound to a name when written `const name = …`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub bind: Option<String>,
    pub noun: String,
    pub method: String,
    pub args: Vec<Arg>,
}

/// Where the code stopped reading, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {at})")]
pub struct ParseError {
    pub at: usize,
    pub message: String,
}

struct Reader<'a> {
    chars: Vec<char>,
    pos: usize,
    _text: &'a str,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

impl Reader<'_> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            at: self.pos,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Skips spaces, line breaks and `//` or `/* */` comments.
    fn skip(&mut self) {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.pos += 1;
            }
            let rest = |r: &Self, n: usize| r.chars.get(r.pos + n).copied();
            match (self.peek(), rest(self, 1)) {
                (Some('/'), Some('/')) => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                (Some('/'), Some('*')) => {
                    self.pos += 2;
                    while self.pos < self.chars.len()
                        && !(self.peek() == Some('*') && rest(self, 1) == Some('/'))
                    {
                        self.pos += 1;
                    }
                    self.pos = (self.pos + 2).min(self.chars.len());
                }
                _ => return,
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), ParseError> {
        if self.eat(c) {
            Ok(())
        } else {
            match self.peek() {
                Some(found) => self.error(format!("expected `{c}`, found `{found}`")),
                None => self.error(format!("expected `{c}`, found the end")),
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.skip();
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        let start = self.pos;
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        Some(self.chars[start..self.pos].iter().collect())
    }

    fn keyword(&mut self, word: &str) -> bool {
        let start = self.pos;
        match self.ident() {
            Some(w) if w == word => true,
            _ => {
                self.pos = start;
                false
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<String, ParseError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return self.error("a string is not closed"),
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some(c @ ('\\' | '\'' | '"' | '`' | '/')) => c,
                        Some('u') => {
                            let hex: String =
                                self.chars.iter().skip(self.pos + 1).take(4).collect();
                            let code = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                            let Some(c) = code else {
                                return self.error("a \\u escape needs four hex digits");
                            };
                            self.pos += 4;
                            c
                        }
                        _ => return self.error("an unknown escape in a string"),
                    };
                    out.push(escaped);
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | 'e' | 'E' | '+'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos]
            .iter()
            .filter(|c| **c != '_')
            .collect();
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => self.error(format!("`{text}` is not a number")),
        }
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, ParseError> {
        if depth > DEPTH_MAX {
            return self.error(format!("values may nest at most {DEPTH_MAX} levels"));
        }
        self.skip();
        match self.peek() {
            Some(q @ ('\'' | '"' | '`')) => Ok(Arg::Literal(Value::String(self.string(q)?))),
            Some(c) if c.is_ascii_digit() || c == '-' => Ok(Arg::Literal(self.number()?)),
            Some('{') => {
                self.pos += 1;
                let mut fields = Vec::new();
                loop {
                    if self.eat('}') {
                        break;
                    }
                    self.skip();
                    let key = match self.peek() {
                        Some(q @ ('\'' | '"')) => self.string(q)?,
                        _ => match self.ident() {
                            Some(k) => k,
                            None => return self.error("expected a field name"),
                        },
                    };
                    self.expect(':')?;
                    fields.push((key, self.arg(depth + 1)?));
                    if !self.eat(',') {
                        self.expect('}')?;
                        break;
                    }
                }
                Ok(simplify_object(fields))
            }
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(']') {
                        break;
                    }
                    items.push(self.arg(depth + 1)?);
                    if !self.eat(',') {
                        self.expect(']')?;
                        break;
                    }
                }
                Ok(simplify_array(items))
            }
            Some(c) if is_ident_start(c) => {
                let name = self.ident().unwrap_or_default();
                match name.as_str() {
                    "true" => return Ok(Arg::Literal(Value::Bool(true))),
                    "false" => return Ok(Arg::Literal(Value::Bool(false))),
                    "null" | "undefined" => return Ok(Arg::Literal(Value::Null)),
                    _ => {}
                }
                let mut path = Vec::new();
                while self.eat('.') {
                    match self.ident() {
                        Some(field) => path.push(field),
                        None => return self.error("expected a field name after `.`"),
                    }
                }
                self.skip();
                if self.peek() == Some('(') {
                    return self.error("only the statement itself may call something");
                }
                Ok(Arg::Read(name, path))
            }
            Some(c) => self.error(format!("`{c}` does not start a value")),
            None => self.error("expected a value, found the end"),
        }
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        let mut bind = None;
        if self.keyword("const") || self.keyword("let") || self.keyword("var") {
            bind = Some(match self.ident() {
                Some(name) => name,
                None => return self.error("expected a name after `const`"),
            });
            self.expect('=')?;
        }
        self.keyword("await");
        let mut first = match self.ident() {
            Some(word) => word,
            None => return self.error("expected a call like $.Workflow.find({ ... })"),
        };
        if first == "$" {
            self.expect('.')?;
            first = match self.ident() {
                Some(word) => word,
                None => return self.error("expected a type after `$.`"),
            };
        }
        self.expect('.')?;
        let method = match self.ident() {
            Some(word) => word,
            None => return self.error("expected a method after the type"),
        };
        self.expect('(')?;
        let mut args = Vec::new();
        loop {
            if self.eat(')') {
                break;
            }
            args.push(self.arg(0)?);
            if !self.eat(',') {
                self.expect(')')?;
                break;
            }
        }
        Ok(Statement {
            bind,
            noun: first,
            method,
            args,
        })
    }
}

fn simplify_object(fields: Vec<(String, Arg)>) -> Arg {
    if fields.iter().all(|(_, a)| matches!(a, Arg::Literal(_))) {
        let map: Map<String, Value> = fields
            .into_iter()
            .map(|(k, a)| match a {
                Arg::Literal(v) => (k, v),
                _ => unreachable!("all literals"),
            })
            .collect();
        Arg::Literal(Value::Object(map))
    } else {
        Arg::Object(fields)
    }
}

fn simplify_array(items: Vec<Arg>) -> Arg {
    if items.iter().all(|a| matches!(a, Arg::Literal(_))) {
        Arg::Literal(Value::Array(
            items
                .into_iter()
                .map(|a| match a {
                    Arg::Literal(v) => v,
                    _ => unreachable!("all literals"),
                })
                .collect(),
        ))
    } else {
        Arg::Array(items)
    }
}

/// The statements of `code`, separated by `;` or line breaks.
pub fn parse(code: &str) -> Result<Vec<Statement>, ParseError> {
    if code.chars().count() > CODE_MAX {
        return Err(ParseError {
            at: CODE_MAX,
            message: format!("code may have at most {CODE_MAX} characters"),
        });
    }
    let mut reader = Reader {
        chars: code.chars().collect(),
        pos: 0,
        _text: code,
    };
    let mut out = Vec::new();
    loop {
        reader.skip();
        while reader.eat(';') {}
        reader.skip();
        if reader.peek().is_none() {
            break;
        }
        if out.len() == STATEMENTS_MAX {
            return reader.error(format!("at most {STATEMENTS_MAX} statements at a time"));
        }
        out.push(reader.statement()?);
    }
    if out.is_empty() {
        return reader.error("there is no statement to run");
    }
    Ok(out)
}

/// `arg` with every read replaced by what `lookup` finds for its name and fields; `None` names
/// the read that found nothing.
pub fn resolve(arg: &Arg, lookup: &dyn Fn(&str) -> Option<Value>) -> Result<Value, String> {
    match arg {
        Arg::Literal(v) => Ok(v.clone()),
        Arg::Read(name, path) => {
            let mut value = lookup(name)
                .ok_or_else(|| format!("`{name}` is not bound by an earlier statement"))?;
            for field in path {
                value = value
                    .get(field)
                    .cloned()
                    .ok_or_else(|| format!("`{name}` has no field `{field}`"))?;
            }
            Ok(value)
        }
        Arg::Object(fields) => fields
            .iter()
            .map(|(k, a)| resolve(a, lookup).map(|v| (k.clone(), v)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        Arg::Array(items) => items
            .iter()
            .map(|a| resolve(a, lookup))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_specs_statements_parse_as_written() {
        let code = "const workflows = await $.Workflow.find({ status: 'Activated' })\nawait $.Workflow.trigger('workflow_nV4xKpQm')";
        let parsed = parse(code).expect("parsed");
        assert_eq!(
            parsed,
            vec![
                Statement {
                    bind: Some("workflows".into()),
                    noun: "Workflow".into(),
                    method: "find".into(),
                    args: vec![Arg::Literal(json!({"status": "Activated"}))],
                },
                Statement {
                    bind: None,
                    noun: "Workflow".into(),
                    method: "trigger".into(),
                    args: vec![Arg::Literal(json!("workflow_nV4xKpQm"))],
                },
            ]
        );
    }

    #[test]
    fn literals_follow_javascript_and_reads_name_earlier_results() {
        let code = r#"
            const w = await Workflow.create({
              name: 'Lead Assignment', triggerEvent: "Lead.created",
              steps: [{ action: 'Activity.create', mapping: { subject: '"Follow up: " + lead.name', type: 'Task' } },],
              timeout: 30_000, retry: null, on: true, // a comment
            });
            await Workflow.activate(w.$id);
        "#;
        let parsed = parse(code).expect("parsed");
        assert_eq!(parsed.len(), 2);
        let Arg::Literal(fields) = &parsed[0].args[0] else {
            panic!("a literal: {:?}", parsed[0].args)
        };
        assert_eq!(
            fields["steps"][0]["mapping"]["subject"],
            "\"Follow up: \" + lead.name"
        );
        assert_eq!(fields["timeout"], 30_000);
        assert_eq!(
            parsed[1].args,
            vec![Arg::Read("w".into(), vec!["$id".into()])]
        );
        let bound = json!({"$id": "workflow_abcdefgh"});
        let lookup = |name: &str| (name == "w").then(|| bound.clone());
        assert_eq!(
            resolve(&parsed[1].args[0], &lookup),
            Ok(json!("workflow_abcdefgh"))
        );
        assert!(resolve(&Arg::Read("x".into(), vec![]), &lookup).is_err());
    }

    #[test]
    fn anything_but_a_call_with_literals_is_refused_with_where() {
        for bad in [
            "",
            "Workflow.find(",
            "process.exit(1)()",
            "await $.Workflow.find(fetch('http://x'))",
            "Workflow.find({ status: 'Activated' }) + 1",
            "const = Workflow.find()",
            "Workflow.find({ a: 'unclosed })",
            "Workflow.find(`a ${b}`)x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
        let err = parse("Workflow.find({ a: ]})").expect_err("refused");
        assert!(err.at > 0 && !err.message.is_empty(), "{err}");
    }
}
