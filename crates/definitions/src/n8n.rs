//! The export for n8n itself: a node description n8n's TypeScript types accept.
//!
//! noderun's format is n8n's plus a few documented extensions that n8n would reject at
//! type-check time (and ignore at run time). [`for_n8n`] removes them and puts `displayName`
//! and `name` first in every object, the key order n8n's own lint rules expect. A new extension
//! of the format gets its entry in [`EXTENSIONS`]; the package build (`scripts/n8n-package`)
//! type-checks the result against `n8n-workflow`, so a forgotten entry fails that build.

use serde_json::{Map, Value};

/// Keys of noderun's format that n8n's types do not have, as (parent key, key): the key is
/// removed wherever it appears inside an object held under the parent key.
pub const EXTENSIONS: &[(&str, &str)] = &[
    ("output", "cookies"),
    ("routing", "then"),
    ("request", "multipart"),
    ("properties", "fileName"),
];

/// `value` (a node description or credential type, as serialized) in n8n's shape: extensions
/// removed (an object they leave empty is removed too), `displayName` then `name` first, the
/// other keys in the format's own order.
pub fn for_n8n(value: &Value) -> Value {
    convert(value, "")
}

fn convert(value: &Value, parent: &str) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            let first = ["displayName", "name"];
            let ordered = first
                .iter()
                .filter_map(|k| map.get_key_value(*k))
                .chain(map.iter().filter(|(k, _)| !first.contains(&k.as_str())));
            for (key, v) in ordered {
                if EXTENSIONS.contains(&(parent, key.as_str())) {
                    continue;
                }
                let converted = convert(v, key);
                let emptied = matches!(&converted, Value::Object(m) if m.is_empty())
                    && matches!(v, Value::Object(m) if !m.is_empty());
                if !emptied {
                    out.insert(key.clone(), converted);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| convert(v, parent)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extensions_go_and_display_name_comes_first() {
        let v = json!({"type": "options", "name": "mode", "displayName": "Mode", "options": [
            {"value": "a", "name": "A", "routing": {"output": {"cookies": {"c": "k"}}}},
            {"value": "b", "name": "B", "routing": {"output": {"cookies": {"c": "k"},
                "postReceive": [{"type": "limit"}]}}},
        ]});
        assert_eq!(
            serde_json::to_string(&for_n8n(&v)).unwrap(),
            r#"{"displayName":"Mode","name":"mode","type":"options","options":[{"name":"A","value":"a"},{"name":"B","value":"b","routing":{"output":{"postReceive":[{"type":"limit"}]}}}]}"#
        );
    }
}
