//! n8n expressions, the subset noderun evaluates.
//!
//! A parameter value that is a string starting with `=` is an expression: the rest is a
//! template of literal text and `{{ … }}` segments holding JavaScript. [`Template::parse`] turns
//! it into a tree once; [`Template::evaluate`] runs it against a [`Scope`] per item, without
//! re-parsing. A template that is exactly one `{{ … }}` segment yields the segment's value with
//! its type (`={{ $json.count }}` is a number); any other template yields a string.
//!
//! The key design decision is to interpret a *documented subset* of JavaScript instead of
//! embedding a JavaScript engine: expressions in workflows are overwhelmingly paths and small
//! conditionals, a subset can be evaluated in nanoseconds and cannot escape, and everything
//! outside it is a parse error that names the construct rather than a surprise at run time.
//!
//! Supported: literals (numbers, strings in `'`/`"`/`` ` `` without interpolation, `true`,
//! `false`, `null`, `undefined`, arrays, objects); the variables `$json`, `$parameter`,
//! `$value`, `$credentials`, `$itemIndex`, `$self`, `$parent` (a fixedCollection entry), `$response`, `$responseItem`; member access `a.b`,
//! `a["b c"]`, `a[0]`; `!`, unary `-`, `typeof`; `+ - * / %`; `=== !== == != < <= > >=`;
//! `&& || ??`; `c ? a : b`; `JSON.parse(x)`, `JSON.stringify(x)`, `String(x)`, `Number(x)`,
//! `Boolean(x)`, `encodeURIComponent(x)`; the string methods `trim`, `toLowerCase`, `toUpperCase`, `includes`,
//! `startsWith`, `endsWith`, `split`, `replace` (string pattern), `toString`, and `length`;
//! `join` and `includes` on arrays.

#![deny(missing_docs)]

mod eval;
mod parse;

use serde_json::{Map, Value};

pub use eval::{Scope, encode_uri_component, truthy};

/// An expression could not be parsed or evaluated. The message names the construct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What went wrong, for a person.
    pub message: String,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }
}

/// A parsed expression template (a parameter value starting with `=`).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    Code(parse::Expr),
}

impl Template {
    /// Parses an expression; `source` includes the leading `=`.
    ///
    /// # Errors
    /// Unbalanced `{{ }}`, a syntax error, or JavaScript outside the supported subset.
    pub fn parse(source: &str) -> Result<Template, Error> {
        let body = source.strip_prefix('=').unwrap_or(source);
        let mut segments = Vec::new();
        let mut rest = body;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                segments.push(Segment::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end =
                find_close(after).ok_or_else(|| Error::new("'{{' without a matching '}}'"))?;
            segments.push(Segment::Code(parse::parse(&after[..end])?));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_string()));
        }
        Ok(Template { segments })
    }

    /// Evaluates the template. `None` is JavaScript's `undefined`.
    ///
    /// # Errors
    /// A runtime error such as `JSON.parse` of invalid text or calling a method on `undefined`.
    pub fn evaluate(&self, scope: &Scope<'_>) -> Result<Option<Value>, Error> {
        match self.segments.as_slice() {
            [Segment::Code(expr)] => eval::eval(expr, scope),
            segments => {
                let mut out = String::new();
                for segment in segments {
                    match segment {
                        Segment::Text(t) => out.push_str(t),
                        Segment::Code(expr) => {
                            eval::append_template_value(&mut out, eval::eval(expr, scope)?.as_ref())
                        }
                    }
                }
                Ok(Some(Value::String(out)))
            }
        }
    }

    /// The `$json` paths the template reads, e.g. `["refresh_token"]` for
    /// `={{ $json.refresh_token }}` (used to explain an `undefined` result).
    pub fn json_paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        for segment in &self.segments {
            if let Segment::Code(expr) = segment {
                expr.json_paths(&mut paths);
            }
        }
        paths
    }
}

/// Finds the `}}` closing a `{{`, skipping braces inside string literals and object literals.
fn find_close(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let (mut depth, mut i, mut quote) = (0usize, 0usize, None::<u8>);
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'{' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Whether a JSON value is an expression (a string starting with `=`).
pub fn is_expression(value: &Value) -> bool {
    matches!(value, Value::String(s) if s.starts_with('='))
}

/// A value with its expressions parsed: literal parts are kept as they are, every string starting
/// with `=` (at any depth) becomes a [`Template`]. Build it once per run, resolve it per item.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolvable {
    /// A value with no expression inside.
    Literal(Value),
    /// An expression.
    Expression(Box<Template>, String),
    /// An object some of whose values are expressions.
    Object(Vec<(String, Resolvable)>),
    /// An array some of whose elements are expressions.
    Array(Vec<Resolvable>),
}

impl Resolvable {
    /// Parses every expression inside `value`.
    ///
    /// # Errors
    /// The first expression that does not parse, with its dotted path.
    pub fn new(value: &Value) -> Result<Resolvable, (String, String, Error)> {
        Self::build(value, "")
    }

    fn build(value: &Value, path: &str) -> Result<Resolvable, (String, String, Error)> {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            Value::String(s) if s.starts_with('=') => Template::parse(s)
                .map(|t| Resolvable::Expression(Box::new(t), s.clone()))
                .map_err(|e| (path.to_string(), s.clone(), e)),
            Value::Object(map) if map.values().any(contains_expression) => Ok(Resolvable::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Self::build(v, &join(k))?)))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Array(items) if items.iter().any(contains_expression) => Ok(Resolvable::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::build(v, &join(&i.to_string())))
                    .collect::<Result<_, _>>()?,
            )),
            other => Ok(Resolvable::Literal(other.clone())),
        }
    }

    /// Evaluates every expression. `on_undefined` decides what an `undefined` result becomes
    /// (it gets the dotted path, the source and the template): a value, or `None` to leave the
    /// entry out (as `JSON.stringify` drops `undefined`); at the top level `None` is returned.
    ///
    /// # Errors
    /// The first failing expression, with its dotted path and source.
    pub fn resolve<F>(
        &self,
        scope: &Scope<'_>,
        on_undefined: &mut F,
    ) -> Result<Option<Value>, (String, String, Error)>
    where
        F: FnMut(&str, &str, &Template) -> Result<Option<Value>, Error>,
    {
        self.resolve_at(scope, "", on_undefined)
    }

    fn resolve_at<F>(
        &self,
        scope: &Scope<'_>,
        path: &str,
        on_undefined: &mut F,
    ) -> Result<Option<Value>, (String, String, Error)>
    where
        F: FnMut(&str, &str, &Template) -> Result<Option<Value>, Error>,
    {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match self {
            Resolvable::Literal(v) => Ok(Some(v.clone())),
            Resolvable::Expression(t, source) => match t.evaluate(scope) {
                Ok(Some(v)) => Ok(Some(v)),
                Ok(None) => {
                    on_undefined(path, source, t).map_err(|e| (path.to_string(), source.clone(), e))
                }
                Err(e) => Err((path.to_string(), source.clone(), e)),
            },
            Resolvable::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    if let Some(v) = v.resolve_at(scope, &join(k), on_undefined)? {
                        map.insert(k.clone(), v);
                    }
                }
                Ok(Some(Value::Object(map)))
            }
            Resolvable::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    out.push(
                        v.resolve_at(scope, &join(&i.to_string()), on_undefined)?
                            .unwrap_or(Value::Null),
                    );
                }
                Ok(Some(Value::Array(out)))
            }
        }
    }

    /// Evaluates with `undefined` left out (the usual rule for request options).
    ///
    /// # Errors
    /// The first failing expression, with its dotted path and source.
    pub fn resolve_dropping_undefined(
        &self,
        scope: &Scope<'_>,
    ) -> Result<Option<Value>, (String, String, Error)> {
        self.resolve(scope, &mut |_, _, _| Ok(None))
    }
}

fn contains_expression(value: &Value) -> bool {
    match value {
        Value::String(s) => s.starts_with('='),
        Value::Object(m) => m.values().any(contains_expression),
        Value::Array(a) => a.iter().any(contains_expression),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
