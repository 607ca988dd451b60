//! Our displayOptions/defaults resolution against n8n's own `NodeHelpers.getNodeParameters`
//! (n8n-workflow, pinned in tests/n8n/package.json; `scripts/test` installs it).

use std::io::Write;
use std::process::{Command, Stdio};

use noderun_definitions::{Registry, effective_parameters, model::PropertyType};
use serde_json::{Map, Value, json};

fn n8n_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/n8n");
    assert!(
        dir.join("node_modules/n8n-workflow").exists(),
        "n8n-workflow is not installed: run scripts/test (or `npm ci` in tests/n8n)"
    );
    dir
}

/// Parameter sets worth comparing for one operation state: as is, with every visible field set,
/// with collections filled and with keys n8n drops.
fn cases_for(
    properties: &[noderun_definitions::model::Property],
    state: &Map<String, Value>,
) -> Vec<Map<String, Value>> {
    let mut filled = state.clone();
    for p in properties {
        if filled.contains_key(&p.name) {
            continue;
        }
        let sample = match p.kind {
            PropertyType::String => json!(format!("{}-value", p.name)),
            PropertyType::Json => json!("{\"a\":1}"),
            PropertyType::Collection => {
                let sub: Map<String, Value> = p
                    .sub_properties()
                    .map(|s| {
                        (
                            s.name.clone(),
                            s.choices().last().map_or_else(
                                || json!(format!("{}-sub", s.name)),
                                |c| c.value.clone(),
                            ),
                        )
                    })
                    .collect();
                Value::Object(sub)
            }
            _ => continue,
        };
        filled.insert(p.name.clone(), sample);
    }
    let mut with_unknown = filled.clone();
    with_unknown.insert("notAParameter".into(), json!(1));
    let mut expression_switches = state.clone();
    for (k, v) in state {
        if v.is_boolean() {
            expression_switches.insert(k.clone(), json!(format!("={{{{ {v} }}}}")));
        }
    }
    let mut empty_collection = filled.clone();
    empty_collection.insert("additionalFields".into(), json!({}));
    vec![
        state.clone(),
        filled,
        with_unknown,
        expression_switches,
        empty_collection,
    ]
}

#[test]
fn resolution_matches_n8n_get_node_parameters_for_every_operation_and_toggle_state() {
    let registry = Registry::embedded().expect("embedded definitions load");
    let dir = n8n_dir();
    let mut compared = 0;
    for node in registry.nodes() {
        let description = serde_json::to_value(&node.description).unwrap();
        let mut cases = Vec::new();
        for op in node.operations() {
            for state in &op.states {
                cases.extend(cases_for(&node.description.properties, state));
            }
        }
        let mut child = Command::new("node")
            .arg("node-parameters.js")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let input = json!({"description": description, "cases": cases});
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "node-parameters.js failed");
        let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(theirs.len(), cases.len());
        for (case, expected) in cases.iter().zip(theirs) {
            let ours = Value::Object(effective_parameters(&node.description.properties, case));
            assert_eq!(
                ours,
                expected,
                "node {} parameters {}",
                node.description.name,
                Value::Object(case.clone())
            );
            compared += 1;
        }
    }
    assert!(compared >= 60, "only {compared} cases compared");
}
