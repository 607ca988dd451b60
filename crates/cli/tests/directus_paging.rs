//! Return All on a REAL Directus (the server `scripts/test` starts): a collection of several
//! pages, larger than the response cap the test sets, is listed page by page with every row
//! exactly once and in order; with a filter, a sort and two input items at once; a `limit`
//! without Return All is still one request.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, unique};
use support::{ndjson, noderun};

/// Rows in the test collection: two full pages of 1000 and a short one.
const ROWS: u64 = 2600;
/// Each row carries this much text, so that the whole list (~450 kB) is larger than the
/// response cap below while one page (~175 kB) is not.
const PAD: usize = 150;
const CAP: &str = "250000";

/// A collection `paging_<unique>` with an auto-increment `id`, `n` (= id) and `pad`, dropped
/// when the test ends.
struct Collection<'a> {
    directus: &'a Directus,
    name: String,
}

impl<'a> Collection<'a> {
    fn create(directus: &'a Directus) -> Collection<'a> {
        let name = format!("paging_{}", unique("").replace('-', "_"));
        directus.admin(
            Method::POST,
            "/collections",
            Some(json!({
                "collection": name, "schema": {}, "meta": {},
                "fields": [
                    {"field": "id", "type": "integer", "meta": {"hidden": true},
                     "schema": {"is_primary_key": true, "has_auto_increment": true}},
                    {"field": "n", "type": "integer", "meta": {}, "schema": {}},
                    {"field": "pad", "type": "string", "meta": {}, "schema": {}},
                ],
            })),
            200,
        );
        let collection = Collection { directus, name };
        let pad = "x".repeat(PAD);
        for start in (1..=ROWS).step_by(1000) {
            let rows: Vec<Value> = (start..=(start + 999).min(ROWS))
                .map(|n| json!({"n": n, "pad": pad}))
                .collect();
            directus.admin(
                Method::POST,
                &format!("/items/{}?fields=id", collection.name),
                Some(Value::Array(rows)),
                200,
            );
        }
        collection
    }

    /// `noderun run directus --resource items --operation list` with `parameters` (plus the
    /// collection), the admin's token, the lowered cap, `-vv` (to count the requests) and
    /// `extra`; the output items and the number of requests sent.
    fn list(&self, parameters: Value, input: &[Value], extra: &[&str]) -> (Vec<Value>, usize) {
        let mut parameters = parameters;
        parameters["collection"] = json!(self.name);
        let credentials = self.directus.admin_credentials_file("paging", "admin");
        let mut args: Vec<String> = [
            "run",
            "directus",
            "--resource",
            "items",
            "--operation",
            "list",
            "--max-response-bytes",
            CAP,
            "-vv",
            "--parameters",
        ]
        .map(String::from)
        .into();
        args.push(parameters.to_string());
        args.push("--credentials".into());
        args.push(credentials.to_str().unwrap().into());
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = noderun(&args, ndjson(input));
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

impl Drop for Collection<'_> {
    fn drop(&mut self) {
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

    // Every row exactly once, in order, in three requests.
    let (items, requests) = collection.list(json!({"returnAll": true}), &one, &[]);
    assert_eq!(numbers(&items, 0), (1..=ROWS).collect::<Vec<_>>());
    assert_eq!(requests, 3);

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

    // The user's sort is kept.
    let (items, _) = collection.list(
        json!({"returnAll": true, "additionalFields": {"sort": "-n"}}),
        &one,
        &[],
    );
    assert_eq!(numbers(&items, 0), (1..=ROWS).rev().collect::<Vec<_>>());

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
}
