//! Regression tests from fuzzing (`fuzz/`, targets `item_parsing` and `parameter_validation`;
//! see docs/fuzzing.md).
//!
//! Reading items and resolving + validating parameters must never panic, whatever the input:
//! bad input is an error value. The deeply nested expression was a crash found by fuzzing (a
//! stack overflow); the expression parser now limits nesting.

use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_executor::{Invocation, Item, Runner, Settings};
use serde_json::{Map, Value, json};

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// What the `parameter_validation` target does with one input: a runner for the Directus node
/// (no network is used) and the item's parameters resolved and validated.
fn plan_and_resolve(parameters: Value, item: Value) -> Option<Result<Map<String, Value>, String>> {
    let registry = Arc::new(Registry::embedded().expect("the embedded definitions load"));
    let runner = Runner::new(
        registry,
        Invocation {
            node: "directus".into(),
            parameters: object(parameters),
            credentials: object(json!({"url": "http://127.0.0.1:9"})),
            settings: Settings::default(),
        },
    )
    .ok()?;
    let item = Item::from_input(item).expect("an item");
    Some(
        runner
            .plan()
            .for_item(0, &item)
            .map(|p| p.parameters().clone())
            .map_err(|f| f.message().to_string()),
    )
}

#[test]
fn items_from_odd_json_do_not_panic_and_round_trip() {
    let deep = (0..126).fold(json!(1), |v, _| json!({ "a": v }));
    for value in [
        json!({}),
        json!({"json": {}}),
        json!({"json": null}),
        json!({"json": [1]}),
        json!({"json": {"a": 1}, "binary": "not an object", "pairedItem": {"item": 9}}),
        json!({"json": {"a": 1}, "binary": {"data": {"mimeType": "text/plain"}}}),
        json!({"": {"json": 1}, "error": {"message": 1}}),
        json!({"a": deep}),
        json!([{"json": {}}]),
        json!("text"),
        json!(null),
    ] {
        let was_object = value.is_object();
        match Item::from_input(value) {
            Ok(item) => {
                assert!(was_object);
                let again = Item::from_input(serde_json::to_value(&item).unwrap()).unwrap();
                // all that is written reads back the same (an input's `pairedItem`, its
                // lineage, is read and never written)
                assert_eq!(
                    again,
                    Item {
                        lineage: None,
                        ..item
                    }
                );
            }
            Err(message) => assert!(!message.is_empty()),
        }
    }
}

#[test]
fn odd_parameters_are_errors_not_panics() {
    let item = json!({"token": "s3cr3t-token", "body": "{\"email\": \"a@b.c\"}", "n": [1, null]});
    for parameters in [
        json!({"resource": "auth", "operation": "login", "email": "={{ $json.token }}", "password": "p"}),
        json!({"resource": "auth", "operation": "login", "email": 42, "password": null}),
        json!({"resource": "auth", "operation": "login", "email": ["a"], "password": {"x": 1}}),
        json!({"resource": "auth", "operation": "logout", "jsonParameters": true, "bodyParametersJson": "={{ $json.body }}"}),
        json!({"resource": "auth", "operation": "logout", "jsonParameters": true, "bodyParametersJson": "[1, 2]"}),
        json!({"resource": "auth", "operation": "logout", "jsonParameters": true, "bodyParametersJson": "   "}),
        json!({"resource": "auth", "operation": "logout", "jsonParameters": "={{ $json.n }}"}),
        json!({"resource": "auth", "operation": "refreshToken", "refreshToken": "={{ $json.missing.deeper }}"}),
        json!({"resource": "auth", "operation": "refreshToken", "refreshToken": "={{ $json.n[1] }}", "additionalFields": {"mode": 7}}),
        json!({"resource": "auth", "operation": "refreshToken", "additionalFields": "not a collection"}),
        json!({"resource": "auth", "operation": "startOauthFlow", "provider": "={{ JSON.parse('{') }}"}),
        json!({"resource": "auth", "operation": "list", "splitIntoItems": "={{ $json }}"}),
        json!({"resource": "auth", "operation": "=login"}),
        json!({"resource": "=auth", "operation": "login"}),
        json!({"resource": null, "operation": null}),
        json!({"resource": "auth", "operation": "login", "email": "={{ '\u{0}' + $itemIndex }}", "password": "=\u{0}{{ 1 }}"}),
    ] {
        let _ = plan_and_resolve(parameters, item.clone());
    }
}

#[test]

fn deeply_nested_parameter_expression() {
    let deep = format!(
        "={{{{ {}$json.token{} }}}}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let outcome = plan_and_resolve(
        json!({"resource": "auth", "operation": "login", "email": deep, "password": "p"}),
        json!({"token": "t"}),
    );
    // A setup error (the expression does not parse) is the expected outcome after the fix.
    assert!(outcome.is_none() || outcome.is_some_and(|r| r.is_ok()));
}
