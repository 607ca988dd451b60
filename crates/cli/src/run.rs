//! `noderun run`: items from stdin (or --input) through a node, outputs as NDJSON.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use noderun_definitions::Registry;
use noderun_executor::{Cancel, FailureKind, Invocation, OnError, Runner, Settings, Summary};
use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::output::{Lost, Sinks, Target};
use crate::signals::{Signals, Stop};
use crate::{EXIT_USAGE, fail};

/// Exit code when an output could not be written (closed pipe, full disk): some items took
/// effect without their outputs being delivered (they are listed on stderr).
const EXIT_OUTPUT: u8 = 3;

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
    /// Read items from this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Write outputs to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Resolve and validate each item and print the request it would send, without sending.
    #[arg(long)]
    dry_run: bool,
    /// Seconds the items in flight get to finish after SIGINT, SIGTERM or SIGHUP (or a failed
    /// output) before they are aborted; a second signal aborts them at once.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    grace: f64,
    /// The outputs (main or error output) of an earlier, interrupted run of the same input: the
    /// items they hold are skipped. When it is also --output/--error-output, outputs are appended
    /// to it. Repeatable.
    #[arg(long, value_name = "FILE")]
    resume: Vec<PathBuf>,
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
    let seconds = |s: f64, what: &str| match Duration::try_from_secs_f64(s) {
        Ok(d) if s > 0.0 => Ok(d),
        _ => Err(format!("{what} must be a positive number of seconds")),
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

/// The outputs, opened: stdout or --output, and --error-output; and the items done by earlier
/// runs (--resume), whose files are appended to when they are also an output.
struct Outputs {
    sinks: Sinks,
    done: BTreeSet<usize>,
}

fn open_outputs(args: &RunArgs) -> Result<Outputs, String> {
    let resumed = |path: Option<&PathBuf>| {
        path.is_some_and(|p| args.resume.iter().any(|r| crate::resume::same_file(r, p)))
    };
    let stdout = Path::new("/dev/stdout");
    let mut done = BTreeSet::new();
    for path in &args.resume {
        if args.output.is_none() && crate::resume::same_file(path, stdout) && !stdout_appends() {
            return Err(format!(
                "--resume {0} reads the file stdout replaces (the shell emptied it already): write with >> {0} or --output {0}",
                path.display()
            ));
        }
        let appended = [args.output.as_deref(), args.error_output.as_deref()]
            .into_iter()
            .flatten()
            .chain(args.output.is_none().then_some(stdout))
            .any(|o| crate::resume::same_file(path, o));
        if let Some(text) = crate::resume::read_done(path, appended, &mut done)? {
            note(&format!("noderun: {text}"));
        }
    }
    let main = match &args.output {
        Some(p) => Target::file(p, resumed(Some(p)))?,
        None => Target::stdout()?,
    };
    let error = args
        .error_output
        .as_ref()
        .map(|p| Target::file(p, resumed(Some(p))))
        .transpose()?;
    Ok(Outputs {
        sinks: Sinks { main, error },
        done,
    })
}

/// Whether stdout was opened for appending (`>>`).
fn stdout_appends() -> bool {
    // SAFETY: F_GETFL reads the flags of descriptor 1; no memory is passed.
    let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL) };
    flags >= 0 && flags & libc::O_APPEND != 0
}

/// A line on stderr; a closed stderr (after SIGHUP) is no reason to fail.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Indices as ranges: `1-3, 7, 9-10`.
fn ranges(indices: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let start = indices[i];
        while i + 1 < indices.len() && indices[i + 1] == indices[i] + 1 {
            i += 1;
        }
        parts.push(if indices[i] == start {
            start.to_string()
        } else {
            format!("{start}-{}", indices[i])
        });
        i += 1;
    }
    parts.join(", ")
}

pub(crate) fn run(registry: Arc<Registry>, args: RunArgs) -> ExitCode {
    let invocation = match invocation(&args, &registry) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    let Ok(grace) = Duration::try_from_secs_f64(args.grace) else {
        return fail("--grace must be a number of seconds, 0 or more");
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
    let code = runtime.block_on(async move {
        let runner = match Runner::new(registry, invocation) {
            Ok(r) => r,
            Err(e) => return fail(&e.to_string()),
        };
        let mut outputs = match open_outputs(&args) {
            Ok(o) => o,
            Err(e) => return fail(&e),
        };
        let last_done = outputs.done.last().copied();
        let cancel = Cancel::new();
        let runner = runner
            .with_cancel(cancel.clone())
            .skipping(std::mem::take(&mut outputs.done));
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
            // Items still to be typed are not waited for to count them as not run.
            Ok(input) if args.input.is_none() && std::io::stdin().is_terminal() => {
                input.take_until(cancel.stopped()).boxed()
            }
            Ok(input) => input,
            Err(e) => return fail(&e),
        };
        // From here on a signal stops the run (until now no item started: it ended the process).
        let mut signals = match Signals::install() {
            Ok(s) => s,
            Err(e) => return fail(&e),
        };
        let progress = progress_bar(args.quiet);
        let sinks = RefCell::new(outputs.sinks);
        let (summary, signal) = {
            let ready = Notify::new();
            let stop = || cancel.stop(grace);
            let run = runner.run_stream(input, |output| {
                progress.inc(1);
                if !sinks.borrow_mut().push(&output) {
                    stop();
                }
                ready.notify_one();
            });
            let write = crate::output::write_when_ready(&sinks, &ready, stop);
            // The run first: the writer writes once the run waits.
            let mut work = pin!(async {
                tokio::select! {
                    biased;
                    summary = run => summary,
                    never = write => match never {},
                }
            });
            let mut signal = None;
            loop {
                tokio::select! {
                    summary = &mut work => break (summary, signal),
                    stop = signals.recv() => progress.suspend(|| {
                        if signal.is_none() {
                            signal = Some(stop);
                            note(&format!(
                                "noderun: {}: stopping: no new item starts, the items in flight get {}s to finish ({} again to abort them)",
                                stop.name(), args.grace, stop.name()
                            ));
                            cancel.stop(grace);
                        } else {
                            note(&format!("noderun: {}: aborting the items in flight", stop.name()));
                            cancel.abort();
                        }
                    }),
                }
            }
        };
        progress.finish_and_clear();
        let mut sinks = sinks.into_inner();
        sinks.flush();
        let lost = sinks.into_lost();
        if let Some(last) = last_done.filter(|l| *l >= summary.items && !summary.unread_input) {
            note(&format!(
                "noderun: warning: --resume names item {last}, but the input has {} items: is it the output of this input?",
                summary.items
            ));
        }
        report(&args, &summary, signal, &lost)
    });
    // Without waiting for a read of stdin that may never return (a terminal, a producer that
    // went quiet, after a signal): the process exits with the run.
    runtime.shutdown_background();
    code
}

/// The summary and what went wrong on stderr; the exit code.
fn report(
    args: &RunArgs,
    summary: &Summary,
    signal: Option<Stop>,
    lost: &[(String, Lost)],
) -> ExitCode {
    if !args.quiet {
        let plural = if summary.items == 1 { "" } else { "s" };
        let skipped = if args.resume.is_empty() {
            String::new()
        } else {
            format!("{} done earlier, ", summary.skipped)
        };
        let interrupted = match summary.interrupted.len() {
            0 => String::new(),
            n => format!("{n} interrupted, "),
        };
        let unread = if summary.unread_input {
            " (and the unread rest of the input)"
        } else {
            ""
        };
        note(&format!(
            "noderun: {} item{plural}: {skipped}{} succeeded, {} failed, {interrupted}{} not run{unread} in {:.2}s",
            summary.items,
            summary.succeeded,
            summary.failed,
            summary.not_run,
            summary.elapsed.as_secs_f64()
        ));
    }
    if let Some(stop) = signal {
        note(&format!("noderun: stopped by {}", stop.name()));
    }
    if !summary.interrupted.is_empty() {
        note(&format!(
            "noderun: interrupted: item{} {} {} sent, {} outcome is unknown (no output)",
            if summary.interrupted.len() == 1 {
                ""
            } else {
                "s"
            },
            ranges(&summary.interrupted),
            if summary.interrupted.len() == 1 {
                "was"
            } else {
                "were"
            },
            if summary.interrupted.len() == 1 {
                "its"
            } else {
                "their"
            },
        ));
    }
    for (name, lost) in lost {
        if let Some(e) = &lost.error {
            note(&format!("noderun: error: cannot write to {name}: {e}"));
        }
        if !lost.succeeded.is_empty() {
            note(&format!(
                "noderun: not delivered: the outputs of items that succeeded (their requests took effect): {}",
                ranges(&lost.succeeded)
            ));
        }
        if !lost.failed.is_empty() {
            note(&format!(
                "noderun: not delivered: the error items of items that failed: {}",
                ranges(&lost.failed)
            ));
        }
    }
    if let Some(stop) = &summary.stopped {
        note(&format!("noderun: error: {stop}"));
    }
    if !lost.is_empty() {
        ExitCode::from(EXIT_OUTPUT)
    } else if let Some(signal) = signal {
        ExitCode::from(signal.exit_code())
    } else {
        match &summary.stopped {
            None => ExitCode::SUCCESS,
            Some(stop) if stop.failure.kind == FailureKind::Input => ExitCode::from(EXIT_USAGE),
            Some(_) => ExitCode::from(1),
        }
    }
}

fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
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
