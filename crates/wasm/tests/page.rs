//! The page's planner on the host: the dry run `noderun run --dry-run` prints (the browser test,
//! crates/cli/tests/standalone/forms_browser.rs, compares the page's with the binary's for every operation).

use noderun_definitions::Registry;
use noderun_wasm::{DryRun, Page};
use serde_json::{Map, Value, json};

fn page() -> Page {
    let files: Map<String, Value> = Registry::sources(None)
        .unwrap()
        .into_iter()
        .map(|(path, text)| (path, serde_json::from_str(&text).unwrap()))
        .collect();
    Page::load(files).unwrap()
}

fn run(parameters: Value, item: Value) -> Result<Value, String> {
    page().dry_run(DryRun {
        node: "n8n-nodes-noderun.directus".into(),
        parameters: parameters.as_object().unwrap().clone(),
        credentials: json!({"url": "https://directus.example.com"})
            .as_object()
            .unwrap()
            .clone(),
        item,
        sample_file: json!({"data": "W3sidGl0bGUiOiAiU2FtcGxlIn1dCg==", "mimeType": "application/json", "fileName": "sample.json"}),
    })
}

#[test]
fn a_dry_run_is_the_one_noderun_prints_secrets_hidden() {
    let item = json!({"email": "admin@example.com", "password": "pw"});
    let parameters = json!({"resource": "auth", "operation": "login",
        "email": "={{ $json.email }}", "password": "={{ $json.password }}"});
    assert_eq!(
        run(parameters, item.clone()).unwrap(),
        json!({
            "dryRun": {
                "method": "POST",
                "url": "https://directus.example.com/auth/login",
                "headers": {"Accept": "application/json", "Content-Type": "application/json"},
                "body": {"email": "admin@example.com", "password": "***"},
            },
            "item": item,
        })
    );
}

#[test]
fn the_pages_own_item_carries_the_sample_file_an_upload_needs() {
    let parameters = json!({"resource": "files", "operation": "create", "sendBinaryData": true});
    let sample = json!({"data": "W3sidGl0bGUiOiAiU2FtcGxlIn1dCg==", "mimeType": "application/json", "fileName": "sample.json"});
    assert_eq!(
        run(parameters.clone(), Value::Null).unwrap(),
        json!({
            "dryRun": {
                "method": "POST",
                "url": "https://directus.example.com/files",
                "headers": {"Accept": "application/json"},
                "body": {},
                "files": {"file": {"fileName": "sample.json", "mimeType": "application/json", "bytes": 22}},
            },
            "item": {"json": {}, "binary": {"data": sample}},
        })
    );
    // An item of the user's is taken as it is: noderun's message when it lacks the property.
    assert_eq!(
        run(parameters, json!({})).unwrap_err(),
        "the item has no binary property 'data' (binaryPropertyName); it has no binary data"
    );
}
