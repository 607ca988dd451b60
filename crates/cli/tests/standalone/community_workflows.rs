//! Workflows saved with the community Directus node run unchanged: every case of
//! `fixtures/community/directus.json` is a workflow node exactly as `n8n-nodes-directus` /
//! `@flagbit/n8n-nodes-directus` saves it (community parameter names and value shapes, defaults
//! left out, its node type and credential reference), run through
//! `noderun run --workflow-node` against a local recording server. The request Directus gets
//! must be the one the node's user meant: method, path, body, and the query as Directus reads
//! it (bracket notation and JSON text decoded), with the credential's token.
//!
//! Coverage is checked too: every operation the community node and noderun share, in every
//! state of its toggles that the community node can be in, has a case.
//!
//! Recording: `NODERUN_BLESS=1 cargo test -p noderun --test standalone community_workflows` adds a case for
//! every state that has none (the state's toggles and the required parameters with example
//! values, under the community node's type) and writes into every case the request noderun
//! sent (and its output, for the cases that list one). Review the diff: a case says what the
//! node's user meant.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use noderun_definitions::{Registry, effective_parameters};
use serde_json::{Map, Value, json};
use wiremock::matchers::{any, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use support::noderun;
use support::recording::{recorded, without_key_lookup};

/// What the recording server answers to `GET /extensions`: Directus 12's list of every type.
fn extensions() -> Value {
    json!([
        {"id": "e1", "bundle": null, "schema": {"type": "interface", "name": "a"}, "meta": {"enabled": true}},
        {"id": "e2", "bundle": null, "schema": {"type": "display", "name": "b"}, "meta": {"enabled": true}},
        {"id": "e3", "bundle": null, "schema": {"type": "interface", "name": "c"}, "meta": {"enabled": true}}
    ])
}

fn fixture_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/community/directus.json")
}

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_path()).expect("the fixture"))
        .expect("JSON")
}

fn blessing() -> bool {
    std::env::var_os("NODERUN_BLESS").is_some()
}

fn expected(case: &Value) -> Value {
    let r = &case["request"];
    let token = case["credentials"]["token"]
        .as_str()
        .unwrap_or("static-token");
    json!({
        "method": r["method"],
        "path": r["path"],
        "query": r.get("query").cloned().unwrap_or_else(|| json!({})),
        "body": r.get("body").cloned().unwrap_or(Value::Null),
        "authorization": format!("Bearer {token}"),
    })
}

#[test]
fn community_workflow_nodes_send_the_requests_their_users_meant() {
    let mut fixture = fixture();
    if blessing() {
        let (_, missing) = coverage(&fixture);
        let cases = fixture["cases"].as_array_mut().expect("cases");
        cases.extend(
            missing
                .iter()
                .map(|(resource, operation, state)| new_case(resource, operation, state)),
        );
    }
    let cases = fixture["cases"].as_array().expect("cases").clone();
    let mut recorded_cases = cases.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(path_regex("/extensions$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": extensions()})))
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": 1}})))
            .mount(&server)
            .await;
        server
    });
    let dir = std::env::temp_dir().join(format!("noderun-community-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = vec![];
    for (i, case) in cases.iter().enumerate() {
        let title = case["title"].as_str().unwrap();
        let prefix = format!("/case-{i}");
        let node_file = dir.join(format!("node-{i}.json"));
        std::fs::write(&node_file, case["node"].to_string()).unwrap();
        let mut credentials = case
            .get("credentials")
            .cloned()
            .unwrap_or_else(|| json!({"accessToken": "static-token"}));
        credentials["url"] = json!(format!("{}{prefix}", server.uri()));
        let credentials_file = dir.join(format!("credentials-{i}.json"));
        std::fs::write(&credentials_file, credentials.to_string()).unwrap();
        let item = case.get("item").cloned().unwrap_or_else(|| json!({}));
        let out = noderun(
            &[
                "run".as_ref(),
                "--workflow-node".as_ref(),
                node_file.as_os_str(),
                "--credentials".as_ref(),
                credentials_file.as_os_str(),
                "-q".as_ref(),
            ],
            format!("{item}\n"),
        );
        let requests: Vec<Value> = without_key_lookup(
            runtime
                .block_on(server.received_requests())
                .unwrap_or_default()
                .iter()
                .filter(|r| r.url.path().starts_with(&format!("{prefix}/")))
                .map(|r| recorded(r, &prefix))
                .collect(),
        );
        let want = expected(case);
        let outputs: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("an output item")["json"].clone())
            .collect();
        if blessing() && out.code == 0 && requests.len() == 1 {
            let mut request = requests[0].clone();
            let request = request.as_object_mut().unwrap();
            request.remove("authorization");
            // An empty query or body is written only where the case already says so.
            let said = |key: &str| case["request"].get(key).is_some();
            if request["query"] == json!({}) && !said("query") {
                request.remove("query");
            }
            if request["body"].is_null() && !said("body") {
                request.remove("body");
            }
            recorded_cases[i]["request"] = Value::Object(request.clone());
            if case.get("output").is_some() {
                recorded_cases[i]["output"] = Value::Array(outputs.clone());
            }
            continue;
        }
        if let Some(output) = case.get("output")
            && output != &Value::Array(outputs.clone())
        {
            failures.push(format!(
                "case {i} '{title}': output {}\n  expected: {output}",
                Value::Array(outputs)
            ));
        }
        if out.code != 0 || requests != [want.clone()] {
            failures.push(format!(
                "case {i} '{title}': exit {} {}\n  sent:     {}\n  expected: {want}",
                out.code,
                out.stderr.trim(),
                Value::Array(requests)
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    if blessing() {
        fixture["cases"] = Value::Array(recorded_cases);
        std::fs::write(
            fixture_path(),
            serde_json::to_string_pretty(&fixture).unwrap() + "\n",
        )
        .unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} of {} community workflow nodes did not send what their users meant:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every operation both nodes have, in every toggle state the community node can be in, has a
/// case; every parameter name the community node stores for it is one noderun accepts. Prints
/// the count of community operations per resource that run unchanged. (When recording, the
/// other test adds the missing cases.)
#[test]
fn every_shared_operation_and_toggle_state_has_a_case() {
    if blessing() {
        return;
    }
    let (mut problems, missing) = coverage(&fixture());
    problems.extend(missing.iter().map(|(resource, operation, state)| {
        format!(
            "no case for {resource} {operation} in state {} (record one: NODERUN_BLESS=1 cargo test -p noderun --test standalone community_workflows)",
            Value::Object(state.clone())
        )
    }));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A case for a state that has none: the state's toggles and the required parameters with
/// example values, saved as the community node saves a node; its request is recorded.
fn new_case(resource: &str, operation: &str, state: &Map<String, Value>) -> Value {
    let registry = Registry::embedded().unwrap();
    let node = registry.node("directus").unwrap();
    let properties = &node.description.properties;
    let mut parameters = state.clone();
    let defaults = effective_parameters(properties, state);
    for i in noderun_definitions::display::visible_properties(properties, state) {
        let p = &properties[i];
        if p.required && !parameters.contains_key(&p.name) {
            parameters.insert(p.name.clone(), p.example());
        }
    }
    parameters.retain(|k, v| {
        ["resource", "operation"].contains(&k.as_str())
            || defaults.get(k) != Some(v)
            || !state.contains_key(k)
    });
    json!({
        "title": format!("{resource} {operation} in state {} (recorded)", Value::Object(state.clone())),
        "node": {
            "parameters": parameters,
            "id": "00000000-0000-4000-8000-000000000000",
            "name": "Directus",
            "type": "n8n-nodes-directus.directus",
            "typeVersion": 1,
            "position": [460, 300],
            "credentials": {"directusApi": {"id": "1", "name": "Directus account"}}
        }
    })
}

/// Parameter names the community node stores that noderun does not accept, and the (resource,
/// operation, state) that have no case.
#[allow(clippy::type_complexity)]
fn coverage(fixture: &Value) -> (Vec<String>, Vec<(String, String, Map<String, Value>)>) {
    let registry = Registry::embedded().unwrap();
    let node = registry.node("directus").unwrap();
    let properties = &node.description.properties;
    // The cases' parameters as noderun resolves them (aliases applied, defaults filled).
    let resolved: Vec<Map<String, Value>> = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut p = c["node"]["parameters"].as_object().unwrap().clone();
            let defaults = effective_parameters(properties, &p);
            for key in ["resource", "operation"] {
                p.insert(key.into(), defaults[key].clone());
            }
            node.resolve_aliases(&mut p);
            effective_parameters(properties, &p)
        })
        .collect();
    let mut problems = vec![];
    let mut uncovered = vec![];
    let mut table: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for (resource, operations) in fixture["community"].as_object().unwrap() {
        for (operation, names) in operations.as_object().unwrap() {
            let entry = table.entry(resource.clone()).or_default();
            entry.0 += 1;
            let parameters: Map<String, Value> = [
                ("resource".to_string(), json!(resource)),
                ("operation".to_string(), json!(operation)),
            ]
            .into_iter()
            .collect();
            let Ok(op) = node.operation(resource, operation) else {
                continue;
            };
            let community: Vec<&str> = names
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            // Declared at the top, or in the `then` of the states that show it.
            let declared = |name: &str| {
                op.schema["properties"].get(name).is_some()
                    || op.schema["allOf"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|b| b["then"]["properties"].get(name).is_some())
            };
            for name in &community {
                if !declared(name) {
                    problems.push(format!(
                        "{resource} {operation}: parameter '{name}' is not accepted"
                    ));
                }
            }
            let defaults = effective_parameters(properties, &parameters);
            for state in &op.states {
                // A toggle the community node lacks stays at its default in its workflows.
                let reachable = state.iter().all(|(k, v)| {
                    community.contains(&k.as_str()) || defaults.get(k).is_none_or(|d| d == v)
                });
                // A toggle hidden in a case's state (absent once resolved) matches any value.
                let covered = resolved
                    .iter()
                    .any(|p| state.iter().all(|(k, v)| p.get(k).is_none_or(|x| x == v)));
                if reachable && !covered {
                    uncovered.push((resource.clone(), operation.clone(), state.clone()));
                }
            }
            entry.1.push(operation.clone());
        }
    }
    let mut shared = 0;
    let mut total = 0;
    for (resource, (count, ok)) in &table {
        eprintln!(
            "{resource}: {} of {count} community operations run unchanged ({})",
            ok.len(),
            ok.join(", ")
        );
        shared += ok.len();
        total += count;
    }
    eprintln!("all: {shared} of {total}");
    assert!(shared >= 70, "only {shared} shared operations");
    (problems, uncovered)
}
