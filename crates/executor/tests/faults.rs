//! The fault matrix: the Directus `auth/refreshToken` operation against local servers that
//! misbehave in every way a real server or network can, with the exact items and accounting
//! each fault must give.
//!
//! Every server binds to a loopback address (127.0.0.1, or 127.0.0.2 for the "other host" of the
//! redirect case); nothing here reaches the network. Status, body and delay faults come from
//! wiremock; bytes that are not a proper response, resets and stalled bodies from the test kit's
//! scriptable server (`noderun-testkit`); a full accept queue from a `listen(0)` socket.
//!
//! Most cases fault only the middle one of three items, so one run shows both sides: with
//! continue-on-fail every item gives exactly one output, in input order, with its `pairedItem`;
//! without it the run stops at item 1 with item 0's output kept and item 2 not run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use noderun_definitions::Registry;
use noderun_executor::{FailureKind, Invocation, Item, Runner, Settings};
use noderun_testkit::{After, Reply, Request, Server};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

/// The credential's static token: it must reach the configured server and nothing else, and it
/// must never show in an output.
const TOKEN: &str = "static-token-123";

/// Short limits so that timeouts are quick to provoke and a body of 2 KiB is "huge".
fn settings() -> Settings {
    Settings {
        connect_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(500),
        max_response_bytes: 1024,
        wait_between_tries: Duration::from_millis(0),
        ..Settings::default()
    }
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().expect("an object").clone()
}

fn runner(url: &str, settings: Settings) -> Runner {
    Runner::new(
        Arc::new(Registry::embedded().expect("embedded definitions load")),
        Invocation {
            node: "directus".into(),
            parameters: object(json!({
                "resource": "auth",
                "operation": "refreshToken",
                "refreshToken": "={{ $json.rt }}",
            })),
            credentials: object(json!({"url": url, "accessToken": TOKEN})),
            settings,
        },
    )
    .expect("the invocation is valid")
}

/// `n` input items `{"rt": "rt-<i>"}`.
fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item::from_input(json!({ "rt": format!("rt-{i}") })).expect("an object"))
        .collect()
}

/// The Directus answer to a refresh of `rt-<i>`.
fn ok_body(i: usize) -> Value {
    json!({"data": {"access_token": format!("access-{i}"), "refresh_token": format!("refresh-{i}"), "expires": 900000}})
}

/// The output item of a successful refresh of item `i`.
fn ok_item(i: usize) -> Value {
    json!({
        "json": {"access_token": format!("access-{i}"), "refresh_token": format!("refresh-{i}"), "expires": 900000},
        "pairedItem": {"item": i},
    })
}

/// The output item of a failed item `i` under continue-on-fail (`details` is the `ItemError`).
fn error_item(i: usize, details: &Value) -> Value {
    json!({
        "json": {"error": details["message"]},
        "pairedItem": {"item": i},
        "error": details,
    })
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("serializes")
}

// ---------------------------------------------------------------------------------------------
// Servers

/// What the server answers to item `i` when it answers properly.
fn ok_reply(i: usize) -> Reply {
    Reply::json(200, &ok_body(i))
}

/// A server answering items 0 and 2 properly and item 1 with `fault`.
fn with_fault(fault: Reply) -> Server {
    Server::start(move |request| match index_of(request) {
        Some(1) => fault.clone(),
        Some(i) => ok_reply(i),
        None => Reply::status(400),
    })
}

/// The same, one request per connection (for faults that break the connection: a request
/// sent on a connection kept from an earlier one would be retried by the client).
fn raw_with_fault(fault: Reply) -> Server {
    Server::start(move |request| match index_of(request) {
        Some(1) => fault.clone(),
        Some(i) => ok_reply(i).then(After::Close),
        None => Reply::status(400).then(After::Close),
    })
}

/// The item index found in a request's body (`rt-<i>`), if any.
fn index_of(request: &Request) -> Option<usize> {
    let body = String::from_utf8_lossy(&request.body);
    let at = body.find("\"rt-")? + 4;
    body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------------
// The checks every fault goes through

/// (items, succeeded, failed, not run, index of the item that stopped the run)
type Accounting = (usize, usize, usize, usize, Option<usize>);

fn accounting(s: &noderun_executor::Summary) -> Accounting {
    (
        s.items,
        s.succeeded,
        s.failed,
        s.not_run,
        s.stopped.as_ref().map(|e| e.item),
    )
}

fn assert_no_secret(outputs: &Value) {
    let text = outputs.to_string();
    assert!(!text.contains(TOKEN), "the token leaked: {text}");
}

/// Item 1 of 3 hits the fault, items 0 and 2 succeed. `details` is the exact `ItemError`.
async fn check_middle_fault(server: &Server, details: Value, kind: FailureKind) {
    // Continue on fail: one output per item, in order, the failed one an error item.
    let before = server.hits();
    let result = runner(server.url(), settings().continue_on_fail(true))
        .run_batch(items(3))
        .await;
    let main = to_value(&result.main);
    assert_eq!(
        main,
        json!([ok_item(0), error_item(1, &details), ok_item(2)])
    );
    assert_no_secret(&main);
    assert!(result.error.is_empty());
    assert_eq!(accounting(&result.summary), (3, 2, 1, 0, None));
    assert_eq!(server.hits() - before, 3, "one request per item");

    // Stop on fail: item 0's output is kept, the run stops at item 1, item 2 is not run.
    let before = server.hits();
    let result = runner(server.url(), settings()).run_batch(items(3)).await;
    assert_eq!(to_value(&result.main), json!([ok_item(0)]));
    assert_eq!(accounting(&result.summary), (3, 1, 1, 1, Some(1)));
    let stop = result.summary.stopped.expect("stopped");
    assert_eq!(stop.failure.kind, kind);
    assert_eq!(to_value(&stop.failure.details), details);
    assert_eq!(
        stop.to_string(),
        format!("item 1: {}", details["message"].as_str().expect("message"))
    );
    assert_eq!(server.hits() - before, 2, "item 2 was not sent");
}

/// Every item hits the fault (the server is unreachable as a whole).
async fn check_every_item_fails(url: &str, details: Value, kind: FailureKind) {
    let result = runner(url, settings().continue_on_fail(true))
        .run_batch(items(3))
        .await;
    let main = to_value(&result.main);
    assert_eq!(
        main,
        json!([
            error_item(0, &details),
            error_item(1, &details),
            error_item(2, &details)
        ])
    );
    assert_no_secret(&main);
    assert_eq!(accounting(&result.summary), (3, 0, 3, 0, None));

    let result = runner(url, settings()).run_batch(items(3)).await;
    assert_eq!(result.main, vec![]);
    assert_eq!(accounting(&result.summary), (3, 0, 1, 2, Some(0)));
    let stop = result.summary.stopped.expect("stopped");
    assert_eq!(stop.failure.kind, kind);
    assert_eq!(to_value(&stop.failure.details), details);
}

fn network(headline: &str, detail: String) -> Value {
    json!({"message": format!("{headline} ({detail})"), "description": headline})
}

// ---------------------------------------------------------------------------------------------
// Connection-level faults

/// The address of a port nobody listens on: bind, note the port, drop the listener.
fn dead_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    address.to_string()
}

#[tokio::test]
async fn connection_refused() {
    let host = dead_port();
    check_every_item_fails(
        &format!("http://{host}"),
        network(
            "The service refused the connection - perhaps it is offline",
            format!("connection refused by {host}"),
        ),
        FailureKind::Network,
    )
    .await;
}

#[tokio::test]
async fn connection_reset_mid_response() {
    let partial = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"data\":{\"acc".to_vec();
    let server = raw_with_fault(Reply::bytes(partial).then(After::Reset));
    let host = server.host();
    check_middle_fault(
        &server,
        network(
            "The connection was closed before the whole response arrived",
            format!("{host}: request or response body error: error reading a body from connection: Connection reset by peer (os error 104)"),
        ),
        FailureKind::Network,
    )
    .await;
}

#[tokio::test]
async fn connection_reset_before_any_response() {
    let server = raw_with_fault(Reply::bytes(Vec::new()).then(After::Reset));
    let host = server.host();
    check_middle_fault(
        &server,
        network(
            "The connection was closed before the whole response arrived",
            format!("{host}: client error (SendRequest): connection error: Connection reset by peer (os error 104)"),
        ),
        FailureKind::Network,
    )
    .await;
}

#[tokio::test]
async fn connection_closed_before_the_body_is_complete() {
    // A clean FIN after part of the body: the Content-Length promised more.
    let partial = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"data\":{\"acc".to_vec();
    let server = raw_with_fault(Reply::bytes(partial));
    let host = server.host();
    check_middle_fault(
        &server,
        network(
            "The connection was closed before the whole response arrived",
            format!("{host}: request or response body error: error reading a body from connection: end of file before message length reached"),
        ),
        FailureKind::Network,
    )
    .await;
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so a connect attempt
/// hangs until the connect timeout. Everything stays on 127.0.0.1. Returns the address and the
/// connections holding the queue (keep them alive for the test).
async fn full_accept_queue() -> (String, TcpListener, Vec<std::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let listener = socket.listen(0).expect("listen");
    let address = listener.local_addr().expect("address");
    let mut held = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&address, Duration::from_millis(100)) {
            Ok(s) => held.push(s),
            Err(_) => return (address.to_string(), listener, held),
        }
    }
    panic!("the accept queue of a listen(0) socket never filled up");
}

#[tokio::test]
async fn connect_timeout() {
    let (host, _listener, _held) = full_accept_queue().await;
    check_every_item_fails(
        &format!("http://{host}"),
        network(
            "The connection timed out",
            format!("no connection to {host} within 0.3s"),
        ),
        FailureKind::Network,
    )
    .await;
}

#[tokio::test]
async fn slow_body_past_the_request_timeout() {
    // Headers and the start of the body at once, then nothing.
    let partial = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"data\":{\"acc".to_vec();
    let server = raw_with_fault(Reply::bytes(partial).then(After::Stall));
    let host = server.host();
    check_middle_fault(
        &server,
        network(
            "The connection timed out",
            format!("{host} did not answer completely within 0.5s"),
        ),
        FailureKind::Network,
    )
    .await;
}

#[tokio::test]
async fn slow_headers_past_the_request_timeout() {
    let server = with_fault(Reply::json(200, &ok_body(1)).after(Duration::from_millis(1500)));
    let host = server.host();
    check_middle_fault(
        &server,
        network(
            "The connection timed out",
            format!("{host} did not answer completely within 0.5s"),
        ),
        FailureKind::Network,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// HTTP error statuses

fn directus_error(message: &str, code: &str) -> Value {
    json!({"errors": [{"message": message, "extensions": {"code": code}}]})
}

fn http(message: String, headline: &str, status: u16, code: Option<&str>) -> Value {
    let mut v =
        json!({"message": message, "description": headline, "httpCode": status.to_string()});
    if let Some(code) = code {
        v["code"] = json!(code);
    }
    v
}

const H500: &str = "The service was not able to process your request";
const H502: &str = "Bad gateway - the service failed to handle your request";
const H503: &str =
    "Service unavailable - try again later or consider setting this node to retry automatically";
const H429: &str = "The service is receiving too many requests from you";

#[tokio::test]
async fn status_500_with_a_directus_error_body() {
    let server = with_fault(Reply::json(
        500,
        &directus_error("An unexpected error occurred.", "INTERNAL_SERVER_ERROR"),
    ));
    check_middle_fault(
        &server,
        http(
            "An unexpected error occurred. (HTTP 500, INTERNAL_SERVER_ERROR)".into(),
            H500,
            500,
            Some("INTERNAL_SERVER_ERROR"),
        ),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_500_without_a_body() {
    let server = with_fault(Reply::status(500));
    let host = server.host();
    check_middle_fault(
        &server,
        http(format!("{H500} (HTTP 500 from {host})"), H500, 500, None),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_502_with_a_directus_error_body() {
    let server = with_fault(Reply::json(
        502,
        &directus_error("Upstream is down", "SERVICE_UNAVAILABLE"),
    ));
    check_middle_fault(
        &server,
        http(
            "Upstream is down (HTTP 502, SERVICE_UNAVAILABLE)".into(),
            H502,
            502,
            Some("SERVICE_UNAVAILABLE"),
        ),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_502_with_a_proxy_html_page() {
    let server = with_fault(Reply::status(502).body(
        "text/html",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
    ));
    let host = server.host();
    check_middle_fault(
        &server,
        http(format!("{H502} (HTTP 502 from {host})"), H502, 502, None),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_502_with_an_error_page_over_the_size_limit() {
    // A proxy's error page larger than max_response_bytes: what matters is the status.
    let page = format!("<html><body>{}</body></html>", "x".repeat(4096));
    let server = with_fault(Reply::status(502).body("text/html", page));
    check_middle_fault(
        &server,
        http(
            format!("{H502} (HTTP 502 from {})", server.host()),
            H502,
            502,
            None,
        ),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_503_with_a_directus_error_body() {
    let server = with_fault(Reply::json(
        503,
        &directus_error("Service is under pressure", "SERVICE_UNAVAILABLE"),
    ));
    check_middle_fault(
        &server,
        http(
            "Service is under pressure (HTTP 503, SERVICE_UNAVAILABLE)".into(),
            H503,
            503,
            Some("SERVICE_UNAVAILABLE"),
        ),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_503_with_a_short_text_body() {
    let server = with_fault(Reply::status(503).body("text/plain", "upstream connect error"));
    let host = server.host();
    check_middle_fault(
        &server,
        http(
            format!("{H503} (HTTP 503 from {host}: upstream connect error)"),
            H503,
            503,
            None,
        ),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_503_with_a_truncated_json_error_body() {
    let server =
        with_fault(Reply::status(503).body("application/json", r#"{"errors":[{"message":"Serv"#));
    let host = server.host();
    check_middle_fault(
        &server,
        http(
            format!("{H503} (HTTP 503 from {host}; the error body is not valid JSON)"),
            H503,
            503,
            None,
        ),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn status_429_with_and_without_retry_after() {
    // Without retry-on-fail, Retry-After changes nothing: one request per item.
    let server = with_fault(Reply::status(429).header("Retry-After", "1").body(
        "application/json",
        directus_error("Too many requests", "REQUESTS_EXCEEDED").to_string(),
    ));
    check_middle_fault(
        &server,
        http(
            "Too many requests (HTTP 429, REQUESTS_EXCEEDED)".into(),
            H429,
            429,
            Some("REQUESTS_EXCEEDED"),
        ),
        FailureKind::Http,
    )
    .await;

    let server = with_fault(Reply::status(429));
    let host = server.host();
    check_middle_fault(
        &server,
        http(format!("{H429} (HTTP 429 from {host})"), H429, 429, None),
        FailureKind::Http,
    )
    .await;
}

#[tokio::test]
async fn secrets_echoed_by_the_server_are_redacted() {
    let server = with_fault(Reply::json(
        401,
        &directus_error(
            &format!("Refresh token rt-1 is not valid for Bearer {TOKEN}"),
            "INVALID_CREDENTIALS",
        ),
    ));
    check_middle_fault(
        &server,
        http(
            "Refresh token *** is not valid for Bearer *** (HTTP 401, INVALID_CREDENTIALS)".into(),
            "Authorization failed - please check your credentials",
            401,
            Some("INVALID_CREDENTIALS"),
        ),
        FailureKind::Http,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Bodies a success status cannot be used with

#[tokio::test]
async fn status_200_with_truncated_json() {
    let server =
        with_fault(Reply::status(200).body("application/json", r#"{"data":{"access_token":"a"#));
    let host = server.host();
    check_middle_fault(
        &server,
        json!({"message": format!(
            "{host} answered HTTP 200 with a body that is not valid JSON (EOF while parsing a string at line 1 column 26)"
        )}),
        FailureKind::Response,
    )
    .await;
}

#[tokio::test]
async fn status_200_with_a_body_over_the_size_limit() {
    // Content-Length announces it: refused before reading.
    let big = json!({"data": {"access_token": "x".repeat(2048)}});
    let server = with_fault(Reply::json(200, &big));
    let host = server.host();
    check_middle_fault(
        &server,
        json!({"message": format!(
            "The response from {host} is larger than the limit of 1024 bytes; it was not read"
        )}),
        FailureKind::Response,
    )
    .await;
}

#[tokio::test]
async fn chunked_body_over_the_size_limit() {
    // No Content-Length: the limit is enforced while reading.
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    for _ in 0..4 {
        response.extend_from_slice(format!("200\r\n{}\r\n", "x".repeat(512)).as_bytes());
    }
    response.extend_from_slice(b"0\r\n\r\n");
    let server = raw_with_fault(Reply::bytes(response));
    let host = server.host();
    check_middle_fault(
        &server,
        json!({"message": format!(
            "The response from {host} is larger than the limit of 1024 bytes; it was not read"
        )}),
        FailureKind::Response,
    )
    .await;
}

#[tokio::test]
async fn status_200_with_a_text_body() {
    let server = with_fault(Reply::status(200).body("text/plain", "Service is up"));
    let host = server.host();
    check_middle_fault(
        &server,
        json!({"message": format!(
            "{host} answered HTTP 200 with a text/plain body where JSON was expected: the response has no property 'data'"
        )}),
        FailureKind::Response,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Redirects and the wrong scheme

/// A server answering every request properly, on `host` (127.0.0.2: another host here).
fn other_server(host: &str) -> Server {
    Server::start_on(host, |_| ok_reply(9))
}

fn authorization_headers(server: &Server) -> Vec<String> {
    server
        .log()
        .received
        .iter()
        .map(|r| r.header("authorization").unwrap_or("<none>").to_string())
        .collect()
}

#[tokio::test]
async fn redirect_to_another_host_is_not_followed() {
    let other = other_server("127.0.0.2");
    for status in [302, 307] {
        let location = format!("{}/auth/refresh", other.url());
        let server = with_fault(Reply::status(status).header("Location", &location));
        let result = runner(server.url(), settings().continue_on_fail(true))
            .run_batch(items(3))
            .await;
        // The redirect is not followed: item 1 says where it would have gone.
        assert_eq!(
            to_value(&result.main),
            json!([
                ok_item(0),
                {"json": {"statusCode": status, "location": location}, "pairedItem": {"item": 1}},
                ok_item(2),
            ])
        );
        assert_eq!(accounting(&result.summary), (3, 3, 0, 0, None));
        // The configured server got the token, the other host got nothing at all.
        assert_eq!(
            authorization_headers(&server),
            vec![format!("Bearer {TOKEN}"); 3]
        );
        assert_eq!(other.hits(), 0);
    }
}

#[tokio::test]
async fn redirect_to_another_port_is_not_followed() {
    // Same host name, another port: another origin.
    let other = other_server("127.0.0.1");
    let location = format!("{}/auth/refresh", other.url());
    let server = with_fault(Reply::status(308).header("Location", &location));
    let result = runner(server.url(), settings()).run_batch(items(3)).await;
    assert_eq!(
        to_value(&result.main),
        json!([
            ok_item(0),
            {"json": {"statusCode": 308, "location": location}, "pairedItem": {"item": 1}},
            ok_item(2),
        ])
    );
    assert_eq!(other.hits(), 0);
}

#[tokio::test]
async fn redirect_within_the_same_origin_is_followed_with_the_token() {
    let server = Server::start(|request| match request.target.as_str() {
        "/auth/refresh" => Reply::status(307).header("Location", "/v2/auth/refresh"),
        "/v2/auth/refresh" if index_of(request) == Some(0) => ok_reply(0),
        _ => Reply::status(404),
    });
    let result = runner(server.url(), settings()).run_batch(items(1)).await;
    assert_eq!(to_value(&result.main), json!([ok_item(0)]));
    let received = server.log().received;
    assert_eq!(
        received
            .iter()
            .map(|r| r.target.as_str())
            .collect::<Vec<_>>(),
        ["/auth/refresh", "/v2/auth/refresh"]
    );
    assert_eq!(
        authorization_headers(&server),
        vec![format!("Bearer {TOKEN}"); 2]
    );
}

#[tokio::test]
async fn https_configured_but_the_server_speaks_plain_http() {
    let server = Server::start(|_| ok_reply(0));
    let host = server.host().to_string();
    let headline = "The secure (TLS) connection could not be established";
    check_every_item_fails(
        &format!("https://{host}"),
        network(
            headline,
            format!(
                "TLS handshake with {host} failed: client error (Connect): received corrupt message of type InvalidContentType; does the server speak HTTPS?"
            ),
        ),
        FailureKind::Network,
    )
    .await;
    // Nothing readable (let alone the token) went to the server in clear text.
    assert_eq!(server.hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// Retries

fn retrying(max_tries: u32) -> Settings {
    Settings {
        retry_on_fail: true,
        max_tries,
        ..settings()
    }
}

/// A server answering the first `n` requests with `first`, the others properly (as item 0).
fn first_then_ok(n: usize, first: Reply) -> Server {
    Server::start(move |request| {
        if request.number < n {
            first.clone()
        } else {
            ok_reply(0)
        }
    })
}

#[tokio::test]
async fn no_retry_without_retry_on_fail() {
    let server = Server::start(|_| Reply::status(500));
    let result = runner(server.url(), settings().continue_on_fail(true))
        .run_batch(items(3))
        .await;
    assert_eq!(accounting(&result.summary), (3, 0, 3, 0, None));
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn retries_are_bounded_by_max_tries() {
    for (max_tries, expected_requests) in [(3, 3), (1, 2), (10, 5)] {
        let server = Server::start(|_| Reply::status(500));
        let host = server.host().to_string();
        let result = runner(server.url(), retrying(max_tries).continue_on_fail(true))
            .run_batch(items(1))
            .await;
        assert_eq!(
            to_value(&result.main),
            json!([error_item(
                0,
                &http(format!("{H500} (HTTP 500 from {host})"), H500, 500, None)
            )]),
            "max_tries {max_tries}"
        );
        assert_eq!(
            server.hits(),
            expected_requests,
            "max_tries {max_tries} (n8n clamps it to 2..=5)"
        );
    }
}

#[tokio::test]
async fn a_retry_that_succeeds_gives_the_success_only() {
    let server = first_then_ok(2, Reply::status(503));
    let result = runner(server.url(), retrying(3)).run_batch(items(1)).await;
    assert_eq!(to_value(&result.main), json!([ok_item(0)]));
    assert_eq!(accounting(&result.summary), (1, 1, 0, 0, None));
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn network_failures_are_retried_too() {
    // The reset item is tried max_tries times; the others once each.
    let server = raw_with_fault(Reply::bytes(Vec::new()).then(After::Reset));
    let result = runner(server.url(), retrying(3).continue_on_fail(true))
        .run_batch(items(3))
        .await;
    assert_eq!(accounting(&result.summary), (3, 2, 1, 0, None));
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn parameter_failures_are_not_retried() {
    let server = Server::start(|_| ok_reply(0));
    let input = vec![Item::from_input(json!({"other": 1})).expect("object")];
    let result = runner(server.url(), retrying(5).continue_on_fail(true))
        .run_batch(input)
        .await;
    let message = "Parameter 'refreshToken': the expression ={{ $json.rt }} refers to $json.rt, which the item does not have";
    assert_eq!(
        to_value(&result.main),
        json!([error_item(0, &json!({"message": message}))])
    );
    assert_eq!(server.hits(), 0);
}

/// One item whose first attempt is answered `status` with `Retry-After: value` and the second
/// with 200: it succeeds after exactly two requests; returns how long the run took.
async fn retried_after(status: u16, value: &str) -> Duration {
    let server = first_then_ok(1, Reply::status(status).header("Retry-After", value));
    let started = Instant::now();
    let result = runner(server.url(), retrying(2)).run_batch(items(1)).await;
    let elapsed = started.elapsed();
    assert_eq!(to_value(&result.main), json!([ok_item(0)]));
    assert_eq!(server.hits(), 2);
    elapsed
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let elapsed = retried_after(429, "1").await;
    assert!(
        elapsed >= Duration::from_secs(1),
        "waited only {elapsed:?} despite Retry-After: 1"
    );
}

#[tokio::test]
async fn retry_after_is_capped_and_its_absence_uses_the_wait_setting() {
    // Retry-After: 100 with max_retry_after 200 ms: the wait is cut to 200 ms.
    let server = Server::start(|_| Reply::status(503).header("Retry-After", "100"));
    let started = Instant::now();
    let settings = Settings {
        max_retry_after: Duration::from_millis(200),
        ..retrying(2).continue_on_fail(true)
    };
    let result = runner(server.url(), settings).run_batch(items(1)).await;
    let elapsed = started.elapsed();
    assert_eq!(accounting(&result.summary), (1, 0, 1, 0, None));
    assert_eq!(server.hits(), 2);
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );

    // No Retry-After: wait_between_tries (100 ms) between the attempts.
    let server = Server::start(|_| Reply::status(429));
    let started = Instant::now();
    let settings = Settings {
        wait_between_tries: Duration::from_millis(100),
        ..retrying(3).continue_on_fail(true)
    };
    let result = runner(server.url(), settings).run_batch(items(1)).await;
    let elapsed = started.elapsed();
    assert_eq!(accounting(&result.summary), (1, 0, 1, 0, None));
    assert_eq!(server.hits(), 3);
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    // Retry-After: <now + 2 s> as an HTTP date (whole seconds: a wait of 1 to 2 s).
    let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    let elapsed = retried_after(503, &at).await;
    // A date not read would retry at once (no wait between tries here); the upper bound leaves
    // room for a loaded machine. A date already past asks for no wait: the unit test in
    // outcome.rs.
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(30),
        "waited {elapsed:?} for Retry-After: {at}"
    );
}

#[tokio::test]
async fn set_cookie_headers_are_parsed_as_cookies() {
    // Log In in cookie mode: the tokens come from Set-Cookie headers with attributes, a quoted
    // value holding `=`, and headers that are not the cookies asked for or not cookies at all.
    let server = Server::start(|request| {
        match request.target.as_str() {
        "/auth/login" => Reply::json(200, &json!({"data": {"expires": 900000}}))
            .header("Set-Cookie", "=no-name; Path=/")
            .header("Set-Cookie", "theme=dark; Max-Age=60")
            .header(
                "Set-Cookie",
                "directus_refresh_token=\"r3fr=sh\"; Path=/; Expires=Wed, 09 Dec 2026 10:00:00 GMT; HttpOnly; SameSite=Lax",
            )
            .header("Set-Cookie", "directus_session_token=s3ss;Secure"),
        _ => Reply::status(404),
    }
    });
    let runner = Runner::new(
        Arc::new(Registry::embedded().expect("embedded definitions load")),
        Invocation {
            node: "directus".into(),
            parameters: object(json!({
                "resource": "auth",
                "operation": "login",
                "email": "a@example.com",
                "password": "secret",
                "additionalFields": {"mode": "cookie"},
            })),
            credentials: object(json!({"url": server.url()})),
            settings: settings(),
        },
    )
    .expect("the invocation is valid");
    let result = runner.run_batch(items(1)).await;
    assert_eq!(
        to_value(&result.main),
        json!([{
            "json": {"expires": 900000, "refresh_token": "r3fr=sh", "session_token": "s3ss"},
            "pairedItem": {"item": 0},
        }])
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[tokio::test]
async fn concurrent_items_keep_the_input_order() {
    // Item 0 is the slowest, item 3 the fastest: they complete in reverse order.
    let server = Server::start(|request| {
        let i = index_of(request).expect("an item");
        ok_reply(i).after(Duration::from_millis(1000 + 100 * (3 - i as u64)))
    });
    let settings = Settings {
        concurrency: 4,
        request_timeout: Duration::from_secs(5),
        ..settings()
    };
    let result = runner(server.url(), settings).run_batch(items(4)).await;
    assert_eq!(
        to_value(&result.main),
        json!([ok_item(0), ok_item(1), ok_item(2), ok_item(3)])
    );
    assert_eq!(accounting(&result.summary), (4, 4, 0, 0, None));
    // Concurrent, as the server saw it: all four requests were held at once.
    assert_eq!(server.log().most_in_flight(), 4);
}

#[tokio::test]
async fn concurrent_stop_keeps_the_outputs_of_items_in_flight() {
    // Item 1 fails at once while items 0, 2 and 3 are still in flight: the run stops at item 1,
    // and the refreshes of items 2 and 3, which happened, are not lost.
    let server = Server::start(|request| match index_of(request) {
        Some(1) => Reply::status(500),
        Some(0) => ok_reply(0).after(Duration::from_millis(300)),
        Some(i) => ok_reply(i).after(Duration::from_millis(200)),
        None => Reply::status(400),
    });
    let settings = Settings {
        concurrency: 4,
        request_timeout: Duration::from_secs(5),
        ..settings()
    };
    let result = runner(server.url(), settings).run_batch(items(5)).await;
    assert_eq!(
        to_value(&result.main),
        json!([ok_item(0), ok_item(2), ok_item(3)])
    );
    assert_eq!(accounting(&result.summary), (5, 3, 1, 1, Some(1)));
}
