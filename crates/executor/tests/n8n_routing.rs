//! One definition, two engines: n8n's own declarative engine (`RoutingNode` from n8n-core, run by
//! tests/n8n/routing-node.js) and noderun execute the exported Directus description on the same
//! parameters and items against a local recording server; the requests must be the same
//! (method, path, query, body, and the Authorization, Cookie, Content-Type and Accept headers),
//! compared as multisets since n8n sends all items' requests at once.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_definitions::model::{JsonShape, PostReceive, Property, PropertyType, Routing};
use noderun_executor::{Invocation, Item, Paging, Runner, Settings};
use serde_json::{Map, Value, json};
mod support;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct DirectusLike;

impl Respond for DirectusLike {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if request.url.path() == "/auth" {
            return ResponseTemplate::new(200).set_body_json(
                json!({"data": [{"name": "github"}, {"name": "google"}], "disableDefault": false}),
            );
        }
        ResponseTemplate::new(200).set_body_json(json!({"data": {"ok": true}}))
    }
}

/// A request as compared: what matters to the server.
fn recorded(requests: &[Request]) -> Vec<Value> {
    let mut out: Vec<Value> = requests
        .iter()
        .map(|r| {
            let header = |name: &str| {
                r.headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            };
            let body: Value = if r.body.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&r.body)
                    .unwrap_or_else(|_| json!(String::from_utf8_lossy(&r.body)))
            };
            json!({
                "method": r.method.as_str(),
                "path": r.url.path(),
                "query": r.url.query(),
                "body": body,
                "authorization": header("authorization"),
                "cookie": header("cookie"),
                "content-type": header("content-type"),
                "accept": header("accept"),
            })
        })
        .collect();
    out.sort_by_key(|v| v.to_string());
    out
}

/// Values for the shown fields of a state: expressions over `$json` for strings (so every item
/// sends its own values), every sub-field of collections, JSON bodies as text and as objects.
/// A name that several resources use with different types gets the value of the shown one.
fn cases(properties: &[Property], state: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let mut base = state.clone();
    let mut json_as_object = None;
    // The properties shown in this state first: a name may have another type elsewhere.
    let shown = noderun_definitions::display::visible_properties(properties, state);
    let ordered = shown
        .iter()
        .map(|&i| &properties[i])
        .chain(properties.iter());
    for p in ordered {
        if base.contains_key(&p.name) {
            continue;
        }
        let value = match p.kind {
            PropertyType::String => json!(format!("={{{{ $json.{} }}}}", p.name)),
            PropertyType::Boolean => json!(true),
            PropertyType::Number if shown.iter().any(|&i| std::ptr::eq(&properties[i], p)) => {
                json!(7)
            }
            PropertyType::Json => {
                let object = json_value(p);
                json_as_object = Some((p.name.clone(), object.clone()));
                json!(object.to_string())
            }
            _ => continue,
        };
        base.insert(p.name.clone(), value);
    }
    let mut out = vec![base.clone()];
    if let Some((name, object)) = json_as_object {
        let mut c = base.clone();
        c.insert(name, object);
        out.push(c);
    }
    // Each choice of every option inside the shown collections, one case per choice.
    for p in shown
        .iter()
        .map(|&i| &properties[i])
        .filter(|p| p.kind == PropertyType::Collection)
    {
        for sub in p
            .sub_properties()
            .filter(|s| !binary_response(s.routing.as_ref()))
        {
            let values: Vec<Value> = match sub.kind {
                PropertyType::Options => sub.choices().map(|c| c.value.clone()).collect(),
                _ => vec![sample(sub, "literal")],
            };
            for v in values {
                let mut c = base.clone();
                let mut collection = Map::new();
                for other in p
                    .sub_properties()
                    .filter(|o| !binary_response(o.routing.as_ref()))
                {
                    collection.insert(
                        other.name.clone(),
                        if other.name == sub.name {
                            v.clone()
                        } else {
                            other
                                .choices()
                                .next()
                                .map_or_else(|| sample(other, "x"), |c| c.value.clone())
                        },
                    );
                }
                c.insert(p.name.clone(), Value::Object(collection));
                out.push(c);
            }
        }
    }
    out
}

/// A JSON value of a `json` parameter: its shape, with keys it may have.
fn json_value(p: &Property) -> Value {
    match (p.json_shape(), &p.json_keys) {
        (JsonShape::Array, _) => json!([{"field": "id", "type": "integer"}, 2]),
        (_, Some(keys)) => {
            assert!(keys.iter().any(|k| k == "filter"), "{} keys", p.name);
            json!({"filter": {"id": {"_eq": 1}}, "limit": 2, "fields": ["id", "title"], "sort": "-id"})
        }
        _ => {
            json!({"email": "raw@example.com", "refresh_token": "raw-token", "nested": {"a": [1, 2]}})
        }
    }
}

/// Whether a routing reads the response as bytes (`encoding`, a `binaryData` action).
fn binary_response(routing: Option<&Routing>) -> bool {
    routing.is_some_and(|r| {
        r.request.as_ref().is_some_and(|q| q.encoding.is_some())
            || r.output.as_ref().is_some_and(|o| {
                o.post_receive
                    .iter()
                    .any(|a| matches!(a, PostReceive::BinaryData { .. }))
            })
    })
}

/// States whose requests use noderun's extensions, which n8n's RoutingNode does not interpret
/// (multipart uploads, binary downloads, follow-up requests): those are proven against the real
/// Directus (crates/cli/tests/directus/files.rs) instead.
fn transfers_files(properties: &[Property], state: &Map<String, Value>) -> bool {
    let shown = noderun_definitions::display::visible_properties(properties, state);
    shown.iter().map(|&i| &properties[i]).any(|p| {
        let chosen = p
            .choices()
            .filter(|c| state.get(&p.name) == Some(&c.value))
            .filter_map(|c| c.routing.as_ref());
        p.routing.iter().chain(chosen).any(|r| {
            binary_response(Some(r))
                || !r.then.is_empty()
                || r.request.as_ref().is_some_and(|q| q.multipart.is_some())
        })
    })
}

/// A literal value of a collection's field, of the field's type (JSON as compact text, which
/// both engines send unchanged; fixedCollections with two entries of their groups).
fn sample(p: &Property, suffix: &str) -> Value {
    match p.kind {
        PropertyType::Number => json!(7),
        PropertyType::Boolean => json!(true),
        PropertyType::Json if p.json_shape() == JsonShape::Array => json!("[1,\"b\"]"),
        PropertyType::Json => json!("{\"a\":[1,\"b\"]}"),
        PropertyType::FixedCollection => {
            let entry = |n: usize| -> Value {
                Value::Object(
                    p.groups()
                        .flat_map(|g| &g.values)
                        .map(|v| {
                            let choice = v.choices().nth(n).map(|c| c.value.clone());
                            (
                                v.name.clone(),
                                choice.unwrap_or_else(|| sample(v, &n.to_string())),
                            )
                        })
                        .collect(),
                )
            };
            Value::Object(
                p.groups()
                    .map(|g| (g.name.clone(), json!([entry(0), entry(1)])))
                    .collect(),
            )
        }
        _ => json!(format!("{}-{suffix}", p.name)),
    }
}

/// Two input items with a value for every string field of the node (the cases refer to them as
/// `$json.<name>`): the auth fields as before, every other one derived from its name, with a
/// space and a slash so that path segments must be encoded.
fn items() -> Vec<Value> {
    static ITEMS: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    ITEMS.get_or_init(make_items).clone()
}

fn make_items() -> Vec<Value> {
    let registry = Registry::embedded().unwrap();
    let properties = &registry.node("directus").unwrap().description.properties;
    (0..2)
        .map(|i| {
            let mut item = json!({
                "email": format!("user{i}@example.com"), "password": format!("pw-{i}"), "refreshToken": format!("rt-{i}"),
                "token": format!("reset-{i}"), "provider": format!("git hub {i}"),
            });
            for p in properties.iter().filter(|p| p.kind == PropertyType::String) {
                if item.get(&p.name).is_none() {
                    item[&p.name] = json!(format!("{} {i}/x", p.name));
                }
            }
            item
        })
        .collect()
}

/// Runs every case through n8n in one Node process.
fn n8n(registry: &Registry, node: &str, runs: &[(String, Map<String, Value>)]) -> Vec<Value> {
    let node = registry.node(node).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/n8n");
    assert!(
        dir.join("node_modules/n8n-core").exists(),
        "n8n-core is not installed: run scripts/test (or `npm ci` in tests/n8n)"
    );
    // what every run shares goes once (the description is large: once per run, the input
    // was gigabytes for n8n to parse)
    let shared = json!({
        "description": node.description,
        "credentialType": registry.credential("directusApi").unwrap(),
        "items": items(),
    });
    let runs: Vec<Value> = runs
        .iter()
        .map(|(url, parameters)| {
            json!({
                "credentials": {"url": url, "accessToken": "static-token"},
                "parameters": parameters,
            })
        })
        .collect();
    let mut child = Command::new("node")
        .arg(dir.join("routing-node.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            json!({"shared": shared, "runs": runs})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "routing-node.js failed");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    result["results"].as_array().unwrap().clone()
}

/// The requests of one case: those under its own URL prefix, with the prefix removed.
fn of_case(requests: &[Request], prefix: &str) -> Vec<Value> {
    let mine: Vec<Request> = requests
        .iter()
        .filter(|r| r.url.path().starts_with(prefix))
        .cloned()
        .collect();
    recorded(&mine)
        .into_iter()
        .map(|mut v| {
            let path = v["path"]
                .as_str()
                .unwrap()
                .trim_start_matches(prefix)
                .to_string();
            v["path"] = json!(path);
            v
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_equal_n8n_routing_node_for_every_operation_and_toggle_state() {
    let registry = Arc::new(Registry::embedded().unwrap());
    let server = MockServer::start().await;
    let node = registry.node("directus").unwrap();
    let mut runs = Vec::new();
    for op in node.operations() {
        for state in &op.states {
            if transfers_files(&node.description.properties, state) {
                continue;
            }
            for parameters in cases(&node.description.properties, state) {
                runs.push((format!("{}/case-{}", server.uri(), runs.len()), parameters));
            }
        }
    }
    same_as_n8n(&registry, "directus", &runs, &server, || DirectusLike, 2).await;
    assert!(runs.len() >= 300, "only {} cases compared", runs.len());
}

/// Runs `runs` of `node` through noderun, then through n8n, against `server` (answering with
/// `respond`); per case, the requests (as multisets) and the outputs must be the same.
async fn same_as_n8n<R: Respond + 'static>(
    registry: &Arc<Registry>,
    node: &str,
    runs: &[(String, Map<String, Value>)],
    server: &MockServer,
    respond: impl Fn() -> R,
    requests_per_case: usize,
) {
    Mock::given(any())
        .respond_with(respond())
        .mount(server)
        .await;
    let mut ours_by_case = Vec::new();
    for (url, parameters) in runs {
        let runner = Runner::new(
            registry.clone(),
            Invocation {
                node: node.into(),
                parameters: parameters.clone(),
                credentials: json!({"url": url, "accessToken": "static-token"})
                    .as_object()
                    .unwrap()
                    .clone(),
                // n8n's own requests: keyset paging is compared in tests/paging.rs.
                settings: Settings {
                    paging: Paging {
                        offset_only: true,
                        ..Paging::default()
                    },
                    ..Settings::default()
                },
            },
        )
        .unwrap();
        let input: Vec<Item> = items()
            .into_iter()
            .map(|j| Item::from_input(j).unwrap())
            .collect();
        let result = runner.run_batch(input).await;
        let label = Value::Object(parameters.clone());
        assert!(
            result.summary.stopped.is_none(),
            "{label}: {:?}",
            result.summary
        );
        ours_by_case.push(
            result
                .main
                .iter()
                .map(|i| Value::Object(i.json.clone()))
                .collect::<Vec<_>>(),
        );
    }
    let ours_requests = server.received_requests().await.unwrap();
    server.reset().await;
    Mock::given(any())
        .respond_with(respond())
        .mount(server)
        .await;
    let n8n_results = n8n(registry, node, runs);
    let theirs_requests = server.received_requests().await.unwrap();
    for (i, ((_, parameters), n8n_result)) in runs.iter().zip(&n8n_results).enumerate() {
        let label = Value::Object(parameters.clone());
        let prefix = format!("/case-{i}/");
        let ours = of_case(&ours_requests, &prefix);
        assert_eq!(ours.len(), requests_per_case, "{label}");
        assert_eq!(
            ours,
            of_case(&theirs_requests, &prefix),
            "requests differ for {label}"
        );
        assert!(
            n8n_result.get("error").is_none(),
            "{label}: n8n failed: {n8n_result}"
        );
        // Outputs too, where both engines agree by design (no 204 here).
        let n8n_items: Vec<Value> = n8n_result["output"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["json"].clone())
            .collect();
        assert_eq!(ours_by_case[i], n8n_items, "outputs differ for {label}");
    }
}

/// Every list operation with Return All pages the same way in n8n's engine: against a server
/// of 2003 rows, each of the two items reads pages of 1000 at offsets 0, 1000 and 2000 (with
/// every query option the operation has), and both engines output the same 2003 rows per item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_all_pages_the_same_as_n8n_routing_node() {
    let registry = Arc::new(Registry::embedded().unwrap());
    let server = MockServer::start().await;
    let node = registry.node("directus").unwrap();
    let mut runs = Vec::new();
    for op in node.operations() {
        for state in &op.states {
            for mut parameters in cases(&node.description.properties, state) {
                // An export is one binary download, not paged (proven on a real Directus).
                if let Some(Value::Object(fields)) = parameters.get_mut("additionalFields") {
                    fields.remove("export");
                }
                let shown = noderun_definitions::display::visible_properties(
                    &node.description.properties,
                    &parameters,
                );
                let paged = shown.iter().any(|&i| {
                    let p = &node.description.properties[i];
                    p.name == "returnAll"
                        && p.routing.as_ref().is_some_and(|r| r.operations.is_some())
                });
                if paged && parameters.get("returnAll") == Some(&json!(true)) {
                    runs.push((format!("{}/case-{}", server.uri(), runs.len()), parameters));
                }
            }
        }
    }
    assert!(runs.len() >= 8, "only {} paged cases", runs.len());
    same_as_n8n(
        &registry,
        "directus",
        &runs,
        &server,
        || support::pages(2003),
        6,
    )
    .await;
}

/// n8n's generic pagination (a cursor taken from the previous response by expression) sends
/// the same page requests in both engines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_pagination_pages_the_same_as_n8n_routing_node() {
    let registry = Arc::new(Registry::from_sources(support::cursor_node()).unwrap());
    let server = MockServer::start().await;
    let runs: Vec<(String, Map<String, Value>)> =
        [json!({"resource": "rows", "operation": "list", "size": 3})]
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    format!("{}/case-{i}", server.uri()),
                    p.as_object().unwrap().clone(),
                )
            })
            .collect();
    same_as_n8n(&registry, "cursor", &runs, &server, || support::Cursor, 6).await;
}
