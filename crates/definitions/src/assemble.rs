//! Assembly: a node file and its resource files become a [`Node`] with its [`Operation`]s (each
//! with its switch states and derived schema) and its checked operation aliases.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use crate::check;
use crate::display::Visibility;
use crate::model::{CredentialType, NodeDescription, Property, PropertyType, ResourceFile};
use crate::operation_schema::operation_schema;
use crate::problem::{Error, Problem};
use crate::suggest;
use crate::validate::{ParameterValidator, Violation};

/// One operation of a node: its place, its schema and its compiled validator.
#[derive(Debug)]
pub struct Operation {
    /// Resource value, e.g. "auth".
    pub resource: String,
    /// Operation value, e.g. "login".
    pub operation: String,
    /// The operation's label, e.g. "Log In".
    pub display_name: String,
    /// The operation's JSON Schema (draft 2020-12) over its resolved parameters.
    pub schema: Value,
    /// Every combination of the switches (booleans and options that show or hide other
    /// parameters) this operation can be in, as parameter values including resource and operation.
    pub states: Vec<Map<String, Value>>,
    /// Compiled on first use: a run needs one operation's, not all of them.
    validator: std::sync::OnceLock<Result<ParameterValidator, String>>,
}

impl Operation {
    /// Checks resolved parameters against the schema.
    ///
    /// # Errors
    /// Every violation: the parameter's path and a sentence naming it, such as
    /// `Missing required parameter: refreshToken`.
    pub fn validate(&self, parameters: &Value) -> Result<(), Vec<Violation>> {
        match self
            .validator
            .get_or_init(|| ParameterValidator::new(&self.schema))
        {
            Ok(v) => v.validate(parameters),
            Err(e) => Err(vec![Violation {
                path: Vec::new(),
                message: format!(
                    "the schema of {} {} does not compile: {e}",
                    self.resource, self.operation
                ),
            }]),
        }
    }
}

/// A node: its assembled n8n description and its operations.
#[derive(Debug)]
pub struct Node {
    /// The n8n node description, with every resource's properties in place.
    pub description: NodeDescription,
    operations: Vec<Operation>,
    /// A node without operations (a polling trigger): its parameters.
    parameters: Option<Operation>,
    /// Per resource: former operation values and the operation each now names.
    operation_aliases: OperationAliases,
}

impl Node {
    /// All operations, in resource and operation order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// A node without operations (a polling trigger): its parameters, their JSON Schema and
    /// switch states, as an [`Operation`] whose `resource` and `operation` are empty. `None`
    /// for a node with operations.
    pub fn parameters(&self) -> Option<&Operation> {
        self.parameters.as_ref()
    }

    /// Replaces a former operation value (an alias from the resource file's
    /// `operationAliases`) in raw node parameters by the operation it now names; any other
    /// value is left as it is.
    pub fn resolve_aliases(&self, parameters: &mut Map<String, Value>) {
        let (Some(Value::String(resource)), Some(Value::String(operation))) =
            (parameters.get("resource"), parameters.get("operation"))
        else {
            return;
        };
        if let Some(target) = self.operation_aliases.target(resource, operation) {
            parameters.insert("operation".into(), Value::String(target.clone()));
        }
    }

    /// The parameters an operation shows in one of its states (its switch combinations), in
    /// the node's order, without the resource and operation selectors and notices (they hold no
    /// value): the operation's own parameters.
    pub fn operation_properties(&self, op: &Operation) -> Vec<&Property> {
        let properties = &self.description.properties;
        let visibility = Visibility::new(properties);
        let shown: std::collections::BTreeSet<usize> = op
            .states
            .iter()
            .flat_map(|s| visibility.visible(s))
            .collect();
        shown
            .into_iter()
            .map(|i| &properties[i])
            .filter(|p| {
                p.kind != PropertyType::Notice && p.name != "resource" && p.name != "operation"
            })
            .collect()
    }

    /// The operations of a resource, in operation order.
    ///
    /// # Errors
    /// An unknown resource, with the closest one suggested (or the valid ones listed).
    pub fn resource(&self, resource: &str) -> Result<Vec<&Operation>, Error> {
        let in_resource: Vec<&Operation> = self
            .operations
            .iter()
            .filter(|o| o.resource == resource)
            .collect();
        if in_resource.is_empty() {
            let mut resources: Vec<&str> = self
                .operations
                .iter()
                .map(|o| o.resource.as_str())
                .collect();
            resources.dedup();
            return Err(Error::NotFound(format!(
                "node '{}' has no resource '{resource}'; {}",
                self.description.name,
                suggest::hint(resource, "resources", &resources)
            )));
        }
        Ok(in_resource)
    }

    /// Looks an operation up.
    ///
    /// # Errors
    /// An unknown resource or operation, with the closest one suggested (or the valid ones
    /// listed).
    pub fn operation(&self, resource: &str, operation: &str) -> Result<&Operation, Error> {
        let in_resource = self.resource(resource)?;
        in_resource
            .iter()
            .find(|o| o.operation == operation)
            .copied()
            .ok_or_else(|| {
                let operations: Vec<&str> =
                    in_resource.iter().map(|o| o.operation.as_str()).collect();
                Error::NotFound(format!(
                    "resource '{resource}' of node '{}' has no operation '{operation}'; {}",
                    self.description.name,
                    suggest::hint(operation, "operations", &operations)
                ))
            })
    }
}

/// Former operation values per resource, each naming an operation the node has; built only by
/// [`OperationAliases::new`], which checks them.
#[derive(Debug, Default)]
pub(crate) struct OperationAliases(BTreeMap<String, BTreeMap<String, String>>);

impl OperationAliases {
    /// The aliases of the resource files, as (file, resource, alias, target): those that name
    /// an operation of their resource and are not one themselves; the others are problems.
    fn new(
        aliases: Vec<(String, String, String, Value)>,
        operations: &[Operation],
        problems: &mut Vec<Problem>,
    ) -> OperationAliases {
        let mut checked: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (file, resource, alias, target) in aliases {
            let exists = |op: &str| {
                operations
                    .iter()
                    .any(|o| o.resource == resource && o.operation == op)
            };
            let message = match target.as_str() {
                None => Some("must be the value of an operation (a string)".to_string()),
                Some(t) if !exists(t) => Some(format!("names no operation of '{resource}': '{t}'")),
                Some(_) if exists(&alias) => Some(format!("'{alias}' is an operation itself")),
                Some(t) => {
                    checked
                        .entry(resource.clone())
                        .or_default()
                        .insert(alias.clone(), t.to_string());
                    None
                }
            };
            if let Some(message) = message {
                problems.push(Problem {
                    file,
                    pointer: format!("/operationAliases/{alias}"),
                    message: format!("operation alias {message}"),
                });
            }
        }
        OperationAliases(checked)
    }

    /// The operation `operation` of `resource` now names, if it is an alias.
    fn target(&self, resource: &str, operation: &str) -> Option<&String> {
        self.0.get(resource).and_then(|a| a.get(operation))
    }
}

/// Where a top-level property came from.
struct Origin {
    file: String,
    index: usize,
}

/// Puts a node file and its resource files together into a [`Node`]: the resource files'
/// properties appended in the order of the `resource` choices, checked, the operations and
/// their schemas derived, the operation aliases resolved. `None` when a problem was found.
pub(crate) fn assemble(
    node_path: &str,
    mut description: NodeDescription,
    mut resources: Vec<(String, ResourceFile)>,
    credentials: &BTreeMap<String, (String, CredentialType)>,
    problems: &mut Vec<Problem>,
) -> Option<Node> {
    let before = problems.len();
    let mut origins: Vec<Origin> = (0..description.properties.len())
        .map(|index| Origin {
            file: node_path.to_string(),
            index,
        })
        .collect();
    check::credential_references(node_path, &description, credentials, problems);
    if description.polling {
        // a trigger: its parameters are checked like any node's; it has no operations
        check::node(
            node_path,
            &description,
            &|i, rest| (node_path.to_string(), format!("/properties/{i}{rest}")),
            problems,
        );
        for (path, _) in &resources {
            problems.push(Problem {
                file: path.clone(),
                pointer: String::new(),
                message: "a polling trigger node has no resource files".into(),
            });
        }
        check::command_line(&description, node_path, problems);
        // its parameters as one schema, over every state of its switches
        let visibility = Visibility::new(&description.properties);
        let (states, visible) = switch_states(&description.properties, &visibility, &Map::new());
        let reached: HashSet<usize> = visible.iter().flatten().copied().collect();
        for (i, p) in description.properties.iter().enumerate() {
            if !reached.contains(&i) {
                problems.push(Problem {
                    file: node_path.into(),
                    pointer: format!("/properties/{i}"),
                    message: format!(
                        "property '{}' is never shown (check its displayOptions)",
                        p.name
                    ),
                });
            }
        }
        let schema = operation_schema(&description, None, &states, &visible);
        return (problems.len() == before).then_some(Node {
            parameters: Some(Operation {
                resource: String::new(),
                operation: String::new(),
                display_name: description.display_name.clone(),
                schema,
                states,
                validator: std::sync::OnceLock::new(),
            }),
            description,
            operations: Vec::new(),
            operation_aliases: OperationAliases::default(),
        });
    }
    if description.command_line.is_some() {
        problems.push(Problem {
            file: node_path.into(),
            pointer: "/commandLine".into(),
            message: "only a node without operations (a polling trigger) has a commandLine: the others run with `noderun run`".into(),
        });
    }
    let Some((resource_index, resource_property)) = description
        .properties
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == "resource" && p.kind == PropertyType::Options)
    else {
        problems.push(Problem {
            file: node_path.into(),
            pointer: "/properties".into(),
            message: "no 'resource' options property".into(),
        });
        return None;
    };
    let resource_values: Vec<String> = resource_property
        .choices()
        .filter_map(|c| c.value.as_str().map(String::from))
        .collect();
    let mut aliases = Vec::new();
    for (i, value) in resource_values.iter().enumerate() {
        match resources.iter().position(|(_, r)| &r.resource == value) {
            Some(pos) => {
                let (file, resource) = resources.remove(pos);
                for (alias, target) in &resource.operation_aliases {
                    aliases.push((file.clone(), value.clone(), alias.clone(), target.clone()));
                }
                for (index, p) in resource.properties.into_iter().enumerate() {
                    origins.push(Origin {
                        file: file.clone(),
                        index,
                    });
                    description.properties.push(p);
                }
            }
            None => problems.push(Problem {
                file: node_path.into(),
                pointer: format!("/properties/{resource_index}/options/{i}/value"),
                message: format!(
                    "resource '{value}' has no file {}/{value}.json",
                    description.name
                ),
            }),
        }
    }
    for (file, r) in resources {
        problems.push(Problem {
            file,
            pointer: "/resource".into(),
            message: format!(
                "resource '{}' is not an option of the node's 'resource' property",
                r.resource
            ),
        });
    }

    let locate = |i: usize, rest: &str| -> (String, String) {
        let o = &origins[i];
        (o.file.clone(), format!("/properties/{}{rest}", o.index))
    };
    check::node(node_path, &description, &locate, problems);

    // Operations: for each resource, the `operation` properties shown for it.
    let mut operations = Vec::new();
    let mut reached: HashSet<usize> = HashSet::new();
    let visibility = Visibility::new(&description.properties);
    for resource in &resource_values {
        let base: Map<String, Value> = [("resource".to_string(), Value::String(resource.clone()))]
            .into_iter()
            .collect();
        let shown = visibility.visible(&base);
        for (op_index, op_property) in description.properties.iter().enumerate() {
            if op_property.name != "operation" || !shown.contains(&op_index) {
                continue;
            }
            for choice in op_property.choices() {
                let Some(op_value) = choice.value.as_str() else {
                    continue;
                };
                let mut values = base.clone();
                values.insert("operation".into(), Value::String(op_value.into()));
                let (states, visible) =
                    switch_states(&description.properties, &visibility, &values);
                reached.extend(visible.iter().flatten().copied());
                let schema =
                    operation_schema(&description, Some((resource, choice)), &states, &visible);
                operations.push(Operation {
                    resource: resource.clone(),
                    operation: op_value.to_string(),
                    display_name: choice.name.clone(),
                    schema,
                    states,
                    validator: std::sync::OnceLock::new(),
                });
            }
        }
    }
    check::unreachable(&description.properties, &reached, &locate, problems);
    let operation_aliases = OperationAliases::new(aliases, &operations, problems);
    (problems.len() == before).then_some(Node {
        description,
        operations,
        parameters: None,
        operation_aliases,
    })
}

/// Every combination of the boolean and options properties that other properties' displayOptions
/// name (besides resource and operation), for one operation, with the properties each shows.
fn switch_states(
    properties: &[Property],
    visibility: &Visibility<'_>,
    base: &Map<String, Value>,
) -> (Vec<Map<String, Value>>, Vec<Vec<usize>>) {
    // every state holds the base values (resource, operation): what they rule out stays out
    let candidates = visibility.candidates(base);
    let visible_in =
        |s: &Map<String, Value>| visibility.visible_among(s, candidates.iter().copied());
    let mut states = vec![base.clone()];
    let mut visible = vec![visible_in(base)];
    let mut done: HashSet<&str> = base.keys().map(String::as_str).collect();
    // Switches can be nested (a switch shown only in some states): widen until nothing changes.
    loop {
        let mut added = false;
        for (i, p) in properties.iter().enumerate() {
            if done.contains(p.name.as_str())
                || !visibility.is_read(&p.name)
                || !visible.iter().any(|v| v.contains(&i))
            {
                continue;
            }
            let choices: Vec<Value> = match p.kind {
                PropertyType::Boolean => vec![Value::Bool(false), Value::Bool(true)],
                PropertyType::Options => p.choices().map(|c| c.value.clone()).collect(),
                _ => continue,
            };
            done.insert(p.name.as_str());
            added = true;
            let mut next = Vec::new();
            for (state, shown) in states.into_iter().zip(visible) {
                if shown.contains(&i) {
                    next.extend(choices.iter().map(|c| {
                        let mut s = state.clone();
                        s.insert(p.name.clone(), c.clone());
                        s
                    }));
                } else {
                    next.push(state);
                }
            }
            states = next;
            visible = states.iter().map(visible_in).collect();
        }
        if !added || states.len() > 256 {
            return (states, visible);
        }
    }
}
