//! The parameter fixtures in fixtures/<node>/<resource>/<operation>.json: every valid set
//! resolves and validates, every invalid one fails with exactly the listed messages. Every
//! operation of every node has a fixture file.

use std::path::Path;
use std::sync::Arc;

use noderun_definitions::Registry;
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
        .parameters_for(0, &item)
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
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("no fixture file {}", path.display()));
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
