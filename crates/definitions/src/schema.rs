//! JSON Schemas: the format's own (generated from the model types) and one per operation
//! (derived from its properties).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::model::{
    Choice, CredentialType, JsonShape, NodeDescription, Property, PropertyType, ResourceFile,
};
use crate::registry::FileKind;

/// The JSON Schema of the definitions format (draft 2020-12), generated from the model types;
/// checked in as `node-definitions/format.schema.json`.
pub fn format_schema() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let node = generator.subschema_for::<NodeDescription>();
    let resource = generator.subschema_for::<ResourceFile>();
    let credential = generator.subschema_for::<CredentialType>();
    let defs = generator.take_definitions(true);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:noderun:definitions-format",
        "title": "noderun node definitions",
        "description": "A file of node-definitions/: a node (<node>/node.json), one resource's properties (<node>/<resource>.json) or a credential type (credentials/<name>.json). The format is n8n's INodeTypeDescription / ICredentialType.",
        "anyOf": [node, resource, credential],
        "$defs": defs,
    })
}

/// Compiled validators of the three file kinds.
pub(crate) struct FormatSchemas {
    node: jsonschema::Validator,
    resource: jsonschema::Validator,
    credential: jsonschema::Validator,
}

impl FormatSchemas {
    pub(crate) fn new() -> FormatSchemas {
        let full = format_schema();
        let compile = |def: &str| {
            let mut schema = full.clone();
            let obj = schema.as_object_mut().expect("object");
            obj.remove("anyOf");
            obj.insert("$ref".into(), Value::String(format!("#/$defs/{def}")));
            jsonschema::draft202012::new(&schema).expect("the generated format schema compiles")
        };
        FormatSchemas {
            node: compile("NodeDescription"),
            resource: compile("ResourceFile"),
            credential: compile("CredentialType"),
        }
    }

    /// Format violations as (JSON pointer, message).
    pub(crate) fn check(&self, kind: FileKind, value: &Value) -> Vec<(String, String)> {
        let validator = match kind {
            FileKind::Node => &self.node,
            FileKind::Resource => &self.resource,
            FileKind::Credential => &self.credential,
        };
        validator
            .iter_errors(value)
            .map(|e| (e.instance_path().to_string(), e.to_string()))
            .collect()
    }
}

/// The JSON Schema (draft 2020-12) of one operation's resolved parameters.
///
/// `states` are the switch combinations of the operation and `visible[i]` the indices of the
/// properties shown in `states[i]`. A property shown in every state is plain; one shown in some
/// states only gets an `if`/`then`/`else`: required where shown (if required), absent elsewhere.
pub(crate) fn operation_schema(
    node: &NodeDescription,
    resource: &str,
    operation: &Choice,
    states: &[Map<String, Value>],
    visible: &[Vec<usize>],
) -> Value {
    let op_value = operation.value.as_str().unwrap_or_default();
    let resource_name = node
        .properties
        .iter()
        .find(|p| p.name == "resource")
        .and_then(|p| p.choices().find(|c| c.value == resource))
        .map_or(resource, |c| c.name.as_str());
    let all: BTreeSet<usize> = visible.iter().flatten().copied().collect();
    let mut properties = Map::new();
    let mut required = vec![];
    let mut conditionals = vec![];
    for &i in &all {
        let p = &node.properties[i];
        let fragment = match p.name.as_str() {
            "resource" => json!({"const": resource}),
            "operation" => json!({"const": op_value}),
            _ => match property_schema(p) {
                Some(f) => f,
                None => continue,
            },
        };
        properties.insert(p.name.clone(), fragment);
        let shown_in: Vec<&Map<String, Value>> = states
            .iter()
            .zip(visible)
            .filter(|(_, v)| v.contains(&i))
            .map(|(s, _)| s)
            .collect();
        let must = p.required || p.name == "resource" || p.name == "operation";
        if shown_in.len() == states.len() {
            if must {
                required.push(p.name.clone());
            }
        } else {
            let mut conditional = Map::new();
            conditional.insert("if".into(), condition(node, &shown_in, states));
            conditional.insert(
                "then".into(),
                if must {
                    json!({"required": [p.name]})
                } else {
                    json!({})
                },
            );
            conditional.insert(
                "else".into(),
                json!({"properties": {p.name.clone(): false}}),
            );
            conditionals.push(Value::Object(conditional));
        }
    }
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:noderun:{}:{resource}:{op_value}", node.name),
        "title": format!("{}: {resource_name}: {}", node.display_name, operation.name),
        "description": operation.description.clone().unwrap_or_default() + " (parameters after expressions are resolved; hidden parameters absent)",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if !conditionals.is_empty() {
        schema["allOf"] = Value::Array(conditionals);
    }
    schema
}

/// A schema matching exactly the states in `shown_in`: per switch, the values it takes there
/// (when the states form a product), else any of the states.
fn condition(
    node: &NodeDescription,
    shown_in: &[&Map<String, Value>],
    states: &[Map<String, Value>],
) -> Value {
    let switches: BTreeSet<&String> = states
        .iter()
        .flat_map(|s| s.keys())
        .filter(|k| *k != "resource" && *k != "operation")
        .collect();
    let match_state = |values: &dyn Fn(&String) -> Vec<Value>| {
        let mut props = Map::new();
        let mut required = vec![];
        for k in &switches {
            let vals = values(k);
            let all_values: BTreeSet<String> = states
                .iter()
                .filter_map(|s| s.get(*k))
                .map(Value::to_string)
                .collect();
            if vals.len() == all_values.len() {
                continue;
            }
            let default = node
                .properties
                .iter()
                .find(|p| &p.name == *k)
                .map(|p| p.default.clone());
            if !default.is_some_and(|d| vals.contains(&d)) {
                required.push(Value::String((*k).clone()));
            }
            props.insert((*k).clone(), json!({"enum": vals}));
        }
        let mut schema = json!({"properties": props});
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
        schema
    };
    let projected = |k: &String| -> Vec<Value> {
        let mut vals: Vec<Value> = vec![];
        for s in shown_in {
            if let Some(v) = s.get(k)
                && !vals.contains(v)
            {
                vals.push(v.clone());
            }
        }
        vals
    };
    let product: usize = switches.iter().map(|k| projected(k).len().max(1)).product();
    if product == shown_in.len() {
        match_state(&projected)
    } else {
        json!({"anyOf": shown_in.iter().map(|s| match_state(&|k: &String| s.get(k).cloned().into_iter().collect())).collect::<Vec<_>>()})
    }
}

/// Lets an optional text, number, boolean or JSON field of a collection be `null` (an
/// expression's `null`, e.g. a folder's `parent` taken from a root folder): sent as `null` in a
/// body, not sent in a query. Choices stay choices.
fn nullable(s: &mut Value) {
    if let Some(Value::String(t)) = s.get("type") {
        s["type"] = json!([t, "null"]);
    } else if let Some(Value::Array(any_of)) = s.get_mut("anyOf") {
        any_of.push(json!({"type": "null"}));
    }
}

/// The schema of one property's value; `None` for properties that hold no value.
pub fn property_schema(p: &Property) -> Option<Value> {
    let mut s = match p.kind {
        PropertyType::Notice => return None,
        PropertyType::String if p.required => json!({"type": "string", "minLength": 1}),
        PropertyType::String => json!({"type": "string"}),
        PropertyType::Number => {
            let mut s = json!({"type": "number"});
            if let Some(t) = &p.type_options {
                if let Some(min) = t.min_value {
                    s["minimum"] = json!(min);
                }
                if let Some(max) = t.max_value {
                    s["maximum"] = json!(max);
                }
            }
            s
        }
        PropertyType::Boolean => json!({"type": "boolean"}),
        PropertyType::Options => {
            json!({"enum": p.choices().map(|c| c.value.clone()).collect::<Vec<_>>()})
        }
        PropertyType::MultiOptions => json!({
            "type": "array",
            "uniqueItems": true,
            "items": {"enum": p.choices().map(|c| c.value.clone()).collect::<Vec<_>>()},
        }),
        PropertyType::Json => {
            let shape = match (p.json_shape(), &p.json_keys) {
                (JsonShape::Object, Some(keys)) => {
                    json!({"type": "object", "propertyNames": {"enum": keys}})
                }
                (JsonShape::Object, None) => json!({"type": "object"}),
                (JsonShape::Array, _) => json!({"type": "array"}),
                (JsonShape::ObjectOrArray, _) => json!({"type": ["object", "array"]}),
            };
            json!({
                "anyOf": [
                    shape,
                    {"type": "string", "contentMediaType": "application/json", "contentSchema": shape},
                ]
            })
        }
        PropertyType::Collection => {
            let props: Map<String, Value> = p
                .sub_properties()
                .filter_map(|sp| {
                    let mut s = property_schema(sp)?;
                    if !sp.required {
                        nullable(&mut s);
                    }
                    Some((sp.name.clone(), s))
                })
                .collect();
            let object =
                json!({"type": "object", "properties": props, "additionalProperties": false});
            if p.type_options.as_ref().is_some_and(|t| t.multiple_values) {
                json!({"type": "array", "items": object})
            } else {
                object
            }
        }
        PropertyType::FixedCollection => {
            let multiple = p.type_options.as_ref().is_some_and(|t| t.multiple_values);
            let groups: Map<String, Value> = p
                .groups()
                .map(|g| {
                    let props: Map<String, Value> =
                        g.values.iter().filter_map(|sp| property_schema(sp).map(|s| (sp.name.clone(), s))).collect();
                    let object = json!({"type": "object", "properties": props, "additionalProperties": false});
                    (g.name.clone(), if multiple { json!({"type": "array", "items": object}) } else { object })
                })
                .collect();
            json!({"type": "object", "properties": groups, "additionalProperties": false})
        }
    };
    let obj = s.as_object_mut().expect("object");
    obj.insert("title".into(), Value::String(p.display_name.clone()));
    if let Some(d) = &p.description {
        obj.insert("description".into(), Value::String(d.clone()));
    }
    if p.is_secret() {
        obj.insert("writeOnly".into(), Value::Bool(true));
    } else if !(p.required && p.default == "") {
        obj.insert("default".into(), p.default.clone());
    }
    Some(s)
}
