//! The bad-input matrix of `noderun run`: what the binary prints (stdout, the key stderr line)
//! and its exit code for every way the input, the parameters, the definitions lookup or the
//! credentials can be wrong.
//!
//! Exit codes: 0 every item succeeded or was continued, 1 a failing item stopped the run, 2 a
//! usage, input or definition error. Requests go to a local wiremock server (127.0.0.1) that
//! answers like Directus; no case may make the binary panic.

use crate::support;

use std::path::{Path, PathBuf};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use support::noderun;

/// A local server answering like Directus: `/auth/refresh` with new tokens, `/auth/logout`
/// with 204. It runs on wiremock's own thread; the runtime here only drives its API.
struct Directus {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
}

impl Directus {
    fn start() -> Directus {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/auth/refresh"))
                .respond_with(ResponseTemplate::new(200).set_body_json(
                    json!({"data": {"access_token": "a", "refresh_token": "r", "expires": 900000}}),
                ))
                .mount(&server)
                .await;
            Mock::given(method("POST"))
                .and(path("/auth/logout"))
                .respond_with(ResponseTemplate::new(204))
                .mount(&server)
                .await;
            server
        });
        Directus { runtime, server }
    }

    fn requests(&self) -> usize {
        self.runtime
            .block_on(self.server.received_requests())
            .map_or(0, |r| r.len())
    }

    /// A credentials file pointing at this server, in a directory of its own.
    fn credentials(&self, test: &str) -> PathBuf {
        write_file(
            test,
            "credentials.json",
            &json!({"url": self.server.uri(), "accessToken": "static-token-123"}).to_string(),
        )
    }
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bad_input")
        .join(test);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn write_file(test: &str, name: &str, content: &str) -> PathBuf {
    let file = scratch(test).join(name);
    std::fs::write(&file, content).expect("write");
    file
}

fn text(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

const REFRESH: &str = r#"{"refreshToken":"={{ $json.rt }}"}"#;

/// `run directus --resource auth --operation <op> --parameters <parameters> --credentials <file>
/// -q`, plus `extra`.
fn run_args<'a>(
    op: &'a str,
    parameters: &'a str,
    credentials: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "directus",
        "--resource",
        "auth",
        "--operation",
        op,
        "--parameters",
        parameters,
        "--credentials",
        credentials,
        "-q",
    ];
    args.extend_from_slice(extra);
    args
}

/// The output line of a successful refresh of input item `i`.
fn ok_line(i: usize) -> String {
    format!(
        r#"{{"json":{{"access_token":"a","refresh_token":"r","expires":900000}},"pairedItem":{{"item":{i}}}}}"#
    )
}

/// The output line of a failed input item `i` under continue-on-fail.
fn error_line(i: usize, message: &str) -> String {
    let m = serde_json::to_string(message).expect("a string");
    format!(r#"{{"json":{{"error":{m}}},"pairedItem":{{"item":{i}}},"error":{{"message":{m}}}}}"#)
}

// ---------------------------------------------------------------------------------------------
// The input stream

#[test]
fn malformed_line_in_the_middle_with_continue_on_fail() {
    let directus = Directus::start();
    let creds = directus.credentials("malformed_continue");
    let out = noderun(
        &run_args(
            "refreshToken",
            REFRESH,
            text(&creds),
            &["--continue-on-fail"],
        ),
        b"{\"rt\":\"t0\"}\n{\"rt\": oops}\n{\"rt\":\"t2\"}\n",
    );
    assert_eq!(
        out.lines(),
        [
            ok_line(0),
            error_line(1, "line 2: not valid JSON (expected value at column 8)"),
            ok_line(2),
        ]
    );
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 0);
    assert_eq!(directus.requests(), 2);
}

#[test]
fn malformed_line_in_the_middle_stops_the_run() {
    let directus = Directus::start();
    let creds = directus.credentials("malformed_stop");
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&creds), &[]),
        b"{\"rt\":\"t0\"}\n{\"rt\": oops}\n{\"rt\":\"t2\"}\n",
    );
    assert_eq!(out.lines(), [ok_line(0)]);
    assert_eq!(
        out.stderr,
        "noderun: error: item 1: line 2: not valid JSON (expected value at column 8)\n"
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        directus.requests(),
        1,
        "the line after the bad one is not run"
    );
}

#[test]
fn the_summary_line_counts_what_was_not_run() {
    let directus = Directus::start();
    let creds = directus.credentials("summary");
    let mut args = run_args("refreshToken", REFRESH, text(&creds), &[]);
    args.retain(|a| *a != "-q");
    let out = noderun(
        &args,
        b"{\"rt\":\"t0\"}\nnope\n{\"rt\":\"t2\"}\n{\"rt\":\"t3\"}\n",
    );
    assert_eq!(out.lines(), [ok_line(0)]);
    let stderr: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(stderr.len(), 2, "{}", out.stderr);
    assert!(
        stderr[0].starts_with("noderun: 4 items: 1 succeeded, 1 failed, 2 not run in "),
        "{}",
        stderr[0]
    );
    assert_eq!(
        stderr[1],
        "noderun: error: item 1: line 2: not valid JSON (expected ident at column 2)"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn a_value_that_is_not_an_object() {
    let directus = Directus::start();
    let creds = directus.credentials("not_object");
    let input = b"{\"rt\":\"t0\"}\n42\n\"text\"\n{\"json\":[1]}\n";
    let out = noderun(
        &run_args(
            "refreshToken",
            REFRESH,
            text(&creds),
            &["--continue-on-fail"],
        ),
        input,
    );
    assert_eq!(
        out.lines(),
        [
            ok_line(0),
            error_line(
                1,
                "line 2: expected a JSON object (an n8n item or its json), got a number"
            ),
            error_line(
                2,
                "line 3: expected a JSON object (an n8n item or its json), got a string"
            ),
            error_line(
                3,
                "line 4: the item's \"json\" must be an object, got an array"
            ),
        ]
    );
    assert_eq!(out.code, 0);

    let out = noderun(&run_args("refreshToken", REFRESH, text(&creds), &[]), input);
    assert_eq!(out.lines(), [ok_line(0)]);
    assert_eq!(
        out.stderr,
        "noderun: error: item 1: line 2: expected a JSON object (an n8n item or its json), got a number\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn invalid_utf8() {
    let directus = Directus::start();
    let creds = directus.credentials("utf8");
    let input = b"{\"rt\":\"t0\"}\n{\"rt\":\"\xff\xfe\"}\n{\"rt\":\"t2\"}\n";
    let out = noderun(
        &run_args(
            "refreshToken",
            REFRESH,
            text(&creds),
            &["--continue-on-fail"],
        ),
        input,
    );
    assert_eq!(
        out.lines(),
        [
            ok_line(0),
            error_line(1, "line 2: not valid UTF-8 (byte 8)"),
            ok_line(2)
        ]
    );
    assert_eq!(out.code, 0);

    let out = noderun(&run_args("refreshToken", REFRESH, text(&creds), &[]), input);
    assert_eq!(out.lines(), [ok_line(0)]);
    assert_eq!(
        out.stderr,
        "noderun: error: item 1: line 2: not valid UTF-8 (byte 8)\n"
    );
    assert_eq!(out.code, 2);
}

/// An empty input runs nothing and says so (a CI job that "lists" nothing is not silent), also
/// with -q; the exit code stays 0.
#[test]
fn empty_input() {
    let directus = Directus::start();
    let creds = directus.credentials("empty");
    for input in [&b""[..], b"\n\n  \n"] {
        let out = noderun(&run_args("refreshToken", REFRESH, text(&creds), &[]), input);
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            "noderun: warning: the input holds no items: nothing ran\n"
        );
        assert_eq!(out.code, 0);
    }
    assert_eq!(directus.requests(), 0);
}

/// `--output` (or `--error-output`) naming the input file would empty it before it is read:
/// refused before anything is opened, the file kept byte for byte, no request made.
#[test]
fn an_output_that_is_the_input_file_is_refused() {
    let directus = Directus::start();
    let creds = directus.credentials("output_is_input");
    let items = "{\"rt\":\"t0\"}\n{\"rt\":\"t1\"}\n";
    let file = write_file("output_is_input", "items.ndjson", items);
    let f = text(&file);
    for (flag, extra) in [
        ("--output", vec!["--input", f, "--output", f]),
        (
            "--error-output",
            vec![
                "--input",
                f,
                "--on-error",
                "continueErrorOutput",
                "--error-output",
                f,
            ],
        ),
    ] {
        let out = noderun(
            &run_args("refreshToken", REFRESH, text(&creds), &extra),
            b"",
        );
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            format!(
                "noderun: error: {flag} {f} is the input file: writing it would empty it before its items are read; write to another file\n"
            )
        );
        assert_eq!(out.code, 2);
        assert_eq!(std::fs::read_to_string(&file).expect("kept"), items);
    }
    // The same file as stdin (`--output F < F`).
    let stdin = std::fs::File::open(&file).expect("open");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_noderun"))
        .args(run_args(
            "refreshToken",
            REFRESH,
            text(&creds),
            &["--output", f],
        ))
        .stdin(stdin)
        .output()
        .expect("run noderun");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "noderun: error: --output {f} is the input file: writing it would empty it before its items are read; write to another file\n"
        )
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), items);
    assert_eq!(directus.requests(), 0);
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    let directus = Directus::start();
    let creds = directus.credentials("blank");
    let out = noderun(
        &run_args(
            "refreshToken",
            REFRESH,
            text(&creds),
            &["--continue-on-fail"],
        ),
        b"\n{\"rt\":\"t0\"}\n\n   \n\t\r\n{\"rt\":\"t1\"}\nnope\n\n",
    );
    assert_eq!(
        out.lines(),
        [
            ok_line(0),
            ok_line(1),
            error_line(2, "line 7: not valid JSON (expected ident at column 2)"),
        ]
    );
    assert_eq!(out.code, 0);
}

#[test]
fn many_leading_blank_lines_are_counted() {
    // 70 000 blank lines are more than one read of the input (a slow producer whose first
    // write is blank lines gives the same).
    let directus = Directus::start();
    let creds = directus.credentials("blank_leading");
    let mut input = vec![b'\n'; 70_000];
    input.extend_from_slice(b"nope\n");
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&creds), &[]),
        &input,
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: item 0: line 70001: not valid JSON (expected ident at column 2)\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn a_json_array_input() {
    let directus = Directus::start();
    let creds = directus.credentials("array");
    let args = run_args("refreshToken", REFRESH, text(&creds), &[]);
    // Whitespace before the array, n8n items and bare objects mixed.
    let out = noderun(
        &args,
        b"\n  [{\"json\":{\"rt\":\"t0\"}}, {\"rt\":\"t1\"}]\n",
    );
    assert_eq!(out.lines(), [ok_line(0), ok_line(1)]);
    assert_eq!(out.code, 0);

    let out = noderun(&args, b"[]");
    assert_eq!(out.stdout, "");
    assert_eq!(out.code, 0);

    // An entry that is not an object.
    let out = noderun(&args, b"[{\"rt\":\"t0\"}, 42, {\"rt\":\"t2\"}]");
    assert_eq!(out.lines(), [ok_line(0)]);
    assert_eq!(
        out.stderr,
        "noderun: error: item 1: input entry 2: expected a JSON object (an n8n item or its json), got a number\n"
    );
    assert_eq!(out.code, 2);

    assert_eq!(directus.requests(), 3);
}

#[test]
fn a_truncated_json_array_stops_the_run() {
    let directus = Directus::start();
    let creds = directus.credentials("array_truncated");
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&creds), &[]),
        b"[{\"rt\":\"t0\"}, {\"rt\":",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: the input is not a valid JSON array: EOF while parsing a value at line 1 column 20\n"
    );
    assert_eq!(out.code, 2);
    assert_eq!(directus.requests(), 0);
}

#[test]
fn a_truncated_json_array_is_an_input_error_even_with_continue_on_fail() {
    let directus = Directus::start();
    let creds = directus.credentials("array_truncated_continue");
    let out = noderun(
        &run_args(
            "refreshToken",
            REFRESH,
            text(&creds),
            &["--continue-on-fail"],
        ),
        b"[{\"rt\":\"t0\"}, {\"rt\":",
    );
    assert_eq!(out.stdout, "", "no item was read, so no item can be output");
    assert!(out.stderr.starts_with("noderun: error: "), "{}", out.stderr);
    assert!(
        out.stderr.ends_with(
            "the input is not a valid JSON array: EOF while parsing a value at line 1 column 20\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 2);
    assert_eq!(directus.requests(), 0);
}

// ---------------------------------------------------------------------------------------------
// Node, resource, operation

#[test]
fn unknown_node_resource_and_operation() {
    let directus = Directus::start();
    let creds = directus.credentials("unknown");
    let c = text(&creds);

    let out = noderun(
        &[
            "run",
            "strapi",
            "--resource",
            "auth",
            "--operation",
            "logout",
            "--credentials",
            c,
            "-q",
        ],
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: unknown node 'strapi'; valid nodes: directus, directusTrigger\n"
    );
    assert_eq!(out.code, 2);

    let out = noderun(
        &[
            "run",
            "directus",
            "--resource",
            "webhooks",
            "--operation",
            "logout",
            "--credentials",
            c,
            "-q",
        ],
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: node 'directus' has no resource 'webhooks'; valid resources: access, activity, \
         assets, auth, collections, comments, dashboards, extensions, fields, files, operations, flows, \
         folders, items, notifications, panels, permissions, policies, presets, relations, revisions, \
         roles, schema, server, settings, shares, translations, users, utils, versions\n"
    );
    assert_eq!(out.code, 2);

    let out = noderun(
        &[
            "run",
            "directus",
            "--resource",
            "auth",
            "--operation",
            "signup",
            "--credentials",
            c,
            "-q",
        ],
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: resource 'auth' of node 'directus' has no operation 'signup'; valid operations: \
         list, login, logout, refreshToken, requestReset, resetPassword, startOauthFlow\n"
    );
    assert_eq!(out.code, 2);
    assert_eq!(directus.requests(), 0);
}

// ---------------------------------------------------------------------------------------------
// Parameters

/// A required parameter that is not set at all is missing for every item alike: a usage error
/// before any item runs (also with continue-on-fail), naming the parameter and how to give it.
#[test]
fn a_missing_required_parameter() {
    let directus = Directus::start();
    let creds = directus.credentials("missing_parameter");
    for extra in [&[][..], &["--continue-on-fail"]] {
        let out = noderun(
            &run_args("refreshToken", "{}", text(&creds), extra),
            b"{\"rt\":\"t0\"}\n{\"rt\":\"t1\"}\n",
        );
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            "noderun: error: auth refreshToken needs the parameter 'refreshToken' (Refresh Token), which is not set: \
             give it, e.g. --parameters '{\"refreshToken\": \"={{ $json.refreshToken }}\"}' \
             (`noderun describe directus auth refreshToken` lists the parameters)\n"
        );
        assert_eq!(out.code, 2);
    }
    // Set, but empty for an item: that item fails, with its index.
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&creds), &[]),
        b"{\"rt\":\"\"}\n",
    );
    assert_eq!(
        out.stderr,
        "noderun: error: item 0: Missing required parameter: refreshToken\n"
    );
    assert_eq!(out.code, 1);
    assert_eq!(directus.requests(), 0);
}

#[test]
fn a_wrongly_typed_parameter() {
    let directus = Directus::start();
    let creds = directus.credentials("wrong_type");
    let out = noderun(
        &run_args(
            "logout",
            r#"{"jsonParameters":"yes","bodyParametersJson":"{\"refresh_token\":\"t\"}"}"#,
            text(&creds),
            &[],
        ),
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: item 0: Parameter 'jsonParameters' must be of type boolean; got a string 'yes'\n"
    );
    assert_eq!(out.code, 1);
    assert_eq!(directus.requests(), 0);
}

#[test]
fn a_wrongly_typed_secret_is_not_echoed() {
    let directus = Directus::start();
    let creds = directus.credentials("wrong_type_secret");
    let out = noderun(
        &run_args(
            "login",
            r#"{"email":"a@example.com","password":{"pin":12345678}}"#,
            text(&creds),
            &[],
        ),
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(
            "noderun: error: item 0: Parameter 'password' must be of type string; got an object"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("12345678"), "{}", out.stderr);
    assert_eq!(out.code, 1);

    // The same through an expression: the item's value is a secret too.
    let out = noderun(
        &run_args(
            "refreshToken",
            REFRESH,
            text(&creds),
            &["--continue-on-fail"],
        ),
        b"{\"rt\":{\"token\":\"secret-abc-123\"}}\n",
    );
    assert_eq!(out.lines().len(), 1);
    assert!(
        out.stdout.starts_with(
            r#"{"json":{"error":"Parameter 'refreshToken' must be of type string; got an object"#
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("secret-abc-123"), "{}", out.stdout);
    assert_eq!(out.code, 0);
    assert_eq!(directus.requests(), 0);
}

#[test]
fn a_raw_body_that_is_not_json() {
    let directus = Directus::start();
    let creds = directus.credentials("body_not_json");
    let parameters = r#"{"jsonParameters":true,"bodyParametersJson":"{refresh_token: t}"}"#;
    let message = "Parameter 'bodyParametersJson' must be a JSON object; got text that is not valid JSON \
                   (key must be a string at line 1 column 2)";
    let out = noderun(
        &run_args("logout", parameters, text(&creds), &[]),
        b"{}\n{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, format!("noderun: error: item 0: {message}\n"));
    assert_eq!(out.code, 1);

    let out = noderun(
        &run_args("logout", parameters, text(&creds), &["--continue-on-fail"]),
        b"{}\n{}\n",
    );
    assert_eq!(
        out.lines(),
        [error_line(0, message), error_line(1, message)]
    );
    assert_eq!(out.code, 0);
    assert_eq!(directus.requests(), 0);
}

#[test]
fn a_raw_body_that_is_json_but_not_an_object() {
    let directus = Directus::start();
    let creds = directus.credentials("body_not_object");
    let parameters = r#"{"jsonParameters":true,"bodyParametersJson":"[1]"}"#;
    let out = noderun(&run_args("logout", parameters, text(&creds), &[]), b"{}\n");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: item 0: Parameter 'bodyParametersJson' must be a JSON object; got [1]\n"
    );
    assert_eq!(out.code, 1);
    assert_eq!(directus.requests(), 0);
}

#[test]
fn a_raw_body_that_works() {
    // The control for the two cases above: the same parameters with a good body.
    let directus = Directus::start();
    let creds = directus.credentials("body_ok");
    let parameters = r#"{"jsonParameters":true,"bodyParametersJson":"{\"refresh_token\":\"t\"}"}"#;
    let out = noderun(&run_args("logout", parameters, text(&creds), &[]), b"{}\n");
    assert_eq!(
        out.lines(),
        [r#"{"json":{"success":true},"pairedItem":{"item":0}}"#]
    );
    assert_eq!(out.code, 0);
    assert_eq!(directus.requests(), 1);
}

#[test]
fn an_expression_naming_a_missing_field() {
    let directus = Directus::start();
    let creds = directus.credentials("missing_field");
    let parameters = r#"{"refreshToken":"={{ $json.nope }}"}"#;
    let message = "Parameter 'refreshToken': the expression ={{ $json.nope }} refers to $json.nope, \
                   which the item does not have";
    let out = noderun(
        &run_args("refreshToken", parameters, text(&creds), &[]),
        b"{\"rt\":\"t0\"}\n{\"rt\":\"t1\"}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, format!("noderun: error: item 0: {message}\n"));
    assert_eq!(out.code, 1);

    // Only the items lacking the field fail.
    let out = noderun(
        &run_args(
            "refreshToken",
            parameters,
            text(&creds),
            &["--continue-on-fail"],
        ),
        b"{\"rt\":\"t0\"}\n{\"nope\":\"t1\"}\n",
    );
    assert_eq!(out.lines(), [error_line(0, message), ok_line(1)]);
    assert_eq!(out.code, 0);
    assert_eq!(directus.requests(), 1);
}

// ---------------------------------------------------------------------------------------------
// Credentials

#[test]
fn a_credentials_file_that_is_missing() {
    let missing = scratch("credentials_missing").join("nowhere.json");
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&missing), &[]),
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "noderun: error: cannot read the credentials file {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    assert_eq!(out.code, 2);
}

#[test]
fn a_credentials_file_that_is_a_directory() {
    let dir = scratch("credentials_directory");
    let out = noderun(&run_args("refreshToken", REFRESH, text(&dir), &[]), b"{}\n");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "noderun: error: cannot read the credentials file {}: Is a directory (os error 21)\n",
            dir.display()
        )
    );
    assert_eq!(out.code, 2);
}

#[test]
fn a_credentials_file_that_is_not_json() {
    let file = write_file(
        "credentials_not_json",
        "credentials.json",
        "url=http://127.0.0.1\n",
    );
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&file), &[]),
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "noderun: error: the credentials file {} is not valid JSON (line 1, column 1)\n",
            file.display()
        )
    );
    assert_eq!(out.code, 2);

    let file = write_file(
        "credentials_not_json",
        "array.json",
        "[\"http://127.0.0.1\"]",
    );
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&file), &[]),
        b"{}\n",
    );
    assert_eq!(
        out.stderr,
        format!(
            "noderun: error: the credentials file {} must hold a JSON object of the credential's fields\n",
            file.display()
        )
    );
    assert_eq!(out.code, 2);
}

#[test]
fn a_credentials_file_without_url() {
    let file = write_file(
        "credentials_incomplete",
        "credentials.json",
        r#"{"accessToken":"static-token-123"}"#,
    );
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&file), &[]),
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: credential 'directusApi' is missing its required field 'url'\n"
    );
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("static-token-123"));
}

#[test]
fn a_credentials_file_with_an_unknown_field() {
    let file = write_file(
        "credentials_unknown_field",
        "credentials.json",
        r#"{"url":"http://127.0.0.1:9","apiKey":"static-token-123"}"#,
    );
    let out = noderun(
        &run_args("refreshToken", REFRESH, text(&file), &[]),
        b"{}\n",
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "noderun: error: credential 'directusApi' has no field 'apiKey'; its fields are: url, accessToken\n"
    );
    assert_eq!(out.code, 2);
}
