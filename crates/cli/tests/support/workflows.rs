//! Workflows as n8n exports them, for the `--workflow` tests (standalone/workflow_files.rs and
//! directus/workflow_files.rs).

use serde_json::{Value, json};

/// A node as n8n exports it.
pub fn node(name: &str, node_type: &str, parameters: Value) -> Value {
    json!({"id": name, "name": name, "type": node_type, "typeVersion": 1, "position": [0, 0], "parameters": parameters})
}

/// Trigger → Code → Edit Fields → `last`, as n8n exports it.
pub fn workflow(last: Vec<Value>) -> Value {
    let mut nodes = vec![
        node("Start", "n8n-nodes-base.manualTrigger", json!({})),
        node(
            "Code",
            "n8n-nodes-base.code",
            json!({"jsCode": "return []"}),
        ),
        node("Edit Fields", "n8n-nodes-base.set", json!({})),
    ];
    let mut connections = json!({
        "Start": {"main": [[{"node": "Code", "type": "main", "index": 0}]]},
        "Code": {"main": [[{"node": "Edit Fields", "type": "main", "index": 0}]]},
    });
    let mut previous = "Edit Fields".to_string();
    for n in last {
        let name = n["name"].as_str().unwrap().to_string();
        connections[&previous] = json!({"main": [[{"node": name, "type": "main", "index": 0}]]});
        previous = name;
        nodes.push(n);
    }
    json!({"name": "Test", "id": "wf-test", "nodes": nodes, "connections": connections, "settings": {"timezone": "Europe/Berlin"}})
}

/// Writes `value` to `dir/name`; the path.
pub fn write(dir: &std::path::Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

/// The Code node's items and the Edit Fields items made from them (the input of the next node).
pub fn items() -> (Vec<Value>, Vec<Value>) {
    let code = vec![
        json!({"json": {"id": 11, "slug": "a"}, "pairedItem": {"item": 0}}),
        json!({"json": {"id": 12, "slug": "b"}, "pairedItem": {"item": 0}}),
    ];
    let edit = vec![
        json!({"json": {"title": "A"}, "pairedItem": {"item": 0}}),
        json!({"json": {"title": "B"}, "pairedItem": {"item": 1}}),
    ];
    (code, edit)
}
