//! Cancelling runs (`Cancel`) and skipping items done earlier (`Runner::skipping`): which items
//! run, which outputs are delivered, and the exact accounting in `Summary`.
//!
//! Items are refreshes of `rt-<i>` against the test kit's server on 127.0.0.1, whose answer to
//! each item is delayed as the case needs.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use noderun_definitions::Registry;
use noderun_executor::{Cancel, Invocation, Item, Output, Runner, Settings, Summary};
use noderun_testkit::{Reply, Request, Server};
use serde_json::json;

fn runner(url: &str, concurrency: usize) -> Runner {
    Runner::new(
        Arc::new(Registry::embedded().expect("embedded definitions load")),
        Invocation {
            node: "directus".into(),
            parameters: json!({"resource": "auth", "operation": "refreshToken", "refreshToken": "={{ $json.rt }}"})
                .as_object()
                .cloned()
                .expect("an object"),
            credentials: json!({"url": url}).as_object().cloned().expect("an object"),
            settings: Settings {
                concurrency,
                ..Settings::default()
            },
        },
    )
    .expect("the invocation is valid")
}

fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item::from_input(json!({ "rt": format!("rt-{i}") })).expect("an object"))
        .collect()
}

/// The item index of a request (its refresh token is `rt-<i>`).
fn index(request: &Request) -> usize {
    request.json()["refresh_token"].as_str().expect("a token")[3..]
        .parse()
        .expect("an index")
}

/// A server answering item `i` after `delay(i)`.
fn server(delay: impl Fn(usize) -> Duration + Send + Sync + 'static) -> Server {
    Server::start(move |request| {
        let i = index(request);
        Reply::json(
            200,
            &json!({"data": {"refresh_token": format!("refresh-{i}")}}),
        )
        .after(delay(i))
    })
}

/// The input indices of the outputs.
fn paired(outputs: &[Item]) -> Vec<usize> {
    outputs
        .iter()
        .map(|o| o.paired_item.expect("paired").item)
        .collect()
}

/// The indices the server was asked for, sorted.
fn requested(server: &Server) -> Vec<usize> {
    let mut got: Vec<usize> = server.log().received.iter().map(index).collect();
    got.sort_unstable();
    got
}

/// Returns once the server has received `n` requests: a case stops its run at a point the
/// server saw (the items it needs in flight have arrived), never after a guessed time.
async fn arrived(server: &Server, n: usize) {
    let server = server.clone();
    tokio::task::spawn_blocking(move || {
        server.wait_for(&format!("{n} requests"), |log| log.received.len() >= n);
    })
    .await
    .expect("the wait ends");
}

/// The summary without its wall time.
fn accounting(mut s: Summary) -> Summary {
    s.elapsed = Duration::ZERO;
    s
}

#[tokio::test]
async fn a_stop_lets_the_items_in_flight_finish_and_starts_no_other() {
    let server = server(|_| Duration::from_millis(300));
    let cancel = Cancel::new();
    let runner = runner(server.url(), 2).with_cancel(cancel.clone());
    let (result, ()) = tokio::join!(runner.run_batch(items(6)), async {
        arrived(&server, 2).await;
        cancel.stop(Duration::from_secs(30));
    });
    assert_eq!(paired(&result.main), [0, 1]);
    assert_eq!(
        result.main[1].json,
        *json!({"refresh_token": "refresh-1"}).as_object().unwrap()
    );
    assert_eq!(
        accounting(result.summary),
        Summary {
            items: 6,
            succeeded: 2,
            not_run: 4,
            cancelled: true,
            ..Summary::default()
        }
    );
    assert_eq!(requested(&server), [0, 1]);
}

#[tokio::test]
async fn at_the_deadline_items_in_flight_are_interrupted_and_completed_ones_delivered() {
    // Item 1 is slow, item 2 answers at once: at the deadline 2 has completed, 1 has not.
    let server = server(|i| match i {
        1 | 3 => Duration::from_secs(20),
        _ => Duration::ZERO,
    });
    let cancel = Cancel::new();
    let runner = runner(server.url(), 3).with_cancel(cancel.clone());
    let started = std::time::Instant::now();
    // Item 3 starts once item 0 is delivered; item 4 would wait for item 1.
    let (result, ()) = tokio::join!(runner.run_batch(items(5)), async {
        arrived(&server, 4).await;
        cancel.stop(Duration::from_millis(200));
    });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "aborted at the deadline"
    );
    assert_eq!(paired(&result.main), [0, 2]);
    assert_eq!(
        accounting(result.summary),
        Summary {
            items: 5,
            succeeded: 2,
            interrupted: vec![1, 3],
            not_run: 1,
            cancelled: true,
            ..Summary::default()
        }
    );
    assert_eq!(requested(&server), [0, 1, 2, 3]);
}

#[tokio::test]
async fn abort_shortens_a_stop_and_a_later_stop_does_not_extend_it() {
    let server = server(|_| Duration::from_secs(20));
    let cancel = Cancel::new();
    let runner = runner(server.url(), 2).with_cancel(cancel.clone());
    let started = std::time::Instant::now();
    let (result, ()) = tokio::join!(runner.run_batch(items(2)), async {
        arrived(&server, 2).await;
        cancel.stop(Duration::from_secs(60));
        cancel.abort();
        cancel.stop(Duration::from_secs(60));
    });
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(cancel.is_stopped());
    assert_eq!(result.summary.interrupted, [0, 1]);
    assert!(result.main.is_empty());
}

#[tokio::test]
async fn a_run_with_a_stopped_signal_runs_nothing_and_counts_everything() {
    let server = server(|_| Duration::ZERO);
    let cancel = Cancel::new();
    cancel.stop(Duration::from_secs(1));
    let result = runner(server.url(), 1)
        .with_cancel(cancel)
        .run_batch(items(3))
        .await;
    assert!(result.main.is_empty());
    assert_eq!(
        accounting(result.summary),
        Summary {
            items: 3,
            not_run: 3,
            cancelled: true,
            ..Summary::default()
        }
    );
    assert_eq!(requested(&server), Vec::<usize>::new());
}

#[tokio::test]
async fn an_input_that_does_not_end_is_left_unread_at_the_deadline() {
    let server = server(|_| Duration::ZERO);
    let cancel = Cancel::new();
    let runner = runner(server.url(), 1).with_cancel(cancel.clone());
    // Two items, then an input that never ends (a producer that went quiet).
    let input = futures::stream::iter(items(2).into_iter().map(Ok::<Item, String>))
        .chain(futures::stream::pending());
    // Stopped once both items are delivered: the run then waits only for the input.
    let mut outputs = Vec::new();
    let delivered = std::cell::Cell::new(0);
    let (summary, ()) = tokio::join!(
        runner.run_stream(input, |o| {
            if let Output::Main(item) = o {
                outputs.push(item);
                delivered.set(delivered.get() + 1);
            }
        }),
        async {
            while delivered.get() < 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            cancel.stop(Duration::from_millis(100));
        }
    );
    assert_eq!(paired(&outputs), [0, 1]);
    assert_eq!(
        accounting(summary),
        Summary {
            items: 2,
            succeeded: 2,
            cancelled: true,
            unread_input: true,
            ..Summary::default()
        }
    );
}

#[tokio::test]
async fn skipped_items_are_not_sent_and_the_others_keep_their_index() {
    let server = server(|_| Duration::ZERO);
    let result = runner(server.url(), 2)
        .skipping([1, 3])
        .run_batch(items(5))
        .await;
    assert_eq!(paired(&result.main), [0, 2, 4]);
    assert_eq!(
        result.main[1].json,
        *json!({"refresh_token": "refresh-2"}).as_object().unwrap()
    );
    assert_eq!(
        accounting(result.summary),
        Summary {
            items: 5,
            skipped: 2,
            succeeded: 3,
            ..Summary::default()
        }
    );
    assert_eq!(requested(&server), [0, 2, 4]);
}

#[tokio::test]
async fn a_signal_that_never_fires_changes_nothing() {
    let server = server(|i| Duration::from_millis(40 * (4 - i as u64)));
    let result = runner(server.url(), 4)
        .with_cancel(Cancel::new())
        .run_batch(items(4))
        .await;
    // Answers come in reverse order; outputs keep the input order.
    assert_eq!(paired(&result.main), [0, 1, 2, 3]);
    assert_eq!(
        accounting(result.summary),
        Summary {
            items: 4,
            succeeded: 4,
            ..Summary::default()
        }
    );
}
