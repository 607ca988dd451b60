//! The registry: loads definitions, checks them, and indexes node → resource → operation.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::display::{Visibility, effective_parameters};
use crate::model::{
    CredentialType, NodeDescription, Property, PropertyOption, PropertyType, ResourceFile,
};
use crate::schema::{FormatSchemas, operation_schema};
use crate::validate::ParameterValidator;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// A problem in a definition file, located by file and JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path of the file below the definitions directory, e.g. `directus/auth.json`.
    pub file: String,
    /// JSON pointer into the file, e.g. `/properties/3/displayOptions/show/operation`.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}: {}", self.file, self.pointer, self.message)
    }
}

/// Errors of the definitions crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more definition files are invalid.
    #[error("invalid node definitions:\n{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// A definitions directory could not be read.
    #[error("cannot read definitions from {path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A lookup named something the registry does not have.
    #[error("{0}")]
    NotFound(String),
}

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
    /// Checks resolved parameters against the schema; the messages name the parameter.
    ///
    /// # Errors
    /// Every violation, as a sentence such as `Missing required parameter: refreshToken`.
    pub fn validate(&self, parameters: &Value) -> Result<(), Vec<String>> {
        match self
            .validator
            .get_or_init(|| ParameterValidator::new(&self.schema))
        {
            Ok(v) => v.validate(parameters),
            Err(e) => Err(vec![format!(
                "the schema of {} {} does not compile: {e}",
                self.resource, self.operation
            )]),
        }
    }
}

/// A node: its assembled n8n description and its operations.
#[derive(Debug)]
pub struct Node {
    /// The n8n node description, with every resource's properties in place.
    pub description: NodeDescription,
    operations: Vec<Operation>,
    /// Per resource: former operation values and the operation each now names.
    operation_aliases: BTreeMap<String, BTreeMap<String, String>>,
}

impl Node {
    /// All operations, in resource and operation order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
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
        if let Some(target) = self
            .operation_aliases
            .get(resource)
            .and_then(|a| a.get(operation))
        {
            parameters.insert("operation".into(), Value::String(target.clone()));
        }
    }

    /// Looks an operation up.
    ///
    /// # Errors
    /// An unknown resource or operation, with the valid ones listed.
    pub fn operation(&self, resource: &str, operation: &str) -> Result<&Operation, Error> {
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
                "node '{}' has no resource '{resource}'; valid resources: {}",
                self.description.name,
                resources.join(", ")
            )));
        }
        in_resource.iter().find(|o| o.operation == operation).copied().ok_or_else(|| {
            Error::NotFound(format!(
                "resource '{resource}' of node '{}' has no operation '{operation}'; valid operations: {}",
                self.description.name,
                in_resource.iter().map(|o| o.operation.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

/// Every node and credential type noderun knows.
#[derive(Debug)]
pub struct Registry {
    nodes: BTreeMap<String, Node>,
    credentials: BTreeMap<String, CredentialType>,
}

impl Registry {
    /// The definitions embedded in the binary (`node-definitions/` at build time).
    ///
    /// They are deserialized strictly (unknown keys are errors) and checked for consistency at
    /// every start; the format-schema pass, which only adds JSON pointers to what strict
    /// deserialization already refuses, is left to the test suite (`from_sources` runs it on the
    /// same files), to keep start-up in milliseconds.
    ///
    /// # Errors
    /// Only if the embedded definitions are invalid, which the test suite rules out.
    pub fn embedded() -> Result<Registry, Error> {
        Self::load(
            embedded::EMBEDDED
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            false,
        )
    }

    /// The embedded definitions plus those of a directory laid out like `node-definitions/`
    /// (`<node>/node.json`, `<node>/<resource>.json`, `credentials/<name>.json`); a file there
    /// replaces the embedded file of the same path.
    ///
    /// # Errors
    /// Unreadable files, or any problem in the combined definitions.
    pub fn with_directory(dir: &Path) -> Result<Registry, Error> {
        let mut sources: BTreeMap<String, String> = embedded::EMBEDDED
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        read_dir(dir, dir, &mut sources)?;
        Self::from_sources(sources.into_iter().collect())
    }

    /// Definitions from (path, text) pairs laid out like `node-definitions/` (for embedding
    /// engines that keep definitions elsewhere, and for tests).
    ///
    /// # Errors
    /// Every problem found, each with its file and JSON pointer.
    pub fn from_sources(sources: Vec<(String, String)>) -> Result<Registry, Error> {
        Self::load(sources, true)
    }

    fn load(sources: Vec<(String, String)>, check_format: bool) -> Result<Registry, Error> {
        let formats = check_format.then(FormatSchemas::new);
        let mut problems = Vec::new();
        let mut node_files = BTreeMap::new();
        let mut resource_files: BTreeMap<String, Vec<(String, ResourceFile)>> = BTreeMap::new();
        let mut credentials = BTreeMap::new();
        // Nodes with an unreadable file are not assembled: their other problems would be noise.
        let mut unreadable: HashSet<String> = HashSet::new();

        for (path, text) in &sources {
            if path.ends_with("format.schema.json") {
                continue;
            }
            let problem = |pointer: &str, message: String| Problem {
                file: path.clone(),
                pointer: pointer.into(),
                message,
            };
            let parts: Vec<&str> = path.split('/').collect();
            let kind = match parts.as_slice() {
                ["credentials", _] => FileKind::Credential,
                [_, "node.json"] => FileKind::Node,
                [_, _] => FileKind::Resource,
                _ => {
                    problems.push(problem("", "unexpected file: expected <node>/node.json, <node>/<resource>.json or credentials/<name>.json".into()));
                    continue;
                }
            };
            if let Some(formats) = &formats {
                let format_problems = match serde_json::from_str::<Value>(text) {
                    Ok(value) => formats.check(kind, &value),
                    Err(e) => vec![(String::new(), format!("not valid JSON: {e}"))],
                };
                if !format_problems.is_empty() {
                    unreadable.insert(parts[0].to_string());
                    problems.extend(
                        format_problems
                            .into_iter()
                            .map(|(pointer, message)| problem(&pointer, message)),
                    );
                    continue;
                }
            }
            let parsed = match kind {
                FileKind::Node => serde_json::from_str::<NodeDescription>(text).map(|n| {
                    node_files.insert(parts[0].to_string(), (path.clone(), n));
                }),
                FileKind::Resource => serde_json::from_str::<ResourceFile>(text).map(|r| {
                    resource_files
                        .entry(parts[0].to_string())
                        .or_default()
                        .push((path.clone(), r));
                }),
                FileKind::Credential => serde_json::from_str::<CredentialType>(text).map(|c| {
                    credentials.insert(c.name.clone(), (path.clone(), c));
                }),
            };
            if let Err(e) = parsed {
                unreadable.insert(parts[0].to_string());
                problems.push(problem("", e.to_string()));
            }
        }

        for (path, credential) in credentials.values() {
            check_credential(path, credential, &mut problems);
        }
        let mut nodes = BTreeMap::new();
        for (dir, (path, description)) in node_files {
            let resources = resource_files.remove(&dir).unwrap_or_default();
            if unreadable.contains(&dir) {
                continue;
            }
            if let Some(node) = assemble(&path, description, resources, &credentials, &mut problems)
            {
                nodes.insert(node.description.name.clone(), node);
            }
        }
        for (dir, files) in resource_files {
            for (path, _) in files.into_iter().filter(|_| !unreadable.contains(&dir)) {
                problems.push(Problem {
                    file: path,
                    pointer: String::new(),
                    message: format!("no {dir}/node.json for this resource file"),
                });
            }
        }
        if problems.is_empty() {
            Ok(Registry {
                nodes,
                credentials: credentials.into_iter().map(|(k, (_, c))| (k, c)).collect(),
            })
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// All nodes, by name.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// Looks a node up.
    ///
    /// # Errors
    /// An unknown node, with the valid ones listed.
    pub fn node(&self, name: &str) -> Result<&Node, Error> {
        self.nodes.get(name).ok_or_else(|| {
            Error::NotFound(format!(
                "unknown node '{name}'; valid nodes: {}",
                self.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// Looks a credential type up.
    pub fn credential(&self, name: &str) -> Option<&CredentialType> {
        self.credentials.get(name)
    }

    /// All credential types, by name.
    pub fn credentials(&self) -> impl Iterator<Item = &CredentialType> {
        self.credentials.values()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FileKind {
    Node,
    Resource,
    Credential,
}

fn read_dir(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) -> Result<(), Error> {
    let io = |e: std::io::Error, p: &Path| Error::Io {
        path: p.display().to_string(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(|e| io(e, dir))? {
        let path = entry.map_err(|e| io(e, dir))?.path();
        if path.is_dir() {
            read_dir(&path, root, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(
                rel,
                std::fs::read_to_string(&path).map_err(|e| io(e, &path))?,
            );
        }
    }
    Ok(())
}

/// Where a top-level property came from.
struct Origin {
    file: String,
    index: usize,
}

fn assemble(
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
    for (i, c) in description.credentials.iter().enumerate() {
        if !credentials.contains_key(&c.name) {
            problems.push(Problem {
                file: node_path.into(),
                pointer: format!("/credentials/{i}/name"),
                message: format!(
                    "no credential type '{}' (expected credentials/{}.json)",
                    c.name, c.name
                ),
            });
        }
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
    for text in [description.subtitle.as_deref()].into_iter().flatten() {
        check_expression(text, node_path, "/subtitle", problems);
    }
    if let Some(defaults) = &description.request_defaults {
        check_expressions(
            &serde_json::to_value(defaults).unwrap_or_default(),
            node_path,
            "/requestDefaults",
            problems,
        );
    }
    check_properties(
        &description.properties,
        &|i, rest| locate(i, rest),
        problems,
    );

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
                let schema = operation_schema(&description, resource, choice, &states, &visible);
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
    for i in 0..description.properties.len() {
        if !reached.contains(&i) && description.properties[i].name != "resource" {
            let (file, pointer) = locate(i, "");
            problems.push(Problem {
                file,
                pointer,
                message: format!(
                    "property '{}' is shown in no operation (check its displayOptions)",
                    description.properties[i].name
                ),
            });
        }
    }
    let mut operation_aliases: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
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
                operation_aliases
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
    (problems.len() == before).then_some(Node {
        description,
        operations,
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
    let mut states = vec![base.clone()];
    let mut visible = vec![visibility.visible(base)];
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
            visible = states.iter().map(|s| visibility.visible(s)).collect();
        }
        if !added || states.len() > 256 {
            return (states, visible);
        }
    }
}

fn check_credential(path: &str, c: &CredentialType, problems: &mut Vec<Problem>) {
    for (alias, field) in &c.field_aliases {
        let names = |n: &str| c.properties.iter().any(|p| p.name == n);
        if !field.as_str().is_some_and(names) || names(alias) {
            problems.push(Problem {
                file: path.into(),
                pointer: format!("/fieldAliases/{alias}"),
                message: "a field alias must map a name that is not a field to a field's name"
                    .into(),
            });
        }
    }
    let value = serde_json::to_value(&c.authenticate).unwrap_or_default();
    check_expressions(&value, path, "/authenticate", problems);
    if let Some(test) = &c.test {
        check_expressions(
            &serde_json::to_value(test).unwrap_or_default(),
            path,
            "/test",
            problems,
        );
    }
    check_properties(
        &c.properties,
        &|i, rest| (path.to_string(), format!("/properties/{i}{rest}")),
        problems,
    );
}

fn check_expression(text: &str, file: &str, pointer: &str, problems: &mut Vec<Problem>) {
    if let Err(e) = noderun_expression::Template::parse(text) {
        problems.push(Problem {
            file: file.into(),
            pointer: pointer.into(),
            message: format!("expression {text:?} does not parse: {e}"),
        });
    }
}

fn check_expressions(value: &Value, file: &str, pointer: &str, problems: &mut Vec<Problem>) {
    match value {
        Value::String(s) if s.starts_with('=') => check_expression(s, file, pointer, problems),
        Value::Object(map) => {
            for (k, v) in map {
                check_expressions(
                    v,
                    file,
                    &format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                    problems,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_expressions(v, file, &format!("{pointer}/{i}"), problems);
            }
        }
        _ => {}
    }
}

/// Checks one level of properties (and, recursively, collections and groups).
fn check_properties(
    properties: &[Property],
    locate: &dyn Fn(usize, &str) -> (String, String),
    problems: &mut Vec<Problem>,
) {
    let mut nested = Vec::new();
    let mut found = Vec::new();
    let mut push = |i: usize, rest: &str, message: String| {
        let (file, pointer) = locate(i, rest);
        found.push(Problem {
            file,
            pointer,
            message,
        });
    };
    for (i, p) in properties.iter().enumerate() {
        if let Some(message) = default_problem(p) {
            push(i, "/default", message);
        }
        if let Some(routing) = &p.routing {
            let mut inner = Vec::new();
            check_expressions(
                &serde_json::to_value(routing).unwrap_or_default(),
                "",
                "/routing",
                &mut inner,
            );
            for pr in inner {
                push(i, &pr.pointer, pr.message);
            }
        }
        // displayOptions: names exist at this level (or the root, with '/'), values are possible.
        if let Some(d) = &p.display_options {
            for (rule_name, rule) in [("show", &d.show), ("hide", &d.hide)] {
                for (key, conditions) in rule.iter().flat_map(|r| r.iter()) {
                    let rest = format!("/displayOptions/{rule_name}/{key}");
                    if key.starts_with('@') {
                        if key != "@version" {
                            push(
                                i,
                                &rest,
                                format!("'{key}' is not supported (only @version)"),
                            );
                        }
                        continue;
                    }
                    if key.starts_with('/') {
                        continue;
                    }
                    let targets: Vec<&Property> =
                        properties.iter().filter(|t| &t.name == key).collect();
                    if targets.is_empty() {
                        push(
                            i,
                            &rest,
                            format!("displayOptions names '{key}', which is not a property here"),
                        );
                        continue;
                    }
                    let Some(conditions) = conditions.as_array() else {
                        push(i, &rest, "conditions must be a list".into());
                        continue;
                    };
                    for (ci, c) in conditions.iter().enumerate() {
                        if let Some(cnd) = c.get("_cnd") {
                            let op = cnd
                                .as_object()
                                .and_then(|o| o.keys().next())
                                .map(String::as_str)
                                .unwrap_or("");
                            const OPS: [&str; 12] = [
                                "eq",
                                "not",
                                "gte",
                                "lte",
                                "gt",
                                "lt",
                                "between",
                                "includes",
                                "startsWith",
                                "endsWith",
                                "exists",
                                "regex",
                            ];
                            if !OPS.contains(&op) || op == "regex" {
                                push(
                                    i,
                                    &format!("{rest}/{ci}"),
                                    format!("unsupported condition '_cnd.{op}'"),
                                );
                            }
                            continue;
                        }
                        let possible = targets.iter().any(|t| match t.kind {
                            PropertyType::Options | PropertyType::MultiOptions => t
                                .choices()
                                .any(|choice| crate::display::deep_equal(&choice.value, c)),
                            PropertyType::Boolean => c.is_boolean(),
                            _ => true,
                        });
                        if !possible {
                            push(
                                i,
                                &format!("{rest}/{ci}"),
                                format!("'{key}' can never be {c}"),
                            );
                        }
                    }
                }
            }
        }
        // Options: unique values; collections: unique names, checked recursively.
        let mut seen = HashSet::new();
        for (oi, o) in p.options.iter().enumerate() {
            let (key, ok_kind) = match o {
                PropertyOption::Choice(c) => (
                    c.value.to_string(),
                    matches!(p.kind, PropertyType::Options | PropertyType::MultiOptions),
                ),
                PropertyOption::Property(sub) => {
                    (sub.name.clone(), p.kind == PropertyType::Collection)
                }
                PropertyOption::Group(g) => {
                    (g.name.clone(), p.kind == PropertyType::FixedCollection)
                }
            };
            if !ok_kind {
                push(
                    i,
                    &format!("/options/{oi}"),
                    format!(
                        "this kind of option does not belong to a '{:?}' property",
                        p.kind
                    ),
                );
            }
            if !seen.insert(key.clone()) {
                push(
                    i,
                    &format!("/options/{oi}"),
                    format!("duplicate option {key}"),
                );
            }
            if let PropertyOption::Choice(c) = o
                && let Some(routing) = &c.routing
            {
                let mut inner = Vec::new();
                check_expressions(
                    &serde_json::to_value(routing).unwrap_or_default(),
                    "",
                    "",
                    &mut inner,
                );
                for pr in inner {
                    push(
                        i,
                        &format!("/options/{oi}/routing{}", pr.pointer),
                        pr.message,
                    );
                }
            }
        }
        let subs: Vec<Property> = p.sub_properties().cloned().collect();
        if !subs.is_empty() {
            let (file, base) = locate(i, "");
            check_properties(
                &subs,
                &|si, rest| (file.clone(), format!("{base}/options/{si}{rest}")),
                &mut nested,
            );
        }
        for (gi, g) in p.groups().enumerate() {
            let (file, base) = locate(i, "");
            check_properties(
                &g.values,
                &|si, rest| {
                    (
                        file.clone(),
                        format!("{base}/options/{gi}/values/{si}{rest}"),
                    )
                },
                &mut nested,
            );
        }
    }
    problems.extend(found);
    problems.extend(nested);
}

/// Whether a property's default fits its type.
fn default_problem(p: &Property) -> Option<String> {
    let d = &p.default;
    let ok = match p.kind {
        PropertyType::String | PropertyType::Notice => d.is_string(),
        PropertyType::Number => d.is_number(),
        PropertyType::Boolean => d.is_boolean(),
        PropertyType::Options => {
            p.choices().any(|c| crate::display::deep_equal(&c.value, d)) || d == ""
        }
        PropertyType::MultiOptions => d.as_array().is_some_and(|items| {
            items
                .iter()
                .all(|v| p.choices().any(|c| crate::display::deep_equal(&c.value, v)))
        }),
        PropertyType::Json => d.is_string() || d.is_object() || d.is_array(),
        PropertyType::Collection | PropertyType::FixedCollection => d.is_object() || d.is_array(),
    };
    (!ok).then(|| format!("default {d} does not fit type {:?}", p.kind))
}

/// The effective parameters of `operation` for `values` (exposed for tests and the executor).
pub fn parameters_for(node: &Node, values: &Map<String, Value>) -> Map<String, Value> {
    effective_parameters(&node.description.properties, values)
}
