//! The run's settings: n8n's node settings (errors, retries) from the flags over a workflow
//! node's, and noderun's limits.

use std::time::Duration;

use noderun_executor::{OnError, Paging, Settings};

use super::node::WorkflowNode;
use crate::args::{OnErrorArg, SettingsArgs};

/// `s` seconds of the flag `what`, which must be positive.
pub(crate) fn seconds(s: f64, what: &str) -> Result<Duration, String> {
    match Duration::try_from_secs_f64(s) {
        Ok(d) if s > 0.0 => Ok(d),
        _ => Err(format!("{what} must be a positive number of seconds")),
    }
}

pub(crate) fn settings(
    args: &SettingsArgs,
    workflow: Option<&WorkflowNode>,
) -> Result<Settings, String> {
    let on_error = match args.on_error {
        Some(OnErrorArg::StopWorkflow) => OnError::StopWorkflow,
        Some(OnErrorArg::ContinueRegularOutput) => OnError::ContinueRegularOutput,
        Some(OnErrorArg::ContinueErrorOutput) => OnError::ContinueErrorOutput,
        None => workflow.and_then(|w| w.on_error).unwrap_or_default(),
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
        max_response_bytes: usize::try_from(args.max_response_bytes)
            .map_err(|_| "--max-response-bytes is larger than this machine's memory")?,
        dry_run: args.dry_run,
        show_secrets: args.show_secrets,
        binary_dir: match &args.binary_dir {
            Some(dir) if !dir.is_dir() => {
                return Err(format!("--binary-dir {} is not a directory", dir.display()));
            }
            other => other.clone(),
        },
        max_binary_bytes: args.max_binary_bytes,
        binary_timeout: seconds(args.binary_timeout, "--binary-timeout")?,
        paging: Paging {
            page_size: args.page_size,
            ..Paging::default()
        },
        ..defaults
    };
    // An explicit --on-error wins over continueOnFail, as onError wins in n8n.
    let continue_on_fail = args.on_error.is_none() && workflow.is_none_or(|w| w.on_error.is_none());
    Ok(settings.continue_on_fail(
        continue_on_fail && (args.continue_on_fail || workflow.is_some_and(|w| w.continue_on_fail)),
    ))
}
