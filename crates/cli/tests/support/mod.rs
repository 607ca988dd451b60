//! Helpers shared by the CLI's integration tests: running the `noderun` binary as a user would,
//! and (in [`directus`]) the real Directus server that `scripts/test` starts.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

pub mod directus;
pub mod examples;
pub mod recording;
pub mod workflows;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// The stdout lines, each parsed as JSON (an output item).
    pub fn items(&self) -> Vec<Value> {
        parse_lines(&self.stdout)
    }
}

/// Runs `noderun run directus --resource R --operation O --parameters P --credentials FILE -q`
/// plus `extra` flags, with `input` as NDJSON on stdin.
pub fn run_directus(
    resource: &str,
    operation: &str,
    parameters: &Value,
    credentials: &std::path::Path,
    input: &[Value],
    extra: &[&str],
) -> Out {
    let mut args: Vec<String> = vec![
        "run".into(),
        "directus".into(),
        "--resource".into(),
        resource.into(),
        "--operation".into(),
        operation.into(),
        "--parameters".into(),
        parameters.to_string(),
        "--credentials".into(),
        credentials.to_str().expect("a UTF-8 path").into(),
        "-q".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    noderun(&args, ndjson(input))
}

/// Every line of `text` parsed as JSON.
pub fn parse_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// `values` as NDJSON (one compact JSON value per line).
pub fn ndjson(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

/// Runs `noderun` with `args` and the extra environment `env`, feeding `stdin` to it. The
/// caller's DIRECTUS_URL, DIRECTUS_TOKEN and RUST_LOG are not passed on.
pub fn noderun_with_env<A: AsRef<std::ffi::OsStr>>(
    args: &[A],
    env: &[(&str, &str)],
    stdin: impl AsRef<[u8]>,
) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_noderun"))
        .args(args)
        .env_remove("DIRECTUS_URL")
        .env_remove("DIRECTUS_TOKEN")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the noderun binary starts");
    let input = stdin.as_ref().to_vec();
    let mut pipe = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        // The binary may exit before reading (setup errors): a broken pipe is fine.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("noderun runs");
    writer.join().expect("the stdin writer");
    let out = Out {
        code: output.status.code().expect("an exit code, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !out.stderr.contains("panicked"),
        "noderun panicked: {}",
        out.stderr
    );
    out
}

/// Runs `noderun` with `args`, feeding `stdin` to it.
pub fn noderun<A: AsRef<std::ffi::OsStr>>(args: &[A], stdin: impl AsRef<[u8]>) -> Out {
    noderun_with_env(args, &[], stdin)
}

/// The keys of an object, sorted.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A successful output item of input `index`: exactly `json` and `pairedItem`; its `json`.
pub fn assert_output(item: &Value, index: usize) -> &Value {
    assert_eq!(keys(item), ["json", "pairedItem"], "{item}");
    assert_eq!(item["pairedItem"], json!({"item": index}), "{item}");
    &item["json"]
}

/// n8n's headline for an HTTP status.
pub fn headline(status: u16) -> &'static str {
    match status {
        400 => "Bad request - please check your parameters",
        401 => "Authorization failed - please check your credentials",
        403 => "Forbidden - perhaps check your credentials?",
        404 => "The resource you are requesting could not be found",
        422 => "The request failed",
        _ => panic!("no headline for {status} in these tests"),
    }
}

/// The error item of input `index` for a Directus error answer.
pub fn error_item(index: usize, message: &str, status: u16, code: &str) -> Value {
    json!({
        "json": {"error": message},
        "pairedItem": {"item": index},
        "error": {
            "message": message,
            "description": headline(status),
            "httpCode": status.to_string(),
            "code": code,
        }
    })
}

/// Serves `body` with `content_type` on 127.0.0.1 to every request (the test kit's server); the
/// URL of the file.
pub fn serve(body: Vec<u8>, content_type: &'static str, name: &str) -> String {
    let server = noderun_testkit::Server::start(move |_| {
        noderun_testkit::Reply::status(200).body(content_type, body.clone())
    });
    format!("{}/{name}", server.url())
}

/// Lets `command`'s process take SIGINT and SIGQUIT as a process normally does, also when the
/// tests were started with them ignored (a background job of a non-interactive shell, `nohup`):
/// noderun keeps a signal it inherited as ignored ignored, and the tests that interrupt it with
/// SIGINT need it delivered.
pub fn default_signals(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only signal(2), which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        })
    }
}
