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

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use noderun_definitions::{Registry, effective_parameters};
use serde_json::{Map, Value, json};
use wiremock::matchers::{any, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use support::noderun;

/// What the recording server answers to `GET /extensions`: Directus 12's list of every type.
fn extensions() -> Value {
    json!([
        {"id": "e1", "bundle": null, "schema": {"type": "interface", "name": "a"}, "meta": {"enabled": true}},
        {"id": "e2", "bundle": null, "schema": {"type": "display", "name": "b"}, "meta": {"enabled": true}},
        {"id": "e3", "bundle": null, "schema": {"type": "interface", "name": "c"}, "meta": {"enabled": true}}
    ])
}

fn fixture() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/community/directus.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).expect("JSON")
}

/// Query parameters as Directus reads them: `a[b][0]=x` nested (indices make lists), and
/// JSON text in `filter`, `deep`, `alias` and `aggregate` parsed.
fn query_as_directus_reads_it(request: &Request) -> Value {
    let mut root = Value::Object(Map::new());
    for (key, value) in request.url.query_pairs() {
        let mut parts = vec![key.split('[').next().unwrap_or_default().to_string()];
        parts.extend(
            key.split('[')
                .skip(1)
                .map(|p| p.trim_end_matches(']').to_string()),
        );
        let mut slot = &mut root;
        for part in &parts {
            slot = slot
                .as_object_mut()
                .expect("no key is both a value and a group")
                .entry(part.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        *slot = Value::String(value.into_owned());
    }
    fn finish(v: Value, key: &str) -> Value {
        match v {
            Value::Object(m) if !m.is_empty() && m.keys().all(|k| k.parse::<usize>().is_ok()) => {
                let mut entries: Vec<(usize, Value)> = m
                    .into_iter()
                    .map(|(k, v)| (k.parse().unwrap(), finish(v, "")))
                    .collect();
                entries.sort_by_key(|e| e.0);
                Value::Array(entries.into_iter().map(|e| e.1).collect())
            }
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        let v = finish(v, &k);
                        (k, v)
                    })
                    .collect(),
            ),
            Value::String(s) if ["filter", "deep", "alias", "aggregate"].contains(&key) => {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
            other => other,
        }
    }
    let Value::Object(top) = root else {
        unreachable!()
    };
    Value::Object(
        top.into_iter()
            .map(|(k, v)| {
                let v = finish(v, &k);
                (k, v)
            })
            .collect(),
    )
}

fn recorded(request: &Request, prefix: &str) -> Value {
    let body: Value = if request.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&request.body).expect("a JSON body")
    };
    json!({
        "method": request.method.as_str(),
        "path": request.url.path().strip_prefix(prefix).unwrap_or(request.url.path()),
        "query": query_as_directus_reads_it(request),
        "body": body,
        "authorization": request.headers.get("authorization").and_then(|v| v.to_str().ok()),
    })
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
    let fixture = fixture();
    let cases = fixture["cases"].as_array().expect("cases");
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
        let requests: Vec<Value> = runtime
            .block_on(server.received_requests())
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path().starts_with(&format!("{prefix}/")))
            .map(|r| recorded(r, &prefix))
            .collect();
        let want = expected(case);
        let outputs: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("an output item")["json"].clone())
            .collect();
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
/// the count of community operations per resource that run unchanged.
#[test]
fn every_shared_operation_and_toggle_state_has_a_case() {
    let fixture = fixture();
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
    let mut missing = vec![];
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
            for name in &community {
                if op.schema["properties"].get(*name).is_none() {
                    missing.push(format!(
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
                    missing.push(format!(
                        "no case for {resource} {operation} in state {}",
                        Value::Object(state.clone())
                    ));
                }
            }
            entry.1.push(operation.clone());
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
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
}
