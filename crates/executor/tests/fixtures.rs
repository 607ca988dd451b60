//! The parameter fixtures in fixtures/<node>/<resource>/<operation>.json: every valid set
//! resolves and validates, every invalid one fails with exactly the listed messages. Every
//! operation of every node has a fixture file.
//!
//! Recording: `NODERUN_BLESS=1 cargo test -p noderun-executor --test fixtures` writes the
//! messages the invalid sets get, and records a fixture for an operation that has none: per
//! switch state, the required parameters with example values ([`Property::example`]), once by
//! expression from the input item; invalid, each required parameter missing, empty, and taken
//! from an item that lacks it. Review the recorded file, then add the cases that matter.

use std::path::Path;
use std::sync::Arc;

use noderun_definitions::display::visible_properties;
use noderun_definitions::model::{Property, PropertyType};
use noderun_definitions::{Node, Operation, Registry};
use noderun_executor::{Invocation, Item, Runner, Settings};
use serde_json::{Map, Value, json};

/// The messages a parameter set gets: a setup error (the whole run) or the item's failure.
fn outcome(
    registry: &Arc<Registry>,
    node: &str,
    resource: &str,
    operation: &str,
    case: &Value,
) -> Result<(), Vec<String>> {
    let mut parameters: Map<String, Value> =
        case["parameters"].as_object().cloned().unwrap_or_default();
    parameters.insert("resource".into(), json!(resource));
    parameters.insert("operation".into(), json!(operation));
    let invocation = Invocation {
        node: node.into(),
        parameters,
        credentials: json!({"url": "http://127.0.0.1:9"})
            .as_object()
            .unwrap()
            .clone(),
        settings: Settings::default(),
    };
    let runner = Runner::new(registry.clone(), invocation).map_err(|e| vec![e.to_string()])?;
    let item = Item::from_input(case.get("item").cloned().unwrap_or_else(|| json!({}))).unwrap();
    runner
        .plan()
        .for_item(0, &item)
        .map(|_| ())
        .map_err(|f| vec![f.message().to_string()])
}

#[test]
fn fixtures_give_the_expected_results_and_messages() {
    let registry = Arc::new(Registry::embedded().unwrap());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let bless = std::env::var_os("NODERUN_BLESS").is_some();
    let mut checked = 0;
    for node in registry.nodes() {
        for op in node.operations() {
            let path = root
                .join(&node.description.name)
                .join(&op.resource)
                .join(format!("{}.json", op.operation));
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(_) if bless => {
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    serde_json::to_string(&recorded(node, op)).unwrap()
                }
                Err(_) => panic!(
                    "no fixture file {}: record one with `NODERUN_BLESS=1 cargo test -p noderun-executor --test fixtures`",
                    path.display()
                ),
            };
            let mut fixture: Value = serde_json::from_str(&text).unwrap();
            let check = |case: &Value| {
                outcome(
                    &registry,
                    &node.description.name,
                    &op.resource,
                    &op.operation,
                    case,
                )
            };
            for case in fixture["valid"].as_array().unwrap() {
                let result = check(case);
                assert_eq!(result, Ok(()), "{}: valid case {case}", path.display());
                checked += 1;
            }
            for case in fixture["invalid"].as_array_mut().unwrap() {
                let result = check(case);
                let messages = result.expect_err(&format!(
                    "{}: invalid case accepted: {case}",
                    path.display()
                ));
                if bless {
                    case["errors"] = json!(messages);
                } else {
                    assert_eq!(
                        json!(messages),
                        case["errors"],
                        "{}: {}",
                        path.display(),
                        case["parameters"]
                    );
                }
                checked += 1;
            }
            if bless {
                std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&fixture).unwrap() + "\n",
                )
                .unwrap();
            }
        }
    }
    assert!(checked >= 40, "only {checked} fixture cases");
}

/// A fixture for an operation that has none: per switch state the required parameters with
/// example values, the first state once more with its first required text from the input item;
/// invalid: each required parameter missing, empty (text) and from an item that lacks it. The
/// messages of the invalid sets are recorded by the caller.
fn recorded(node: &Node, op: &Operation) -> Value {
    let properties = &node.description.properties;
    let required = |state: &Map<String, Value>| -> Vec<&Property> {
        visible_properties(properties, state)
            .into_iter()
            .map(|i| &properties[i])
            .filter(|p| p.required && !["resource", "operation"].contains(&p.name.as_str()))
            .collect()
    };
    let mut valid = vec![];
    let mut invalid = vec![];
    for (n, state) in op.states.iter().enumerate() {
        let mut parameters: Map<String, Value> = state
            .iter()
            .filter(|(k, _)| !["resource", "operation"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let required = required(state);
        for p in &required {
            parameters.insert(p.name.clone(), p.example());
        }
        valid.push(json!({"parameters": parameters}));
        if n > 0 {
            continue;
        }
        if let Some(p) = required.iter().find(|p| p.kind == PropertyType::String) {
            let mut by_expression = parameters.clone();
            by_expression.insert(
                p.name.clone(),
                json!(format!("={{{{ $json.{} }}}}", p.name)),
            );
            valid.push(json!({"parameters": by_expression, "item": {p.name.clone(): p.example()}}));
        }
        for p in &required {
            let mut without = parameters.clone();
            without.remove(&p.name);
            invalid.push(json!({"parameters": without, "errors": []}));
            if p.kind == PropertyType::String {
                let mut empty = parameters.clone();
                empty.insert(p.name.clone(), json!(""));
                invalid.push(json!({"parameters": empty, "errors": []}));
                let mut missing = parameters.clone();
                missing.insert(p.name.clone(), json!("={{ $json.missing }}"));
                invalid.push(json!({"parameters": missing, "item": {}, "errors": []}));
            }
        }
    }
    json!({
        "node": node.description.name,
        "resource": op.resource,
        "operation": op.operation,
        "description": "Node parameters as in an n8n workflow (with an optional input item for expressions); valid sets must resolve and validate, invalid ones must fail with exactly these messages.",
        "valid": valid,
        "invalid": invalid,
    })
}
