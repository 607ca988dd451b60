//! What a run needs, validated once: the node and its parameters (from the command line, a
//! workflow or a workflow node), the credentials, the settings, what expressions see, and where
//! items come from and go.
//!
//! [`RunConfig::new`] is the one place arguments are checked; whatever runs after it (`run`,
//! and the subcommands that reuse the argument groups) works from checked values. Each source
//! has its own module: [`node`] (which node, its parameters, an exported workflow node's
//! settings), [`credentials`], [`settings`], [`expressions`], [`io`].

pub(crate) mod credentials;
pub(crate) mod expressions;
pub(crate) mod io;
pub(crate) mod node;
pub(crate) mod settings;

use std::io::IsTerminal;
use std::time::Duration;

use noderun_definitions::Registry;
use noderun_executor::{Invocation, OnError};

use crate::args::{RunArgs, SettingsArgs};

/// Everything `noderun run` needs, checked.
pub(crate) struct RunConfig {
    /// The node, its parameters, credentials and settings.
    pub(crate) invocation: Invocation,
    /// What expressions see beyond the item.
    pub(crate) expressions: expressions::Expressions,
    /// The workflow node's settings that shape the run as a whole.
    pub(crate) node_settings: NodeSettings,
    /// The input, the outputs and the resume files.
    pub(crate) io: io::Io,
    /// How long the items in flight get after a stop.
    pub(crate) grace: Duration,
    /// No progress and no summary.
    pub(crate) quiet: bool,
    /// The run changes nothing on the server: a dry run, or an operation that only reads.
    pub(crate) read_only: bool,
}

/// n8n's node settings that act on the run as a whole, not on each item.
#[derive(Clone, Copy, Default)]
pub(crate) struct NodeSettings {
    /// `executeOnce`: only the first input item runs (the node sees no other).
    pub(crate) execute_once: bool,
    /// `alwaysOutputData`: a run without output items outputs one empty item.
    pub(crate) always_output_data: bool,
    /// `disabled`: the items pass through untouched; nothing is sent.
    pub(crate) disabled: bool,
}

impl RunConfig {
    pub(crate) fn new(args: RunArgs, registry: &Registry) -> Result<RunConfig, String> {
        let node = node::Node::new(&args.node, registry)?;
        let node_settings = node
            .workflow
            .as_ref()
            .map_or_else(NodeSettings::default, |w| NodeSettings {
                execute_once: w.execute_once,
                always_output_data: w.always_output_data,
                disabled: w.disabled,
            });
        let expressions = expressions::Expressions::new(&args.expressions, &node)?;
        let invocation = invocation(
            node,
            &args.credentials,
            &args.settings,
            args.io.error_output.is_some(),
            registry,
            // A disabled node sends nothing: it needs no credentials.
            !node_settings.disabled,
        )?;
        let Ok(grace) = Duration::try_from_secs_f64(args.grace) else {
            return Err("--grace must be a number of seconds, 0 or more".into());
        };
        let read_only = invocation.settings.dry_run || reads_only(registry, &invocation);
        Ok(RunConfig {
            invocation,
            expressions,
            node_settings,
            io: io::Io::new(args.io)?,
            grace,
            quiet: args.quiet,
            read_only,
        })
    }
}

/// The node, its parameters, credentials and settings: the command line over a workflow node.
/// `with_credentials: false` for a run that sends nothing (a disabled node).
pub(crate) fn invocation(
    node: node::Node,
    credentials: &crate::args::CredentialArgs,
    settings: &SettingsArgs,
    has_error_output: bool,
    registry: &Registry,
    with_credentials: bool,
) -> Result<Invocation, String> {
    // A workflow node names its type (`n8n-nodes-noderun.directus`,
    // `@directus/n8n-nodes-directus.directus`): the registry knows which node runs it. Another
    // package's node (a compat mapping) has that node's parameters, checked per item.
    let ours = registry
        .node_type(&node.name)
        .ok()
        .filter(|t| t.compat.is_none())
        .map(|t| t.node);
    if let Some(n) = ours {
        if n.description.polling {
            let (command, help) = crate::describe::trigger_usage(&n.description);
            return Err(format!(
                "'{}' is a trigger: it starts on changes rather than on items; follow them with `{command}` ({help})",
                node.name
            ));
        }
        node.check_required(n)?;
        // Said to a person at a terminal (scripts and their logs stay as they are).
        if std::io::stderr().is_terminal() {
            for secret in node.typed_secrets(&n.description.properties) {
                let last = secret.rsplit('.').next().unwrap_or(&secret);
                crate::report::warning(&format!(
                    "--parameters gives the secret '{secret}' as a literal: other users of this machine can read it in the process list, and the shell's history keeps it; take it from the items by expression (\"{last}\": \"={{{{ $json.{last} }}}}\") or put the parameters in a file (--parameters @FILE)"
                ));
            }
        }
    }
    let node::Node {
        name,
        parameters,
        workflow,
        ..
    } = node;
    let settings = settings::settings(settings, workflow.as_ref())?;
    if settings.on_error == OnError::ContinueErrorOutput && !has_error_output {
        return Err("onError continueErrorOutput needs --error-output FILE".into());
    }
    Ok(Invocation {
        credentials: if with_credentials {
            credentials::credentials(credentials, registry, &name)?
        } else {
            serde_json::Map::new()
        },
        node: name,
        parameters,
        settings,
    })
}

/// Whether the operation the parameters name only reads (its requests are GETs).
fn reads_only(registry: &Registry, invocation: &Invocation) -> bool {
    let Some(node) = registry
        .node_type(&invocation.node)
        .ok()
        .filter(|t| t.compat.is_none())
        .map(|t| t.node)
    else {
        return false;
    };
    let mut parameters = invocation.parameters.clone();
    node.resolve_aliases(&mut parameters);
    let (Some(resource), Some(operation)) = (
        parameters.get("resource").and_then(|v| v.as_str()),
        parameters.get("operation").and_then(|v| v.as_str()),
    ) else {
        return false;
    };
    node.operation(resource, operation)
        .is_ok_and(|op| crate::requests::OperationInfo::new(node, op).read_only)
}
