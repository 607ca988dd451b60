//! The tool catalogue of the Directus node, without a server: names, selections, schemas and
//! hints as a client lists them.

use std::collections::BTreeSet;

use noderun_definitions::Registry;
use noderun_mcp::{Selection, tools};
use serde_json::{Value, json};

fn catalogue(
    resources: &[&str],
    operations: &[&str],
    read_only: bool,
) -> Result<Vec<Value>, String> {
    let registry = Registry::embedded().expect("the definitions load");
    let selection = Selection {
        resources: resources.iter().map(|s| s.to_string()).collect(),
        operations: operations.iter().map(|s| s.to_string()).collect(),
        read_only,
    };
    Ok(tools(&registry, "directus", &selection)?
        .iter()
        .map(|t| serde_json::to_value(t).expect("a tool serializes"))
        .collect())
}

fn names(tools: &[Value]) -> Vec<&str> {
    tools.iter().map(|t| t["name"].as_str().unwrap()).collect()
}

fn annotations(tools: &[Value], name: &str) -> Value {
    let tool = tools
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"));
    let mut a = tool["annotations"].clone();
    a.as_object_mut().unwrap().remove("title");
    a
}

#[test]
fn every_operation_is_a_tool_with_a_portable_schema() {
    let all = catalogue(&["all"], &[], false).unwrap();
    assert_eq!(all.len(), 172);
    let unique: BTreeSet<&str> = names(&all).into_iter().collect();
    assert_eq!(unique.len(), 172, "tool names are unique");
    for tool in &all {
        let name = tool["name"].as_str().unwrap();
        assert!(
            name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{name}: snake case, at most 64 characters (what every client accepts)"
        );
        let schema = tool["inputSchema"].as_object().unwrap();
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}");
        for combinator in ["allOf", "anyOf", "oneOf", "if", "then", "not"] {
            assert!(
                !schema.contains_key(combinator),
                "{name}: {combinator} at the root"
            );
        }
        let text = Value::Object(schema.clone()).to_string();
        assert!(
            !text.contains("propertyOrder")
                && !text.contains("\"resource\"")
                && !text.contains("\"pattern\""),
            "{name}: {text}"
        );
        assert!(
            tool["description"]
                .as_str()
                .is_some_and(|d| d.ends_with('.')),
            "{name}"
        );
    }
}

#[test]
fn the_default_set_and_the_selections() {
    let default = catalogue(&[], &[], false).unwrap();
    assert_eq!(
        names(&default),
        [
            "assets_get",
            "collections_get",
            "collections_list",
            "fields_get",
            "fields_list",
            "fields_list_all",
            "files_create",
            "files_get",
            "files_import",
            "files_list",
            "files_update",
            "files_update_multiple",
            "folders_create",
            "folders_get",
            "folders_list",
            "folders_update",
            "items_create",
            "items_create_multiple",
            "items_upsert",
            "items_get",
            "items_list",
            "items_update",
            "items_update_multiple",
            "relations_get",
            "relations_list",
            "relations_list_all",
        ]
    );
    assert_eq!(
        names(&catalogue(&["items"], &["get", "list"], false).unwrap()),
        ["items_get", "items_list"]
    );
    assert_eq!(
        names(&catalogue(&[], &["items_delete", "users_get_current"], false).unwrap()),
        ["items_delete", "users_get_current"]
    );
    assert_eq!(
        catalogue(&["default", "flows"], &[], false).unwrap().len(),
        32
    );
    assert_eq!(
        names(&catalogue(&["items"], &[], true).unwrap()),
        ["items_get", "items_list"]
    );
    assert_eq!(
        catalogue(&["itemz"], &[], false).unwrap_err(),
        "node 'directus' has no resource 'itemz'; valid: default, all, access, activity, assets, auth, collections, comments, dashboards, extensions, fields, files, flows, folders, items, notifications, operations, panels, permissions, policies, presets, relations, revisions, roles, schema, server, settings, shares, translations, users, utils, versions"
    );
    assert_eq!(
        catalogue(&["server"], &["delete"], false).unwrap_err(),
        "the selection leaves no tool (see --resources, --operations, --read-only)"
    );
}

#[test]
fn hints_follow_the_requests_of_each_operation() {
    let all = catalogue(&["all"], &[], false).unwrap();
    let read = json!({"readOnlyHint": true, "openWorldHint": false});
    assert_eq!(annotations(&all, "items_list"), read);
    assert_eq!(annotations(&all, "server_ping"), read);
    let hints = |destructive: bool, idempotent: bool| json!({"readOnlyHint": false, "destructiveHint": destructive, "idempotentHint": idempotent, "openWorldHint": false});
    assert_eq!(annotations(&all, "items_create"), hints(false, false));
    assert_eq!(annotations(&all, "items_update"), hints(false, true));
    assert_eq!(annotations(&all, "items_delete"), hints(true, true));
    assert_eq!(
        annotations(&all, "files_delete_multiple"),
        hints(true, true)
    );
    // a GET first, then a PATCH or a POST (routing.then): it writes
    assert_eq!(annotations(&all, "items_upsert"), hints(false, false));
    // POSTs that overwrite or drop data (agentTools.destructive)
    assert_eq!(annotations(&all, "schema_apply"), hints(true, false));
    assert_eq!(annotations(&all, "versions_promote"), hints(true, false));
}

#[test]
fn uploads_take_the_file_itself() {
    let all = catalogue(
        &["files", "utils"],
        &["create", "update", "importFileData"],
        false,
    )
    .unwrap();
    for tool in &all {
        let file = &tool["inputSchema"]["properties"]["file"];
        assert_eq!(file["required"], json!(["fileName"]), "{}", tool["name"]);
        assert!(
            tool["inputSchema"]["properties"]
                .get("binaryPropertyName")
                .is_none(),
            "{}",
            tool["name"]
        );
    }
    let create = all.iter().find(|t| t["name"] == "files_create").unwrap();
    assert!(
        create["inputSchema"]["properties"]["file"]["description"]
            .as_str()
            .unwrap()
            .ends_with("Used only when sendBinaryData is true, and then required."),
        "{create}"
    );
}
