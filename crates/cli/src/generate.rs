//! `noderun completions SHELL` and `noderun man`: shell completions and man pages, generated
//! from the same clap definition that parses the arguments (clap_complete, clap_mangen).
//!
//! The completions also offer the registry's node, resource and operation names wherever one is
//! expected (`run directus --resource <TAB>`, `describe directus <TAB>`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Command};
use noderun_definitions::Registry;

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    shell: clap_complete::Shell,
}

#[derive(Args)]
pub(crate) struct ManArgs {
    /// Write `noderun.1` and one page per subcommand (`noderun-run.1`, …) into this directory
    /// instead of printing `noderun.1`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Prints the completion script for a shell.
pub(crate) fn completions(
    registry: &Registry,
    command: Command,
    args: &CompletionsArgs,
) -> Result<(), String> {
    let mut command = with_registry_values(command, registry);
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "noderun", &mut script);
    crate::export::print_text(&String::from_utf8_lossy(&script))
}

/// Prints the man page, or writes every page into a directory.
pub(crate) fn man(command: Command, args: &ManArgs) -> Result<(), String> {
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .map_err(|e| format!("cannot write the man pages into {}: {e}", dir.display()))?;
            crate::report::note(&format!(
                "noderun: wrote the man pages to {}",
                dir.display()
            ));
            Ok(())
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| format!("cannot render the man page: {e}"))?;
            match std::io::stdout().lock().write_all(&page) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write the output: {e}"))
                }
                _ => Ok(()),
            }
        }
    }
}

/// The command with the registry's names as the values of the node, resource and operation
/// arguments, for completion only (parsing stays open: `--definitions` may add names).
fn with_registry_values(command: Command, registry: &Registry) -> Command {
    let mut nodes = BTreeMap::new();
    let mut resources = BTreeMap::new();
    let mut operations = BTreeMap::new();
    for node in registry.nodes() {
        let d = &node.description;
        nodes.insert(d.name.clone(), d.display_name.clone());
        for op in node.operations() {
            resources
                .entry(op.resource.clone())
                .or_insert_with(|| crate::describe::resource_name(node, &op.resource));
            operations
                .entry(op.operation.clone())
                .or_insert_with(|| op.display_name.clone());
        }
    }
    let mut command = command;
    for (sub, args) in [
        ("run", &["node", "resource", "operation"][..]),
        ("describe", &["node", "resource", "operation"]),
        ("schema", &["node", "resource", "operation"]),
        ("definitions", &["node"]),
        ("forms", &["node"]),
    ] {
        command = command.mut_subcommand(sub, |mut c| {
            for arg in args {
                let names = match *arg {
                    "node" => &nodes,
                    "resource" => &resources,
                    _ => &operations,
                };
                let parser = PossibleValuesParser::new(
                    names
                        .iter()
                        .map(|(value, help)| PossibleValue::new(value.clone()).help(help.clone())),
                );
                c = c.mut_arg(*arg, |a| a.value_parser(parser));
            }
            c
        });
    }
    command
}
