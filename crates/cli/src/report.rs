//! What a run says at its end, and its exit code: the summary line on stderr, the signal that
//! stopped it, the items interrupted or not delivered, the error that stopped it.

use std::io::Write;
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use noderun_executor::{FailureKind, Summary};

use crate::output::Lost;
use crate::signals::Stop;

/// Exit code of usage, input and definition errors.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Exit code when an output could not be written (closed pipe, full disk): some items took
/// effect without their outputs being delivered (they are listed on stderr).
pub(crate) const EXIT_OUTPUT: u8 = 3;

/// A usage, input or definition error: its message on stderr, exit code 2.
pub(crate) fn fail(message: &str) -> ExitCode {
    error(message);
    ExitCode::from(EXIT_USAGE)
}

/// A line on stderr; a closed stderr (after SIGHUP) is no reason to fail.
pub(crate) fn note(text: &str) {
    let _ = writeln!(anstream::stderr().lock(), "{text}");
}

/// `noderun: error: …` on stderr, the label in red on a terminal.
pub(crate) fn error(text: &str) {
    labelled("error", AnsiColor::Red, text);
}

/// `noderun: warning: …` on stderr, the label in yellow on a terminal.
pub(crate) fn warning(text: &str) {
    labelled("warning", AnsiColor::Yellow, text);
}

/// anstream writes the colours only to a terminal, and not when NO_COLOR is set.
fn labelled(label: &str, colour: AnsiColor, text: &str) {
    let style = Style::new().bold().fg_color(Some(colour.into()));
    note(&format!("noderun: {style}{label}:{style:#} {text}"));
}

/// Whether stderr gets colours (a terminal, NO_COLOR unset; CLICOLOR_FORCE forces them).
pub(crate) fn stderr_colour() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// How a run ended.
pub(crate) struct Ending<'a> {
    pub(crate) summary: &'a Summary,
    /// The signal that stopped it.
    pub(crate) signal: Option<Stop>,
    /// The outputs that could not be written, and what they lost.
    pub(crate) lost: &'a [(String, Lost)],
    /// `--resume` was given (the summary counts the items done earlier).
    pub(crate) resumed: bool,
    /// No summary line.
    pub(crate) quiet: bool,
    /// The run changes nothing on the server (only GET requests, or a dry run).
    pub(crate) read_only: bool,
}

/// The summary and what went wrong on stderr; the exit code.
pub(crate) fn report(ending: Ending) -> ExitCode {
    let Ending {
        summary,
        signal,
        lost,
        resumed,
        quiet,
        read_only,
    } = ending;
    // A reader that stopped early (`| head`) of a run that changes nothing: nothing was lost
    // that another run cannot read again; end quietly, as `rg | head` does.
    let closed_stdout = |(name, lost): &(String, Lost)| {
        name == "stdout"
            && lost
                .error
                .as_ref()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    };
    if read_only
        && !lost.is_empty()
        && lost.iter().all(closed_stdout)
        && signal.is_none()
        && summary.stopped.is_none()
    {
        return ExitCode::SUCCESS;
    }
    if summary.items == 0 && !summary.unread_input && signal.is_none() {
        warning("the input holds no items: nothing ran");
    }
    if !quiet {
        let plural = if summary.items == 1 { "" } else { "s" };
        let skipped = if !resumed {
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
            error(&format!("cannot write to {name}: {e}"));
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
        error(&stop.to_string());
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
