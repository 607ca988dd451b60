//! The command line as a new user meets it: `describe`, "did you mean", completions, the man
//! page, help, refused values, warnings, colours and pipes. Self-contained: requests go to a
//! local server (the test kit's, 127.0.0.1) or nowhere (dry runs, lookups).

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use noderun_testkit::{Reply, Server};
use serde_json::{Value, json};

use support::{noderun, noderun_with_env};

const LOG_IN: &str = "\
Directus › Authentication › Log In (directus auth login)
Retrieve an access token and a refresh token
Request: POST /auth/login

PARAMETER              TYPE            REQUIRED  DEFAULT  SHOWN WHEN
email                  string          yes                jsonParameters: false
    Email: Email address of the user
password               string, secret  yes                jsonParameters: false
    Password: Password of the user
jsonParameters         boolean         no        false
    JSON/RAW Parameters: Whether to send the request body as raw JSON instead of the fields
bodyParametersJson     json            yes                jsonParameters: true
    Body Parameters: The whole request body, as a JSON object
additionalFields       collection      no                 jsonParameters: false
    Additional Fields: How the tokens come back (Mode) and the one-time password of a user with two-factor authentication (OTP)
additionalFields.mode  options         no        json
    Mode: How Directus returns the tokens
    One of: json, cookie, session
additionalFields.otp   string, secret  no
    OTP: One-time password of a user with two-factor authentication

Run it:
  noderun run directus --resource auth --operation login --credentials creds.json \\
    --parameters '{\"email\": \"={{ $json.email }}\", \"password\": \"={{ $json.password }}\"}' < items.ndjson
";

#[test]
fn describe_an_operation_as_a_table() {
    let out = noderun(&["describe", "directus", "auth", "login"], "");
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(out.stdout, LOG_IN);
}

/// The operations of a resource, wrapped to COLUMNS (a terminal's width) under each row.
#[test]
fn describe_a_resource_wrapped_to_the_width() {
    let out = noderun_with_env(&["describe", "directus", "auth"], &[("COLUMNS", "72")], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "\
Directus › Authentication (auth): 7 operations

OPERATION       NAME                    REQUEST
list            List Providers          GET /auth
    List the authentication providers configured in Directus
login           Log In                  POST /auth/login
    Retrieve an access token and a refresh token
logout          Log Out                 POST /auth/logout
    Invalidate a refresh token (or a session)
refreshToken    Refresh Token           POST /auth/refresh
    Exchange a refresh token for a new access token
requestReset    Request Password Reset  POST /auth/password/request
    Send a password reset email to a user
resetPassword   Reset Password          POST /auth/password/reset
    Set a new password with the token from the reset email
startOauthFlow  Start OAuth Flow        GET /auth/login/{provider}
    Get the URL that starts a login with an external provider

An operation's parameters: noderun describe directus auth OPERATION
"
    );
}

#[test]
fn describe_the_nodes_and_a_node() {
    let out = noderun(&["describe"], "");
    assert_eq!(
        out.stdout,
        "\
2 nodes

NODE             NAME              RESOURCES  OPERATIONS  DESCRIPTION
directus         Directus          30         172         Consume the Directus API
directusTrigger  Directus Trigger  -          -           Starts the workflow when records of Directus collections are created, updated or deleted: read from Directus's activity log, so no public URL is needed and no change made while n8n was down is lost

A node's resources: noderun describe NODE
"
    );
    let out = noderun(&["describe", "directus"], "");
    let lines = out.lines();
    assert_eq!(
        lines[..4],
        [
            "Directus (directus): Consume the Directus API",
            "30 resources, 172 operations; credentials: directusApi",
            "",
            "RESOURCE       NAME             OPERATIONS",
        ]
    );
    assert!(
        lines.contains(
            &"auth           Authentication   list, login, logout, refreshToken, requestReset, resetPassword, startOauthFlow"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(lines.len(), 4 + 30 + 2);
}

/// Two-step operations show both requests; a collection's options are rows of their own.
#[test]
fn describe_follow_up_requests_and_collection_options() {
    let out = noderun(&["describe", "directus", "assets", "get"], "");
    assert_eq!(
        out.lines()[..3],
        [
            "Directus › Assets › Get (directus assets get)",
            "Download a file's bytes (optionally transformed) into a binary property",
            "Request: GET /assets/{id}, then GET /files/{id}",
        ]
    );
    let out = noderun(&["describe", "directus", "items", "list"], "");
    assert!(
        out.stdout.contains("\nadditionalFields.fields "),
        "{}",
        out.stdout
    );
}

#[test]
fn describe_as_json_for_tools() {
    let out = noderun(&["describe", "directus", "auth", "logout", "--json"], "");
    assert_eq!(out.code, 0);
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        v["requests"],
        json!({"request": "POST /auth/logout", "then": []})
    );
    assert_eq!(v["readOnly"], false);
    assert_eq!(
        v["parameters"][0],
        json!({
            "name": "refreshToken",
            "displayName": "Refresh Token",
            "type": "string",
            "secret": true,
            "required": true,
            "default": "",
            "displayOptions": {"show": {"jsonParameters": [false]}},
            "description": "The refresh token (json mode), or the session token (session mode), or the refresh cookie's value (cookie mode)",
        })
    );
    let out = noderun(&["describe", "directus", "auth", "--json"], "");
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        v["operations"][0],
        json!({
            "value": "list",
            "name": "List Providers",
            "description": "List the authentication providers configured in Directus",
            "requests": {"request": "GET /auth", "then": []},
            "readOnly": true,
        })
    );
}

/// Mistyped names get the closest one (edit distance), not the whole list; a name that is not
/// close to any gets the list.
#[test]
fn did_you_mean() {
    for (args, message) in [
        (
            &["describe", "directus", "item"][..],
            "node 'directus' has no resource 'item'; did you mean 'items'?",
        ),
        (
            &["describe", "directus", "auth", "refreshtoken"],
            "resource 'auth' of node 'directus' has no operation 'refreshtoken'; did you mean 'refreshToken'?",
        ),
        (
            &["schema", "directs", "auth", "login"],
            "unknown node 'directs'; did you mean 'directus'?",
        ),
        (
            &[
                "run",
                "directus",
                "--resource",
                "item",
                "--operation",
                "list",
            ],
            "node 'directus' has no resource 'item'; did you mean 'items'?",
        ),
        (
            &["describe", "directus", "auth", "signup"],
            "resource 'auth' of node 'directus' has no operation 'signup'; valid operations: list, login, logout, refreshToken, requestReset, resetPassword, startOauthFlow",
        ),
    ] {
        let out = noderun_with_env(args, &[("DIRECTUS_URL", "http://127.0.0.1:9")], "{}\n");
        assert_eq!(
            out.stderr,
            format!("noderun: error: {message}\n"),
            "{args:?}"
        );
        assert_eq!(out.code, 2);
    }
}

/// `schema` with a part of the path says what is missing instead of printing its usage.
#[test]
fn schema_with_a_partial_path() {
    let out = noderun(&["schema", "directus", "items"], "");
    assert_eq!(
        out.stderr,
        "noderun: error: name an operation: noderun schema directus items OPERATION, one of: create, createMultiple, upsert, delete, deleteMultiple, get, list, update, updateMultiple\n"
    );
    assert_eq!(out.code, 2);
}

/// One way to name the node: positional everywhere (`--node` still works for old scripts).
#[test]
fn the_node_is_positional_everywhere() {
    let positional = noderun(&["definitions", "directus"], "");
    assert_eq!(positional.code, 0);
    let flag = noderun(&["definitions", "--node", "directus"], "");
    assert_eq!(positional.stdout, flag.stdout);
    let help = noderun(&["definitions", "--help"], "");
    assert!(
        help.stdout
            .contains("Usage: noderun definitions [OPTIONS] [NODE]")
    );
    assert!(!help.stdout.contains("--node"), "{}", help.stdout);
}

#[test]
fn completions_offer_the_registry_names() {
    for shell in ["bash", "zsh", "fish"] {
        let out = noderun(&["completions", shell], "");
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{shell}");
        for name in ["refreshToken", "startOauthFlow", "collections"] {
            assert!(out.stdout.contains(name), "{shell}: {name}");
        }
        // clap_complete's fish script completes options, not positional values (the node):
        // its one "directus" is the trigger's.
        assert_eq!(
            out.stdout.contains("directusTrigger"),
            shell != "fish",
            "{shell}"
        );
    }
    let fish = noderun(&["completions", "fish"], "").stdout;
    assert!(
        fish.contains(
            "complete -c noderun -n \"__fish_noderun_using_subcommand run\" -l resource -d 'Resource, e.g. auth (sets the `resource` parameter)' -r -f -a \"access\\t'Access'"
        ),
        "{fish}"
    );
}

#[test]
fn the_man_page_comes_from_the_same_definition() {
    let out = noderun(&["man"], "");
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq\n"));
    assert!(out.stdout.contains(".TH noderun 1  \"noderun 0.1.0\""));
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_surface_man");
    let _ = std::fs::remove_dir_all(&dir);
    let out = noderun(&["man", "--out", dir.to_str().unwrap()], "");
    assert_eq!(
        out.stderr,
        format!("noderun: wrote the man pages to {}\n", dir.display())
    );
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "noderun-completions.1",
            "noderun-definitions.1",
            "noderun-describe.1",
            "noderun-forms.1",
            "noderun-man.1",
            "noderun-mcp.1",
            "noderun-run.1",
            "noderun-schema.1",
            "noderun-trigger.1",
            "noderun.1",
        ]
    );
    let run = std::fs::read_to_string(dir.join("noderun-run.1")).unwrap();
    assert!(run.contains(".SH EXTRA\nExamples:\n"), "{run}");
    assert!(run.contains("Exit codes:\n  0        every item succeeded"));
}

/// `run --help`: options in groups, examples and exit codes.
#[test]
fn run_help_has_groups_examples_and_exit_codes() {
    let out = noderun(&["run", "-h"], "");
    let headings: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.ends_with(':') && !l.starts_with(' '))
        .collect();
    assert_eq!(
        headings,
        [
            "Options:",
            "Node and parameters:",
            "Credentials:",
            "Errors, retries and limits:",
            "Run:",
            "Input and output:",
            "Examples:",
            "Exit codes:",
        ]
    );
    assert!(out.stdout.ends_with(
        "\
Exit codes:
  0        every item succeeded, or its failure was continued
  1        an item's failure stopped the run (no new item started)
  2        usage, input or definition error (before any item ran)
  3        an output could not be written (the items whose outputs were lost are listed)
  129 130 143  stopped by SIGHUP, SIGINT, SIGTERM
"
    ));
}

/// Values outside n8n's ranges are refused (never clamped), sizes take units.
#[test]
fn out_of_range_values_are_refused() {
    let base = [
        "run",
        "directus",
        "--resource",
        "server",
        "--operation",
        "ping",
    ];
    let env = [("DIRECTUS_URL", "http://127.0.0.1:9")];
    for (extra, message) in [
        (
            &["--max-tries", "10"][..],
            "error: invalid value '10' for '--max-tries <N>': 10 is not in 2..=5\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--max-tries", "0"],
            "error: invalid value '0' for '--max-tries <N>': 0 is not in 2..=5\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--wait-between-tries", "99999"],
            "error: invalid value '99999' for '--wait-between-tries <MS>': 99999 is not in 0..=5000\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--concurrency", "0"],
            "error: invalid value '0' for '--concurrency <N>': expected a whole number of at least 1\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--page-size", "0"],
            "error: invalid value '0' for '--page-size <N>': expected a whole number of at least 1\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--max-response-bytes", "16 parsecs"],
            "error: invalid value '16 parsecs' for '--max-response-bytes <SIZE>': invalid digit found in string: give bytes, or a size with a unit such as 512k, 16MiB, 2GiB\n\nFor more information, try '--help'.\n",
        ),
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = noderun_with_env(&args, &env, "{}\n");
        assert_eq!((out.code, out.stderr.as_str()), (2, message), "{extra:?}");
    }
    for size in ["1k", "16MiB", "1.5GB", "4096"] {
        let args: Vec<&str> = base
            .iter()
            .copied()
            .chain(["--max-response-bytes", size, "--dry-run", "-q"])
            .collect();
        let out = noderun_with_env(&args, &env, "{}\n");
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{size}");
    }
}

/// A workflow node's settings outside n8n's ranges are refused by name too.
#[test]
fn workflow_node_settings_out_of_range_are_refused() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_surface_workflow");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("node.json");
    for (settings, message) in [
        (
            json!({"retryOnFail": true, "maxTries": 10}),
            "maxTries must be a whole number from 2 to 5; got 10",
        ),
        (
            json!({"waitBetweenTries": 60000}),
            "waitBetweenTries must be a whole number from 0 to 5000; got 60000",
        ),
        (
            json!({"onError": "continue"}),
            "onError must be stopWorkflow, continueRegularOutput or continueErrorOutput; got \"continue\"",
        ),
    ] {
        let mut node = json!({
            "type": "n8n-nodes-noderun.directus",
            "parameters": {"resource": "server", "operation": "ping"},
        });
        node.as_object_mut()
            .unwrap()
            .extend(settings.as_object().unwrap().clone());
        std::fs::write(&file, node.to_string()).unwrap();
        let out = noderun_with_env(
            &[
                "run",
                "--workflow-node",
                file.to_str().unwrap(),
                "--dry-run",
            ],
            &[("DIRECTUS_URL", "http://127.0.0.1:9")],
            "{}\n",
        );
        assert_eq!(
            out.stderr,
            format!(
                "noderun: error: --workflow-node {}: {message}\n",
                file.display()
            )
        );
        assert_eq!(out.code, 2);
    }
}

/// A secret typed on the command line is visible in `ps`: a person at a terminal is told how to
/// avoid it (scripts' stderr stays as it was). `script` gives the run a terminal.
#[test]
fn a_literal_secret_on_the_command_line_is_warned_about() {
    let on_a_terminal = |parameters: &str| {
        let command = format!(
            "printf '{{\"password\": \"hunter2\"}}\\n' | NO_COLOR=1 DIRECTUS_URL=http://127.0.0.1:9 {} run directus --resource auth --operation login --dry-run -q --parameters '{parameters}' > /dev/null",
            env!("CARGO_BIN_EXE_noderun")
        );
        let out = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("script runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
    };
    assert_eq!(
        on_a_terminal(
            r#"{"email": "a@example.com", "password": "hunter2", "additionalFields": {"otp": "123456"}}"#
        ),
        "noderun: warning: --parameters gives the secret 'password' as a literal: other users of this machine can read it in the process list, and the shell's history keeps it; take it from the items by expression (\"password\": \"={{ $json.password }}\") or put the parameters in a file (--parameters @FILE)\n\
         noderun: warning: --parameters gives the secret 'additionalFields.otp' as a literal: other users of this machine can read it in the process list, and the shell's history keeps it; take it from the items by expression (\"otp\": \"={{ $json.otp }}\") or put the parameters in a file (--parameters @FILE)\n"
    );
    assert_eq!(
        on_a_terminal(r#"{"email": "a@example.com", "password": "={{ $json.password }}"}"#),
        ""
    );
}

/// A text that is not true or false for a boolean field is refused by name, never taken as
/// false (Collections → Create, Archive App Filter); the community node's texts still work.
#[test]
fn strict_booleans() {
    let run = |value: &str| {
        noderun_with_env(
            &[
                "run",
                "directus",
                "--resource",
                "collections",
                "--operation",
                "create",
                "--dry-run",
                "-q",
                "--parameters",
                &format!(
                    r#"{{"collection": "c", "additionalFields": {{"archiveAppFilter": {value}}}}}"#
                ),
            ],
            &[("DIRECTUS_URL", "http://127.0.0.1:9")],
            "{}\n",
        )
    };
    let out = run(r#""ture""#);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "noderun: error: item 0: Parameter 'archiveAppFilter' must be of type boolean (or null); got a string 'ture' (in additionalFields)\n"
        )
    );
    for (value, sent) in [(r#""true""#, true), (r#""false""#, false), ("true", true)] {
        let out = run(value);
        assert_eq!(out.code, 0, "{value}: {}", out.stderr);
        assert_eq!(
            out.items()[0]["json"]["body"]["meta"]["archive_app_filter"],
            json!(sent),
            "{value}"
        );
    }
}

#[test]
fn an_unterminated_string_in_an_input_line_says_so() {
    let out = noderun_with_env(
        &[
            "run",
            "directus",
            "--resource",
            "server",
            "--operation",
            "ping",
            "--dry-run",
            "-q",
        ],
        &[("DIRECTUS_URL", "http://127.0.0.1:9")],
        "{}\n{\"a\": \"b\n",
    );
    assert_eq!(
        out.stderr,
        "noderun: error: item 1: line 2: not valid JSON (the line ends inside a string, at column 8)\n"
    );
    assert_eq!(out.code, 2);
}

/// Colour only on a terminal: logs and errors into a pipe carry no escape codes;
/// CLICOLOR_FORCE forces them, NO_COLOR wins.
#[test]
fn colours_only_on_a_terminal() {
    let server = server();
    let env = [("DIRECTUS_URL", server.url())];
    let out = noderun_with_env(
        &[
            "run",
            "directus",
            "--resource",
            "server",
            "--operation",
            "ping",
            "-vv",
        ],
        &env,
        "{}\n",
    );
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains(" DEBUG "), "{}", out.stderr);
    assert!(!out.stderr.contains('\x1b'), "{}", out.stderr);
    let out = noderun_with_env(&["describe", "strapi"], &[("CLICOLOR_FORCE", "1")], "");
    assert_eq!(
        out.stderr,
        "noderun: \x1b[1m\x1b[31merror:\x1b[0m unknown node 'strapi'; valid nodes: directus, directusTrigger\n"
    );
    let out = noderun_with_env(
        &["describe", "strapi"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        "",
    );
    assert_eq!(
        out.stderr,
        "noderun: error: unknown node 'strapi'; valid nodes: directus, directusTrigger\n"
    );
}

/// A reader that stops early (`| head -1`): a run that only reads ends quietly with 0, as
/// `rg | head` does; a run that changes data keeps its accounting (exit 3, lost items listed).
#[test]
fn a_closed_stdout_ends_a_read_only_run_quietly() {
    let server = server();
    let items = "{}\n".repeat(300);
    let (code, stderr) = read_one_line_then_close(
        server.url(),
        &[
            "--resource",
            "items",
            "--operation",
            "list",
            "--parameters",
            r#"{"collection": "articles"}"#,
        ],
        &items,
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    let (code, stderr) = read_one_line_then_close(
        server.url(),
        &[
            "--resource",
            "items",
            "--operation",
            "create",
            "--parameters",
            r#"{"collection": "articles", "data": "={{ $json }}"}"#,
        ],
        &items,
    );
    assert_eq!(code, 3, "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.contains(&"noderun: error: cannot write to stdout: Broken pipe (os error 32)"),
        "{stderr}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "noderun: not delivered: the outputs of items that succeeded (their requests took effect): "
        )),
        "{stderr}"
    );
}

/// Runs `noderun run directus <args>` against the server, reads one output line, closes stdout
/// and returns the exit code and stderr.
fn read_one_line_then_close(uri: &str, args: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_noderun"))
        .args(["run", "directus"])
        .args(args)
        .env("DIRECTUS_URL", uri)
        .env_remove("DIRECTUS_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("noderun starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("{\"json\":"), "{line}");
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        output.status.code().expect("an exit code"),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A local server answering like Directus (the test kit's): lists of 100 entries, creates,
/// pings.
fn server() -> Server {
    let rows: Vec<Value> = (0..100).map(|i| json!({"id": i, "title": "x"})).collect();
    let list = json!({ "data": rows });
    Server::start(move |request| {
        let path = request.target.split('?').next().unwrap_or_default();
        match (request.method.as_str(), path) {
            ("GET", "/items/articles") => Reply::json(200, &list),
            ("POST", "/items/articles") => Reply::json(200, &json!({"data": {"id": 1}})),
            ("GET", "/server/ping") => Reply::status(200).body("text/plain", "pong"),
            _ => Reply::status(404),
        }
    })
}

/// A trigger node is described by its parameters and the command that follows it; `run` on it
/// says where to go instead of asking for credentials.
#[test]
fn a_trigger_node_points_to_noderun_trigger() {
    let out = noderun(&["describe", "directusTrigger"], "");
    assert_eq!(out.code, 0);
    let lines = out.lines();
    assert_eq!(
        lines[1..4],
        [
            "A trigger: it starts on changes, not on items; credentials: directusApi",
            "",
            "PARAMETER       TYPE          REQUIRED  DEFAULT                       SHOWN WHEN",
        ]
    );
    assert_eq!(
        *lines.last().unwrap(),
        "Follow the changes: noderun trigger directus --collection NAME (noderun trigger --help)"
    );
    let out = noderun(&["run", "directusTrigger"], "");
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "noderun: error: 'directusTrigger' is a trigger: it starts on changes rather than on items; follow them with `noderun trigger directus --collection NAME` (noderun trigger --help)\n"
        )
    );
}

/// A dry run of a two-call operation shows every request it would make: the follow-ups under
/// `then`, each with the condition only the first response decides (`when`) and what comes from
/// that response left as written.
#[test]
fn a_dry_run_shows_every_request_of_a_two_call_operation() {
    let dry_run = |resource: &str, operation: &str, parameters: Value| {
        let out = noderun_with_env(
            &[
                "run",
                "directus",
                "--resource",
                resource,
                "--operation",
                operation,
                "--dry-run",
                "-q",
                "--parameters",
                &parameters.to_string(),
            ],
            &[("DIRECTUS_URL", "http://127.0.0.1:9")],
            "{\"sku\":\"A-1\"}\n",
        );
        assert_eq!((out.code, out.stderr.as_str()), (0, ""));
        out.items().remove(0)
    };
    let accept = json!({"Accept": "application/json"});
    let json_body = json!({"Accept": "application/json", "Content-Type": "application/json"});
    assert_eq!(
        dry_run(
            "items",
            "upsert",
            json!({"collection": "articles", "data": {"title": "T", "sku": "={{ $json.sku }}"},
                   "filters": {"filter": "={{ JSON.stringify({sku: {_eq: $json.sku} }) }}"}})
        ),
        json!({"json": {
            "method": "GET",
            "url": "http://127.0.0.1:9/items/articles?limit=1&sort=id&filter=%7B%22sku%22%3A%7B%22_eq%22%3A%22A-1%22%7D%7D",
            "headers": accept, "body": null,
            "then": [
                {"when": "={{ $response.body.data.length > 0 && !$parameter.skipUpdate }}",
                 "method": "PATCH",
                 "url": "http://127.0.0.1:9/items/articles/{{ encodeURIComponent($response.body.data[0][$parameter.idFieldname]) }}",
                 "headers": json_body, "body": {"title": "T", "sku": "A-1"}},
                {"when": "={{ $response.body.data.length === 0 }}",
                 "method": "POST", "url": "http://127.0.0.1:9/items/articles",
                 "headers": json_body, "body": {"title": "T", "sku": "A-1"}}
            ]},
            "pairedItem": {"item": 0}})
    );
    // A follow-up the parameters decide is shown when enabled, without a condition.
    let get = |include: bool| {
        dry_run(
            "assets",
            "get",
            json!({"id": "f-1", "includeFileData": include}),
        )["json"]
            .clone()
    };
    assert_eq!(
        get(true),
        json!({"method": "GET", "url": "http://127.0.0.1:9/assets/f-1", "headers": accept,
               "body": null,
               "then": [{"method": "GET", "url": "http://127.0.0.1:9/files/f-1",
                         "headers": accept, "body": null}]})
    );
    assert_eq!(
        get(false),
        json!({"method": "GET", "url": "http://127.0.0.1:9/assets/f-1", "headers": accept,
               "body": null})
    );
}

/// A mistyped parameter or collection option gets the closest of the operation's own names, or
/// the operation's names (not the node's); refused before any item (exit 2).
#[test]
fn unknown_parameters_get_the_operations_names() {
    let refused = |operation: &str, parameters: &str| {
        let (resource, operation) = operation.split_once(' ').unwrap();
        let out = noderun_with_env(
            &[
                "run",
                "directus",
                "--resource",
                resource,
                "--operation",
                operation,
                "--dry-run",
                "--parameters",
                parameters,
            ],
            &[("DIRECTUS_URL", "http://127.0.0.1:9")],
            "{}\n",
        );
        assert_eq!((out.code, out.stdout.as_str()), (2, ""));
        out.stderr
    };
    assert_eq!(
        refused("auth refreshToken", r#"{"refreshTokn": "={{ $json.rt }}"}"#),
        "noderun: error: Unknown parameter 'refreshTokn'; did you mean 'refreshToken'?\n"
    );
    assert_eq!(
        refused(
            "auth login",
            r#"{"email": "a@b.c", "pasword": "={{ $json.p }}"}"#
        ),
        "noderun: error: Unknown parameter 'pasword'; did you mean 'password'?\n"
    );
    assert_eq!(
        refused("auth logout", r#"{"token": "x", "xyz": 1}"#),
        "noderun: error: Unknown parameter 'xyz'; valid parameters of auth logout: refreshToken, jsonParameters, bodyParametersJson, additionalFields\n"
    );
    assert_eq!(
        refused(
            "items list",
            r#"{"collection": "a", "additionalFields": {"feilds": "id"}}"#
        ),
        "noderun: error: Unknown parameter 'feilds' (in additionalFields); did you mean 'fields'?\n"
    );
    assert_eq!(
        refused(
            "auth login",
            r#"{"email": "a@b.c", "password": "={{ $json.p }}", "additionalFields": {"zzz": 1}}"#
        ),
        "noderun: error: Unknown parameter 'zzz' (in additionalFields); valid options of additionalFields: mode, otp\n"
    );
}

/// The credential's URL is checked before any item: a scheme (http or https) and a host, else a
/// usage error naming the field.
#[test]
fn the_credentials_url_is_checked_before_any_item() {
    for (url, problem) in [
        (
            "directus.example.com",
            "must start with http:// or https://",
        ),
        ("localhost:8055", "must start with http:// or https://"),
        (
            "ftp://example.com",
            "must start with http:// or https://, not ftp://",
        ),
        ("http://", "has no host"),
    ] {
        let out = noderun_with_env(
            &[
                "run",
                "directus",
                "--resource",
                "server",
                "--operation",
                "ping",
                "--dry-run",
            ],
            &[("DIRECTUS_URL", url)],
            "{}\n{}\n",
        );
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (
                2,
                "",
                format!(
                    "noderun: error: credential 'directusApi' field 'url': '{url}' {problem} (e.g. https://directus.example.com)\n"
                )
                .as_str()
            ),
            "{url}"
        );
    }
}
