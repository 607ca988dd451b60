//! Which node runs and its parameters: the node's name and `--parameters`, `--resource`,
//! `--operation` over a node of an exported n8n workflow (`--workflow` with `--node`) or a lone
//! node object (`--workflow-node`), whose settings n8n's way (`executeOnce`, `disabled`, …) come
//! along.

use std::path::Path;

use noderun_definitions::Registry;
use noderun_definitions::display::{Visibility, is_expression};
use noderun_definitions::model::{Property, PropertyType};
use noderun_executor::OnError;
use serde_json::{Map, Value};

use crate::args::NodeArgs;

/// The node to run and its parameters (values may be expressions).
pub(crate) struct Node {
    /// The node's name in the registry, e.g. `directus`.
    pub(crate) name: String,
    pub(crate) parameters: Map<String, Value>,
    /// The workflow node the parameters started from, for its settings.
    pub(crate) workflow: Option<WorkflowNode>,
    /// The whole workflow (`--workflow`), for what expressions see.
    pub(crate) graph: Option<Value>,
    /// The parameters typed on the command line (`--parameters JSON`, not `@FILE`): visible to
    /// other users in the process list.
    pub(crate) typed: Map<String, Value>,
}

impl Node {
    pub(crate) fn new(args: &NodeArgs, registry: &Registry) -> Result<Node, String> {
        let (workflow, graph) = match (&args.workflow, &args.workflow_node) {
            (Some(path), _) => {
                let graph = one_workflow(
                    read_json_arg(&format!("@{}", path.display()), "--workflow")?,
                    path,
                )?;
                let node = pick(&graph, args.workflow_node_name.as_deref(), registry, path)?;
                (
                    Some(WorkflowNode::new(
                        node,
                        &format!("--workflow {}", path.display()),
                    )?),
                    Some(graph),
                )
            }
            (None, Some(path)) => {
                let node = read_json_arg(&format!("@{}", path.display()), "--workflow-node")?;
                (
                    Some(WorkflowNode::new(
                        &node,
                        &format!("--workflow-node {}", path.display()),
                    )?),
                    None,
                )
            }
            (None, None) => (None, None),
        };
        let name = args
            .node
            .clone()
            .or_else(|| workflow.as_ref().map(|w| w.node.clone()))
            .ok_or("name the node (e.g. `noderun run directus ...`) or give --workflow (or --workflow-node)")?;
        let mut parameters = workflow
            .as_ref()
            .map(|w| w.parameters.clone())
            .unwrap_or_default();
        let mut typed = Map::new();
        if let Some(text) = &args.parameters {
            match read_json_arg(text, "--parameters")? {
                Value::Object(m) => {
                    if !text.starts_with('@') {
                        typed = m.clone();
                    }
                    parameters.extend(m);
                }
                _ => return Err("--parameters must be a JSON object".into()),
            }
        }
        if let Some(r) = &args.resource {
            parameters.insert("resource".into(), Value::String(r.clone()));
        }
        if let Some(o) = &args.operation {
            parameters.insert("operation".into(), Value::String(o.clone()));
        }
        Ok(Node {
            name,
            parameters,
            workflow,
            graph,
            typed,
        })
    }
    /// A required parameter the operation shows that is not set at all (nor by its default) is
    /// missing for every item alike: a usage error before any item runs, not a failure per item.
    /// Nothing is said when a switch that decides what is shown is an expression (it may differ
    /// per item), or when the node, the operation or a parameter's name is unknown (the run
    /// reports that: a mistyped name is why its parameter is missing).
    pub(crate) fn check_required(&self, node: &noderun_definitions::Node) -> Result<(), String> {
        let properties = &node.description.properties;
        let mut values = self.parameters.clone();
        node.resolve_aliases(&mut values);
        let visibility = Visibility::new(properties);
        if values.iter().any(|(name, v)| {
            (is_expression(v) && visibility.is_read(name))
                || !properties.iter().any(|p| &p.name == name)
        }) {
            return Ok(());
        }
        let (Some(Value::String(resource)), Some(Value::String(operation))) =
            (values.get("resource"), values.get("operation"))
        else {
            return Ok(());
        };
        if node.operation(resource, operation).is_err() {
            return Ok(());
        }
        let unset = |v: &Value| match v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        for p in visibility
            .visible(&values)
            .into_iter()
            .map(|i| &properties[i])
        {
            let checked = p.required
                && !matches!(
                    p.kind,
                    PropertyType::Collection | PropertyType::FixedCollection | PropertyType::Notice
                );
            if checked && values.get(&p.name).map_or(unset(&p.default), unset) {
                return Err(format!(
                    "{resource} {operation} needs the parameter '{0}' ({1}), which is not set: give it, e.g. --parameters '{{\"{0}\": \"={{{{ $json.{0} }}}}\"}}' (`noderun describe {2} {resource} {operation}` lists the parameters)",
                    p.name, p.display_name, node.description.name
                ));
            }
        }
        Ok(())
    }

    /// The secrets (password-type parameters) typed as literals on the command line, as
    /// `name` or `collection.name`.
    pub(crate) fn typed_secrets(&self, properties: &[Property]) -> Vec<String> {
        let literal =
            |v: &Value| matches!(v, Value::String(s) if !s.is_empty() && !s.starts_with('='));
        let mut found = Vec::new();
        for (name, value) in &self.typed {
            for p in properties.iter().filter(|p| &p.name == name) {
                if p.is_secret() && literal(value) {
                    found.push(name.clone());
                }
                if let Value::Object(fields) = value {
                    for s in p.sub_properties().filter(|s| s.is_secret()) {
                        if fields.get(&s.name).is_some_and(literal) {
                            found.push(format!("{name}.{}", s.name));
                        }
                    }
                }
            }
        }
        found.dedup();
        found
    }
}

/// The workflow of a `--workflow` file: the file's object, or the one workflow of an array (what
/// `n8n export:workflow` writes).
fn one_workflow(file: Value, path: &Path) -> Result<Value, String> {
    match file {
        Value::Array(mut all) if all.len() == 1 => Ok(all.remove(0)),
        Value::Array(all) => Err(format!(
            "--workflow {} holds {} workflows ({}); noderun runs a node of one: export that workflow alone",
            path.display(),
            all.len(),
            all.iter()
                .map(|w| format!("'{}'", w.get("name").and_then(Value::as_str).unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        other => Ok(other),
    }
}

/// The node of a workflow file to run: `name`, or the one node noderun can run.
fn pick<'a>(
    graph: &'a Value,
    name: Option<&str>,
    registry: &Registry,
    path: &Path,
) -> Result<&'a Value, String> {
    let file = path.display();
    let nodes = graph
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            format!("--workflow {file}: not an n8n workflow (no \"nodes\" array; a single node goes to --workflow-node)")
        })?;
    let label = |n: &Value| {
        format!(
            "'{}' ({})",
            n.get("name").and_then(Value::as_str).unwrap_or("?"),
            n.get("type").and_then(Value::as_str).unwrap_or("no type")
        )
    };
    let runnable: Vec<&Value> = nodes
        .iter()
        .filter(|n| {
            n.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| registry.node_type(t).is_ok())
        })
        .collect();
    let list = |v: &[&Value]| v.iter().map(|n| label(n)).collect::<Vec<_>>().join(", ");
    match name {
        Some(name) => {
            let node = nodes
                .iter()
                .find(|n| n.get("name").and_then(Value::as_str) == Some(name))
                .ok_or_else(|| {
                    format!(
                        "--workflow {file} has no node named '{name}'; its nodes: {}",
                        list(&nodes.iter().collect::<Vec<_>>())
                    )
                })?;
            if runnable.iter().any(|r| std::ptr::eq(*r, node)) {
                Ok(node)
            } else {
                Err(format!(
                    "--node '{name}' is {}, which noderun does not run; the nodes it can run: {}",
                    label(node),
                    if runnable.is_empty() {
                        "none".into()
                    } else {
                        list(&runnable)
                    }
                ))
            }
        }
        None => match runnable.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "--workflow {file} has no node noderun can run; its nodes: {}",
                list(&nodes.iter().collect::<Vec<_>>())
            )),
            many => Err(format!(
                "--workflow {file} has {} nodes noderun can run: {}; choose one with --node NAME",
                many.len(),
                list(many)
            )),
        },
    }
}

/// The settings an n8n workflow node carries.
pub(crate) struct WorkflowNode {
    /// Its type: the registry knows which node runs it ([`Registry::node_type`]).
    pub(crate) node: String,
    /// Its name in the workflow.
    pub(crate) name: Option<String>,
    pub(crate) parameters: Map<String, Value>,
    pub(crate) on_error: Option<OnError>,
    pub(crate) continue_on_fail: bool,
    pub(crate) retry_on_fail: bool,
    pub(crate) max_tries: Option<u32>,
    pub(crate) wait_between_tries: Option<u64>,
    /// `executeOnce`: only the first input item runs.
    pub(crate) execute_once: bool,
    /// `alwaysOutputData`: an empty output becomes one empty item.
    pub(crate) always_output_data: bool,
    /// `disabled`: the input items pass through untouched.
    pub(crate) disabled: bool,
}

/// The keys of an n8n node that noderun honours, or that do not change what the node does.
const NODE_KEYS: [&str; 18] = [
    "id",
    "name",
    "type",
    "typeVersion",
    "position",
    "parameters",
    "credentials",
    "notes",
    "notesInFlow",
    "color",
    "webhookId",
    "disabled",
    "executeOnce",
    "alwaysOutputData",
    "retryOnFail",
    "maxTries",
    "waitBetweenTries",
    "onError",
];

impl WorkflowNode {
    /// A node object of a workflow; `flag` names where it came from in messages.
    fn new(value: &Value, flag: &str) -> Result<WorkflowNode, String> {
        let node = value
            .as_object()
            .ok_or_else(|| format!("{flag}: a node must be a JSON object"))?;
        let node_type = value
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{flag}: the node has no \"type\""))?;
        let what = match value.get("name").and_then(Value::as_str) {
            Some(n) => format!("{flag}: node '{n}'"),
            None => flag.to_string(),
        };
        // What n8n does with a node setting noderun does not know would be ignored here:
        // refuse it by name instead.
        if let Some(key) = node
            .keys()
            .find(|k| !NODE_KEYS.contains(&k.as_str()) && k.as_str() != "continueOnFail")
        {
            return Err(format!(
                "{what}: the setting '{key}' is not supported by noderun (it honours {}, continueOnFail)",
                NODE_KEYS[11..].join(", ")
            ));
        }
        let flag_of = |k: &str| -> Result<bool, String> {
            match value.get(k) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(other) => Err(format!("{what}: {k} must be true or false; got {other}")),
            }
        };
        // n8n's form allows 2 to 5 tries and 0 to 5000 ms; a value outside is refused, not
        // clamped as n8n's engine does without a word.
        let ranged = |key: &str, range: std::ops::RangeInclusive<u64>| match value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "{what}: {key} must be a whole number from {} to {}; got {v}",
                        range.start(),
                        range.end()
                    )
                }),
        };
        let on_error = match value.get("onError") {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value::<OnError>(v.clone()).map_err(|_| {
                format!(
                    "{what}: onError must be stopWorkflow, continueRegularOutput or continueErrorOutput; got {v}"
                )
            })?),
        };
        Ok(WorkflowNode {
            node: node_type.to_string(),
            name: value.get("name").and_then(Value::as_str).map(String::from),
            parameters: value
                .get("parameters")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            on_error,
            continue_on_fail: flag_of("continueOnFail")?,
            retry_on_fail: flag_of("retryOnFail")?,
            max_tries: ranged("maxTries", 2..=5)?.map(|n| n as u32),
            wait_between_tries: ranged("waitBetweenTries", 0..=5000)?,
            execute_once: flag_of("executeOnce")?,
            always_output_data: flag_of("alwaysOutputData")?,
            disabled: flag_of("disabled")?,
        })
    }
}

/// A JSON argument given inline or as `@FILE`.
pub(crate) fn read_json_arg(text: &str, what: &str) -> Result<Value, String> {
    let content = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {what} file {path}: {e}"))?,
        None => text.to_string(),
    };
    serde_json::from_str(&content).map_err(|e| format!("{what} is not valid JSON: {e}"))
}
