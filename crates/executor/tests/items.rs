//! Items never share state: each item's body, query and cookies are its own, whatever the
//! concurrency (the JavaScript node shared one body object between items). Exact requests and
//! outputs are asserted against a recording server.

use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_executor::{Invocation, Item, Runner, Settings};
use serde_json::{Map, Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn runner(uri: &str, parameters: Value, concurrency: usize) -> Runner {
    let as_map = |v: Value| -> Map<String, Value> { v.as_object().cloned().unwrap() };
    Runner::new(
        Arc::new(Registry::embedded().unwrap()),
        Invocation {
            node: "directus".into(),
            parameters: as_map(parameters),
            credentials: as_map(json!({"url": uri})),
            settings: Settings {
                concurrency,
                ..Settings::default()
            },
        },
    )
    .unwrap()
}

fn bodies(requests: &[Request]) -> Vec<Value> {
    let mut out: Vec<Value> = requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    out.sort_by_key(Value::to_string);
    out
}

#[tokio::test]
async fn raw_bodies_from_expressions_do_not_leak_between_items() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"ok": true}})))
        .mount(&server)
        .await;
    let runner = runner(
        &server.uri(),
        json!({"resource": "auth", "operation": "login", "jsonParameters": true, "bodyParametersJson": "={{ $json.body }}"}),
        1,
    );
    let items = vec![
        Item::from_input(
            json!({"body": {"email": "a@example.com", "password": "p", "mode": "cookie"}}),
        )
        .unwrap(),
        Item::from_input(json!({"body": {"email": "b@example.com", "password": "q"}})).unwrap(),
        Item::from_input(json!({"body": "{\"email\": \"c@example.com\", \"password\": \"r\"}"}))
            .unwrap(),
    ];
    let result = runner.run_batch(items).await;
    assert_eq!(result.summary.succeeded, 3);
    assert_eq!(
        bodies(&server.received_requests().await.unwrap()),
        [
            json!({"email": "a@example.com", "password": "p", "mode": "cookie"}),
            json!({"email": "b@example.com", "password": "q"}),
            json!({"email": "c@example.com", "password": "r"}),
        ]
    );
}

#[tokio::test]
async fn concurrent_items_keep_their_own_tokens_cookies_and_outputs() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|r: &Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            let cookie = r
                .headers
                .get("cookie")
                .and_then(|c| c.to_str().ok())
                .unwrap_or("")
                .to_string();
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"echo": body, "cookie": cookie}}))
        })
        .mount(&server)
        .await;
    let runner = runner(
        &server.uri(),
        json!({"resource": "auth", "operation": "refreshToken", "refreshToken": "={{ $json.rt }}",
               "additionalFields": {"mode": "={{ $json.mode }}"}}),
        8,
    );
    let items: Vec<Item> = (0..40)
        .map(|i| Item::from_input(json!({"rt": format!("token-{i}"), "mode": if i % 2 == 0 { "json" } else { "cookie" }})).unwrap())
        .collect();
    let result = runner.run_batch(items).await;
    assert_eq!(result.summary.succeeded, 40);
    for (i, item) in result.main.iter().enumerate() {
        let expected = if i % 2 == 0 {
            json!({"echo": {"refresh_token": format!("token-{i}"), "mode": "json"}, "cookie": ""})
        } else {
            json!({"echo": {"mode": "cookie"}, "cookie": format!("directus_refresh_token=token-{i}")})
        };
        assert_eq!(Value::Object(item.json.clone()), expected, "item {i}");
        assert_eq!(item.paired_item.map(|p| p.item), Some(i));
    }
}
