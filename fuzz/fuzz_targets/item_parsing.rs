//! Input parsing as the CLI does it (`crates/cli/src/input.rs`), on arbitrary bytes.
//!
//! When the first non-blank byte is `[` the input is one JSON array and every entry goes through
//! `Item::from_input`; otherwise every non-blank line is checked for UTF-8, parsed with
//! `serde_json::from_str` and goes through `Item::from_input`. Nothing is exposed from the cli
//! crate: the few lines of logic are repeated here.
//!
//! Besides "no panic", every accepted item must survive a round trip: serialized as an n8n item
//! (`{"json": …, "binary"?: …}`) and read back with `Item::from_input`, it is the same item.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noderun_executor::Item;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        // The JSON array form, read whole.
        if let Ok(values) = serde_json::from_slice::<Vec<Value>>(data) {
            for value in values {
                check(value);
            }
        }
        return;
    }
    // NDJSON: one entry per line, blank lines skipped.
    for line in data.split_inclusive(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            check(value);
        }
    }
});

fn check(value: Value) {
    let was_object = value.is_object();
    let Ok(item) = Item::from_input(value) else {
        return;
    };
    assert!(was_object, "only objects become items");
    assert!(item.paired_item.is_none() && item.error.is_none());
    // Round trip through the item's own serialization (as a value: no float text involved).
    let value = serde_json::to_value(&item).expect("an item serializes");
    let again = Item::from_input(value).expect("a serialized item reads back");
    assert_eq!(again, item);
    // (Not checked: that the item's text parses again. A bare object 128 levels deep is read,
    // but its `{"json": …}` form is one level deeper than serde_json's recursion limit.)
}
