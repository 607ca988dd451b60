//! The embedded JavaScript engine for everything outside the native subset: QuickJS-NG through
//! rquickjs, one runtime per thread, created when a thread first needs it.
//!
//! The runtime holds our n8n expression runtime (`js/*.js`: compiler, data scope, extension
//! methods, `Intl` for Luxon) and loads the vendored libraries (Luxon, jmespath,
//! transliteration) when an expression first uses them. It has no IO at all: no module loader,
//! no `std`/`os`, no timers; the host functions it gets compute (time zones, hashes, base64,
//! URL paths) and hand over the run's items. Each evaluation is bounded: [`TIME_LIMIT`] of
//! wall-clock time (an interrupt handler), [`MEMORY_LIMIT`] for the runtime's heap, a native
//! stack limit for deep recursion; past them the evaluation fails with a message saying which.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use rquickjs::function::Opt;
use rquickjs::{CatchResultExt, CaughtError, Ctx, Function, Object, Persistent, Runtime};
use serde_json::{Map, Value};

use crate::context::{Context, Inner};
use crate::{Error, Scope, host};

/// The longest one evaluation may run.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);
/// The most memory the JavaScript heap of one thread may use.
pub const MEMORY_LIMIT: usize = 128 << 20;
/// The longest expression the engine compiles (compiling is bounded by the time limit too; this
/// keeps pathological input from spending it).
pub const MAX_SOURCE: usize = 64 << 10;
/// The deepest native stack the engine may use (deep recursion fails past it).
const STACK_LIMIT: usize = 512 << 10;

const SOURCES: [(&str, &str); 5] = [
    ("acorn.js", include_str!("../js/vendor/acorn.js")),
    ("intl.js", include_str!("../js/intl.js")),
    ("compile.js", include_str!("../js/compile.js")),
    ("extensions.js", include_str!("../js/extensions.js")),
    ("scope.js", include_str!("../js/scope.js")),
];

/// A compiled expression's facts, for the [`crate::Template`] holding it.
pub(crate) struct Prepared {
    /// The static `$json` paths it reads (to explain an `undefined`).
    pub(crate) paths: Vec<String>,
}

// Fields drop in this order: the JavaScript values before their context, the context before
// its runtime.
struct Engine {
    prepare: Persistent<Function<'static>>,
    run: Persistent<Function<'static>>,
    set_context: Persistent<Function<'static>>,
    functions: HashMap<Arc<str>, Persistent<Function<'static>>>,
    registered: HashMap<u64, Weak<Inner>>,
    deadline: Rc<Cell<Option<Instant>>>,
    context: rquickjs::Context,
    _runtime: Runtime,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    /// The contexts the engine of this thread knows, for the host functions that hand over items.
    static CONTEXTS: RefCell<HashMap<u64, Weak<Inner>>> = RefCell::new(HashMap::new());
    static DEFAULT_CONTEXT: Context = Context::default();
}

fn with_engine<T>(f: impl FnOnce(&mut Engine) -> Result<T, Error>) -> Result<T, Error> {
    ENGINE.with(|cell| {
        let mut slot = cell
            .try_borrow_mut()
            .map_err(|_| Error::new("an expression cannot evaluate another expression here"))?;
        if slot.is_none() {
            *slot = Some(Engine::new()?);
        }
        f(slot.as_mut().expect("set above"))
    })
}

/// Compiles an expression (the text after `=`) in this thread's engine.
pub(crate) fn prepare(source: &Arc<str>) -> Result<Prepared, Error> {
    with_engine(|engine| engine.prepare(source))
}

/// Evaluates a compiled expression for one item.
pub(crate) fn evaluate(source: &Arc<str>, scope: &Scope<'_>) -> Result<Option<Value>, Error> {
    with_engine(|engine| engine.evaluate(source, scope))
}

fn context_of(id: u64) -> Option<Arc<Inner>> {
    CONTEXTS.with(|c| c.borrow().get(&id).and_then(Weak::upgrade))
}

impl Engine {
    fn new() -> Result<Engine, Error> {
        let runtime = Runtime::new()
            .map_err(|e| Error::new(format!("cannot start the JavaScript engine: {e}")))?;
        runtime.set_memory_limit(MEMORY_LIMIT);
        runtime.set_max_stack_size(STACK_LIMIT);
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let watch = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            watch.get().is_some_and(|d| Instant::now() > d)
        })));
        let context = rquickjs::Context::full(&runtime)
            .map_err(|e| Error::new(format!("cannot start the JavaScript engine: {e}")))?;
        let (prepare, run, set_context) = context.with(|ctx| {
            install_host(&ctx)
                .map_err(|e| Error::new(format!("cannot start the JavaScript engine: {e}")))?;
            ctx.globals()
                .set("__n8n", Object::new(ctx.clone()).map_err(js_setup)?)
                .map_err(js_setup)?;
            for (name, source) in SOURCES {
                ctx.eval::<(), _>(source).catch(&ctx).map_err(|e| {
                    Error::new(format!(
                        "the expression runtime ({name}) does not load: {e}"
                    ))
                })?;
            }
            let n: Object = ctx.globals().get("__n8n").map_err(js_setup)?;
            let get = |name: &str| -> Result<Persistent<Function<'static>>, Error> {
                let f: Function = n.get(name).map_err(js_setup)?;
                Ok(Persistent::save(&ctx, f))
            };
            let functions = (get("prepare")?, get("run")?, get("setContext")?);
            ctx.eval::<(), _>("Object.freeze(__n8n); delete globalThis.__host;")
                .map_err(js_setup)?;
            Ok::<_, Error>(functions)
        })?;
        Ok(Engine {
            _runtime: runtime,
            context,
            prepare,
            run,
            set_context,
            functions: HashMap::new(),
            registered: HashMap::new(),
            deadline,
        })
    }

    /// Runs `f` with the deadline of one evaluation armed.
    fn bounded<T>(&self, f: impl FnOnce(Ctx<'_>) -> Result<T, Error>) -> Result<T, Error> {
        self.deadline.set(Some(Instant::now() + TIME_LIMIT));
        let result = self.context.with(f);
        self.deadline.set(None);
        result
    }

    fn prepare(&mut self, source: &Arc<str>) -> Result<Prepared, Error> {
        let prepare = self.prepare.clone();
        let deadline = self.deadline.clone();
        let (function, paths) = self.bounded(|ctx| {
            let f = prepare.restore(&ctx).map_err(js_setup)?;
            let out: rquickjs::Array = f
                .call((source.as_ref(),))
                .catch(&ctx)
                .map_err(|e| compile_error(e, &deadline))?;
            let function: Function = out.get(0).map_err(js_setup)?;
            let paths: String = out.get(2).map_err(js_setup)?;
            Ok((Persistent::save(&ctx, function), paths))
        })?;
        self.functions.insert(source.clone(), function);
        Ok(Prepared {
            paths: serde_json::from_str(&paths).unwrap_or_default(),
        })
    }

    fn evaluate(&mut self, source: &Arc<str>, scope: &Scope<'_>) -> Result<Option<Value>, Error> {
        if !self.functions.contains_key(source) {
            self.prepare(source)?;
        }
        let default;
        let context = match scope.context {
            Some(c) => c,
            None => {
                default = DEFAULT_CONTEXT.with(Clone::clone);
                &default
            }
        };
        self.register(context)?;
        let function = self.functions[source].clone();
        let run = self.run.clone();
        let deadline = self.deadline.clone();
        let json = match scope.json {
            Some(m) => serde_json::to_string(m),
            None => serde_json::to_string(&Map::new()),
        }
        .map_err(|e| Error::new(e.to_string()))?;
        let extra = extra_text(scope);
        let id = context.inner.id as f64;
        let text = self.bounded(|ctx| {
            let f = function.restore(&ctx).map_err(js_setup)?;
            let run = run.restore(&ctx).map_err(js_setup)?;
            let out: Option<String> = run
                .call((f, id, scope.item_index as f64, json, Opt(extra)))
                .catch(&ctx)
                .map_err(|e| runtime_error(e, &deadline))?;
            Ok(out)
        })?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| Error::new(e.to_string())))
            .transpose()
    }

    /// Makes the run's context known to the runtime (once per context and thread).
    fn register(&mut self, context: &Context) -> Result<(), Error> {
        let id = context.inner.id;
        if self.registered.get(&id).and_then(Weak::upgrade).is_some() {
            return Ok(());
        }
        // Contexts of finished runs are forgotten on both sides.
        self.registered.retain(|_, w| w.strong_count() > 0);
        CONTEXTS.with(|c| {
            let mut c = c.borrow_mut();
            c.retain(|_, w| w.strong_count() > 0);
            c.insert(id, Arc::downgrade(&context.inner));
        });
        let set = self.set_context.clone();
        let json = context.inner.json().to_string();
        self.context.with(|ctx| {
            let f = set.restore(&ctx).map_err(js_setup)?;
            f.call::<_, ()>((id as f64, json))
                .catch(&ctx)
                .map_err(|e| Error::new(format!("the expression context does not load: {e}")))
        })?;
        self.registered.insert(id, Arc::downgrade(&context.inner));
        Ok(())
    }
}

/// The item's binary and the `pairedItem` it came with, and a definition's `$response` and
/// `$request`, as JSON, when there is any of them.
fn extra_text(scope: &Scope<'_>) -> Option<String> {
    let mut m = Map::new();
    if let Some(b) = scope.binary {
        m.insert("binary".into(), Value::Object(b.clone()));
    }
    for (key, value) in [
        ("pairedItem", scope.paired_item),
        ("response", scope.response),
        ("request", scope.request),
    ] {
        if let Some(v) = value {
            m.insert(key.into(), v.clone());
        }
    }
    (!m.is_empty()).then(|| Value::Object(m).to_string())
}

fn js_setup(e: rquickjs::Error) -> Error {
    Error::new(format!("JavaScript engine: {e}"))
}

/// The message of an exception thrown by an evaluation, naming the limit that stopped it.
fn runtime_error(e: CaughtError<'_>, deadline: &Cell<Option<Instant>>) -> Error {
    let (name, message) = describe(&e);
    if deadline.get().is_some_and(|d| Instant::now() > d) && message.contains("interrupted") {
        return Error::new(format!(
            "the expression ran longer than {} s, noderun's limit for one evaluation",
            TIME_LIMIT.as_secs()
        ));
    }
    if message.contains("out of memory") {
        return Error::new(format!(
            "the expression needed more than {} MiB of memory, noderun's limit",
            MEMORY_LIMIT >> 20
        ));
    }
    if message.contains("stack overflow") || message.contains("Maximum call stack") {
        return Error::new("the expression is nested or recurses too deeply (stack overflow)");
    }
    let _ = name;
    Error::new(message)
}

/// A compile failure: n8n's sandbox refusals keep their message, syntax errors are n8n's
/// "invalid syntax" with the parser's detail.
fn compile_error(e: CaughtError<'_>, deadline: &Cell<Option<Instant>>) -> Error {
    let (name, message) = describe(&e);
    if name == "SyntaxError" && !message.contains("Maximum call stack") {
        return Error::new(format!("invalid syntax: {message}"));
    }
    runtime_error(e, deadline)
}

fn describe(e: &CaughtError<'_>) -> (String, String) {
    match e {
        CaughtError::Exception(ex) => {
            let name = ex
                .get::<_, Option<String>>("name")
                .ok()
                .flatten()
                .unwrap_or_default();
            (name, ex.message().unwrap_or_default())
        }
        CaughtError::Value(v) => (
            String::new(),
            v.as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| "a value was thrown".into()),
        ),
        CaughtError::Error(e) => (String::new(), e.to_string()),
    }
}

/// `globalThis.__host`: the runtime's way to the host (see [`host`]).
fn install_host(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let h = Object::new(ctx.clone())?;
    h.set(
        "library",
        Function::new(ctx.clone(), |name: String| host::library(&name))?,
    )?;
    h.set(
        "tzValid",
        Function::new(ctx.clone(), |name: String| host::tz_valid(&name))?,
    )?;
    h.set(
        "tzOffset",
        Function::new(ctx.clone(), |name: String, ms: f64| {
            host::tz_offset(&name, ms)
        })?,
    )?;
    h.set(
        "tzAbbrev",
        Function::new(ctx.clone(), |name: String, ms: f64| {
            host::tz_abbreviation(&name, ms)
        })?,
    )?;
    h.set("systemZone", Function::new(ctx.clone(), host::system_zone)?)?;
    h.set(
        "hash",
        Function::new(ctx.clone(), |algorithm: String, text: String| {
            host::hash(&algorithm, &text)
        })?,
    )?;
    h.set(
        "base64Encode",
        Function::new(ctx.clone(), |text: String| host::base64_encode(&text))?,
    )?;
    h.set(
        "base64Decode",
        Function::new(ctx.clone(), |text: String| host::base64_decode(&text))?,
    )?;
    h.set(
        "urlPath",
        Function::new(ctx.clone(), |text: String| host::url_path(&text))?,
    )?;
    h.set(
        "nodeOutput",
        Function::new(ctx.clone(), |id: f64, name: String| {
            context_of(id as u64).and_then(|c| {
                c.data
                    .outputs
                    .get(&name)
                    .map(|items| Value::Array(items.clone()).to_string())
            })
        })?,
    )?;
    h.set(
        "inputItems",
        Function::new(ctx.clone(), |id: f64| {
            context_of(id as u64).and_then(|c| {
                c.data
                    .input
                    .as_ref()
                    .map(|items| Value::Array(items.clone()).to_string())
            })
        })?,
    )?;
    ctx.globals().set("__host", h)
}
