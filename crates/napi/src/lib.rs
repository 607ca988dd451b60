//! The Node.js binding: noderun's executor as a native addon, for n8n's community node package.
//!
//! The primary function is [`run`]: one node invocation (node, parameters as n8n stores them,
//! credential fields, settings) over a batch of n8n items, returning the main and error outputs
//! and the accounting, the same contract as [`noderun_executor::Runner::run_batch`]. It is an
//! `async` function: the work runs on one tokio runtime per process (napi-rs's), and the
//! JavaScript promise settles when the batch is done, so n8n's event loop is never blocked.
//!
//! The key decision: the binding is JSON in, JSON out, with the library's own item shape
//! (`{json, binary?, pairedItem?, error?}`), so whatever the executor learns (binary items,
//! new settings) crosses the boundary without a second model to keep in step. A run that cannot
//! start (unknown operation, bad credentials, an expression that does not parse) rejects the
//! promise; a failed item stops the run only as the library says, reported in `stopped`.
//! A run given an execution id can be cancelled from JavaScript ([`cancel`], wired to n8n's
//! abort signal): no new item starts and the items in flight are aborted.
//!
//! [`poll`] is the Directus Trigger's: one read of the change feed (`noderun-trigger`) from the
//! cursor the node keeps in the workflow's static data, returning the changes as items and the
//! cursor to keep once n8n has taken them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use noderun_definitions::Registry;
use noderun_executor::{BatchResult, Cancel, Invocation, Item, OnError, Runner, Settings};
use serde_json::{Map, Value, json};

/// The embedded definitions, loaded and checked once per process.
fn registry() -> Result<Arc<Registry>> {
    static REGISTRY: OnceLock<std::result::Result<Arc<Registry>, String>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            Registry::embedded()
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(Error::from_reason)
}

/// The cancellation handles of the runs in progress that were given an execution id.
fn running() -> &'static Mutex<HashMap<u32, Cancel>> {
    static RUNNING: OnceLock<Mutex<HashMap<u32, Cancel>>> = OnceLock::new();
    RUNNING.get_or_init(Mutex::default)
}

/// Cancels the run started with this execution id, if it is still going: no new item starts,
/// items in flight are aborted (their outcome is unknown: `summary.interrupted`). Returns
/// whether a run was found.
#[napi]
pub fn cancel(execution: u32) -> bool {
    let found = running()
        .lock()
        .map(|r| r.get(&execution).cloned())
        .unwrap_or_default();
    match found {
        Some(c) => {
            c.abort();
            true
        }
        None => false,
    }
}

/// Runs a batch. `request` is
/// `{node, parameters, credentials, settings?, items: [{json, binary?}]}` where settings are
/// `{onError?: "stopWorkflow"|"continueRegularOutput"|"continueErrorOutput", continueOnFail?,
/// concurrency?, timeoutMs?, connectTimeoutMs?, maxResponseBytes?}`. Resolves to
/// `{main: [item], error: [item], summary: {items, succeeded, failed, notRun, elapsedMs,
/// stopped?: {item, parameter?, message, description?, httpCode?, code?}, cancelled,
/// interrupted: [index]}}`. With `execution` (an id unique among the runs in progress),
/// [`cancel`] can stop it.
#[napi]
pub async fn run(request: Value, execution: Option<u32>) -> Result<Value> {
    let registry = registry()?;
    let Value::Object(mut request) = request else {
        return Err(Error::from_reason("the request must be an object"));
    };
    let object = |request: &mut Map<String, Value>, key: &str| match request.remove(key) {
        Some(Value::Object(m)) => Ok(m),
        None | Some(Value::Null) => Ok(Map::new()),
        Some(_) => Err(Error::from_reason(format!("'{key}' must be an object"))),
    };
    let node = match request.remove("node") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(Error::from_reason(
                "'node' must be a node name, e.g. \"directus\"",
            ));
        }
    };
    let parameters = object(&mut request, "parameters")?;
    let credentials = object(&mut request, "credentials")?;
    let settings = settings(&object(&mut request, "settings")?)?;
    let items = match request.remove("items") {
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| Item::from_input(v).map_err(|e| format!("item {i}: {e}")))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(Error::from_reason)?,
        _ => return Err(Error::from_reason("'items' must be an array of n8n items")),
    };
    let runner = Runner::new(
        registry,
        Invocation {
            node,
            parameters,
            credentials,
            settings,
        },
    )
    .map_err(|e| Error::from_reason(e.to_string()))?;
    let Some(id) = execution else {
        return Ok(result(runner.run_batch(items).await));
    };
    let cancel = Cancel::new();
    if let Ok(mut r) = running().lock() {
        r.insert(id, cancel.clone());
    }
    let batch = runner.with_cancel(cancel).run_batch(items).await;
    if let Ok(mut r) = running().lock() {
        r.remove(&id);
    }
    Ok(result(batch))
}

/// One poll of the Directus change feed. `request` is `{credentials, parameters: {collections:
/// [name], events: ["create"|"update"|"delete"], fields?: "a,b", filter?: object|string},
/// cursor?: Cursor|string|null, max?: number, manual?: bool}` (the cursor as an object or as its
/// JSON text, the form the package keeps: see [`integral`]). Without a cursor the feed starts from
/// now (no items: the first production poll only places it). `manual` (an editor's test run)
/// reads the last 100 activity rows and returns the newest change only, leaving the cursor as it
/// was. Resolves to `{items: [{json}], cursor}`; rejects with the reason (a collection the token
/// may not read, no read on the activity log, Directus not answering).
#[napi]
pub async fn poll(request: Value) -> Result<Value> {
    let registry = registry()?;
    let reason = |e: String| Error::from_reason(e);
    let Value::Object(mut request) = request else {
        return Err(reason("the request must be an object".into()));
    };
    let credentials = match request.remove("credentials") {
        Some(Value::Object(m)) => m,
        _ => return Err(reason("'credentials' must be an object".into())),
    };
    let parameters = request
        .remove("parameters")
        .and_then(|p| p.as_object().cloned())
        .unwrap_or_default();
    let list = |key: &str| -> Vec<String> {
        match parameters.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            Some(Value::String(s)) => s
                .split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
            _ => Vec::new(),
        }
    };
    let events = list("events").join(",");
    let events = noderun_trigger::Event::parse_list(if events.is_empty() {
        "create,update,delete"
    } else {
        &events
    })
    .map_err(reason)?;
    let filter = match parameters.get("filter") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() || s.trim() == "{}" => None,
        Some(Value::String(s)) => Some(
            serde_json::from_str::<Value>(s)
                .map_err(|e| reason(format!("Filter is not valid JSON: {e}")))?,
        ),
        Some(v @ Value::Object(m)) if !m.is_empty() => Some(v.clone()),
        Some(_) => None,
    };
    let fields = parameters
        .get("fields")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(String::from);
    let options = noderun_trigger::Options {
        collections: list("collections"),
        events,
        fields,
        filter,
        commit_window: Duration::from_secs(300),
    };
    let manual = request.get("manual") == Some(&Value::Bool(true));
    let unreadable = |e: serde_json::Error| {
        reason(format!(
            "the saved cursor is not one of the trigger's ({e})"
        ))
    };
    let cursor = match request.remove("cursor") {
        _ if manual => None,
        // as the package keeps it in n8n's static data: its JSON text, read exactly
        Some(Value::String(text)) => {
            Some(serde_json::from_str::<noderun_trigger::Cursor>(&text).map_err(unreadable)?)
        }
        Some(v @ Value::Object(_)) => Some(
            serde_json::from_value::<noderun_trigger::Cursor>(integral(v)).map_err(unreadable)?,
        ),
        _ => None,
    };
    let max = request
        .get("max")
        .and_then(Value::as_u64)
        .map_or(1000, |m| m.max(1) as usize);
    let mut feed = noderun_trigger::Feed::open(registry, credentials, options, cursor)
        .await
        .map_err(|e| reason(e.to_string()))?;
    if manual {
        feed.rewind(100);
    }
    let changes = feed
        .poll(if manual { usize::MAX } else { max })
        .await
        .map_err(|e| reason(e.to_string()))?;
    let items: Vec<Value> = if manual {
        changes.last().map(|c| c.item.clone()).into_iter().collect()
    } else {
        changes.into_iter().map(|c| c.item).collect()
    };
    Ok(json!({"items": items, "cursor": feed.cursor(), "warnings": feed.take_warnings()}))
}

/// `value` with every whole number that came from JavaScript as a float made an integer again.
///
/// A JavaScript number reaches Rust as an integer only within i32 range, else as a float: the
/// cursor n8n keeps in the workflow's static data holds activity ids and, for ids not seen yet,
/// the unix milliseconds when they were first missed (`[9666, 9670, 1764751177104]`), which
/// came back as `1764751177104.0` and failed to parse, so every poll after one that left a gap
/// pending failed. (n8n also turned the cursor's arrays into objects when it saved the static
/// data, which is why the package keeps the cursor as JSON text.)
fn integral(value: Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f)
                if n.is_f64()
                    && f.fract() == 0.0
                    && (0.0..=9_007_199_254_740_992.0).contains(&f) =>
            {
                json!(f as u64)
            }
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(integral).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, integral(v))).collect()),
        other => other,
    }
}

/// Whether noderun evaluates this parameter value itself inside n8n: an expression in the native
/// subset (`={{ $json.id }}`, `=Bearer {{ … }}`), evaluated strictly per item. The package lets
/// n8n resolve every other one (`$('Node')`, `$input.all()`, `$now`, …): inside n8n, n8n has
/// the workflow, the other nodes' items and the execution that they read, which a run of the
/// addon is not given.
#[napi]
pub fn expression_supported(source: String) -> bool {
    noderun_expression::Template::parse(&source)
        .is_ok_and(|t| t.evaluator() == noderun_expression::Evaluator::Native)
}

fn settings(s: &Map<String, Value>) -> Result<Settings> {
    let mut settings = Settings::default();
    if let Some(v) = s.get("onError").filter(|v| !v.is_null()) {
        settings.on_error = serde_json::from_value::<OnError>(v.clone()).map_err(|_| {
            Error::from_reason(format!(
                "settings.onError must be stopWorkflow, continueRegularOutput or continueErrorOutput, got {v}"
            ))
        })?;
    }
    settings = settings.continue_on_fail(s.get("continueOnFail") == Some(&Value::Bool(true)));
    let number = |key: &str| -> Result<Option<u64>> {
        match s.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                Error::from_reason(format!("settings.{key} must be a whole number, got {v}"))
            }),
        }
    };
    if let Some(n) = number("concurrency")? {
        settings.concurrency = n.max(1) as usize;
    }
    if let Some(ms) = number("timeoutMs")? {
        settings.request_timeout = Duration::from_millis(ms);
    }
    if let Some(ms) = number("connectTimeoutMs")? {
        settings.connect_timeout = Duration::from_millis(ms);
    }
    if let Some(n) = number("maxResponseBytes")? {
        settings.max_response_bytes = n as usize;
    }
    Ok(settings)
}

fn result(batch: BatchResult) -> Value {
    let items = |v: Vec<Item>| Value::Array(v.iter().map(|i| json!(i)).collect());
    let s = batch.summary;
    let stopped = s.stopped.map(|stop| {
        let mut details = json!(stop.failure.details);
        details["item"] = json!(stop.item);
        if let Some(p) = stop.failure.parameter.filter(|p| !p.is_empty()) {
            details["parameter"] = json!(p);
        }
        details
    });
    json!({
        "main": items(batch.main),
        "error": items(batch.error),
        "summary": {
            "items": s.items,
            "succeeded": s.succeeded,
            "failed": s.failed,
            "notRun": s.not_run,
            "elapsedMs": s.elapsed.as_secs_f64() * 1000.0,
            "stopped": stopped,
            "cancelled": s.cancelled,
            "interrupted": s.interrupted,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_with_pending_ids_survives_javascript_numbers() {
        let from_js = json!({"directus": "http://d", "after": 10409.0,
                             "pending": [[9666, 9670.0, 1764751177104.0]]});
        let cursor: noderun_trigger::Cursor = serde_json::from_value(integral(from_js)).unwrap();
        assert_eq!(
            serde_json::to_value(cursor).unwrap(),
            json!({"directus": "http://d", "after": 10409, "pending": [[9666, 9670, 1764751177104u64]]})
        );
        // what is no whole number stays as it was
        assert_eq!(integral(json!([1.5, -2.0, "3"])), json!([1.5, -2.0, "3"]));
    }
}
