//! `noderun mcp directus` driven by a real MCP client, the official Rust SDK's (rmcp), against
//! the second real Directus that `scripts/test` starts (the main one's collections are counted by
//! the licence: see `Directus::prepare_tables`): on stdio and on streamable HTTP, with the
//! handshake of 2025-11-25 (`initialize`) and the stateless lifecycle of 2026-07-28
//! (`server/discover`); and the HTTP transport's locks tried from outside.

use crate::support;

use std::process::Stdio;
use std::time::Duration;

use rmcp::RoleClient;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, ProtocolVersion, ResourceContents,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Map, Value, json};
use support::directus::Directus;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

type Client = RunningService<RoleClient, ()>;

/// Request headers, as (name, value).
type Headers<'a> = Vec<(&'a str, String)>;

/// The test tables (made once per run on the server; see `Directus::prepare_tables`).
const TABLES: [&str; 3] = ["legacy", "modern", "cut"];

/// The tools served without a selection: the definitions' default set.
const DEFAULT_TOOLS: [&str; 26] = [
    "assets_get",
    "collections_get",
    "collections_list",
    "fields_get",
    "fields_list",
    "fields_list_all",
    "files_create",
    "files_get",
    "files_import",
    "files_list",
    "files_update",
    "files_update_multiple",
    "folders_create",
    "folders_get",
    "folders_list",
    "folders_update",
    "items_create",
    "items_create_multiple",
    "items_get",
    "items_list",
    "items_update",
    "items_update_multiple",
    "items_upsert",
    "relations_get",
    "relations_list",
    "relations_list_all",
];

fn lifecycle(modern: bool) -> ClientLifecycleMode {
    if modern {
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        }
    } else {
        ClientLifecycleMode::Initialize
    }
}

fn command(args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_noderun"));
    command
        .arg("mcp")
        .arg("directus")
        .args(args)
        .env_remove("DIRECTUS_URL")
        .env_remove("DIRECTUS_TOKEN")
        .env_remove("NODERUN_MCP_TOKEN")
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    command
}

/// A client of `noderun mcp directus ARGS` on stdio; the server's stderr.
async fn stdio(args: &[&str], modern: bool) -> (Client, tokio::process::ChildStderr) {
    let (transport, stderr) = TokioChildProcess::builder(command(args))
        .stderr(Stdio::piped())
        .spawn()
        .expect("noderun mcp starts");
    let client =
        ().serve_with_lifecycle(transport, lifecycle(modern))
            .await
            .expect("the client connects");
    (client, stderr.expect("stderr is piped"))
}

/// Calls `tool` with `arguments`.
async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool}: a protocol error instead of a tool result: {e}"))
}

/// A result's content, each block as text: text as is, an image as `image <mime> <bytes>`, an
/// embedded resource as `resource <uri> <mime>: <text>` (or `<n> bytes` for a blob).
fn blocks(result: &CallToolResult) -> Vec<String> {
    use base64::Engine;
    let decode = |b: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .expect("base64")
    };
    result
        .content
        .iter()
        .map(|block| match block {
            ContentBlock::Text(t) => t.text.clone(),
            ContentBlock::Image(i) => {
                format!("image {} {} bytes", i.mime_type, decode(&i.data).len())
            }
            ContentBlock::Resource(r) => match &r.resource {
                ResourceContents::TextResourceContents {
                    uri,
                    mime_type,
                    text,
                    ..
                } => {
                    format!(
                        "resource {uri} {}: {text}",
                        mime_type.clone().unwrap_or_default()
                    )
                }
                ResourceContents::BlobResourceContents {
                    uri,
                    mime_type,
                    blob,
                    ..
                } => format!(
                    "resource {uri} {}: {} bytes",
                    mime_type.clone().unwrap_or_default(),
                    decode(blob).len()
                ),
                other => panic!("unexpected resource {other:?}"),
            },
            other => panic!("unexpected content {other:?}"),
        })
        .collect()
}

/// A successful result's first block, parsed as JSON.
fn ok_json(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(false), "{result:?}");
    serde_json::from_str(&blocks(result)[0]).expect("a JSON text")
}

/// A failed result's message.
fn error_text(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let texts = blocks(result);
    assert_eq!(texts.len(), 1, "{texts:?}");
    texts[0].clone()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("a runtime")
}

/// Everything a stdio session with the default tools and a delete-enabled one shows: the
/// handshake, the tool list, a read, a create, an update with a bad value, a delete, a file
/// upload and download; the token appears in no message and no log.
fn session(modern: bool) {
    let directus = Directus::connect_second();
    directus.prepare_tables(&TABLES);
    let tag = if modern { "modern" } else { "legacy" };
    let table = directus.table(tag);
    let credentials = directus.admin_credentials_file("mcp", &format!("admin-{tag}"));
    let token = serde_json::from_str::<Value>(&std::fs::read_to_string(&credentials).unwrap())
        .unwrap()["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let credentials = credentials.to_str().unwrap().to_string();
    let mut seen = String::new();
    runtime().block_on(async {
        let (client, mut stderr) = stdio(&["--credentials", &credentials], modern).await;
        let info = client.peer_info().expect("server info");
        let server = info.server_info.clone().expect("server info");
        assert_eq!(server.name, "noderun");
        assert_eq!(server.title.as_deref(), Some("noderun: directus"));
        let instructions = info.instructions.clone().unwrap_or_default();
        assert!(
            instructions.starts_with(&format!(
                "Tools for the Directus at {}, run by noderun: each tool is one operation of its Directus node, named <resource>_<operation> (items_list, files_create, …); 26 of the node's 172 operations are served",
                directus.url
            )),
            "{instructions}"
        );
        assert!(instructions.contains("\n\nDirectus stores content as items of collections"), "{instructions}");
        let expected_version = if modern { "2026-07-28" } else { "2025-11-25" };
        assert_eq!(info.protocol_version.as_str(), expected_version);

        let tools = client.list_all_tools().await.expect("tools/list");
        let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        names.sort_unstable();
        assert_eq!(names, DEFAULT_TOOLS);
        let create = tools.iter().find(|t| t.name == "items_create").unwrap();
        assert_eq!(
            serde_json::to_value(create).unwrap(),
            json!({
                "name": "items_create",
                "title": "Items: Create",
                "description": "Create an item from a JSON object of its fields; the output is the created item.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "collection": {"type": "string", "minLength": 1, "title": "Collection Name", "description": "The collection's name (its database table), e.g. articles; the Collections resource lists them"},
                        "data": {"type": "object", "title": "Data (JSON)", "description": "The item to create, as a JSON object of its fields, e.g. {\"title\": \"Hello world!\", \"status\": \"draft\"}"}
                    },
                    "required": ["collection", "data"],
                    "additionalProperties": false
                },
                "annotations": {"title": "Items: Create", "readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": false}
            })
        );

        // a create, a read, an update with a bad value
        let created = call(&client, "items_create", json!({"collection": table, "data": {"title": "=not {{ an expression }}", "rank": 1}})).await;
        seen += &format!("{created:?}");
        let item = ok_json(&created);
        let id = item["id"].clone();
        assert_eq!(item, json!({"id": id, "title": "=not {{ an expression }}", "rank": 1, "sort": null}));
        let got = call(&client, "items_get", json!({"collection": table, "id": id})).await;
        seen += &format!("{got:?}");
        assert_eq!(ok_json(&got), item);
        let bad = call(&client, "items_update", json!({"collection": table, "id": id, "data": [1, 2]})).await;
        seen += &format!("{bad:?}");
        assert_eq!(error_text(&bad), "Parameter 'data' must be a JSON object (or text holding one); got a list [1,2]");
        let listed = call(&client, "items_list", json!({"collection": table, "additionalFields": {"filter": {"rank": {"_eq": 1}}, "fields": "id,title"}})).await;
        seen += &format!("{listed:?}");
        // one output is shown as the object, several as an array
        assert_eq!(ok_json(&listed), json!({"id": id, "title": "=not {{ an expression }}"}));
        // a parameter its switch hides is refused by name, not dropped
        let hidden = call(&client, "items_list", json!({"collection": table, "limit": 5})).await;
        assert_eq!(
            error_text(&hidden),
            "Parameter 'limit' is used only when jsonParameters is false and returnAll is false: set that too, or leave 'limit' out"
        );
        // a Directus failure is a tool error with Directus's message
        let missing = call(&client, "items_get", json!({"collection": "nr_no_such_table", "id": 1})).await;
        assert_eq!(
            error_text(&missing),
            "You don't have permission to access collection \"nr_no_such_table\" or it does not exist. Queried in root. (HTTP 403, FORBIDDEN)"
        );
        // an unknown tool is a protocol error (-32602)
        let unknown = client
            .call_tool(CallToolRequestParams::new("items_delete").with_arguments(Map::new()))
            .await
            .expect_err("not served by default");
        assert!(unknown.to_string().contains("unknown tool 'items_delete'"), "{unknown}");

        // a file: uploaded as text, read back as an embedded resource
        let uploaded = call(&client, "files_create", json!({"sendBinaryData": true, "file": {"fileName": "notes.csv", "text": "a,b\n1,2\n"}, "additionalFields": {"data": {"title": "MCP notes"}}})).await;
        seen += &format!("{uploaded:?}");
        let file = ok_json(&uploaded);
        assert_eq!((&file["title"], &file["filename_download"], &file["type"], &file["filesize"]), (&json!("MCP notes"), &json!("notes.csv"), &json!("text/csv"), &json!(8)));
        let file_id = file["id"].as_str().unwrap().to_string();
        let asset = call(&client, "assets_get", json!({"id": file_id})).await;
        assert_eq!(asset.is_error, Some(false));
        assert_eq!(
            blocks(&asset),
            ["{}", "resource noderun://assets_get/notes.csv text/csv: a,b\n1,2\n", "File notes.csv (text/csv, 8 bytes) attached."]
        );
        let no_file = call(&client, "files_create", json!({"sendBinaryData": true})).await;
        assert_eq!(error_text(&no_file), "Missing required parameter: file (the file to upload: fileName and its content in text or data)");
        client.cancel().await.expect("the client closes");
        let mut log = String::new();
        stderr.read_to_string(&mut log).await.unwrap();
        seen += &log;

        // deletes are served when asked for
        let (client, mut stderr) = stdio(&["--credentials", &credentials, "--resources", "items,files"], modern).await;
        let tools = client.list_all_tools().await.unwrap();
        let delete = tools.iter().find(|t| t.name == "items_delete").expect("items_delete");
        assert_eq!(
            serde_json::to_value(&delete.annotations).unwrap(),
            json!({"title": "Items: Delete", "readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": false})
        );
        let deleted = call(&client, "items_delete", json!({"collection": table, "id": id})).await;
        seen += &format!("{deleted:?}");
        assert_eq!(ok_json(&deleted), json!({"success": true}));
        let gone = call(&client, "items_get", json!({"collection": table, "id": id})).await;
        assert_eq!(error_text(&gone), "You don't have permission to access this. (HTTP 403, FORBIDDEN)");
        let deleted = call(&client, "files_delete", json!({"id": file_id})).await;
        assert_eq!(ok_json(&deleted), json!({"success": true}));
        client.cancel().await.unwrap();
        let mut log = String::new();
        stderr.read_to_string(&mut log).await.unwrap();
        seen += &log;
    });
    assert!(
        !seen.contains(&token),
        "the token appeared in a message or a log"
    );
}

#[test]
fn stdio_session_with_initialize() {
    session(false);
}

#[test]
fn stdio_session_with_server_discover() {
    session(true);
}

/// A list longer than the result limit is cut: the first entries, then how to read on.
#[test]
fn long_lists_are_cut_saying_how_to_read_on() {
    let directus = Directus::connect_second();
    directus.prepare_tables(&TABLES);
    let table = directus.table("cut");
    let rows: Vec<Value> = (0..40)
        .map(|i| json!({"title": format!("row {i:02}"), "rank": i}))
        .collect();
    directus.admin(
        reqwest::Method::POST,
        &format!("/items/{table}"),
        Some(Value::Array(rows)),
        200,
    );
    let credentials = directus.admin_credentials_file("mcp", "admin-cut");
    let credentials = credentials.to_str().unwrap().to_string();
    runtime().block_on(async {
        let (client, _stderr) = stdio(&["--credentials", &credentials, "--max-result-bytes", "1000"], false).await;
        let listed = call(&client, "items_list", json!({"collection": table, "additionalFields": {"sort": "rank"}})).await;
        let texts = blocks(&listed);
        assert_eq!(listed.is_error, Some(false));
        let entry = |i: usize| json!({"id": i + 1, "title": format!("row {i:02}"), "rank": i, "sort": null});
        // each entry is 45 or 46 bytes of JSON, plus its separator: 20 fit in 1000 bytes
        assert_eq!(serde_json::from_str::<Value>(&texts[0]).unwrap(), Value::Array((0..20).map(entry).collect()));
        assert_eq!(
            texts[1..],
            ["Cut: the first 20 entries are shown (results are limited to 1000 bytes); there are more. To read on, call items_list again with returnAll false, limit 20, additionalFields.offset 20 (then 40, …). Ask for fewer fields with additionalFields.fields (e.g. \"id,title\") to see more."]
        );
        let next = call(&client, "items_list", json!({"collection": table, "returnAll": false, "limit": 20, "additionalFields": {"sort": "rank", "offset": 20}})).await;
        assert_eq!(blocks(&next), [Value::Array((20..40).map(entry).collect()).to_string()]);
        // one entry larger than the limit: its text cut
        let big = call(&client, "collections_get", json!({"collection": "directus_users"})).await;
        let texts = blocks(&big);
        assert_eq!(texts[0].len(), 1000);
        assert!(texts[1].starts_with("Cut: the result is ") && texts[1].ends_with(" bytes; the first 1000 are shown."), "{texts:?}");
        client.cancel().await.unwrap();
    });
}

/// `noderun mcp --listen` on a free port; the URL it prints and the lines it printed up to then
/// (the rest of its stderr is drained in the background).
async fn http_server(args: &[&str]) -> (tokio::process::Child, String, Vec<String>) {
    let mut child = command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("noderun mcp --listen starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut printed = vec![];
    let url = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the server prints its address")
            .unwrap()
            .expect("a line");
        printed.push(line.clone());
        if let Some(at) = line.split(" at ").nth(1) {
            break at.to_string();
        }
    };
    // the token line, if the token was generated
    if let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_millis(500), lines.next_line()).await
    {
        printed.push(line);
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url, printed)
}

async fn http_client(url: &str, token: &str, modern: bool) -> Client {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.to_string())
            .auth_header(token.to_string()),
    );
    ().serve_with_lifecycle(transport, lifecycle(modern))
        .await
        .expect("the HTTP client connects")
}

#[test]
fn streamable_http_with_both_lifecycles() {
    let directus = Directus::connect_second();
    let credentials = directus.admin_credentials_file("mcp", "admin-http");
    let credentials = credentials.to_str().unwrap().to_string();
    let dir = std::env::temp_dir().join(format!("noderun-mcp-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    let token = "a-test-token-of-the-mcp-server-0123456789";
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    runtime().block_on(async {
        let (mut child, url, printed) = http_server(&[
            "--credentials",
            &credentials,
            "--read-only",
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            token_file.to_str().unwrap(),
        ])
        .await;
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
            "{url}"
        );
        assert_eq!(
            printed,
            [format!(
                "noderun: MCP server for directus (15 tools) at {url}"
            )]
        );
        for modern in [false, true] {
            let client = http_client(&url, token, modern).await;
            let tools = client.list_all_tools().await.unwrap();
            assert_eq!(tools.len(), 15);
            assert!(
                tools
                    .iter()
                    .all(|t| t.annotations.as_ref().unwrap().read_only_hint == Some(true))
            );
            let collections = call(
                &client,
                "collections_get",
                json!({"collection": "directus_users"}),
            )
            .await;
            assert_eq!(ok_json(&collections)["collection"], "directus_users");
            client.cancel().await.unwrap();
        }
        child.kill().await.unwrap();
    });
}

/// The HTTP transport holds the user's credentials: it listens on loopback, wants its own
/// bearer token, and refuses foreign `Host` and `Origin` headers (DNS rebinding).
#[test]
fn streamable_http_lets_no_one_else_in() {
    let directus = Directus::connect_second();
    let credentials = directus.admin_credentials_file("mcp", "admin-locks");
    let credentials = credentials.to_str().unwrap().to_string();
    runtime().block_on(async {
        let (mut child, url, printed) = http_server(&[
            "--credentials", &credentials, "--listen", "0", "--allow-origin", "http://localhost:6274",
        ]).await;
        // generated and printed once
        assert_eq!(printed.len(), 2, "{printed:?}");
        let token = printed[1]
            .strip_prefix("noderun: bearer token (generated, shown only now; choose one with --token-file or NODERUN_MCP_TOKEN): ")
            .unwrap_or_else(|| panic!("{printed:?}"))
            .to_string();
        assert_eq!(token.len(), 43);
        let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/mcp").to_string();
        let bearer = format!("Bearer {token}");
        let host = format!("127.0.0.1:{port}");
        let cases: Vec<(&str, Headers, u16, &str)> = vec![
            ("no token", vec![("host", host.clone())], 401, "Unauthorized: this MCP server needs its bearer token (Authorization: Bearer <token>)\n"),
            ("a wrong token", vec![("host", host.clone()), ("authorization", format!("Bearer {}x", &token[..42]))], 401, "Unauthorized: this MCP server needs its bearer token (Authorization: Bearer <token>)\n"),
            ("a foreign Host", vec![("host", format!("rebound.example:{port}")), ("authorization", bearer.clone())], 403, "Forbidden: Host header is not allowed"),
            ("a foreign Origin", vec![("host", host.clone()), ("authorization", bearer.clone()), ("origin", "http://rebound.example".into())], 403, "Forbidden: Origin header is not allowed"),
            ("another port of an allowed Origin", vec![("host", host.clone()), ("authorization", bearer.clone()), ("origin", "http://localhost:9999".into())], 403, "Forbidden: Origin header is not allowed"),
        ];
        for (what, headers, status, body) in cases {
            assert_eq!(post(&port, &headers).await, (status, body.to_string()), "{what}");
        }
        for headers in [
            vec![("host", host.clone()), ("authorization", bearer.clone())],
            vec![("host", format!("localhost:{port}")), ("authorization", bearer.clone())],
            vec![("host", host.clone()), ("authorization", bearer.clone()), ("origin", "http://localhost:6274".to_string())],
        ] {
            let (status, body) = post(&port, &headers).await;
            assert_eq!(status, 200, "{headers:?}: {body}");
            assert!(body.contains(r#""serverInfo":{"name":"noderun""#), "{body}");
        }
        // loopback only: the machine's other addresses do not answer
        let others = local_addresses();
        for ip in others {
            let refused = tokio::net::TcpStream::connect((ip, port.parse::<u16>().unwrap())).await;
            assert!(refused.is_err(), "{ip}:{port} accepted a connection");
        }
        child.kill().await.unwrap();
    });
}

/// An `initialize` POSTed to 127.0.0.1:`port` with exactly `headers` (written by hand, as any
/// program or a rebound web page could); the status and the body.
async fn post(port: &str, headers: &[(&str, String)]) -> (u16, String) {
    use tokio::io::AsyncWriteExt;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "0"}}})
    .to_string();
    let mut request = "POST /mcp HTTP/1.1\r\n".to_string();
    for (k, v) in headers {
        request += &format!("{k}: {v}\r\n");
    }
    request += &format!(
        "accept: application/json, text/event-stream\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The machine's non-loopback IPv4 addresses (from `hostname -I`).
fn local_addresses() -> Vec<std::net::IpAddr> {
    let out = std::process::Command::new("hostname").arg("-I").output();
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    text.split_whitespace()
        .filter_map(|s| s.parse().ok())
        .filter(|ip: &std::net::IpAddr| !ip.is_loopback())
        .collect()
}
