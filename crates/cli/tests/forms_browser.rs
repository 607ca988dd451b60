//! The forms page of `noderun forms` in a real browser: headless Chromium (Debian's
//! chromium-headless-shell) driven by playwright-core (`forms/test/browser.mjs`), for every
//! operation and switch state of the node. Each case the browser reports is checked against
//! noderun itself:
//!
//! - the form's own data is valid in the form (Ajv 2020), and `noderun run --dry-run` with the
//!   page's workflow node and input item (and, once per operation, with the page's command
//!   line) accepts it and prints the request the page showed (with `files` for an upload);
//! - a form sets no value by itself but n8n's own top-level defaults (no collection field the
//!   user did not type in);
//! - the fields the form shows are exactly the parameters n8n shows in that state (our
//!   displayOptions resolution, which `crates/definitions/tests/n8n_parameters.rs` proves equal
//!   to n8n's `NodeHelpers.getNodeParameters`);
//! - every secret is a password input;
//! - JSON text that is not a JSON object is flagged by the form and refused by noderun alike.
//!
//! `scripts/test` installs Chromium and `forms/node_modules` first (`scripts/forms-browser`).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use noderun_definitions::Registry;
use noderun_definitions::display::visible_properties;
use noderun_definitions::model::PropertyType;
use serde_json::{Map, Value, json};

use support::{noderun, parse_lines};

fn forms_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "forms/node_modules is not installed: run scripts/test (or scripts/forms-browser install)"
    );
    dir
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("forms_browser")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn node(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("node")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "node {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_embedded_page_is_built_from_the_current_sources() {
    let dir = forms_dir();
    let out = scratch("build").join("forms.html");
    node(&dir, &["build.mjs", out.to_str().unwrap()]);
    let fresh = std::fs::read_to_string(&out).unwrap();
    let shipped = std::fs::read_to_string(dir.join("dist/forms.html")).unwrap();
    assert!(
        fresh == shipped,
        "forms/dist/forms.html is stale: run `node build.mjs` in forms/ and commit it"
    );
}

#[test]
fn every_operation_and_switch_state_works_in_headless_chromium() {
    let dir = forms_dir();
    let work = scratch("cases");
    let written = noderun(
        &[
            "forms",
            "--node",
            "directus",
            "--out",
            work.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert_eq!(
        written.stderr.trim(),
        format!("noderun: wrote {}", work.join("directus.html").display())
    );
    let page = work.join("directus.html");
    let cases = parse_lines(&node(&dir, &["test/browser.mjs", page.to_str().unwrap()]));

    let registry = Registry::embedded().unwrap();
    let directus = registry.node("directus").unwrap();
    let properties = &directus.description.properties;
    let credentials = work.join("creds.json");
    std::fs::write(&credentials, r#"{"url": "https://directus.example.com"}"#).unwrap();
    let workflow_node = work.join("node.json");
    let mut seen = BTreeSet::new();
    let mut commanded = BTreeSet::new();
    for case in &cases {
        let what = format!(
            "{} {} {} in state {}",
            case["resource"], case["operation"], case["mode"], case["state"]
        );
        seen.insert(format!(
            "{} {} {}",
            case["resource"].as_str().unwrap(),
            case["operation"].as_str().unwrap(),
            case["mode"].as_str().unwrap()
        ));

        let state: Map<String, Value> = case["state"].as_object().unwrap().clone();
        // What n8n shows for the form's data (switches it does not hold take their defaults).
        let form_data = case["formData"].as_object().unwrap();
        let expected: BTreeSet<&str> = visible_properties(properties, form_data)
            .into_iter()
            .map(|i| &properties[i])
            .filter(|p| p.kind != PropertyType::Notice)
            .map(|p| p.name.as_str())
            .collect();
        let shown: BTreeSet<&str> = case["shown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(shown, expected, "{what}: the fields shown");
        if case["mode"] == "required" {
            // The form sets nothing a user did not: the switches, the required fields typed in,
            // and what n8n fills in anyway (top-level defaults); no collection field.
            for (name, value) in form_data {
                let p = visible_properties(properties, form_data)
                    .into_iter()
                    .map(|i| &properties[i])
                    .find(|p| &p.name == name)
                    .unwrap_or_else(|| {
                        panic!("{what}: the form data has {name}, which is not shown")
                    });
                if state.contains_key(name) || p.required {
                    continue;
                }
                if p.kind == PropertyType::Collection {
                    // Only the required fields the driver typed in.
                    for key in value.as_object().into_iter().flat_map(|m| m.keys()) {
                        assert!(
                            p.sub_properties().any(|s| &s.name == key && s.required),
                            "{what}: the form set {name}.{key} by itself"
                        );
                    }
                } else {
                    assert_eq!(value, &p.default, "{what}: the form set {name} by itself");
                }
            }
        }
        for secret in case["secrets"].as_array().unwrap() {
            assert_eq!(secret["type"], "password", "{what}: {secret}");
        }

        std::fs::write(&workflow_node, case["workflowNode"].to_string()).unwrap();
        // The input item the page shows (with a sample binary property when the operation
        // uploads one), as the dry run the page describes reads it.
        assert!(case["item"].is_object(), "{what}: the input item");
        let run = noderun(
            &[
                "run",
                "--workflow-node",
                workflow_node.to_str().unwrap(),
                "--credentials",
                credentials.to_str().unwrap(),
                "--dry-run",
                "-q",
            ],
            format!("{}\n", case["item"]),
        );
        if case["mode"] == "bad-json" {
            let field = case["field"].as_str().unwrap();
            let flagged = case["errors"].as_array().unwrap();
            assert!(
                flagged.len() == 1
                    && flagged[0].as_str().is_some_and(|m| {
                        m.starts_with(&format!(".{field} must be a JSON "))
                            && m.ends_with(" (text holding one)")
                    }),
                "{what}: the form flags the bad JSON text: {flagged:?}"
            );
            assert_eq!(run.code, 1, "{what}: {}", run.stderr);
            assert!(
                run.stderr
                    .contains(&format!("Parameter '{field}' must be a JSON "))
                    && run.stderr.contains("got text that is not valid JSON"),
                "{what}: {}",
                run.stderr
            );
            continue;
        }
        assert_eq!(
            case["errors"],
            json!([]),
            "{what}: the form's own data is valid"
        );
        assert_eq!(case["requestError"], Value::Null, "{what}");
        assert_eq!(
            run.code, 0,
            "{what}: noderun refused {}: {}",
            case["workflowNode"], run.stderr
        );
        let items = run.items();
        assert_eq!(items.len(), 1, "{what}: {}", run.stdout);
        assert_eq!(
            items[0]["json"], case["request"],
            "{what}: the dry-run request"
        );

        // The command line the page shows means the same (checked once per operation: each
        // run costs a process start).
        let operation = format!("{} {}", case["resource"], case["operation"]);
        if case["mode"] != "all" || !commanded.insert(operation) {
            continue;
        }
        let command = case["command"]
            .as_str()
            .unwrap()
            .replace("creds.json", credentials.to_str().unwrap());
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_noderun")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let shell = Command::new("sh")
            .args(["-c", &command])
            .env("PATH", path)
            .env_remove("DIRECTUS_URL")
            .env_remove("DIRECTUS_TOKEN")
            .output()
            .unwrap();
        assert!(shell.status.success(), "{what}: {command}");
        let items = parse_lines(&String::from_utf8(shell.stdout).unwrap());
        assert_eq!(items[0]["json"], case["request"], "{what}: {command}");
    }
    let operations: BTreeSet<(&str, &str)> = directus
        .operations()
        .iter()
        .map(|o| (o.resource.as_str(), o.operation.as_str()))
        .collect();
    for (resource, operation) in operations {
        for mode in ["required", "all"] {
            assert!(
                seen.contains(&format!("{resource} {operation} {mode}")),
                "no {mode} case for {resource} {operation}"
            );
        }
    }
}
