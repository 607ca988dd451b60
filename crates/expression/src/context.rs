//! What an expression sees beyond the current item: the workflow, the node, the other nodes'
//! items, variables, the time zone. Built once per run and shared by every evaluation of it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde_json::{Map, Value};

/// n8n's default time zone when neither the workflow nor the host sets one.
pub const DEFAULT_TIMEZONE: &str = "America/New_York";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A node of the workflow as expressions see it (`$('Name').params`, `$node["Name"].parameter`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// The node's name.
    pub name: String,
    /// Its parameters as saved (expressions unresolved).
    pub parameters: Map<String, Value>,
    /// `typeVersion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_version: Option<Value>,
    /// `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `webhookId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
}

/// Where one input of a node comes from (n8n's `source`): a node and its output index.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The node feeding the input.
    pub previous_node: String,
    /// Which of its outputs.
    pub previous_node_output: usize,
}

/// `$workflow`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkflowInfo {
    /// The workflow id; `$workflow.id` fails without one, as in n8n ("save workflow to view").
    pub id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Whether it is active.
    pub active: bool,
}

/// `$execution`.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionInfo {
    /// The execution id (n8n's `__UNKNOWN__` when there is none).
    pub id: String,
    /// `test` for manual runs, else `production`.
    pub mode: String,
}

impl Default for ExecutionInfo {
    fn default() -> Self {
        ExecutionInfo {
            id: "__UNKNOWN__".into(),
            mode: "production".into(),
        }
    }
}

/// The data of a run that expressions may read. Fields are public: fill what the run has; the
/// defaults are a lone node with no workflow around it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextData {
    /// IANA time zone of `$now`, `DateTime` and date parsing.
    pub timezone: String,
    /// The node being run.
    pub node: NodeInfo,
    /// Every node of the workflow by name (the active one included).
    pub nodes: BTreeMap<String, NodeInfo>,
    /// The node whose output is this node's input (`$()`, `$prevNode`, the first paired-item hop).
    pub previous: Option<String>,
    /// Every node upstream of the active one (`$('Name').item` needs a path back).
    pub ancestors: Vec<String>,
    /// Each node's inputs: where its items came from (to follow paired items).
    pub sources: BTreeMap<String, Vec<Source>>,
    /// For each upstream node, the output index on the way to the active node.
    pub branches: BTreeMap<String, usize>,
    /// `$runIndex`.
    pub run_index: usize,
    /// `$mode`.
    pub mode: String,
    /// `$workflow`.
    pub workflow: WorkflowInfo,
    /// `$execution`.
    pub execution: ExecutionInfo,
    /// `$vars`.
    pub vars: Map<String, Value>,
    /// `$env`: `None` denies access (n8n's default), as n8n does.
    pub env: Option<Map<String, Value>>,
    /// Items other nodes output (`$('Name')`, `$node`), by node name: full n8n items.
    #[serde(skip)]
    pub outputs: BTreeMap<String, Vec<Value>>,
    /// All input items of the run, when an expression needs them (`$input.all()`).
    #[serde(skip)]
    pub input: Option<Vec<Value>>,
}

impl Default for ContextData {
    fn default() -> Self {
        ContextData {
            timezone: DEFAULT_TIMEZONE.into(),
            node: NodeInfo::default(),
            nodes: BTreeMap::new(),
            previous: None,
            ancestors: Vec::new(),
            sources: BTreeMap::new(),
            branches: BTreeMap::new(),
            run_index: 0,
            mode: "cli".into(),
            workflow: WorkflowInfo::default(),
            execution: ExecutionInfo::default(),
            vars: Map::new(),
            env: None,
            outputs: BTreeMap::new(),
            input: None,
        }
    }
}

/// A run's [`ContextData`], shared (cheap to clone) and frozen.
#[derive(Debug, Clone)]
pub struct Context {
    pub(crate) inner: Arc<Inner>,
}

// The id and the JSON text are what the JavaScript engine reads.
#[cfg_attr(not(feature = "engine"), allow(dead_code))]
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) id: u64,
    pub(crate) data: ContextData,
    json: OnceLock<String>,
}

#[cfg_attr(not(feature = "engine"), allow(dead_code))]
impl Inner {
    /// The context as the JavaScript runtime reads it (items excluded: fetched when needed).
    pub(crate) fn json(&self) -> &str {
        self.json
            .get_or_init(|| serde_json::to_string(&self.data).unwrap_or_else(|_| "{}".into()))
    }
}

impl Context {
    /// Freezes a context.
    pub fn new(data: ContextData) -> Context {
        Context {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                data,
                json: OnceLock::new(),
            }),
        }
    }

    /// The data it holds.
    pub fn data(&self) -> &ContextData {
        &self.inner.data
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new(ContextData::default())
    }
}

impl ContextData {
    /// The context of the node `name` in an n8n workflow (`{"nodes": [...], "connections":
    /// {...}, "settings"?: {"timezone"?}}`, as n8n exports it): its nodes, where each node's
    /// items come from, the nodes upstream of `name` and the time zone. Items, variables and the
    /// environment are the caller's to add.
    ///
    /// # Errors
    /// A workflow without a node of that name, or whose nodes or connections are malformed.
    pub fn from_workflow(workflow: &Value, name: &str) -> Result<ContextData, String> {
        let nodes = workflow
            .get("nodes")
            .and_then(Value::as_array)
            .ok_or("the workflow has no \"nodes\" array")?;
        let mut data = ContextData::default();
        for n in nodes {
            let node_name = n
                .get("name")
                .and_then(Value::as_str)
                .ok_or("a node of the workflow has no \"name\"")?;
            let text = |k: &str| {
                n.get(k).and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(x) => Some(x.to_string()),
                    _ => None,
                })
            };
            data.nodes.insert(
                node_name.to_string(),
                NodeInfo {
                    name: node_name.to_string(),
                    parameters: n
                        .get("parameters")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                    type_version: n.get("typeVersion").cloned(),
                    id: text("id"),
                    webhook_id: text("webhookId"),
                },
            );
        }
        data.node = data
            .nodes
            .get(name)
            .cloned()
            .ok_or_else(|| format!("the workflow has no node named '{name}'"))?;
        // Every connection `from` (output `output`) -> `to` (input `input`), in file order.
        let mut edges: Vec<(String, usize, String, usize)> = Vec::new();
        if let Some(connections) = workflow.get("connections") {
            let connections = connections
                .as_object()
                .ok_or("the workflow's \"connections\" is not an object")?;
            for (from, kinds) in connections {
                let Some(outputs) = kinds.get("main").and_then(Value::as_array) else {
                    continue;
                };
                for (output, targets) in outputs.iter().enumerate() {
                    for target in targets.as_array().into_iter().flatten() {
                        let to = target
                            .get("node")
                            .and_then(Value::as_str)
                            .ok_or_else(|| format!("a connection of '{from}' has no \"node\""))?;
                        let input = target.get("index").and_then(Value::as_u64).unwrap_or(0);
                        edges.push((from.clone(), output, to.to_string(), input as usize));
                    }
                }
            }
        }
        for (from, output, to, input) in &edges {
            let sources = data.sources.entry(to.clone()).or_default();
            while sources.len() <= *input {
                sources.push(Source {
                    previous_node: String::new(),
                    previous_node_output: 0,
                });
            }
            if sources[*input].previous_node.is_empty() {
                sources[*input] = Source {
                    previous_node: from.clone(),
                    previous_node_output: *output,
                };
            }
        }
        for sources in data.sources.values_mut() {
            sources.retain(|s| !s.previous_node.is_empty());
        }
        data.previous = data
            .sources
            .get(name)
            .and_then(|s| s.first())
            .map(|s| s.previous_node.clone());
        // Upstream nodes, nearest first, with the output each one leads here through.
        let mut queue = std::collections::VecDeque::from([name.to_string()]);
        let mut seen = std::collections::BTreeSet::from([name.to_string()]);
        while let Some(current) = queue.pop_front() {
            for (from, output, to, _) in &edges {
                if to == &current && seen.insert(from.clone()) {
                    data.ancestors.push(from.clone());
                    data.branches.insert(from.clone(), *output);
                    queue.push_back(from.clone());
                }
            }
        }
        data.workflow = WorkflowInfo {
            id: workflow.get("id").and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
            name: workflow
                .get("name")
                .and_then(Value::as_str)
                .map(String::from),
            active: workflow
                .get("active")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        if let Some(tz) = workflow
            .pointer("/settings/timezone")
            .and_then(Value::as_str)
            .filter(|tz| !tz.is_empty() && *tz != "DEFAULT")
        {
            data.timezone = tz.to_string();
        }
        Ok(data)
    }
}
