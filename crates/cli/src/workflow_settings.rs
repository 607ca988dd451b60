//! What n8n's node settings do to a run as a whole (the per-item ones, errors and retries, are
//! the executor's): `disabled` passes the items through, `alwaysOutputData` writes one empty
//! item when there is no output, `executeOnce` keeps the first item (in `run`).

use std::process::ExitCode;

use futures::StreamExt;
use futures::stream::BoxStream;
use noderun_executor::{Item, Output, PairedItem};
use serde_json::{Value, json};

use crate::output::Sinks;
use crate::report::{fail, note};

/// A disabled node: n8n passes its input through untouched (each item paired with its position);
/// nothing is sent and no credentials are needed.
pub(crate) async fn pass_through(
    mut input: BoxStream<'static, Result<Item, String>>,
    mut sinks: Sinks,
    quiet: bool,
) -> ExitCode {
    let mut index = 0;
    let mut unreadable = None;
    while let Some(entry) = input.next().await {
        match entry {
            Ok(mut item) => {
                item.paired_item = Some(PairedItem { item: index });
                item.lineage = None;
                if !sinks.push(&Output::Main(item)) {
                    break;
                }
            }
            Err(e) => {
                unreadable = Some(format!("item {index}: {e}"));
                break;
            }
        }
        index += 1;
    }
    sinks.flush();
    let lost = sinks.into_lost();
    if let Some((name, lost)) = lost.first() {
        return fail(&format!(
            "cannot write to {name}: {}",
            lost.error
                .as_ref()
                .map_or_else(String::new, ToString::to_string)
        ));
    }
    if let Some(e) = unreadable {
        return fail(&e);
    }
    if !quiet {
        note(&format!(
            "noderun: {index} item{}: passed through untouched (the node is disabled)",
            if index == 1 { "" } else { "s" }
        ));
    }
    ExitCode::SUCCESS
}

/// An input entry as expressions see it in `$input.all()`: `{json, binary?, pairedItem?}`.
pub(crate) fn as_value(entry: &Result<Item, String>) -> Value {
    match entry {
        Ok(item) => {
            let mut v = json!({ "json": item.json });
            if let Some(b) = &item.binary {
                v["binary"] = Value::Object(b.clone());
            }
            if let Some(p) = &item.lineage {
                v["pairedItem"] = p.clone();
            }
            v
        }
        Err(_) => json!({ "json": {} }),
    }
}

/// n8n's item of `alwaysOutputData`: empty, paired with each of the `items` input items.
pub(crate) fn empty_item(items: usize) -> Value {
    json!({
        "json": {},
        "pairedItem": (0..items).map(|i| json!({ "item": i })).collect::<Vec<_>>(),
    })
}
