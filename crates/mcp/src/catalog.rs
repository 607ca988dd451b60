//! The tool catalogue: which operations are served, under which names, with which schemas and
//! hints. Everything comes from the node's definitions: the operations and their schemas, the
//! HTTP methods of their routing (for the hints), the default selection (`agentTools`).

use std::collections::BTreeSet;
use std::sync::Arc;

use noderun_definitions::display::Visibility;
use noderun_definitions::model::{Choice, Method, Property, PropertyType, Routing};
use noderun_definitions::{Node, Operation};
use rmcp::model::{Tool, ToolAnnotations};
use serde_json::Value;

use crate::schema::{ToolInput, tool_input};

/// Which of a node's operations are served as tools.
///
/// `resources` names resource values, `default` (the node's default tool set, from its
/// definitions' `agentTools.defaultTools`) or `all`; `operations` keeps only the operations
/// named by value (`list`) or by tool name (`items_list`); `read_only` keeps only the tools
/// that read. With neither resources nor operations the default set is served; with
/// operations alone they are picked among all resources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Resource values, `default` or `all`.
    pub resources: Vec<String>,
    /// Operation values or tool names.
    pub operations: Vec<String>,
    /// Only the tools that do not change anything.
    pub read_only: bool,
}

/// One tool and the operation it runs.
#[derive(Debug)]
pub(crate) struct ToolDef {
    pub tool: Tool,
    pub resource: String,
    pub operation: String,
    /// Every request the operation makes is a GET (also the hint `readOnlyHint`).
    pub read_only: bool,
    pub input: ToolInput,
}

/// The tools of a node, in the order of its operations.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub tools: Vec<Arc<ToolDef>>,
}

impl Catalog {
    /// The tools of `node` that `selection` picks.
    ///
    /// # Errors
    /// A resource, operation or tool name the node does not have (the valid ones listed), a
    /// selection that leaves no tool, or a default set in the definitions that names an
    /// operation the node does not have.
    pub fn new(node: &Node, selection: &Selection) -> Result<Catalog, String> {
        let visibility = Visibility::new(&node.description.properties);
        let all: Vec<Arc<ToolDef>> = node
            .operations()
            .iter()
            .map(|op| Arc::new(tool_def(node, &visibility, op)))
            .collect();
        let defaults = default_set(node, &all)?;
        let all = mark_destructive(node, all)?;
        let resources: BTreeSet<&str> = all.iter().map(|t| t.resource.as_str()).collect();
        let mut wanted: Vec<&str> = selection.resources.iter().map(String::as_str).collect();
        if wanted.is_empty() {
            wanted.push(if selection.operations.is_empty() {
                "default"
            } else {
                "all"
            });
        }
        for r in &wanted {
            if !matches!(*r, "default" | "all") && !resources.contains(r) {
                return Err(format!(
                    "node '{}' has no resource '{r}'; valid: default, all, {}",
                    node.description.name,
                    resources.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        for o in &selection.operations {
            if !all.iter().any(|t| t.operation == *o || t.tool.name == *o) {
                let mut operations: Vec<&str> = all.iter().map(|t| t.operation.as_str()).collect();
                operations.sort_unstable();
                operations.dedup();
                return Err(format!(
                    "node '{}' has no operation or tool '{o}'; operations: {}; tools are named <resource>_<operation> in snake case, e.g. {}",
                    node.description.name,
                    operations.join(", "),
                    all.first().map_or("", |t| &t.tool.name)
                ));
            }
        }
        let tools: Vec<Arc<ToolDef>> = all
            .iter()
            .filter(|t| {
                wanted.iter().any(|r| match *r {
                    "all" => true,
                    "default" => defaults.contains(t.tool.name.as_ref()),
                    r => t.resource == r,
                })
            })
            .filter(|t| {
                selection.operations.is_empty()
                    || selection
                        .operations
                        .iter()
                        .any(|o| t.operation == *o || t.tool.name == *o)
            })
            .filter(|t| !selection.read_only || t.read_only)
            .cloned()
            .collect();
        if tools.is_empty() {
            return Err(
                "the selection leaves no tool (see --resources, --operations, --read-only)".into(),
            );
        }
        Ok(Catalog { tools })
    }

    /// The tool named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<ToolDef>> {
        self.tools.iter().find(|t| t.tool.name == name)
    }
}

/// The tools of the operations the definitions call destructive (`agentTools.destructive`),
/// marked so.
fn mark_destructive(node: &Node, mut all: Vec<Arc<ToolDef>>) -> Result<Vec<Arc<ToolDef>>, String> {
    let listed = node
        .description
        .agent_tools
        .as_ref()
        .map_or(&[][..], |a| a.destructive.as_slice());
    for entry in listed {
        let tool = all
            .iter_mut()
            .find(|t| format!("{}.{}", t.resource, t.operation) == *entry)
            .ok_or_else(|| {
                format!(
                    "the definitions of node '{}' name {entry} in agentTools.destructive, which the node does not have",
                    node.description.name
                )
            })?;
        let def = Arc::get_mut(tool).expect("not shared yet");
        let annotations = def.tool.annotations.take().unwrap_or_default();
        def.tool.annotations = Some(annotations.destructive(true));
    }
    Ok(all)
}

/// The names of the tools in the definitions' default set.
fn default_set(node: &Node, all: &[Arc<ToolDef>]) -> Result<BTreeSet<String>, String> {
    let defaults = node
        .description
        .agent_tools
        .as_ref()
        .map(|a| &a.default_tools);
    let mut names = BTreeSet::new();
    for (resource, operations) in defaults.into_iter().flatten() {
        for operation in operations {
            let tool = all
                .iter()
                .find(|t| t.resource == *resource && t.operation == *operation)
                .ok_or_else(|| {
                    format!(
                        "the definitions of node '{}' name {resource} {operation} in agentTools.defaultTools, which the node does not have",
                        node.description.name
                    )
                })?;
            names.insert(tool.tool.name.to_string());
        }
    }
    if names.is_empty() {
        // A node without a default set: every operation.
        names.extend(all.iter().map(|t| t.tool.name.to_string()));
    }
    Ok(names)
}

/// `refreshToken` → `refresh_token`, `getOpenAPI` → `get_open_api`, `generate2FA` → `generate_2fa`.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = match prev {
            None => false,
            Some(p) if c.is_ascii_uppercase() => {
                p.is_ascii_lowercase()
                    || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            }
            Some(p) if c.is_ascii_digit() => p.is_ascii_lowercase(),
            Some(_) => false,
        };
        if boundary {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn tool_def(node: &Node, visibility: &Visibility, op: &Operation) -> ToolDef {
    let properties = &node.description.properties;
    // The properties shown in each of the operation's states.
    let shown: Vec<Vec<usize>> = op.states.iter().map(|s| visibility.visible(s)).collect();
    let choice = operation_choice(properties, &shown, op);
    let methods = methods(properties, &shown, op);
    let read_only = methods
        .iter()
        .all(|m| matches!(m, Method::Get | Method::Head));
    let destructive = methods.contains(&Method::Delete);
    let idempotent = methods.iter().all(|m| !matches!(m, Method::Post));
    let resource_name = properties
        .iter()
        .find(|p| p.name == "resource")
        .and_then(|p| p.choices().find(|c| c.value == op.resource.as_str()))
        .map_or(op.resource.as_str(), |c| c.name.as_str());
    let title = format!("{resource_name}: {}", op.display_name);
    let description = choice
        .and_then(|c| c.description.clone().or_else(|| c.action.clone()))
        .unwrap_or_else(|| title.clone());
    let description = if description.ends_with('.') {
        description
    } else {
        description + "."
    };
    let input = tool_input(&op.schema, binary_parameter(properties, &shown).as_deref());
    let mut annotations = ToolAnnotations::with_title(title.clone())
        .read_only(read_only)
        .open_world(false);
    if !read_only {
        annotations = annotations.destructive(destructive).idempotent(idempotent);
    }
    let tool = Tool::new(
        format!("{}_{}", snake(&op.resource), snake(&op.operation)),
        description,
        Arc::new(input.schema.clone()),
    )
    .with_title(title)
    .with_annotations(annotations);
    ToolDef {
        tool,
        resource: op.resource.clone(),
        operation: op.operation.clone(),
        read_only,
        input,
    }
}

/// The operation's choice in the node's `operation` property.
fn operation_choice<'a>(
    properties: &'a [Property],
    shown: &[Vec<usize>],
    op: &Operation,
) -> Option<&'a Choice> {
    shown
        .first()?
        .iter()
        .map(|&i| &properties[i])
        .filter(|p| p.name == "operation")
        .find_map(|p| p.choices().find(|c| c.value == op.operation.as_str()))
}

/// Every HTTP method the operation's requests may use, in any of its states: the routing of the
/// properties shown and of the chosen option of each options property (follow-ups included).
/// A request without a method is a GET, as in n8n.
fn methods(properties: &[Property], shown: &[Vec<usize>], op: &Operation) -> Vec<Method> {
    let mut out = Vec::new();
    let add = |routing: &Routing, out: &mut Vec<Method>| {
        let requests = routing
            .request
            .iter()
            .chain(routing.then.iter().map(|f| &f.request));
        for request in requests {
            let method = request.method.unwrap_or(Method::Get);
            if !out.contains(&method) {
                out.push(method);
            }
        }
    };
    for (state, shown) in op.states.iter().zip(shown) {
        for &i in shown {
            let p = &properties[i];
            if let Some(routing) = &p.routing
                && routing.request.as_ref().is_some_and(|r| r.method.is_some())
            {
                add(routing, &mut out);
            }
            if p.kind == PropertyType::Options {
                let value = state.get(&p.name).unwrap_or(&p.default);
                if let Some(routing) = p
                    .choices()
                    .find(|c| c.value == *value)
                    .and_then(|c| c.routing.as_ref())
                {
                    add(routing, &mut out);
                }
            }
        }
    }
    if out.is_empty() {
        out.push(Method::Get);
    }
    out
}

/// The parameter (shown in some state of `op`) whose value names the binary property an
/// upload's file part carries (`routing.request.multipart` with `={{ $value }}`).
fn binary_parameter(properties: &[Property], shown: &[Vec<usize>]) -> Option<String> {
    let names: BTreeSet<&str> = shown
        .iter()
        .flatten()
        .map(|&i| &properties[i])
        .filter(|p| {
            p.routing
                .as_ref()
                .and_then(|r| r.request.as_ref())
                .and_then(|r| r.multipart.as_ref())
                .is_some_and(|m| m.values().any(is_value_reference))
        })
        .map(|p| p.name.as_str())
        .collect();
    names.first().map(|s| s.to_string())
}

fn is_value_reference(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.replace(' ', "") == "={{$value}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case() {
        assert_eq!(snake("list"), "list");
        assert_eq!(snake("refreshToken"), "refresh_token");
        assert_eq!(snake("getOpenAPI"), "get_open_api");
        assert_eq!(snake("getGraphQL"), "get_graph_ql");
        assert_eq!(snake("generate2FA"), "generate_2fa");
        assert_eq!(snake("importFileData"), "import_file_data");
    }
}
