//! The JSON Schema of each operation's resolved parameters, derived from its properties and
//! switch states (never written by hand), shaped for standard form renderers (docs/forms.md).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::model::{Choice, JsonShape, NodeDescription, Property, PropertyType};

/// A JSON object given as text, as a `pattern` every draft 2020-12 validator enforces
/// (`contentMediaType` is an annotation only): JSON tokens (strings with valid escapes, numbers,
/// literals, punctuation), each followed by what JSON allows after it, starting with `{` and
/// ending with `}`. It does not count brackets (`{"a":[1}` passes it); noderun's parser refuses
/// that too. See docs/forms.md.
pub const JSON_OBJECT_TEXT_PATTERN: &str = concat!(
    r#"^[ \t\n\r]*(?=\{)(?:(?:"#,
    r#""(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"(?=[ \t\n\r]*[:,}\]])"#,
    r#"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?=[ \t\n\r]*[,}\]])"#,
    r#"|(?:true|false|null)(?=[ \t\n\r]*[,}\]])"#,
    r#"|\{(?=[ \t\n\r]*(?:\}|"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"[ \t\n\r]*:))"#,
    r#"|\[(?=[ \t\n\r]*[-0-9"tfn{\[\]])"#,
    r#"|[:,](?=[ \t\n\r]*[-0-9"tfn{\[])"#,
    r#"|[}\]](?=[ \t\n\r]*(?:[,}\]]|$))"#,
    r#")[ \t\n\r]*)*(?<=\})[ \t\n\r]*$"#,
);

/// The JSON Schema (draft 2020-12) of one operation's resolved parameters, shaped so that a
/// standard form renderer draws and validates it right (docs/forms.md).
///
/// `states` are the switch combinations of the operation and `visible[i]` the indices of the
/// properties shown in `states[i]`. A property shown in every state is in the top-level
/// `properties`; one shown in some states only is declared (and required, if required) in the
/// `then` of an `allOf` branch whose `if` matches exactly those states, so a renderer that
/// resolves conditionals shows it, and fills its default, only there. `unevaluatedProperties:
/// false` refuses everything else. Every property carries `propertyOrder`, its place in the
/// node description (key order follows it too).
///
/// `operation` is the resource value and the operation's choice; `None` for a node without
/// operations (a polling trigger), whose schema covers all its parameters.
pub(crate) fn operation_schema(
    node: &NodeDescription,
    operation: Option<(&str, &Choice)>,
    states: &[Map<String, Value>],
    visible: &[Vec<usize>],
) -> Value {
    let (resource, op_value) =
        operation.map_or(("", ""), |(r, o)| (r, o.value.as_str().unwrap_or_default()));
    let all: BTreeSet<usize> = visible.iter().flatten().copied().collect();
    let mut properties = Map::new();
    let mut required = vec![];
    // (condition, properties, required), in the order their first property comes.
    let mut branches: Vec<(Value, Map<String, Value>, Vec<String>)> = vec![];
    for (order, &i) in all.iter().enumerate() {
        let p = &node.properties[i];
        let mut fragment = match p.name.as_str() {
            "resource" => json!({"const": resource, "title": p.display_name}),
            "operation" => json!({"const": op_value, "title": p.display_name}),
            _ => match property_schema(p) {
                Some(f) => f,
                None => continue,
            },
        };
        fragment["propertyOrder"] = json!(order + 1);
        let shown_in: Vec<&Map<String, Value>> = states
            .iter()
            .zip(visible)
            .filter(|(_, v)| v.contains(&i))
            .map(|(s, _)| s)
            .collect();
        let must = p.required || p.name == "resource" || p.name == "operation";
        if shown_in.len() == states.len() {
            properties.insert(p.name.clone(), fragment);
            if must {
                required.push(p.name.clone());
            }
            continue;
        }
        let condition = condition(node, &shown_in, states);
        let index = match branches.iter().position(|(c, _, _)| *c == condition) {
            Some(index) => index,
            None => {
                branches.push((condition, Map::new(), vec![]));
                branches.len() - 1
            }
        };
        let (_, props, req) = &mut branches[index];
        props.insert(p.name.clone(), fragment);
        if must {
            req.push(p.name.clone());
        }
    }
    let (id, title, description) = match operation {
        Some((resource, operation)) => {
            let resource_name = node
                .properties
                .iter()
                .find(|p| p.name == "resource")
                .and_then(|p| p.choices().find(|c| c.value == resource))
                .map_or(resource, |c| c.name.as_str());
            (
                format!("urn:noderun:{}:{resource}:{op_value}", node.name),
                format!("{}: {resource_name}: {}", node.display_name, operation.name),
                operation.description.clone().unwrap_or_default(),
            )
        }
        None => (
            format!("urn:noderun:{}", node.name),
            node.display_name.clone(),
            node.description.clone(),
        ),
    };
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": id,
        "title": title,
        "description": description + " (parameters after expressions are resolved; hidden parameters absent)",
        "type": "object",
        "properties": properties,
        "required": required,
    });
    if !branches.is_empty() {
        schema["allOf"] = branches
            .into_iter()
            .map(|(condition, props, req)| {
                let mut then = json!({"properties": props});
                if !req.is_empty() {
                    then["required"] = json!(req);
                }
                json!({"if": condition, "then": then})
            })
            .collect();
    }
    schema["unevaluatedProperties"] = Value::Bool(false);
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
    if s.get("oneOf").is_some() {
        return; // choices stay choices
    }
    match s.get_mut("type") {
        Some(Value::String(t)) => {
            let t = t.clone();
            s["type"] = json!([t, "null"]);
        }
        Some(Value::Array(types)) => types.push(json!("null")),
        _ => {}
    }
}

/// The schema of one property's value; `None` for properties that hold no value.
///
/// Options are `oneOf` labelled constants; secrets are `writeOnly` with `format: "password"` (the password widget of rjsf, JSON Forms and
/// json-editor); JSON parameters are an object or text matching [`JSON_OBJECT_TEXT_PATTERN`].
/// A top-level property carries n8n's default; the fields of collections and groups carry none,
/// because n8n sets only the fields a user added (a renderer would otherwise fill them in).
pub fn property_schema(p: &Property) -> Option<Value> {
    property_fragment(p, true)
}

/// The choices of an options property as `oneOf` constants with their labels (`title`), the
/// 2020-12 way to name enum values that rjsf, JSON Forms and json-editor show in a select; with
/// the values' JSON type when they share one (renderers pick the field by `type`).
fn choices(p: &Property) -> Value {
    let alternatives: Vec<Value> = p
        .choices()
        .map(|c| {
            let mut choice = json!({"const": c.value, "title": c.name});
            if let Some(d) = &c.description {
                choice["description"] = Value::String(d.clone());
            }
            choice
        })
        .collect();
    let type_of = |v: &Value| match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        _ => "",
    };
    let mut types: Vec<&str> = p.choices().map(|c| type_of(&c.value)).collect();
    types.dedup();
    match types.as_slice() {
        [t] if !t.is_empty() => json!({"type": t, "oneOf": alternatives}),
        _ => json!({"oneOf": alternatives}),
    }
}

fn fields_schema<'a>(fields: impl Iterator<Item = &'a Property>) -> Value {
    let props: Map<String, Value> = fields
        .filter_map(|sp| {
            let mut s = property_fragment(sp, false)?;
            if !sp.required {
                nullable(&mut s);
            }
            Some((sp.name.clone(), s))
        })
        .enumerate()
        .map(|(order, (name, mut s))| {
            s["propertyOrder"] = json!(order + 1);
            (name, s)
        })
        .collect();
    json!({"type": "object", "properties": props, "additionalProperties": false})
}

fn property_fragment(p: &Property, top_level: bool) -> Option<Value> {
    let multiple = p.type_options.as_ref().is_some_and(|t| t.multiple_values);
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
        PropertyType::Options => choices(p),
        PropertyType::MultiOptions if p.required => json!({
            "type": "array",
            "uniqueItems": true,
            "minItems": 1,
            "items": choices(p),
        }),
        PropertyType::MultiOptions => json!({
            "type": "array",
            "uniqueItems": true,
            "items": choices(p),
        }),
        PropertyType::Json => {
            // The text form's pattern starts and ends with the shape's brackets.
            let (kinds, open, close): (&[&str], &str, &str) = match p.json_shape() {
                JsonShape::Object => (&["object"], r"\{", r"\}"),
                JsonShape::Array => (&["array"], r"\[", r"\]"),
                JsonShape::ObjectOrArray => (&["object", "array"], r"[{\[]", r"[}\]]"),
            };
            let pattern = JSON_OBJECT_TEXT_PATTERN
                .replacen(r"(?=\{)", &format!("(?={open})"), 1)
                .replacen(r"(?<=\})", &format!("(?<={close})"), 1);
            let mut types = vec!["string"];
            types.extend(kinds);
            let mut content = match kinds {
                [kind] => json!({"type": kind}),
                _ => json!({"type": kinds}),
            };
            let mut s =
                json!({"type": types, "pattern": pattern, "contentMediaType": "application/json"});
            if let (JsonShape::Object, Some(keys)) = (p.json_shape(), &p.json_keys) {
                s["propertyNames"] = json!({"enum": keys});
                content["propertyNames"] = json!({"enum": keys});
            }
            s["contentSchema"] = content;
            s
        }
        PropertyType::Collection => {
            let mut object = fields_schema(p.sub_properties());
            // A required field of a collection must be there whenever the collection is shown
            // (Items → Create or Update's filter: without it every item would match), and a
            // required JSON object field may not be `{}` either.
            let required: Vec<&str> = p
                .sub_properties()
                .filter(|sp| sp.required)
                .map(|sp| sp.name.as_str())
                .collect();
            for name in &required {
                if let Some(field) = object["properties"].get_mut(*name)
                    && field["contentSchema"]["type"] == "object"
                {
                    field["minProperties"] = json!(1);
                    field["contentSchema"]["minProperties"] = json!(1);
                }
            }
            if !required.is_empty() {
                object["required"] = json!(required);
            }
            if multiple {
                json!({"type": "array", "items": object})
            } else {
                object
            }
        }
        PropertyType::FixedCollection => {
            let groups: Map<String, Value> = p
                .groups()
                .map(|g| {
                    let mut object = fields_schema(g.values.iter());
                    object["title"] = Value::String(g.display_name.clone());
                    (
                        g.name.clone(),
                        if multiple {
                            json!({"type": "array", "items": object})
                        } else {
                            object
                        },
                    )
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
        obj.insert("format".into(), Value::String("password".into()));
    } else if top_level && !(p.required && p.default == "") {
        obj.insert("default".into(), p.default.clone());
    }
    Some(s)
}
