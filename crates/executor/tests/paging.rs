//! Paged Return All against a local server that pages like Directus (`limit`/`offset` over a
//! list of numbered rows, `{"data": [...]}`): the exact page requests, the order and pairing of
//! the outputs (also with concurrency), one error for a page that fails (saying how many entries
//! were already output), retries of the failing page only, keyset paging of the lists sorted by
//! their key (and its continuation by `--resume`), and the generic (cursor) pagination.

mod support;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use noderun_definitions::Registry;
use noderun_executor::{Invocation, Item, Output, Paging, Runner, Settings};
use serde_json::{Map, Value, json};
use support::{Cursor, Pages, cursor_node, pages};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

async fn server(pages: Pages) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(pages).mount(&server).await;
    server
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().expect("an object").clone()
}

fn runner(url: &str, parameters: Value, settings: Settings) -> Runner {
    Runner::new(
        Arc::new(Registry::embedded().unwrap()),
        Invocation {
            node: "directus".into(),
            parameters: object(parameters),
            credentials: object(json!({"url": url, "accessToken": "t"})),
            settings,
        },
    )
    .unwrap()
}

fn list(extra: Value) -> Value {
    let mut p = json!({"resource": "items", "operation": "list", "collection": "rows"});
    p.as_object_mut().unwrap().extend(object(extra));
    p
}

fn inputs(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item::from_input(json!({"i": i})).unwrap())
        .collect()
}

/// The path and query (decoded) of every request the server received, in order.
async fn requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let query: Vec<String> = r
                .url
                .query_pairs()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{}?{}", r.url.path(), query.join("&"))
        })
        .collect()
}

fn ids(items: &[Item]) -> Vec<u64> {
    items
        .iter()
        .map(|i| i.json["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn return_all_reads_page_after_page_until_a_short_page() {
    let server = server(pages(2345)).await;
    let result = runner(&server.uri(), list(json!({})), Settings::default())
        .run_batch(inputs(1))
        .await;
    assert_eq!(ids(&result.main), (1..=2345).collect::<Vec<_>>());
    assert!(result.main.iter().all(|i| i.paired_item.unwrap().item == 0));
    // The key lookup first: this server refuses it (HTTP 403, not tried again, the second
    // request not sent), and the list pages by offset.
    assert_eq!(
        requests(&server).await,
        [
            "/fields/rows?",
            "/items/rows?limit=1000&offset=0",
            "/items/rows?limit=1000&offset=1000",
            "/items/rows?limit=1000&offset=2000",
        ]
    );
    assert_eq!(result.summary.succeeded, 1);
}

#[tokio::test]
async fn a_list_of_exactly_full_pages_ends_with_an_empty_page() {
    let server = server(pages(2000)).await;
    let result = runner(&server.uri(), list(json!({})), Settings::default())
        .run_batch(inputs(1))
        .await;
    assert_eq!(result.main.len(), 2000);
    // The key lookup (refused), and three pages.
    assert_eq!(requests(&server).await.len(), 4);
}

#[tokio::test]
async fn system_lists_order_by_id_unless_the_user_sorts() {
    let server = server(pages(5)).await;
    let users = json!({"resource": "users", "operation": "list"});
    runner(&server.uri(), users.clone(), Settings::default())
        .run_batch(inputs(1))
        .await;
    let mut sorted = users;
    sorted["additionalFields"] = json!({"sort": "-email"});
    runner(&server.uri(), sorted, Settings::default())
        .run_batch(inputs(1))
        .await;
    assert_eq!(
        requests(&server).await,
        [
            "/users?sort=id&limit=1000&offset=0",
            "/users?sort=-email&limit=1000&offset=0",
        ]
    );
}

#[tokio::test]
async fn a_limit_without_return_all_is_one_request() {
    let server = server(pages(5000)).await;
    let result = runner(
        &server.uri(),
        list(json!({"returnAll": false, "limit": 1500})),
        Settings::default(),
    )
    .run_batch(inputs(1))
    .await;
    assert_eq!(result.main.len(), 1500);
    assert_eq!(requests(&server).await, ["/items/rows?limit=1500"]);
}

#[tokio::test]
async fn pages_are_output_as_they_arrive_in_input_order_with_concurrency() {
    // Item 1's pages come back faster than item 0's; its outputs still follow all of item 0's.
    let server = server(Pages {
        delay: Duration::from_millis(20),
        ..pages(2500)
    })
    .await;
    let settings = Settings {
        concurrency: 3,
        ..Settings::default()
    };
    let runner = runner(&server.uri(), list(json!({})), settings);
    let mut seen = Vec::new();
    let summary = runner
        .run_stream(futures::stream::iter(inputs(3).into_iter().map(Ok)), |o| {
            let Output::Main(item) = o else {
                panic!("an error output")
            };
            seen.push((
                item.paired_item.unwrap().item,
                item.json["id"].as_u64().unwrap(),
            ));
        })
        .await;
    let expected: Vec<(usize, u64)> = (0..3)
        .flat_map(|i| (1..=2500).map(move |id| (i, id)))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(summary.succeeded, 3);
}

#[tokio::test]
async fn a_failing_page_is_one_error_saying_what_was_already_output() {
    let server = server(Pages {
        fail_at: Some(2000),
        failures: AtomicUsize::new(usize::MAX),
        ..pages(3500)
    })
    .await;
    let message = "Database is busy (HTTP 500, INTERNAL_SERVER_ERROR) (page 3 of the list; 2000 \
                   entries of the earlier pages were already output)";
    let settings = Settings::default().continue_on_fail(true);
    let result = runner(&server.uri(), list(json!({})), settings)
        .run_batch(inputs(2))
        .await;
    // Item 0: 2000 entries, then its error; item 1 the same.
    for i in 0..2 {
        let mine: Vec<&Item> = result
            .main
            .iter()
            .filter(|o| o.paired_item.unwrap().item == i)
            .collect();
        assert_eq!(mine.len(), 2001);
        assert_eq!(mine[2000].json["error"], json!(message));
        assert_eq!(
            mine[..2000]
                .iter()
                .map(|o| o.json["id"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            (1..=2000).collect::<Vec<_>>()
        );
    }
    assert_eq!((result.summary.succeeded, result.summary.failed), (0, 2));

    // Without continue-on-fail: the entries already output stay, the run stops at item 0.
    let result = runner(&server.uri(), list(json!({})), Settings::default())
        .run_batch(inputs(2))
        .await;
    assert_eq!(result.main.len(), 2000);
    let stopped = result.summary.stopped.unwrap();
    assert_eq!((stopped.item, stopped.failure.message()), (0, message));
    assert_eq!(result.summary.not_run, 1);
}

#[tokio::test]
async fn a_retry_repeats_the_failing_page_only() {
    let server = server(Pages {
        fail_at: Some(1000),
        failures: AtomicUsize::new(1),
        ..pages(1500)
    })
    .await;
    let settings = Settings {
        retry_on_fail: true,
        wait_between_tries: Duration::ZERO,
        ..Settings::default()
    };
    let result = runner(&server.uri(), list(json!({})), settings)
        .run_batch(inputs(1))
        .await;
    assert_eq!(ids(&result.main), (1..=1500).collect::<Vec<_>>());
    assert_eq!(
        requests(&server).await,
        [
            "/fields/rows?",
            "/items/rows?limit=1000&offset=0",
            "/items/rows?limit=1000&offset=1000",
            "/items/rows?limit=1000&offset=1000",
        ]
    );
}

#[tokio::test]
async fn dry_run_shows_the_first_page_request() {
    let settings = Settings {
        dry_run: true,
        ..Settings::default()
    };
    let result = runner("http://127.0.0.1:9", list(json!({})), settings)
        .run_batch(inputs(1))
        .await;
    assert_eq!(
        result.main[0].json["url"],
        json!("http://127.0.0.1:9/items/rows?limit=1000&offset=0")
    );
}

#[tokio::test]
async fn generic_pagination_follows_a_cursor_from_the_previous_response() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Cursor).mount(&server).await;
    let registry = Arc::new(Registry::from_sources(cursor_node()).unwrap());
    let runner = Runner::new(
        registry,
        Invocation {
            node: "cursor".into(),
            parameters: object(json!({"resource": "rows", "operation": "list", "size": 3})),
            credentials: object(json!({"url": server.uri(), "accessToken": "t"})),
            settings: Settings::default(),
        },
    )
    .unwrap();
    let result = runner.run_batch(inputs(1)).await;
    assert_eq!(ids(&result.main), (1..=7).collect::<Vec<_>>());
    assert_eq!(
        requests(&server).await,
        [
            "/rows?size=3",
            "/rows?cursor=3&size=3",
            "/rows?cursor=6&size=3"
        ]
    );
}

/// Activity → List: a system collection with a numeric key.
fn activity(extra: Value) -> Value {
    let mut p = json!({"resource": "activity", "operation": "list"});
    p.as_object_mut().unwrap().extend(object(extra));
    p
}

#[tokio::test]
async fn a_list_sorted_by_its_key_pages_after_the_last_key() {
    let server = server(pages(2003)).await;
    let result = runner(&server.uri(), activity(json!({})), Settings::default())
        .run_batch(inputs(1))
        .await;
    assert_eq!(ids(&result.main), (1..=2003).collect::<Vec<_>>());
    assert_eq!(
        requests(&server).await,
        [
            "/activity?sort=id&limit=1000&offset=0",
            r#"/activity?sort=id&limit=1000&offset=0&filter={"id":{"_gt":1000}}"#,
            r#"/activity?sort=id&limit=1000&offset=0&filter={"id":{"_gt":2000}}"#,
        ]
    );
    assert_eq!(result.summary.succeeded, 1);
}

#[tokio::test]
async fn keyset_paging_joins_the_users_filter_with_and() {
    let server = server(pages(1500)).await;
    let filtered = activity(json!({"additionalFields": {"filter": {"status": {"_eq": "active"}}}}));
    let result = runner(&server.uri(), filtered, Settings::default())
        .run_batch(inputs(1))
        .await;
    assert_eq!(ids(&result.main), (1..=1500).collect::<Vec<_>>());
    assert_eq!(
        requests(&server).await,
        [
            r#"/activity?sort=id&filter={"status":{"_eq":"active"}}&limit=1000&offset=0"#,
            r#"/activity?sort=id&filter={"_and":[{"status":{"_eq":"active"}},{"id":{"_gt":1000}}]}&limit=1000&offset=0"#,
        ]
    );
}

#[tokio::test]
async fn another_sort_or_offset_only_pages_by_offset_and_the_page_size_is_a_setting() {
    let server = server(pages(1200)).await;
    let sorted = activity(json!({"additionalFields": {"sort": "-timestamp"}}));
    runner(&server.uri(), sorted, Settings::default())
        .run_batch(inputs(1))
        .await;
    let offset_only = Settings {
        paging: Paging {
            offset_only: true,
            page_size: Some(500),
        },
        ..Settings::default()
    };
    let result = runner(&server.uri(), activity(json!({})), offset_only)
        .run_batch(inputs(1))
        .await;
    assert_eq!(ids(&result.main), (1..=1200).collect::<Vec<_>>());
    assert_eq!(
        requests(&server).await,
        [
            "/activity?sort=-timestamp&limit=1000&offset=0",
            "/activity?sort=-timestamp&limit=1000&offset=1000",
            "/activity?sort=id&limit=500&offset=0",
            "/activity?sort=id&limit=500&offset=500",
            "/activity?sort=id&limit=500&offset=1000",
        ]
    );
}

#[tokio::test]
async fn a_resumed_keyset_list_continues_after_the_last_key_output() {
    let server = server(pages(2003)).await;
    let result = runner(&server.uri(), activity(json!({})), Settings::default())
        .skipping([0, 1])
        .continuing([(0, object(json!({"id": 1000, "action": "create"})))])
        .run_batch(inputs(3))
        .await;
    // Item 0 goes on after key 1000; item 1 (no last entry given) stays done; item 2 runs.
    let paired: Vec<(usize, u64)> = result
        .main
        .iter()
        .map(|i| (i.paired_item.unwrap().item, i.json["id"].as_u64().unwrap()))
        .collect();
    let expected: Vec<(usize, u64)> = (1001..=2003)
        .map(|id| (0, id))
        .chain((1..=2003).map(|id| (2, id)))
        .collect();
    assert_eq!(paired, expected);
    assert_eq!((result.summary.skipped, result.summary.succeeded), (1, 2));
    assert_eq!(
        requests(&server).await[..2],
        [
            r#"/activity?sort=id&limit=1000&offset=0&filter={"id":{"_gt":1000}}"#,
            r#"/activity?sort=id&limit=1000&offset=0&filter={"id":{"_gt":2000}}"#,
        ]
    );
}

#[tokio::test]
async fn a_resumed_offset_list_stays_done() {
    let server = server(pages(20)).await;
    let result = runner(&server.uri(), list(json!({})), Settings::default())
        .skipping([0])
        .continuing([(0, object(json!({"id": 10})))])
        .run_batch(inputs(1))
        .await;
    assert!(result.main.is_empty());
    assert_eq!(result.summary.skipped, 1);
    // Only the key lookup, refused: no key to continue after.
    assert_eq!(requests(&server).await, ["/fields/rows?"]);
}

#[tokio::test]
async fn text_keys_a_server_cannot_compare_page_by_offset() {
    // Users have UUID keys, and Directus has no `_gt` for UUIDs (`keyTypes: ["number"]`).
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|r: &wiremock::Request| {
            let offset: usize = support::query(r, "offset").unwrap().parse().unwrap();
            let rows: Vec<Value> = (offset..(offset + 1000).min(1500))
                .map(|i| json!({"id": format!("uuid-{i:04}")}))
                .collect();
            wiremock::ResponseTemplate::new(200).set_body_json(json!({"data": rows}))
        })
        .mount(&server)
        .await;
    let users = json!({"resource": "users", "operation": "list"});
    let result = runner(&server.uri(), users.clone(), Settings::default())
        .run_batch(inputs(1))
        .await;
    assert_eq!(result.main.len(), 1500);
    assert_eq!(
        requests(&server).await,
        [
            "/users?sort=id&limit=1000&offset=0",
            "/users?sort=id&limit=1000&offset=1000",
        ]
    );
    // Nor does a resumed list continue after such a key.
    let result = runner(&server.uri(), users, Settings::default())
        .skipping([0])
        .continuing([(0, object(json!({"id": "uuid-0999"})))])
        .run_batch(inputs(1))
        .await;
    assert_eq!(result.summary.skipped, 1);
}
