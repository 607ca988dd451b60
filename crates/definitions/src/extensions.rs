//! noderun's extensions of n8n's format, declared once, and the export for n8n itself.
//!
//! noderun's format is n8n's plus a few documented extensions that n8n would reject at
//! type-check time (and ignore at run time). [`EXTENSIONS`] declares each of them: where it
//! sits, what it does and how it stays out of what n8n gets. [`for_n8n`] removes the ones the
//! description carries (routing and output additions the forms page reads too) and puts
//! `displayName` and `name` first in every object, the key order n8n's lint rules expect; the
//! model never serializes the others (`skip_serializing`), which a test checks against this
//! list, as it checks the table of docs/format-extensions.md ([`extensions_table`]) and that
//! every field the format schema calls a "noderun extension" is here. The package build
//! (`scripts/n8n-package`) type-checks the export against `n8n-workflow`.

use serde_json::{Map, Value};

/// How an extension stays out of the description n8n gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Serialized with the description (the forms page and the dry run read it); [`for_n8n`]
    /// removes it.
    Removed,
    /// Never serialized: the registry keeps it for itself.
    NotSerialized,
}

/// One extension of n8n's format.
#[derive(Debug, Clone, Copy)]
pub struct Extension {
    /// For an extension the export removes: the key of the object that holds it (`"routing"`
    /// for `routing.then`); the export removes this key from any object held under `parent`.
    pub parent: &'static str,
    /// Its key.
    pub key: &'static str,
    /// Where it is written, for people (`"a property's routing.then"`).
    pub place: &'static str,
    /// What it does, one line.
    pub summary: &'static str,
    /// How it stays out of what n8n gets.
    pub export: Export,
}

/// Every extension of n8n's format that noderun's definitions may use.
pub const EXTENSIONS: &[Extension] = &[
    Extension {
        parent: "output",
        key: "cookies",
        place: "`routing.output.cookies`",
        summary: "cookies the response sets, copied into the output json (cookie name to key), so that session and cookie modes work headless",
        export: Export::Removed,
    },
    Extension {
        parent: "routing",
        key: "then",
        place: "`routing.then`",
        summary: "a second request after the first, the first alternative whose `enabled` holds (operations that make two calls)",
        export: Export::Removed,
    },
    Extension {
        parent: "request",
        key: "multipart",
        place: "`routing.request.multipart`",
        summary: "send the body as `multipart/form-data`, with file parts from binary properties",
        export: Export::Removed,
    },
    Extension {
        parent: "properties",
        key: "fileName",
        place: "`binaryData` post-receive `properties.fileName`",
        summary: "the file name to record for a downloaded binary property",
        export: Export::Removed,
    },
    Extension {
        parent: "properties",
        key: "keyset",
        place: "an offset pagination's `properties.keyset`",
        summary: "keyset paging: when the list is sorted by its key (named, or learnt by a `lookup`: requests sent once per run and an expression over their responses), the pages after the first send the filter its `after` template makes of the last key (joined to the user's by `join`) instead of skipping an offset",
        export: Export::Removed,
    },
    Extension {
        parent: "",
        key: "jsonShape",
        place: "a `json` property's `jsonShape`",
        summary: "the JSON value it holds: `object` (default), `array` or `objectOrArray`",
        export: Export::NotSerialized,
    },
    Extension {
        parent: "",
        key: "jsonKeys",
        place: "a `json` object property's `jsonKeys`",
        summary: "the only keys the object may have; any other is refused by name",
        export: Export::NotSerialized,
    },
    Extension {
        parent: "",
        key: "operationAliases",
        place: "a resource file's `operationAliases`",
        summary: "former operation values mapped to the operation they now name, so that saved workflows keep running",
        export: Export::NotSerialized,
    },
    Extension {
        parent: "",
        key: "agentTools",
        place: "a node file's `agentTools`",
        summary: "how `noderun mcp` serves the node's operations as tools to AI agents (instructions, the default tool set; docs/mcp.md)",
        export: Export::NotSerialized,
    },
    Extension {
        parent: "",
        key: "commandLine",
        place: "a node file's `commandLine`",
        summary: "for a node without operations (a polling trigger), the `noderun` command line its parameters become (the forms page shows it)",
        export: Export::NotSerialized,
    },
    Extension {
        parent: "",
        key: "fieldAliases",
        place: "a credential type's `fieldAliases`",
        summary: "other names of credential fields (another node's credential), used when the field itself is absent or empty",
        export: Export::NotSerialized,
    },
    Extension {
        parent: "",
        key: "ignoredFields",
        place: "a credential type's `ignoredFields`",
        summary: "fields another package's credential of the same type name stores that carry nothing here: accepted and dropped",
        export: Export::NotSerialized,
    },
];

/// The table of docs/format-extensions.md, from [`EXTENSIONS`] (Markdown, one row each).
pub fn extensions_table() -> String {
    let mut table =
        String::from("| extension | what it does | in the export for n8n |\n|---|---|---|\n");
    for e in EXTENSIONS {
        let export = match e.export {
            Export::Removed => "removed by the export (the forms page reads it)",
            Export::NotSerialized => "never serialized (the registry keeps it)",
        };
        table.push_str(&format!("| {} | {} | {export} |\n", e.place, e.summary));
    }
    table
}

/// Whether `key`, held in an object under `parent`, is an extension the export removes.
fn removed(parent: &str, key: &str) -> bool {
    EXTENSIONS
        .iter()
        .any(|e| e.export == Export::Removed && e.parent == parent && e.key == key)
}

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
                if removed(parent, key) {
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
    use crate::model::{CredentialType, NodeDescription, ResourceFile};
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

    /// The serializer writes the extensions the export removes and none of the others; the
    /// export has none.
    #[test]
    fn the_serializer_and_the_export_follow_the_list() {
        let resource: ResourceFile = serde_json::from_value(json!({
            "resource": "r",
            "operationAliases": {"old": "get"},
            "properties": [{
                "displayName": "D", "name": "d", "type": "json", "default": "",
                "jsonShape": "array", "jsonKeys": ["a"],
                "routing": {
                    "request": {"multipart": {"file": "={{ $value }}"}},
                    "output": {"cookies": {"c": "k"}, "postReceive": [{"type": "binaryData",
                        "properties": {"destinationProperty": "data", "fileName": "f"}}]},
                    "then": [{"request": {"method": "GET"}}],
                    "operations": {"pagination": {"type": "offset", "properties": {
                        "limitParameter": "limit", "offsetParameter": "offset", "pageSize": 100,
                        "type": "query", "keyset": {"key": "id", "sortParameter": "sort",
                        "filterParameter": "filter", "after": {"{key}": {"_gt": "{last}"}},
                        "join": {"_and": ["{filter}", "{after}"]}}}}}
                }
            }]
        }))
        .unwrap();
        let credential: CredentialType = serde_json::from_value(json!({
            "name": "c", "displayName": "C", "properties": [], "fieldAliases": {"token": "accessToken"}, "ignoredFields": ["notice"],
            "authenticate": {"type": "generic", "properties": {}}
        }))
        .unwrap();
        let node: NodeDescription = serde_json::from_value(json!({
            "displayName": "N", "name": "n", "group": [], "version": 1, "description": "d",
            "defaults": {}, "inputs": [], "outputs": [], "properties": [],
            "agentTools": {"instructions": "i"}
        }))
        .unwrap();
        let serialized = [
            serde_json::to_value(&resource).unwrap(),
            serde_json::to_value(&credential).unwrap(),
            serde_json::to_value(&node).unwrap(),
        ];
        let has = |v: &Value, key: &str| v.to_string().contains(&format!("\"{key}\":"));
        for e in EXTENSIONS {
            let written = serialized.iter().any(|v| has(v, e.key));
            assert_eq!(
                written,
                e.export == Export::Removed,
                "{} is serialized: {written}",
                e.key
            );
            assert!(
                !serialized.iter().any(|v| has(&for_n8n(v), e.key)),
                "{} is exported",
                e.key
            );
        }
    }

    /// Every field the format calls a noderun extension is in the list, and the reverse.
    #[test]
    fn the_list_has_every_extension_of_the_format() {
        let schema = crate::format_schema();
        let mut described = std::collections::BTreeSet::new();
        for def in schema["$defs"].as_object().unwrap().values() {
            for (key, property) in def["properties"].as_object().into_iter().flatten() {
                if property["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("noderun extension"))
                {
                    described.insert(key.as_str());
                }
            }
        }
        let listed: std::collections::BTreeSet<&str> = EXTENSIONS.iter().map(|e| e.key).collect();
        assert_eq!(described, listed);
    }
}
