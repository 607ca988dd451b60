//! Running items: one outcome per item, in input order, with bounded concurrency.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesOrdered, Stream, StreamExt};
use noderun_definitions::Registry;
use serde_json::{Map, Value};

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

/// What became of every input item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Input items read.
    pub items: usize,
    /// Items that succeeded.
    pub succeeded: usize,
    /// Items that failed (continued or not).
    pub failed: usize,
    /// Items not started because the run stopped.
    pub not_run: usize,
    /// The failure that stopped the run, if one did.
    pub stopped: Option<StopError>,
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
        })
    }

    /// The plan (for validation-only use: [`Plan::parameters_for`]).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Processes one item: resolve, validate, read its binary uploads, request (with retries if
    /// asked), outcome: the output items (json and binary; `pairedItem` is set by the run).
    /// Messages never contain the item's secrets or the credential's.
    ///
    /// # Errors
    /// Why the item failed.
    pub async fn process(&self, index: usize, item: &Item) -> Result<Vec<Item>, ItemFailure> {
        let parameters = self.plan.parameters_for(index, item)?;
        let spec = self.plan.request_for(index, item, &parameters)?;
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
            return Ok(vec![Item::new(json)]);
        }
        let attempts = self.settings.attempts();
        let mut attempt = 1;
        loop {
            let result = self.attempt(index, item, &parameters, &uploads).await;
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

    /// One attempt: the request, and the follow-up of a two-call operation.
    async fn attempt(
        &self,
        index: usize,
        item: &Item,
        parameters: &Map<String, Value>,
        uploads: &[crate::binary::Upload],
    ) -> Result<Vec<Item>, ItemFailure> {
        let spec = self.plan.request_for(index, item, parameters)?;
        let keep = self.plan.has_follow_ups();
        let (first, response) = self
            .exchange(index, &spec, &self.plan.response, parameters, uploads, keep)
            .await?;
        let Some((spec, plan)) = self
            .plan
            .follow_up_for(index, item, parameters, &response)?
        else {
            return Ok(first);
        };
        let (mut items, _) = self
            .exchange(index, &spec, plan, parameters, &[], false)
            .await?;
        // The first response's binary properties stay (Assets → Get with its file data).
        if let Some(binary) = first.into_iter().find_map(|i| i.binary) {
            for item in &mut items {
                item.binary
                    .get_or_insert_with(Map::new)
                    .extend(binary.clone());
            }
        }
        Ok(items)
    }

    /// Sends one request and turns its response into items (a binary response streamed into a
    /// binary property); with `keep`, also `$response` for a follow-up.
    async fn exchange(
        &self,
        index: usize,
        spec: &crate::plan::RequestSpec,
        plan: &crate::plan::ResponsePlan,
        parameters: &Map<String, Value>,
        uploads: &[crate::binary::Upload],
        keep: bool,
    ) -> Result<(Vec<Item>, Value), ItemFailure> {
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
            return Ok((vec![item], kept));
        }
        let response = self.transport.read(response, &host).await?;
        let (items, kept) = crate::response::items(response, plan, parameters, &host, keep)?;
        Ok((items.into_iter().map(Item::new).collect(), kept))
    }

    /// Runs a stream of input entries (an entry that could not be read is an `Err` with the
    /// reason), calling `deliver` with every output in input order. At most `concurrency` items
    /// are in flight, so memory stays bounded whatever the input size.
    ///
    /// Without continue-on-fail the first failing item (in input order) stops the run: no new
    /// item starts, items already in flight finish and their outputs are delivered (a refresh
    /// that happened must not lose its rotated token), the remaining input is counted as not run.
    pub async fn run_stream<S, F>(&self, input: S, mut deliver: F) -> Summary
    where
        S: Stream<Item = Result<Item, String>>,
        F: FnMut(Output),
    {
        let started = Instant::now();
        let mut input = pin!(input);
        let mut in_flight = FuturesOrdered::new();
        let mut summary = Summary::default();
        let mut exhausted = false;
        let concurrency = self.settings.concurrency.max(1);
        loop {
            let can_pull = summary.stopped.is_none() && !exhausted && in_flight.len() < concurrency;
            tokio::select! {
                biased;
                Some((index, result)) = in_flight.next(), if !in_flight.is_empty() => {
                    self.settle(index, result, &mut summary, &mut deliver);
                }
                entry = input.next(), if can_pull => match entry {
                    Some(entry) => {
                        let index = summary.items;
                        summary.items += 1;
                        in_flight.push_back(async move {
                            let result = match entry {
                                Ok(item) => self.process(index, &item).await,
                                Err(reason) => Err(ItemFailure::new(FailureKind::Input, reason)),
                            };
                            (index, result)
                        });
                    }
                    None => exhausted = true,
                },
                else => break,
            }
        }
        if summary.stopped.is_some() {
            while input.next().await.is_some() {
                summary.items += 1;
                summary.not_run += 1;
            }
        }
        summary.elapsed = started.elapsed();
        summary
    }

    fn settle<F: FnMut(Output)>(
        &self,
        index: usize,
        result: Result<Vec<Item>, ItemFailure>,
        summary: &mut Summary,
        deliver: &mut F,
    ) {
        let paired = Some(PairedItem { item: index });
        match result {
            Ok(items) => {
                summary.succeeded += 1;
                for mut item in items {
                    item.paired_item = paired;
                    deliver(Output::Main(item));
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
