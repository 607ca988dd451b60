//! Tokenizer and Pratt parser for the JavaScript subset.

use serde_json::Value;

use crate::Error;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Literal(Value),
    Undefined,
    Var(Var),
    Member(Box<Expr>, Box<Expr>),
    Call(Callee, Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    TypeOf(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Var {
    Json,
    Parameter,
    Value,
    Credentials,
    ItemIndex,
    SelfValue,
    Parent,
    Response,
    Request,
    ResponseItem,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Callee {
    Global(Global),
    Method(Box<Expr>, Method),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Global {
    JsonParse,
    JsonStringify,
    String,
    Number,
    Boolean,
    EncodeUriComponent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Trim,
    ToLowerCase,
    ToUpperCase,
    ToString,
    Includes,
    StartsWith,
    EndsWith,
    Split,
    Join,
    Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    StrictEq,
    StrictNe,
    LooseEq,
    LooseNe,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Nullish,
}

impl Method {
    /// The method's JavaScript name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Trim => "trim",
            Method::ToLowerCase => "toLowerCase",
            Method::ToUpperCase => "toUpperCase",
            Method::ToString => "toString",
            Method::Includes => "includes",
            Method::StartsWith => "startsWith",
            Method::EndsWith => "endsWith",
            Method::Split => "split",
            Method::Join => "join",
            Method::Replace => "replace",
        }
    }
}

/// n8n's list of property names no expression may read or write.
pub(crate) const UNSAFE_PROPERTIES: [&str; 25] = [
    "__proto__",
    "prototype",
    "constructor",
    "getPrototypeOf",
    "setPrototypeOf",
    "getOwnPropertyDescriptor",
    "getOwnPropertyDescriptors",
    "defineProperty",
    "defineProperties",
    "mainModule",
    "binding",
    "_linkedBinding",
    "_load",
    "prepareStackTrace",
    "__lookupGetter__",
    "__lookupSetter__",
    "__defineGetter__",
    "__defineSetter__",
    "caller",
    "callee",
    "arguments",
    "getBuiltinModule",
    "dlopen",
    "execve",
    "loadEnvFile",
];

/// Whether n8n lets expressions read a property of this name.
pub(crate) fn is_safe_property(name: &str) -> bool {
    !UNSAFE_PROPERTIES.contains(&name)
}

impl Expr {
    /// The expression as a person wrote it, for messages: `$json.customer.name`,
    /// `$json["a b"]`, or "the value" when it is no plain path.
    pub(crate) fn path_text(&self) -> String {
        fn write(e: &Expr, out: &mut String) -> bool {
            match e {
                Expr::Var(v) => {
                    out.push_str(match v {
                        Var::Json => "$json",
                        Var::Parameter => "$parameter",
                        Var::Value => "$value",
                        Var::Credentials => "$credentials",
                        Var::ItemIndex => "$itemIndex",
                        Var::SelfValue => "$self",
                        Var::Parent => "$parent",
                        Var::Response => "$response",
                        Var::Request => "$request",
                        Var::ResponseItem => "$responseItem",
                    });
                    true
                }
                Expr::Member(target, key) => {
                    if !write(target, out) {
                        return false;
                    }
                    match key.as_ref() {
                        Expr::Literal(Value::String(k))
                            if !k.is_empty()
                                && k.chars()
                                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
                                && !k.starts_with(|c: char| c.is_ascii_digit()) =>
                        {
                            out.push('.');
                            out.push_str(k);
                        }
                        Expr::Literal(Value::String(k)) => {
                            out.push('[');
                            out.push_str(&Value::String(k.clone()).to_string());
                            out.push(']');
                        }
                        Expr::Literal(Value::Number(n)) => {
                            out.push('[');
                            out.push_str(&n.to_string());
                            out.push(']');
                        }
                        _ => out.push_str("[…]"),
                    }
                    true
                }
                _ => false,
            }
        }
        let mut out = String::new();
        if write(self, &mut out) {
            out
        } else {
            "the value".into()
        }
    }

    pub(crate) fn json_paths(&self, out: &mut Vec<String>) {
        if let Some(path) = self.json_path() {
            out.push(path);
            return;
        }
        match self {
            Expr::Member(a, b) | Expr::Binary(_, a, b) => {
                a.json_paths(out);
                b.json_paths(out);
            }
            Expr::Not(a) | Expr::Neg(a) | Expr::TypeOf(a) => a.json_paths(out),
            Expr::Cond(a, b, c) => {
                for e in [a, b, c] {
                    e.json_paths(out);
                }
            }
            Expr::Call(callee, args) => {
                if let Callee::Method(target, _) = callee {
                    target.json_paths(out);
                }
                args.iter().for_each(|a| a.json_paths(out));
            }
            Expr::Array(items) => items.iter().for_each(|a| a.json_paths(out)),
            Expr::Object(entries) => entries.iter().for_each(|(_, a)| a.json_paths(out)),
            _ => {}
        }
    }

    /// `$json.a["b c"].d` as "a.b c.d" when the expression is a plain `$json` path.
    fn json_path(&self) -> Option<String> {
        match self {
            Expr::Member(target, key) => {
                let key = match key.as_ref() {
                    Expr::Literal(Value::String(s)) => s.clone(),
                    Expr::Literal(Value::Number(n)) => n.to_string(),
                    _ => return None,
                };
                match target.as_ref() {
                    Expr::Var(Var::Json) => Some(key),
                    other => other.json_path().map(|p| format!("{p}.{key}")),
                }
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Punct(&'static str),
}

const PUNCTS: [&str; 28] = [
    "===", "!==", "...", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "=>", "(", ")", "[", "]",
    "{", "}", ".", ",", ":", "?", "!", "+", "-", "*", "/", "%",
];
const SINGLE: [&str; 3] = ["<", ">", "="];

fn tokenize(src: &str) -> Result<Vec<Tok>, Error> {
    let mut toks = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            let n = text
                .parse::<f64>()
                .map_err(|_| Error::new(format!("invalid number '{text}'")))?;
            toks.push(Tok::Num(n));
        } else if c == '\'' || c == '"' || c == '`' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return Err(Error::new("unterminated string literal"));
                };
                i += 1;
                if ch == c {
                    break;
                }
                if ch == '$' && c == '`' && chars.get(i) == Some(&'{') {
                    return Err(Error::new(
                        "template literals with ${…} are not supported; use + to join strings",
                    ));
                }
                if ch == '\\' {
                    let esc = chars
                        .get(i)
                        .copied()
                        .ok_or_else(|| Error::new("unterminated string literal"))?;
                    i += 1;
                    s.push(match esc {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        other => other,
                    });
                } else {
                    s.push(ch);
                }
            }
            toks.push(Tok::Str(s));
        } else if c.is_alphabetic() || c == '$' || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '$' || chars[i] == '_')
            {
                i += 1;
            }
            toks.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
            let p = PUNCTS
                .iter()
                .chain(SINGLE.iter())
                .find(|p| rest.starts_with(**p))
                .ok_or_else(|| Error::new(format!("unexpected character '{c}'")))?;
            i += p.chars().count();
            toks.push(Tok::Punct(p));
        }
    }
    Ok(toks)
}

pub(crate) fn parse(src: &str) -> Result<Expr, Error> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(Error::new("empty expression '{{ }}'"));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let expr = p.expr()?;
    match p.toks.get(p.pos) {
        None => Ok(expr),
        Some(t) => Err(Error::new(format!(
            "unexpected {} after the expression",
            describe(t)
        ))),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Punct(p) => format!("'{p}'"),
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Nesting of the expression being parsed; bounded so that no input can exhaust the stack.
    depth: usize,
}

/// Deepest nesting of parentheses, brackets, operators and conditionals accepted.
const MAX_DEPTH: usize = 128;

impl Parser {
    fn peek_punct(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Punct(p)) => Some(p),
            _ => None,
        }
    }

    fn eat(&mut self, punct: &str) -> bool {
        if self.peek_punct() == Some(punct) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, punct: &str) -> Result<(), Error> {
        if self.eat(punct) {
            return Ok(());
        }
        Err(match self.toks.get(self.pos) {
            Some(t) => Error::new(format!("expected '{punct}' but found {}", describe(t))),
            None => Error::new(format!("expected '{punct}' but the expression ended")),
        })
    }

    /// One level deeper; an error past [`MAX_DEPTH`] (the parse fails, so no need to undo it).
    fn deeper(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(format!(
                "the expression nests deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        self.deeper()?;
        let result = self.conditional();
        self.depth -= 1;
        result
    }

    fn conditional(&mut self) -> Result<Expr, Error> {
        let cond = self.binary(0)?;
        if self.eat("?") {
            let a = self.expr()?;
            self.expect(":")?;
            let b = self.expr()?;
            return Ok(Expr::Cond(Box::new(cond), Box::new(a), Box::new(b)));
        }
        if self.peek_punct() == Some("=") || self.peek_punct() == Some("=>") {
            return Err(Error::new(
                "assignments and arrow functions are not supported",
            ));
        }
        Ok(cond)
    }

    fn binary(&mut self, min_prec: u8) -> Result<Expr, Error> {
        let mut left = self.unary()?;
        // Each operator in a chain nests the tree one level deeper (`a + b + c` is `(a + b) + c`).
        let outer = self.depth;
        while let Some((op, prec)) = self.peek_punct().and_then(binop) {
            if prec < min_prec {
                break;
            }
            self.deeper()?;
            self.pos += 1;
            let right = self.binary(prec + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        self.depth = outer;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        let typeof_next = matches!(self.toks.get(self.pos), Some(Tok::Ident(s)) if s == "typeof");
        let op = if typeof_next {
            Some("typeof")
        } else {
            self.peek_punct().filter(|p| ["!", "-", "+"].contains(p))
        };
        let Some(op) = op else { return self.postfix() };
        // A prefix operator nests its operand one level deeper.
        self.pos += 1;
        self.deeper()?;
        let operand = Box::new(self.unary()?);
        self.depth -= 1;
        Ok(match op {
            "!" => Expr::Not(operand),
            "-" => Expr::Neg(operand),
            "+" => Expr::Call(Callee::Global(Global::Number), vec![*operand]),
            _ => Expr::TypeOf(operand),
        })
    }

    fn postfix(&mut self) -> Result<Expr, Error> {
        let mut expr = self.primary()?;
        // Each member access or call nests the tree one level deeper.
        let outer = self.depth;
        let result = loop {
            if matches!(self.peek_punct(), Some("." | "?." | "[")) {
                self.deeper()?;
            }
            if self.peek_punct() == Some("?.") {
                // Optional chaining is left to the JavaScript engine.
                return Err(Error::new("'?.' is not in the subset"));
            }
            if self.eat(".") {
                let name = match self.toks.get(self.pos) {
                    Some(Tok::Ident(s)) => s.clone(),
                    _ => return Err(Error::new("expected a property name after '.'")),
                };
                self.pos += 1;
                if self.peek_punct() == Some("(") {
                    expr = self.call(expr, &name)?;
                } else {
                    expr =
                        Expr::Member(Box::new(expr), Box::new(Expr::Literal(Value::String(name))));
                }
            } else if self.eat("[") {
                let key = self.expr()?;
                self.expect("]")?;
                expr = Expr::Member(Box::new(expr), Box::new(key));
            } else if self.peek_punct() == Some("(") {
                return Err(Error::new(
                    "only JSON.parse, JSON.stringify, String, Number, Boolean, encodeURIComponent and string methods can be called",
                ));
            } else {
                break expr;
            }
        };
        self.depth = outer;
        Ok(result)
    }

    fn args(&mut self) -> Result<Vec<Expr>, Error> {
        self.expect("(")?;
        let mut args = Vec::new();
        if !self.eat(")") {
            loop {
                args.push(self.expr()?);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        Ok(args)
    }

    fn call(&mut self, target: Expr, name: &str) -> Result<Expr, Error> {
        let method = match name {
            "trim" => Method::Trim,
            "toLowerCase" => Method::ToLowerCase,
            "toUpperCase" => Method::ToUpperCase,
            "toString" => Method::ToString,
            "includes" => Method::Includes,
            "startsWith" => Method::StartsWith,
            "endsWith" => Method::EndsWith,
            "split" => Method::Split,
            "join" => Method::Join,
            "replace" => Method::Replace,
            other => {
                return Err(Error::new(format!(
                    "the method '{other}()' is not supported"
                )));
            }
        };
        let args = self.args()?;
        // More arguments than the subset gives meaning to (a radix, a position, a limit beyond
        // split's) are JavaScript's to handle.
        let most = match method {
            Method::Trim | Method::ToLowerCase | Method::ToUpperCase | Method::ToString => 0,
            Method::Includes | Method::StartsWith | Method::EndsWith | Method::Join => 1,
            Method::Split | Method::Replace => 2,
        };
        if args.len() > most {
            return Err(Error::new(format!(
                "{}() with {} arguments is not in the subset",
                method.name(),
                args.len()
            )));
        }
        Ok(Expr::Call(Callee::Method(Box::new(target), method), args))
    }

    fn primary(&mut self) -> Result<Expr, Error> {
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| Error::new("the expression ended too early"))?;
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Literal(number(n))),
            Tok::Str(s) => Ok(Expr::Literal(Value::String(s))),
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Punct("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::Array(items))
            }
            Tok::Punct("{") => {
                let mut entries = Vec::new();
                if !self.eat("}") {
                    loop {
                        let key = match self.toks.get(self.pos).cloned() {
                            Some(Tok::Ident(s)) | Some(Tok::Str(s)) => s,
                            _ => return Err(Error::new("expected a key in the object literal")),
                        };
                        self.pos += 1;
                        self.expect(":")?;
                        entries.push((key, self.expr()?));
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::Object(entries))
            }
            Tok::Ident(name) => self.identifier(&name),
            Tok::Punct(p) => Err(Error::new(format!("unexpected '{p}'"))),
        }
    }

    fn identifier(&mut self, name: &str) -> Result<Expr, Error> {
        let var = match name {
            "true" => return Ok(Expr::Literal(Value::Bool(true))),
            "false" => return Ok(Expr::Literal(Value::Bool(false))),
            "null" => return Ok(Expr::Literal(Value::Null)),
            "undefined" => return Ok(Expr::Undefined),
            "JSON" => {
                self.expect(".")?;
                let global = match self.toks.get(self.pos) {
                    Some(Tok::Ident(m)) if m == "parse" => Global::JsonParse,
                    Some(Tok::Ident(m)) if m == "stringify" => Global::JsonStringify,
                    _ => {
                        return Err(Error::new(
                            "only JSON.parse and JSON.stringify are supported",
                        ));
                    }
                };
                self.pos += 1;
                let args = self.args()?;
                if args.len() > 1 {
                    return Err(Error::new(
                        "JSON.parse and JSON.stringify take one argument in the subset",
                    ));
                }
                return Ok(Expr::Call(Callee::Global(global), args));
            }
            "String" | "Number" | "Boolean" | "encodeURIComponent" => {
                let global = match name {
                    "String" => Global::String,
                    "Number" => Global::Number,
                    "Boolean" => Global::Boolean,
                    _ => Global::EncodeUriComponent,
                };
                let args = self.args()?;
                return Ok(Expr::Call(Callee::Global(global), args));
            }
            "$json" => Var::Json,
            "$parameter" => Var::Parameter,
            "$value" => Var::Value,
            "$credentials" => Var::Credentials,
            "$itemIndex" => Var::ItemIndex,
            "$self" => Var::SelfValue,
            "$parent" => Var::Parent,
            "$response" => Var::Response,
            "$responseItem" => Var::ResponseItem,
            "$request" => Var::Request,
            other if other.starts_with('$') => {
                return Err(Error::new(format!(
                    "'{other}' is not supported; the variables are $json, $parameter, $value, $credentials, $itemIndex, $self, $parent, $response, $responseItem and $request"
                )));
            }
            other => {
                return Err(Error::new(format!(
                    "'{other}' is not supported in expressions"
                )));
            }
        };
        Ok(Expr::Var(var))
    }
}

fn binop(p: &str) -> Option<(BinOp, u8)> {
    Some(match p {
        "??" => (BinOp::Nullish, 1),
        "||" => (BinOp::Or, 2),
        "&&" => (BinOp::And, 3),
        "===" => (BinOp::StrictEq, 4),
        "!==" => (BinOp::StrictNe, 4),
        "==" => (BinOp::LooseEq, 4),
        "!=" => (BinOp::LooseNe, 4),
        "<" => (BinOp::Lt, 5),
        "<=" => (BinOp::Le, 5),
        ">" => (BinOp::Gt, 5),
        ">=" => (BinOp::Ge, 5),
        "+" => (BinOp::Add, 6),
        "-" => (BinOp::Sub, 6),
        "*" => (BinOp::Mul, 7),
        "/" => (BinOp::Div, 7),
        "%" => (BinOp::Rem, 7),
        _ => return None,
    })
}

/// A JSON number for an f64, integral values as integers (JavaScript prints `3`, not `3.0`).
pub(crate) fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}
