//! An operation's form-ready JSON Schema as a tool's `inputSchema`.
//!
//! The operation schema (`noderun schema`) declares the parameters shown in every state at the
//! top level and the ones a switch (`jsonParameters`, `returnAll`, `sendBinaryData`) shows in
//! the `then` of an `if`. Model providers refuse `allOf`/`anyOf`/`oneOf` at the root of a tool's
//! schema, and agents fill flat objects best, so the tool's schema is flat: every parameter at
//! the top level, a conditional one saying in its description when it is used (and whether it
//! is then required); the server checks those conditions itself ([`ToolInput::conditions`]).
//! `resource` and `operation` are fixed by the tool and left out. JSON parameters, which a form
//! takes as text or as a value, are declared as the value (an object, an array): what an agent
//! sends. The parameter naming an item's binary property for an upload is replaced by `file`,
//! the file itself.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The argument of an upload tool that holds the file.
pub(crate) const FILE: &str = "file";

/// A tool's input: its schema and what the server checks beyond it.
#[derive(Debug, Clone)]
pub(crate) struct ToolInput {
    /// The `inputSchema`: `{"type": "object", "properties", "required", "additionalProperties": false}`.
    pub schema: Map<String, Value>,
    /// Per conditional parameter, when it is used, in words (`returnAll is false`).
    pub conditions: BTreeMap<String, String>,
    /// For an upload, the parameter that names the item's binary property (and its default):
    /// the tool takes the file in [`FILE`] instead.
    pub file: Option<(String, Value)>,
}

impl ToolInput {
    /// The parameter names the tool takes, [`FILE`] included.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.schema["properties"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.keys())
    }

    /// Whether a parameter named `name` exists anywhere in the schema (at the top level or in
    /// a collection), and the path to it.
    pub fn find(&self, name: &str) -> Option<String> {
        let properties = self.schema["properties"].as_object()?;
        if properties.contains_key(name) {
            return Some(name.to_string());
        }
        properties.iter().find_map(|(k, v)| {
            v["properties"]
                .as_object()
                .filter(|sub| sub.contains_key(name))
                .map(|_| format!("{k}.{name}"))
        })
    }
}

/// The tool input of an operation schema; `binary_parameter` is the parameter whose value names
/// the binary property an upload reads, if the operation has one.
pub(crate) fn tool_input(operation_schema: &Value, binary_parameter: Option<&str>) -> ToolInput {
    let mut properties = Map::new();
    let mut required: Vec<String> = vec![];
    let mut conditions = BTreeMap::new();
    let mut file = None;
    let fixed = |name: &str| name == "resource" || name == "operation";
    let mut add = |name: &str, fragment: &Value, condition: Option<String>, must: bool| {
        if fixed(name) {
            return;
        }
        let mut fragment = clean(fragment);
        let name = if Some(name) == binary_parameter {
            file = Some((name.to_string(), fragment["default"].clone()));
            fragment = file_schema();
            FILE
        } else {
            name
        };
        match &condition {
            None if must => required.push(name.to_string()),
            None => {}
            Some(when) => {
                let note = if must {
                    format!("Used only when {when}, and then required.")
                } else {
                    format!("Used only when {when}.")
                };
                append_description(&mut fragment, &note);
                conditions.insert(name.to_string(), when.clone());
            }
        }
        properties.insert(name.to_string(), fragment);
    };
    let top_required = strings(&operation_schema["required"]);
    if let Some(props) = operation_schema["properties"].as_object() {
        for (name, fragment) in props {
            add(name, fragment, None, top_required.contains(name));
        }
    }
    for branch in operation_schema["allOf"].as_array().into_iter().flatten() {
        let when = condition_text(&branch["if"]);
        let then_required = strings(&branch["then"]["required"]);
        if let Some(props) = branch["then"]["properties"].as_object() {
            for (name, fragment) in props {
                add(
                    name,
                    fragment,
                    Some(when.clone()),
                    then_required.contains(name),
                );
            }
        }
    }
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    schema.insert("additionalProperties".into(), json!(false));
    ToolInput {
        schema,
        conditions,
        file,
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

/// `{"properties": {"returnAll": {"enum": [false]}}}` as `returnAll is false`; an `anyOf` of
/// such as `(…) or (…)`.
fn condition_text(condition: &Value) -> String {
    if let Some(alternatives) = condition["anyOf"].as_array() {
        return alternatives
            .iter()
            .map(|a| format!("({})", condition_text(a)))
            .collect::<Vec<_>>()
            .join(" or ");
    }
    let parts: Vec<String> = condition["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let values: Vec<String> = s["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .map(Value::to_string)
                .collect();
            format!("{name} is {}", values.join(" or "))
        })
        .collect();
    parts.join(" and ")
}

fn append_description(fragment: &mut Value, note: &str) {
    let text = match fragment["description"].as_str() {
        Some(d) if !d.is_empty() => {
            let d = d.trim_end();
            let stop = if d.ends_with(['.', '!', '?']) {
                ""
            } else {
                "."
            };
            format!("{d}{stop} {note}")
        }
        _ => note.to_string(),
    };
    fragment["description"] = Value::String(text);
}

/// A property schema for an agent: no form-only keywords (`propertyOrder`), JSON parameters as
/// their value (the `contentSchema` of the text form), recursively.
fn clean(fragment: &Value) -> Value {
    match fragment {
        Value::Object(map) => {
            let mut out = Map::new();
            let content = map.get("contentSchema");
            for (k, v) in map {
                match (k.as_str(), content) {
                    ("propertyOrder", _) => {}
                    ("pattern" | "contentMediaType" | "contentSchema", Some(_)) => {}
                    ("type", Some(content)) => {
                        out.insert(k.clone(), value_type(v, content));
                    }
                    _ => {
                        out.insert(k.clone(), clean(v));
                    }
                }
            }
            if let Some(content) = content.and_then(Value::as_object) {
                for (k, v) in content {
                    if k != "type" {
                        out.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            // `"type": [a, b]` is legal but not portable (clients that map tool schemas onto
            // a single-type dialect, such as Gemini's, refuse it): one branch per type.
            if let Some(Value::Array(types)) = out.get("type").cloned() {
                out.remove("type");
                match types.as_slice() {
                    [one] => {
                        out.insert("type".into(), one.clone());
                    }
                    _ => {
                        let branches = types.into_iter().map(|t| json!({"type": t})).collect();
                        out.insert("anyOf".into(), Value::Array(branches));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(clean).collect()),
        other => other.clone(),
    }
}

/// The JSON type of a JSON parameter: its content's type, `null` kept if it was allowed.
fn value_type(form_type: &Value, content: &Value) -> Value {
    let mut types: Vec<Value> = match &content["type"] {
        Value::Array(t) => t.clone(),
        Value::Null => vec![json!("object")],
        t => vec![t.clone()],
    };
    if form_type
        .as_array()
        .is_some_and(|t| t.contains(&json!("null")))
    {
        types.push(json!("null"));
    }
    match types.as_slice() {
        [one] => one.clone(),
        _ => Value::Array(types),
    }
}

fn file_schema() -> Value {
    json!({
        "type": "object",
        "title": "File",
        "description": "The file to upload: its name, its media type and its content, either as text (a CSV, JSON or Markdown file written out) or as base64-encoded bytes in data.",
        "properties": {
            "fileName": {"type": "string", "minLength": 1, "description": "The file's name with its extension, e.g. report.csv or photo.jpg."},
            "mimeType": {"type": "string", "description": "The file's media type, e.g. text/csv or image/jpeg (default: taken from the file name's extension, else application/octet-stream)."},
            "text": {"type": "string", "description": "The file's content as text (stored as UTF-8). Give text or data, not both."},
            "data": {"type": "string", "contentEncoding": "base64", "description": "The file's bytes, base64-encoded. Give text or data, not both."}
        },
        "required": ["fileName"],
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_become_descriptions_and_json_text_becomes_its_value() {
        let schema = json!({
            "type": "object",
            "properties": {
                "resource": {"const": "items"},
                "operation": {"const": "list"},
                "collection": {"type": "string", "minLength": 1, "description": "The collection", "propertyOrder": 3},
                "jsonParameters": {"type": "boolean", "default": false}
            },
            "required": ["resource", "operation", "collection"],
            "allOf": [
                {"if": {"properties": {"jsonParameters": {"enum": [true]}}, "required": ["jsonParameters"]},
                 "then": {"properties": {"queryParametersJson": {
                     "type": ["string", "object"], "pattern": "^x$", "contentMediaType": "application/json",
                     "contentSchema": {"type": "object", "propertyNames": {"enum": ["fields"]}},
                     "description": "The whole query"}},
                  "required": ["queryParametersJson"]}},
                {"if": {"anyOf": [{"properties": {"a": {"enum": [1, 2]}}}, {"properties": {"b": {"enum": ["x"]}, "c": {"enum": [false]}}}]},
                 "then": {"properties": {"limit": {"type": "number"}, "filter": {
                     "type": ["string", "object", "null"], "contentMediaType": "application/json",
                     "contentSchema": {"type": "object"}}}}}
            ],
            "unevaluatedProperties": false
        });
        let input = tool_input(&schema, None);
        assert_eq!(
            Value::Object(input.schema),
            json!({
                "type": "object",
                "properties": {
                    "collection": {"type": "string", "minLength": 1, "description": "The collection"},
                    "jsonParameters": {"type": "boolean", "default": false},
                    "queryParametersJson": {"type": "object", "description": "The whole query. Used only when jsonParameters is true, and then required.", "propertyNames": {"enum": ["fields"]}},
                    "filter": {"anyOf": [{"type": "object"}, {"type": "null"}], "description": "Used only when (a is 1 or 2) or (b is \"x\" and c is false)."},
                    "limit": {"type": "number", "description": "Used only when (a is 1 or 2) or (b is \"x\" and c is false)."}
                },
                "required": ["collection"],
                "additionalProperties": false
            })
        );
        assert_eq!(
            input
                .conditions
                .get("queryParametersJson")
                .map(String::as_str),
            Some("jsonParameters is true")
        );
    }
}
