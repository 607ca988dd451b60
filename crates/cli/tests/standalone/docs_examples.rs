//! The command examples of the README and docs/ that need nothing but the binary still run and
//! print what they show (see support/examples.rs for how a block reads).

use crate::support::examples::{
    blocks, lines_match, matches, needs_directus, run_block, without_times,
};

#[test]
fn the_matching_rules() {
    assert!(matches("a…c", "abbbc"));
    assert!(matches(
        "{\"t\":\"x_…\",\"a\":\"ey…\"}",
        "{\"t\":\"x_123\",\"a\":\"eyJ\"}"
    ));
    assert!(!matches("a…c", "abd"));
    assert!(!matches("ab", "abc"));
    assert_eq!(
        without_times("noderun: 2 items: 1 succeeded in 1.03s"),
        "noderun: 2 items: 1 succeeded in Ts"
    );
    assert_eq!(without_times("written in place"), "written in place");
    let shown = ["a", "…", "d"].map(String::from);
    assert!(lines_match(&shown, &["a", "b", "c", "d"]));
    assert!(!lines_match(&shown, &["a", "d"]));
    assert!(!lines_match(&shown, &["a", "b", "c"]));
}

/// The examples that need nothing but the binary.
#[test]
fn self_contained_examples_print_what_the_docs_show() {
    let blocks: Vec<_> = blocks()
        .into_iter()
        .filter(|b| !needs_directus(b))
        .collect();
    assert!(
        blocks.len() >= 3,
        "the README's describe, export and forms examples"
    );
    for block in &blocks {
        run_block(block, None);
    }
}
