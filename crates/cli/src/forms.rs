//! `noderun forms`: a node's forms page, one self-contained HTML file.
//!
//! The page (react-jsonschema-form with Ajv 2020, bundled by esbuild from `forms/`) is
//! embedded prebuilt; this command fills in the node description and, per operation, its
//! schema and switch states with the properties each shows (from the registry, so the page
//! follows `--definitions`); for a trigger, its parameters' schema and states and the command
//! line they become. See docs/forms.md.

use std::path::{Path, PathBuf};

use clap::Args;
use noderun_definitions::display::Visibility;
use noderun_definitions::{Operation, Registry};
use serde_json::{Map, Value, json};

/// The built page (`forms/dist/forms.html`); the tests check it is current with `forms/src`.
const PAGE: &str = include_str!("../../../forms/dist/forms.html");

#[derive(Args)]
pub(crate) struct FormsArgs {
    /// Node, e.g. directus.
    #[arg(value_name = "NODE", required_unless_present = "node_flag")]
    node: Option<String>,
    /// The former spelling of NODE, still accepted.
    #[arg(
        long = "node",
        hide = true,
        conflicts_with = "node",
        value_name = "NODE"
    )]
    node_flag: Option<String>,
    /// Directory to write `<node>.html` into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// The page's data: the node description, its credential types, and every operation with its
/// schema and states, and the definition files of the node and the credential types
/// (`definitions`: path → JSON) for the planner the page runs (crates/wasm); for a trigger (no
/// operations) its parameters' schema and states and the command line they become
/// (`commandLine`).
fn page_data(registry: &Registry, definitions: Option<&Path>, node: &str) -> Result<Value, String> {
    let node = registry.node(node).map_err(|e| e.to_string())?;
    let visibility = Visibility::new(&node.description.properties);
    let form = |op: &Operation| {
        let states: Vec<Value> = op
            .states
            .iter()
            .map(|s| json!({"values": s, "visible": visibility.visible(s)}))
            .collect();
        json!({
            "resource": op.resource,
            "operation": op.operation,
            "name": op.display_name,
            "schema": op.schema,
            "states": states,
        })
    };
    let operations: Vec<Value> = node.operations().iter().map(form).collect();
    let credential_types: Vec<Value> = node
        .description
        .credentials
        .iter()
        .filter_map(|c| registry.credential(&c.name))
        .map(|c| json!({"name": c.name, "displayName": c.display_name}))
        .collect();
    let mut data = json!({
        "node": node.description,
        "credentialTypes": credential_types,
        "operations": operations,
    });
    if let Some(parameters) = node.parameters() {
        data["parameters"] = form(parameters);
        data["commandLine"] = json!(node.description.command_line);
    } else {
        data["definitions"] = node_files(definitions, &node.description.name)?;
    }
    Ok(data)
}

/// The definition files a run of `node` loads: the node's own (not the compat files of other
/// packages' node types) and the credential types', as path → JSON.
fn node_files(definitions: Option<&Path>, node: &str) -> Result<Value, String> {
    let own = format!("{node}/");
    let compat = format!("{node}/compat/");
    let mut files = Map::new();
    for (path, text) in Registry::sources(definitions).map_err(|e| e.to_string())? {
        if (path.starts_with(&own) && !path.starts_with(&compat))
            || path.starts_with("credentials/")
        {
            let value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
            files.insert(path, value);
        }
    }
    Ok(Value::Object(files))
}

pub(crate) fn write(
    registry: &Registry,
    definitions: Option<&Path>,
    args: &FormsArgs,
) -> Result<(), String> {
    let node = args
        .node
        .as_deref()
        .or(args.node_flag.as_deref())
        .unwrap_or_default();
    let data = page_data(registry, definitions, node)?;
    // `<` only occurs inside JSON strings, where `\u003c` means the same: no `</script>` ends
    // the data block early.
    let text = data.to_string().replace('<', "\\u003c");
    let page = PAGE.replacen("__NODERUN_DATA__", &text, 1);
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let path = args.out.join(format!("{node}.html"));
    std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("noderun: wrote {}", path.display());
    Ok(())
}
