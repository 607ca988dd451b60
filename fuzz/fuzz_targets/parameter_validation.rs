//! Parameters of the Directus node (its `auth` resource) from arbitrary bytes, resolved and
//! validated for an item without any network: `Runner::new` then `plan().for_item`.
//!
//! Input: UTF-8 text whose first line is the node's parameters (a JSON object; `resource`
//! defaults to `auth` when absent) and whose rest, if any, is the item (a JSON value read with
//! `Item::from_input`; a fixed item is used when it is missing or not an item). Setup errors
//! and parameter failures are expected outcomes; panics are the bugs looked for. One registry
//! serves every run.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use noderun_definitions::Registry;
use noderun_executor::{Invocation, Item, Runner, Settings};
use serde_json::{Map, Value, json};

fn registry() -> Arc<Registry> {
    static REGISTRY: OnceLock<Arc<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Arc::new(Registry::embedded().expect("the embedded definitions load")))
        .clone()
}

fn default_item() -> Item {
    let json = json!({
        "refresh_token": "r-123",
        "token": "s3cr3t-token",
        "email": "name@example.com",
        "password": "hunter22",
        "mode": "cookie",
        "body": "{\"email\": \"a@b.c\", \"password\": \"p\"}",
        "nested": {"list": [1, "two", null, {"x": true}]}
    });
    Item::from_input(json).expect("an object is an item")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (params_text, item_text) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(Value::Object(mut parameters)) = serde_json::from_str::<Value>(params_text) else {
        return;
    };
    if !parameters.contains_key("resource") {
        parameters.insert("resource".into(), Value::String("auth".into()));
    }
    let item = serde_json::from_str::<Value>(item_text)
        .ok()
        .and_then(|v| Item::from_input(v).ok())
        .unwrap_or_else(default_item);

    let credentials = Map::from_iter([("url".into(), json!("http://127.0.0.1:9"))]);
    let Ok(runner) = Runner::new(
        registry(),
        Invocation {
            node: "directus".into(),
            parameters,
            credentials,
            settings: Settings::default(),
        },
    ) else {
        return;
    };
    for index in [0, 1] {
        if let Err(failure) = runner.plan().for_item(index, &item) {
            let _ = failure.message();
        }
    }
});
