//! The command examples of the README and docs/ that use `creds.json` still print what they
//! show against the real Directus of `scripts/test` (see support/examples.rs).

use crate::support::directus::Directus;
use crate::support::examples::{blocks, needs_directus, run_block};

/// The examples that run against a Directus.
#[test]
fn directus_examples_print_what_the_docs_show() {
    let directus = Directus::connect();
    let blocks: Vec<_> = blocks().into_iter().filter(|b| needs_directus(b)).collect();
    assert!(!blocks.is_empty(), "the README's login example");
    for block in &blocks {
        run_block(block, Some(&directus));
    }
}
