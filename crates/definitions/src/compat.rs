//! Other packages' node types that run on one of our nodes: their saved parameters translated,
//! as data, into ours.
//!
//! A file `<node>/compat/<name>.json` ([`CompatFile`]) describes another package's node (e.g. the
//! official `@directus/n8n-nodes-directus` node) by its workflow node types, its resources and
//! operations, and per operation its parameters: the default n8n leaves out of a saved workflow,
//! where the value goes among this node's parameters, and how it is reshaped (a list joined, a
//! fixedCollection of name/value entries made an object). [`Compat::translate`] applies it to a
//! workflow node's parameters; the executor does so once at plan time (on the raw parameters, for
//! the operation and its toggles) and once per item (on the resolved ones), so expressions keep
//! n8n's meaning for the other node: they are evaluated in its parameters, then translated.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::assemble::Node;
use crate::display::get_path;
use crate::problem::Problem;

/// Another package's node whose saved workflow nodes run on this node: the content of a
/// `<node>/compat/<name>.json` file (a noderun extension, not part of the n8n export).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompatFile {
    /// What the other node is, e.g. "the official Directus node, @directus/n8n-nodes-directus 1.0.x".
    pub description: String,
    /// The workflow node types (`<package>.<node name>`) it stands for.
    pub types: Vec<String>,
    /// The other node's default `resource` (n8n leaves it out of a saved workflow).
    pub default_resource: String,
    /// Parameters the other node stores that carry nothing (notices): accepted and dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_parameters: Vec<String>,
    /// The other node's resources, by value.
    pub resources: BTreeMap<String, CompatResource>,
}

/// One resource of the other node.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompatResource {
    /// The resource's default `operation`.
    pub default_operation: String,
    /// Its operations, by value.
    pub operations: BTreeMap<String, CompatOperation>,
}

/// One operation of the other node and the operation of this node that runs it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompatOperation {
    /// This node's resource.
    pub resource: String,
    /// This node's operation.
    pub operation: String,
    /// Values set on this node's parameters (dotted paths), e.g. `{"jsonParameters": true}`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub set: Map<String, Value>,
    /// The other node's parameters shown for this operation, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, CompatParameter>,
    /// This node's parameters (dotted paths) taken from the input item rather than from a
    /// parameter.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub from_item: BTreeMap<String, ItemValue>,
}

/// One parameter of the other node: its default and where its value goes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompatParameter {
    /// The other node's default, used when the saved workflow leaves the parameter out.
    pub default: Value,
    /// This node's parameter (a dotted path, e.g. `additionalFields.fields`) that receives the
    /// value. An empty value (`""`, `[]`, `null`) is not set.
    pub to: String,
    /// Whether the operation cannot run without a value (an empty one is a per-item error
    /// naming this parameter).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// A list of strings (n8n's multiOptions) joined with this separator; text is taken as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<String>,
    /// A collection holding a list of name/value entries, made the object `{name: value, …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Pairs>,
    /// For a boolean: the value set when it is true (nothing is set when it is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_true: Option<Value>,
    /// The value (a comma-separated list of names) narrows the list another parameter sets at
    /// `to`: the names both have are kept. Applied after the other parameters.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub narrow: bool,
}

/// Where the entries of a name/value list are, e.g. `{"list": "fields.field", "name": "name",
/// "value": "value"}` for `{"fields": {"field": [{"name": "title", "value": "Hello"}]}}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pairs {
    /// Dotted path of the list in the parameter's value.
    pub list: String,
    /// The key of an entry's name (an entry without a name is skipped).
    pub name: String,
    /// The key of an entry's value (absent: `""`, n8n's default of a string field).
    pub value: String,
}

/// A value taken from the input item.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ItemValue {
    /// The name of the item's first binary property (in the item's order).
    FirstBinaryProperty,
}

/// A compat file checked against its node.
#[derive(Debug, Clone)]
pub struct Compat {
    /// The node that runs the other node's operations.
    pub node: String,
    /// The file's content.
    pub file: CompatFile,
    /// Every parameter name the other node has.
    known: BTreeSet<String>,
}

/// Why a workflow node's parameters do not translate: the other node's parameter and a message
/// naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateError {
    /// The parameter (of the other node) at fault; empty when none is.
    pub parameter: String,
    /// What is wrong.
    pub message: String,
}

impl Compat {
    /// Checks `file` against the node that runs it: every target operation exists and every
    /// parameter it sets is one that operation shows.
    pub(crate) fn new(path: &str, file: CompatFile, node: &Node) -> Result<Compat, Vec<Problem>> {
        let mut problems = vec![];
        let mut problem = |pointer: String, message: String| {
            problems.push(Problem {
                file: path.to_string(),
                pointer,
                message,
            })
        };
        if !file.resources.contains_key(&file.default_resource) {
            problem(
                "/defaultResource".into(),
                format!("names no resource: '{}'", file.default_resource),
            );
        }
        let mut known: BTreeSet<String> = ["resource", "operation"]
            .into_iter()
            .map(String::from)
            .chain(file.ignored_parameters.iter().cloned())
            .collect();
        for (r, resource) in &file.resources {
            let at = format!("/resources/{}", pointer_escape(r));
            if !resource
                .operations
                .contains_key(&resource.default_operation)
            {
                problem(
                    format!("{at}/defaultOperation"),
                    format!("names no operation: '{}'", resource.default_operation),
                );
            }
            for (o, op) in &resource.operations {
                let at = format!("{at}/operations/{}", pointer_escape(o));
                known.extend(op.parameters.keys().cloned());
                let Ok(target) = node.operation(&op.resource, &op.operation) else {
                    problem(
                        format!("{at}/operation"),
                        format!(
                            "node '{}' has no operation '{}' of resource '{}'",
                            node.description.name, op.operation, op.resource
                        ),
                    );
                    continue;
                };
                let declared = |path: &str| {
                    let name = path.split('.').next().unwrap_or_default();
                    target.schema["properties"].get(name).is_some()
                        || target.schema["allOf"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|b| b["then"]["properties"].get(name).is_some())
                };
                let targets = op
                    .set
                    .keys()
                    .map(|k| (format!("{at}/set/{}", pointer_escape(k)), k.as_str()))
                    .chain(op.parameters.iter().map(|(k, p)| {
                        (
                            format!("{at}/parameters/{}/to", pointer_escape(k)),
                            p.to.as_str(),
                        )
                    }))
                    .chain(
                        op.from_item
                            .keys()
                            .map(|k| (format!("{at}/fromItem/{}", pointer_escape(k)), k.as_str())),
                    );
                for (pointer, path) in targets {
                    if ["resource", "operation"].contains(&path) || !declared(path) {
                        problem(
                            pointer,
                            format!(
                                "'{path}' is not a parameter of {} {}",
                                op.resource, op.operation
                            ),
                        );
                    }
                }
                for (name, p) in &op.parameters {
                    let shapes = [p.join.is_some(), p.pairs.is_some(), p.if_true.is_some()];
                    if shapes.into_iter().filter(|s| *s).count() > 1 {
                        problem(
                            format!("{at}/parameters/{}", pointer_escape(name)),
                            "'join', 'pairs' and 'ifTrue' exclude each other".into(),
                        );
                    }
                }
            }
        }
        for t in &file.types {
            if !t.contains('.') {
                problem(
                    "/types".into(),
                    format!("'{t}' is not a workflow node type (<package>.<node>)"),
                );
            }
        }
        if problems.is_empty() {
            Ok(Compat {
                node: node.description.name.clone(),
                file,
                known,
            })
        } else {
            Err(problems)
        }
    }

    /// The other node's resource and operation that `parameters` select (defaults applied).
    ///
    /// # Errors
    /// A resource or operation the other node does not have, with the valid ones listed.
    pub fn operation(
        &self,
        parameters: &Map<String, Value>,
    ) -> Result<(&str, &str, &CompatOperation), TranslateError> {
        let pick = |name: &str, default: &str| match parameters.get(name) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(TranslateError {
                parameter: name.into(),
                message: format!("Parameter '{name}' must be text, not {other}"),
            }),
        };
        let resource = pick("resource", &self.file.default_resource)?;
        let Some((resource, r)) = self.file.resources.get_key_value(&resource) else {
            return Err(TranslateError {
                parameter: "resource".into(),
                message: format!(
                    "node type {} has no resource '{resource}'; valid resources: {}",
                    self.file.types.join(", "),
                    list(self.file.resources.keys())
                ),
            });
        };
        let operation = pick("operation", &r.default_operation)?;
        let Some((operation, op)) = r.operations.get_key_value(&operation) else {
            return Err(TranslateError {
                parameter: "operation".into(),
                message: format!(
                    "resource '{resource}' of node type {} has no operation '{operation}'; valid operations: {}",
                    self.file.types.join(", "),
                    list(r.operations.keys())
                ),
            });
        };
        Ok((resource, operation, op))
    }

    /// The other node's parameters as n8n hands them to it: `resource`, `operation` and the
    /// selected operation's parameters, each given or at its default; the others (hidden in the
    /// other node) are dropped.
    ///
    /// # Errors
    /// A name the other node does not have, an unknown resource or operation.
    pub fn shown(
        &self,
        parameters: &Map<String, Value>,
    ) -> Result<Map<String, Value>, TranslateError> {
        self.check_names(parameters)?;
        let (resource, operation, op) = self.operation(parameters)?;
        let mut shown = Map::new();
        shown.insert("resource".into(), Value::String(resource.into()));
        shown.insert("operation".into(), Value::String(operation.into()));
        for (name, p) in &op.parameters {
            let value = parameters.get(name).unwrap_or(&p.default);
            shown.insert(name.clone(), value.clone());
        }
        Ok(shown)
    }

    /// The other node's parameter whose value becomes this node's parameter `target` in the
    /// operation `parameters` select, if one does.
    pub fn source_name(&self, parameters: &Map<String, Value>, target: &str) -> Option<&str> {
        let (_, _, op) = self.operation(parameters).ok()?;
        op.parameters
            .iter()
            .find(|(_, p)| p.to == target)
            .map(|(name, _)| name.as_str())
    }

    fn check_names(&self, parameters: &Map<String, Value>) -> Result<(), TranslateError> {
        match parameters.keys().find(|k| !self.known.contains(*k)) {
            Some(unknown) => Err(TranslateError {
                parameter: unknown.clone(),
                message: format!(
                    "Unknown parameter '{unknown}'; the parameters of node type {} are: {}",
                    self.file.types.join(", "),
                    list(
                        self.known
                            .iter()
                            .filter(|k| !self.file.ignored_parameters.contains(k))
                    )
                ),
            }),
            None => Ok(()),
        }
    }

    /// Translates the other node's parameters into this node's: `resource` and `operation` of
    /// the operation that runs it, each shown parameter (or its default) moved and reshaped,
    /// the operation's `set` values and the values `from_item` (from `binary`, the item's binary
    /// properties). Parameters of the other node's other operations are dropped, as n8n drops
    /// hidden parameters.
    ///
    /// With `resolved` false (raw parameters, values may be expressions) values are moved as
    /// they are and only names are checked; with `resolved` true required values are checked and
    /// values reshaped.
    ///
    /// # Errors
    /// A name the other node does not have, an unknown resource or operation, a required value
    /// that is empty, or a value of the wrong shape; each naming the other node's parameter.
    pub fn translate(
        &self,
        parameters: &Map<String, Value>,
        binary: Option<&Map<String, Value>>,
        resolved: bool,
    ) -> Result<Map<String, Value>, TranslateError> {
        self.check_names(parameters)?;
        let (_, _, op) = self.operation(parameters)?;
        let mut out = Value::Object(Map::new());
        set_path(&mut out, "resource", Value::String(op.resource.clone()));
        set_path(&mut out, "operation", Value::String(op.operation.clone()));
        // Narrowing parameters last, so that they narrow whatever the others set.
        let ordered = op
            .parameters
            .iter()
            .filter(|(_, p)| !p.narrow)
            .chain(op.parameters.iter().filter(|(_, p)| p.narrow));
        for (name, p) in ordered {
            let value = parameters.get(name).unwrap_or(&p.default).clone();
            let value = if resolved {
                reshape(name, p, value)?
            } else if is_expression(&value) {
                value
            } else {
                // Raw: reshape what is literal; an expression inside is kept for the item.
                reshape(name, p, value.clone()).unwrap_or(value)
            };
            if is_empty(&value) {
                if resolved && p.required {
                    return Err(TranslateError {
                        parameter: name.clone(),
                        message: format!("Parameter '{name}' is required and has no value"),
                    });
                }
                continue;
            }
            let value = match (
                p.narrow,
                get_path(out.as_object().expect("an object"), &p.to),
            ) {
                (true, Some(Value::String(wide))) => narrow(wide, &value),
                _ => value,
            };
            set_path(&mut out, &p.to, value);
        }
        for (path, value) in &op.set {
            set_path(&mut out, path, value.clone());
        }
        for (path, source) in &op.from_item {
            let value = match source {
                ItemValue::FirstBinaryProperty => binary.and_then(|b| b.keys().next()).cloned(),
            };
            match value {
                Some(v) => set_path(&mut out, path, Value::String(v)),
                None if resolved => {
                    return Err(TranslateError {
                        parameter: String::new(),
                        message: "the item has no binary data (this operation uploads the item's first binary property)".into(),
                    });
                }
                // Raw: the property's place, for the operation's shape.
                None => set_path(&mut out, path, Value::String("data".into())),
            }
        }
        match out {
            Value::Object(map) => Ok(map),
            _ => unreachable!("built as an object"),
        }
    }
}

/// The names of the comma-separated list `wide` that `narrow` (a comma-separated list) has too.
fn narrow(wide: &str, narrow: &Value) -> Value {
    let Some(narrow) = narrow.as_str() else {
        return Value::String(wide.to_string());
    };
    let keep: BTreeSet<&str> = narrow.split(',').map(str::trim).collect();
    Value::String(
        wide.split(',')
            .map(str::trim)
            .filter(|n| keep.contains(n))
            .collect::<Vec<_>>()
            .join(","),
    )
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn is_expression(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.starts_with('='))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A value reshaped as the parameter says.
fn reshape(name: &str, p: &CompatParameter, value: Value) -> Result<Value, TranslateError> {
    let wrong = |expected: &str, got: &Value| TranslateError {
        parameter: name.to_string(),
        message: format!("Parameter '{name}': expected {expected}, got {got}"),
    };
    if let Some(separator) = &p.join {
        return match value {
            Value::Array(items) => {
                let texts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                texts
                    .map(|t| Value::String(t.join(separator)))
                    .ok_or_else(|| wrong("a list of names", &Value::Array(items.clone())))
            }
            text @ Value::String(_) => Ok(text),
            other => Err(wrong("a list of names", &other)),
        };
    }
    if let Some(when_true) = &p.if_true {
        return match value {
            Value::Bool(true) => Ok(when_true.clone()),
            Value::Bool(false) => Ok(Value::Null),
            Value::String(s) if s == "true" => Ok(when_true.clone()),
            Value::String(s) if s == "false" => Ok(Value::Null),
            other => Err(wrong("true or false", &other)),
        };
    }
    if let Some(pairs) = &p.pairs {
        let Value::Object(collection) = &value else {
            return Err(wrong("an object", &value));
        };
        let entries = match get_path(collection, &pairs.list) {
            None | Some(Value::Null) => return Ok(Value::Object(Map::new())),
            Some(Value::Array(entries)) => entries,
            Some(other) => return Err(wrong(&format!("a list in {}", pairs.list), other)),
        };
        let mut object = Map::new();
        for entry in entries {
            let Value::Object(entry) = entry else {
                return Err(wrong("name/value entries", entry));
            };
            match entry.get(&pairs.name) {
                None | Some(Value::Null) => continue,
                Some(Value::String(n)) if n.is_empty() => continue,
                Some(Value::String(n)) => {
                    let v = entry
                        .get(&pairs.value)
                        .cloned()
                        .unwrap_or_else(|| Value::String(String::new()));
                    object.insert(n.clone(), v);
                }
                Some(other) => return Err(wrong("a field name", other)),
            }
        }
        return Ok(Value::Object(object));
    }
    Ok(value)
}

/// Sets a dotted path in an object, creating the objects on the way.
fn set_path(target: &mut Value, path: &str, value: Value) {
    let mut slot = target;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let map = slot.as_object_mut().expect("made an object");
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        slot = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}
