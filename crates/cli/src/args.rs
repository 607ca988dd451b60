//! What was typed: the arguments of `noderun run` as clap parses them, nothing checked yet.
//!
//! They come in groups that other subcommands flatten into theirs (the node and its parameters,
//! the credentials, the item settings); `config` turns them into what a run needs, validated
//! once.

use std::path::PathBuf;

use clap::builder::RangedU64ValueParser;
use clap::{Args, ValueEnum};

/// `noderun run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    #[command(flatten, next_help_heading = "Node and parameters")]
    pub(crate) node: NodeArgs,
    #[command(flatten, next_help_heading = "Credentials")]
    pub(crate) credentials: CredentialArgs,
    #[command(flatten, next_help_heading = "Errors, retries and limits")]
    pub(crate) settings: SettingsArgs,
    #[command(flatten, next_help_heading = "Input and output")]
    pub(crate) io: IoArgs,
    #[command(flatten)]
    pub(crate) expressions: ExpressionArgs,
    /// Seconds the items in flight get to finish after SIGINT, SIGTERM or SIGHUP (or a failed
    /// output) before they are aborted; a second signal aborts them at once.
    #[arg(
        long,
        default_value_t = 5.0,
        value_name = "SECONDS",
        help_heading = "Run"
    )]
    pub(crate) grace: f64,
    /// No progress bar and no summary line.
    #[arg(short, long, help_heading = "Run")]
    pub(crate) quiet: bool,
}

/// Which node runs, and its parameters.
#[derive(Args)]
pub(crate) struct NodeArgs {
    /// Node to run, e.g. directus (optional with --workflow or --workflow-node).
    pub(crate) node: Option<String>,
    /// Resource, e.g. auth (sets the `resource` parameter).
    #[arg(long)]
    pub(crate) resource: Option<String>,
    /// Operation, e.g. logout (sets the `operation` parameter).
    #[arg(long)]
    pub(crate) operation: Option<String>,
    /// Node parameters as JSON, or @FILE. Values may be n8n expressions (`={{ $json.x }}`).
    #[arg(long, value_name = "JSON|@FILE")]
    pub(crate) parameters: Option<String>,
    /// A node object from an exported n8n workflow (its parameters, type and settings).
    #[arg(long, value_name = "FILE")]
    pub(crate) workflow_node: Option<PathBuf>,
    /// An n8n workflow as n8n exports it (`{"name", "nodes", "connections"}`) or copies it
    /// (`{"nodes": [...]}`): the node given by --node runs with its parameters and settings, and
    /// its expressions see the workflow (`$('Node')`, `$workflow`, the time zone).
    #[arg(long, value_name = "FILE", conflicts_with = "workflow_node")]
    pub(crate) workflow: Option<PathBuf>,
    /// The node of --workflow to run, by name (may be left out when the workflow has one node
    /// noderun can run).
    #[arg(long = "node", value_name = "NAME", requires = "workflow")]
    pub(crate) workflow_node_name: Option<String>,
}

/// What expressions see beyond the item.
#[derive(Args)]
pub(crate) struct ExpressionArgs {
    /// The items another node output, for `$('NAME')` and `$node["NAME"]` (NDJSON or a JSON
    /// array, as noderun or n8n wrote them, with `pairedItem`). Repeatable.
    #[arg(long, value_name = "NAME=FILE")]
    pub(crate) node_output: Vec<String>,
    /// n8n variables for `$vars`: a JSON object, or @FILE.
    #[arg(long, value_name = "JSON|@FILE")]
    pub(crate) vars: Option<String>,
    /// Let expressions read the environment (`$env`), which n8n denies by default.
    #[arg(long)]
    pub(crate) allow_env: bool,
    /// Time zone of `$now`, `$today` and date parsing (IANA name). Default: the workflow's
    /// setting, else GENERIC_TIMEZONE, else America/New_York (n8n's default).
    #[arg(long, value_name = "ZONE")]
    pub(crate) timezone: Option<String>,
}

/// Where the credential's fields come from.
#[derive(Args)]
pub(crate) struct CredentialArgs {
    /// Credential fields as a JSON file (for Directus: url, accessToken). Without it the
    /// environment is read: `<NODE>_URL` and `<NODE>_TOKEN` (e.g. DIRECTUS_URL, DIRECTUS_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub(crate) credentials: Option<PathBuf>,
}

/// n8n's node settings (errors, retries) and noderun's limits.
#[derive(Args)]
pub(crate) struct SettingsArgs {
    /// A failed item becomes an error item in the output instead of stopping the run.
    #[arg(long)]
    pub(crate) continue_on_fail: bool,
    /// n8n's onError: what a failed item does.
    #[arg(long, value_name = "MODE")]
    pub(crate) on_error: Option<OnErrorArg>,
    /// Retry failed requests.
    #[arg(long)]
    pub(crate) retry_on_fail: bool,
    /// Attempts in all when retrying, 2 to 5 [default: 3].
    #[arg(long, value_name = "N", value_parser = RangedU64ValueParser::<u32>::new().range(2..=5))]
    pub(crate) max_tries: Option<u32>,
    /// Milliseconds between attempts, 0 to 5000 [default: 1000].
    #[arg(long, value_name = "MS", value_parser = RangedU64ValueParser::<u64>::new().range(0..=5000))]
    pub(crate) wait_between_tries: Option<u64>,
    /// Items processed at once; the output keeps the input order.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = at_least_one::<usize>)]
    pub(crate) concurrency: usize,
    /// Seconds to establish a connection.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub(crate) connect_timeout: f64,
    /// Seconds for a whole request, response included.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub(crate) timeout: f64,
    /// Largest response body accepted: bytes, or a size such as 16MiB, 512k, 1.5GB.
    #[arg(long, default_value = "16MiB", value_name = "SIZE", value_parser = size)]
    pub(crate) max_response_bytes: u64,
    /// Keep binary data in files of this directory (n8n's filesystem mode): downloads are
    /// written there and referenced from the item (`binary.<name>.path`); uploads may reference
    /// files there instead of carrying base64 `data`, and are streamed from them.
    #[arg(long, value_name = "DIR")]
    pub(crate) binary_dir: Option<PathBuf>,
    /// Largest file uploaded or downloaded (bytes, or a size such as 2GiB); a larger upload is
    /// refused unsent.
    #[arg(long, default_value = "2GiB", value_name = "SIZE", value_parser = size)]
    pub(crate) max_binary_bytes: u64,
    /// Seconds for a request that uploads or downloads a file (instead of --timeout).
    #[arg(long, default_value_t = 3600.0, value_name = "SECONDS")]
    pub(crate) binary_timeout: f64,
    /// Entries per page of a Return All list [default: the definition's, 1000 for Directus];
    /// the server must allow it (Directus: QUERY_LIMIT_MAX).
    #[arg(long, value_name = "N", value_parser = at_least_one::<u64>)]
    pub(crate) page_size: Option<u64>,
    /// Resolve and validate each item and print the requests it would send (method, URL,
    /// headers, body; a two-call operation's second request under `then`), without sending.
    /// Secrets are shown as ***.
    #[arg(long, help_heading = "Run")]
    pub(crate) dry_run: bool,
    /// With --dry-run: show secrets (credentials, passwords, Authorization, Cookie) in clear.
    #[arg(long, help_heading = "Run", requires = "dry_run")]
    pub(crate) show_secrets: bool,
}

/// Where items come from and where outputs go.
#[derive(Args)]
pub(crate) struct IoArgs {
    /// Where continueErrorOutput writes failed items (NDJSON).
    #[arg(long, value_name = "FILE")]
    pub(crate) error_output: Option<PathBuf>,
    /// Read items from this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    pub(crate) input: Option<PathBuf>,
    /// Write outputs to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// The outputs (main or error output) of an earlier, interrupted run of the same input: the
    /// items they hold are skipped (a Return All list read by key continues after its last
    /// entry). When it is also --output/--error-output, outputs are appended to it. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) resume: Vec<PathBuf>,
}

/// n8n's `onError` values.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum OnErrorArg {
    /// The first failing item stops the run (the default).
    #[value(name = "stopWorkflow")]
    StopWorkflow,
    /// A failed item becomes an error item in the main output.
    #[value(name = "continueRegularOutput")]
    ContinueRegularOutput,
    /// A failed item goes to --error-output.
    #[value(name = "continueErrorOutput")]
    ContinueErrorOutput,
}

/// A count of one or more (clap's ranged parser would print the type's maximum as the bound).
fn at_least_one<T: std::str::FromStr + PartialOrd + From<u8>>(text: &str) -> Result<T, String> {
    match text.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        _ => Err("expected a whole number of at least 1".into()),
    }
}

/// A size in bytes: a number, or with a unit as people write it: `1k` and `1KB` are 1000 bytes,
/// `1KiB` 1024, and so on up to exabytes (`parse-size`).
fn size(text: &str) -> Result<u64, String> {
    parse_size::parse_size(text)
        .map_err(|e| format!("{e}: give bytes, or a size with a unit such as 512k, 16MiB, 2GiB"))
}
