//! `noderun trigger directus`: Directus changes as NDJSON n8n items on stdout, one per change,
//! flushed per change, the cursor file saved after each (thin glue over `noderun-trigger`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use noderun_definitions::Registry;
use noderun_trigger::{Cursor, Ended, Event, Feed, Follow, Options, Socket, Wake};
use serde_json::Value;

use crate::args::CredentialArgs;
use crate::config::credentials::credentials;
use crate::report::{EXIT_OUTPUT, fail, note};
use crate::signals::Signals;

/// Exit code when Directus failed in a way retrying cannot fix (token revoked, permissions).
const EXIT_FAILED: u8 = 1;

#[derive(Args)]
pub(crate) struct TriggerArgs {
    /// The node whose changes to follow: directus.
    node: String,
    /// A collection to follow (repeatable): user collections and system ones such as
    /// directus_users, directus_files.
    #[arg(long, value_name = "NAME", required = true)]
    collection: Vec<String>,
    /// The events to deliver, comma-separated.
    #[arg(long, default_value = "create,update,delete", value_name = "LIST")]
    events: String,
    /// The record fields in `data` (Directus's syntax: id,title,author.name); default all the
    /// token may read.
    #[arg(long, value_name = "LIST")]
    fields: Option<String>,
    /// A Directus filter (JSON or @FILE) a record must match for its creates and updates to be
    /// delivered; deletes carry only keys and are not filtered.
    #[arg(long, value_name = "JSON|@FILE")]
    filter: Option<String>,
    /// Where the position in the activity log is kept: read at start (without it, or when it
    /// does not exist yet, the trigger starts from now), saved after every delivered change.
    #[arg(long, value_name = "FILE")]
    cursor: Option<PathBuf>,
    /// Stop after this many changes.
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
    /// Stop when no change came for this long.
    #[arg(long, value_name = "SECONDS")]
    until_idle: Option<f64>,
    /// Seconds between reads of the activity log when no WebSocket wakes the trigger (Directus
    /// without WEBSOCKETS_ENABLED, or --no-websocket).
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    poll_interval: f64,
    /// Do not use Directus's realtime WebSocket as the wake-up: poll only.
    #[arg(long)]
    no_websocket: bool,
    /// How long an activity id missing below newer ones is waited for (a transaction still
    /// committing on PostgreSQL or MySQL) before it is taken as rolled back.
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    commit_window: f64,
    #[command(flatten)]
    credentials: CredentialArgs,
    /// No summary line.
    #[arg(short, long)]
    quiet: bool,
}

fn seconds(value: f64, flag: &str) -> Result<Duration, String> {
    match Duration::try_from_secs_f64(value) {
        Ok(d) if value > 0.0 => Ok(d),
        _ => Err(format!(
            "{flag} must be a positive number of seconds, got {value}"
        )),
    }
}

fn options(args: &TriggerArgs) -> Result<Options, String> {
    if args.node != "directus" {
        return Err(format!(
            "noderun trigger follows the changes of 'directus' only; got '{}'",
            args.node
        ));
    }
    let filter = match &args.filter {
        None => None,
        Some(text) => {
            let text = match text.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the --filter file {path}: {e}"))?,
                None => text.clone(),
            };
            match serde_json::from_str::<Value>(&text) {
                // `{}` (the Filter option's default) filters nothing, as in the n8n node
                Ok(Value::Object(m)) if m.is_empty() => None,
                Ok(v @ Value::Object(_)) => Some(v),
                Ok(_) => return Err("--filter must be a JSON object (a Directus filter)".into()),
                Err(e) => return Err(format!("--filter is not valid JSON: {e}")),
            }
        }
    };
    Ok(Options {
        collections: args.collection.clone(),
        events: Event::parse_list(&args.events).map_err(|e| format!("--events: {e}"))?,
        fields: args.fields.clone(),
        filter,
        commit_window: seconds(args.commit_window, "--commit-window")?,
    })
}

pub(crate) fn run(registry: Arc<Registry>, args: TriggerArgs) -> ExitCode {
    let prepared = options(&args).and_then(|o| {
        let follow = Follow {
            poll_interval: seconds(args.poll_interval, "--poll-interval")?,
            socket_interval: Duration::from_secs(30),
            max_events: args.max_events,
            until_idle: args
                .until_idle
                .map(|s| seconds(s, "--until-idle"))
                .transpose()?,
        };
        let credentials = credentials(&args.credentials, &registry, &args.node)?;
        let cursor = args
            .cursor
            .as_deref()
            .map(Cursor::load)
            .transpose()?
            .flatten();
        Ok((o, follow, credentials, cursor))
    });
    let (options, follow, credentials, cursor) = match prepared {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    if args.max_events == Some(0) {
        return fail("--max-events must be at least 1");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(async move {
        let started = Instant::now();
        let url = credentials
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let token = credentials
            .get("accessToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(String::from);
        let mut signals = match Signals::install() {
            Ok(s) => s,
            Err(e) => return fail(&e),
        };
        let resumed = cursor.is_some();
        let opened = tokio::select! {
            opened = Feed::open(registry, credentials, options.clone(), cursor) => opened,
            stop = signals.recv() => {
                note(&format!("noderun: stopped by {} before the trigger started", stop.name()));
                return ExitCode::SUCCESS;
            }
        };
        let mut feed = match opened {
            Ok(f) => f,
            Err(e) if e.retryable() => {
                return exit(EXIT_FAILED, &format!("cannot start the trigger: {e}"));
            }
            Err(e) => return fail(&e.to_string()),
        };
        for w in feed.take_warnings() {
            note(&format!("noderun: warning: {w}"));
        }
        // the starting point is saved at once: a trigger started "from now" and killed before
        // the first change still delivers it after a restart
        if let Some(path) = &args.cursor
            && let Err(e) = feed.cursor().save(path)
        {
            return fail(&e);
        }
        let mut wake = if args.no_websocket {
            None
        } else {
            let keys = feed.primary_keys();
            Some(Wake::start(&url, token, keys))
        };
        if let Some(w) = &mut wake
            && let Socket::Unavailable(reason) = w.settled(Duration::from_secs(5)).await
        {
            note(&format!(
                "noderun: no realtime WebSocket ({reason}); polling every {}s",
                args.poll_interval
            ));
        }
        tracing::info!(resumed, after = feed.cursor().after, "trigger started");
        let mut sink = Stdout {
            out: std::io::stdout().lock(),
            file: args.cursor.clone(),
            prepared: None,
            saved_at: feed.cursor().after,
        };
        let mut stopped_by = None;
        let stop = async {
            stopped_by = Some(signals.recv().await);
        };
        let result =
            noderun_trigger::follow(&mut feed, wake.as_ref(), &follow, stop, &mut sink).await;
        drop(wake);
        let elapsed = started.elapsed().as_secs_f64();
        let (ended, delivered) = match result {
            Ok(r) => r,
            Err(e) => return exit(EXIT_FAILED, &e.to_string()),
        };
        let why = match &ended {
            Ended::MaxEvents => "--max-events reached".to_string(),
            Ended::Idle => "idle".to_string(),
            Ended::Stopped => format!(
                "stopped by {}",
                stopped_by.map_or("a signal", |s| s.name())
            ),
            Ended::Failed(e) => e.clone(),
        };
        if !args.quiet {
            let saved = match &args.cursor {
                Some(p) => format!("; cursor {} at activity {}", p.display(), sink.saved_at),
                None => String::new(),
            };
            let pending = match feed.cursor().awaited() {
                0 => String::new(),
                n => format!(" ({n} ids awaited)"),
            };
            note(&format!(
                "noderun: trigger: {delivered} change{} delivered in {elapsed:.2}s, {why}{saved}{pending}",
                if delivered == 1 { "" } else { "s" }
            ));
        }
        match ended {
            Ended::Failed(e) => exit(EXIT_OUTPUT, &e),
            _ => ExitCode::SUCCESS,
        }
    });
    runtime.shutdown_background();
    code
}

/// Items to stdout, one line each, flushed; the cursor file saved after each.
struct Stdout {
    out: std::io::StdoutLock<'static>,
    file: Option<PathBuf>,
    prepared: Option<(noderun_trigger::Prepared, u64)>,
    /// The activity id the saved cursor (or, without a file, the last delivery) is at.
    saved_at: u64,
}

impl noderun_trigger::Sink for Stdout {
    fn prepare(&mut self, cursor: &Cursor) -> Result<(), String> {
        match &self.file {
            Some(path) => self.prepared = Some((cursor.prepare(path)?, cursor.after)),
            None => self.saved_at = cursor.after,
        }
        Ok(())
    }

    fn deliver(&mut self, change: &noderun_trigger::Change) -> Result<(), String> {
        serde_json::to_writer(&mut self.out, &change.item)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| self.out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))
    }

    fn commit(&mut self) -> Result<(), String> {
        if let Some((prepared, after)) = self.prepared.take() {
            prepared.commit()?;
            self.saved_at = after;
        }
        Ok(())
    }

    fn note(&mut self, warning: &str) {
        note(&format!("noderun: warning: {warning}"));
    }
}

fn exit(code: u8, message: &str) -> ExitCode {
    note(&format!("noderun: error: {message}"));
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::TriggerArgs;

    #[derive(Parser)]
    struct Trigger {
        #[command(flatten)]
        args: TriggerArgs,
    }

    /// The command line the trigger node's parameters become (its definition's `commandLine`,
    /// shown by its forms page) is this command's.
    #[test]
    fn the_trigger_nodes_command_line_is_this_commands() {
        let registry = noderun_definitions::Registry::embedded().unwrap();
        let node = registry.node("directusTrigger").unwrap();
        let command_line = node.description.command_line.as_ref().unwrap();
        assert_eq!(command_line.command, "noderun trigger directus");
        let command = Trigger::command();
        let longs: Vec<String> = command
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        for flag in &command_line.flags {
            assert!(
                longs.contains(&flag.flag),
                "{} is not a flag of noderun trigger",
                flag.flag
            );
        }
        let parsed = Trigger::try_parse_from([
            "noderun",
            "directus",
            "--collection",
            "articles",
            "--collection",
            "directus_users",
            "--events",
            "create,delete",
            "--fields",
            "id,title",
            "--filter",
            "{}",
        ])
        .unwrap();
        let options = super::options(&parsed.args).unwrap();
        assert_eq!(options.collections, ["articles", "directus_users"]);
        assert_eq!(options.fields.as_deref(), Some("id,title"));
        assert_eq!(options.filter, None);
    }
}
