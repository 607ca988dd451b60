//! `noderun definitions` and `noderun schema`: the node descriptions in n8n's format and the
//! operations' JSON Schemas, as JSON on stdout (or files).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use noderun_definitions::{Registry, for_n8n, format_schema, sorted};

use crate::describe::OperationPath;

#[derive(Args)]
pub(crate) struct DefinitionsArgs {
    /// Only this node, e.g. directus.
    #[arg(value_name = "NODE")]
    node: Option<String>,
    /// The former spelling of NODE, still accepted.
    #[arg(
        long = "node",
        hide = true,
        conflicts_with = "node",
        value_name = "NODE"
    )]
    node_flag: Option<String>,
    /// Print the credential types instead of the nodes.
    #[arg(long)]
    credentials: bool,
    /// n8n's shape: noderun's format extensions removed, `displayName` and `name` first in
    /// every object instead of sorted keys (what the n8n community node package is built from).
    #[arg(long)]
    n8n: bool,
}

#[derive(Args)]
pub(crate) struct SchemaArgs {
    #[command(flatten)]
    path: OperationPath,
    /// Every operation of every node.
    #[arg(long, requires = "out")]
    all: bool,
    /// Where --all writes `<node>/<resource>/<operation>.schema.json` (a trigger's:
    /// `<node>/parameters.schema.json`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The schema of the definitions format itself.
    #[arg(long, conflicts_with_all = ["node", "all"])]
    format: bool,
}

/// Prints JSON with sorted keys (stable, diffable output).
fn print_json(value: &serde_json::Value) -> Result<(), String> {
    print_in_order(&sorted(value))
}

/// Prints JSON in its own key order (schemas: properties in the order of the node description,
/// which form renderers follow).
pub(crate) fn print_in_order(value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())? + "\n";
    print_text(&text)
}

/// Prints text on stdout.
pub(crate) fn print_text(text: &str) -> Result<(), String> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the output: {e}"))
        }
        _ => Ok(()),
    }
}

fn value<T: serde::Serialize>(t: &T) -> serde_json::Value {
    serde_json::to_value(t).unwrap_or_default()
}

pub(crate) fn definitions(registry: &Registry, args: &DefinitionsArgs) -> Result<(), String> {
    let exported = if args.credentials {
        serde_json::Value::Array(registry.credentials().map(value).collect())
    } else {
        match args.node.as_ref().or(args.node_flag.as_ref()) {
            Some(name) => value(&registry.node(name).map_err(|e| e.to_string())?.description),
            None => {
                serde_json::Value::Array(registry.nodes().map(|n| value(&n.description)).collect())
            }
        }
    };
    if args.n8n {
        print_in_order(&for_n8n(&exported))
    } else {
        print_json(&exported)
    }
}

pub(crate) fn schema(registry: &Registry, args: &SchemaArgs) -> Result<(), String> {
    if args.format {
        return print_json(&format_schema());
    }
    if args.all {
        let out = args.out.as_ref().ok_or("--all needs --out DIR")?;
        let mut written = 0;
        for node in registry.nodes() {
            if let Some(parameters) = node.parameters() {
                let dir = out.join(&node.description.name);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let path = dir.join("parameters.schema.json");
                let text = serde_json::to_string_pretty(&parameters.schema)
                    .map_err(|e| e.to_string())?
                    + "\n";
                std::fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                written += 1;
            }
            for op in node.operations() {
                let dir = out.join(&node.description.name).join(&op.resource);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let path = dir.join(format!("{}.schema.json", op.operation));
                let text =
                    serde_json::to_string_pretty(&op.schema).map_err(|e| e.to_string())? + "\n";
                std::fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                written += 1;
            }
        }
        eprintln!("noderun: wrote {written} schemas to {}", out.display());
        return Ok(());
    }
    let path = &args.path;
    let Some(node_name) = &path.node else {
        return Err(
            "name an operation: noderun schema NODE RESOURCE OPERATION (or --all --out DIR, or --format); `noderun describe` lists the nodes"
                .into(),
        );
    };
    let node = registry.node(node_name).map_err(|e| e.to_string())?;
    if let Some(parameters) = node.parameters() {
        // a trigger has no operations: its parameters are one schema
        if let Some(extra) = path.resource.as_ref() {
            return Err(format!(
                "'{node_name}' is a trigger and has no resources or operations, so '{extra}' names nothing: noderun schema {node_name}"
            ));
        }
        return print_in_order(&parameters.schema);
    }
    let Some(resource) = &path.resource else {
        return Err(format!(
            "name a resource and an operation: noderun schema {node_name} RESOURCE OPERATION; `noderun describe {node_name}` lists the resources"
        ));
    };
    let operations = node.resource(resource).map_err(|e| e.to_string())?;
    let Some(operation) = &path.operation else {
        let names: Vec<&str> = operations.iter().map(|o| o.operation.as_str()).collect();
        return Err(format!(
            "name an operation: noderun schema {node_name} {resource} OPERATION, one of: {}",
            names.join(", ")
        ));
    };
    let op = node
        .operation(resource, operation)
        .map_err(|e| e.to_string())?;
    print_in_order(&op.schema)
}
