//! Helpers shared by the CLI's integration tests: running the `noderun` binary as a user would,
//! and (in [`directus`]) the real Directus server that `scripts/test` starts.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

pub mod directus;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

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
