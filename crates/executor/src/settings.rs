//! A node invocation's settings: n8n's node settings plus noderun's limits.

use std::path::PathBuf;
use std::time::Duration;

use noderun_plan::Paging;
use serde::{Deserialize, Serialize};

/// What happens when an item fails (n8n's `onError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnError {
    /// The first failing item stops the run (n8n's default).
    #[default]
    StopWorkflow,
    /// A failed item becomes an `{"json":{"error":…}}` item in the main output.
    ContinueRegularOutput,
    /// A failed item goes to the error output.
    ContinueErrorOutput,
}

/// Settings of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// What a failed item does.
    pub on_error: OnError,
    /// Retry a failed request before giving up on the item.
    pub retry_on_fail: bool,
    /// Attempts in all when retrying (n8n clamps it to 2..=5; default 3).
    pub max_tries: u32,
    /// Wait between attempts (n8n clamps it to 0..=5000 ms; default 1000 ms).
    pub wait_between_tries: Duration,
    /// Items processed at once; outputs keep the input order whatever it is. Default 1.
    pub concurrency: usize,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, response body included.
    pub request_timeout: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: usize,
    /// Longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
    /// Resolve, validate and build each request, but output it instead of sending it.
    pub dry_run: bool,
    /// Whether a dry run shows secrets in clear (else they are `***`).
    pub show_secrets: bool,
    /// Where binary data is kept (n8n's filesystem mode): downloads are written to files in
    /// this directory and referenced from the item (`path`), and binary properties that
    /// reference a file (`path`, inside this directory) are streamed from it. Without it binary
    /// data travels in the item as base64 (n8n's default mode) and `path` references are refused.
    pub binary_dir: Option<PathBuf>,
    /// Largest binary file uploaded or downloaded; a larger upload is refused before anything
    /// is sent.
    pub max_binary_bytes: u64,
    /// Time for a request that uploads or downloads binary data (instead of `request_timeout`).
    pub binary_timeout: Duration,
    /// How Return All pages: the page size (default: the definition's, 1000 for Directus) and
    /// whether keyset paging may be used where the definition allows it (default yes).
    pub paging: Paging,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            on_error: OnError::StopWorkflow,
            retry_on_fail: false,
            max_tries: 3,
            wait_between_tries: Duration::from_millis(1000),
            concurrency: 1,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 16 * 1024 * 1024,
            max_retry_after: Duration::from_secs(60),
            dry_run: false,
            show_secrets: false,
            binary_dir: None,
            max_binary_bytes: 2 << 30,
            binary_timeout: Duration::from_secs(3600),
            paging: Paging::default(),
        }
    }
}

impl Settings {
    /// n8n's legacy `continueOnFail: true` (equivalent to `onError: continueRegularOutput`).
    pub fn continue_on_fail(mut self, yes: bool) -> Self {
        if yes && self.on_error == OnError::StopWorkflow {
            self.on_error = OnError::ContinueRegularOutput;
        }
        self
    }

    /// Attempts per item: 1 without retry-on-fail, else `max_tries` clamped to 2..=5 as n8n does.
    pub fn attempts(&self) -> u32 {
        if self.retry_on_fail {
            self.max_tries.clamp(2, 5)
        } else {
            1
        }
    }

    /// The wait between attempts, clamped to 0..=5 s as n8n does.
    pub fn wait(&self) -> Duration {
        self.wait_between_tries.min(Duration::from_secs(5))
    }
}
