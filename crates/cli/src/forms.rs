//! `noderun forms`: a node's forms page, one self-contained HTML file.
//!
//! The page (react-jsonschema-form with Ajv 2020, bundled by esbuild from `forms/`) is
//! embedded prebuilt; this command fills in the node description and, per operation, its
//! schema and switch states with the properties each shows (from the registry, so the page
//! follows `--definitions`). See docs/forms.md.

use std::path::PathBuf;

use clap::Args;
use noderun_definitions::Registry;
use noderun_definitions::display::Visibility;
use serde_json::{Value, json};

/// The built page (`forms/dist/forms.html`); the tests check it is current with `forms/src`.
const PAGE: &str = include_str!("../../../forms/dist/forms.html");

#[derive(Args)]
pub(crate) struct FormsArgs {
    /// Node, e.g. directus.
    #[arg(long)]
    node: String,
    /// Directory to write `<node>.html` into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// The page's data: the node description and every operation with its schema and states.
fn page_data(registry: &Registry, node: &str) -> Result<Value, String> {
    let node = registry.node(node).map_err(|e| e.to_string())?;
    let visibility = Visibility::new(&node.description.properties);
    let operations: Vec<Value> = node
        .operations()
        .iter()
        .map(|op| {
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
        })
        .collect();
    Ok(json!({"node": node.description, "operations": operations}))
}

pub(crate) fn write(registry: &Registry, args: &FormsArgs) -> Result<(), String> {
    let data = page_data(registry, &args.node)?;
    // `<` only occurs inside JSON strings, where `\u003c` means the same: no `</script>` ends
    // the data block early.
    let text = data.to_string().replace('<', "\\u003c");
    let page = PAGE.replacen("__NODERUN_DATA__", &text, 1);
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let path = args.out.join(format!("{}.html", args.node));
    std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("noderun: wrote {}", path.display());
    Ok(())
}
