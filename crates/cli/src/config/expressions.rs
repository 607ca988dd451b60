//! What expressions see beyond the item: the workflow around the node (`--workflow`), other
//! nodes' items (`--node-output`), `$vars`, `$env` when allowed, the time zone.

use std::path::Path;

use noderun_expression::{ContextData, NodeInfo, Template};
use serde_json::{Map, Value};

use super::node::{Node, read_json_arg};
use crate::args::ExpressionArgs;

/// The expression context of a run, before its input is known.
pub(crate) struct Expressions {
    /// What expressions see (the input items are added when they are kept).
    pub(crate) context: ContextData,
    /// Whether an expression reads other input items than its own (`$input.all()`): the run
    /// then reads its whole input before the first item starts.
    pub(crate) needs_all_input: bool,
}

impl Expressions {
    pub(crate) fn new(args: &ExpressionArgs, node: &Node) -> Result<Expressions, String> {
        let mut context = match (
            &node.graph,
            node.workflow.as_ref().and_then(|w| w.name.as_ref()),
        ) {
            (Some(graph), Some(name)) => {
                ContextData::from_workflow(graph, name).map_err(|e| format!("--workflow: {e}"))?
            }
            _ => ContextData::default(),
        };
        context.node.parameters = node.parameters.clone();
        if context.node.name.is_empty() {
            context.node.name = node.name.clone();
        }
        context
            .nodes
            .insert(context.node.name.clone(), context.node.clone());
        if let Some(zone) = args.timezone.clone().or_else(|| {
            // The workflow's own setting wins over the host's default, as in n8n.
            let set_by_workflow = node
                .graph
                .as_ref()
                .and_then(|g| g.pointer("/settings/timezone"))
                .and_then(Value::as_str)
                .is_some_and(|tz| !tz.is_empty() && tz != "DEFAULT");
            (!set_by_workflow)
                .then(|| std::env::var("GENERIC_TIMEZONE").ok())
                .flatten()
        }) {
            context.timezone = zone;
        }
        if !noderun_expression::is_time_zone(&context.timezone) {
            return Err(format!(
                "'{}' is not a time zone (an IANA name such as Europe/Berlin is expected)",
                context.timezone
            ));
        }
        if let Some(text) = &args.vars {
            match read_json_arg(text, "--vars")? {
                Value::Object(vars) => context.vars = vars,
                _ => return Err("--vars must be a JSON object".into()),
            }
        }
        if args.allow_env {
            context.env = Some(
                std::env::vars()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect::<Map<String, Value>>(),
            );
        }
        for entry in &args.node_output {
            let (name, path) = entry
                .split_once('=')
                .ok_or_else(|| format!("--node-output must be NAME=FILE, got '{entry}'"))?;
            if node.graph.is_some() && !context.nodes.contains_key(name) {
                return Err(format!(
                    "--node-output '{name}': the workflow has no node of that name; its nodes: {}",
                    context.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            if context.previous.as_deref() == Some(name) {
                return Err(format!(
                    "--node-output '{name}': '{name}' is the node before this one, whose items are the input"
                ));
            }
            let items =
                read_items(Path::new(path)).map_err(|e| format!("--node-output '{name}': {e}"))?;
            context
                .nodes
                .entry(name.to_string())
                .or_insert_with(|| NodeInfo {
                    name: name.to_string(),
                    ..NodeInfo::default()
                });
            context.outputs.insert(name.to_string(), items);
        }
        let needs_all_input = needs_all_input(&Value::Object(node.parameters.clone()));
        Ok(Expressions {
            context,
            needs_all_input,
        })
    }
}

/// Whether an expression among the parameters reads input items other than its own.
fn needs_all_input(value: &Value) -> bool {
    match value {
        Value::String(s) if s.starts_with('=') => {
            Template::parse(s).is_ok_and(|t| t.needs_all_input())
        }
        Value::Object(m) => m.values().any(needs_all_input),
        Value::Array(a) => a.iter().any(needs_all_input),
        _ => false,
    }
}

/// The items of a node's output file: NDJSON or a JSON array, each entry an n8n item or a
/// bare object (its json).
fn read_items(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let values: Vec<Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a valid JSON array: {e}", path.display()))?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| format!("{} line {}: not JSON: {e}", path.display(), i + 1))
            })
            .collect::<Result<_, _>>()?
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(m) if m.get("json").is_some_and(Value::is_object) => Ok(Value::Object(m)),
            Value::Object(m) if !m.contains_key("json") => {
                Ok(serde_json::json!({ "json": Value::Object(m) }))
            }
            _ => Err(format!(
                "{} entry {}: expected an n8n item ({{\"json\": {{...}}}}) or an object",
                path.display(),
                i + 1
            )),
        })
        .collect()
}
