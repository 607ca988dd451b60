//! `noderun run`: items from stdin (or --input) through a node, outputs as NDJSON.
//!
//! Works from a checked [`RunConfig`]: opens the outputs and the input, runs the items with
//! signals and progress, writes the outputs as they complete, and hands how it ended to
//! [`report`](crate::report).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;

use futures::StreamExt;
use noderun_definitions::Registry;
use noderun_executor::{Cancel, Output, Runner};
use tokio::sync::Notify;

use crate::args::RunArgs;
use crate::config::RunConfig;
use crate::config::io::Io;
use crate::output::{Sinks, Target};
use crate::progress::Progress;
use crate::report::{Ending, fail, note, report, warning};
use crate::signals::Signals;

/// The outputs, opened: stdout or --output, and --error-output; and the items done by earlier
/// runs (--resume), whose files are appended to when they are also an output.
struct Outputs {
    sinks: Sinks,
    done: BTreeSet<usize>,
    last_entries: crate::resume::LastEntries,
}

fn open_outputs(io: &Io) -> Result<Outputs, String> {
    let mut done = BTreeSet::new();
    let mut last_entries = crate::resume::LastEntries::new();
    for path in &io.resume {
        if let Some(text) =
            crate::resume::read_done(path, io.is_output(path), &mut done, &mut last_entries)?
        {
            note(&format!("noderun: {text}"));
        }
    }
    let main = match &io.output {
        Some(p) => Target::file(p, io.resumed(p))?,
        None => Target::stdout()?,
    };
    let error = io
        .error_output
        .as_ref()
        .map(|p| Target::file(p, io.resumed(p)))
        .transpose()?;
    Ok(Outputs {
        sinks: Sinks { main, error },
        done,
        last_entries,
    })
}

pub(crate) fn run(registry: Arc<Registry>, args: RunArgs) -> ExitCode {
    let config = match RunConfig::new(args, &registry) {
        Ok(c) => c,
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
    let code = runtime.block_on(execute(registry, config));
    // Without waiting for a read of stdin that may never return (a terminal, a producer that
    // went quiet, after a signal): the process exits with the run.
    runtime.shutdown_background();
    code
}

async fn execute(registry: Arc<Registry>, config: RunConfig) -> ExitCode {
    let RunConfig {
        invocation,
        expressions,
        node_settings,
        io,
        grace,
        quiet,
        read_only,
    } = config;
    let runner = if node_settings.disabled {
        None
    } else {
        match Runner::new(registry, invocation) {
            Ok(r) => Some(r),
            Err(e) => return fail(&e.to_string()),
        }
    };
    let mut outputs = match open_outputs(&io) {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    let last_done = outputs.done.last().copied();
    let cancel = Cancel::new();
    let reader: Box<dyn tokio::io::AsyncBufRead + Unpin + Send> = match &io.input {
        Some(p) => match tokio::fs::File::open(p).await {
            Ok(f) => Box::new(tokio::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => return fail(&format!("cannot open {}: {e}", p.display())),
        },
        None => Box::new(tokio::io::BufReader::with_capacity(
            1 << 16,
            tokio::io::stdin(),
        )),
    };
    let progress = Progress::new(quiet, io.output.is_none());
    let input = match crate::input::open(reader).await {
        // Items still to be typed are not waited for to count them as not run.
        Ok((input, _)) if io.input.is_none() && std::io::stdin().is_terminal() => {
            input.take_until(cancel.stopped()).boxed()
        }
        Ok((input, total)) => {
            match total {
                Some(n) => progress.set_total(n),
                // A file (also stdin redirected from one): counted in the background.
                None => progress.count_lines_of(
                    io.input
                        .clone()
                        .unwrap_or_else(|| PathBuf::from("/dev/stdin")),
                ),
            }
            input
        }
        Err(e) => return fail(&e),
    };
    // n8n's executeOnce: the node sees the first item only.
    let input = if node_settings.execute_once {
        if !quiet {
            note(
                "noderun: the node has executeOnce: only the first input item runs, the others are not read",
            );
        }
        input.take(1).boxed()
    } else {
        input
    };
    let Some(runner) = runner else {
        return crate::workflow_settings::pass_through(input, outputs.sinks, quiet).await;
    };
    // Expressions that read other input items than their own get the whole input, read first.
    let (input, context) = if expressions.needs_all_input {
        let items: Vec<_> = input.collect().await;
        let mut context = expressions.context;
        context.input = Some(
            items
                .iter()
                .map(crate::workflow_settings::as_value)
                .collect(),
        );
        (futures::stream::iter(items).boxed(), context)
    } else {
        (input, expressions.context)
    };
    let runner = runner
        .with_cancel(cancel.clone())
        .with_expression_context(noderun_expression::Context::new(context))
        .skipping(std::mem::take(&mut outputs.done))
        .continuing(
            std::mem::take(&mut outputs.last_entries)
                .into_iter()
                .filter_map(|(index, last)| Some((index, last?))),
        );
    // From here on a signal stops the run (until now no item started: it ended the process).
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let sinks = RefCell::new(outputs.sinks);
    let main_outputs = std::cell::Cell::new(0usize);
    let (summary, signal) = {
        let ready = Notify::new();
        let stop = || cancel.stop(grace);
        let run = runner.run_stream(input, |output| {
            let (Output::Main(item) | Output::Error(item)) = &output;
            if let Some(paired) = item.paired_item {
                progress.item(paired.item);
            }
            if matches!(output, Output::Main(_)) {
                main_outputs.set(main_outputs.get() + 1);
            }
            if !progress.around_write(|| sinks.borrow_mut().push(&output)) {
                stop();
            }
            ready.notify_one();
        });
        let write = crate::output::write_when_ready(
            &ready,
            || progress.around_write(|| sinks.borrow_mut().flush()),
            stop,
        );
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
                            stop.name(), grace.as_secs_f64(), stop.name()
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
    progress.finish();
    let mut sinks = sinks.into_inner();
    // n8n's alwaysOutputData: a node that ran and output nothing outputs one empty item, paired
    // with every input item.
    if node_settings.always_output_data
        && main_outputs.get() == 0
        && summary.stopped.is_none()
        && signal.is_none()
        && summary.items > summary.skipped
    {
        sinks
            .main
            .push_line(&crate::workflow_settings::empty_item(summary.items));
    }
    sinks.flush();
    let lost = sinks.into_lost();
    if let Some(last) = last_done.filter(|l| *l >= summary.items && !summary.unread_input) {
        warning(&format!(
            "--resume names item {last}, but the input has {} items: is it the output of this input?",
            summary.items
        ));
    }
    report(Ending {
        summary: &summary,
        signal,
        lost: &lost,
        resumed: !io.resume.is_empty(),
        quiet,
        read_only,
    })
}
