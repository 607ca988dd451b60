//! The executor: n8n items in, exactly one outcome per item out.
//!
//! The primary type is [`Runner`], built from an [`Invocation`] (node, parameters, credential,
//! [`Settings`]). It compiles the run once into a [`Plan`] (the IO-free planner,
//! `noderun-plan`); for each input [`Item`] the plan resolves the expressions, validates what
//! they produced and builds the HTTP request(s) from the definition's declarative routing; the
//! runner sends them with reqwest on tokio and turns the responses into output items or a
//! failure: `{"json": …, "pairedItem": {"item": i}}`, or with continue-on-fail an item whose
//! `json.error` says what went wrong.
//!
//! An item goes one way through the rooms: [`Plan`] (parameters, requests, pages) → `runner`
//! (the item's pages, its binary uploads) → `attempt` (retries, the follow-up request of a
//! two-call operation) → `transport` (HTTP) → `outcome` (the response as items); `scheduler`
//! runs the items (concurrency, input order, stopping, cancellation).
//!
//! The key design decision: the executor contains no knowledge of any service. Everything a
//! node does is data from `noderun-definitions`, interpreted the way n8n's own declarative engine
//! (`RoutingNode`) interprets it, so one definition runs the same in both engines. Secrets
//! (credential fields and parameters marked `password`) never reach logs or error messages:
//! messages pass through a per-item redactor and [`Credentials`] redacts itself in `Debug`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use noderun_executor::{Invocation, Item, Runner, Settings};
//! use serde_json::json;
//!
//! let registry = Arc::new(noderun_definitions::Registry::embedded()?);
//! let runner = Runner::new(registry, Invocation {
//!     node: "directus".into(),
//!     parameters: json!({"resource": "auth", "operation": "refreshToken",
//!                        "refreshToken": "={{ $json.refresh_token }}"}).as_object().unwrap().clone(),
//!     credentials: json!({"url": "http://127.0.0.1:8055"}).as_object().unwrap().clone(),
//!     settings: Settings::default().continue_on_fail(true),
//! })?;
//! let items = vec![Item::from_input(json!({"refresh_token": "…"}))?];
//! let result = runner.run_batch(items).await;
//! for item in result.main {
//!     println!("{}", serde_json::to_string(&item)?);
//! }
//! # Ok(()) }
//! ```
//!
//! A run can be cancelled the way n8n cancels an execution: give the runner a [`Cancel`]
//! ([`Runner::with_cancel`]) and call [`Cancel::stop`] (no new item starts, the items in flight
//! get a grace period, then are aborted) or [`Cancel::abort`] from any task or thread. Outputs of
//! completed items are always delivered; [`Summary`] accounts for every input item (succeeded,
//! failed, interrupted with the outcome unknown, not run, skipped by [`Runner::skipping`]).

#![deny(missing_docs)]

mod attempt;
mod binary;
mod cancel;
mod outcome;
mod runner;
mod scheduler;
mod settings;
mod transport;

pub use binary::BinaryData;
pub use cancel::Cancel;
pub use noderun_plan::{
    Credentials, FailureKind, Item, ItemError, ItemFailure, ItemPlan, Paging, PairedItem, Plan,
    RequestSpec, SetupError,
};
pub use runner::{Invocation, Runner};
pub use scheduler::{BatchResult, Output, StopError, Summary};
pub use settings::{OnError, Settings};
