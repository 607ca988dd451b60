//! The CLI's tests that need nothing but the `noderun` binary (and, for some, the tools
//! `scripts/test` installs: Chromium, n8n's packages, local stand-in servers): one test binary,
//! one module per subject. `cargo test -p noderun --test standalone` runs them without a
//! Directus; the tests against a real Directus are the `directus` binary.

#[path = "../support/mod.rs"]
mod support;

mod bad_input;
mod binary_input;
mod cli_surface;
mod community_workflows;
mod docs_examples;
mod forms_browser;
mod interrupt;
mod official_workflows;
mod secrets;
mod workflow_files;
