//! The planner: a node invocation compiled once per run, and each item's request(s) built from
//! it, without any IO (no network, files, threads or clocks), so that the same code runs in the
//! executor and, compiled to WebAssembly, in a browser.
//!
//! The primary type is [`Plan`], compiled once per run by [`Plan::compile`] from a node, its
//! raw parameters (as in an n8n workflow) and its credential. Per item, [`Plan::for_item`]
//! evaluates only what the item changes and gives an [`ItemPlan`]: its parameters, validated,
//! and its requests ([`ItemPlan::pages`]: the first request and, when the operation pages, the
//! next one given a page's response; [`ItemPlan::follow_up`] for a two-call operation).
//!
//! The key decision: split the work by what it depends on. Everything that depends only on the
//! run is done once at compile time: the operation looked up, displayOptions and defaults
//! applied, every expression parsed, every parameter that holds no expression coerced,
//! parsed and validated (a run whose literal parameters are invalid is known before its first
//! item: [`Plan::literal_failure`]), and the request built up to the first routing step that
//! depends on the item. Per item only the expressions are evaluated and only the values they
//! produced validated, with the same messages as the whole operation schema gives. Secrets
//! (credential fields and parameters marked `password`) never reach a message: they pass through
//! a [`Redactor`], and [`Credentials`] and [`RequestSpec`] hide them in `Debug`.

#![deny(missing_docs)]

mod compat;
mod compile;
mod credentials;
mod error;
mod files;
mod item;
mod item_plan;
mod paging;
mod parameters;
mod redact;
mod request;
mod routing;

pub use compile::Plan;
pub use credentials::Credentials;
pub use error::{FailureKind, ItemFailure, SetupError};
pub use files::{BinaryData, FilePart, FileSource, file_dry_run};
pub use item::{Item, ItemError, PairedItem};
pub use item_plan::ItemPlan;
pub use paging::{Pages, Paging};
pub use redact::Redactor;
pub use request::RequestSpec;
pub use routing::ResponsePlan;
