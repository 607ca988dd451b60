//! The operation schemas carry what a standard form renderer needs (docs/forms.md): the order
//! of the node description, conditional fields only where n8n shows them, password widgets for
//! secrets, labelled choices, no defaults a user did not set inside collections, and the
//! "JSON object as text" rule as a `pattern` that every draft 2020-12 validator enforces.
//! The browser proof is crates/cli/tests/standalone/forms_browser.rs.

use noderun_definitions::model::{Property, PropertyType};
use noderun_definitions::{JSON_OBJECT_TEXT_PATTERN, Registry};
use serde_json::{Map, Value, json};

/// The schema's property fragments: the top level's and those of its `then` branches.
fn fragments(schema: &Value) -> Vec<(String, &Value)> {
    let mut maps = vec![&schema["properties"]];
    for branch in schema["allOf"].as_array().into_iter().flatten() {
        assert_eq!(
            branch.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["if", "then"],
            "a branch only adds fields where its condition holds"
        );
        maps.push(&branch["then"]["properties"]);
    }
    maps.into_iter()
        .flat_map(|m| m.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v)))
        .collect()
}

fn described<'a>(properties: &'a [Property], name: &str) -> Vec<&'a Property> {
    properties.iter().filter(|p| p.name == name).collect()
}

#[test]
fn fields_come_in_description_order_with_password_widgets_and_labelled_choices() {
    let registry = Registry::embedded().unwrap();
    let node = registry.node("directus").unwrap();
    let properties = &node.description.properties;
    let mut secrets = 0;
    for op in node.operations() {
        let what = format!("{} {}", op.resource, op.operation);
        let mut fields = fragments(&op.schema);
        fields.sort_by_key(|(_, f)| f["propertyOrder"].as_u64().unwrap());
        let orders: Vec<u64> = fields
            .iter()
            .map(|(_, f)| f["propertyOrder"].as_u64().unwrap())
            .collect();
        assert_eq!(
            orders,
            (1..=orders.len() as u64).collect::<Vec<_>>(),
            "{what}"
        );
        // In propertyOrder, the fields follow the node description.
        let mut shown: Vec<usize> = op
            .states
            .iter()
            .flat_map(|s| noderun_definitions::display::visible_properties(properties, s))
            .collect();
        shown.sort_unstable();
        shown.dedup();
        let mut in_description: Vec<&str> = vec![];
        for i in shown {
            let p = &properties[i];
            if p.kind != PropertyType::Notice && !in_description.contains(&p.name.as_str()) {
                in_description.push(&p.name);
            }
        }
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, in_description, "{what}");
        for (name, fragment) in &fields {
            let secret = described(properties, name).iter().any(|p| p.is_secret());
            if secret {
                secrets += 1;
                assert_eq!(fragment["writeOnly"], true, "{what} {name}");
                assert_eq!(fragment["format"], "password", "{what} {name}");
                assert!(fragment.get("default").is_none(), "{what} {name}");
            }
            if let Some(choices) = fragment.get("oneOf") {
                for c in choices.as_array().unwrap() {
                    assert!(
                        c["const"] != Value::Null && c["title"].is_string(),
                        "{what} {name}: {c}"
                    );
                }
            }
            // Inside collections: no defaults (n8n sets only the fields a user added).
            for sub in fragment["properties"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
            {
                assert!(sub.get("default").is_none(), "{what} {name}: {sub}");
            }
        }
    }
    assert!(secrets >= 5, "only {secrets} secret fields");
}

#[test]
fn a_field_is_declared_only_in_the_states_n8n_shows_it_in() {
    let registry = Registry::embedded().unwrap();
    let node = registry.node("directus").unwrap();
    let properties = &node.description.properties;
    let mut checked = 0;
    for op in node.operations() {
        let validator = jsonschema::draft202012::new(&op.schema).unwrap();
        for state in &op.states {
            let shown: Vec<&Property> =
                noderun_definitions::display::visible_properties(properties, state)
                    .into_iter()
                    .map(|i| &properties[i])
                    .filter(|p| p.kind != PropertyType::Notice)
                    .collect();
            // n8n's values (defaults filled) for the shown fields; a switch that another one
            // hides keeps its value in the state but is not a parameter there.
            let values: Map<String, Value> = shown
                .iter()
                .map(|p| {
                    let value = state
                        .get(&p.name)
                        .cloned()
                        .unwrap_or_else(|| sample(p, &op.schema));
                    (p.name.clone(), value)
                })
                .collect();
            for p in &shown {
                // ... are valid, and without a required one they are not.
                assert!(
                    validator.is_valid(&Value::Object(values.clone())),
                    "{} {} {state:?}: {values:?}",
                    op.resource,
                    op.operation
                );
                if p.required {
                    let mut without = values.clone();
                    without.remove(&p.name);
                    assert!(
                        !validator.is_valid(&Value::Object(without)),
                        "{} {} needs {}",
                        op.resource,
                        op.operation,
                        p.name
                    );
                }
                checked += 1;
            }
            // A field of another state is refused (unevaluatedProperties).
            for other in &op.states {
                for i in noderun_definitions::display::visible_properties(properties, other) {
                    let q = &properties[i];
                    if shown.iter().any(|p| p.name == q.name) {
                        continue;
                    }
                    let mut with_other = values.clone();
                    with_other.insert(q.name.clone(), sample(q, &op.schema));
                    assert!(
                        !validator.is_valid(&Value::Object(with_other)),
                        "{} {} {state:?} with {}",
                        op.resource,
                        op.operation,
                        q.name
                    );
                }
            }
        }
    }
    assert!(checked > 150, "only {checked} checked");
}

/// A valid value of a property: its default, or a sample when the default is not one (JSON
/// text fitting the field's schema: an array, or an object with a key it allows).
fn sample(p: &Property, schema: &Value) -> Value {
    match p.kind {
        PropertyType::String if p.default == "" && p.required => json!("x"),
        PropertyType::Json => {
            let field = fragments(schema)
                .into_iter()
                .find(|(name, _)| name == &p.name)
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            if !field["type"].to_string().contains("object") {
                return json!("[1]");
            }
            let key = field
                .pointer("/propertyNames/enum/0")
                .and_then(Value::as_str)
                .unwrap_or("a");
            json!(format!("{{\"{key}\": 1}}"))
        }
        // A collection holds its required fields (the others are optional).
        PropertyType::Collection if p.sub_properties().any(|s| s.required) => {
            let field = fragments(schema)
                .into_iter()
                .find(|(name, _)| name == &p.name)
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            let subs: Map<String, Value> = p
                .sub_properties()
                .filter(|s| s.required)
                .map(|s| (s.name.clone(), sample(s, &field)))
                .collect();
            Value::Object(subs)
        }
        PropertyType::Options if p.choices().all(|c| c.value != p.default) => {
            p.choices().next().unwrap().value.clone()
        }
        _ => p.default.clone(),
    }
}

#[test]
fn the_json_text_pattern_is_enforced_by_a_2020_12_validator() {
    let schema = json!({"type": "string", "pattern": JSON_OBJECT_TEXT_PATTERN});
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let objects = [
        "{}",
        " {\"a\": 1} ",
        "{\"a\":[1,2.5e-3,-0,true,false,null,{\"b\":\"x\\\"y\\u00e9\\n\"}],\"c\":{}}",
        "{\n  \"name\": \"Ada\",\n  \"tags\": [],\n  \"n\": [[1], [2]]\n}",
    ];
    for text in objects {
        assert!(
            serde_json::from_str::<Map<String, Value>>(text).is_ok(),
            "{text}"
        );
        assert!(validator.is_valid(&json!(text)), "refused {text}");
    }
    let not_objects = [
        "",
        "not json",
        "[1]",
        "42",
        "\"{}\"",
        "{bad}",
        "{'a': 1}",
        "{a: 1}",
        "{\"a\": 1,}",
        "{\"a\" 1}",
        "{\"a\": }",
        "{\"a\": 01}",
        "{\"a\": tru}",
        "{\"a\": \"\\x\"}",
        "{\"a\": 1} x",
        "{\"a\": [1,]}",
        "{\"a\"}",
        "{\"a\": 1",
        "{\"a\": \"tab\there\"}",
    ];
    for text in not_objects {
        assert!(
            serde_json::from_str::<Map<String, Value>>(text).is_err(),
            "{text}"
        );
        assert!(!validator.is_valid(&json!(text)), "accepted {text:?}");
    }
    // What a regular expression cannot see: brackets that do not pair up. noderun's parser
    // refuses these when the parameter is resolved (docs/forms.md).
    for text in ["{\"a\": [1}", "{\"a\": {\"b\": 1}"] {
        assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        assert!(validator.is_valid(&json!(text)), "{text}");
    }
}
