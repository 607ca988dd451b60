//! A prepared run, and one item's way through it, in one direction: the compiled plan gives the
//! item's parameters and requests, each request is read from the item's binary data when it
//! uploads, sent ([`crate::attempt`]: retries, follow-up requests), and its response becomes
//! output items ([`crate::outcome`]), page after page.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use noderun_definitions::Registry;
use noderun_plan::{Item, ItemFailure, Plan, RequestSpec, SetupError};
use serde_json::{Map, Value};

use tokio::sync::{OnceCell, mpsc};

use crate::attempt::Sender;
use crate::binary::upload;
use crate::cancel::Cancel;
use crate::settings::Settings;
use crate::transport::Transport;

/// A page of an item's output entries.
pub(crate) type Page = Vec<Item>;

/// What became of an item that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    /// It ran.
    Ran,
    /// It was to continue a list an earlier run interrupted, which cannot be continued (its key
    /// lookup found no key to continue after): the earlier run's entries stand, as for a
    /// skipped item.
    Earlier,
}

/// The keys the key lookups of one run found, by lookup requests: the same requests (the same
/// collection) are sent once per run, also by items in flight at once.
#[derive(Default)]
pub(crate) struct KeyCache(Mutex<HashMap<String, Arc<OnceCell<Option<String>>>>>);

impl KeyCache {
    /// The key `requests` find, looked up by `find` the first time they are asked for.
    async fn key<F, Fut>(&self, requests: &[RequestSpec], find: F) -> Option<String>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Option<String>>,
    {
        let id = requests
            .iter()
            .map(|r| format!("{} {}", r.method.as_str(), r.url))
            .collect::<Vec<_>>()
            .join("\n");
        let cell = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(id)
            .or_default()
            .clone();
        cell.get_or_init(find).await.clone()
    }
}

/// Where an item's pages go: collected, or sent to the run's ordered output as they arrive.
pub(crate) enum PageSink<'a> {
    Collect(&'a mut Page),
    Channel(&'a mpsc::Sender<Page>),
}

impl PageSink<'_> {
    async fn emit(&mut self, page: Page) {
        match self {
            PageSink::Collect(out) => out.extend(page),
            // The receiver lives until the worker ends (or the run is aborted).
            PageSink::Channel(tx) => {
                let _ = tx.send(page).await;
            }
        }
    }
}

/// What a workflow engine asks for: a node, its parameters, its credential and its settings.
/// Its `Debug` lists parameter and credential field names, not values (they may be secrets).
#[derive(Clone)]
pub struct Invocation {
    /// Node name in the registry, e.g. "directus", or a workflow node's type
    /// (`@directus/n8n-nodes-directus.directus`: see [`Registry::node_type`]).
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

/// A prepared run: everything per-run done once (the compiled plan, the HTTP client).
#[derive(Debug, Clone)]
pub struct Runner {
    pub(crate) plan: Arc<Plan>,
    pub(crate) transport: Transport,
    pub(crate) settings: Settings,
    pub(crate) cancel: Cancel,
    pub(crate) skip: Arc<BTreeSet<usize>>,
    /// The last entry an earlier run output for some skipped items ([`Runner::continuing`]).
    pub(crate) continue_after: Arc<BTreeMap<usize, Map<String, Value>>>,
    /// What expressions see beyond the item (`None`: the node alone, with its parameters).
    pub(crate) expressions: Option<noderun_expression::Context>,
}

impl Runner {
    /// Prepares a run.
    ///
    /// # Errors
    /// Unknown node, resource or operation; expressions that do not parse; credentials missing a
    /// required field.
    pub fn new(registry: Arc<Registry>, invocation: Invocation) -> Result<Runner, SetupError> {
        let plan = Plan::compile(
            registry,
            &invocation.node,
            invocation.parameters,
            invocation.credentials,
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
            continue_after: Arc::default(),
            expressions: None,
        })
    }

    /// This runner with what expressions see beyond the item (the workflow, other nodes'
    /// items, `$vars`, the time zone: [`noderun_expression::ContextData`]). Without it they see
    /// the node alone, its parameters and the item.
    pub fn with_expression_context(mut self, context: noderun_expression::Context) -> Runner {
        self.expressions = Some(context);
        self
    }

    /// This runner with a cancellation signal: its runs stop as [`Cancel`] describes when it
    /// fires. Clone the runner per execution to give each its own signal.
    pub fn with_cancel(mut self, cancel: Cancel) -> Runner {
        self.cancel = cancel;
        self
    }

    /// This runner skipping the input items at these indices (their outputs were delivered by an
    /// earlier, interrupted run of the same input): they are neither processed nor output, and
    /// count as [`Summary::skipped`](crate::Summary::skipped). The other items keep their input
    /// index in `pairedItem`.
    pub fn skipping(mut self, done: impl IntoIterator<Item = usize>) -> Runner {
        self.skip = Arc::new(done.into_iter().collect());
        self
    }

    /// This runner continuing the lists of skipped items ([`Runner::skipping`]) that an earlier
    /// run interrupted: given the last entry it output for an item, a list read by keyset
    /// paging asks for the entries after that entry's key (nothing missed or repeated) and
    /// counts as run again; any other item stays skipped.
    pub fn continuing(
        mut self,
        last_entries: impl IntoIterator<Item = (usize, Map<String, Value>)>,
    ) -> Runner {
        self.continue_after = Arc::new(last_entries.into_iter().collect());
        self
    }

    /// Whether skipped item `index` continues its list after the entry an earlier run output
    /// last ([`Runner::continuing`]).
    pub(crate) fn continues(&self, index: usize, item: &Item) -> bool {
        let Some(last) = self.continue_after.get(&index) else {
            return false;
        };
        self.plan
            .for_item_in(index, item, self.expressions.as_ref())
            .and_then(|planned| Ok(planned.pages(&self.settings.paging)?.continue_after(last)))
            .unwrap_or(false)
    }

    /// The compiled plan (e.g. to resolve and validate an item without sending anything:
    /// [`Plan::for_item`], or to refuse a run whose literal parameters are invalid:
    /// [`Plan::literal_failure`]).
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
        let keys = KeyCache::default();
        self.process_into(index, item, &mut PageSink::Collect(&mut out), false, &keys)
            .await?;
        Ok(out)
    }

    /// Processes one item, handing each page's entries to `sink` as the page arrives; with
    /// `continued`, its list goes on after the entry an earlier run output last
    /// ([`Runner::continuing`]). `keys`: the run's key lookups.
    pub(crate) async fn process_into(
        &self,
        index: usize,
        item: &Item,
        sink: &mut PageSink<'_>,
        continued: bool,
        keys: &KeyCache,
    ) -> Result<Done, ItemFailure> {
        let planned = self
            .plan
            .for_item_in(index, item, self.expressions.as_ref())?;
        let mut pages = planned.pages(&self.settings.paging)?;
        if let Some(last) = self.continue_after.get(&index).filter(|_| continued) {
            pages.continue_after(last);
        }
        let sender = Sender {
            transport: &self.transport,
            settings: &self.settings,
        };
        let lookup = pages.key_lookup()?;
        if let Some(requests) = lookup.as_deref().filter(|_| !self.settings.dry_run) {
            let key = keys
                .key(requests, || async {
                    let responses = sender.lookup(&planned, requests).await?;
                    pages.key_in(responses)
                })
                .await;
            if !pages.use_key(key.as_deref()) {
                return Ok(Done::Earlier);
            }
        }
        let mut emitted = 0usize;
        while let Some(request) = pages.next_request()? {
            let uploads = upload::read(&request, item, &self.settings).await?;
            if self.settings.dry_run {
                let files = upload::describe(&uploads);
                let mut described = planned.dry_run(&request, files, self.settings.show_secrets);
                if let Some(requests) = &lookup {
                    described.json.insert(
                        "lookup".into(),
                        planned.dry_run_lookup(requests, self.settings.show_secrets),
                    );
                }
                sink.emit(vec![described]).await;
                return Ok(Done::Ran);
            }
            let page = match sender
                .send(&planned, &request, &uploads, pages.wants_response())
                .await
                .and_then(|(items, response)| pages.advance(items, response))
            {
                Ok(page) => page,
                Err(mut f) => {
                    f.details.message = planned.redactor().scrub(&f.details.message);
                    if pages.requested() > 1 {
                        f.details.message = format!(
                            "{} (page {} of the list; {emitted} entries of the earlier pages were already output)",
                            f.details.message,
                            pages.requested()
                        );
                    }
                    return Err(f);
                }
            };
            emitted += page.len();
            sink.emit(page).await;
        }
        Ok(Done::Ran)
    }
}
