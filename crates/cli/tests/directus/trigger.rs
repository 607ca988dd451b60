//! `noderun trigger directus` against the real Directus servers of `scripts/test`: the main one
//! (SQLite, WebSockets on: NODERUN_TEST_DIRECTUS_URL), the second (SQLite, WebSockets off:
//! NODERUN_TEST_DIRECTUS2_URL) and the PostgreSQL one (WebSockets on:
//! NODERUN_TEST_DIRECTUS_PG_URL), each followed with the WebSocket wake-up and by polling
//! (`--no-websocket`). Every test writes through Directus's REST API (or `noderun run`), waits
//! for the items and asserts them exactly (timestamps and user ids by placeholder).

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, key_probe, key_probe_settled};

const BIN: &str = env!("CARGO_BIN_EXE_noderun");

/// A Directus of the suite, as its admin (with the static token of `support::directus`).
struct Server {
    directus: Directus,
    /// The variable naming the server.
    variable: &'static str,
    url: String,
    /// The PostgreSQL server (NODERUN_TEST_DIRECTUS_PG_URL), else SQLite.
    postgres: bool,
    token: String,
    user: String,
}

/// A name of the run's own: letters, digits and `_`, `tag` first.
fn unique(tag: &str) -> String {
    support::directus::unique(&format!("{tag}_")).replace('-', "_")
}

impl Server {
    fn connect(variable: &'static str) -> Server {
        let directus = match variable {
            "NODERUN_TEST_DIRECTUS_PG_URL" => Directus::connect_postgres(),
            "NODERUN_TEST_DIRECTUS2_URL" => Directus::connect_second(),
            _ => Directus::connect(),
        };
        let user = directus.admin(Method::GET, "/users/me?fields=id", None, 200)["data"]["id"]
            .as_str()
            .expect("the admin's id")
            .to_string();
        Server {
            url: directus.url.clone(),
            postgres: variable == "NODERUN_TEST_DIRECTUS_PG_URL",
            token: directus.admin_token().to_string(),
            user,
            variable,
            directus,
        }
    }

    fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Value {
        let (status, value) = self.directus.call(method.clone(), path, token, body);
        assert!(status < 300, "{method} {path} answered {status}: {value}");
        value
    }

    /// A request as the admin.
    fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.call(method, path, Some(&self.token), body)
    }

    /// A new collection with an integer key and a `title`, deleted when the guard is dropped
    /// (the Core licence allows 25 collections per server).
    fn collection(&self, tag: &str) -> Collection<'_> {
        let name = unique(tag).to_lowercase();
        self.admin(
            Method::POST,
            "/collections",
            Some(json!({"collection": name, "schema": {}, "meta": {},
                "fields": [
                    {"field": "id", "type": "integer", "meta": {"hidden": true},
                     "schema": {"is_primary_key": true, "has_auto_increment": true}},
                    {"field": "title", "type": "string"}]})),
        );
        // Directus answers from a schema cache that a concurrent schema change (another test's
        // collection) may have filled while this collection was being made, and keeps it until
        // the next change: until the cache knows the collection (the admin's permissions, read
        // by the trigger at start, list it) and, on SQLite, its auto-increment key (see
        // support::directus::key_probe: on PostgreSQL its rolled-back row would take a key from
        // the sequence, and the inspector reads the key with its column), and the fields list
        // its key, clear the system cache
        let path = format!("/items/{name}");
        let t0 = Instant::now();
        loop {
            let (known, answer) = if self.postgres {
                let permissions = self.admin(Method::GET, "/permissions/me", None);
                (permissions["data"].get(&name).is_some(), permissions)
            } else {
                let (status, answer) =
                    self.directus
                        .call(Method::POST, &path, Some(&self.token), Some(key_probe()));
                (key_probe_settled(status, &answer), json!([status, answer]))
            };
            // the trigger finds the key in the fields, which Directus caches apart (a 403 while
            // it does not know the collection)
            let (_, fields) = self.directus.call(
                Method::GET,
                &format!("/fields/{name}"),
                Some(&self.token),
                None,
            );
            let keyed = fields["data"].as_array().is_some_and(|fields| {
                fields
                    .iter()
                    .any(|f| f["field"] == "id" && f["schema"]["is_primary_key"] == true)
            });
            if known && keyed {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "collection {name}: created, but Directus's schema cache still does not know it \
                 after 30 s: {answer}, fields {fields}"
            );
            self.admin(Method::POST, "/utils/cache/clear?system=true", None);
            std::thread::sleep(Duration::from_millis(100));
        }
        Collection { server: self, name }
    }

    fn create(&self, collection: &str, body: Value) -> Value {
        self.admin(
            Method::POST,
            &format!("/items/{collection}?fields=id"),
            Some(body),
        )["data"]
            .clone()
    }

    /// A user of a new policy that may read the activity log (when `activity`) and `readable`.
    fn reader(&self, readable: &[&str], activity: bool, app_access: bool) -> (String, String) {
        let policy = self.admin(
            Method::POST,
            "/policies?fields=id",
            Some(
                json!({"name": unique("trigger_reader"), "app_access": app_access,
                        "admin_access": false}),
            ),
        )["data"]["id"]
            .clone();
        let mut collections: Vec<&str> = readable.to_vec();
        if activity {
            collections.push("directus_activity");
        }
        for c in collections {
            self.admin(
                Method::POST,
                "/permissions",
                Some(json!({"policy": policy, "collection": c, "action": "read", "fields": ["*"]})),
            );
        }
        let token = unique("trigger_reader");
        let user = self.admin(
            Method::POST,
            "/users?fields=id",
            Some(
                json!({"email": format!("{token}@example.com"), "token": token,
                        "policies": {"create": [{"policy": policy}]}}),
            ),
        );
        (token, user["data"]["id"].as_str().unwrap().to_string())
    }
}

/// A collection of a test, deleted at its end (also when it fails).
struct Collection<'a> {
    server: &'a Server,
    name: String,
}

impl Drop for Collection<'_> {
    fn drop(&mut self) {
        let server = self.server;
        server.directus.call(
            Method::DELETE,
            &format!("/collections/{}", self.name),
            Some(&server.token),
            None,
        );
    }
}

/// A running `noderun trigger directus` and its items as they come.
struct Trigger {
    child: Child,
    lines: mpsc::Receiver<Value>,
    stderr: PathBuf,
    cursor: PathBuf,
}

/// A directory of the test's own.
fn scratch(name: &str) -> PathBuf {
    support::directus::scratch(&unique(name))
}

impl Trigger {
    /// Starts the trigger with `args` (plus `--cursor`), and waits until it has placed its
    /// cursor (it has opened the feed: what is written from now on is delivered).
    fn start(server: &Server, token: &str, dir: &std::path::Path, args: &[&str]) -> Trigger {
        let cursor = dir.join("cursor.json");
        let stderr = dir.join(format!("stderr-{}.txt", unique("run")));
        let mut child = Command::new(BIN)
            .arg("trigger")
            .arg("directus")
            .args(args)
            .arg("--cursor")
            .arg(&cursor)
            .env("DIRECTUS_URL", &server.url)
            .env("DIRECTUS_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let existed = cursor.exists();
        let t0 = Instant::now();
        let mut trigger = Trigger {
            child,
            lines,
            stderr,
            cursor,
        };
        while !existed && !trigger.cursor.exists() {
            if let Ok(Some(status)) = trigger.child.try_wait() {
                panic!(
                    "the trigger ended ({status}) before it started: {}",
                    trigger.err()
                );
            }
            assert!(
                t0.elapsed() < Duration::from_secs(180),
                "the trigger did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // the WebSocket subscribes within a moment (until then the log is polled)
        std::thread::sleep(Duration::from_millis(300));
        trigger
    }

    /// The next `n` items, within 180 s (a loaded machine).
    fn take(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(180);
        (0..n)
            .map(|i| {
                self.lines
                    .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    .unwrap_or_else(|_| {
                        panic!(
                            "item {i} of {n} did not come within 180 s; stderr: {}",
                            self.err()
                        )
                    })
            })
            .collect()
    }

    fn err(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits for the process to end; its exit code and stderr.
    fn wait(mut self) -> (i32, String, Vec<Value>) {
        let status = self.child.wait().unwrap();
        let rest: Vec<Value> = self.lines.iter().collect();
        (status.code().unwrap_or(-1), self.err(), rest)
    }

    fn stop(mut self) -> (i32, String) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc_kill(self.child.id() as i32, 15) };
        let status = self.child.wait().unwrap();
        (status.code().unwrap_or(-1), self.err())
    }
}

/// A trigger of a failed test is not left running.
impl Drop for Trigger {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

/// Items with the timestamp and known user ids replaced by placeholders.
fn scrub(items: Vec<Value>, users: &[(&str, &str)]) -> Vec<Value> {
    items
        .into_iter()
        .map(|mut item| {
            let json = &mut item["json"];
            assert!(
                json["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{json}"
            );
            json["timestamp"] = json!("<timestamp>");
            if let Some((_, name)) = users.iter().find(|(id, _)| json["user"] == json!(id)) {
                json["user"] = json!(name);
            }
            item
        })
        .collect()
}

fn item(event: &str, collection: &str, key: Value, data: Option<Value>) -> Value {
    let mut json = json!({"event": event, "collection": collection, "keys": [key]});
    if let Some(d) = data {
        json["data"] = d;
    }
    json["user"] = json!("<admin>");
    json["timestamp"] = json!("<timestamp>");
    json!({ "json": json })
}

const SERVERS: [&str; 2] = ["NODERUN_TEST_DIRECTUS_URL", "NODERUN_TEST_DIRECTUS_PG_URL"];

/// Creates (one, a batch), updates (one, several keys in one call), deletes, a CSV import and a
/// system collection (folders), each write waited for, on SQLite and PostgreSQL, woken by the
/// WebSocket and polling.
#[test]
fn creates_updates_deletes_an_import_and_a_system_collection_in_order() {
    std::thread::scope(|scope| {
        for server in SERVERS {
            for websocket in [true, false] {
                scope.spawn(move || changes_in_order(server, websocket));
            }
        }
    });
}

fn changes_in_order(server: &'static str, websocket: bool) {
    let s = Server::connect(server);
    let c_table = s.collection("trig_order");
    let c = c_table.name.clone();
    let dir = scratch("order");
    // (one of the two variants that run at once on a server follows the folders)
    let mut args = vec!["--collection", &c, "--poll-interval", "0.2"];
    if websocket {
        args.extend(["--collection", "directus_folders"]);
    } else {
        args.push("--no-websocket");
    }
    let t = Trigger::start(&s, &s.token, &dir, &args);
    let users = [(s.user.as_str(), "<admin>")];
    let take = |n| scrub(t.take(n), &users);
    let data = |id: i64, title: &str| Some(json!({"id": id, "title": title}));

    s.create(&c, json!({"title": "one"}));
    assert_eq!(take(1), vec![item("create", &c, json!(1), data(1, "one"))]);
    s.create(&c, json!([{"title": "two"}, {"title": "three"}]));
    assert_eq!(
        take(2),
        vec![
            item("create", &c, json!(2), data(2, "two")),
            item("create", &c, json!(3), data(3, "three"))
        ]
    );
    s.admin(
        Method::PATCH,
        &format!("/items/{c}/1"),
        Some(json!({"title": "uno"})),
    );
    assert_eq!(take(1), vec![item("update", &c, json!(1), data(1, "uno"))]);
    s.admin(
        Method::PATCH,
        &format!("/items/{c}"),
        Some(json!({"keys": [2, 3], "data": {"title": "many"}})),
    );
    assert_eq!(
        take(2),
        vec![
            item("update", &c, json!(2), data(2, "many")),
            item("update", &c, json!(3), data(3, "many"))
        ]
    );
    s.admin(Method::DELETE, &format!("/items/{c}"), Some(json!([2, 3])));
    assert_eq!(
        take(2),
        vec![
            item("delete", &c, json!(2), None),
            item("delete", &c, json!(3), None)
        ]
    );
    // a CSV import (Utilities → Import File Data, run by noderun itself)
    std::fs::write(dir.join("rows.csv"), "title\nfour\nfive\n").unwrap();
    let credentials = dir.join("credentials.json");
    std::fs::write(
        &credentials,
        json!({"url": s.url, "accessToken": s.token}).to_string(),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "run",
            "directus",
            "--resource",
            "utils",
            "--operation",
            "importFileData",
            "-q",
        ])
        .arg("--parameters")
        .arg(json!({"collection": c, "binaryPropertyName": "data"}).to_string())
        .arg("--credentials")
        .arg(&credentials)
        .arg("--binary-dir")
        .arg(&dir)
        .stdin(
            std::fs::File::open({
                let input = dir.join("input.ndjson");
                std::fs::write(
                    &input,
                    r#"{"json":{},"binary":{"data":{"path":"rows.csv","mimeType":"text/csv"}}}"#,
                )
                .unwrap();
                input
            })
            .unwrap(),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        take(2),
        vec![
            item("create", &c, json!(4), data(4, "four")),
            item("create", &c, json!(5), data(5, "five"))
        ]
    );
    if !websocket {
        let (code, stderr) = t.stop();
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("noderun: trigger: 10 changes delivered in "),
            "{stderr}"
        );
        return;
    }
    // a system collection: keys are uuids
    let folder = s.admin(
        Method::POST,
        "/folders?fields=id",
        Some(json!({"name": unique("f")})),
    )["data"]["id"]
        .clone();
    let got = take(1);
    assert_eq!(got[0]["json"]["event"], "create");
    assert_eq!(got[0]["json"]["collection"], "directus_folders");
    assert_eq!(got[0]["json"]["keys"], json!([folder]));
    assert_eq!(got[0]["json"]["data"]["id"], folder);
    s.admin(
        Method::DELETE,
        &format!("/folders/{}", folder.as_str().unwrap()),
        None,
    );
    assert_eq!(
        take(1),
        vec![item("delete", "directus_folders", folder, None)]
    );

    let (code, stderr) = t.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("noderun: trigger: 12 changes delivered in "),
        "{stderr}"
    );
    assert!(stderr.contains(", stopped by SIGTERM; cursor "), "{stderr}");
    assert!(!stderr.contains("no realtime WebSocket"), "{stderr}");
}

/// A token that may read one collection gets its changes, not those of a collection it may not
/// read (creates, updates, and deletes, whose keys Directus's WebSocket would send it), and the
/// changes by another user (the admin) of the one it may read.
#[test]
fn a_token_gets_only_the_changes_it_may_read() {
    std::thread::scope(|scope| {
        for server in SERVERS {
            scope.spawn(move || only_readable(server));
        }
    });
}

fn only_readable(server: &'static str) {
    let s = Server::connect(server);
    let open_table = s.collection("trig_open");
    let open = open_table.name.clone();
    let hidden_table = s.collection("trig_hidden");
    let hidden = hidden_table.name.clone();
    let (reader, reader_id) = s.reader(&[&open], true, false);
    let dir = scratch("readable");
    let t = Trigger::start(
        &s,
        &reader,
        &dir,
        &["--collection", &open, "--poll-interval", "0.2"],
    );
    let h = s.create(&hidden, json!({"title": "secret"}));
    s.admin(
        Method::PATCH,
        &format!("/items/{hidden}/{}", h["id"]),
        Some(json!({"title": "s2"})),
    );
    s.admin(
        Method::DELETE,
        &format!("/items/{hidden}/{}", h["id"]),
        None,
    );
    s.create(&open, json!({"title": "public"}));
    let users = [
        (s.user.as_str(), "<admin>"),
        (reader_id.as_str(), "<reader>"),
    ];
    assert_eq!(
        scrub(t.take(1), &users),
        vec![item(
            "create",
            &open,
            json!(1),
            Some(json!({"id": 1, "title": "public"}))
        )]
    );
    s.admin(Method::DELETE, &format!("/items/{open}/1"), None);
    assert_eq!(
        scrub(t.take(1), &users),
        vec![item("delete", &open, json!(1), None)]
    );
    // nothing else comes
    std::thread::sleep(Duration::from_millis(1500));
    assert!(t.lines.try_recv().is_err());
    let (code, stderr) = t.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains(&hidden), "{stderr}");

    // asking for the collection it may not read: an error that does not say whether it exists
    let (code, stderr, items) = Trigger::spawn_plain(&s, &reader, &["--collection", &hidden]);
    assert_eq!((code, items), (2, vec![]));
    assert_eq!(
        stderr,
        format!(
            "noderun: error: collection '{hidden}': this token may not read it, or it does not exist\n"
        )
    );
    // a token that may not read the activity log: what to grant
    let (no_log, _) = s.reader(&[&open], false, false);
    let (code, stderr, _) = Trigger::spawn_plain(&s, &no_log, &["--collection", &open]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "noderun: error: this token may not read the activity log (directus_activity), the trigger's source: grant its policy read on directus_activity (fields id, action, collection, item, user, timestamp)\n"
    );
}

impl Trigger {
    /// Runs the trigger to its end with `--until-idle 1`; exit code, stderr, items.
    fn spawn_plain(server: &Server, token: &str, args: &[&str]) -> (i32, String, Vec<Value>) {
        let out = Command::new(BIN)
            .arg("trigger")
            .arg("directus")
            .args(args)
            .args(["--until-idle", "1"])
            .env("DIRECTUS_URL", &server.url)
            .env("DIRECTUS_TOKEN", token)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let items = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            items,
        )
    }
}

/// `kill -9` while changes stream, more changes while it is down, a restart with the cursor:
/// every change exactly once, in order.
#[test]
fn kill_9_mid_stream_then_restart_delivers_every_change_once_in_order() {
    std::thread::scope(|scope| {
        scope.spawn(|| killed_and_restarted("NODERUN_TEST_DIRECTUS_URL", true));
        scope.spawn(|| killed_and_restarted("NODERUN_TEST_DIRECTUS_PG_URL", false));
    });
}

fn killed_and_restarted(server: &'static str, websocket: bool) {
    let s = Server::connect(server);
    let c_table = s.collection("trig_kill");
    let c = c_table.name.clone();
    let dir = scratch("kill");
    let mut args = vec!["--collection", c.as_str(), "--poll-interval", "0.2"];
    if !websocket {
        args.push("--no-websocket");
    }
    let mut t = Trigger::start(&s, &s.token, &dir, &args);
    const BEFORE: usize = 30;
    const DOWN: usize = 15;
    let writer = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for i in 1..=BEFORE {
                s.create(&c, json!({"title": format!("t{i}")}));
            }
        });
        let mut first = t.take(10);
        // SIGKILL while changes stream, at a moment when the trigger is not between an item's
        // write and the rename of its cursor (two consecutive system calls: a kill -9 there
        // repeats that one item, see docs/trigger.md): stopped with SIGSTOP, it is killed if
        // its cursor file is at the last item received, else let go on a moment
        let pid = t.child.id() as i32;
        loop {
            unsafe { libc_kill(pid, 19) }; // SIGSTOP
            std::thread::sleep(Duration::from_millis(100));
            first.extend(t.lines.try_iter());
            let cursor: Value =
                serde_json::from_str(&std::fs::read_to_string(&t.cursor).unwrap()).unwrap();
            let last = first.last().unwrap()["json"]["keys"][0].clone();
            let activity = s.admin(
                Method::GET,
                &format!(
                    "/activity?filter[collection][_eq]={c}&filter[item][_eq]={last}&fields=id"
                ),
                None,
            )["data"][0]["id"]
                .as_u64()
                .unwrap();
            if cursor["after"].as_u64().unwrap() >= activity {
                unsafe { libc_kill(pid, 9) };
                break;
            }
            unsafe { libc_kill(pid, 18) }; // SIGCONT
            std::thread::sleep(Duration::from_millis(37));
        }
        let _ = t.child.wait();
        writer.join().unwrap();
        first
    });
    let mut delivered = writer;
    delivered.extend(t.lines.iter());
    for i in BEFORE + 1..=BEFORE + DOWN {
        s.create(&c, json!({"title": format!("t{i}")}));
    }
    args.extend(["--until-idle", "2"]);
    let restarted = Trigger::start(&s, &s.token, &dir, &args);
    let (code, stderr, rest) = restarted.wait();
    assert_eq!(code, 0, "{stderr}");
    delivered.extend(rest);
    let users = [(s.user.as_str(), "<admin>")];
    let keys: Vec<i64> = delivered
        .iter()
        .map(|i| i["json"]["keys"][0].as_i64().unwrap())
        .collect();
    assert_eq!(keys, (1..=(BEFORE + DOWN) as i64).collect::<Vec<_>>());
    let expected: Vec<Value> = (1..=(BEFORE + DOWN) as i64)
        .map(|i| {
            item(
                "create",
                &c,
                json!(i),
                Some(json!({"id": i, "title": format!("t{i}")})),
            )
        })
        .collect();
    assert_eq!(scrub(delivered, &users), expected);
}

/// Concurrent writers: one long transaction (a batch create of 300 items) while single creates
/// commit; on PostgreSQL the singles' activity ids become visible before the batch's lower ones.
/// Every change is delivered exactly once; on PostgreSQL the late batch is delivered after
/// newer singles (its timestamps go back), which a "highest id" cursor would have skipped.
#[test]
fn concurrent_writers_every_change_exactly_once() {
    std::thread::scope(|scope| {
        for server in SERVERS {
            for websocket in [true, false] {
                scope.spawn(move || concurrent(server, websocket));
            }
        }
    });
}

fn concurrent(server: &'static str, websocket: bool) {
    let s = Server::connect(server);
    let c_table = s.collection("trig_conc");
    let c = c_table.name.clone();
    let dir = scratch("concurrent");
    let mut args = vec!["--collection", c.as_str(), "--poll-interval", "0.2"];
    if !websocket {
        args.push("--no-websocket");
    }
    let t = Trigger::start(&s, &s.token, &dir, &args);
    const BATCH: usize = 300;
    const SINGLES: usize = 20;
    std::thread::scope(|scope| {
        let batch: Vec<Value> = (0..BATCH)
            .map(|i| json!({"title": format!("b{i}")}))
            .collect();
        let c2 = c.clone();
        let s2 = Server::connect(s.variable);
        scope.spawn(move || s2.create(&c2, Value::Array(batch)));
        std::thread::sleep(Duration::from_millis(200));
        for i in 0..SINGLES {
            s.create(&c, json!({"title": format!("s{i}")}));
        }
    });
    let items = t.take(BATCH + SINGLES);
    let mut keys: Vec<i64> = items
        .iter()
        .map(|i| i["json"]["keys"][0].as_i64().unwrap())
        .collect();
    let went_back = items
        .windows(2)
        .filter(|w| w[1]["json"]["timestamp"].as_str() < w[0]["json"]["timestamp"].as_str())
        .count();
    keys.sort_unstable();
    assert_eq!(keys, (1..=(BATCH + SINGLES) as i64).collect::<Vec<_>>());
    std::thread::sleep(Duration::from_millis(1000));
    assert!(t.lines.try_recv().is_err(), "more items than changes");
    if server.ends_with("PG_URL") {
        assert!(went_back > 0, "no out-of-order commit was exercised");
    }
    let (code, stderr) = t.stop();
    assert_eq!(code, 0, "{stderr}");
}

/// Directus without WebSockets: the trigger says so and polls.
#[test]
fn without_websockets_it_polls() {
    let s = Server::connect("NODERUN_TEST_DIRECTUS2_URL");
    let c_table = s.collection("trig_poll");
    let c = c_table.name.clone();
    let dir = scratch("poll");
    let t = Trigger::start(
        &s,
        &s.token,
        &dir,
        &["--collection", &c, "--poll-interval", "0.2"],
    );
    s.create(&c, json!({"title": "p"}));
    let users = [(s.user.as_str(), "<admin>")];
    assert_eq!(
        scrub(t.take(1), &users),
        vec![item(
            "create",
            &c,
            json!(1),
            Some(json!({"id": 1, "title": "p"}))
        )]
    );
    let (code, stderr) = t.stop();
    assert_eq!(code, 0);
    assert!(
        stderr.starts_with("noderun: no realtime WebSocket (the server refused the WebSocket (HTTP 404): is WEBSOCKETS_ENABLED set?); polling every 0.2s\n"),
        "{stderr}"
    );
}
