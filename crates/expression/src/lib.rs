//! n8n expressions as people write them, with n8n's semantics.
//!
//! A parameter value that is a string starting with `=` is an expression: the rest is a
//! template of literal text and `{{ … }}` segments holding JavaScript. [`Template::parse`] turns
//! it into a compiled form once; [`Template::evaluate`] runs it against a [`Scope`] per item. A
//! template that is exactly one `{{ … }}` segment yields the segment's value with its type
//! (`={{ $json.count }}` is a number); any other template yields a string, each segment's value
//! written as JavaScript's `String()` writes it (`null`, `undefined` and `NaN` as nothing).
//!
//! The key design decision is two evaluators behind one type. A *strict subset* (paths, literals,
//! operators, a few methods — what workflows overwhelmingly hold) is parsed in Rust and
//! evaluated natively in nanoseconds. Everything else — arrow functions, template literals,
//! spread, optional chaining, `Math`, n8n's variables (`$('Node').item`, `$input.all()`, `$now`,
//! `DateTime`, …) and extension methods (`.isEmpty()`, `.plus()`, `.sum()`, …) — is compiled
//! into JavaScript and run in an embedded QuickJS ([`engine`]), sandboxed as n8n sandboxes
//! expressions and bounded in time and memory. Both give n8n's results; the one deliberate
//! difference is that a member access on `undefined`/`null` fails and names the path where n8n
//! gives `undefined`.
//!
//! The subset: literals (numbers, strings in `'`/`"`/`` ` `` without interpolation, `true`,
//! `false`, `null`, `undefined`, arrays, objects); the variables `$json`, `$parameter`,
//! `$value`, `$credentials`, `$itemIndex`, `$self`, `$parent` (a fixedCollection entry), `$response`, `$responseItem`, `$request`; member access `a.b`,
//! `a["b c"]`, `a[0]`; `!`, unary `-`, `typeof`; `+ - * / %`; `=== !== == != < <= > >=`;
//! `&& || ??`; `c ? a : b`; `JSON.parse(x)`, `JSON.stringify(x)`, `String(x)`, `Number(x)`,
//! `Boolean(x)`, `encodeURIComponent(x)`; the string methods `trim`, `toLowerCase`, `toUpperCase`, `includes`,
//! `startsWith`, `endsWith`, `split`, `replace` (string pattern), `toString`, and `length`;
//! `join` and `includes` on arrays.

#![deny(missing_docs)]

mod context;
#[cfg(feature = "engine")]
pub mod engine;
#[cfg(not(feature = "engine"))]
#[path = "no_engine.rs"]
pub mod engine;
mod eval;
// Without the engine only the time zone lookup is used.
#[cfg_attr(not(feature = "engine"), allow(dead_code))]
mod host;
mod parse;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use context::{
    Context, ContextData, DEFAULT_TIMEZONE, ExecutionInfo, NodeInfo, Source, WorkflowInfo,
};
pub use eval::{Scope, encode_uri_component, json_stringify, number_to_string, truthy};

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
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Within the subset: evaluated natively (with the source, for the cases the subset hands
    /// to the engine).
    Native(Vec<Segment>, Arc<str>),
    /// Evaluated by the JavaScript engine.
    Script(Script),
}

#[derive(Debug, Clone, PartialEq)]
struct Script {
    /// The expression without its `=`.
    source: Arc<str>,
    /// The static `$json` paths it reads.
    paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    Code(parse::Expr),
}

/// How the evaluator of a template was chosen (for tests and measurements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluator {
    /// The native subset.
    Native,
    /// The JavaScript engine.
    Script,
}

impl Template {
    /// Parses an expression; `source` includes the leading `=`. Within the subset it is
    /// evaluated natively, otherwise it is compiled for the JavaScript engine.
    ///
    /// # Errors
    /// A syntax error, or what n8n's sandbox refuses (`.constructor`, `__proto__`, …).
    pub fn parse(source: &str) -> Result<Template, Error> {
        let body = source.strip_prefix('=').unwrap_or(source);
        if has_constructor_access(body) {
            return Err(Error::new(
                "Expression contains invalid constructor function call",
            ));
        }
        match native(body) {
            Some(segments) => Ok(Template {
                kind: Kind::Native(segments, Arc::from(body)),
            }),
            None => Self::script(body),
        }
    }

    /// Whether an expression (with its leading `=`) is within the native subset: parsing it
    /// needs no JavaScript engine.
    pub fn is_native(source: &str) -> bool {
        native(source.strip_prefix('=').unwrap_or(source)).is_some()
    }

    /// Parses an expression for the JavaScript engine even when it is within the subset (to
    /// compare the two evaluators).
    ///
    /// # Errors
    /// As [`Template::parse`].
    pub fn parse_script(source: &str) -> Result<Template, Error> {
        let body = source.strip_prefix('=').unwrap_or(source);
        if has_constructor_access(body) {
            return Err(Error::new(
                "Expression contains invalid constructor function call",
            ));
        }
        Self::script(body)
    }

    fn script(body: &str) -> Result<Template, Error> {
        if body.len() > engine::MAX_SOURCE {
            return Err(Error::new(format!(
                "the expression is {} KiB long; noderun's JavaScript engine takes expressions up to {} KiB",
                body.len() >> 10,
                engine::MAX_SOURCE >> 10
            )));
        }
        let source: Arc<str> = Arc::from(body);
        let prepared = engine::prepare(&source)?;
        Ok(Template {
            kind: Kind::Script(Script {
                source,
                paths: prepared.paths,
            }),
        })
    }

    /// Which evaluator runs this template.
    pub fn evaluator(&self) -> Evaluator {
        match self.kind {
            Kind::Native(..) => Evaluator::Native,
            Kind::Script(_) => Evaluator::Script,
        }
    }

    /// Whether the template reads items other than the current one of the input
    /// (`$input.all()`, `$input.first()`, `$items()`): the input must then be kept whole.
    pub fn needs_all_input(&self) -> bool {
        match &self.kind {
            Kind::Native(..) => false,
            Kind::Script(s) => {
                s.source.contains("$input")
                    || s.source.contains("$items")
                    || s.source.contains("$(")
            }
        }
    }

    /// Evaluates the template. `None` is JavaScript's `undefined`.
    ///
    /// # Errors
    /// A runtime error such as `JSON.parse` of invalid text or reading a property of `undefined`.
    pub fn evaluate(&self, scope: &Scope<'_>) -> Result<Option<Value>, Error> {
        match &self.kind {
            Kind::Native(segments, source) => match Self::native_value(segments, scope) {
                Err(e) if e.message == eval::ENGINE => engine::evaluate(source, scope),
                other => other,
            },
            Kind::Script(s) => engine::evaluate(&s.source, scope),
        }
    }

    fn native_value(segments: &[Segment], scope: &Scope<'_>) -> Result<Option<Value>, Error> {
        match segments {
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
        match &self.kind {
            Kind::Native(segments, _) => {
                for segment in segments {
                    if let Segment::Code(expr) = segment {
                        expr.json_paths(&mut paths);
                    }
                }
            }
            Kind::Script(s) => paths.extend(s.paths.iter().cloned()),
        }
        paths
    }
}

/// Whether `name` is a time zone of the IANA database (`Europe/Berlin`, `UTC`).
pub fn is_time_zone(name: &str) -> bool {
    host::tz_valid(name).is_some()
}

/// n8n refuses any expression text with `.constructor` (spaces allowed after the dot), strings
/// and literal text included.
fn has_constructor_access(body: &str) -> bool {
    let mut rest = body;
    while let Some(dot) = rest.find('.') {
        rest = &rest[dot + 1..];
        if rest.trim_start().starts_with("constructor") {
            return true;
        }
    }
    false
}

/// The template's segments when all of its code is within the subset.
fn native(body: &str) -> Option<Vec<Segment>> {
    let chunks = split(body);
    // n8n: one `{{ }}` and nothing around it yields the value; else text.
    let single = chunks.len() == 2 && matches!(&chunks[0], Chunk::Text(t) if t.is_empty());
    let mut segments = Vec::new();
    for chunk in chunks {
        match chunk {
            Chunk::Text(t) if t.is_empty() => {}
            Chunk::Text(t) => segments.push(Segment::Text(t)),
            // JavaScript refuses `??` next to `||`/`&&` without parentheses; the subset's
            // parser would not.
            Chunk::Code(code)
                if code.contains("??") && (code.contains("||") || code.contains("&&")) =>
            {
                return None;
            }
            Chunk::Code(code) => segments.push(Segment::Code(parse::parse(&code).ok()?)),
        }
    }
    if !single && matches!(segments.as_slice(), [Segment::Code(_)]) {
        // A lone segment with text around it that is empty still builds a string.
        segments.push(Segment::Text(String::new()));
    }
    Some(segments)
}

enum Chunk {
    Text(String),
    Code(String),
}

/// n8n's splitter: `{{` opens a segment unless an odd number of backslashes precedes it, the
/// next `}}` closes it (whatever the code holds: strings are not looked into); in text before an
/// opener `\\` becomes `\`; in code the first `\}}` becomes `}}`. An unclosed `{{` runs to the
/// end.
fn split(expression: &str) -> Vec<Chunk> {
    if expression.is_empty() {
        return vec![Chunk::Text(String::new())];
    }
    let mut chunks = Vec::new();
    let (mut open, mut buffer, mut rest) = (true, String::new(), expression);
    loop {
        let Some(at) = rest.find(if open { "{{" } else { "}}" }) else {
            buffer.push_str(rest);
            chunks.push(if open {
                Chunk::Text(buffer)
            } else {
                Chunk::Code(buffer.replacen("\\}}", "}}", 1))
            });
            break;
        };
        let before = &rest[..at];
        let backslashes = before.len() - before.trim_end_matches('\\').len();
        if backslashes % 2 == 1 {
            buffer.push_str(&rest[..at + 2]);
        } else {
            buffer.push_str(before);
            let text = std::mem::take(&mut buffer);
            chunks.push(if open {
                Chunk::Text(text.replace("\\\\", "\\"))
            } else {
                Chunk::Code(text.replacen("\\}}", "}}", 1))
            });
            open = !open;
        }
        rest = &rest[at + 2..];
        if rest.is_empty() {
            break;
        }
    }
    chunks
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
