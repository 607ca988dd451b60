//! Interrupted runs lose nothing: the `noderun` binary against a slow local server that records
//! which requests it received and answered, stopped by real signals (SIGINT, SIGTERM, a second
//! signal), writing into a pipe that closes (`| head -1`) and onto a full disk (`/dev/full`),
//! resumed with `--resume`; and outputs that reach the reader while the run goes on.
//!
//! Every item is a refresh of `t<i>`; the server answers item `i` after the delay the case gives
//! it. Each case asserts the exact stdout, stderr (the wall time masked) and exit code, and that
//! every item whose request the server answered has its output, or is listed as not delivered.

use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use noderun_testkit::{Reply, Request};
use serde_json::json;
use support::default_signals;

/// What the server saw, per item: requests received and answered.
#[derive(Default)]
struct Log {
    received: BTreeMap<usize, usize>,
    answered: BTreeMap<usize, usize>,
}

impl Log {
    fn of(log: &noderun_testkit::Log) -> Log {
        let mut items = Log::default();
        for request in &log.received {
            *items.received.entry(item(request).0).or_default() += 1;
        }
        for &number in &log.answered {
            *items
                .answered
                .entry(item(&log.received[number]).0)
                .or_default() += 1;
        }
        items
    }
}

/// The item of a request and whether it succeeds: its refresh token is `t<i>` (succeeds) or
/// `f<i>` (fails).
fn item(request: &Request) -> (usize, bool) {
    let body = request.json();
    let token = body["refresh_token"].as_str().expect("a token");
    let index = token[1..].parse().expect("t<i> or f<i>");
    (index, token.starts_with('t'))
}

/// The test kit's scriptable server, answering refreshes.
struct Server {
    url: String,
    kit: noderun_testkit::Server,
}

impl Server {
    /// A server answering item `i` after `delay(i)`: `t<i>` with its tokens, `f<i>` with a
    /// Directus error.
    fn start(delay: impl Fn(usize) -> Duration + Send + Sync + 'static) -> Server {
        let kit = noderun_testkit::Server::start(move |request| {
            let (index, succeeds) = item(request);
            let reply = if succeeds {
                Reply::json(
                    200,
                    &json!({"data": {"access_token": format!("a{index}"),
                                     "refresh_token": format!("r{index}"), "expires": 900000}}),
                )
            } else {
                Reply::json(
                    500,
                    &json!({"errors": [{"message": "boom",
                                        "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}),
                )
            };
            reply.after(delay(index))
        });
        Server {
            url: kit.url().to_string(),
            kit,
        }
    }

    /// Waits (at most 10 s) until `done` holds for the log.
    fn wait_for(&self, what: &str, done: impl Fn(&Log) -> bool) {
        self.kit.wait_for(what, |log| done(&Log::of(log)));
    }

    fn wait_received(&self, items: &[usize]) {
        self.wait_for(&format!("requests for items {items:?}"), |log| {
            items.iter().all(|i| log.received.contains_key(i))
        });
    }

    fn received(&self) -> BTreeMap<usize, usize> {
        Log::of(&self.kit.log()).received
    }

    fn answered(&self) -> Vec<usize> {
        Log::of(&self.kit.log()).answered.into_keys().collect()
    }
}

/// The output line of item `i`.
fn output(i: usize) -> String {
    format!(
        r#"{{"json":{{"access_token":"a{i}","refresh_token":"r{i}","expires":900000}},"pairedItem":{{"item":{i}}}}}"#
    ) + "\n"
}

fn outputs(items: impl IntoIterator<Item = usize>) -> String {
    items.into_iter().map(output).collect()
}

/// The error output line of item `i` (a token `f<i>`).
fn error_output(i: usize) -> String {
    let message = "boom (HTTP 500, INTERNAL_SERVER_ERROR)";
    format!(
        r#"{{"json":{{"error":"{message}"}},"pairedItem":{{"item":{i}}},"error":{{"message":"{message}","description":"The service was not able to process your request","httpCode":"500","code":"INTERNAL_SERVER_ERROR"}}}}"#
    ) + "\n"
}

/// A fresh directory with `items.ndjson` holding `n` items `{"rt": "t<i>"}`.
fn workdir(name: &str, n: usize) -> PathBuf {
    workdir_failing(name, n, &[])
}

/// The same, with `{"rt": "f<i>"}` (an item the server fails) at the indices `failing`.
fn workdir_failing(name: &str, n: usize, failing: &[usize]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("noderun-interrupt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let items: String = (0..n)
        .map(|i| {
            let kind = if failing.contains(&i) { 'f' } else { 't' };
            format!("{{\"rt\":\"{kind}{i}\"}}\n")
        })
        .collect();
    std::fs::write(dir.join("items.ndjson"), items).expect("input");
    dir
}

/// `noderun run` refreshing the items of `dir` against `server`, with `extra` arguments.
fn command(server: &Server, dir: &Path, extra: &[&str]) -> Command {
    let mut command = refresh(server);
    command
        .arg("--input")
        .arg(dir.join("items.ndjson"))
        .args(extra);
    command
}

/// `noderun run` refreshing the items of its stdin against `server`.
fn refresh(server: &Server) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_noderun"));
    default_signals(&mut command)
        .args([
            "run",
            "directus",
            "--resource",
            "auth",
            "--operation",
            "refreshToken",
        ])
        .args(["--parameters", r#"{"refreshToken":"={{ $json.rt }}"}"#])
        .env("DIRECTUS_URL", &server.url)
        .env_remove("DIRECTUS_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Exit code, stdout and stderr lines (the wall time masked as `Ts`).
fn finish(child: Child) -> (i32, String, Vec<String>) {
    let out = child.wait_with_output().expect("noderun runs");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines = stderr
        .lines()
        .map(|l| match l.rfind(" in ") {
            Some(at) if l.ends_with('s') && l[at + 4..l.len() - 1].parse::<f64>().is_ok() => {
                format!("{} in Ts", &l[..at])
            }
            _ => l.to_string(),
        })
        .collect();
    (
        out.status.code().expect("an exit code"),
        String::from_utf8(out.stdout).expect("UTF-8"),
        lines,
    )
}

fn kill(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on the pid of a child we started and have not reaped yet.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

/// Items 0-4 answer at once, 5-7 after `slow` (6 after 100 ms when `six_quick`), 8-9 at once.
fn slow_middle(slow: Duration, six_quick: bool) -> Server {
    Server::start(move |i| match i {
        6 if six_quick => Duration::from_millis(100),
        5..=7 => slow,
        _ => Duration::ZERO,
    })
}

#[test]
fn sigint_lets_the_items_in_flight_finish_and_starts_no_other() {
    let server = slow_middle(Duration::from_millis(800), false);
    let dir = workdir("sigint", 10);
    let child = command(&server, &dir, &["--concurrency", "3"])
        .spawn()
        .expect("starts");
    server.wait_received(&[5, 6, 7]);
    kill(&child, libc::SIGINT);
    let (code, stdout, stderr) = finish(child);
    assert_eq!(stdout, outputs(0..8));
    assert_eq!(
        stderr,
        [
            "noderun: SIGINT: stopping: no new item starts, the items in flight get 5s to finish (SIGINT again to abort them)",
            "noderun: 10 items: 8 succeeded, 0 failed, 2 not run in Ts",
            "noderun: stopped by SIGINT",
        ]
    );
    assert_eq!(code, 130);
    assert_eq!(server.answered(), (0..8).collect::<Vec<_>>());
}

#[test]
fn sigterm_aborts_what_is_still_in_flight_after_the_grace_period() {
    // 5 and 7 never answer in time; 6 answers, after 5 was sent: its output is still written.
    let server = slow_middle(Duration::from_secs(20), true);
    let dir = workdir("sigterm", 10);
    let child = command(&server, &dir, &["--concurrency", "3", "--grace", "0.5"])
        .spawn()
        .expect("starts");
    server.wait_for("the answer to item 6", |log| {
        log.answered.contains_key(&6) && log.received.contains_key(&7)
    });
    let signalled = Instant::now();
    kill(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child);
    assert!(signalled.elapsed() < Duration::from_secs(5));
    assert_eq!(stdout, outputs([0, 1, 2, 3, 4, 6]));
    assert_eq!(
        stderr,
        [
            "noderun: SIGTERM: stopping: no new item starts, the items in flight get 0.5s to finish (SIGTERM again to abort them)",
            "noderun: 10 items: 6 succeeded, 0 failed, 2 interrupted, 2 not run in Ts",
            "noderun: stopped by SIGTERM",
            "noderun: interrupted: items 5, 7 were sent, their outcome is unknown (no output)",
        ]
    );
    assert_eq!(code, 143);
    assert_eq!(server.answered(), [0, 1, 2, 3, 4, 6]);
}

#[test]
fn a_second_signal_skips_the_grace_period_and_still_writes_what_is_complete() {
    let server = slow_middle(Duration::from_secs(20), true);
    let dir = workdir("twice", 10);
    let child = command(&server, &dir, &["--concurrency", "3", "--grace", "60"])
        .spawn()
        .expect("starts");
    server.wait_for("the answer to item 6", |log| {
        log.answered.contains_key(&6) && log.received.contains_key(&7)
    });
    let signalled = Instant::now();
    kill(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    kill(&child, libc::SIGINT);
    let (code, stdout, stderr) = finish(child);
    assert!(signalled.elapsed() < Duration::from_secs(5));
    assert_eq!(stdout, outputs([0, 1, 2, 3, 4, 6]));
    assert_eq!(
        stderr,
        [
            "noderun: SIGINT: stopping: no new item starts, the items in flight get 60s to finish (SIGINT again to abort them)",
            "noderun: SIGINT: aborting the items in flight",
            "noderun: 10 items: 6 succeeded, 0 failed, 2 interrupted, 2 not run in Ts",
            "noderun: stopped by SIGINT",
            "noderun: interrupted: items 5, 7 were sent, their outcome is unknown (no output)",
        ]
    );
    assert_eq!(code, 130);
}

#[test]
fn a_signal_writes_both_outputs_of_everything_that_completed() {
    let server = Server::start(|i| Duration::from_millis(if i == 4 { 800 } else { 0 }));
    let dir = workdir_failing("both", 6, &[1, 3]);
    let errors = dir.join("errors.ndjson");
    let child = command(
        &server,
        &dir,
        &[
            "--on-error",
            "continueErrorOutput",
            "--error-output",
            errors.to_str().unwrap(),
        ],
    )
    .spawn()
    .expect("starts");
    server.wait_received(&[4]);
    kill(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child);
    assert_eq!(stdout, outputs([0, 2, 4]));
    assert_eq!(
        std::fs::read_to_string(&errors).unwrap(),
        error_output(1) + &error_output(3)
    );
    assert_eq!(
        stderr[1..],
        [
            "noderun: 6 items: 3 succeeded, 2 failed, 1 not run in Ts",
            "noderun: stopped by SIGTERM",
        ]
    );
    assert_eq!(code, 143);
    assert_eq!(server.answered(), [0, 1, 2, 3, 4]);
}

#[test]
fn a_closed_pipe_stops_the_run_and_names_the_items_whose_outputs_were_lost() {
    let server = Server::start(|_| Duration::from_millis(200));
    let dir = workdir("head", 10);
    let mut head = Command::new("head")
        .arg("-1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("head starts");
    let pipe = head.stdin.take().expect("head's stdin");
    let child = command(&server, &dir, &[])
        .stdout(Stdio::from(pipe))
        .spawn()
        .expect("starts");
    let (code, _, stderr) = finish(child);
    let head = head.wait_with_output().expect("head ends");
    assert_eq!(String::from_utf8(head.stdout).unwrap(), output(0));
    // Item 1's output met the closed pipe; item 2 was in flight by then and finished.
    assert_eq!(
        stderr,
        [
            "noderun: 10 items: 3 succeeded, 0 failed, 7 not run in Ts",
            "noderun: error: cannot write to stdout: Broken pipe (os error 32)",
            "noderun: not delivered: the outputs of items that succeeded (their requests took effect): 1-2",
        ]
    );
    assert_eq!(code, 3);
    assert_eq!(server.answered(), [0, 1, 2]);
}

#[test]
fn a_full_disk_stops_the_run_and_names_the_items_whose_outputs_were_lost() {
    let server = Server::start(|_| Duration::ZERO);
    let dir = workdir("full", 3);
    let child = command(&server, &dir, &["--output", "/dev/full"])
        .spawn()
        .expect("starts");
    let (code, stdout, stderr) = finish(child);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        [
            "noderun: 3 items: 2 succeeded, 0 failed, 1 not run in Ts",
            "noderun: error: cannot write to /dev/full: No space left on device (os error 28)",
            "noderun: not delivered: the outputs of items that succeeded (their requests took effect): 0-1",
        ]
    );
    assert_eq!(code, 3);
    assert_eq!(server.answered(), [0, 1]);
}

#[test]
fn outputs_reach_the_reader_while_later_items_are_still_running() {
    let server = Server::start(|i| Duration::from_secs(if i == 1 { 3 } else { 0 }));
    let dir = workdir("flow", 2);
    let mut child = command(&server, &dir, &[]).spawn().expect("starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a line");
    assert_eq!(first, output(0));
    assert!(
        !server.answered().contains(&1),
        "item 0's output arrived while item 1 was still waiting for its answer"
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("the rest");
    assert_eq!(rest, output(1));
    let (code, _, stderr) = finish(child);
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        ["noderun: 2 items: 2 succeeded, 0 failed, 0 not run in Ts"]
    );
}

#[test]
fn resume_skips_the_items_an_interrupted_run_wrote_and_appends_the_rest() {
    let server = slow_middle(Duration::from_millis(800), false);
    let dir = workdir("resume", 10);
    let out = dir.join("out.ndjson");
    let out_arg = out.to_str().unwrap();
    let args = [
        "--concurrency",
        "3",
        "--output",
        out_arg,
        "--resume",
        out_arg,
    ];
    let child = command(&server, &dir, &args).spawn().expect("starts");
    server.wait_received(&[5, 6, 7]);
    kill(&child, libc::SIGINT);
    let (code, _, stderr) = finish(child);
    assert_eq!(code, 130);
    assert_eq!(
        stderr[1],
        "noderun: 10 items: 0 done earlier, 8 succeeded, 0 failed, 2 not run in Ts"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), outputs(0..8));

    // The same command again: only items 8 and 9 run.
    let (code, stdout, stderr) = finish(command(&server, &dir, &args).spawn().expect("starts"));
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(
        stderr,
        ["noderun: 10 items: 8 done earlier, 2 succeeded, 0 failed, 0 not run in Ts"]
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), outputs(0..10));
    assert_eq!(server.received(), (0..10).map(|i| (i, 1)).collect());
}

#[test]
fn resume_through_stdout_needs_an_appending_redirection() {
    let server = Server::start(|_| Duration::ZERO);
    let dir = workdir("redirect", 4);
    let out = dir.join("out.ndjson");
    let shell = |redirect: &str| {
        std::fs::write(&out, outputs(0..2)).unwrap();
        let noderun = format!(
            "'{}' run directus --resource auth --operation refreshToken --parameters '{{\"refreshToken\":\"={{{{ $json.rt }}}}\"}}' --input '{}' --resume '{}' {redirect} '{}'",
            env!("CARGO_BIN_EXE_noderun"),
            dir.join("items.ndjson").display(),
            out.display(),
            out.display(),
        );
        let mut sh = Command::new("sh");
        sh.args(["-c", &noderun])
            .env("DIRECTUS_URL", &server.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        finish(sh.spawn().expect("sh starts"))
    };
    let (code, _, stderr) = shell(">");
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        [format!(
            "noderun: error: --resume {0} reads the file stdout replaces (the shell emptied it already): write with >> {0} or --output {0}",
            out.display()
        )]
    );
    let (code, _, stderr) = shell(">>");
    assert_eq!(code, 0, "{stderr:?}");
    assert_eq!(
        stderr,
        ["noderun: 4 items: 2 done earlier, 2 succeeded, 0 failed, 0 not run in Ts"]
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), outputs(0..4));
    assert_eq!(server.received(), [(2, 1), (3, 1)].into());
}

#[test]
fn a_grace_period_that_is_not_a_duration_is_a_usage_error() {
    let server = Server::start(|_| Duration::ZERO);
    let dir = workdir("grace", 1);
    for grace in ["-1", "NaN", "1e30"] {
        let (code, stdout, stderr) = finish(
            command(&server, &dir, &[&format!("--grace={grace}")])
                .spawn()
                .expect("starts"),
        );
        assert_eq!((code, stdout.as_str()), (2, ""));
        assert_eq!(
            stderr,
            ["noderun: error: --grace must be a number of seconds, 0 or more"]
        );
    }
    assert!(server.received().is_empty());
}

#[test]
fn a_producer_that_went_quiet_does_not_keep_a_stopped_run_alive() {
    let server = Server::start(|_| Duration::ZERO);
    let mut child = refresh(&server)
        .args(["--grace", "0.3"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("starts");
    // Two items, then nothing, and stdin stays open.
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"{\"rt\":\"t0\"}\n{\"rt\":\"t1\"}\n")
        .expect("written");
    server.wait_received(&[0, 1]);
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    kill(&child, libc::SIGTERM);
    let (code, stdout, stderr) = finish(child);
    assert!(signalled.elapsed() < Duration::from_secs(5));
    drop(stdin);
    assert_eq!(stdout, outputs(0..2));
    assert_eq!(
        stderr[1..],
        [
            "noderun: 2 items: 2 succeeded, 0 failed, 0 not run (and the unread rest of the input) in Ts",
            "noderun: stopped by SIGTERM",
        ]
    );
    assert_eq!(code, 143);
}
