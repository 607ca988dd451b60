//! The CLI's tests against the real Directus servers that `scripts/test` starts (run them with
//! `scripts/test -p noderun --test directus`; without the servers they fail saying so, they are
//! never skipped): one test binary, one module per subject. Its tests run on threads side by side
//! on the same servers, so each works in tables, users and files of its own (`support::directus`:
//! one admin token per server, the standard tables made per tag, schema changes under one lock).

#[path = "../support/mod.rs"]
mod support;

mod directus12;
mod docs_examples;
mod e2e;
mod files;
mod mcp;
mod mcp_inspector;
mod official;
mod paging;
mod resources;
mod trigger;
mod workflow_files;
