//! The source form of node definitions: resource files built from shared parts.
//!
//! n8n's own nodes share description blocks by spreading TypeScript arrays; JSON cannot, so the
//! n8n-format resource files in `node-definitions/<node>/` are *generated* from
//! `node-definitions/source/` and checked in. A block written once (the CRUD operations, the list
//! query options, Return All + Limit, the JSON/RAW toggles…) is a **part** in
//! `source/parts/<group>.json`; a resource file `source/<node>/<resource>.json` uses it by name
//! (`{"use": "list.returnAll"}`) with parameters (`"with": {"operations": ["listAll"]}`), and the
//! words a part needs about the resource (its path, singular and plural) are given once per file
//! in the resource's own `with`. docs/definitions-source.md is the guide; [`generate`] the
//! generator, [`repetition`] the measure of what the source still repeats.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::problem::Problem;

pub use crate::load::SOURCE_DIR;

mod repetition;
pub use repetition::{Repetition, repetition};

/// A file of shared parts: `node-definitions/source/parts/<group>.json`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartsFile {
    /// The schema of source files, for editors (`"../source.schema.json"`).
    #[serde(default, rename = "$schema")]
    pub schema: Option<String>,
    /// What the parts of this file are for.
    pub description: String,
    /// The parts, by name; a use names one as `<group>.<name>`, the group being the file's name.
    pub parts: BTreeMap<String, Part>,
}

/// A block written once: what a use of it becomes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// What the part is, for the person choosing it.
    pub description: String,
    /// Its parameters: name, then what the value means. The content refers to a parameter as
    /// `${name}`: a string that is exactly `${name}` becomes the value (any JSON: a list of
    /// operations, an object); inside a longer string the value (text or a number) is inserted.
    /// `$${` is a literal `${`.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Values of parameters a use may leave out; they may refer to other parameters.
    #[serde(default)]
    pub defaults: Map<String, Value>,
    /// What a use becomes: a property, an operation (a choice), a list of them (spliced into the
    /// list the use stands in), or any other JSON value. It may use other parts.
    pub content: Value,
}

/// A use of a part, anywhere a value can stand (in a list, the part's list is spliced in).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Use {
    /// The part, as `<group>.<name>` (`crud.get` is the part `get` of `parts/crud.json`).
    #[serde(rename = "use")]
    pub part: String,
    /// Parameter values for this use; they override the resource's `with`.
    #[serde(default)]
    pub with: Map<String, Value>,
}

/// One resource in the source form: `node-definitions/source/<node>/<resource>.json`, generated
/// into `node-definitions/<node>/<resource>.json`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceSource {
    /// The schema of source files, for editors (`"../source.schema.json"`).
    #[serde(default, rename = "$schema")]
    pub schema: Option<String>,
    /// The value of the node's `resource` option this file describes.
    pub resource: String,
    /// Parameter values for every part used in this file (the resource's `path`, `singular`,
    /// `plural`…); a use's own `with` overrides them. Each must be used by some part.
    #[serde(default)]
    pub with: Map<String, Value>,
    /// The operation chosen when none is set.
    pub default_operation: String,
    /// The operations: the choices of the generated `operation` selector, each a choice
    /// (`name`, `value`, `description`, `action`, `routing`) or a use of a part.
    #[schemars(schema_with = "entries")]
    pub operations: Vec<Value>,
    /// The resource's parameters, in display order: properties or uses of parts. Each is shown
    /// for this resource only: the generator puts `"resource": ["<resource>"]` first in its
    /// `displayOptions.show`, so a property here gives only its other conditions
    /// (`"show": {"operation": ["get"]}`).
    #[serde(default)]
    #[schemars(schema_with = "entries")]
    pub properties: Vec<Value>,
    /// Former values of this resource's `operation` mapped to the operation they now name, copied
    /// to the generated file.
    #[serde(default)]
    pub operation_aliases: Map<String, Value>,
}

fn entries(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let use_ref = generator.subschema_for::<Use>();
    schemars::json_schema!({
        "type": "array",
        "items": {"anyOf": [use_ref, {
            "type": "object",
            "description": "An n8n property or choice, written out; its lists may hold uses of parts.",
            "not": {"required": ["use"]}
        }]}
    })
}

/// The JSON Schema of the source files (draft 2020-12), generated from these types; checked in
/// as `node-definitions/source/source.schema.json`.
pub fn source_schema() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let resource = generator.subschema_for::<ResourceSource>();
    let parts = generator.subschema_for::<PartsFile>();
    let defs = generator.take_definitions(true);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:noderun:definitions-source",
        "title": "noderun node definitions, source form",
        "description": "A file of node-definitions/source/: one resource (<node>/<resource>.json) or a file of shared parts (parts/<group>.json). The generated n8n-format files are checked by format.schema.json.",
        "anyOf": [resource, parts],
        "$defs": defs,
    })
}

/// A source file, read.
enum SourceFile {
    Parts(String, PartsFile),
    Resource(String, ResourceSource),
}

/// The source files (path below `node-definitions/source/`, text) that are not the schema.
fn read(sources: &[(String, String)], problems: &mut Vec<Problem>) -> Vec<SourceFile> {
    let mut files = Vec::new();
    for (path, text) in sources {
        if path == "source.schema.json" {
            continue;
        }
        let file = format!("{SOURCE_DIR}/{path}");
        let mut problem = |message: String| {
            problems.push(Problem {
                file: file.clone(),
                pointer: String::new(),
                message,
            })
        };
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["parts", name] => match serde_json::from_str::<PartsFile>(text) {
                Ok(parts) => files.push(SourceFile::Parts(
                    name.trim_end_matches(".json").to_string(),
                    parts,
                )),
                Err(e) => problem(e.to_string()),
            },
            [node, name] if *name != "node.json" => {
                match serde_json::from_str::<ResourceSource>(text) {
                    Ok(resource) if format!("{}.json", resource.resource) != *name => {
                        problem(format!(
                            "the file of resource '{}' must be {node}/{}.json",
                            resource.resource, resource.resource
                        ))
                    }
                    Ok(resource) => files.push(SourceFile::Resource(path.clone(), resource)),
                    Err(e) => problem(e.to_string()),
                }
            }
            _ => problem(
                "unexpected file: expected parts/<group>.json or <node>/<resource>.json".into(),
            ),
        }
    }
    files
}

/// Generates the n8n-format resource files from the source files, given as (path below
/// `node-definitions/source/`, text): `(path below node-definitions/, text)` for each
/// `<node>/<resource>.json`, pretty-printed with a final newline.
///
/// # Errors
/// Every problem found: unreadable files, unknown parts or parameters, missing parameters,
/// resource parameters no part uses, properties without `displayOptions.show`.
pub fn generate(sources: &[(String, String)]) -> Result<Vec<(String, String)>, Vec<Problem>> {
    let mut problems = Vec::new();
    let files = read(sources, &mut problems);
    let mut parts = BTreeMap::new();
    for file in &files {
        if let SourceFile::Parts(group, file) = file {
            for (name, part) in &file.parts {
                parts.insert(format!("{group}.{name}"), part.clone());
            }
        }
    }
    check_parts(&parts, &mut problems);
    let mut out = Vec::new();
    for file in &files {
        if let SourceFile::Resource(path, resource) = file
            && let Some(value) = expand_resource(path, resource, &parts, &mut problems)
        {
            let text = serde_json::to_string_pretty(&value).expect("JSON values serialize") + "\n";
            out.push((path.clone(), text));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Every `${name}` of a part's content and defaults is one of its parameters.
fn check_parts(parts: &BTreeMap<String, Part>, problems: &mut Vec<Problem>) {
    for (name, part) in parts {
        let (group, short) = name.split_once('.').expect("group.name");
        let mut named = BTreeSet::new();
        placeholders(&part.content, &mut named);
        for value in part.defaults.values() {
            placeholders(value, &mut named);
        }
        for (param, pointer) in named
            .iter()
            .filter(|p| !part.params.contains_key(*p))
            .map(|p| (p, "/content"))
            .chain(
                part.defaults
                    .keys()
                    .filter(|d| !part.params.contains_key(*d))
                    .map(|d| (d, "/defaults")),
            )
        {
            problems.push(Problem {
                file: format!("{SOURCE_DIR}/parts/{group}.json"),
                pointer: format!("/parts/{short}{pointer}"),
                message: format!("'{param}' is not a parameter of part '{name}' (see its params)"),
            });
        }
    }
}

/// The parameter names a value refers to.
fn placeholders(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            for piece in pieces(s) {
                if let Piece::Param(name) = piece {
                    out.insert(name.to_string());
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| placeholders(v, out)),
        Value::Object(map) => map.values().for_each(|v| placeholders(v, out)),
        _ => {}
    }
}

enum Piece<'a> {
    Text(&'a str),
    Param(&'a str),
}

/// A template string cut into text and `${name}` parameters (`$${` is a literal `${`).
fn pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        if rest[..at].ends_with('$') {
            out.push(Piece::Text(&rest[..at - 1]));
            out.push(Piece::Text("${"));
            rest = &rest[at + 2..];
            continue;
        }
        let Some(end) = rest[at..].find('}') else {
            break;
        };
        out.push(Piece::Text(&rest[..at]));
        out.push(Piece::Param(&rest[at + 2..at + end]));
        rest = &rest[at + end + 1..];
    }
    out.push(Piece::Text(rest));
    out.retain(|p| !matches!(p, Piece::Text("")));
    out
}

/// `value` with every `${name}` replaced by its parameter's value.
fn substitute(value: &Value, params: &Map<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            let pieces = pieces(s);
            if let [Piece::Param(name)] = pieces.as_slice() {
                return params
                    .get(*name)
                    .cloned()
                    .ok_or_else(|| format!("no value for parameter '{name}'"));
            }
            let mut text = String::new();
            for piece in pieces {
                match piece {
                    Piece::Text(t) => text.push_str(t),
                    Piece::Param(name) => match params.get(name) {
                        Some(Value::String(v)) => text.push_str(v),
                        Some(Value::Number(n)) => text.push_str(&n.to_string()),
                        Some(other) => {
                            return Err(format!(
                                "parameter '{name}' is {other}, which cannot be part of a text (only a string that is exactly ${{{name}}} takes any value)"
                            ));
                        }
                        None => return Err(format!("no value for parameter '{name}'")),
                    },
                }
            }
            Value::String(text)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, params))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, params)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Expansion of one resource file: its parts, its resource parameters, where problems go.
struct Expansion<'a> {
    file: String,
    parts: &'a BTreeMap<String, Part>,
    resource_with: &'a Map<String, Value>,
    used: BTreeSet<String>,
    problems: Vec<Problem>,
}

/// A part being expanded, with its parameters: the uses in its content see them.
struct Frame {
    part: String,
    params: Map<String, Value>,
}

/// What a value became: one value, or several to splice into the list it stands in.
enum Expanded {
    One(Value),
    Many(Vec<Value>),
}

impl Expansion<'_> {
    fn problem(&mut self, pointer: &str, message: String) {
        self.problems.push(Problem {
            file: self.file.clone(),
            pointer: pointer.to_string(),
            message,
        });
    }

    /// `value` with its uses of parts replaced; `stack` holds the parts being expanded.
    fn expand(&mut self, value: &Value, pointer: &str, stack: &mut Vec<Frame>) -> Expanded {
        match value {
            Value::Object(map) if map.contains_key("use") => self.expand_use(map, pointer, stack),
            Value::Object(map) => Expanded::One(Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let at = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                        let v = match self.expand(v, &at, stack) {
                            Expanded::One(v) => v,
                            Expanded::Many(items) => Value::Array(items),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )),
            Value::Array(items) => {
                Expanded::One(Value::Array(self.expand_list(items, pointer, stack)))
            }
            other => Expanded::One(other.clone()),
        }
    }

    fn expand_list(
        &mut self,
        items: &[Value],
        pointer: &str,
        stack: &mut Vec<Frame>,
    ) -> Vec<Value> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match self.expand(item, &format!("{pointer}/{i}"), stack) {
                Expanded::One(v) => out.push(v),
                Expanded::Many(vs) => out.extend(vs),
            }
        }
        out
    }

    fn expand_use(
        &mut self,
        map: &Map<String, Value>,
        pointer: &str,
        stack: &mut Vec<Frame>,
    ) -> Expanded {
        let nothing = Expanded::Many(vec![]);
        let usage: Use = match serde_json::from_value(Value::Object(map.clone())) {
            Ok(u) => u,
            Err(e) => {
                self.problem(
                    pointer,
                    format!(
                        "a use of a part is {{\"use\": \"<group>.<name>\", \"with\": {{…}}}}: {e}"
                    ),
                );
                return nothing;
            }
        };
        let Some(part) = self.parts.get(&usage.part) else {
            let message = format!(
                "no part '{}' (parts: {})",
                usage.part,
                self.parts.keys().cloned().collect::<Vec<_>>().join(", ")
            );
            self.problem(&format!("{pointer}/use"), message);
            return nothing;
        };
        if stack.iter().any(|f| f.part == usage.part) {
            let path: Vec<&str> = stack.iter().map(|f| f.part.as_str()).collect();
            let message = format!("part '{}' uses itself ({})", usage.part, path.join(" → "));
            self.problem(&format!("{pointer}/use"), message);
            return nothing;
        }
        for key in usage.with.keys().filter(|k| !part.params.contains_key(*k)) {
            let message = format!(
                "'{key}' is not a parameter of part '{}' (its parameters: {})",
                usage.part,
                part.params.keys().cloned().collect::<Vec<_>>().join(", ")
            );
            self.problem(&format!("{pointer}/with/{key}"), message);
        }
        let scope = stack.last().map(|f| f.params.clone()).unwrap_or_default();
        let Some(params) = self.parameters(&usage, part, &scope, pointer) else {
            return nothing;
        };
        let content = match substitute(&part.content, &params) {
            Ok(c) => c,
            Err(e) => {
                self.problem(pointer, format!("part '{}': {e}", usage.part));
                return nothing;
            }
        };
        stack.push(Frame {
            part: usage.part.clone(),
            params,
        });
        let expanded = match &content {
            Value::Array(items) => Expanded::Many(self.expand_list(items, pointer, stack)),
            other => self.expand(other, pointer, stack),
        };
        stack.pop();
        expanded
    }

    /// The values of a use's parameters: from its `with`, else the enclosing part's parameters
    /// (`scope`), else the resource's `with`, else the part's defaults. `None` (with a problem)
    /// when the content needs a parameter nothing gives, or a default does not substitute.
    fn parameters(
        &mut self,
        usage: &Use,
        part: &Part,
        scope: &Map<String, Value>,
        pointer: &str,
    ) -> Option<Map<String, Value>> {
        // Each parameter from this use's `with`, else the enclosing part's parameters, else the
        // resource's `with`, else the part's default.
        let mut params = Map::new();
        let mut defaulted = Map::new();
        for name in part.params.keys() {
            if let Some(v) = usage.with.get(name).or_else(|| scope.get(name)) {
                params.insert(name.clone(), v.clone());
            } else if let Some(v) = self.resource_with.get(name) {
                self.used.insert(name.clone());
                params.insert(name.clone(), v.clone());
            } else if let Some(default) = part.defaults.get(name) {
                defaulted.insert(name.clone(), default.clone());
            }
        }
        // Defaults may refer to other parameters, defaults included.
        loop {
            let ready: Vec<String> = defaulted
                .iter()
                .filter(|(_, d)| {
                    let mut refs = BTreeSet::new();
                    placeholders(d, &mut refs);
                    refs.iter().all(|r| params.contains_key(r))
                })
                .map(|(k, _)| k.clone())
                .collect();
            if ready.is_empty() {
                break;
            }
            for name in ready {
                let default = defaulted.remove(&name).expect("ready");
                match substitute(&default, &params) {
                    Ok(v) => {
                        params.insert(name, v);
                    }
                    Err(e) => {
                        self.problem(
                            pointer,
                            format!("part '{}': default of '{name}': {e}", usage.part),
                        );
                        return None;
                    }
                }
            }
        }
        // What the content needs and cannot have: missing, or a default that needs them.
        let mut wanted = BTreeSet::new();
        placeholders(&part.content, &mut wanted);
        let mut missing = BTreeSet::new();
        while let Some(name) = wanted.pop_first() {
            if params.contains_key(&name) || !missing.insert(name.clone()) {
                continue;
            }
            if let Some(default) = defaulted.get(&name) {
                missing.remove(&name);
                placeholders(default, &mut wanted);
            }
        }
        if !missing.is_empty() {
            let message = format!(
                "part '{}' needs {} (give it in this use's \"with\" or in the resource's)",
                usage.part,
                missing
                    .iter()
                    .map(|m| format!("'{m}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.problem(pointer, message);
            return None;
        }
        Some(params)
    }
}

/// The n8n resource file of one resource source.
fn expand_resource(
    path: &str,
    source: &ResourceSource,
    parts: &BTreeMap<String, Part>,
    problems: &mut Vec<Problem>,
) -> Option<Value> {
    let mut x = Expansion {
        file: format!("{SOURCE_DIR}/{path}"),
        parts,
        resource_with: &source.with,
        used: BTreeSet::new(),
        problems: vec![],
    };
    let resource = Value::String(source.resource.clone());
    let choices = x.expand_list(&source.operations, "/operations", &mut vec![]);
    let mut properties = vec![json!({
        "displayName": "Operation",
        "name": "operation",
        "type": "options",
        "noDataExpression": true,
        "displayOptions": {"show": {"resource": [resource]}},
        "options": choices,
        "default": source.default_operation,
    })];
    let given = x.expand_list(&source.properties, "/properties", &mut vec![]);
    for (i, mut property) in given.into_iter().enumerate() {
        let show = property
            .get_mut("displayOptions")
            .and_then(|d| d.get_mut("show"))
            .and_then(Value::as_object_mut);
        match show {
            Some(show) if show.contains_key("resource") => x.problem(
                "/properties",
                format!("property {i} (counting the parts' properties) says displayOptions.show.resource: leave it out, the generator adds it"),
            ),
            Some(show) => {
                let mut with_resource = Map::new();
                with_resource.insert("resource".into(), json!([resource]));
                with_resource.append(show);
                *show = with_resource;
            }
            None => x.problem(
                "/properties",
                format!("property {i} (counting the parts' properties), '{}', has no displayOptions.show: say for which operations it is shown", property["name"].as_str().unwrap_or("?")),
            ),
        }
        properties.push(property);
    }
    let unused: Vec<&String> = source
        .with
        .keys()
        .filter(|k| !x.used.contains(*k))
        .collect();
    for key in unused {
        let message = format!("'{key}' is a parameter of no part used in this file");
        x.problem(&format!("/with/{key}"), message);
    }
    let mut out = Map::new();
    out.insert("resource".into(), resource);
    out.insert("properties".into(), Value::Array(properties));
    if !source.operation_aliases.is_empty() {
        out.insert(
            "operationAliases".into(),
            Value::Object(source.operation_aliases.clone()),
        );
    }
    let ok = x.problems.is_empty();
    problems.append(&mut x.problems);
    ok.then_some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(content: Value) -> (String, String) {
        (
            "parts/p.json".into(),
            json!({"description": "d", "parts": content}).to_string(),
        )
    }

    #[test]
    fn parts_expand_with_parameters_and_splice_into_lists() {
        let sources = vec![
            parts(json!({
                "id": {"description": "an id", "params": {"singular": "s", "operations": "o"},
                       "content": {"displayName": "ID", "name": "id", "description": "Key of the ${singular}",
                                   "displayOptions": {"show": {"operation": "${operations}"}}}},
                "two": {"description": "two", "params": {"operations": "o"}, "defaults": {"operations": ["list"]},
                        "content": [{"name": "a", "displayOptions": {"show": {"operation": "${operations}"}}},
                                    {"use": "p.id", "with": {"operations": "${operations}"}}]},
                "get": {"description": "get", "params": {"path": "p"},
                        "content": {"name": "Get", "value": "get", "routing": {"request": {"url": "=${path}/{{ $${x} }}"}}}}
            })),
            (
                "n/things.json".into(),
                json!({"resource": "things", "with": {"singular": "thing", "path": "/things"},
                       "defaultOperation": "get", "operations": [{"use": "p.get"}],
                       "properties": [{"use": "p.two"}, {"name": "b", "displayOptions": {"show": {"x": [1]}}}]})
                .to_string(),
            ),
        ];
        let generated = generate(&sources).unwrap();
        assert_eq!(generated.len(), 1);
        let value: Value = serde_json::from_str(&generated[0].1).unwrap();
        assert_eq!(
            value,
            json!({"resource": "things", "properties": [
                {"displayName": "Operation", "name": "operation", "type": "options", "noDataExpression": true,
                 "displayOptions": {"show": {"resource": ["things"]}},
                 "options": [{"name": "Get", "value": "get", "routing": {"request": {"url": "=/things/{{ ${x} }}"}}}],
                 "default": "get"},
                {"name": "a", "displayOptions": {"show": {"resource": ["things"], "operation": ["list"]}}},
                {"displayName": "ID", "name": "id", "description": "Key of the thing",
                 "displayOptions": {"show": {"resource": ["things"], "operation": ["list"]}}},
                {"name": "b", "displayOptions": {"show": {"resource": ["things"], "x": [1]}}}
            ]})
        );
    }

    #[test]
    fn mistakes_are_located() {
        let sources = vec![
            parts(
                json!({"a": {"description": "a", "params": {"x": "x"}, "content": {"n": "${x}${y}"}}}),
            ),
            (
                "n/r.json".into(),
                json!({"resource": "r", "with": {"unused": "u"}, "defaultOperation": "g",
                       "operations": [{"use": "p.b"}, {"use": "p.a", "with": {"z": 1}}],
                       "properties": [{"name": "p"}]})
                .to_string(),
            ),
        ];
        let messages: Vec<String> = generate(&sources)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            messages,
            [
                "source/parts/p.json#/parts/a/content: 'y' is not a parameter of part 'p.a' (see its params)",
                "source/n/r.json#/operations/0/use: no part 'p.b' (parts: p.a)",
                "source/n/r.json#/operations/1/with/z: 'z' is not a parameter of part 'p.a' (its parameters: x)",
                "source/n/r.json#/operations/1: part 'p.a' needs 'x', 'y' (give it in this use's \"with\" or in the resource's)",
                "source/n/r.json#/properties: property 0 (counting the parts' properties), 'p', has no displayOptions.show: say for which operations it is shown",
                "source/n/r.json#/with/unused: 'unused' is a parameter of no part used in this file",
            ]
        );
    }
}
