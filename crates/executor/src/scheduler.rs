//! The run loop: items started with bounded concurrency, their outputs delivered in input order
//! as they complete (a paged list page by page), one outcome per item, and every input item
//! accounted for when the run stops at a failure or is cancelled.

use std::collections::VecDeque;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, Stream, StreamExt};
use noderun_plan::{FailureKind, Item, ItemFailure, PairedItem};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::cancel::State;
use crate::runner::{Done, KeyCache, Page, PageSink, Runner};
use crate::settings::OnError;

/// Pages an item may have fetched ahead of the item being output (with `--concurrency`).
const PAGES_AHEAD: usize = 1;

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

/// The run stopped at a failing item (no continue-on-fail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {item}: {}", failure.details.message)]
pub struct StopError {
    /// Index of the failing input item.
    pub item: usize,
    /// Why it failed.
    pub failure: ItemFailure,
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

impl Runner {
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
        // The key lookups of this run (each collection's once), shared by its items.
        let keys = KeyCache::default();
        let keys = &keys;
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
                        let continued = self.skip.contains(&index)
                            && starting
                            && entry.as_ref().is_ok_and(|item| self.continues(index, item));
                        if self.skip.contains(&index) && !continued {
                            summary.skipped += 1;
                        } else if !starting {
                            summary.not_run += 1;
                        } else {
                            let (tx, rx) = mpsc::channel(PAGES_AHEAD);
                            order.push_back(Slot { index, rx, done: None });
                            workers.push(async move {
                                let result = match entry {
                                    Ok(item) => {
                                        self.process_into(
                                            index,
                                            &item,
                                            &mut PageSink::Channel(&tx),
                                            continued,
                                            keys,
                                        )
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
        result: Result<Done, ItemFailure>,
        summary: &mut Summary,
        deliver: &mut F,
    ) {
        let paired = Some(PairedItem { item: index });
        match result {
            Ok(Done::Ran) => summary.succeeded += 1,
            Ok(Done::Earlier) => summary.skipped += 1,
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
                        paired_item: paired,
                        error: Some((*failure.details).clone()),
                        ..Item::new(json)
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
    done: Option<Result<Done, ItemFailure>>,
}

/// Delivers a page's entries as main outputs paired with input item `index`.
fn deliver_page<F: FnMut(Output)>(index: usize, entries: Page, deliver: &mut F) {
    for mut item in entries {
        item.paired_item = Some(PairedItem { item: index });
        deliver(Output::Main(item));
    }
}
