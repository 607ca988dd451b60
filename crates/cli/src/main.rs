//! `noderun`: run n8n items through a node, export node definitions and schemas.
//!
//! Thin glue over `noderun-definitions` (registry, schemas) and `noderun-executor` (runs):
//! argument parsing, reading and writing NDJSON, logs, progress and exit codes.

mod forms;
mod input;
mod output;
mod resume;
mod run;
mod signals;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use noderun_definitions::{Registry, for_n8n, format_schema, sorted};

/// Exit code of usage, input and definition errors.
pub(crate) const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "noderun",
    version,
    about = "Run n8n-style workflow nodes on JSON items; export their definitions"
)]
struct Cli {
    /// More logs on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// A directory of extra definitions, laid out like node-definitions/ (replaces embedded files
    /// of the same path).
    #[arg(long, global = true, value_name = "DIR")]
    definitions: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run items (NDJSON or a JSON array on stdin) through a node; outputs NDJSON on stdout.
    Run(Box<run::RunArgs>),
    /// Print node descriptions in n8n's format (all nodes as a list, or one with --node).
    Definitions(DefinitionsArgs),
    /// Print an operation's JSON Schema, or write them all with --all --out DIR.
    Schema(SchemaArgs),
    /// Write a node's forms page: one self-contained HTML file (works over file://).
    Forms(forms::FormsArgs),
}

#[derive(Args)]
struct DefinitionsArgs {
    /// Only this node.
    #[arg(long)]
    node: Option<String>,
    /// Print the credential types instead of the nodes.
    #[arg(long)]
    credentials: bool,
    /// n8n's shape: noderun's format extensions removed, `displayName` and `name` first in
    /// every object instead of sorted keys (what the n8n community node package is built from).
    #[arg(long)]
    n8n: bool,
}

#[derive(Args)]
struct SchemaArgs {
    /// Node, e.g. directus.
    node: Option<String>,
    /// Resource, e.g. auth.
    resource: Option<String>,
    /// Operation, e.g. logout.
    operation: Option<String>,
    /// Every operation of every node.
    #[arg(long, requires = "out")]
    all: bool,
    /// Where --all writes `<node>/<resource>/<operation>.schema.json`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The schema of the definitions format itself.
    #[arg(long, conflicts_with_all = ["node", "all"])]
    format: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.verbose);
    let registry = match &cli.definitions {
        Some(dir) => Registry::with_directory(dir),
        None => Registry::embedded(),
    };
    let registry = match registry {
        Ok(r) => Arc::new(r),
        Err(e) => return fail(&e.to_string()),
    };
    let result = match cli.command {
        Command::Run(args) => return run::run(registry, *args),
        Command::Definitions(args) => definitions(&registry, &args),
        Command::Schema(args) => schema(&registry, &args),
        Command::Forms(args) => forms::write(&registry, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

pub(crate) fn fail(message: &str) -> ExitCode {
    eprintln!("noderun: error: {message}");
    ExitCode::from(EXIT_USAGE)
}

fn init_logs(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Prints JSON with sorted keys (stable, diffable output).
fn print_json(value: &serde_json::Value) -> Result<(), String> {
    print_in_order(&sorted(value))
}

/// Prints JSON in its own key order (schemas: properties in the order of the node description,
/// which form renderers follow).
fn print_in_order(value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    match writeln!(std::io::stdout().lock(), "{text}") {
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

fn definitions(registry: &Registry, args: &DefinitionsArgs) -> Result<(), String> {
    let exported = if args.credentials {
        serde_json::Value::Array(registry.credentials().map(value).collect())
    } else {
        match &args.node {
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

fn schema(registry: &Registry, args: &SchemaArgs) -> Result<(), String> {
    if args.format {
        return print_json(&format_schema());
    }
    if args.all {
        let out = args.out.as_ref().ok_or("--all needs --out DIR")?;
        let mut written = 0;
        for node in registry.nodes() {
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
    let (Some(node), Some(resource), Some(operation)) =
        (&args.node, &args.resource, &args.operation)
    else {
        return Err(
            "usage: noderun schema NODE RESOURCE OPERATION, or noderun schema --all --out DIR"
                .into(),
        );
    };
    let node = registry.node(node).map_err(|e| e.to_string())?;
    let op = node
        .operation(resource, operation)
        .map_err(|e| e.to_string())?;
    print_in_order(&op.schema)
}
