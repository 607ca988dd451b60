//! The registry: the shipped definitions load, the format schema is current, broken definitions
//! are reported with file and JSON pointer, and every derived schema is valid draft 2020-12.

use std::path::{Path, PathBuf};

use noderun_definitions::{Error, Problem, Registry, format_schema, sorted};
use serde_json::{Value, json};

fn definitions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node-definitions")
}

fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["directus", "credentials"] {
        for entry in std::fs::read_dir(definitions_dir().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            out.push((
                format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
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
    ("activity", "get list"),
    (
        "auth",
        "list login logout refreshToken requestReset resetPassword startOauthFlow",
    ),
    ("collections", "create delete get list update"),
    ("extensions", "list"),
    ("fields", "create delete get list listAll update"),
    (
        "folders",
        "create delete deleteMultiple get list update updateMultiple",
    ),
    (
        "items",
        "create delete deleteMultiple get list update updateMultiple",
    ),
    (
        "permissions",
        "create delete deleteMultiple get list update updateMultiple",
    ),
    (
        "presets",
        "create delete deleteMultiple get list update updateMultiple",
    ),
    ("revisions", "get list"),
    (
        "roles",
        "create delete deleteMultiple get list update updateMultiple",
    ),
    ("server", "getGraphQL getOpenAPI ping health info"),
    ("settings", "get update"),
    (
        "users",
        "create delete deleteMultiple get getCurrent list update updateMe updateMultiple",
    ),
    ("utils", "clearCache getRandomString sortItems"),
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
        "unknown node 'nope'; valid nodes: directus"
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
        node.operation("items", "upsert").unwrap_err().to_string(),
        "resource 'items' of node 'directus' has no operation 'upsert'; valid operations: create, delete, deleteMultiple, get, list, update, updateMultiple"
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
fn every_operation_schema_is_valid_draft_2020_12() {
    let registry = Registry::embedded().unwrap();
    for node in registry.nodes() {
        for op in node.operations() {
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
            "directus/auth.json#/properties/2/routing/send/value: expression \"={{ $json.a + }}\" does not parse: the expression ended too early",
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
            "/properties/0/options/15/value",
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
