//! `noderun`: run n8n items through a node, export node definitions and schemas.
//!
//! Thin glue over `noderun-definitions` (registry, schemas) and `noderun-executor` (runs), in
//! rooms with one job each, as ripgrep does it: what was typed ([`args`], clap) → what a run
//! needs, checked once ([`config`]: the node and its parameters, credentials, settings, files)
//! → the run ([`run`], with [`input`], [`output`], [`resume`], [`signals`]) → what it says at
//! the end and its exit code ([`report`]). The other subcommands are one module each
//! ([`describe`], [`export`], [`forms`], [`generate`], [`mcp`]), registered in [`Command`].

mod args;
mod config;
mod describe;
mod export;
mod forms;
mod generate;
mod input;
mod mcp;
mod output;
mod progress;
mod report;
mod requests;
mod resume;
mod run;
mod signals;
mod trigger;
mod workflow_settings;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};
use noderun_definitions::Registry;

use crate::report::fail;

/// What `noderun --help` says after the commands.
const MAIN_HELP: &str = "\
Examples:
  noderun describe                          the nodes
  noderun describe directus                 the Directus node's resources
  noderun describe directus auth            the operations of Authentication
  noderun describe directus auth login      Log In's parameters
  echo '{}' | noderun run directus --resource items --operation list \\
      --parameters '{\"collection\": \"articles\"}' --credentials creds.json

`noderun run --help` tells the run's options, outputs and exit codes.
Shell completions: noderun completions bash|zsh|fish; the manual: noderun man.";

/// What `noderun run --help` says after the options.
const RUN_HELP: &str = "\
Examples:
  # Log in every user of users.ndjson (each line {\"email\": …, \"password\": …})
  noderun run directus --resource auth --operation login --credentials creds.json \\
      --parameters '{\"email\": \"={{ $json.email }}\", \"password\": \"={{ $json.password }}\"}' \\
      < users.ndjson > tokens.ndjson
  # Every item of a collection, one output item per row
  echo '{}' | noderun run directus --resource items --operation list \\
      --parameters '{\"collection\": \"articles\", \"returnAll\": true}'
  # The requests a batch would send, without sending them
  noderun run directus --resource items --operation create --dry-run \\
      --parameters '{\"collection\": \"articles\", \"data\": \"={{ $json }}\"}' < new.ndjson
  # A node saved in an n8n workflow, failed items to their own file
  noderun run --workflow-node node.json --on-error continueErrorOutput --error-output failed.ndjson

Credentials: --credentials FILE (a JSON object of the credential's fields, for Directus
{\"url\": \"https://…\", \"accessToken\": \"…\"}), or DIRECTUS_URL and DIRECTUS_TOKEN.
Secrets are never accepted as command-line values: give them by expression from the items.

Exit codes:
  0        every item succeeded, or its failure was continued
  1        an item's failure stopped the run (no new item started)
  2        usage, input or definition error (before any item ran)
  3        an output could not be written (the items whose outputs were lost are listed)
  129 130 143  stopped by SIGHUP, SIGINT, SIGTERM";

#[derive(Parser)]
#[command(
    name = "noderun",
    version,
    about = "Run n8n-style workflow nodes on JSON items; describe and export their definitions",
    after_help = MAIN_HELP,
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

/// The subcommands: one module each.
#[derive(Subcommand)]
enum Command {
    /// Run items (NDJSON or a JSON array on stdin) through a node; outputs NDJSON on stdout.
    #[command(after_help = RUN_HELP)]
    Run(Box<args::RunArgs>),
    /// Describe the nodes, a node's resources, a resource's operations or an operation's
    /// parameters.
    Describe(describe::DescribeArgs),
    /// Print node descriptions in n8n's format (all nodes as a list, or one node).
    Definitions(export::DefinitionsArgs),
    /// Print an operation's JSON Schema (a trigger's: its parameters'), or write them all with
    /// --all --out DIR.
    Schema(export::SchemaArgs),
    /// Write a node's forms page: one self-contained HTML file (works over file://).
    Forms(forms::FormsArgs),
    /// Serve a node's operations as MCP tools for AI agents (stdio, or streamable HTTP with --listen).
    Mcp(Box<mcp::McpArgs>),
    /// Stream a service's changes as items on stdout (NDJSON), exactly once with --cursor.
    Trigger(Box<trigger::TriggerArgs>),
    /// Print a shell completion script (with the nodes, resources and operations).
    Completions(generate::CompletionsArgs),
    /// Print the man page (roff), or write every page with --out DIR.
    Man(generate::ManArgs),
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
        Command::Describe(args) => describe::describe(&registry, &args),
        Command::Mcp(args) => return mcp::run(registry, *args),
        Command::Trigger(args) => return trigger::run(registry, *args),
        Command::Definitions(args) => export::definitions(&registry, &args),
        Command::Schema(args) => export::schema(&registry, &args),
        Command::Forms(args) => forms::write(&registry, cli.definitions.as_deref(), &args),
        Command::Completions(args) => generate::completions(&registry, Cli::command(), &args),
        Command::Man(args) => generate::man(Cli::command(), &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
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
        .with_ansi(report::stderr_colour())
        .with_target(false)
        .init();
}
