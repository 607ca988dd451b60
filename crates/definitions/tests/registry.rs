//! The registry: the shipped definitions load, the format schema is current, broken definitions
//! are reported with file and JSON pointer, and every derived schema is valid draft 2020-12.

use std::path::{Path, PathBuf};

use noderun_definitions::{Error, Problem, Registry, format_schema, sorted};
use serde_json::{Map, Value, json};

fn definitions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node-definitions")
}

fn sources() -> Vec<(String, String)> {
    fn walk(dir: &str, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(definitions_dir().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            if path.is_dir() {
                walk(&name, out);
            } else {
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    for dir in ["directus", "directusTrigger", "credentials"] {
        walk(dir, &mut out);
    }
    out
}

/// The problems reported after `edit` changes the JSON of `file`.
fn problems_after(file: &str, mut edit: impl FnMut(&mut Value)) -> Vec<Problem> {
    let sources = sources()
        .into_iter()
        .map(|(path, text)| {
            if path != file {
                return (path, text);
            }
            let mut value: Value = serde_json::from_str(&text).unwrap();
            edit(&mut value);
            (path, value.to_string())
        })
        .collect();
    match Registry::from_sources(sources) {
        Ok(_) => panic!("the broken definitions were accepted"),
        Err(Error::Invalid(problems)) => problems,
        Err(other) => panic!("unexpected error {other}"),
    }
}

fn problem(file: &str, pointer: &str, message: &str) -> Problem {
    Problem {
        file: file.into(),
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// Index of the first property of auth.json with this name.
fn auth_property(value: &Value, name: &str) -> usize {
    value["properties"]
        .as_array()
        .unwrap()
        .iter()
        .position(|p| p["name"] == name)
        .unwrap()
}

/// Every resource of the Directus node with its operations, in definition order.
const OPERATIONS: &[(&str, &str)] = &[
    ("access", "create delete get list update"),
    ("activity", "get list"),
    ("assets", "get"),
    (
        "auth",
        "list login logout refreshToken requestReset resetPassword startOauthFlow",
    ),
    ("collections", "create delete get list update"),
    ("comments", "create delete get list update"),
    ("dashboards", "create delete get list update"),
    ("extensions", "list"),
    ("fields", "create delete get list listAll update"),
    (
        "files",
        "create delete deleteMultiple get import list update updateMultiple",
    ),
    ("operations", "create delete get list update"),
    ("flows", "create delete get list trigger update"),
    (
        "folders",
        "create createMultiple delete deleteMultiple get list update updateMultiple",
    ),
    (
        "items",
        "create createMultiple upsert delete deleteMultiple get list update updateMultiple",
    ),
    ("notifications", "create delete get list update"),
    ("panels", "create delete get list update"),
    (
        "permissions",
        "create createMultiple delete deleteMultiple get getMine list update updateMultiple",
    ),
    ("policies", "create delete get list update"),
    (
        "presets",
        "create createMultiple delete deleteMultiple get list update updateMultiple",
    ),
    ("relations", "create delete get list listAll update"),
    ("revisions", "get list"),
    (
        "roles",
        "create createMultiple delete deleteMultiple get getMine list update updateMultiple",
    ),
    ("schema", "apply diff snapshot"),
    ("server", "getGraphQL getOpenAPI ping health info"),
    ("settings", "get update"),
    ("shares", "create delete get list update"),
    ("translations", "create delete get list update"),
    (
        "users",
        "acceptUserInvite create createMultiple delete deleteMultiple disable2FA enable2FA generate2FA get getCurrent inviteUser list register update updateMe updateMultiple verifyEmail",
    ),
    (
        "utils",
        "clearCache getRandomString revert importFileData sortItems",
    ),
    (
        "versions",
        "compare create delete get list promote save update",
    ),
];

#[test]
fn the_shipped_definitions_load_with_every_operation() {
    let registry = Registry::embedded().unwrap_or_else(|e| panic!("{e}"));
    let node = registry.node("directus").unwrap();
    let ops: Vec<(&str, &str)> = node
        .operations()
        .iter()
        .map(|o| (o.resource.as_str(), o.operation.as_str()))
        .collect();
    let expected: Vec<(&str, &str)> = OPERATIONS
        .iter()
        .flat_map(|(resource, ops)| ops.split(' ').map(move |op| (*resource, op)))
        .collect();
    assert_eq!(ops, expected);
    assert!(registry.credential("directusApi").is_some());
    // The files on disk are the embedded ones.
    assert!(Registry::with_directory(&definitions_dir()).is_ok());
}

#[test]
fn lookups_name_the_valid_choices() {
    let registry = Registry::embedded().unwrap();
    assert_eq!(
        registry.node("nope").unwrap_err().to_string(),
        "unknown node 'nope'; valid nodes: directus, directusTrigger"
    );
    let node = registry.node("directus").unwrap();
    let resources: Vec<&str> = OPERATIONS.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        node.operation("webhooks", "get").unwrap_err().to_string(),
        format!(
            "node 'directus' has no resource 'webhooks'; valid resources: {}",
            resources.join(", ")
        )
    );
    assert_eq!(
        node.operation("auth", "signup").unwrap_err().to_string(),
        "resource 'auth' of node 'directus' has no operation 'signup'; valid operations: list, login, logout, refreshToken, requestReset, resetPassword, startOauthFlow"
    );
    assert_eq!(
        node.operation("items", "merge").unwrap_err().to_string(),
        "resource 'items' of node 'directus' has no operation 'merge'; valid operations: create, createMultiple, upsert, delete, deleteMultiple, get, list, update, updateMultiple"
    );
}

#[test]
fn format_schema_file_is_current() {
    let path = definitions_dir().join("format.schema.json");
    let generated = serde_json::to_string_pretty(&sorted(&format_schema())).unwrap() + "\n";
    if std::env::var_os("NODERUN_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "node-definitions/format.schema.json is stale: run `NODERUN_BLESS=1 cargo test -p noderun-definitions --test registry`"
    );
    assert!(jsonschema::draft202012::meta::is_valid(&format_schema()));
}

#[test]
fn the_extensions_table_in_the_docs_is_current() {
    let path = definitions_dir().join("../docs/format-extensions.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        "<!-- extensions table: generated from EXTENSIONS",
        "<!-- end of the extensions table -->",
    );
    let from = doc[doc.find(start).expect("the table's start marker")..]
        .find('\n')
        .map(|n| doc.find(start).unwrap() + n + 1)
        .unwrap();
    let to = doc.find(end).expect("the table's end marker");
    let table = noderun_definitions::extensions::extensions_table();
    if std::env::var_os("NODERUN_BLESS").is_some() {
        std::fs::write(&path, format!("{}{table}{}", &doc[..from], &doc[to..])).unwrap();
    } else {
        assert!(
            doc[from..to] == table,
            "the table of docs/format-extensions.md is stale: run `NODERUN_BLESS=1 cargo test -p noderun-definitions --test registry`"
        );
    }
}

#[test]
fn every_operation_schema_is_valid_draft_2020_12() {
    let registry = Registry::embedded().unwrap();
    for node in registry.nodes() {
        for op in node.operations().iter().chain(node.parameters()) {
            assert!(
                jsonschema::draft202012::meta::is_valid(&op.schema),
                "{} {}",
                op.resource,
                op.operation
            );
            assert_eq!(
                op.schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
        }
    }
}

#[test]
fn the_forks_reset_password_typo_is_caught() {
    // The fork's bug: displayOptions naming a 'resetPasswords' operation that does not exist.
    let problems = problems_after("directus/auth.json", |v| {
        let i = auth_property(v, "bodyParametersJson");
        v["properties"][i]["displayOptions"]["show"]["operation"][4] = json!("resetPasswords");
    });
    assert_eq!(
        problems,
        [problem(
            "directus/auth.json",
            "/properties/10/displayOptions/show/operation/4",
            "'operation' can never be \"resetPasswords\""
        )]
    );
}

#[test]
fn unknown_display_names_duplicates_defaults_expressions_and_unreachable_properties_are_reported() {
    let problems = problems_after("directus/auth.json", |v| {
        let email = auth_property(v, "email");
        v["properties"][email]["displayOptions"]["show"]["jsonParameter"] = json!([false]);
        let fields = auth_property(v, "additionalFields");
        v["properties"][fields]["options"][0]["options"][1]["value"] = json!("json");
        let split = auth_property(v, "splitIntoItems");
        v["properties"][split]["default"] = json!("no");
        let password = auth_property(v, "password");
        v["properties"][password]["routing"]["send"]["value"] = json!("={{ $json.a + }}");
    });
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "directus/auth.json#/properties/1/displayOptions/show/jsonParameter: displayOptions names 'jsonParameter', which is not a property here",
            "directus/auth.json#/properties/2/routing/send/value: expression \"={{ $json.a + }}\" does not parse: invalid syntax: Unexpected token (1:11)",
            "directus/auth.json#/properties/8/default: default \"no\" does not fit type Boolean",
            "directus/auth.json#/properties/11/options/0/options/1: duplicate option \"json\"",
            "directus/auth.json#/properties/1: property 'email' is shown in no operation (check its displayOptions)",
        ]
    );
}

#[test]
fn format_violations_and_bad_json_are_located() {
    let problems = problems_after("directus/auth.json", |v| {
        v["properties"][1]["tpye"] = json!("string");
    });
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, "directus/auth.json");
    assert_eq!(problems[0].pointer, "/properties/1");
    assert!(
        problems[0].message.contains("tpye"),
        "{}",
        problems[0].message
    );

    let mut broken = sources();
    broken.push(("directus/items.json".into(), "{\"resource\": ".into()));
    let Err(Error::Invalid(problems)) = Registry::from_sources(broken) else {
        panic!("accepted")
    };
    assert_eq!(
        problems,
        [problem(
            "directus/items.json",
            "",
            "not valid JSON: EOF while parsing a value at line 1 column 13"
        )]
    );
}

#[test]
fn resources_and_files_must_match() {
    let mut extra = sources();
    extra.push((
        "directus/webhooks.json".into(),
        json!({"resource": "webhooks", "properties": []}).to_string(),
    ));
    let Err(Error::Invalid(problems)) = Registry::from_sources(extra) else {
        panic!("accepted")
    };
    assert_eq!(
        problems,
        [problem(
            "directus/webhooks.json",
            "/resource",
            "resource 'webhooks' is not an option of the node's 'resource' property"
        )]
    );

    let problems = problems_after("directus/node.json", |v| {
        v["properties"][0]["options"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "Webhooks", "value": "webhooks"}));
    });
    assert_eq!(
        problems,
        [problem(
            "directus/node.json",
            &format!("/properties/0/options/{}/value", OPERATIONS.len()),
            "resource 'webhooks' has no file directus/webhooks.json"
        )]
    );
}

#[test]
fn operation_and_credential_field_aliases_are_checked() {
    let problems = problems_after("directus/server.json", |v| {
        v["operationAliases"] = json!({"pingServer": "pong", "ping": "health", "old": 3});
    });
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "directus/server.json#/operationAliases/pingServer: operation alias names no operation of 'server': 'pong'",
            "directus/server.json#/operationAliases/ping: operation alias 'ping' is an operation itself",
            "directus/server.json#/operationAliases/old: operation alias must be the value of an operation (a string)",
        ]
    );
    let problems = problems_after("credentials/directusApi.json", |v| {
        v["fieldAliases"] = json!({"token": "apiKey", "url": "accessToken"});
    });
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "credentials/directusApi.json#/fieldAliases/token: a field alias must map a name that is not a field to a field's name",
            "credentials/directusApi.json#/fieldAliases/url: a field alias must map a name that is not a field to a field's name",
        ]
    );
}

#[test]
fn aliases_name_the_current_operation_and_stay_out_of_the_export() {
    let registry = Registry::from_sources(sources()).unwrap();
    let node = registry.node("directus").unwrap();
    let mut parameters = json!({"resource": "server", "operation": "systemInfo"})
        .as_object()
        .unwrap()
        .clone();
    node.resolve_aliases(&mut parameters);
    assert_eq!(parameters["operation"], "info");
    let exported = serde_json::to_string(&node.description).unwrap();
    for extension in ["operationAliases", "jsonShape", "jsonKeys", "pingServer"] {
        assert!(!exported.contains(extension), "{extension} is exported");
    }
    let credential = serde_json::to_string(registry.credential("directusApi").unwrap()).unwrap();
    assert!(!credential.contains("fieldAliases"));
}

#[test]
fn compat_files_name_real_operations_and_parameters() {
    let file = "directus/compat/official.json";
    let problems = problems_after(file, |v| {
        let get = &mut v["resources"]["item"]["operations"]["get"];
        get["operation"] = json!("fetch");
        let delete = &mut v["resources"]["item"]["operations"]["delete"];
        delete["parameters"]["itemId"]["to"] = json!("identifier");
        v["defaultResource"] = json!("items");
    });
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "directus/compat/official.json#/defaultResource: names no resource: 'items'",
            "directus/compat/official.json#/resources/item/operations/delete/parameters/itemId/to: 'identifier' is not a parameter of items delete",
            "directus/compat/official.json#/resources/item/operations/get/operation: node 'directus' has no operation 'fetch' of resource 'items'",
        ]
    );
    // The official node's type runs on the Directus node, with its parameters translated.
    let registry = Registry::from_sources(sources()).unwrap();
    let official = registry
        .node_type("@directus/n8n-nodes-directus.directus")
        .unwrap();
    assert_eq!(official.node.description.name, "directus");
    let compat = official.compat.expect("the official node's compat file");
    let parameters = json!({"operation": "getAll", "collection": "articles",
                            "itemFields": ["id", "title"], "permissionWarningItem": ""});
    assert_eq!(
        Value::Object(
            compat
                .translate(parameters.as_object().unwrap(), None, true)
                .unwrap()
        ),
        json!({"resource": "items", "operation": "list", "additionalFields": {"fields": "id,title"},
               "collection": "articles", "limit": 50, "returnAll": false})
    );
    // Other types name a node by their last part.
    for other in [
        "n8n-nodes-directus.directus",
        "@flagbit/n8n-nodes-directus.directus",
        "directus",
    ] {
        let t = registry.node_type(other).unwrap();
        assert_eq!(
            (t.node.description.name.as_str(), t.compat.is_none()),
            ("directus", true)
        );
    }
}

#[test]
fn a_triggers_command_line_names_its_parameters_and_long_flags() {
    let problems = problems_after("directusTrigger/node.json", |v| {
        let flags = &mut v["commandLine"]["flags"];
        flags[0]["parameter"] = json!("collection");
        flags[1]["parameter"] = json!("options.fields");
        flags[3]["flag"] = json!("-f");
    });
    assert_eq!(
        problems,
        [
            problem(
                "directusTrigger/node.json",
                "/commandLine/flags/0",
                "'collection' is not a parameter of the node"
            ),
            problem(
                "directusTrigger/node.json",
                "/commandLine/flags/2",
                "'options.fields' has a flag already"
            ),
            problem(
                "directusTrigger/node.json",
                "/commandLine/flags/3",
                "'-f' is not a long flag (--name)"
            ),
        ]
    );
    let problems = problems_after("directus/node.json", |v| {
        v["commandLine"] = json!({"command": "noderun run directus", "flags": []});
    });
    assert_eq!(
        problems,
        [problem(
            "directus/node.json",
            "/commandLine",
            "only a node without operations (a polling trigger) has a commandLine: the others run with `noderun run`"
        )]
    );
}

#[test]
fn a_keyset_names_its_key_or_how_to_look_it_up_not_both_and_fills_its_filters() {
    let keyset_of = |v: &mut Value| -> (usize, Map<String, Value>) {
        let at = v["properties"]
            .as_array()
            .unwrap()
            .iter()
            .position(|p| {
                p["routing"]["operations"]["pagination"]["properties"]["keyset"].is_object()
            })
            .unwrap();
        let keyset =
            v["properties"][at]["routing"]["operations"]["pagination"]["properties"]["keyset"]
                .as_object_mut()
                .unwrap();
        (at, std::mem::take(keyset))
    };
    let set = |v: &mut Value, at: usize, keyset: Map<String, Value>| {
        v["properties"][at]["routing"]["operations"]["pagination"]["properties"]["keyset"] =
            Value::Object(keyset);
    };
    let mut at = 0;
    let both = problems_after("directus/items.json", |v| {
        let (i, mut keyset) = keyset_of(v);
        at = i;
        keyset.insert("key".into(), json!("id"));
        set(v, i, keyset);
    });
    let pointer = format!("/properties/{at}/routing/operations/pagination/properties/keyset");
    assert_eq!(
        both,
        [problem(
            "directus/items.json",
            &pointer,
            "a keyset has either 'key' or 'lookup', not both"
        )]
    );
    let neither = problems_after("directus/items.json", |v| {
        let (i, mut keyset) = keyset_of(v);
        keyset.remove("lookup");
        set(v, i, keyset);
    });
    assert_eq!(
        neither,
        [problem(
            "directus/items.json",
            &pointer,
            "a keyset needs 'key' (the list's key) or 'lookup' (how to learn it)"
        )]
    );
    let no_last = problems_after("directus/items.json", |v| {
        let (i, mut keyset) = keyset_of(v);
        // `{last}` as an object key is never filled (only `{key}` stands for a text).
        keyset.insert("after".into(), json!({"{key}": {"{last}": 0}}));
        set(v, i, keyset);
    });
    assert_eq!(
        no_last,
        [problem(
            "directus/items.json",
            &pointer,
            "the keyset's 'after' never uses {last}: each of {key}, {last} stands for a value the filter needs"
        )]
    );
}
