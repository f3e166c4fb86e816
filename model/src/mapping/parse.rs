//! Text to `Expr`: one recursive-descent parser, bounded in length and nesting.

use super::{CompareOp, EXPRESSION_MAX_CHARS, Expr, MappingError, NESTING_MAX};
use serde_json::{Number, Value};

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
    let chars = source.chars().count();
    if chars > EXPRESSION_MAX_CHARS {
        return Err(MappingError::TooLong { chars });
    }
    let mut parser = Parser {
        src: source,
        pos: 0,
        depth: 0,
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

/// A recursive-descent parser whose recursion is bounded: every `(` adds one level, and a
/// level past `NESTING_MAX` is an error, so the stack holds at most three frames a level.
struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Brackets open at `pos`.
    depth: usize,
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
        syntax(self.src, self.pos, message)
    }

    fn trailing(&self) -> MappingError {
        let rest = self.rest();
        if rest.starts_with(['>', '<', '=', '!']) {
            return self.error("Only one comparison is allowed in an expression");
        }
        self.error(format!(
            "Unexpected “{}”: to use text with spaces, put it in quotes, like \"{}\"",
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
        let mut terms = vec![self.term()?];
        loop {
            self.skip_spaces();
            if self.peek() != Some('+') {
                break;
            }
            self.pos += 1;
            terms.push(self.term()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().expect("one term")
        } else {
            Expr::Sum(terms)
        })
    }

    fn term(&mut self) -> Result<Expr, MappingError> {
        self.skip_spaces();
        match self.peek() {
            None => Err(self
                .error("The expression ends too early: something is missing after the last sign")),
            Some('"' | '\'') => self.string(),
            Some('(') => {
                if self.depth >= NESTING_MAX {
                    return Err(MappingError::TooDeep {
                        position: self.pos + 1,
                    });
                }
                self.pos += 1;
                self.depth += 1;
                let inner = self.comparison()?;
                self.depth -= 1;
                self.skip_spaces();
                if self.peek() != Some(')') {
                    return Err(self.error("A “(” is never closed: add the missing “)”"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if is_ident_start(c) => self.path_or_word(),
            Some(c) => Err(self.error(format!("“{c}” cannot start a value"))),
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
            .map_err(|_| {
                syntax(
                    self.src,
                    start,
                    "This text has a backslash that is not a valid escape, or a line break: write \\n for one",
                )
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
            Err(_) => Err(self.error(format!("“{text}” is not a number"))),
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
                return Err(self.error("A “.” must be followed by a field name"));
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

/// A syntax error at byte `pos` of `src`, with the few characters from there that show where.
fn syntax(src: &str, pos: usize, message: impl Into<String>) -> MappingError {
    const NEAR_CHARS: usize = 12;
    let rest = src.get(pos..).unwrap_or_default();
    let mut near: String = rest.chars().take(NEAR_CHARS).collect();
    if rest.chars().count() > NEAR_CHARS {
        near.push('…');
    }
    MappingError::Syntax {
        position: pos + 1,
        message: message.into(),
        near,
    }
}
