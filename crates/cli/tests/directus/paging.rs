//! Return All on a REAL Directus (the server `scripts/test` starts): a collection of several
//! pages, larger than the response cap the test sets, is listed page by page with every row
//! exactly once and in order; with a filter, a sort and two input items at once; a `limit`
//! without Return All is still one request. Keyset paging (presets, sorted by their key, and
//! items of a collection with an integer key, which noderun looks up once per run, as the
//! server's log shows request by request): rows inserted and deleted while the list is read
//! are neither missed (those that existed throughout) nor repeated; an interrupted list
//! continues with `--resume` after its last entry, nothing missed or repeated. Items of a
//! collection with a UUID key or a manual sort field page by offset, in the server's order.

use crate::support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, schema_lock, scratch, unique};
use support::{Out, default_signals, ndjson, noderun, parse_lines};

/// Rows in the test collection: two full pages of 1000 and a short one.
const ROWS: u64 = 2600;
/// Each row carries this much text, so that the whole list (~450 kB) is larger than the
/// response cap below while one page (~175 kB) is not.
const PAD: usize = 150;
const CAP: &str = "250000";

/// A collection `paging_<unique>` with `n` and `pad`, dropped when the test ends: keyed by an
/// auto-increment `id` (= n), or as [`Collection::create_with`] says.
struct Collection<'a> {
    directus: &'a Directus,
    name: String,
}

impl<'a> Collection<'a> {
    fn create(directus: &'a Directus) -> Collection<'a> {
        let key = json!({"field": "id", "type": "integer", "meta": {"hidden": true},
                         "schema": {"is_primary_key": true, "has_auto_increment": true}});
        let collection = Collection::create_with(directus, key, json!({}), &[]);
        let pad = "x".repeat(PAD);
        for start in (1..=ROWS).step_by(1000) {
            let rows: Vec<Value> = (start..=(start + 999).min(ROWS))
                .map(|n| json!({"n": n, "pad": pad}))
                .collect();
            collection.insert(rows);
        }
        collection
    }

    /// An empty collection with this primary `key` field, these `meta` and `extra` fields.
    fn create_with(
        directus: &'a Directus,
        key: Value,
        meta: Value,
        extra: &[Value],
    ) -> Collection<'a> {
        let name = format!("paging_{}", unique("").replace('-', "_"));
        let mut fields = vec![
            key,
            json!({"field": "n", "type": "integer", "meta": {}, "schema": {}}),
            json!({"field": "pad", "type": "string", "meta": {}, "schema": {}}),
        ];
        fields.extend(extra.iter().cloned());
        let _schema = schema_lock();
        directus.create_collection(
            json!({"collection": name, "schema": {}, "meta": meta, "fields": fields}),
        );
        Collection { directus, name }
    }

    /// Inserts `rows`; their keys.
    fn insert(&self, rows: Vec<Value>) -> Vec<Value> {
        let made = self.directus.admin(
            Method::POST,
            &format!("/items/{}", self.name),
            Some(Value::Array(rows)),
            200,
        );
        made["data"].as_array().unwrap().to_vec()
    }

    /// The arguments of `noderun run directus --resource items --operation list` with
    /// `parameters` (plus the collection), the admin's token, the lowered cap and `extra`.
    fn args(&self, parameters: Value, extra: &[&str]) -> Vec<String> {
        let mut parameters = parameters;
        parameters["collection"] = json!(self.name);
        let extra: Vec<&str> = ["--max-response-bytes", CAP]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        list_args(self.directus, "items", parameters, &extra)
    }

    /// The reads (GET requests) of this collection the server logged so far (at least
    /// `at_least`).
    fn logged(&self, at_least: usize) -> Vec<String> {
        let (name, query) = (format!("/{}", self.name), format!("/{}?", self.name));
        self.directus.logged_requests(
            |r| r.starts_with("GET ") && (r.ends_with(&name) || r.contains(&query)),
            at_least,
        )
    }

    /// Runs [`Collection::args`] with `-vv` (to count the requests); the output items and the
    /// number of requests of the list sent.
    fn list(&self, parameters: Value, input: &[Value], extra: &[&str]) -> (Vec<Value>, usize) {
        let mut extra = extra.to_vec();
        extra.push("-vv");
        let out = noderun(&self.args(parameters, &extra), ndjson(input));
        let requests = out
            .stderr
            .lines()
            .filter(|l| {
                l.contains(&format!("/items/{}", self.name))
                    && (l.contains("response") || l.contains("request failed"))
            })
            .count();
        assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
        (out.items(), requests)
    }
}

/// The arguments of `noderun run directus --resource RESOURCE --operation list` with
/// `parameters`, the admin's token and `extra`.
fn list_args(
    directus: &Directus,
    resource: &str,
    parameters: Value,
    extra: &[&str],
) -> Vec<String> {
    let credentials = directus.admin_credentials_file("paging", "admin");
    let mut args: Vec<String> = [
        "run",
        "directus",
        "--resource",
        resource,
        "--operation",
        "list",
    ]
    .map(String::from)
    .into();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("--parameters".into());
    args.push(parameters.to_string());
    args.push("--credentials".into());
    args.push(credentials.to_str().unwrap().into());
    args
}

impl Drop for Collection<'_> {
    fn drop(&mut self) {
        let _schema = schema_lock();
        self.directus.admin(
            Method::DELETE,
            &format!("/collections/{}", self.name),
            None,
            204,
        );
    }
}

/// The `n` of each output item, checking that each is paired with `item`.
fn numbers(items: &[Value], item: u64) -> Vec<u64> {
    items
        .iter()
        .map(|o| {
            assert_eq!(o["pairedItem"], json!({"item": item}), "{o}");
            assert_eq!(o["json"]["pad"].as_str().map(str::len), Some(PAD), "{o}");
            assert_eq!(o["json"]["id"], o["json"]["n"], "{o}");
            o["json"]["n"].as_u64().unwrap()
        })
        .collect()
}

#[test]
fn return_all_pages_through_a_collection_larger_than_the_response_cap() {
    let directus = Directus::connect();
    let collection = Collection::create(&directus);
    let one = [json!({})];

    // Every row exactly once, in order, in three requests: by key (integer `id`, no manual
    // sort field), which the two requests before the first page find.
    let before = collection.logged(0).len();
    let (items, requests) = collection.list(json!({"returnAll": true}), &one, &[]);
    assert_eq!(numbers(&items, 0), (1..=ROWS).collect::<Vec<_>>());
    assert_eq!(requests, 3);
    let name = &collection.name;
    assert_eq!(
        collection.logged(before + 5)[before..],
        [
            format!("GET /fields/{name}"),
            format!("GET /collections/{name}"),
            format!("GET /items/{name}?limit=1000&offset=0&sort=id"),
            format!(
                "GET /items/{name}?limit=1000&offset=0&sort=id&filter={{\"id\":{{\"_gt\":1000}}}}"
            ),
            format!(
                "GET /items/{name}?limit=1000&offset=0&sort=id&filter={{\"id\":{{\"_gt\":2000}}}}"
            ),
        ]
    );

    // The whole list in one response is larger than the cap: it cannot be read that way.
    let (items, requests) = collection.list(
        json!({"returnAll": false, "limit": ROWS}),
        &one,
        &["--continue-on-fail"],
    );
    assert_eq!(requests, 1);
    let error = items[0]["json"]["error"].as_str().unwrap();
    assert!(
        error.contains("is larger than the limit of 250000 bytes"),
        "{error}"
    );

    // With a filter: the matching rows, in order.
    let (items, requests) = collection.list(
        json!({"returnAll": true, "additionalFields": {"filter": {"n": {"_gt": 1234}}}}),
        &one,
        &[],
    );
    assert_eq!(numbers(&items, 0), (1235..=ROWS).collect::<Vec<_>>());
    assert_eq!(requests, 2);
    let logged = collection.logged(before + 10);
    assert_eq!(
        logged[before + 6..],
        [
            format!("GET /fields/{name}"),
            format!("GET /collections/{name}"),
            format!(
                "GET /items/{name}?filter={{\"n\":{{\"_gt\":1234}}}}&limit=1000&offset=0&sort=id"
            ),
            format!(
                "GET /items/{name}?filter={{\"_and\":[{{\"n\":{{\"_gt\":1234}}}},{{\"id\":{{\"_gt\":2234}}}}]}}&limit=1000&offset=0&sort=id"
            ),
        ]
    );

    // The user's sort is kept, and the list pages by offset (nothing to look up).
    let (items, _) = collection.list(
        json!({"returnAll": true, "additionalFields": {"sort": "-n"}}),
        &one,
        &[],
    );
    assert_eq!(numbers(&items, 0), (1..=ROWS).rev().collect::<Vec<_>>());
    assert_eq!(
        collection.logged(before + 13)[before + 10..],
        [0, 1000, 2000]
            .map(|offset| format!("GET /items/{name}?sort=-n&limit=1000&offset={offset}"))
    );

    // A limit without Return All: one request, the first rows.
    let (items, requests) = collection.list(json!({"returnAll": false, "limit": 7}), &one, &[]);
    assert_eq!(numbers(&items, 0), (1..=7).collect::<Vec<_>>());
    assert_eq!(requests, 1);

    // Two input items at once: all of item 0's rows, then all of item 1's.
    let (items, requests) = collection.list(
        json!({"returnAll": true}),
        &[json!({}), json!({})],
        &["--concurrency", "2"],
    );
    assert_eq!(items.len(), 2 * ROWS as usize);
    let (first, second) = items.split_at(ROWS as usize);
    assert_eq!(numbers(first, 0), (1..=ROWS).collect::<Vec<_>>());
    assert_eq!(numbers(second, 1), (1..=ROWS).collect::<Vec<_>>());
    assert_eq!(requests, 6);
    // The key was looked up once for the run.
    let logged = collection.logged(0);
    let lookups = logged
        .iter()
        .filter(|r| r.starts_with("GET /fields/"))
        .count();
    assert_eq!(lookups, 3, "{logged:#?}");
}

/// Presets (bookmarks) of this test, tagged by their name: a system collection with an
/// auto-increment key; deleted when the test ends.
struct Presets<'a> {
    directus: &'a Directus,
    tag: String,
    /// The presets made, by key.
    keys: Vec<u64>,
}

impl<'a> Presets<'a> {
    fn create(directus: &'a Directus, count: usize) -> Presets<'a> {
        let mut presets = Presets {
            directus,
            tag: unique("keyset-"),
            keys: Vec::new(),
        };
        for start in (0..count).step_by(500) {
            let batch: Vec<Value> = (start..(start + 500).min(count))
                .map(|i| presets.preset(&i.to_string()))
                .collect();
            let made = directus.admin(
                Method::POST,
                "/presets?fields=id",
                Some(Value::Array(batch)),
                200,
            );
            presets.keys.extend(
                made["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["id"].as_u64().unwrap()),
            );
        }
        presets
    }

    /// A preset of this test named `name`.
    fn preset(&self, name: &str) -> Value {
        json!({"bookmark": format!("{} {name}", self.tag), "collection": "directus_users"})
    }

    /// The arguments of `noderun run` listing this test's presets (Presets → List with Return
    /// All, the tag as the user's filter), pages of 20.
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let parameters = json!({"returnAll": true, "additionalFields": {
            "filter": {"bookmark": {"_starts_with": self.tag}}, "fields": "id,bookmark"}});
        let extra: Vec<&str> = ["--page-size", "20"]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        list_args(self.directus, "presets", parameters, &extra)
    }
}

impl Drop for Presets<'_> {
    fn drop(&mut self) {
        let made = self.directus.admin(
            Method::GET,
            &format!(
                "/presets?limit=-1&fields=id&filter[bookmark][_starts_with]={}",
                self.tag
            ),
            None,
            200,
        );
        let keys: Vec<Value> = made["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].clone())
            .collect();
        if !keys.is_empty() {
            self.directus
                .admin(Method::DELETE, "/presets", Some(Value::Array(keys)), 204);
        }
    }
}

/// The `id` of each output item, checking that each is paired with item 0.
fn keys_of(items: &[Value]) -> Vec<u64> {
    items
        .iter()
        .map(|o| {
            assert_eq!(o["pairedItem"], json!({"item": 0}), "{o}");
            o["json"]["id"].as_u64().unwrap()
        })
        .collect()
}

/// The rows deleted and inserted while a list was read, and how many changes (a deletion and
/// an insertion) fell while it ran.
struct Changes {
    deleted: BTreeSet<u64>,
    inserted: BTreeSet<u64>,
    during: usize,
}

/// Runs `list` while another thread deletes every 10th of `keys`, the first ones first (behind
/// and ahead of the reader: with offsets, each would shift the rest back by one), and inserts a
/// new row after each deletion (`delete`, `insert` giving the new key).
fn while_changing(
    keys: &[u64],
    delete: impl Fn(&Directus, u64) + Sync,
    insert: impl Fn(&Directus) -> u64 + Sync,
    list: impl FnOnce() -> Out,
) -> (Out, Changes) {
    let running = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let changer = scope.spawn(|| {
            let directus = Directus::connect();
            let (mut deleted, mut inserted, mut during) = (BTreeSet::new(), BTreeSet::new(), 0);
            for key in keys.iter().step_by(10) {
                if !running.load(Ordering::SeqCst) {
                    break;
                }
                delete(&directus, *key);
                deleted.insert(*key);
                inserted.insert(insert(&directus));
                if running.load(Ordering::SeqCst) {
                    during += 1;
                }
            }
            Changes {
                deleted,
                inserted,
                during,
            }
        });
        let out = list();
        running.store(false, Ordering::SeqCst);
        (out, changer.join().unwrap())
    })
}

/// A list read by key while `changes` happened: in key order, nothing repeated, every row of
/// `originals` that existed throughout listed, any other row listed is an inserted one.
fn assert_neither_missed_nor_repeated(listed: &[u64], originals: &[u64], changes: &Changes) {
    let originals: BTreeSet<u64> = originals.iter().copied().collect();
    let Changes {
        deleted, inserted, ..
    } = changes;
    let unique: BTreeSet<u64> = listed.iter().copied().collect();
    assert_eq!(unique.len(), listed.len(), "a row was listed twice");
    let mut sorted = listed.to_vec();
    sorted.sort_unstable();
    assert_eq!(listed, sorted);
    // Every row that existed throughout is there; the others are deleted or inserted ones.
    let throughout: BTreeSet<u64> = originals.difference(deleted).copied().collect();
    let missed: Vec<&u64> = throughout.difference(&unique).collect();
    assert!(
        missed.is_empty(),
        "rows that existed throughout were missed: {missed:?}"
    );
    assert!(
        unique
            .iter()
            .all(|k| originals.contains(k) || inserted.contains(k))
    );
}

#[test]
fn keyset_paging_neither_misses_nor_repeats_rows_changed_during_the_list() {
    let directus = Directus::connect();
    let presets = Presets::create(&directus, 2000);
    let (out, changes) = while_changing(
        &presets.keys,
        |directus, key| {
            directus.admin(Method::DELETE, &format!("/presets/{key}"), None, 204);
        },
        |directus| {
            let made = directus.admin(
                Method::POST,
                "/presets?fields=id",
                Some(presets.preset("inserted")),
                200,
            );
            made["data"]["id"].as_u64().unwrap()
        },
        || noderun(&presets.args(&["-vv"]), ndjson(&[json!({})])),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let requests = out
        .stderr
        .lines()
        .filter(|l| l.contains("/presets") && l.contains("response"))
        .count();
    // The changes happened while the pages were read, which were read by key.
    assert!(
        changes.during >= 2,
        "only {} changes during the list",
        changes.during
    );
    assert!(requests >= 90, "{requests} requests");
    assert_neither_missed_nor_repeated(&keys_of(&out.items()), &presets.keys, &changes);
}

#[test]
fn items_of_a_collection_with_an_integer_key_page_by_key_while_rows_change() {
    let directus = Directus::connect();
    let collection = Collection::create(&directus);
    let keys: Vec<u64> = (1..=ROWS).collect();
    let name = &collection.name;
    let (out, changes) = while_changing(
        &keys,
        |directus, key| {
            directus.admin(Method::DELETE, &format!("/items/{name}/{key}"), None, 204);
        },
        |directus| {
            let made = directus.admin(
                Method::POST,
                &format!("/items/{name}?fields=id"),
                Some(json!({"n": 0, "pad": "inserted"})),
                200,
            );
            made["data"]["id"].as_u64().unwrap()
        },
        || {
            let args = collection.args(json!({"returnAll": true}), &["--page-size", "20"]);
            noderun(&args, ndjson(&[json!({})]))
        },
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        changes.during >= 2,
        "only {} changes during the list",
        changes.during
    );
    // Read by key: after the lookup, every page but the first asks for the rows after a key.
    let logged = collection.logged(0);
    let pages: Vec<&String> = logged
        .iter()
        .filter(|r| r.starts_with(&format!("GET /items/{name}?")))
        .collect();
    assert!(pages.len() >= 120, "{} pages", pages.len());
    assert_eq!(
        *pages[0],
        format!("GET /items/{name}?limit=20&offset=0&sort=id")
    );
    assert!(
        pages[1..].iter().all(|r| r.starts_with(&format!(
            "GET /items/{name}?limit=20&offset=0&sort=id&filter={{\"id\":{{\"_gt\":"
        ))),
        "{pages:#?}"
    );
    assert_neither_missed_nor_repeated(&keys_of(&out.items()), &keys, &changes);
}

#[test]
fn items_of_a_collection_with_a_uuid_key_or_a_manual_sort_page_by_offset() {
    let directus = Directus::connect();
    let uuid_key = json!({"field": "id", "type": "uuid", "meta": {"special": ["uuid"]},
                          "schema": {"is_primary_key": true, "length": 36}});
    let integer_key = json!({"field": "id", "type": "integer", "meta": {},
                             "schema": {"is_primary_key": true, "has_auto_increment": true}});
    let sort = json!({"field": "sort", "type": "integer", "meta": {"hidden": true}, "schema": {}});
    for (key, meta, extra) in [
        (uuid_key, json!({}), vec![]),
        (integer_key, json!({"sort_field": "sort"}), vec![sort]),
    ] {
        let collection = Collection::create_with(&directus, key, meta, &extra);
        // 45 rows; with a manual sort field, in the reverse order of their keys.
        let rows = (1..=45u64)
            .map(|n| json!({"n": n, "pad": "p", "sort": 100 - n}))
            .map(|mut row| {
                if extra.is_empty() {
                    row.as_object_mut().unwrap().remove("sort");
                }
                row
            })
            .collect();
        collection.insert(rows);
        let name = &collection.name;
        // Today's order: the server's, as one request without a limit gives it.
        let all = directus.admin(Method::GET, &format!("/items/{name}?limit=-1"), None, 200);
        let expected: Vec<Value> = all["data"].as_array().unwrap().clone();
        let before = collection.logged(1).len();
        let args = collection.args(json!({"returnAll": true}), &["--page-size", "20"]);
        let out = noderun(&args, ndjson(&[json!({})]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let listed: Vec<Value> = out.items().iter().map(|o| o["json"].clone()).collect();
        assert_eq!(listed, expected);
        assert_eq!(
            collection.logged(before + 5)[before..],
            [
                format!("GET /fields/{name}"),
                format!("GET /collections/{name}"),
                format!("GET /items/{name}?limit=20&offset=0"),
                format!("GET /items/{name}?limit=20&offset=20"),
                format!("GET /items/{name}?limit=20&offset=40"),
            ]
        );
    }
}

/// Runs `args` (which write to `output` and resume from it) until two pages of `page` entries
/// are written, interrupts it (SIGINT; `--grace 0`), checks that it wrote whole pages and fewer
/// than `total` entries, and runs it again: the second run continues the list (the summary
/// counts the item as succeeded, not done earlier). Everything `output` holds in the end.
fn interrupt_and_resume(
    args: &[String],
    output: &std::path::Path,
    page: usize,
    total: usize,
) -> Vec<Value> {
    let mut child = default_signals(&mut Command::new(env!("CARGO_BIN_EXE_noderun")))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"{}\n").unwrap();
    }
    // Interrupted once two pages are written.
    let started = Instant::now();
    while std::fs::read_to_string(output).map_or(0, |t| t.lines().count()) < 2 * page {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no pages written"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill(2) on the pid of a child we started and have not reaped yet.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let first = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(130), "{stderr}");
    let written = parse_lines(&std::fs::read_to_string(output).unwrap()).len();
    assert!(
        written < total && written.is_multiple_of(page),
        "{written} entries after the interruption: {stderr}"
    );

    let again = noderun(args, "{}\n");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("noderun: 1 item: 0 done earlier, 1 succeeded, 0 failed, 0 not run"),
        "{}",
        again.stderr
    );
    parse_lines(&std::fs::read_to_string(output).unwrap())
}

#[test]
fn resume_continues_an_interrupted_list_after_its_last_entry() {
    let directus = Directus::connect();
    let presets = Presets::create(&directus, 1000);
    let output = scratch("paging").join(format!("{}.ndjson", unique("resume-")));
    let output_arg = output.to_str().unwrap();
    let args = presets.args(&[
        "--output", output_arg, "--resume", output_arg, "--grace", "0",
    ]);
    let listed = keys_of(&interrupt_and_resume(&args, &output, 20, 1000));
    let mut expected = presets.keys.clone();
    expected.sort_unstable();
    assert_eq!(listed, expected, "every preset once, in key order");
}

#[test]
fn resume_continues_an_interrupted_items_list_after_its_last_key() {
    let directus = Directus::connect();
    let collection = Collection::create(&directus);
    let output = scratch("paging").join(format!("{}.ndjson", unique("resume-items-")));
    let output_arg = output.to_str().unwrap();
    let args = collection.args(
        json!({"returnAll": true}),
        &[
            "--page-size",
            "20",
            "--output",
            output_arg,
            "--resume",
            output_arg,
            "--grace",
            "0",
        ],
    );
    let listed = interrupt_and_resume(&args, &output, 20, ROWS as usize);
    assert_eq!(
        numbers(&listed, 0),
        (1..=ROWS).collect::<Vec<_>>(),
        "every row once, in key order"
    );
    // The second run looked the key up again and asked for the rows after the last one written.
    let name = &collection.name;
    let logged = collection.logged(0);
    let lookups: Vec<usize> = (0..logged.len())
        .filter(|&at| logged[at] == format!("GET /fields/{name}"))
        .collect();
    assert_eq!(lookups.len(), 2, "{logged:#?}");
    let resumed = &logged[lookups[1]..];
    assert_eq!(resumed[1], format!("GET /collections/{name}"));
    let after = format!("GET /items/{name}?limit=20&offset=0&sort=id&filter={{\"id\":{{\"_gt\":");
    let last: u64 = resumed[2]
        .strip_prefix(&after)
        .and_then(|rest| rest.strip_suffix("}}"))
        .and_then(|key| key.parse().ok())
        .unwrap_or_else(|| panic!("{logged:#?}"));
    // The key of the last row the first run wrote: whole pages, at least two.
    assert!(
        (40..ROWS).contains(&last) && last.is_multiple_of(20),
        "{last}"
    );
}
