//! How a workflow engine embeds noderun: prepare a run once, stream items in, get outputs back
//! in input order.
//!
//! ```text
//! DIRECTUS_URL=http://127.0.0.1:8055 cargo run -p noderun-executor --example embed
//! ```
//! It lists the authentication providers (no token needed) for three items, streaming them
//! through a channel as an engine would, and prints every output item.

use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_executor::{Invocation, Item, Output, Runner, Settings};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DIRECTUS_URL").unwrap_or_else(|_| "http://127.0.0.1:8055".into());
    // 1. One registry for the process: the embedded definitions, checked at load time.
    let registry = Arc::new(Registry::embedded()?);
    // 2. One runner per node invocation: parameters as in an n8n workflow, the credential, settings.
    let runner = Runner::new(
        registry,
        Invocation {
            node: "directus".into(),
            parameters: json!({"resource": "auth", "operation": "list", "splitIntoItems": "={{ $json.split }}"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            credentials: json!({"url": url}).as_object().cloned().unwrap_or_default(),
            settings: Settings { concurrency: 4, ..Settings::default() }.continue_on_fail(true),
        },
    )?;
    // 3. Items arrive as a stream (here from a channel fed by another task).
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Item, String>>(16);
    tokio::spawn(async move {
        for split in [false, true, false] {
            let item = Item::from_input(json!({"split": split}));
            if tx.send(item).await.is_err() {
                break;
            }
        }
    });
    let input =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|i| (i, rx)) });
    // 4. Outputs come back in input order, each paired with its input item.
    let summary = runner
        .run_stream(input, |output| match output {
            Output::Main(item) | Output::Error(item) => {
                println!("{}", serde_json::to_string(&item).unwrap_or_default())
            }
        })
        .await;
    eprintln!(
        "{} items: {} succeeded, {} failed",
        summary.items, summary.succeeded, summary.failed
    );
    Ok(())
}
