//! `noderun run`: items from stdin (or --input) through a node, outputs as NDJSON.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use noderun_definitions::Registry;
use noderun_executor::{FailureKind, Invocation, OnError, Output, Runner, Settings};
use serde_json::{Map, Value};

use crate::{EXIT_USAGE, fail};

#[derive(Args)]
pub(crate) struct RunArgs {
    /// Node to run, e.g. directus (optional with --workflow-node).
    node: Option<String>,
    /// Resource, e.g. auth (sets the `resource` parameter).
    #[arg(long)]
    resource: Option<String>,
    /// Operation, e.g. logout (sets the `operation` parameter).
    #[arg(long)]
    operation: Option<String>,
    /// Node parameters as JSON, or @FILE. Values may be n8n expressions (`={{ $json.x }}`).
    #[arg(long, value_name = "JSON|@FILE")]
    parameters: Option<String>,
    /// A node object from an exported n8n workflow (its parameters, type and settings).
    #[arg(long, value_name = "FILE")]
    workflow_node: Option<PathBuf>,
    /// Credential fields as a JSON file (for Directus: url, accessToken). Without it the
    /// environment is read: `<NODE>_URL` and `<NODE>_TOKEN` (e.g. DIRECTUS_URL, DIRECTUS_TOKEN).
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// A failed item becomes an error item in the output instead of stopping the run.
    #[arg(long)]
    continue_on_fail: bool,
    /// n8n's onError: stopWorkflow, continueRegularOutput or continueErrorOutput.
    #[arg(long, value_name = "MODE")]
    on_error: Option<String>,
    /// Where continueErrorOutput writes failed items (NDJSON).
    #[arg(long, value_name = "FILE")]
    error_output: Option<PathBuf>,
    /// Retry failed requests.
    #[arg(long)]
    retry_on_fail: bool,
    /// Attempts in all when retrying (2 to 5).
    #[arg(long, value_name = "N")]
    max_tries: Option<u32>,
    /// Milliseconds between attempts (0 to 5000).
    #[arg(long, value_name = "MS")]
    wait_between_tries: Option<u64>,
    /// Items processed at once; the output keeps the input order.
    #[arg(long, default_value_t = 1, value_name = "N")]
    concurrency: usize,
    /// Seconds to establish a connection.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    connect_timeout: f64,
    /// Seconds for a whole request, response included.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    timeout: f64,
    /// Largest response body accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024, value_name = "BYTES")]
    max_response_bytes: usize,
    /// Keep binary data in files of this directory (n8n's filesystem mode): downloads are
    /// written there and referenced from the item (`binary.<name>.path`); uploads may reference
    /// files there instead of carrying base64 `data`, and are streamed from them.
    #[arg(long, value_name = "DIR")]
    binary_dir: Option<PathBuf>,
    /// Largest file uploaded or downloaded, in bytes; a larger upload is refused unsent.
    #[arg(long, default_value_t = 2 << 30, value_name = "BYTES")]
    max_binary_bytes: u64,
    /// Seconds for a request that uploads or downloads a file (instead of --timeout).
    #[arg(long, default_value_t = 3600.0, value_name = "SECONDS")]
    binary_timeout: f64,
    /// Read items from this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Write outputs to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Resolve and validate each item and print the request it would send, without sending.
    #[arg(long)]
    dry_run: bool,
    /// No progress bar and no summary line.
    #[arg(short, long)]
    quiet: bool,
}

/// The settings an exported n8n workflow node carries.
struct WorkflowNode {
    node: String,
    parameters: Map<String, Value>,
    on_error: Option<String>,
    continue_on_fail: bool,
    retry_on_fail: bool,
    max_tries: Option<u32>,
    wait_between_tries: Option<u64>,
}

fn read_json_arg(text: &str, what: &str) -> Result<Value, String> {
    let content = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {what} file {path}: {e}"))?,
        None => text.to_string(),
    };
    serde_json::from_str(&content).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

fn read_workflow_node(path: &std::path::Path) -> Result<WorkflowNode, String> {
    let value = read_json_arg(&format!("@{}", path.display()), "--workflow-node")?;
    let node_type = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or("--workflow-node: the node has no \"type\"")?;
    let get_bool = |k: &str| value.get(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(WorkflowNode {
        node: node_type
            .rsplit('.')
            .next()
            .unwrap_or(node_type)
            .to_string(),
        parameters: value
            .get("parameters")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        on_error: value
            .get("onError")
            .and_then(Value::as_str)
            .map(String::from),
        continue_on_fail: get_bool("continueOnFail"),
        retry_on_fail: get_bool("retryOnFail"),
        max_tries: value
            .get("maxTries")
            .and_then(Value::as_u64)
            .map(|n| n as u32),
        wait_between_tries: value.get("waitBetweenTries").and_then(Value::as_u64),
    })
}

fn credentials(
    args: &RunArgs,
    registry: &Registry,
    node: &str,
) -> Result<Map<String, Value>, String> {
    if let Some(path) = &args.credentials {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the credentials file {}: {e}", path.display()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            format!(
                "the credentials file {} is not valid JSON (line {}, column {})",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        let Value::Object(map) = value else {
            return Err(format!(
                "the credentials file {} must hold a JSON object of the credential's fields",
                path.display()
            ));
        };
        return Ok(map);
    }
    let n = registry.node(node).map_err(|e| e.to_string())?;
    let credential_type = n
        .description
        .credentials
        .first()
        .and_then(|c| registry.credential(&c.name));
    let prefix = node.to_uppercase();
    let mut map = Map::new();
    if let Ok(url) = std::env::var(format!("{prefix}_URL")) {
        map.insert("url".into(), Value::String(url));
    }
    if let (Ok(token), Some(secret)) = (
        std::env::var(format!("{prefix}_TOKEN")),
        credential_type.and_then(|c| c.properties.iter().find(|p| p.is_secret())),
    ) {
        map.insert(secret.name.clone(), Value::String(token));
    }
    if map.is_empty() {
        return Err(format!(
            "no credentials: give --credentials FILE or set {prefix}_URL (and {prefix}_TOKEN)"
        ));
    }
    Ok(map)
}

fn settings(args: &RunArgs, workflow: Option<&WorkflowNode>) -> Result<Settings, String> {
    let on_error = args
        .on_error
        .clone()
        .or_else(|| workflow.and_then(|w| w.on_error.clone()));
    let on_error = match on_error.as_deref() {
        None => OnError::StopWorkflow,
        Some("stopWorkflow") => OnError::StopWorkflow,
        Some("continueRegularOutput") => OnError::ContinueRegularOutput,
        Some("continueErrorOutput") => OnError::ContinueErrorOutput,
        Some(other) => {
            return Err(format!(
                "--on-error must be stopWorkflow, continueRegularOutput or continueErrorOutput; got '{other}'"
            ));
        }
    };
    let seconds = |s: f64, what: &str| {
        if s.is_finite() && s > 0.0 {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(format!("{what} must be a positive number of seconds"))
        }
    };
    let defaults = Settings::default();
    let settings = Settings {
        on_error,
        retry_on_fail: args.retry_on_fail || workflow.is_some_and(|w| w.retry_on_fail),
        max_tries: args
            .max_tries
            .or(workflow.and_then(|w| w.max_tries))
            .unwrap_or(defaults.max_tries),
        wait_between_tries: args
            .wait_between_tries
            .or(workflow.and_then(|w| w.wait_between_tries))
            .map_or(defaults.wait_between_tries, Duration::from_millis),
        concurrency: if args.concurrency == 0 {
            return Err("--concurrency must be at least 1".into());
        } else {
            args.concurrency
        },
        connect_timeout: seconds(args.connect_timeout, "--connect-timeout")?,
        request_timeout: seconds(args.timeout, "--timeout")?,
        max_response_bytes: args.max_response_bytes,
        dry_run: args.dry_run,
        binary_dir: match &args.binary_dir {
            Some(dir) if !dir.is_dir() => {
                return Err(format!("--binary-dir {} is not a directory", dir.display()));
            }
            other => other.clone(),
        },
        max_binary_bytes: args.max_binary_bytes,
        binary_timeout: seconds(args.binary_timeout, "--binary-timeout")?,
        ..defaults
    };
    // An explicit --on-error wins over continueOnFail, as onError wins in n8n.
    let continue_on_fail = args.on_error.is_none() && workflow.is_none_or(|w| w.on_error.is_none());
    Ok(settings.continue_on_fail(
        continue_on_fail && (args.continue_on_fail || workflow.is_some_and(|w| w.continue_on_fail)),
    ))
}

fn invocation(args: &RunArgs, registry: &Registry) -> Result<Invocation, String> {
    let workflow = args
        .workflow_node
        .as_deref()
        .map(read_workflow_node)
        .transpose()?;
    let node = args
        .node
        .clone()
        .or_else(|| workflow.as_ref().map(|w| w.node.clone()))
        .ok_or("name the node (e.g. `noderun run directus ...`) or give --workflow-node")?;
    let mut parameters = workflow
        .as_ref()
        .map(|w| w.parameters.clone())
        .unwrap_or_default();
    if let Some(text) = &args.parameters {
        match read_json_arg(text, "--parameters")? {
            Value::Object(m) => parameters.extend(m),
            _ => return Err("--parameters must be a JSON object".into()),
        }
    }
    if let Some(r) = &args.resource {
        parameters.insert("resource".into(), Value::String(r.clone()));
    }
    if let Some(o) = &args.operation {
        parameters.insert("operation".into(), Value::String(o.clone()));
    }
    let settings = settings(args, workflow.as_ref())?;
    if settings.on_error == OnError::ContinueErrorOutput && args.error_output.is_none() {
        return Err("onError continueErrorOutput needs --error-output FILE".into());
    }
    Ok(Invocation {
        credentials: credentials(args, registry, &node)?,
        node,
        parameters,
        settings,
    })
}

fn open_output(path: Option<&PathBuf>) -> Result<Box<dyn Write>, String> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

pub(crate) fn run(registry: Arc<Registry>, args: RunArgs) -> ExitCode {
    let invocation = match invocation(&args, &registry) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    // One thread: the per-item work is small and requests overlap as futures; a multi-threaded
    // runtime spent most of its time waking threads (almost twice the CPU per item at
    // concurrency 1, see docs/benchmarks.md).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        let runner = match Runner::new(registry, invocation) {
            Ok(r) => r,
            Err(e) => return fail(&e.to_string()),
        };
        let (mut out, mut err_out) = match (
            open_output(args.output.as_ref()),
            args.error_output
                .as_ref()
                .map(|p| open_output(Some(p)))
                .transpose(),
        ) {
            (Ok(o), Ok(e)) => (o, e),
            (Err(e), _) | (_, Err(e)) => return fail(&e),
        };
        let reader: Box<dyn tokio::io::AsyncBufRead + Unpin + Send> = match &args.input {
            Some(p) => match tokio::fs::File::open(p).await {
                Ok(f) => Box::new(tokio::io::BufReader::with_capacity(1 << 16, f)),
                Err(e) => return fail(&format!("cannot open {}: {e}", p.display())),
            },
            None => Box::new(tokio::io::BufReader::with_capacity(
                1 << 16,
                tokio::io::stdin(),
            )),
        };
        let input = match crate::input::open(reader).await {
            Ok(input) => input,
            Err(e) => return fail(&e),
        };
        let progress = progress_bar(args.quiet);
        let mut write_error = None;
        let mut write = |target: &mut dyn Write, item: &noderun_executor::Item| {
            if write_error.is_none() {
                let line = serde_json::to_string(item).expect("items serialize");
                if let Err(e) = writeln!(target, "{line}") {
                    write_error = Some(e);
                }
            }
        };
        let summary = runner
            .run_stream(input, |o| {
                deliver(o, &mut out, &mut err_out, &mut write, &progress)
            })
            .await;
        progress.finish_and_clear();
        let flushed = out
            .flush()
            .and_then(|()| err_out.as_mut().map_or(Ok(()), |e| e.flush()));
        if let Some(e) = write_error.or(flushed.err()) {
            return fail(&format!("cannot write the output: {e}"));
        }
        if !args.quiet {
            eprintln!(
                "noderun: {} item{}: {} succeeded, {} failed, {} not run in {:.2}s",
                summary.items,
                if summary.items == 1 { "" } else { "s" },
                summary.succeeded,
                summary.failed,
                summary.not_run,
                summary.elapsed.as_secs_f64()
            );
        }
        match summary.stopped {
            None => ExitCode::SUCCESS,
            Some(stop) => {
                eprintln!("noderun: error: {stop}");
                if stop.failure.kind == FailureKind::Input {
                    ExitCode::from(EXIT_USAGE)
                } else {
                    ExitCode::from(1)
                }
            }
        }
    })
}

fn deliver(
    output: Output,
    out: &mut Box<dyn Write>,
    err_out: &mut Option<Box<dyn Write>>,
    write: &mut impl FnMut(&mut dyn Write, &noderun_executor::Item),
    progress: &indicatif::ProgressBar,
) {
    progress.inc(1);
    match output {
        Output::Main(item) => write(out.as_mut(), &item),
        Output::Error(item) => {
            if let Some(e) = err_out.as_mut() {
                write(e.as_mut(), &item);
            }
        }
    }
}

fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {pos} outputs, {per_sec}, {elapsed}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
