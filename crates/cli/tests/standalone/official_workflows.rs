//! Workflows saved with the official Directus node (`@directus/n8n-nodes-directus`) run
//! unchanged. From the node's own description (`fixtures/official/description.json`, generated
//! from its source by `scripts/official-node-description`) the test builds a workflow node for
//! every operation and every state of its toggles, each shown parameter set to a sample value
//! of `fixtures/official/workflows.json` and the toggles at their default left out (as n8n saves
//! them), with the official credential's field names. Each runs through
//! `noderun run --workflow-node` against a recording server and must send the request its user
//! meant (method, path, query as Directus reads it, body, token), and every value set must
//! reach that request. The hand-written `cases` add defaults left out, expressions and other
//! value shapes.
//!
//! `NODERUN_BLESS=1` writes the requests sent into the fixture's `expected` (to review).

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use noderun_definitions::Registry;
use serde_json::{Map, Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use support::noderun;
use support::recording::{recorded, without_key_lookup};

const TOKEN: &str = "official-static-token";

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/official/{name}"))
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(name)).expect("the fixture");
    serde_json::from_str(&text).expect("JSON")
}

/// One workflow node to run, with what it must send.
struct Case {
    key: String,
    parameters: Map<String, Value>,
    node_type: String,
    item: Value,
    credentials: Value,
    expected: Option<Value>,
    /// For a case that must fail: its stderr (exit 1, no request sent).
    error: Option<String>,
    /// Whether every value set must show in the request (the generated cases: each sets one
    /// sample per parameter shown).
    reaches: bool,
}

/// Whether a property of the official description is shown for `values` (n8n's displayOptions:
/// every `show` key allows the value, no `hide` key matches).
fn shown(property: &Value, values: &Map<String, Value>) -> bool {
    let options = &property["displayOptions"];
    let allows = |rule: &Value, must: bool| {
        rule.as_object().is_none_or(|rule| {
            rule.iter().all(|(key, allowed)| {
                let contains = values
                    .get(key)
                    .is_some_and(|v| allowed.as_array().is_some_and(|a| a.contains(v)));
                contains == must || (!must && !values.contains_key(key))
            })
        })
    };
    let hidden = options["hide"].as_object().is_some_and(|hide| {
        hide.iter().any(|(key, blocked)| {
            values
                .get(key)
                .is_some_and(|v| blocked.as_array().is_some_and(|a| a.contains(v)))
        })
    });
    allows(&options["show"], true) && !hidden
}

/// The official node's operations and toggle states, each a workflow node with sample values.
fn generated(description: &Value, workflows: &Value) -> Result<Vec<Case>, String> {
    let properties = description["node"]["properties"].as_array().unwrap();
    let default_of = |name: &str, values: &Map<String, Value>| {
        properties
            .iter()
            .find(|p| p["name"] == name && shown(p, values))
            .map(|p| p["default"].clone())
            .unwrap_or(Value::Null)
    };
    let resource_property = properties.iter().find(|p| p["name"] == "resource").unwrap();
    let mut cases = vec![];
    for resource in resource_property["options"].as_array().unwrap() {
        let resource = resource["value"].as_str().unwrap();
        let base: Map<String, Value> = [("resource".to_string(), json!(resource))]
            .into_iter()
            .collect();
        let operation_property = properties
            .iter()
            .find(|p| p["name"] == "operation" && shown(p, &base))
            .unwrap();
        for operation in operation_property["options"].as_array().unwrap() {
            let operation = operation["value"].as_str().unwrap();
            let mut values = base.clone();
            values.insert("operation".into(), json!(operation));
            values.insert(
                "collection".into(),
                workflows["samples"]["collection"].clone(),
            );
            // The toggles (booleans) shown, in every combination.
            let toggles: Vec<&str> = properties
                .iter()
                .filter(|p| p["type"] == "boolean" && shown(p, &values))
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            for bits in 0..(1u32 << toggles.len()) {
                let mut state = values.clone();
                let mut key = format!("{resource}.{operation}");
                for (i, t) in toggles.iter().enumerate() {
                    let on = bits & (1 << i) != 0;
                    state.insert(t.to_string(), json!(on));
                    key.push_str(&format!(" {t}={on}"));
                }
                let mut parameters = Map::new();
                for name in ["resource", "operation"] {
                    if state[name] != default_of(name, &state) {
                        parameters.insert(name.into(), state[name].clone());
                    }
                }
                for p in properties {
                    let name = p["name"].as_str().unwrap();
                    if ["resource", "operation"].contains(&name)
                        || p["type"] == "notice"
                        || !shown(p, &state)
                    {
                        continue;
                    }
                    if toggles.contains(&name) {
                        if state[name] != p["default"] {
                            parameters.insert(name.into(), state[name].clone());
                        }
                        continue;
                    }
                    let sample = workflows["samples"]
                        .get(name)
                        .ok_or(format!("no sample for the parameter '{name}' ({key})"))?;
                    parameters.insert(name.into(), sample.clone());
                }
                let item_key = format!("{resource}.{operation}");
                cases.push(Case {
                    expected: workflows["expected"].get(&key).cloned(),
                    key,
                    parameters,
                    node_type: description["types"][0].as_str().unwrap().into(),
                    item: workflows["items"]
                        .get(&item_key)
                        .cloned()
                        .unwrap_or(json!({})),
                    credentials: json!({"token": TOKEN}),
                    error: None,
                    reaches: true,
                });
            }
        }
    }
    Ok(cases)
}

/// The hand-written cases.
fn written(description: &Value, workflows: &Value) -> Vec<Case> {
    workflows["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            key: c["title"].as_str().unwrap().into(),
            parameters: c["parameters"].as_object().unwrap().clone(),
            node_type: c
                .get("type")
                .or(description["types"].get(0))
                .and_then(Value::as_str)
                .unwrap()
                .into(),
            item: c.get("item").cloned().unwrap_or(json!({})),
            credentials: c
                .get("credentials")
                .cloned()
                .unwrap_or(json!({"token": TOKEN})),
            expected: c.get("request").cloned(),
            error: c.get("error").and_then(Value::as_str).map(String::from),
            reaches: false,
        })
        .collect()
}

/// The scalar values inside a parameter value, as text (what must show in the request).
fn leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(parsed @ (Value::Object(_) | Value::Array(_))) => leaves(&parsed, out),
            _ => out.push(s.clone()),
        },
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| leaves(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Runs each case against one recording server (four at a time: each is a process); the
/// requests each sent, or why it failed.
fn run(cases: &[Case]) -> Vec<Result<Vec<Value>, String>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // The server answers from a thread of its own.
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": 1}})))
            .mount(&server)
            .await;
        server
    });
    let dir = std::env::temp_dir().join(format!("noderun-official-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run_case = |i: usize, case: &Case| {
        let node = json!({
            "parameters": case.parameters,
            "id": format!("{i:08}-0000-4000-8000-000000000000"),
            "name": "Directus",
            "type": case.node_type,
            "typeVersion": 1,
            "position": [460, 300],
            "credentials": {"directusApi": {"id": "1", "name": "Directus account"}}
        });
        let node_file = dir.join(format!("node-{i}.json"));
        std::fs::write(&node_file, node.to_string()).unwrap();
        let mut credentials = case.credentials.clone();
        credentials["url"] = json!(format!("{}/case-{i}", server.uri()));
        let credentials_file = dir.join(format!("credentials-{i}.json"));
        std::fs::write(&credentials_file, credentials.to_string()).unwrap();
        let out = noderun(
            &[
                "run".as_ref(),
                "--workflow-node".as_ref(),
                node_file.as_os_str(),
                "--credentials".as_ref(),
                credentials_file.as_os_str(),
                "-q".as_ref(),
            ],
            format!("{}\n", case.item),
        );
        (out.code == 0)
            .then_some(())
            .ok_or(format!("exit {}: {}", out.code, out.stderr.trim()))
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outcomes = std::sync::Mutex::new(vec![Ok(()); cases.len()]);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let outcome = run_case(i, case);
                    outcomes.lock().unwrap()[i] = outcome;
                }
            });
        }
    });
    std::fs::remove_dir_all(&dir).ok();
    let received = runtime
        .block_on(server.received_requests())
        .unwrap_or_default();
    outcomes
        .into_inner()
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, outcome)| {
            let prefix = format!("/case-{i}");
            outcome.map(|()| {
                without_key_lookup(
                    received
                        .iter()
                        .filter(|r| r.url.path().starts_with(&format!("{prefix}/")))
                        .map(|r| recorded(r, &prefix))
                        .collect(),
                )
            })
        })
        .collect()
}

/// The expected request as recorded: defaults filled in.
fn expected(request: &Value) -> Value {
    json!({
        "method": request["method"],
        "path": request["path"],
        "query": request.get("query").cloned().unwrap_or_else(|| json!({})),
        "body": request.get("body").cloned().unwrap_or(Value::Null),
        "authorization": format!("Bearer {TOKEN}"),
    })
}

/// A recorded request in the fixture's form (empty query and body left out).
fn as_fixture(request: &Value) -> Value {
    let mut r = json!({"method": request["method"], "path": request["path"]});
    if request["query"] != json!({}) {
        r["query"] = request["query"].clone();
    }
    if !request["body"].is_null() {
        r["body"] = request["body"].clone();
    }
    r
}

#[test]
fn official_workflow_nodes_send_the_requests_their_users_meant() {
    let description = fixture("description.json");
    let mut workflows = fixture("workflows.json");
    let generated = generated(&description, &workflows).unwrap_or_else(|e| panic!("{e}"));
    let written = written(&description, &workflows);
    let generated_count = generated.len();
    let cases: Vec<Case> = generated.into_iter().chain(written).collect();
    let results = run(&cases);

    if std::env::var_os("NODERUN_BLESS").is_some() {
        let mut blessed = Map::new();
        for (case, result) in cases[..generated_count].iter().zip(&results) {
            if let Ok([request]) = result.as_deref() {
                blessed.insert(case.key.clone(), as_fixture(request));
            }
        }
        workflows["expected"] = Value::Object(blessed);
        std::fs::write(
            fixture_path("workflows.json"),
            serde_json::to_string_pretty(&workflows).unwrap() + "\n",
        )
        .unwrap();
    }

    let mut failures = vec![];
    for (case, result) in cases.iter().zip(&results) {
        let key = &case.key;
        if let Some(error) = &case.error {
            let want = Err(format!("exit 1: {error}"));
            if result != &want {
                failures.push(format!(
                    "{key}:\n  got:      {result:?}\n  expected: {want:?}"
                ));
            }
            continue;
        }
        let requests = match result {
            Ok(requests) => requests,
            Err(e) => {
                failures.push(format!("{key}: {e}"));
                continue;
            }
        };
        let Some(want) = &case.expected else {
            failures.push(format!(
                "{key}: no expected request; sent {}",
                Value::Array(requests.clone())
            ));
            continue;
        };
        if requests != &[expected(want)] {
            failures.push(format!(
                "{key}:\n  sent:     {}\n  expected: {}",
                Value::Array(requests.clone()),
                expected(want)
            ));
            continue;
        }
        if !case.reaches {
            continue;
        }
        // Every value the user set reaches the request.
        let sent = requests[0].to_string();
        let mut values = vec![];
        for (name, value) in &case.parameters {
            if !["resource", "operation"].contains(&name.as_str()) && !value.is_boolean() {
                leaves(value, &mut values);
            }
        }
        for v in values.iter().filter(|v| !v.starts_with('=')) {
            // As it shows inside the request's JSON text.
            let quoted = serde_json::to_string(v).unwrap();
            if !sent.contains(&quoted[1..quoted.len() - 1]) {
                failures.push(format!(
                    "{key}: the value {v:?} does not reach the request {sent}"
                ));
            }
        }
    }
    let stale: Vec<&String> = workflows["expected"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !cases[..generated_count].iter().any(|c| &c.key == *k))
        .collect();
    assert!(
        stale.is_empty(),
        "expected requests of no operation: {stale:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} official workflow nodes did not send what their users meant:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} official workflow nodes ({generated_count} operation × toggle states, {} written) sent what their users meant",
        cases.len(),
        cases.len() - generated_count
    );
}

/// The compat data (node-definitions/directus/compat/official.json) has every operation of the
/// official node, and for each exactly the parameters the official node shows for it, with its
/// defaults.
#[test]
fn the_compat_data_matches_the_official_description() {
    let description = fixture("description.json");
    let registry = Registry::embedded().unwrap();
    let node_type = description["types"][0].as_str().unwrap();
    let compat = registry
        .node_type(node_type)
        .unwrap()
        .compat
        .expect("a compat file names the official node type");
    let properties = description["node"]["properties"].as_array().unwrap();
    let mut official: BTreeMap<(String, String), BTreeMap<String, Value>> = BTreeMap::new();
    let resource_property = properties.iter().find(|p| p["name"] == "resource").unwrap();
    assert_eq!(
        compat.file.default_resource, resource_property["default"],
        "default resource"
    );
    let mut problems = vec![];
    for resource in resource_property["options"].as_array().unwrap() {
        let resource = resource["value"].as_str().unwrap().to_string();
        let base: Map<String, Value> = [("resource".to_string(), json!(resource))]
            .into_iter()
            .collect();
        let operation_property = properties
            .iter()
            .find(|p| p["name"] == "operation" && shown(p, &base))
            .unwrap();
        let ours = &compat.file.resources[&resource];
        if ours.default_operation != operation_property["default"] {
            problems.push(format!("{resource}: default operation"));
        }
        for operation in operation_property["options"].as_array().unwrap() {
            let operation = operation["value"].as_str().unwrap().to_string();
            let mut values = base.clone();
            values.insert("operation".into(), json!(operation));
            values.insert("collection".into(), json!("c"));
            // Shown in some state of the toggles: also limit (returnAll false).
            let mut names = BTreeMap::new();
            for returns_all in [false, true] {
                values.insert("returnAll".into(), json!(returns_all));
                for p in properties.iter().filter(|p| {
                    !["resource", "operation"].contains(&p["name"].as_str().unwrap())
                        && p["type"] != "notice"
                        && shown(p, &values)
                }) {
                    names.insert(
                        p["name"].as_str().unwrap().to_string(),
                        p["default"].clone(),
                    );
                }
            }
            official.insert((resource.clone(), operation.clone()), names.clone());
            let Some(op) = ours.operations.get(&operation) else {
                problems.push(format!("{resource} {operation}: not in the compat data"));
                continue;
            };
            let mapped: BTreeMap<String, Value> = op
                .parameters
                .iter()
                .map(|(k, p)| (k.clone(), p.default.clone()))
                .collect();
            if mapped != names {
                problems.push(format!(
                    "{resource} {operation}: the official node shows {names:?}, the compat data maps {mapped:?}"
                ));
            }
        }
        for operation in ours.operations.keys() {
            if !official.contains_key(&(resource.clone(), operation.clone())) {
                problems.push(format!("{resource} {operation}: not an official operation"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(official.len(), 26, "the official node's operations");
}
