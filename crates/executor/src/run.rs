//! Running items: one outcome per item, in input order, with bounded concurrency.

use std::collections::{BTreeSet, VecDeque};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, Stream, StreamExt};
use noderun_definitions::Registry;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::cancel::{Cancel, State};
use crate::credentials::Credentials;
use crate::error::{FailureKind, ItemFailure, SetupError, StopError};
use crate::item::{Item, PairedItem};
use crate::paging::Pager;
use crate::plan::{Plan, RequestSpec};
use crate::settings::{OnError, Settings};
use crate::transport::Transport;

/// Pages an item may have fetched ahead of the item being output (with `--concurrency`).
const PAGES_AHEAD: usize = 1;

/// A page of an item's output entries, as its worker sends them to the run.
type Page = Vec<Item>;

/// Where an item's pages go: collected, or sent to the run's ordered output as they arrive.
enum Sink<'a> {
    Collect(&'a mut Page),
    Channel(&'a mpsc::Sender<Page>),
}

impl Sink<'_> {
    async fn emit(&mut self, page: Page) {
        match self {
            Sink::Collect(out) => out.extend(page),
            // The receiver lives until the worker ends (or the run is aborted).
            Sink::Channel(tx) => {
                let _ = tx.send(page).await;
            }
        }
    }
}

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
    /// order: their outcome is unknown (the request may have taken effect), they have no output;
    /// except a paged list (Return All) being output when the abort came: the entries of the
    /// pages it had received are delivered, the rest of its list is not.
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

    /// Processes one item: resolve, validate, request (with retries if asked), outcome; a list
    /// that pages gives the entries of all its pages, a binary response its binary property.
    /// Messages never contain the item's secrets or the credential's.
    ///
    /// # Errors
    /// Why the item failed.
    pub async fn process(&self, index: usize, item: &Item) -> Result<Vec<Item>, ItemFailure> {
        let mut out = Vec::new();
        self.process_into(index, item, &mut Sink::Collect(&mut out))
            .await?;
        Ok(out)
    }

    /// Processes one item, handing each page's entries to `sink` as the page arrives.
    async fn process_into(
        &self,
        index: usize,
        item: &Item,
        sink: &mut Sink<'_>,
    ) -> Result<(), ItemFailure> {
        let parameters = self.plan.parameters_for(index, item)?;
        let scope = self.plan.scope(index, item, &parameters);
        let mut pager = Pager::new(&self.plan, self.plan.request_for(index, item, &parameters)?);
        let mut emitted = 0usize;
        while let Some(spec) = pager.next_request(&scope)? {
            let uploads = crate::binary::uploads(&spec, index, item, &self.settings).await?;
            if self.settings.dry_run {
                let mut json = Map::new();
                json.insert("method".into(), Value::String(spec.method.as_str().into()));
                json.insert("url".into(), Value::String(spec.url));
                json.insert("body".into(), spec.body.unwrap_or(Value::Null));
                if !uploads.is_empty() {
                    json.insert(
                        "files".into(),
                        Value::Object(crate::binary::describe(&uploads)),
                    );
                }
                sink.emit(vec![Item::new(json)]).await;
                return Ok(());
            }
            let page = match self
                .fetch(
                    index,
                    item,
                    &spec,
                    &parameters,
                    &uploads,
                    pager.wants_response(),
                )
                .await
                .and_then(|(items, response)| pager.advance(items, response, &scope))
            {
                Ok(page) => page,
                Err(mut f) => {
                    let redactor = self.plan.redactor_for(Some(&parameters));
                    f.details.message = redactor.scrub(&f.details.message);
                    if pager.pages > 1 {
                        f.details.message = format!(
                            "{} (page {} of the list; {emitted} entries of the earlier pages were already output)",
                            f.details.message, pager.pages
                        );
                    }
                    return Err(f);
                }
            };
            emitted += page.len();
            sink.emit(page).await;
        }
        Ok(())
    }

    /// Sends one request (retrying if asked) and gives the items of its response, and its
    /// `$response` when `want_response`.
    async fn fetch(
        &self,
        index: usize,
        item: &Item,
        spec: &RequestSpec,
        parameters: &Map<String, Value>,
        uploads: &[crate::binary::Upload],
        want_response: bool,
    ) -> Result<(Vec<Item>, Option<Value>), ItemFailure> {
        let attempts = self.settings.attempts();
        let mut attempt = 1;
        loop {
            match self
                .attempt(index, item, spec, parameters, uploads, want_response)
                .await
            {
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
                result => return result,
            }
        }
    }

    /// One attempt: the request, and the follow-up of a two-call operation.
    async fn attempt(
        &self,
        index: usize,
        item: &Item,
        spec: &RequestSpec,
        parameters: &Map<String, Value>,
        uploads: &[crate::binary::Upload],
        want_response: bool,
    ) -> Result<(Vec<Item>, Option<Value>), ItemFailure> {
        let keep = self.plan.has_follow_ups();
        let (first, response, page_response) = self
            .exchange(
                index,
                spec,
                &self.plan.response,
                parameters,
                uploads,
                keep,
                want_response,
            )
            .await?;
        let Some((spec, plan)) = self
            .plan
            .follow_up_for(index, item, parameters, &response)?
        else {
            return Ok((first, page_response));
        };
        let (mut items, _, _) = self
            .exchange(index, &spec, plan, parameters, &[], false, false)
            .await?;
        // The first response's binary properties stay (Assets → Get with its file data).
        if let Some(binary) = first.into_iter().find_map(|i| i.binary) {
            for item in &mut items {
                item.binary
                    .get_or_insert_with(Map::new)
                    .extend(binary.clone());
            }
        }
        Ok((items, page_response))
    }

    /// Sends one request and turns its response into items (a binary response streamed into a
    /// binary property); with `keep`, also `$response` for a follow-up (`{statusCode, body}`),
    /// with `want_response` the pagination's `$response`.
    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &self,
        index: usize,
        spec: &RequestSpec,
        plan: &crate::plan::ResponsePlan,
        parameters: &Map<String, Value>,
        uploads: &[crate::binary::Upload],
        keep: bool,
        want_response: bool,
    ) -> Result<(Vec<Item>, Value, Option<Value>), ItemFailure> {
        let started = Instant::now();
        let url = reqwest::Url::parse(&spec.url).ok();
        let host = url
            .as_ref()
            .map(crate::transport::host_of)
            .unwrap_or_default();
        let destination = crate::response::binary_destination(plan, parameters)?;
        let binary = destination.is_some()
            || spec.encoding == Some(noderun_definitions::model::Encoding::Arraybuffer);
        let response = self.transport.start(spec, uploads, binary).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &response {
            Ok(r) => tracing::debug!(
                item = index,
                method = spec.method.as_str(),
                path = spec.path_for_logs(),
                status = r.status().as_u16(),
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
        let response = response?;
        if binary && response.status().is_success() && response.status().as_u16() != 204 {
            let (property, file_name) = destination.unwrap_or_else(|| ("data".into(), None));
            let header = |name: reqwest::header::HeaderName| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            };
            let mime_type = header(reqwest::header::CONTENT_TYPE)
                .map(|c| c.split(';').next().unwrap_or_default().trim().to_string())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "application/octet-stream".into());
            let file_name = file_name
                .or_else(|| {
                    header(reqwest::header::CONTENT_DISPOSITION)
                        .and_then(|d| crate::binary::disposition_file_name(&d))
                })
                .or_else(|| {
                    url.as_ref()
                        .and_then(|u| u.path_segments()?.next_back().map(String::from))
                        .filter(|s| !s.is_empty())
                })
                .unwrap_or_else(|| "file".into());
            let status = response.status().as_u16();
            let value = crate::binary::download(
                response,
                crate::binary::DownloadInfo {
                    mime_type,
                    file_name,
                },
                &self.settings,
                |e| self.transport.body_failure(e, &host),
            )
            .await?;
            let mut item = Item::new(Map::new());
            item.binary = Some([(property, value)].into_iter().collect());
            let kept = if keep {
                serde_json::json!({"statusCode": status, "body": Value::Null})
            } else {
                Value::Null
            };
            return Ok((vec![item], kept, None));
        }
        let response = self.transport.read(response, &host).await?;
        let page_response = want_response.then(|| crate::response::as_value(&response));
        let (items, kept) = crate::response::items(response, plan, parameters, &host, keep)?;
        Ok((
            items.into_iter().map(Item::new).collect(),
            kept,
            page_response,
        ))
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
        // The items in flight, in input order, each with the channel its pages arrive on: the
        // first one's pages are delivered as they come, the others wait in their channels
        // (bounded: an item behind the first pauses after `PAGES_AHEAD` pages).
        let mut order: VecDeque<Slot> = VecDeque::new();
        let mut workers = FuturesUnordered::new();
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
            let head = order.front_mut();
            let has_head = head.is_some();
            tokio::select! {
                biased;
                event = async { head.expect("has_head").rx.recv().await }, if has_head => {
                    match event {
                        Some(entries) => {
                            let index = order.front().expect("has_head").index;
                            deliver_page(index, entries, &mut deliver);
                        }
                        // The channel closes when the worker ends, and its outcome was taken
                        // from `workers` in the same poll that ended it.
                        None => {
                            let slot = order.pop_front().expect("has_head");
                            let result = slot.done.expect("a finished worker left its outcome");
                            self.settle(slot.index, result, &mut summary, &mut deliver);
                        }
                    }
                }
                Some((index, result)) = workers.next(), if !workers.is_empty() => {
                    if let Ok(at) = order.binary_search_by_key(&index, |slot| slot.index) {
                        order[at].done = Some(result);
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
                            let (tx, rx) = mpsc::channel(PAGES_AHEAD);
                            order.push_back(Slot { index, rx, done: None });
                            workers.push(async move {
                                let result = match entry {
                                    Ok(item) => {
                                        self.process_into(index, &item, &mut Sink::Channel(&tx))
                                            .await
                                    }
                                    Err(reason) => {
                                        Err(ItemFailure::new(FailureKind::Input, reason))
                                    }
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
            // The pages an item sent before it was aborted stay in its channel after the drop.
            summary.unread_input = !exhausted;
            drop(workers);
            for mut slot in order {
                match slot.done {
                    Some(result) => {
                        while let Ok(entries) = slot.rx.try_recv() {
                            deliver_page(slot.index, entries, &mut deliver);
                        }
                        self.settle(slot.index, result, &mut summary, &mut deliver);
                    }
                    None => summary.interrupted.push(slot.index),
                }
            }
        }
        summary.elapsed = started.elapsed();
        summary
    }

    fn settle<F: FnMut(Output)>(
        &self,
        index: usize,
        result: Result<(), ItemFailure>,
        summary: &mut Summary,
        deliver: &mut F,
    ) {
        let paired = Some(PairedItem { item: index });
        match result {
            Ok(()) => summary.succeeded += 1,
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

/// An item in flight: its input index, the channel its pages arrive on (closed when its worker
/// ends) and, once the worker has ended, its outcome.
struct Slot {
    index: usize,
    rx: mpsc::Receiver<Page>,
    done: Option<Result<(), ItemFailure>>,
}

/// Delivers a page's entries as main outputs paired with input item `index`.
fn deliver_page<F: FnMut(Output)>(index: usize, entries: Page, deliver: &mut F) {
    for mut item in entries {
        item.paired_item = Some(PairedItem { item: index });
        deliver(Output::Main(item));
    }
}
