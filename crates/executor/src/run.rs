//! Running items: one outcome per item, in input order, with bounded concurrency.

use std::collections::{BTreeSet, VecDeque};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, Stream, StreamExt};
use noderun_definitions::Registry;
use serde_json::{Map, Value};

use crate::cancel::{Cancel, State};
use crate::credentials::Credentials;
use crate::error::{FailureKind, ItemFailure, SetupError, StopError};
use crate::item::{Item, PairedItem};
use crate::plan::Plan;
use crate::settings::{OnError, Settings};
use crate::transport::Transport;

/// What a workflow engine asks for: a node, its parameters, its credential and its settings.
/// Its `Debug` lists parameter and credential field names, not values (they may be secrets).
#[derive(Clone)]
pub struct Invocation {
    /// Node name in the registry, e.g. "directus".
    pub node: String,
    /// The node's parameters as in an n8n workflow (`resource`, `operation`, fields; values may
    /// be expressions).
    pub parameters: Map<String, Value>,
    /// The credential's fields (for Directus: `url`, `accessToken`).
    pub credentials: Map<String, Value>,
    /// Error handling, retries, concurrency and limits.
    pub settings: Settings,
}

impl std::fmt::Debug for Invocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invocation")
            .field("node", &self.node)
            .field("parameters", &self.parameters.keys().collect::<Vec<_>>())
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("settings", &self.settings)
            .finish()
    }
}

/// An output item and the output it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The main output.
    Main(Item),
    /// The error output (`onError: continueErrorOutput`).
    Error(Item),
}

/// What became of every input item: `items` = `skipped` + `succeeded` + `failed` +
/// `interrupted.len()` + `not_run`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Input items read.
    pub items: usize,
    /// Items skipped because an earlier run did them ([`Runner::skipping`]).
    pub skipped: usize,
    /// Items that succeeded.
    pub succeeded: usize,
    /// Items that failed (continued or not).
    pub failed: usize,
    /// Items sent but still in flight when a cancelled run was aborted, by input index, in
    /// order: their outcome is unknown (the request may have taken effect), they have no output.
    pub interrupted: Vec<usize>,
    /// Items not started because the run stopped.
    pub not_run: usize,
    /// The failure that stopped the run, if one did.
    pub stopped: Option<StopError>,
    /// Whether the run was cancelled ([`Cancel`]) before it had settled every input item.
    pub cancelled: bool,
    /// Whether the input was left unread: the run was aborted before the rest of the input could
    /// be counted (`items` and `not_run` count only what was read).
    pub unread_input: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// The outputs and summary of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResult {
    /// Main output, in input order.
    pub main: Vec<Item>,
    /// Error output (continueErrorOutput), in input order.
    pub error: Vec<Item>,
    /// The accounting.
    pub summary: Summary,
}

/// A prepared run: everything per-run done once (plan, HTTP client).
#[derive(Debug, Clone)]
pub struct Runner {
    plan: Arc<Plan>,
    transport: Transport,
    settings: Settings,
    cancel: Cancel,
    skip: Arc<BTreeSet<usize>>,
}

/// What processing one item gave: its output items, or why it failed.
type Outcome = Result<Vec<Map<String, Value>>, ItemFailure>;

impl Runner {
    /// Prepares a run.
    ///
    /// # Errors
    /// Unknown node, resource or operation; expressions that do not parse; credentials missing a
    /// required field.
    pub fn new(registry: Arc<Registry>, invocation: Invocation) -> Result<Runner, SetupError> {
        let node = registry
            .node(&invocation.node)
            .map_err(|e| SetupError(e.to_string()))?;
        let credential_type = node
            .description
            .credentials
            .first()
            .and_then(|c| registry.credential(&c.name))
            .ok_or_else(|| {
                SetupError(format!(
                    "node '{}' names no known credential type",
                    invocation.node
                ))
            })?;
        let credentials = Credentials::new(credential_type, invocation.credentials)?;
        let plan = Plan::new(
            registry.clone(),
            &invocation.node,
            invocation.parameters,
            credentials,
        )?;
        let transport = Transport::new(
            &invocation.settings,
            !plan.base_url().starts_with("http://"),
        )?;
        Ok(Runner {
            plan: Arc::new(plan),
            transport,
            settings: invocation.settings,
            cancel: Cancel::new(),
            skip: Arc::default(),
        })
    }

    /// This runner with a cancellation signal: its runs stop as [`Cancel`] describes when it
    /// fires. Clone the runner per execution to give each its own signal.
    pub fn with_cancel(mut self, cancel: Cancel) -> Runner {
        self.cancel = cancel;
        self
    }

    /// This runner skipping the input items at these indices (their outputs were delivered by an
    /// earlier, interrupted run of the same input): they are neither processed nor output, and
    /// count as [`Summary::skipped`]. The other items keep their input index in `pairedItem`.
    pub fn skipping(mut self, done: impl IntoIterator<Item = usize>) -> Runner {
        self.skip = Arc::new(done.into_iter().collect());
        self
    }

    /// The plan (for validation-only use: [`Plan::parameters_for`]).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Processes one item: resolve, validate, request (with retries if asked), outcome.
    /// Messages never contain the item's secrets or the credential's.
    ///
    /// # Errors
    /// Why the item failed.
    pub async fn process(
        &self,
        index: usize,
        item: &Item,
    ) -> Result<Vec<Map<String, Value>>, ItemFailure> {
        let parameters = self.plan.parameters_for(index, item)?;
        if self.settings.dry_run {
            let spec = self.plan.request_for(index, item, &parameters)?;
            let mut json = Map::new();
            json.insert("method".into(), Value::String(spec.method.as_str().into()));
            json.insert("url".into(), Value::String(spec.url));
            json.insert("body".into(), spec.body.unwrap_or(Value::Null));
            return Ok(vec![json]);
        }
        let attempts = self.settings.attempts();
        let mut attempt = 1;
        loop {
            let result = self.attempt(index, item, &parameters).await;
            match result {
                Err(f) if f.is_retryable() && attempt < attempts => {
                    let wait = f.retry_after.map_or(self.settings.wait(), |r| {
                        r.min(self.settings.max_retry_after)
                            .max(self.settings.wait())
                    });
                    tracing::debug!(
                        item = index,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "retrying after failure"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(mut f) => {
                    let redactor = self.plan.redactor_for(Some(&parameters));
                    f.details.message = redactor.scrub(&f.details.message);
                    return Err(f);
                }
                Ok(items) => return Ok(items),
            }
        }
    }

    async fn attempt(
        &self,
        index: usize,
        item: &Item,
        parameters: &Map<String, Value>,
    ) -> Result<Vec<Map<String, Value>>, ItemFailure> {
        let spec = self.plan.request_for(index, item, parameters)?;
        let started = Instant::now();
        let host = reqwest::Url::parse(&spec.url)
            .map(|u| crate::transport::host_of(&u))
            .unwrap_or_default();
        let response = self.transport.send(&spec).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &response {
            Ok(r) => tracing::debug!(
                item = index,
                method = spec.method.as_str(),
                path = spec.path_for_logs(),
                status = r.status,
                elapsed_ms,
                "response"
            ),
            Err(_) => tracing::debug!(
                item = index,
                method = spec.method.as_str(),
                path = spec.path_for_logs(),
                elapsed_ms,
                "request failed"
            ),
        }
        crate::response::items(response?, &self.plan.response, parameters, &host)
    }

    /// Runs a stream of input entries (an entry that could not be read is an `Err` with the
    /// reason), calling `deliver` with every output in input order. At most `concurrency` items
    /// are in flight, so memory stays bounded whatever the input size.
    ///
    /// Without continue-on-fail the first failing item (in input order) stops the run: no new
    /// item starts, items already in flight finish and their outputs are delivered (a refresh
    /// that happened must not lose its rotated token), the remaining input is counted as not run.
    /// A [`Cancel`] ([`Runner::with_cancel`]) stops it the same way, and aborts what is still in
    /// flight at its deadline.
    pub async fn run_stream<S, F>(&self, input: S, mut deliver: F) -> Summary
    where
        S: Stream<Item = Result<Item, String>>,
        F: FnMut(Output),
    {
        let started = Instant::now();
        let mut input = pin!(input);
        let mut control = self.cancel.watch();
        let mut in_flight = FuturesUnordered::new();
        let mut order = Started::default();
        let mut summary = Summary::default();
        let mut exhausted = false;
        let concurrency = self.settings.concurrency.max(1);
        let aborted = loop {
            if exhausted && order.is_empty() {
                break false;
            }
            let state = *control.borrow_and_update();
            let deadline = match state {
                State::Running => None,
                State::Stopping(deadline) => {
                    summary.cancelled = true;
                    deadline
                }
            };
            let starting = state == State::Running && summary.stopped.is_none();
            let can_pull = !exhausted && (!starting || order.len() < concurrency);
            tokio::select! {
                biased;
                Some((index, result)) = in_flight.next(), if !in_flight.is_empty() => {
                    order.complete(index, result);
                    while let Some((index, result)) = order.pop_ready() {
                        self.settle(index, result, &mut summary, &mut deliver);
                    }
                }
                () = until(deadline) => break true,
                entry = input.next(), if can_pull => match entry {
                    None => exhausted = true,
                    Some(entry) => {
                        let index = summary.items;
                        summary.items += 1;
                        if self.skip.contains(&index) {
                            summary.skipped += 1;
                        } else if !starting {
                            summary.not_run += 1;
                        } else {
                            order.start(index);
                            in_flight.push(async move {
                                let result = match entry {
                                    Ok(item) => self.process(index, &item).await,
                                    Err(reason) => Err(ItemFailure::new(FailureKind::Input, reason)),
                                };
                                (index, result)
                            });
                        }
                    }
                },
                // Wakes the loop when the signal fires while it waits.
                _ = control.changed() => {}
            }
        };
        if aborted {
            // What completed is delivered; what is still in flight is dropped, outcome unknown.
            summary.unread_input = !exhausted;
            drop(in_flight);
            for (index, result) in order.0 {
                match result {
                    Some(result) => self.settle(index, result, &mut summary, &mut deliver),
                    None => summary.interrupted.push(index),
                }
            }
        }
        summary.elapsed = started.elapsed();
        summary
    }

    fn settle<F: FnMut(Output)>(
        &self,
        index: usize,
        result: Outcome,
        summary: &mut Summary,
        deliver: &mut F,
    ) {
        let paired = Some(PairedItem { item: index });
        match result {
            Ok(items) => {
                summary.succeeded += 1;
                for json in items {
                    deliver(Output::Main(Item {
                        json,
                        binary: None,
                        paired_item: paired,
                        error: None,
                    }));
                }
            }
            Err(failure) => {
                summary.failed += 1;
                tracing::debug!(item = index, "item failed");
                let error_item = || {
                    let json = [(
                        "error".to_string(),
                        Value::String(failure.details.message.clone()),
                    )]
                    .into_iter()
                    .collect();
                    Item {
                        json,
                        binary: None,
                        paired_item: paired,
                        error: Some((*failure.details).clone()),
                    }
                };
                match self.settings.on_error {
                    OnError::ContinueRegularOutput => deliver(Output::Main(error_item())),
                    OnError::ContinueErrorOutput => deliver(Output::Error(error_item())),
                    OnError::StopWorkflow if summary.stopped.is_none() => {
                        summary.stopped = Some(StopError {
                            item: index,
                            failure,
                        });
                    }
                    OnError::StopWorkflow => {}
                }
            }
        }
    }

    /// Runs a batch held in memory.
    pub async fn run_batch(&self, items: Vec<Item>) -> BatchResult {
        let mut main = Vec::new();
        let mut error = Vec::new();
        let summary = self
            .run_stream(
                futures::stream::iter(items.into_iter().map(Ok)),
                |o| match o {
                    Output::Main(i) => main.push(i),
                    Output::Error(i) => error.push(i),
                },
            )
            .await;
        BatchResult {
            main,
            error,
            summary,
        }
    }
}

/// Waits until the deadline; without one, forever.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The items started and not yet delivered, in input order, with the outcome of those that
/// completed: an outcome waits here until every item before it is delivered.
#[derive(Default)]
struct Started(VecDeque<(usize, Option<Outcome>)>);

impl Started {
    fn start(&mut self, index: usize) {
        self.0.push_back((index, None));
    }

    fn complete(&mut self, index: usize, outcome: Outcome) {
        if let Ok(at) = self.0.binary_search_by_key(&index, |(i, _)| *i) {
            self.0[at].1 = Some(outcome);
        }
    }

    /// The first item's outcome, once it has completed.
    fn pop_ready(&mut self) -> Option<(usize, Outcome)> {
        self.0.front()?.1.as_ref()?;
        self.0.pop_front().and_then(|(i, o)| Some((i, o?)))
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
