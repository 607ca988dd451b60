//! Evaluation with JavaScript's semantics for the supported subset.

use serde_json::{Map, Value};

use crate::Error;
use crate::parse::{BinOp, Callee, Expr, Global, Method, Var, number};

/// What the variables of an expression refer to while one item is processed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// `$json`: the current item's json.
    pub json: Option<&'a Map<String, Value>>,
    /// `$parameter`: the node's resolved parameters.
    pub parameter: Option<&'a Map<String, Value>>,
    /// `$value`: the value of the parameter being routed.
    pub value: Option<&'a Value>,
    /// `$credentials`: the credential's fields.
    pub credentials: Option<&'a Map<String, Value>>,
    /// `$itemIndex`: the index of the current item.
    pub item_index: usize,
    /// `$self`: the collection holding the parameter being routed.
    pub self_value: Option<&'a Value>,
    /// `$parent`: the fixedCollection entry holding the parameter being routed.
    pub parent: Option<&'a Value>,
    /// `$response`: the HTTP response (in post-receive actions).
    pub response: Option<&'a Value>,
    /// `$responseItem`: the output item a post-receive `filter` is deciding on.
    pub response_item: Option<&'a Value>,
    /// `$request`: the operation's request options (in pagination expressions).
    pub request: Option<&'a Value>,
    /// The current item's binary data (`$binary`, `$input.item.binary`).
    pub binary: Option<&'a Map<String, Value>>,
    /// The `pairedItem` the current item came with (how `$('Node').item` finds its way back).
    pub paired_item: Option<&'a Value>,
    /// The run: workflow, nodes, other nodes' items, variables, time zone.
    pub context: Option<&'a crate::Context>,
}

type R = Result<Option<Value>, Error>;

/// The message of the "error" that hands an evaluation over to the JavaScript engine: the
/// subset's evaluator meets a case only JavaScript answers exactly (an inherited property such
/// as `$json.name.toUpperCase` without a call, `$parameter` of a user's parameter).
pub(crate) const ENGINE: &str = "\u{0}engine";

fn engine() -> Error {
    Error::new(ENGINE)
}

/// Properties every object inherits (`Object.prototype`).
const OBJECT_PROTOTYPE: [&str; 11] = [
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "__proto__",
];

/// A value during evaluation: borrowed from the scope or the expression where possible, so that
/// paths such as `$json.a.b` copy only what they end on.
enum Val<'a> {
    Undefined,
    Borrowed(&'a Value),
    Map(&'a Map<String, Value>),
    Owned(Value),
}

impl<'a> Val<'a> {
    fn from_option(v: Option<Value>) -> Val<'a> {
        v.map_or(Val::Undefined, Val::Owned)
    }

    fn into_owned(self) -> Option<Value> {
        match self {
            Val::Undefined => None,
            Val::Borrowed(v) => Some(v.clone()),
            Val::Map(m) => Some(Value::Object(m.clone())),
            Val::Owned(v) => Some(v),
        }
    }

    /// The property `key` of this value, borrowed when this value is borrowed; `target` is the
    /// expression this value came from (named when it is `undefined` or `null`).
    fn member(self, key: &str, target: &Expr) -> Result<Val<'a>, Error> {
        if !crate::parse::is_safe_property(key) {
            return Err(Error::new(format!(
                "Cannot access \"{key}\" due to security concerns"
            )));
        }
        let inherited =
            |m: &Map<String, Value>| !m.contains_key(key) && OBJECT_PROTOTYPE.contains(&key);
        let from_map = |m: &'a Map<String, Value>| m.get(key).map_or(Val::Undefined, Val::Borrowed);
        match self {
            Val::Map(m) | Val::Borrowed(Value::Object(m)) if inherited(m) => Err(engine()),
            Val::Owned(Value::Object(ref m)) if inherited(m) => Err(engine()),
            Val::Map(m) | Val::Borrowed(Value::Object(m)) => Ok(from_map(m)),
            Val::Borrowed(Value::Null) | Val::Owned(Value::Null) => {
                Err(not_there(target, "null", key))
            }
            Val::Undefined => Err(not_there(target, "undefined", key)),
            // An object computed on the way (`$response.body.data[0].id`): its own property.
            Val::Owned(Value::Object(mut m)) => Ok(Val::from_option(m.remove(key))),
            // Strings, arrays, numbers and booleans have only indices and `length` of their own.
            Val::Borrowed(_) | Val::Owned(_)
                if key != "length" && key.parse::<usize>().is_err() =>
            {
                Err(engine())
            }
            Val::Borrowed(v) => member_of_owned(Some(v), key).map(Val::from_option),
            Val::Owned(v) => member_of_owned(Some(&v), key).map(Val::from_option),
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Val::Undefined => false,
            Val::Map(_) => true,
            Val::Borrowed(v) => truthy(Some(v)),
            Val::Owned(v) => truthy(Some(v)),
        }
    }
}

pub(crate) fn eval(expr: &Expr, scope: &Scope<'_>) -> R {
    Ok(eval_val(expr, scope)?.into_owned())
}

fn eval_val<'a>(expr: &'a Expr, scope: &Scope<'a>) -> Result<Val<'a>, Error> {
    Ok(match expr {
        Expr::Literal(v) => Val::Borrowed(v),
        Expr::Undefined => Val::Undefined,
        Expr::Var(var) => variable(*var, scope)?,
        Expr::Member(target_expr, key) => {
            let target = eval_val(target_expr, scope)?;
            match eval_val(key, scope)? {
                Val::Borrowed(Value::String(k)) => target.member(k, target_expr)?,
                other => {
                    let key = other.into_owned();
                    target.member(
                        &key.as_ref()
                            .map_or_else(|| "undefined".into(), to_js_string),
                        target_expr,
                    )?
                }
            }
        }
        Expr::Cond(c, a, b) => {
            if eval_val(c, scope)?.truthy() {
                eval_val(a, scope)?
            } else {
                eval_val(b, scope)?
            }
        }
        Expr::Binary(op @ (BinOp::And | BinOp::Or | BinOp::Nullish), a, b) => {
            let left = eval_val(a, scope)?;
            let take_left = match op {
                BinOp::And => !left.truthy(),
                BinOp::Or => left.truthy(),
                _ => !matches!(
                    left,
                    Val::Undefined | Val::Borrowed(Value::Null) | Val::Owned(Value::Null)
                ),
            };
            if take_left { left } else { eval_val(b, scope)? }
        }
        Expr::Not(a) => Val::Owned(Value::Bool(!eval_val(a, scope)?.truthy())),
        other => Val::from_option(eval_owned(other, scope)?),
    })
}

/// The constructs that compute new values.
fn eval_owned(expr: &Expr, scope: &Scope<'_>) -> R {
    Ok(match expr {
        Expr::Call(callee, args) => {
            let args = args
                .iter()
                .map(|a| eval(a, scope))
                .collect::<Result<Vec<_>, _>>()?;
            match callee {
                Callee::Global(g) => global(*g, &args)?,
                Callee::Method(target, m) => match eval(target, scope)? {
                    None => return Err(not_there(target, "undefined", m.name())),
                    Some(Value::Null) => return Err(not_there(target, "null", m.name())),
                    value => method(value.as_ref(), *m, &args)?,
                },
            }
        }
        Expr::Neg(a) => Some(number(-to_number(eval(a, scope)?.as_ref()))),
        Expr::TypeOf(a) => Some(Value::String(type_of(eval(a, scope)?.as_ref()).to_string())),
        Expr::Binary(op, a, b) => binary(*op, a, b, scope)?,
        Expr::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|e| Ok(eval(e, scope)?.unwrap_or(Value::Null)))
                .collect::<Result<_, Error>>()?,
        )),
        Expr::Object(entries) => {
            let mut map = Map::new();
            for (k, e) in entries {
                if let Some(v) = eval(e, scope)? {
                    map.insert(k.clone(), v);
                }
            }
            Some(Value::Object(map))
        }
        other => eval_val(other, scope)?.into_owned(),
    })
}

fn variable<'a>(var: Var, scope: &Scope<'a>) -> Result<Val<'a>, Error> {
    let map = |m: Option<&'a Map<String, Value>>| m.map_or(Val::Undefined, Val::Map);
    let value = |v: Option<&'a Value>| v.map_or(Val::Undefined, Val::Borrowed);
    Ok(match var {
        Var::Json => scope
            .json
            .map_or_else(|| Val::Owned(Value::Object(Map::new())), Val::Map),
        // A user's expression sees the node's parameters resolved: the engine resolves them.
        Var::Parameter if scope.parameter.is_none() => return Err(engine()),
        Var::Parameter => map(scope.parameter),
        Var::Value => value(scope.value),
        Var::Credentials => map(scope.credentials),
        Var::ItemIndex => Val::Owned(Value::from(scope.item_index)),
        Var::SelfValue => value(scope.self_value),
        Var::Parent => value(scope.parent),
        Var::Response => value(scope.response),
        Var::ResponseItem => value(scope.response_item),
        Var::Request => value(scope.request),
    })
}

/// The error for reading `key` of `undefined` or `null`, naming where the value came from (the
/// message the JavaScript engine gives too).
fn not_there(target: &Expr, what: &str, key: &str) -> Error {
    Error::new(format!(
        "{} is {what} (cannot read \"{key}\")",
        target.path_text()
    ))
}

fn member_of_owned(target: Option<&Value>, key_text: &str) -> R {
    match target {
        None | Some(Value::Null) => Err(Error::new(format!(
            "cannot read \"{key_text}\" of {}",
            if target.is_none() {
                "undefined"
            } else {
                "null"
            }
        ))),
        Some(Value::Object(m)) => Ok(m.get(key_text).cloned()),
        Some(Value::Array(a)) if key_text == "length" => Ok(Some(Value::from(a.len()))),
        Some(Value::Array(a)) => Ok(key_text
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get(i))
            .cloned()),
        Some(Value::String(s)) if key_text == "length" => {
            Ok(Some(Value::from(s.encode_utf16().count())))
        }
        Some(Value::String(s)) => Ok(key_text
            .parse::<usize>()
            .ok()
            .and_then(|i| s.chars().nth(i))
            .map(|c| Value::String(c.to_string()))),
        Some(_) => Ok(None),
    }
}

fn global(g: Global, args: &[Option<Value>]) -> R {
    let first = args.first().and_then(Option::as_ref);
    Ok(match g {
        Global::JsonParse if matches!(first, Some(Value::Object(_) | Value::Array(_))) => {
            first.cloned()
        }
        Global::JsonParse => {
            let text = first
                .map(to_js_string)
                .unwrap_or_else(|| "undefined".into());
            Some(serde_json::from_str(&text).map_err(|e| Error::new(format!("JSON.parse: {e}")))?)
        }
        Global::JsonStringify => first.map(|v| Value::String(json_stringify(v))),
        Global::String => Some(Value::String(
            first
                .map(to_js_string)
                .unwrap_or_else(|| "undefined".into()),
        )),
        Global::Number => Some(number(to_number(first))),
        Global::Boolean => Some(Value::Bool(truthy(first))),
        Global::EncodeUriComponent => Some(Value::String(encode_uri_component(
            &first
                .map(to_js_string)
                .unwrap_or_else(|| "undefined".into()),
        ))),
    })
}

fn method(target: Option<&Value>, m: Method, args: &[Option<Value>]) -> R {
    let arg_str = |i: usize| {
        args.get(i)
            .and_then(Option::as_ref)
            .map(to_js_string)
            .unwrap_or_else(|| "undefined".into())
    };
    let target =
        target.ok_or_else(|| Error::new(format!("cannot call {}() on undefined", m.name())))?;
    Ok(Some(match (target, m) {
        (Value::Array(items), Method::Join) => {
            let sep = match args.first() {
                None | Some(None) => ",".to_string(),
                Some(Some(_)) => arg_str(0),
            };
            Value::String(
                items
                    .iter()
                    .map(|i| {
                        if i.is_null() {
                            String::new()
                        } else {
                            to_js_string(i)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(&sep),
            )
        }
        (Value::Array(items), Method::Includes) => {
            let needle = args.first().and_then(Option::as_ref);
            Value::Bool(needle.is_some_and(|n| items.iter().any(|i| strict_equal(i, n))))
        }
        (Value::String(s), m) => match m {
            Method::Trim => Value::String(s.trim().to_string()),
            Method::ToLowerCase => Value::String(s.to_lowercase()),
            Method::ToUpperCase => Value::String(s.to_uppercase()),
            Method::ToString => Value::String(s.clone()),
            Method::Includes => Value::Bool(s.contains(&arg_str(0))),
            Method::StartsWith => Value::Bool(s.starts_with(&arg_str(0))),
            Method::EndsWith => Value::Bool(s.ends_with(&arg_str(0))),
            Method::Split => {
                let limit = match args.get(1) {
                    None | Some(None) => usize::MAX,
                    Some(Some(n)) => to_number(Some(n)).max(0.0) as usize,
                };
                let parts: Vec<String> = match args.first() {
                    None | Some(None) => vec![s.clone()],
                    Some(Some(_)) if arg_str(0).is_empty() => s.chars().map(String::from).collect(),
                    Some(Some(_)) => s.split(&arg_str(0)).map(String::from).collect(),
                };
                Value::Array(parts.into_iter().take(limit).map(Value::String).collect())
            }
            // `$` patterns in the replacement (`$&`, `$1`) are JavaScript's to interpret.
            Method::Replace if arg_str(1).contains('$') => return Err(engine()),
            Method::Replace => Value::String(s.replacen(&arg_str(0), &arg_str(1), 1)),
            Method::Join => return Err(Error::new("join() needs an array")),
        },
        (v, Method::ToString) => Value::String(to_js_string(v)),
        (v, m) => {
            return Err(Error::new(format!(
                "{}() is not a function of a {}",
                m.name(),
                type_of(Some(v))
            )));
        }
    }))
}

fn binary(op: BinOp, a: &Expr, b: &Expr, scope: &Scope<'_>) -> R {
    let left = eval(a, scope)?;
    let right = eval(b, scope)?;
    let (l, r) = (left.as_ref(), right.as_ref());
    Ok(Some(match op {
        BinOp::Add => match (l, r) {
            (Some(Value::String(_)), _)
            | (_, Some(Value::String(_)))
            | (Some(Value::Object(_) | Value::Array(_)), _)
            | (_, Some(Value::Object(_) | Value::Array(_))) => {
                let mut s = opt_js_string(l);
                s.push_str(&opt_js_string(r));
                Value::String(s)
            }
            _ => number(to_number(l) + to_number(r)),
        },
        BinOp::Sub => number(to_number(l) - to_number(r)),
        BinOp::Mul => number(to_number(l) * to_number(r)),
        BinOp::Div => number(to_number(l) / to_number(r)),
        BinOp::Rem => number(to_number(l) % to_number(r)),
        BinOp::StrictEq => Value::Bool(opt_strict_equal(l, r)),
        BinOp::StrictNe => Value::Bool(!opt_strict_equal(l, r)),
        BinOp::LooseEq => Value::Bool(loose_equal(l, r)),
        BinOp::LooseNe => Value::Bool(!loose_equal(l, r)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (l, r) {
                (Some(Value::String(x)), Some(Value::String(y))) => Some(x.cmp(y)),
                _ => to_number(l).partial_cmp(&to_number(r)),
            };
            Value::Bool(ord.is_some_and(|o| match op {
                BinOp::Lt => o.is_lt(),
                BinOp::Le => o.is_le(),
                BinOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            }))
        }
        BinOp::And | BinOp::Or | BinOp::Nullish => {
            unreachable!("short-circuit operators return above")
        }
    }))
}

fn opt_strict_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => strict_equal(x, y),
        _ => false,
    }
}

fn strict_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(_) | Value::Array(_), _) => false,
        _ => a == b,
    }
}

fn loose_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None | Some(Value::Null), None | Some(Value::Null)) => true,
        (None | Some(Value::Null), _) | (_, None | Some(Value::Null)) => false,
        (Some(x @ Value::String(_)), Some(y @ Value::String(_))) => x == y,
        (Some(x), Some(y)) if std::mem::discriminant(x) == std::mem::discriminant(y) => {
            strict_equal(x, y)
        }
        _ => to_number(a) == to_number(b),
    }
}

/// JavaScript truthiness (`None` is `undefined`).
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

fn type_of(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Null | Value::Object(_) | Value::Array(_)) => "object",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
    }
}

fn to_number(v: Option<&Value>) -> f64 {
    match v {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) if s.trim().is_empty() => 0.0,
        Some(Value::String(s)) => s.trim().parse().unwrap_or(f64::NAN),
        Some(Value::Array(a)) if a.is_empty() => 0.0,
        Some(_) => f64::NAN,
    }
}

fn opt_js_string(v: Option<&Value>) -> String {
    v.map(to_js_string).unwrap_or_else(|| "undefined".into())
}

/// JavaScript's `String(v)` for JSON values.
pub(crate) fn to_js_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) if i.unsigned_abs() < 1 << 53 => i.to_string(),
            (_, _, Some(f)) => number_to_string(f),
            _ => n.to_string(),
        },
        Value::Array(items) => items
            .iter()
            .map(|i| {
                if i.is_null() {
                    String::new()
                } else {
                    to_js_string(i)
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".into(),
    }
}

/// How n8n renders a segment's value inside a template with surrounding text: a falsy value
/// other than `0` and `false` as nothing, anything else as `String()` writes it (an object as
/// `[object Object]`, an array as its elements joined with commas).
pub(crate) fn append_template_value(out: &mut String, v: Option<&Value>) {
    match v {
        None | Some(Value::Null) => {}
        Some(v) => out.push_str(&to_js_string(v)),
    }
}

/// JavaScript's `Number.prototype.toString()`: the shortest digits that read back as the same
/// number, plain from 1e-7 to 1e21, in exponent form (`1e+21`, `1.5e-7`) outside.
pub fn number_to_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return "0".into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    let n = exponent + 1;
    let sign = if f < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e = if e >= 0 {
            format!("+{e}")
        } else {
            e.to_string()
        };
        if k == 1 {
            format!("{digits}e{e}")
        } else {
            format!("{}.{}e{e}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

/// JavaScript's `JSON.stringify` of a JSON value (numbers as JavaScript writes them).
pub fn json_stringify(v: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, v);
    out
}

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Number(_) => out.push_str(&to_js_string(v)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// JavaScript's `encodeURIComponent`.
pub fn encode_uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
