//! The forms page of `noderun forms` in a real browser: headless Chromium (Debian's
//! chromium-headless-shell) driven by playwright-core (`forms/test/browser.mjs`), for every
//! operation and switch state of the node. Each case the browser reports is checked against
//! noderun itself:
//!
//! - the form's own data is valid in the form (Ajv 2020), and `noderun run --dry-run` with the
//!   page's workflow node and input item (and, once per operation, with the page's command
//!   line) accepts it and prints the dry run the page showed (computed in the page by noderun's
//!   planner compiled to WebAssembly, crates/wasm);
//! - a form sets no value by itself but n8n's own top-level defaults (no collection field the
//!   user did not type in);
//! - the fields the form shows are exactly the parameters n8n shows in that state (our
//!   displayOptions resolution, which `crates/definitions/tests/n8n_parameters.rs` proves equal
//!   to n8n's `NodeHelpers.getNodeParameters`);
//! - every secret is a password input;
//! - JSON text that is not a JSON object is flagged by the form and refused by noderun alike.
//!
//! `scripts/test` installs Chromium and `forms/node_modules` and builds the page's planner first
//! (`scripts/forms-browser`).

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use noderun_definitions::Registry;
use noderun_definitions::display::visible_properties;
use noderun_definitions::model::{Property, PropertyType};
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

/// The stdout of `program args` run in `dir`, which must succeed.
fn output_of<A: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    program: &str,
    args: &[A],
    dir: &Path,
) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn node(dir: &Path, args: &[&str]) -> String {
    output_of("node", args, dir)
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
        "forms/dist/forms.html is stale: run scripts/forms-wasm, then `node build.mjs` in forms/, and commit it"
    );
}

/// The Rust files the planner's WebAssembly is built from, relative to the checkout, sorted as
/// scripts/forms-wasm sorts them: each crate's Cargo.toml, build.rs and `src/`.
fn planner_sources(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let path = format!("{dir}/{}", entry.file_name().to_str().unwrap());
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for krate in ["wasm", "plan", "definitions", "expression"] {
        let krate = format!("crates/{krate}");
        files.push(format!("{krate}/Cargo.toml"));
        if root.join(&krate).join("build.rs").exists() {
            files.push(format!("{krate}/build.rs"));
        }
        walk(root, &format!("{krate}/src"), &mut files);
    }
    files.sort();
    files
}

#[test]
fn the_planner_is_built_from_the_current_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let now = output_of("sha256sum", &planner_sources(&root), &root);
    let built = std::fs::read_to_string(root.join("forms/build/planner.sources")).unwrap();
    let (now, built): (BTreeSet<&str>, BTreeSet<&str>) =
        (now.lines().collect(), built.lines().collect());
    let changed: BTreeSet<&str> = now
        .symmetric_difference(&built)
        .map(|line| line.split_once("  ").map_or(*line, |(_, path)| path))
        .collect();
    assert!(
        changed.is_empty(),
        "forms/build/planner.wasm was built from other sources than these ({changed:?} differ from \
         forms/build/planner.sources): run scripts/forms-wasm, then `node build.mjs` in forms/, and \
         commit forms/build and forms/dist"
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
    let seen: BTreeSet<String> = cases
        .iter()
        .map(|case| {
            format!(
                "{} {} {}",
                case["resource"].as_str().unwrap(),
                case["operation"].as_str().unwrap(),
                case["mode"].as_str().unwrap()
            )
        })
        .collect();
    // Each case is a noderun process or two: the cases run on every core.
    let commanded = Mutex::new(BTreeSet::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    std::thread::scope(|scope| {
        for t in 0..threads {
            let case_check = CaseCheck {
                properties,
                credentials: &credentials,
                workflow_node: work.join(format!("node-{t}.json")),
                commanded: &commanded,
            };
            let cases = &cases;
            scope.spawn(move || {
                for case in cases.iter().skip(t).step_by(threads) {
                    case_check.check(case);
                }
            });
        }
    });
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

/// What checking one case of the browser needs.
struct CaseCheck<'a> {
    properties: &'a [Property],
    credentials: &'a Path,
    /// This thread's file for the case's workflow node.
    workflow_node: PathBuf,
    /// The operations whose command line was run already.
    commanded: &'a Mutex<BTreeSet<String>>,
}

impl CaseCheck<'_> {
    fn check(&self, case: &Value) {
        let CaseCheck {
            properties,
            credentials,
            workflow_node,
            commanded,
        } = self;
        let what = format!(
            "{} {} {} in state {}",
            case["resource"], case["operation"], case["mode"], case["state"]
        );

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
                    return;
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

        std::fs::write(workflow_node, case["workflowNode"].to_string()).unwrap();
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
            return;
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
        assert_eq!(items[0]["json"], case["request"], "{what}: the dry run");

        // The command line the page shows means the same (checked once per operation: each
        // run costs a process start).
        let operation = format!("{} {}", case["resource"], case["operation"]);
        if case["mode"] != "all" || !commanded.lock().unwrap().insert(operation) {
            return;
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
}

/// What the Directus Trigger's page shows after each step of `forms/test/trigger.mjs`: the form
/// data, the form's errors, the command line (and what the page shows in its place), the
/// workflow node n8n imports.
fn trigger_step(step: &str, form_data: Value, errors: &[&str], command: &[&str]) -> Value {
    let command = command.join(" \\\n    ");
    let mut parameters = json!({"pollTimes": {"item": [{"mode": "everyMinute"}]}});
    parameters
        .as_object_mut()
        .unwrap()
        .extend(form_data.as_object().unwrap().clone());
    let fields = [
        "root_collections input",
        "root_events select multiple",
        "root_options_fields input",
        "root_options_filter textarea",
    ];
    json!({
        "step": step,
        "shown": fields,
        "formData": form_data,
        "errors": errors,
        "workflowNode": {
            "parameters": parameters,
            "name": "Directus Trigger",
            "type": "n8n-nodes-noderun.directusTrigger",
            "typeVersion": 1,
            "position": [0, 0],
            "credentials": {"directusApi": {"id": "1", "name": "Directus API account"}},
        },
        "command": command,
        "commandShown": if errors.is_empty() {
            command.clone()
        } else {
            "none: noderun refuses parameters the form flags".to_string()
        },
    })
}

#[test]
fn the_trigger_page_draws_its_parameters_in_headless_chromium() {
    let dir = forms_dir();
    let work = scratch("trigger");
    let written = noderun(
        &["forms", "directusTrigger", "--out", work.to_str().unwrap()],
        "",
    );
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert_eq!(
        written.stderr.trim(),
        format!(
            "noderun: wrote {}",
            work.join("directusTrigger.html").display()
        )
    );
    let page = work.join("directusTrigger.html");
    let steps = parse_lines(&node(&dir, &["test/trigger.mjs", page.to_str().unwrap()]));

    let all = json!(["create", "update", "delete"]);
    let two = json!(["create", "update"]);
    let chosen =
        json!({"fields": "id,title,author.name", "filter": r#"{"status": {"_eq": "published"}}"#});
    let quoted =
        json!({"fields": "id,title,author.name", "filter": r#"{"title": {"_contains": "it's"}}"#});
    let collections = "articles, directus_users";
    let no_collection = "collections must have required property 'Collections'";
    let no_event = ".events must NOT have fewer than 1 items";
    let expected = [
        trigger_step(
            "opened",
            json!({"events": all}),
            &[no_collection],
            &[
                "noderun trigger directus",
                "--events create,update,delete",
                "--credentials creds.json",
            ],
        ),
        trigger_step(
            "collections",
            json!({"collections": collections, "events": all}),
            &[],
            &[
                "noderun trigger directus",
                "--collection articles",
                "--collection directus_users",
                "--events create,update,delete",
                "--credentials creds.json",
            ],
        ),
        trigger_step(
            "events",
            json!({"collections": collections, "events": two}),
            &[],
            &[
                "noderun trigger directus",
                "--collection articles",
                "--collection directus_users",
                "--events create,update",
                "--credentials creds.json",
            ],
        ),
        trigger_step(
            "options",
            json!({"collections": collections, "events": two, "options": chosen}),
            &[],
            &[
                "noderun trigger directus",
                "--collection articles",
                "--collection directus_users",
                "--events create,update",
                "--fields id,title,author.name",
                r#"--filter '{"status": {"_eq": "published"}}'"#,
                "--credentials creds.json",
            ],
        ),
        trigger_step(
            "bad filter",
            json!({"collections": collections, "events": two,
                   "options": {"fields": "id,title,author.name", "filter": r#"{"status": "draft",}"#}}),
            &[".options.filter must be a JSON object (text holding one)"],
            &[
                "noderun trigger directus",
                "--collection articles",
                "--collection directus_users",
                "--events create,update",
                "--fields id,title,author.name",
                r#"--filter '{"status": "draft",}'"#,
                "--credentials creds.json",
            ],
        ),
        trigger_step(
            "no events",
            json!({"collections": collections, "events": [], "options": quoted}),
            &[no_event],
            &[
                "noderun trigger directus",
                "--collection articles",
                "--collection directus_users",
                "--fields id,title,author.name",
                r#"--filter '{"title": {"_contains": "it'\''s"}}'"#,
                "--credentials creds.json",
            ],
        ),
        trigger_step(
            "no collections",
            json!({"events": [], "options": quoted}),
            &[no_collection, no_event],
            &[
                "noderun trigger directus",
                "--fields id,title,author.name",
                r#"--filter '{"title": {"_contains": "it'\''s"}}'"#,
                "--credentials creds.json",
            ],
        ),
    ];
    assert_eq!(steps.len(), expected.len(), "{steps:#?}");
    for (step, expected) in steps.iter().zip(&expected) {
        assert_eq!(step, expected);
    }

    // The page's form is `noderun schema directusTrigger`, and noderun's validator agrees with
    // the page's on every step (n8n's Poll Times aside, which n8n adds to every polling node).
    let schema = noderun(&["schema", "directusTrigger"], "");
    assert_eq!(schema.code, 0, "{}", schema.stderr);
    let schema: Value = serde_json::from_str(&schema.stdout).unwrap();
    assert_eq!(schema["$id"], "urn:noderun:directusTrigger");
    assert_eq!(schema["required"], json!(["collections", "events"]));
    let registry = Registry::embedded().unwrap();
    let parameters = registry
        .node("directusTrigger")
        .unwrap()
        .parameters()
        .unwrap();
    assert_eq!(parameters.schema, schema);
    for step in &steps {
        let mut values = step["workflowNode"]["parameters"].clone();
        values.as_object_mut().unwrap().remove("pollTimes");
        assert_eq!(
            parameters.validate(&values).is_ok(),
            step["errors"] == json!([]),
            "{}: {:?}",
            step["step"],
            parameters.validate(&values)
        );
    }

    // The shell reads the command lines as the words the page meant (`noderun` stands in
    // for the command: the words it receives are printed).
    for (step, words) in [
        (
            3,
            vec![
                "trigger",
                "directus",
                "--collection",
                "articles",
                "--collection",
                "directus_users",
                "--events",
                "create,update",
                "--fields",
                "id,title,author.name",
                "--filter",
                r#"{"status": {"_eq": "published"}}"#,
                "--credentials",
                "creds.json",
            ],
        ),
        (
            5,
            vec![
                "trigger",
                "directus",
                "--collection",
                "articles",
                "--collection",
                "directus_users",
                "--fields",
                "id,title,author.name",
                "--filter",
                r#"{"title": {"_contains": "it's"}}"#,
                "--credentials",
                "creds.json",
            ],
        ),
    ] {
        let command = steps[step]["command"].as_str().unwrap();
        let shell = Command::new("sh")
            .args([
                "-c",
                &format!("noderun() {{ printf '%s\\n' \"$@\"; }}\n{command}"),
            ])
            .output()
            .unwrap();
        assert!(shell.status.success(), "{command}");
        assert_eq!(
            String::from_utf8(shell.stdout).unwrap(),
            words.join("\n") + "\n",
            "{command}"
        );
    }
}
