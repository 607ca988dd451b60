//! Every resource of the Directus node against a REAL Directus 12.4: the `noderun` binary run as
//! a user runs it, one `noderun run` per workflow step, each step's output piped into the next
//! and ids taken from it by expression (`={{ $json.id }}`), with the parameter names and value
//! shapes of the community node (`/work/shared/reference/community-node-operations.md`): that is
//! the contract a saved workflow holds us to.
//!
//! The server is the one `scripts/test` starts (NODERUN_TEST_DIRECTUS_URL and friends); without
//! it every test here fails and says so. Each test makes its own tables, users, roles, folders,
//! presets and policy with unique names (`support::directus::identifier`), so the tests run in
//! parallel and again on the same server, and drops them at the end (also on failure).
//!
//! Outputs are asserted exactly. Only values that differ on every run are normalized, and only
//! where they occur: UUID keys become `"<uuid>"` and server timestamps `"<timestamp>"`
//! ([`normalized`]); where an id matters, the test checks it against the id the previous step
//! gave. Integer keys are exact: each table is new, so its ids start at 1.

use crate::support;

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, identifier, unique_email};
use support::{Out, ndjson, noderun};

// ---------------------------------------------------------------------------------------------
// Running the node

/// The node as one test uses it: the admin's static token in a credentials file.
struct Node {
    credentials: PathBuf,
}

impl Node {
    fn new(directus: &Directus, test: &str) -> Node {
        directus.prepare_tables(&TABLES);
        Node {
            credentials: directus.admin_credentials_file(test, "admin"),
        }
    }

    /// `noderun run directus --resource R --operation O --parameters P --credentials C -q`, fed
    /// `input` (NDJSON, typically the previous step's output).
    fn run(&self, resource: &str, operation: &str, parameters: &Value, input: &str) -> Out {
        self.run_with(resource, operation, parameters, input, &[])
    }

    /// [`Node::run`] with more flags.
    fn run_with(
        &self,
        resource: &str,
        operation: &str,
        parameters: &Value,
        input: &str,
        flags: &[&str],
    ) -> Out {
        let credentials = self.credentials.to_str().expect("a UTF-8 path");
        let parameters = parameters.to_string();
        let mut args = vec![
            "run",
            "directus",
            "--resource",
            resource,
            "--operation",
            operation,
            "--parameters",
            &parameters,
            "--credentials",
            credentials,
            "-q",
        ];
        args.extend_from_slice(flags);
        noderun(&args, input)
    }

    /// A step that must succeed (exit 0, nothing on stderr); its output.
    fn ok(&self, resource: &str, operation: &str, parameters: &Value, input: &str) -> Out {
        let out = self.run(resource, operation, parameters, input);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, ""),
            "{resource} {operation} {parameters}: {}",
            out.stdout
        );
        out
    }
}

/// One input item (NDJSON).
fn input(json: Value) -> String {
    ndjson(&[json])
}

/// The output items of input `index`: `{"json": j, "pairedItem": {"item": index}}` for each j.
fn paired(index: usize, jsons: impl IntoIterator<Item = Value>) -> Vec<Value> {
    jsons
        .into_iter()
        .map(|json| json!({"json": json, "pairedItem": {"item": index}}))
        .collect()
}

/// The output of each input item in turn (one output item per input).
fn each(jsons: impl IntoIterator<Item = Value>) -> Vec<Value> {
    jsons
        .into_iter()
        .enumerate()
        .map(|(index, json)| json!({"json": json, "pairedItem": {"item": index}}))
        .collect()
}

fn success(index: usize) -> Vec<Value> {
    paired(index, [json!({"success": true})])
}

/// The `json` of every output item.
fn jsons(out: &Out) -> Vec<Value> {
    out.items().into_iter().map(|i| i["json"].clone()).collect()
}

/// `value` with the values that differ on every run replaced: strings shaped like a UUID
/// become `"<uuid>"`, ISO 8601 timestamps `"<timestamp>"`. Nothing else is touched.
fn normalized(value: &Value) -> Value {
    match value {
        Value::String(s) if is_uuid(s) => json!("<uuid>"),
        Value::String(s) if is_timestamp(s) => json!("<timestamp>"),
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), normalized(v))).collect())
        }
        other => other.clone(),
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DDTHH:MM:SS…`
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b.iter().enumerate().take(19).all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// The `key` of every output item's json, in order.
fn column(out: &Out, key: &str) -> Vec<Value> {
    out.items().iter().map(|i| i["json"][key].clone()).collect()
}

/// Seeds `records` through the admin API in one request (`POST path` with an array); their
/// ids in the order of `records`, matched by `key`, a field whose value differs among them
/// (Directus answers in an order of its own, and adds its built-in permissions, which have no
/// id, to an answer about permissions).
fn seed(directus: &Directus, path: &str, key: &str, records: Vec<Value>) -> Vec<Value> {
    let created = directus.admin(
        Method::POST,
        &format!("{path}?fields=id,{key}"),
        Some(Value::Array(records.clone())),
        200,
    );
    let made: Vec<&Value> = created["data"]
        .as_array()
        .expect("the created records")
        .iter()
        .filter(|r| r.get("id").is_some())
        .collect();
    assert_eq!(made.len(), records.len(), "{created}");
    records
        .iter()
        .map(|record| {
            made.iter()
                .find(|m| m[key] == record[key])
                .unwrap_or_else(|| panic!("{record} not in the answer {created}"))["id"]
                .clone()
        })
        .collect()
}

/// The tables the tests use, one each (see `Directus::prepare_tables`).
const TABLES: [&str; 14] = [
    "items",
    "items_multi",
    "items_query",
    "items_upsert",
    "items_list",
    "perm",
    "perm_named",
    "perm_multi",
    "perm_list",
    "fields",
    "activity",
    "activity_all",
    "specs",
    "sort",
];

/// What the node sends as `User-Agent` (Directus records it in the activity).
const USER_AGENT: &str = concat!("noderun/", env!("CARGO_PKG_VERSION"));

/// More than Directus's default page of 100 records.
const MANY: usize = 120;

// ---------------------------------------------------------------------------------------------
// Items

/// create → get → update → update multiple → delete → delete multiple, chained.
#[test]
fn items_create_get_update_delete_chain() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "items_chain");
    let collection = directus.table("items");

    let created = node.ok(
        "items",
        "create",
        &json!({
            "collection": collection,
            "data": "={\"title\": \"{{ $json.title }}\", \"rank\": {{ $json.rank }}}",
        }),
        &ndjson(&[
            json!({"title": "first", "rank": 3}),
            json!({"title": "second", "rank": 1}),
        ]),
    );
    let first = json!({"id": 1, "title": "first", "rank": 3, "sort": null});
    let second = json!({"id": 2, "title": "second", "rank": 1, "sort": null});
    assert_eq!(created.items(), each([first.clone(), second.clone()]));

    let got = node.ok(
        "items",
        "get",
        &json!({"collection": collection, "id": "={{ $json.id }}"}),
        &created.stdout,
    );
    assert_eq!(got.items(), each([first, second]));

    // Get with Additional Fields › Fields.
    let titles = node.ok(
        "items",
        "get",
        &json!({"collection": collection, "id": "={{ $json.id }}", "additionalFields": {"fields": "title"}}),
        &created.stdout,
    );
    assert_eq!(
        titles.items(),
        each([json!({"title": "first"}), json!({"title": "second"})])
    );

    let updated = node.ok(
        "items",
        "update",
        &json!({
            "collection": collection,
            "id": "={{ $json.id }}",
            "data": "={\"title\": \"{{ $json.title }} (edited)\"}",
        }),
        &got.stdout,
    );
    assert_eq!(
        updated.items(),
        each([
            json!({"id": 1, "title": "first (edited)", "rank": 3, "sort": null}),
            json!({"id": 2, "title": "second (edited)", "rank": 1, "sort": null}),
        ])
    );

    // One step for both: the keys collected from the input item.
    let updated_both = node.ok(
        "items",
        "updateMultiple",
        &json!({
            "collection": collection,
            "data": "={\"keys\": {{ JSON.stringify($json.keys) }}, \"data\": {\"rank\": 7}}",
        }),
        &input(json!({"keys": [1, 2]})),
    );
    assert_eq!(
        updated_both.items(),
        paired(
            0,
            [
                json!({"id": 1, "title": "first (edited)", "rank": 7, "sort": null}),
                json!({"id": 2, "title": "second (edited)", "rank": 7, "sort": null}),
            ]
        )
    );

    let lines = updated.lines();
    let deleted = node.ok(
        "items",
        "delete",
        &json!({"collection": collection, "id": "={{ $json.id }}"}),
        lines[0],
    );
    assert_eq!(deleted.items(), success(0));

    // Delete Multiple takes the keys as a bare JSON array, as the community node sends it.
    let deleted = node.ok(
        "items",
        "deleteMultiple",
        &json!({"collection": collection, "data": "=[{{ $json.id }}]"}),
        lines[1],
    );
    assert_eq!(deleted.items(), success(0));
    let left = directus.admin(Method::GET, &format!("/items/{collection}"), None, 200);
    assert_eq!(left, json!({"data": []}));

    // The deleted items, got again: Directus's refusal, one error item each (continue on fail).
    let again = node.run_with(
        "items",
        "get",
        &json!({"collection": collection, "id": "={{ $json.id }}"}),
        &updated.stdout,
        &["--continue-on-fail"],
    );
    assert_eq!((again.code, again.stderr.as_str()), (0, ""));
    let forbidden = "You don't have permission to access this. (HTTP 403, FORBIDDEN)";
    let refused = |index: usize| {
        json!({
            "json": {"error": forbidden},
            "pairedItem": {"item": index},
            "error": {
                "message": forbidden,
                "description": "Forbidden - perhaps check your credentials?",
                "httpCode": "403",
                "code": "FORBIDDEN",
            },
        })
    };
    assert_eq!(again.items(), [refused(0), refused(1)]);
}

#[test]
fn items_create_multiple() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "items_multiple");
    let collection = directus.table("items_multi");
    create_multiple(
        &directus,
        &node,
        "items",
        Some(&collection),
        json!([{"title": "a", "rank": 1}, {"title": "b"}]),
        vec![
            json!({"id": 1, "title": "a", "rank": 1, "sort": null}),
            json!({"id": 2, "title": "b", "rank": null, "sort": null}),
        ],
        "title",
    );
}

/// Update Multiple and Delete Multiple by query instead of keys.
#[test]
fn items_update_and_delete_multiple_by_query() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "items_query");
    let collection = directus.table("items_query");
    seed(
        &directus,
        &format!("/items/{collection}"),
        "title",
        vec![
            json!({"title": "a", "rank": 1}),
            json!({"title": "b", "rank": 2}),
            json!({"title": "c", "rank": 2}),
        ],
    );

    let updated = node.ok(
        "items",
        "updateMultiple",
        &json!({
            "collection": collection,
            "data": {"query": {"filter": {"rank": {"_eq": 2}}}, "data": {"title": "two"}},
        }),
        &input(json!({})),
    );
    assert_eq!(
        updated.items(),
        paired(
            0,
            [
                json!({"id": 2, "title": "two", "rank": 2, "sort": null}),
                json!({"id": 3, "title": "two", "rank": 2, "sort": null}),
            ]
        )
    );
    let deleted = node.ok(
        "items",
        "deleteMultiple",
        &json!({
            "collection": collection,
            "data": {"query": {"filter": {"title": {"_eq": "two"}}}},
        }),
        &input(json!({})),
    );
    assert_eq!(deleted.items(), success(0));
    let left = directus.admin(
        Method::GET,
        &format!("/items/{collection}?fields=id"),
        None,
        200,
    );
    assert_eq!(left, json!({"data": [{"id": 1}]}));
}

#[test]
fn items_upsert_updates_the_match_or_creates() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "items_upsert");
    let collection = directus.table("items_upsert");
    seed(
        &directus,
        &format!("/items/{collection}"),
        "title",
        vec![json!({"title": "kept", "rank": 1})],
    );

    let parameters = json!({
        "collection": collection,
        "idFieldname": "id",
        "data": "={\"title\": \"{{ $json.title }}\", \"rank\": {{ $json.rank }}}",
        "filters": {"filter": "={\"title\": {\"_eq\": \"{{ $json.title }}\"}}"},
    });
    let out = node.ok(
        "items",
        "upsert",
        &parameters,
        &ndjson(&[
            json!({"title": "kept", "rank": 5}),
            json!({"title": "new", "rank": 6}),
        ]),
    );
    assert_eq!(
        out.items(),
        each([
            json!({"id": 1, "title": "kept", "rank": 5, "sort": null}),
            json!({"id": 2, "title": "new", "rank": 6, "sort": null}),
        ])
    );

    // skipUpdate: the match is left alone and output as it is.
    let mut parameters = parameters;
    parameters["skipUpdate"] = json!(true);
    let out = node.ok(
        "items",
        "upsert",
        &parameters,
        &input(json!({"title": "kept", "rank": 9})),
    );
    assert_eq!(
        out.items(),
        paired(
            0,
            [json!({"id": 1, "title": "kept", "rank": 5, "sort": null})]
        )
    );
}

#[test]
fn items_list_filter_sort_fields_limit_and_return_all() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "items_list");
    let collection = directus.table("items_list");
    let records = (1..=MANY)
        .map(|i| json!({"title": format!("item {i:03}"), "rank": i % 7}))
        .collect();
    seed(&directus, &format!("/items/{collection}"), "title", records);
    let all_ids: Vec<Value> = (1..=MANY).map(|i| json!(i)).collect();

    // Return All is the default: every record, not Directus's first 100.
    let out = node.ok(
        "items",
        "list",
        &json!({"collection": collection, "additionalFields": {"fields": "id", "sort": "id"}}),
        &input(json!({})),
    );
    assert_eq!(out.items().len(), MANY);
    assert_eq!(column(&out, "id"), all_ids);
    assert!(
        out.items()
            .iter()
            .all(|i| i["pairedItem"] == json!({"item": 0}))
    );

    // A filter, a descending sort, chosen fields, a limit.
    let out = node.ok(
        "items",
        "list",
        &json!({
            "collection": collection,
            "returnAll": false,
            "limit": 3,
            "additionalFields": {
                "filter": "{\"rank\": {\"_eq\": 2}}",
                "sort": "-id",
                "fields": "id,title,rank",
            },
        }),
        &input(json!({})),
    );
    assert_eq!(
        out.items(),
        paired(
            0,
            [
                json!({"id": 114, "title": "item 114", "rank": 2}),
                json!({"id": 107, "title": "item 107", "rank": 2}),
                json!({"id": 100, "title": "item 100", "rank": 2}),
            ]
        )
    );

    // Search and offset; the limit of 50 by default when Return All is off.
    let out = node.ok(
        "items",
        "list",
        &json!({
            "collection": collection,
            "returnAll": false,
            "additionalFields": {"search": "item 0", "sort": "id", "offset": 95, "fields": "id"},
        }),
        &input(json!({})),
    );
    assert_eq!(
        column(&out, "id"),
        [json!(96), json!(97), json!(98), json!(99)]
    );
    let out = node.ok(
        "items",
        "list",
        &json!({"collection": collection, "returnAll": false, "additionalFields": {"fields": "id"}}),
        &input(json!({})),
    );
    assert_eq!(out.items().len(), 50);

    // Return All with a filter that matches more than 100 records.
    let out = node.ok(
        "items",
        "list",
        &json!({
            "collection": collection,
            "returnAll": true,
            "additionalFields": {"filter": {"rank": {"_neq": 0}}, "fields": "id", "sort": "-id"},
        }),
        &input(json!({})),
    );
    let expected: Vec<Value> = (1..=MANY)
        .rev()
        .filter(|i| i % 7 != 0)
        .map(|i| json!(i))
        .collect();
    assert!(expected.len() > 100);
    assert_eq!(column(&out, "id"), expected);

    // Split Into Items (the community node's toggle) on or off: one item per entry either way.
    for split in [true, false] {
        let out = node.ok(
            "items",
            "list",
            &json!({
                "collection": collection,
                "splitIntoItems": split,
                "returnAll": false,
                "limit": 2,
                "additionalFields": {"fields": "id", "sort": "id"},
            }),
            &input(json!({})),
        );
        assert_eq!(
            out.items(),
            paired(0, [json!({"id": 1}), json!({"id": 2})]),
            "splitIntoItems {split}"
        );
    }

    // Aggregates (Additional Fields › Aggregate: aggregate[function]=field), alone and grouped.
    let count_and_max = json!({"aggregationFunctions": [
        {"name": "count", "value": "id"},
        {"name": "max", "value": "rank"},
    ]});
    let out = node.ok(
        "items",
        "list",
        &json!({"collection": collection, "additionalFields": {"aggregate": count_and_max}}),
        &input(json!({})),
    );
    assert_eq!(
        out.items(),
        paired(0, [json!({"count": {"id": MANY}, "max": {"rank": 6}})])
    );
    let out = node.ok(
        "items",
        "list",
        &json!({
            "collection": collection,
            "additionalFields": {
                "aggregate": {"aggregationFunctions": [{"name": "count", "value": "id"}]},
                "groupBy": "rank",
                "sort": "rank",
            },
        }),
        &input(json!({})),
    );
    let per_rank = (0..7).map(|rank| {
        let count = (1..=MANY).filter(|i| i % 7 == rank).count();
        json!({"rank": rank, "count": {"id": count}})
    });
    assert_eq!(out.items(), paired(0, per_rank));

    // The JSON/RAW query: the whole query as JSON, sent as the query.
    let out = node.ok(
        "items",
        "list",
        &json!({
            "collection": collection,
            "jsonParameters": true,
            "bodyParametersJson": "{\"filter\": {\"id\": {\"_lt\": 3}}, \"fields\": \"id,title\", \"sort\": \"-id\"}",
        }),
        &input(json!({})),
    );
    assert_eq!(
        out.items(),
        paired(
            0,
            [
                json!({"id": 2, "title": "item 002"}),
                json!({"id": 1, "title": "item 001"}),
            ]
        )
    );

    // A list step per input item, the filter taken from each.
    let out = node.ok(
        "items",
        "list",
        &json!({
            "collection": collection,
            "additionalFields": {
                "filter": "={\"id\": {\"_eq\": {{ $json.id }}}}",
                "fields": "title",
            },
        }),
        &ndjson(&[json!({"id": 5}), json!({"id": 6})]),
    );
    assert_eq!(
        out.items(),
        each([json!({"title": "item 005"}), json!({"title": "item 006"})])
    );
}

// ---------------------------------------------------------------------------------------------
// Users

/// The full user object Directus answers for a role-less user made by the tests (UUIDs and
/// timestamps normalized).
fn user_object(email: &str, fields: Value) -> Value {
    let mut user = json!({
        "id": "<uuid>", "first_name": null, "last_name": null, "email": email,
        "password": "**********", "location": null, "title": null, "description": null,
        "tags": null, "avatar": null, "language": null, "tfa_secret": null, "status": "active",
        "role": null, "token": null, "last_access": null, "last_page": null,
        "provider": "default", "external_identifier": null, "auth_data": null,
        "email_notifications": true, "appearance": null, "theme_dark": null, "theme_light": null,
        "theme_light_overrides": null, "theme_dark_overrides": null, "text_direction": "auto",
        "policies": [],
    });
    for (k, v) in fields.as_object().expect("an object") {
        user[k] = v.clone();
    }
    user
}

#[test]
fn users_create_get_update_delete_chain() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "users_chain");
    let (a, b) = (unique_email("users-a"), unique_email("users-b"));

    let created = node.ok(
        "users",
        "create",
        &json!({
            "email": "={{ $json.email }}",
            "password": "={{ $json.password }}",
            "additionalFields": {
                "first_name": "={{ $json.first }}",
                "last_name": "Lovelace",
                "title": "Analyst",
                "description": "made by noderun",
                "location": "London",
                "language": "en-US",
            },
        }),
        &ndjson(&[
            json!({"email": a, "password": "Users-Passw0rd-1", "first": "Ada"}),
            json!({"email": b, "password": "Users-Passw0rd-2", "first": "Byron"}),
        ]),
    );
    let made = |email: &str, first: &str, more: Value| {
        let mut fields = json!({
            "first_name": first, "last_name": "Lovelace", "title": "Analyst",
            "description": "made by noderun", "location": "London", "language": "en-US",
        });
        for (k, v) in more.as_object().expect("an object") {
            fields[k] = v.clone();
        }
        user_object(email, fields)
    };
    assert_eq!(
        normalized(&Value::Array(created.items())),
        json!(each([
            made(&a, "Ada", json!({})),
            made(&b, "Byron", json!({}))
        ]))
    );
    let ids = column(&created, "id");
    let _cleanup = directus.keys_dropper("/users", &ids);
    let got = node.ok(
        "users",
        "get",
        &json!({"id": "={{ $json.id }}"}),
        &created.stdout,
    );
    assert_eq!(got.items(), created.items());

    let updated = node.ok(
        "users",
        "update",
        &json!({"id": "={{ $json.id }}", "data": "={\"title\": \"{{ $json.first_name }}'s title\"}"}),
        &got.stdout,
    );
    assert_eq!(
        normalized(&Value::Array(updated.items())),
        json!(each([
            made(&a, "Ada", json!({"title": "Ada's title"})),
            made(&b, "Byron", json!({"title": "Byron's title"})),
        ]))
    );
    assert_eq!(column(&updated, "id"), ids);

    let both = node.ok(
        "users",
        "updateMultiple",
        &json!({"data": "={\"keys\": {{ JSON.stringify($json.keys) }}, \"data\": {\"location\": \"Paris\"}}"}),
        &input(json!({"keys": ids})),
    );
    let mut location: Vec<(Value, Value)> = both
        .items()
        .iter()
        .map(|i| (i["json"]["id"].clone(), i["json"]["location"].clone()))
        .collect();
    location.sort_by_key(|(id, _)| id.to_string());
    let mut want: Vec<(Value, Value)> = ids.iter().map(|id| (id.clone(), json!("Paris"))).collect();
    want.sort_by_key(|(id, _)| id.to_string());
    assert_eq!(location, want);
    assert!(
        both.items()
            .iter()
            .all(|i| i["pairedItem"] == json!({"item": 0}))
    );

    // The password works (after the steps above: a login sets `last_access`).
    assert_eq!(
        directus.login(&a, "Users-Passw0rd-1")["expires"],
        json!(900000)
    );

    let lines = updated.lines();
    let deleted = node.ok(
        "users",
        "delete",
        &json!({"id": "={{ $json.id }}"}),
        lines[0],
    );
    assert_eq!(deleted.items(), success(0));
    let deleted = node.ok(
        "users",
        "deleteMultiple",
        &json!({"keys": "={{ JSON.stringify([$json.id]) }}"}),
        lines[1],
    );
    assert_eq!(deleted.items(), success(0));
    assert_gone(&directus, "users", &ids);
}

#[test]
fn users_create_multiple() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "users_multiple");
    let emails = [unique_email("multi-1"), unique_email("multi-2")];
    create_multiple(
        &directus,
        &node,
        "users",
        None,
        json!([
            {"email": emails[0], "password": "Multi-Passw0rd-1", "first_name": "One"},
            {"email": emails[1], "title": "no password"},
        ]),
        vec![
            user_object(&emails[0], json!({"first_name": "One"})),
            user_object(
                &emails[1],
                json!({"title": "no password", "password": null}),
            ),
        ],
        "email",
    );
}

#[test]
fn users_list() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "users_list");
    let tag = identifier("users");

    let many: Vec<String> = (0..MANY + 2)
        .map(|i| unique_email(&format!("many-{i:03}")))
        .collect();
    let ids = seed(
        &directus,
        "/users",
        "email",
        many.iter()
            .enumerate()
            .map(|(i, email)| json!({"email": email, "title": tag, "location": format!("{i:03}")}))
            .collect(),
    );
    let _cleanup = directus.keys_dropper("/users", &ids);

    let filter = json!({"title": {"_eq": tag}});
    let out = node.ok(
        "users",
        "list",
        &json!({"returnAll": true, "additionalFields": {"filter": filter, "fields": "id", "sort": "email"}}),
        &input(json!({})),
    );
    let mut all: Vec<(&String, &Value)> = many.iter().zip(&ids).collect();
    all.sort_by_key(|(email, _)| *email);
    let all: Vec<Value> = all.into_iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(column(&out, "id"), all);

    let out = node.ok(
        "users",
        "list",
        &json!({
            "returnAll": false,
            "limit": 2,
            "additionalFields": {"filter": filter.to_string(), "fields": "email,location", "sort": "-location"},
        }),
        &input(json!({})),
    );
    assert_eq!(
        out.items(),
        paired(
            0,
            [
                json!({"email": many[MANY + 1], "location": format!("{:03}", MANY + 1)}),
                json!({"email": many[MANY], "location": format!("{:03}", MANY)}),
            ]
        )
    );

    // JSON/RAW query.
    let out = node.ok(
        "users",
        "list",
        &json!({
            "jsonParameters": true,
            "bodyParametersJson": json!({"filter": {"email": {"_eq": many[1]}}, "fields": "email,title"}).to_string(),
        }),
        &input(json!({})),
    );
    assert_eq!(
        out.items(),
        paired(0, [json!({"email": many[1], "title": tag})])
    );
}

#[test]
fn users_get_current_and_update_me() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "users_me");
    // The admin as Directus answers it directly; `last_access` moves with every login of the
    // suite's other tests, so it is compared as a timestamp.
    let me = normalized(&directus.admin(Method::GET, "/users/me", None, 200)["data"]);
    assert_eq!(me["token"], json!("**********"));

    let out = node.ok("users", "getCurrent", &json!({}), &input(json!({})));
    assert_eq!(
        normalized(&json!(out.items())),
        json!(paired(0, [me.clone()]))
    );

    let place = identifier("place");
    let out = node.ok(
        "users",
        "updateMe",
        &json!({"data": "={\"location\": \"{{ $json.place }}\"}"}),
        &input(json!({"place": place})),
    );
    let restore = json!({"location": me["location"]});
    directus.admin(Method::PATCH, "/users/me?fields=id", Some(restore), 200);
    let mut moved = me;
    moved["location"] = json!(place);
    assert_eq!(normalized(&json!(out.items())), json!(paired(0, [moved])));
}

// ---------------------------------------------------------------------------------------------
// Roles, folders, presets: the same seven operations on /<resource>

/// The chain create → get → update → update multiple → delete → delete multiple of a resource
/// on `/<resource>[/{id}]`, two records through it. Expected records are normalized (UUIDs as
/// `"<uuid>"`; integer ids as `"<id>"`, filled in from the create step).
struct Plain<'a> {
    resource: &'a str,
    /// The create step's parameters, and its two input items.
    create: Value,
    create_inputs: Vec<Value>,
    created: Vec<Value>,
    /// The update step's parameters (fed the get step's output).
    update: Value,
    updated: Vec<Value>,
    /// The update multiple step's parameters (fed `{"keys": [both ids]}`).
    update_multiple: Value,
    updated_multiple: Vec<Value>,
}

impl Plain<'_> {
    /// Runs the chain; the delete steps take one record each (`id`, then `keys`), and the
    /// records are gone afterwards.
    fn run(&self, directus: &Directus, node: &Node) {
        let resource = self.resource;
        let created = node.ok(
            resource,
            "create",
            &self.create,
            &ndjson(&self.create_inputs),
        );
        let ids = column(&created, "id");
        let _cleanup = directus.keys_dropper(&format!("/{resource}"), &ids);
        let fill = |records: &[Value]| Value::Array(with_ids(records, &ids));
        assert_eq!(
            normalized(&json!(created.items())),
            json!(each(
                fill(&self.created).as_array().cloned().unwrap_or_default()
            ))
        );

        let got = node.ok(
            resource,
            "get",
            &json!({"id": "={{ $json.id }}"}),
            &created.stdout,
        );
        assert_eq!(got.items(), created.items());

        let updated = node.ok(resource, "update", &self.update, &got.stdout);
        assert_eq!(
            normalized(&json!(updated.items())),
            json!(each(
                fill(&self.updated).as_array().cloned().unwrap_or_default()
            ))
        );
        assert_eq!(column(&updated, "id"), ids);

        let both = node.ok(
            resource,
            "updateMultiple",
            &self.update_multiple,
            &input(json!({"keys": ids})),
        );
        // Directus appends its built-in permissions (`"system": true`, without an id) to the
        // answer of an update of several permissions: set aside, after checking they are such.
        let (system, mut got): (Vec<Value>, Vec<Value>) = both
            .items()
            .into_iter()
            .partition(|i| i["json"]["system"] == json!(true));
        assert!(
            system
                .iter()
                .all(|i| resource == "permissions" && i["json"].get("id").is_none()),
            "{}",
            both.stdout
        );
        got.sort_by_key(|i| ids.iter().position(|id| *id == i["json"]["id"]));
        assert_eq!(
            normalized(&json!(got)),
            json!(paired(
                0,
                fill(&self.updated_multiple)
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            ))
        );

        let lines = updated.lines();
        let deleted = node.ok(
            resource,
            "delete",
            &json!({"id": "={{ $json.id }}"}),
            lines[0],
        );
        assert_eq!(deleted.items(), success(0));
        let deleted = node.ok(
            resource,
            "deleteMultiple",
            &json!({"keys": "={{ JSON.stringify([$json.id]) }}"}),
            lines[1],
        );
        assert_eq!(deleted.items(), success(0));
        assert_gone(directus, resource, &ids);
    }
}

/// `records` with each `"id": "<id>"` replaced by the id of the same place in `ids`, which must
/// be an integer: integer keys of presets and permissions are shared by all tests, so the
/// expected records take them from the create step's output.
fn with_ids(records: &[Value], ids: &[Value]) -> Vec<Value> {
    records
        .iter()
        .zip(ids)
        .map(|(record, id)| {
            let mut record = record.clone();
            if record["id"] == json!("<id>") {
                assert!(id.is_i64(), "an integer id: {id}");
                record["id"] = id.clone();
            }
            record
        })
        .collect()
}

/// Create Multiple with the community node's `data`, a JSON array as text (and `collection`
/// for items): one output item per record, all paired with the one input item; `expected` the
/// records as Directus answers them (normalized, integer ids as `"<id>"`), `sort_key` a field
/// whose value differs among them. Deleted afterwards.
fn create_multiple(
    directus: &Directus,
    node: &Node,
    resource: &str,
    collection: Option<&str>,
    records: Value,
    expected: Vec<Value>,
    sort_key: &str,
) {
    let mut parameters = json!({"data": records.to_string()});
    let path = match collection {
        Some(c) => {
            parameters["collection"] = json!(c);
            format!("/items/{c}")
        }
        None => format!("/{resource}"),
    };
    let out = node.ok(resource, "createMultiple", &parameters, &input(json!({})));
    // Directus answers the records in an order of its own (by key), and adds its built-in
    // permissions (`"system": true`, without an id) to an answer about permissions: those are
    // checked to be such and set aside, the records compared in the order of `expected`
    // (matched by `sort_key`).
    let (system, mut made): (Vec<Value>, Vec<Value>) = out
        .items()
        .into_iter()
        .partition(|i| i["json"]["system"] == json!(true));
    assert!(
        system
            .iter()
            .all(|i| resource == "permissions" && i["json"].get("id").is_none()),
        "{}",
        out.stdout
    );
    let ids: Vec<Value> = made.iter().map(|i| i["json"]["id"].clone()).collect();
    let _cleanup = directus.keys_dropper(&path, &ids);
    let place = |record: &Value| {
        expected
            .iter()
            .position(|e| e[sort_key] == record[sort_key])
            .unwrap_or(usize::MAX)
    };
    made.sort_by_key(|i| place(&i["json"]));
    let ids: Vec<Value> = made.iter().map(|i| i["json"]["id"].clone()).collect();
    assert_eq!(
        normalized(&json!(made)),
        json!(paired(0, with_ids(&expected, &ids)))
    );
}

/// None of the records `ids` of `resource` exists any more. (Directus answers a filter on
/// permissions that matches nothing with its built-in permissions, `"system": true` and without
/// an id: those are no records of the test.)
fn assert_gone(directus: &Directus, resource: &str, ids: &[Value]) {
    let keys: Vec<String> = ids.iter().map(plain).collect();
    let found = directus.admin(
        Method::GET,
        &format!("/{resource}?filter[id][_in]={}&fields=id", keys.join(",")),
        None,
        200,
    );
    let left: Vec<&Value> = found["data"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|r| r["system"] != json!(true))
        .collect();
    assert!(left.is_empty(), "{resource} not deleted: {left:?}");
}

/// An id as a path segment.
fn plain(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// List: Return All over more than 100 records (seeded), a filter, a
/// sort, fields and a limit, and the JSON/RAW query. `tag_field` holds `tag` in every record
/// of the test, `order_field` a 3-digit number.
fn list_checks(
    directus: &Directus,
    node: &Node,
    resource: &str,
    record: impl Fn(usize) -> Value,
    tag_field: &str,
    tag: &str,
    order_field: &str,
) {
    let ids = seed(
        directus,
        &format!("/{resource}"),
        order_field,
        (0..MANY + 2).map(&record).collect(),
    );
    let _cleanup = directus.keys_dropper(&format!("/{resource}"), &ids);
    let filter = json!({tag_field: {"_eq": tag}});

    let out = node.ok(
        resource,
        "list",
        &json!({"additionalFields": {"filter": filter, "fields": order_field, "sort": order_field}}),
        &input(json!({})),
    );
    let all: Vec<Value> = (0..MANY + 2).map(|i| json!(format!("{i:03}"))).collect();
    assert_eq!(column(&out, order_field), all);
    assert!(
        out.items()
            .iter()
            .all(|i| i["pairedItem"] == json!({"item": 0}))
    );

    let out = node.ok(
        resource,
        "list",
        &json!({
            "returnAll": false,
            "limit": 3,
            "additionalFields": {
                "filter": filter.to_string(),
                "fields": format!("id,{order_field}"),
                "sort": format!("-{order_field}"),
            },
        }),
        &input(json!({})),
    );
    let last: Vec<Value> = (MANY - 1..MANY + 2).rev().map(|i| ids[i].clone()).collect();
    assert_eq!(
        out.items(),
        paired(
            0,
            last.iter()
                .zip((MANY - 1..MANY + 2).rev())
                .map(|(id, i)| json!({"id": id, order_field: format!("{i:03}")}))
        )
    );

    let out = node.ok(
        resource,
        "list",
        &json!({
            "jsonParameters": true,
            "bodyParametersJson": json!({
                "filter": {"_and": [filter, {order_field: {"_in": ["005", "007"]}}]},
                "fields": order_field,
                "sort": order_field,
            }).to_string(),
        }),
        &input(json!({})),
    );
    assert_eq!(
        out.items(),
        paired(
            0,
            [json!({order_field: "005"}), json!({order_field: "007"})]
        )
    );
}

/// A role as Directus answers it (normalized).
fn role_object(name: String, description: Value) -> Value {
    json!({
        "id": "<uuid>", "name": name, "icon": "supervised_user_circle",
        "description": description, "parent": null, "children": [], "policies": [], "users": [],
    })
}

/// A folder as Directus answers it (normalized).
fn folder_object(name: String, parent: &Value) -> Value {
    json!({"id": "<uuid>", "name": name, "parent": parent, "type": "files"})
}

/// A preset of the users collection as Directus answers it (its integer id as `"<id>"`).
fn preset_object(bookmark: String, search: &str, color: Value) -> Value {
    json!({
        "id": "<id>", "bookmark": bookmark, "user": null, "role": null,
        "collection": "directus_users", "search": search, "layout": "tabular",
        "layout_query": null, "layout_options": null, "refresh_interval": null, "filter": null,
        "icon": "bookmark", "color": color,
    })
}

#[test]
fn roles_create_get_update_delete_chain() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "roles_chain");
    let name = identifier("role");
    let role = role_object;
    Plain {
        resource: "roles",
        create: json!({"data": "={\"name\": \"{{ $json.name }}\", \"description\": \"made by noderun\"}"}),
        create_inputs: vec![json!({"name": format!("{name} a")}), json!({"name": format!("{name} b")})],
        created: vec![
            role(format!("{name} a"), json!("made by noderun")),
            role(format!("{name} b"), json!("made by noderun")),
        ],
        update: json!({"id": "={{ $json.id }}", "data": "={\"name\": \"{{ $json.name }} (renamed)\"}"}),
        updated: vec![
            role(format!("{name} a (renamed)"), json!("made by noderun")),
            role(format!("{name} b (renamed)"), json!("made by noderun")),
        ],
        update_multiple: json!({"data": "={\"keys\": {{ JSON.stringify($json.keys) }}, \"data\": {\"description\": null}}"}),
        updated_multiple: vec![
            role(format!("{name} a (renamed)"), json!(null)),
            role(format!("{name} b (renamed)"), json!(null)),
        ],
    }
    .run(&directus, &node);
}

#[test]
fn roles_create_multiple() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "roles_multiple");
    let name = identifier("roles");
    create_multiple(
        &directus,
        &node,
        "roles",
        None,
        json!([{"name": format!("{name} a")}, {"name": format!("{name} b"), "description": "b"}]),
        vec![
            role_object(format!("{name} a"), json!(null)),
            role_object(format!("{name} b"), json!("b")),
        ],
        "name",
    );
}

#[test]
fn roles_list() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "roles_list");
    let tag = identifier("roles");
    list_checks(
        &directus,
        &node,
        "roles",
        |i| json!({"name": format!("{i:03}"), "description": tag}),
        "description",
        &tag,
        "name",
    );
}

#[test]
fn folders_create_get_update_delete_chain() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "folders_chain");
    let name = identifier("folder");
    let parent = seed(
        &directus,
        "/folders",
        "name",
        vec![json!({"name": format!("{name} parent")})],
    );
    let parent = plain(&parent[0]);
    let _parent = directus.dropper(format!("/folders/{parent}"));
    let folder = folder_object;
    let null = json!(null);
    Plain {
        resource: "folders",
        // Folders → Create: `name`, Additional Fields `parent`.
        create: json!({"name": "={{ $json.name }}", "additionalFields": {"parent": "={{ $json.parent }}"}}),
        create_inputs: vec![
            json!({"name": format!("{name} a"), "parent": parent}),
            json!({"name": format!("{name} b"), "parent": parent}),
        ],
        created: vec![
            folder(format!("{name} a"), &json!("<uuid>")),
            folder(format!("{name} b"), &json!("<uuid>")),
        ],
        // Folders → Update: `id`, Additional Fields `name`, `parent`.
        update: json!({"id": "={{ $json.id }}", "additionalFields": {"name": "={{ $json.name }} (renamed)"}}),
        updated: vec![
            folder(format!("{name} a (renamed)"), &json!("<uuid>")),
            folder(format!("{name} b (renamed)"), &json!("<uuid>")),
        ],
        update_multiple: json!({"data": "={\"keys\": {{ JSON.stringify($json.keys) }}, \"data\": {\"parent\": null}}"}),
        updated_multiple: vec![
            folder(format!("{name} a (renamed)"), &null),
            folder(format!("{name} b (renamed)"), &null),
        ],
    }
    .run(&directus, &node);
}

#[test]
fn folders_create_multiple() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "folders_multiple");
    let name = identifier("folders");
    create_multiple(
        &directus,
        &node,
        "folders",
        None,
        json!([{"name": format!("{name} a")}, {"name": format!("{name} b")}]),
        vec![
            folder_object(format!("{name} a"), &json!(null)),
            folder_object(format!("{name} b"), &json!(null)),
        ],
        "name",
    );
}

#[test]
fn folders_list() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "folders_list");
    let tag = identifier("folders");
    let parent = seed(&directus, "/folders", "name", vec![json!({"name": tag})]);
    let parent = plain(&parent[0]);
    let _parent = directus.dropper(format!("/folders/{parent}"));
    list_checks(
        &directus,
        &node,
        "folders",
        |i| json!({"name": format!("{i:03}"), "parent": parent}),
        "parent",
        &parent,
        "name",
    );
}

#[test]
fn presets_create_get_update_delete_chain() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "presets_chain");
    let name = identifier("preset");
    let preset = |bookmark: String, color: Value| preset_object(bookmark, "ada", color);
    Plain {
        resource: "presets",
        create: json!({"data": "={\"bookmark\": \"{{ $json.bookmark }}\", \"collection\": \"directus_users\", \"search\": \"ada\"}"}),
        create_inputs: vec![
            json!({"bookmark": format!("{name} a")}),
            json!({"bookmark": format!("{name} b")}),
        ],
        created: vec![preset(format!("{name} a"), json!(null)), preset(format!("{name} b"), json!(null))],
        update: json!({"id": "={{ $json.id }}", "data": "={\"bookmark\": \"{{ $json.bookmark }} (renamed)\"}"}),
        updated: vec![
            preset(format!("{name} a (renamed)"), json!(null)),
            preset(format!("{name} b (renamed)"), json!(null)),
        ],
        update_multiple: json!({"data": "={\"keys\": {{ JSON.stringify($json.keys) }}, \"data\": {\"color\": \"#FF0000\"}}"}),
        updated_multiple: vec![
            preset(format!("{name} a (renamed)"), json!("#FF0000")),
            preset(format!("{name} b (renamed)"), json!("#FF0000")),
        ],
    }
    .run(&directus, &node);
}

#[test]
fn presets_create_multiple() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "presets_multiple");
    let name = identifier("presets");
    let record = |b: &str| json!({"bookmark": format!("{name} {b}"), "collection": "directus_users", "search": name});
    create_multiple(
        &directus,
        &node,
        "presets",
        None,
        json!([record("a"), record("b")]),
        vec![
            preset_object(format!("{name} a"), &name, json!(null)),
            preset_object(format!("{name} b"), &name, json!(null)),
        ],
        "bookmark",
    );
}

#[test]
fn presets_list() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "presets_list");
    let tag = identifier("presets");
    list_checks(
        &directus,
        &node,
        "presets",
        |i| json!({"bookmark": format!("{i:03}"), "collection": "directus_users", "search": tag}),
        "search",
        &tag,
        "bookmark",
    );
}

// ---------------------------------------------------------------------------------------------
// Permissions (Directus 11+: under a policy, made through the API: the node has no policies)

/// A permission as Directus answers it. The free licence refuses custom rules
/// (`custom_permission_rules_enabled is a restricted resource`): every permission here grants
/// all fields (`["*"]`) without rules.
fn permission(collection: &str, action: &str) -> Value {
    json!({
        "id": "<id>", "collection": collection, "action": action, "permissions": null,
        "validation": null, "presets": null, "fields": ["*"], "policy": "<uuid>",
    })
}

#[test]
fn permissions_create_get_update_delete_chain() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "permissions_chain");
    let collection = directus.table("perm");
    let (policy, _policy) = directus.policy(&identifier("policy"));
    Plain {
        resource: "permissions",
        // The JSON/RAW body: Directus needs the policy, which Permissions → Create has no field for.
        create: json!({
            "jsonParameters": true,
            "bodyParametersJson": "={\"collection\": \"{{ $json.collection }}\", \"action\": \"{{ $json.action }}\", \"policy\": \"{{ $json.policy }}\", \"fields\": [\"*\"]}",
        }),
        create_inputs: vec![
            json!({"collection": collection, "action": "read", "policy": policy}),
            json!({"collection": collection, "action": "create", "policy": policy}),
        ],
        created: vec![permission(&collection, "read"), permission(&collection, "create")],
        update: json!({
            "id": "={{ $json.id }}",
            "data": "={\"action\": \"{{ $json.action == 'read' ? 'update' : 'delete' }}\", \"fields\": [\"*\"]}",
        }),
        updated: vec![permission(&collection, "update"), permission(&collection, "delete")],
        update_multiple: json!({"data": "={\"keys\": {{ JSON.stringify($json.keys) }}, \"data\": {\"action\": \"share\", \"fields\": [\"*\"]}}"}),
        updated_multiple: vec![permission(&collection, "share"), permission(&collection, "share")],
    }
    .run(&directus, &node);
}

/// Permissions → Create with the community node's `collection` and `action`, and the policy
/// Directus 11+ needs as an Additional Field; without Additional Fields › Fields the permission
/// grants every field.
#[test]
fn permissions_create_with_named_fields() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "permissions_named");
    let collection = directus.table("perm_named");
    let (policy, _policy) = directus.policy(&identifier("policy"));
    let created = node.ok(
        "permissions",
        "create",
        &json!({
            "collection": "={{ $json.collection }}",
            "action": "={{ $json.action }}",
            "additionalFields": {"policy": "={{ $json.policy }}"},
        }),
        &ndjson(&[
            json!({"collection": collection, "action": "read", "policy": policy}),
            json!({"collection": collection, "action": "update", "policy": policy}),
        ]),
    );
    let ids = column(&created, "id");
    let _cleanup = directus.keys_dropper("/permissions", &ids);
    let expected: Vec<Value> = ["read", "update"]
        .iter()
        .zip(&ids)
        .map(|(action, id)| {
            let mut permission = permission(&collection, action);
            permission["id"] = id.clone();
            permission["policy"] = json!(policy);
            permission
        })
        .collect();
    assert_eq!(created.items(), each(expected));
}

#[test]
fn permissions_create_multiple() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "permissions_multiple");
    let collection = directus.table("perm_multi");
    let (policy, _policy) = directus.policy(&identifier("policy"));
    create_multiple(
        &directus,
        &node,
        "permissions",
        None,
        json!([
            {"collection": collection, "action": "read", "policy": policy, "fields": ["*"]},
            {"collection": collection, "action": "create", "policy": policy, "fields": ["*"]},
        ]),
        vec![
            permission(&collection, "read"),
            permission(&collection, "create"),
        ],
        "action",
    );
}

#[test]
fn permissions_list() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "permissions_list");
    let collection = directus.table("perm_list");
    let (policy, _policy) = directus.policy(&identifier("policy"));
    let actions = ["create", "read", "update", "delete", "share"];

    let grant = |collection: String, action: &str| json!({"collection": collection, "action": action, "policy": policy, "fields": ["*"]});
    let mut ids = seed(
        &directus,
        "/permissions",
        "action",
        vec![
            grant(collection.clone(), "read"),
            grant(collection.clone(), "create"),
        ],
    );

    // More than 100 permissions of the policy: one per action on each of many collections.
    // The collections need not exist for a permission to be stored.
    let seeded: Vec<Value> = (0..MANY)
        .map(|i| grant(format!("{collection}_{i:03}"), actions[i % 5]))
        .collect();
    ids.extend(seed(&directus, "/permissions", "collection", seeded));
    let _cleanup = directus.keys_dropper("/permissions", &ids);
    let filter = json!({"policy": {"_eq": policy}});

    let out = node.ok(
        "permissions",
        "list",
        &json!({"additionalFields": {"filter": filter, "fields": "id", "sort": "id"}}),
        &input(json!({})),
    );
    assert_eq!(column(&out, "id"), ids);

    // Directus ignores `limit` on permissions when it filters them (it answers every match):
    // the node's output is exactly Directus's answer to the same query.
    let query = json!({
        "returnAll": false,
        "limit": 3,
        "additionalFields": {
            "filter": json!({"_and": [filter, {"action": {"_eq": "share"}}]}).to_string(),
            "fields": "collection,action",
            "sort": "-collection",
        },
    });
    let out = node.ok("permissions", "list", &query, &input(json!({})));
    let raw = directus.admin(
        Method::GET,
        &format!(
            "/permissions?filter[policy][_eq]={policy}&filter[action][_eq]=share&fields=collection,action&sort=-collection&limit=3"
        ),
        None,
        200,
    );
    assert_eq!(
        jsons(&out),
        raw["data"].as_array().cloned().unwrap_or_default()
    );
    assert_eq!(
        jsons(&out)[..2],
        [
            json!({"collection": format!("{collection}_{:03}", MANY - 1), "action": "share"}),
            json!({"collection": format!("{collection}_{:03}", MANY - 6), "action": "share"}),
        ]
    );

    let out = node.ok(
        "permissions",
        "list",
        &json!({
            "jsonParameters": true,
            "bodyParametersJson": json!({
                "filter": {"_and": [filter, {"collection": {"_eq": collection}}]},
                "fields": "action",
                "sort": "action",
            }).to_string(),
        }),
        &input(json!({})),
    );
    assert_eq!(
        out.items(),
        paired(0, [json!({"action": "create"}), json!({"action": "read"})])
    );
}

// ---------------------------------------------------------------------------------------------
// Collections and fields: real tables

/// The entries of `entries` about Directus's own collections (`directus_…`): those do not change
/// while the tests make and drop their tables.
fn of_system(entries: Vec<Value>) -> Vec<Value> {
    entries
        .into_iter()
        .filter(|e| {
            e["collection"]
                .as_str()
                .is_some_and(|n| n.starts_with("directus_"))
        })
        .collect()
}

/// The collection object Directus answers for a table made with `meta`.
fn collection_object(name: &str, meta: Value, sql: &str) -> Value {
    let mut object = json!({
        "collection": name,
        "meta": {
            "collection": name, "icon": null, "note": null, "display_template": null,
            "hidden": false, "singleton": false, "translations": null, "archive_field": null,
            "archive_app_filter": true, "archive_value": null, "unarchive_value": null,
            "sort_field": null, "accountability": "all", "color": null,
            "item_duplication_fields": null, "sort": null, "group": null, "collapse": "open",
            "preview_url": null, "versioning": false, "status": "active",
            "autosave_revision_interval": null,
        },
        "schema": {"name": name, "sql": sql},
    });
    for (k, v) in meta.as_object().expect("an object") {
        object["meta"][k] = v.clone();
    }
    object
}

#[test]
fn collections_create_get_list_update_delete() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "collections");
    let name = identifier("coll");
    let _table = directus.dropper(format!("/collections/{name}"));

    // Collections → Create with the collection's name and Additional Fields: a real table (with
    // Directus's default `id` key) is made.
    let created = node.ok(
        "collections",
        "create",
        &json!({
            "collection": "={{ $json.name }}",
            "additionalFields": {"icon": "inventory", "note": "made by noderun", "hidden": true},
        }),
        &input(json!({"name": name})),
    );
    let sql = format!("CREATE TABLE `{name}` (`id` integer not null primary key autoincrement)");
    let made = collection_object(
        &name,
        json!({"icon": "inventory", "note": "made by noderun", "hidden": true}),
        &sql,
    );
    assert_eq!(created.items(), paired(0, [made.clone()]));
    // The table takes items (once Directus's schema cache knows it: see
    // `Directus::prepare_tables`).
    directus.settle(&name, "id");
    let item = node.ok(
        "items",
        "create",
        &json!({"collection": "={{ $json.collection }}", "data": "{}"}),
        &created.stdout,
    );
    assert_eq!(item.items(), paired(0, [json!({"id": 1})]));

    let got = node.ok(
        "collections",
        "get",
        &json!({"collection": "={{ $json.collection }}"}),
        &created.stdout,
    );
    assert_eq!(got.items(), paired(0, [made.clone()]));

    let listed = node.ok("collections", "list", &json!({}), &input(json!({})));
    let ours: Vec<Value> = listed
        .items()
        .into_iter()
        .filter(|i| i["json"]["collection"] == json!(name))
        .collect();
    assert_eq!(ours, paired(0, [made]));
    // The system collections too, exactly as Directus lists them (the other tables come and go
    // with the tests running meanwhile).
    let raw = directus.admin(Method::GET, "/collections", None, 200)["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let listed_system = of_system(jsons(&listed));
    assert!(listed_system.len() > 20, "{}", listed.stdout);
    assert_eq!(listed_system, of_system(raw));
    assert!(
        listed
            .items()
            .iter()
            .all(|i| i["pairedItem"] == json!({"item": 0}))
    );

    let updated = node.ok(
        "collections",
        "update",
        &json!({
            "collection": "={{ $json.collection }}",
            "additionalFields": {"meta": "={\"note\": \"{{ $json.meta.note }}, updated\"}"},
        }),
        &got.stdout,
    );
    assert_eq!(
        updated.items(),
        paired(
            0,
            [collection_object(
                &name,
                json!({"icon": "inventory", "note": "made by noderun, updated", "hidden": true}),
                &sql
            )]
        )
    );

    let deleted = node.ok(
        "collections",
        "delete",
        &json!({"collection": "={{ $json.collection }}"}),
        &updated.stdout,
    );
    assert_eq!(deleted.items(), success(0));
    directus.admin(Method::GET, &format!("/collections/{name}"), None, 403);
}

/// Every Additional Field of Collections → Create lands in the collection's meta (the community
/// node's `achiveField` is the archive field), and `fields` makes the table's columns.
#[test]
fn collections_create_with_every_additional_field() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "collections_all");
    let name = identifier("coll_all");
    let _table = directus.dropper(format!("/collections/{name}"));
    let fields = json!([
        {"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}},
        {"field": "title", "type": "string"},
        {"field": "status", "type": "string"},
        {"field": "sort", "type": "integer"},
    ]);
    let created = node.ok(
        "collections",
        "create",
        &json!({
            "collection": name,
            "additionalFields": {
                "fields": fields.to_string(),
                "sortField": "sort",
                "displayTemplate": "{{title}}",
                "achiveField": "status",
                "archiveValue": "archived",
                "unarchiveValue": "draft",
                "archiveAppFilter": "false",
                "singleton": false,
                "translation": "[{\"language\": \"en-US\", \"translation\": \"Things\"}]",
                "icon": "box",
                "note": "every option",
                "hidden": false,
            },
        }),
        &input(json!({})),
    );
    let sql = format!(
        "CREATE TABLE `{name}` (`id` integer not null primary key autoincrement, `title` varchar(255) null, `status` varchar(255) null, `sort` integer null)"
    );
    let meta = json!({
        "sort_field": "sort", "display_template": "{{title}}", "archive_field": "status",
        "archive_value": "archived", "unarchive_value": "draft", "archive_app_filter": false,
        "singleton": false, "translations": [{"language": "en-US", "translation": "Things"}],
        "icon": "box", "note": "every option", "hidden": false,
    });
    assert_eq!(
        created.items(),
        paired(0, [collection_object(&name, meta, &sql)])
    );
    directus.settle(&name, "id,title,status,sort");
}

#[test]
fn collections_create_with_json_parameters() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "collections_json");
    let name = identifier("coll_json");
    let _table = directus.dropper(format!("/collections/{name}"));
    let created = node.ok(
        "collections",
        "create",
        &json!({
            "jsonParameters": true,
            "bodyParametersJson": json!({
                "collection": name,
                "schema": {},
                "meta": {"note": "raw"},
                "fields": [
                    {"field": "code", "type": "string",
                     "schema": {"is_primary_key": true, "max_length": 20}},
                    {"field": "label", "type": "string"},
                ],
            }).to_string(),
        }),
        &input(json!({})),
    );
    let sql = format!(
        "CREATE TABLE `{name}` (`code` varchar(20) not null, `label` varchar(255) null, primary key (`code`))"
    );
    assert_eq!(
        created.items(),
        paired(0, [collection_object(&name, json!({"note": "raw"}), &sql)])
    );
}

/// A field object as Directus answers it for a string field of `max_length` (the tests change
/// the type where they make another).
fn string_field(collection: &str, field: &str, max_length: u32, meta: Value) -> Value {
    json!({
        "collection": collection, "field": field, "type": "string", "meta": meta,
        "schema": {
            "name": field, "table": collection, "data_type": "varchar", "default_value": null,
            "max_length": max_length, "numeric_precision": null, "numeric_scale": null,
            "is_generated": false, "generation_expression": null, "is_nullable": true,
            "is_unique": false, "is_indexed": false, "is_primary_key": false,
            "has_auto_increment": false, "foreign_key_column": null, "foreign_key_table": null,
        },
    })
}

#[test]
fn fields_create_get_list_update_delete() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "fields");
    let collection = directus.table("fields");

    let created = node.ok(
        "fields",
        "create",
        &json!({"collection": collection, "field": "={{ $json.field }}", "type": "string"}),
        &input(json!({"field": "colour"})),
    );
    let colour = string_field(&collection, "colour", 255, json!(null));
    assert_eq!(created.items(), paired(0, [colour.clone()]));

    let got = node.ok(
        "fields",
        "get",
        &json!({"collection": "={{ $json.collection }}", "field": "={{ $json.field }}"}),
        &created.stdout,
    );
    assert_eq!(got.items(), paired(0, [colour]));

    let listed = node.ok(
        "fields",
        "list",
        &json!({"collection": "={{ $json.collection }}"}),
        &created.stdout,
    );
    let names = ["id", "title", "rank", "sort", "colour"].map(|f| json!(f));
    assert_eq!(column(&listed, "field"), names);
    assert!(
        listed
            .items()
            .iter()
            .all(|i| i["pairedItem"] == json!({"item": 0}))
    );

    let all = node.ok("fields", "listAll", &json!({}), &input(json!({})));
    let ours: Vec<Value> = all
        .items()
        .into_iter()
        .filter(|i| i["json"]["collection"] == json!(collection))
        .collect();
    assert_eq!(ours, listed.items());
    // And the system collections' fields exactly as Directus lists them.
    let raw = directus.admin(Method::GET, "/fields", None, 200)["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let all_system = of_system(jsons(&all));
    assert!(all_system.len() > 100, "{}", all.stdout.len());
    assert_eq!(all_system, of_system(raw));

    // Additional Fields meta and schema.
    let updated = node.ok(
        "fields",
        "update",
        &json!({
            "collection": "={{ $json.collection }}",
            "field": "={{ $json.field }}",
            "additionalFields": {"meta": {"note": "a colour"}, "schema": {"max_length": 40}},
        }),
        &got.stdout,
    );
    let mut want = string_field(
        &collection,
        "colour",
        40,
        json!({
            "id": "<id>", "collection": collection, "field": "colour", "special": null,
            "interface": null, "options": null, "display": null, "display_options": null,
            "readonly": false, "hidden": false, "sort": null, "width": "full",
            "translations": null, "note": "a colour", "conditions": null, "required": false,
            "group": null, "validation": null, "validation_message": null, "searchable": true,
        }),
    );
    let items = updated.items();
    assert_eq!(items.len(), 1, "{}", updated.stdout);
    assert!(
        items[0]["json"]["meta"]["id"].is_i64(),
        "{}",
        updated.stdout
    );
    want["meta"]["id"] = items[0]["json"]["meta"]["id"].clone();
    assert_eq!(items, paired(0, [want.clone()]));

    // The JSON/RAW body.
    let updated = node.ok(
        "fields",
        "update",
        &json!({
            "collection": collection,
            "field": "colour",
            "jsonParameters": true,
            "bodyParametersJson": "{\"meta\": {\"note\": \"raw\"}}",
        }),
        &input(json!({})),
    );
    want["meta"]["note"] = json!("raw");
    assert_eq!(updated.items(), paired(0, [want]));

    let deleted = node.ok(
        "fields",
        "delete",
        &json!({"collection": "={{ $json.collection }}", "field": "={{ $json.field }}"}),
        &updated.stdout,
    );
    assert_eq!(deleted.items(), success(0));
    directus.admin(
        Method::GET,
        &format!("/fields/{collection}/colour"),
        None,
        403,
    );

    // The community node's default type (bigInteger), and a JSON/RAW body with meta.
    let created = node.ok(
        "fields",
        "create",
        &json!({"collection": collection, "field": "big"}),
        &input(json!({})),
    );
    let mut big = string_field(&collection, "big", 0, json!(null));
    big["type"] = json!("bigInteger");
    big["schema"]["data_type"] = json!("bigint");
    big["schema"]["max_length"] = json!(null);
    assert_eq!(created.items(), paired(0, [big]));
    let created = node.ok(
        "fields",
        "create",
        &json!({
            "collection": collection,
            "jsonParameters": true,
            "bodyParametersJson": "{\"field\": \"amount\", \"type\": \"integer\", \"meta\": {\"note\": \"money\"}}",
        }),
        &input(json!({})),
    );
    let items = created.items();
    assert_eq!(items.len(), 1, "{}", created.stdout);
    let meta = &items[0]["json"]["meta"];
    assert!(meta["id"].is_i64() && meta["sort"].is_i64(), "{meta}");
    let mut amount = string_field(
        &collection,
        "amount",
        0,
        json!({
            "id": meta["id"], "collection": collection, "field": "amount", "special": null,
            "interface": null, "options": null, "display": null, "display_options": null,
            "readonly": false, "hidden": false, "sort": meta["sort"], "width": "full",
            "translations": null, "note": "money", "conditions": null, "required": false,
            "group": null, "validation": null, "validation_message": null, "searchable": true,
        }),
    );
    amount["type"] = json!("integer");
    amount["schema"]["data_type"] = json!("integer");
    amount["schema"]["max_length"] = json!(null);
    assert_eq!(items, paired(0, [amount]));
}

// ---------------------------------------------------------------------------------------------
// Activity and revisions of the changes the node made

#[test]
fn activity_and_revisions_of_changes() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "activity");
    let collection = directus.table("activity");

    // Changes made by the node: two creates, an update, a delete.
    let created = node.ok(
        "items",
        "create",
        &json!({"collection": collection, "data": "={\"title\": \"{{ $json.title }}\"}"}),
        &ndjson(&[json!({"title": "one"}), json!({"title": "two"})]),
    );
    let lines = created.lines();
    node.ok(
        "items",
        "update",
        &json!({"collection": collection, "id": "={{ $json.id }}", "data": "{\"rank\": 4}"}),
        lines[0],
    );
    node.ok(
        "items",
        "delete",
        &json!({"collection": collection, "id": "={{ $json.id }}"}),
        lines[1],
    );

    let filter = json!({"collection": {"_eq": collection}});
    let activity = node.ok(
        "activity",
        "list",
        &json!({"additionalFields": {"filter": filter, "sort": "id", "fields": "id,action,item,collection,user_agent,revisions"}}),
        &input(json!({})),
    );
    let found = jsons(&activity);
    assert_eq!(
        found
            .iter()
            .map(|a| json!([a["action"], a["item"], a["collection"], a["user_agent"]]))
            .collect::<Vec<_>>(),
        [
            json!(["create", "1", collection, USER_AGENT]),
            json!(["create", "2", collection, USER_AGENT]),
            json!(["update", "1", collection, USER_AGENT]),
            json!(["delete", "2", collection, USER_AGENT]),
        ]
    );

    // Activity → Get with the numeric id from the list.
    let got = node.ok(
        "activity",
        "get",
        &json!({"id": "={{ $json.id }}"}),
        &activity.stdout,
    );
    let got_items = got.items();
    assert_eq!(got_items.len(), 4, "{}", got.stdout);
    for (index, (item, listed)) in got_items.iter().zip(&found).enumerate() {
        assert_eq!(
            normalized(item),
            json!({
                "json": {
                    "id": listed["id"], "action": listed["action"], "user": "<uuid>",
                    "timestamp": "<timestamp>", "ip": "127.0.0.1", "user_agent": USER_AGENT,
                    "collection": collection, "item": listed["item"], "origin": null,
                    "revisions": listed["revisions"],
                },
                "pairedItem": {"item": index},
            })
        );
    }

    // Revisions → Get with the id of each change's revision (a delete has none). A create's
    // revision holds what was sent, an update's the whole record after it.
    let with_revision: String = activity
        .lines()
        .iter()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let revisions = node.ok(
        "revisions",
        "get",
        &json!({"id": "={{ $json.revisions[0] }}"}),
        &with_revision,
    );
    let revision = |index: usize, item: &str, data: Value, delta: Value| {
        json!({
            "json": {
                "id": found[index]["revisions"][0], "activity": found[index]["id"],
                "collection": collection, "item": item, "data": data, "delta": delta,
                "parent": null, "version": null,
            },
            "pairedItem": {"item": index},
        })
    };
    assert_eq!(
        revisions.items(),
        [
            revision(0, "1", json!({"title": "one"}), json!({"title": "one"})),
            revision(1, "2", json!({"title": "two"}), json!({"title": "two"})),
            revision(
                2,
                "1",
                json!({"id": 1, "title": "one", "rank": 4, "sort": null}),
                json!({"rank": 4})
            ),
        ]
    );

    let listed = node.ok(
        "revisions",
        "list",
        &json!({
            "returnAll": false,
            "limit": 2,
            "additionalFields": {"filter": filter.to_string(), "sort": "-id", "fields": "item,delta"},
        }),
        &input(json!({})),
    );
    assert_eq!(
        listed.items(),
        paired(
            0,
            [
                json!({"item": "1", "delta": {"rank": 4}}),
                json!({"item": "2", "delta": {"title": "two"}}),
            ]
        )
    );
}

#[test]
fn activity_and_revisions_return_all() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "activity_all");
    let collection = directus.table("activity_all");
    seed(
        &directus,
        &format!("/items/{collection}"),
        "rank",
        (1..=MANY).map(|i| json!({"rank": i})).collect(),
    );
    let items: Vec<Value> = (1..=MANY).map(|i| json!(i.to_string())).collect();
    let filter = json!({"collection": {"_eq": collection}});
    for resource in ["activity", "revisions"] {
        let out = node.ok(
            resource,
            "list",
            &json!({"returnAll": true, "additionalFields": {"filter": filter, "sort": "id", "fields": "item"}}),
            &input(json!({})),
        );
        assert_eq!(column(&out, "item"), items, "{resource}");
        let out = node.ok(
            resource,
            "list",
            &json!({
                "jsonParameters": true,
                "bodyParametersJson": json!({"filter": filter, "sort": "-id", "fields": "item", "limit": 2}).to_string(),
            }),
            &input(json!({})),
        );
        assert_eq!(
            out.items(),
            paired(
                0,
                [
                    json!({"item": MANY.to_string()}),
                    json!({"item": (MANY - 1).to_string()})
                ]
            ),
            "{resource}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Settings, server, utils, extensions

#[test]
fn settings_get_and_update() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "settings");
    let _saved = directus.save_settings("project_descriptor");

    let got = node.ok(
        "settings",
        "get",
        &json!({"additionalFields": {"fields": "project_name,project_color"}}),
        &input(json!({})),
    );
    assert_eq!(
        got.items(),
        paired(
            0,
            [json!({"project_name": "Directus", "project_color": "#6644FF"})]
        )
    );
    let raw = node.ok(
        "settings",
        "get",
        &json!({"jsonParameters": true, "queryParametersJson": "{\"fields\": \"project_name\"}"}),
        &input(json!({})),
    );
    assert_eq!(
        raw.items(),
        paired(0, [json!({"project_name": "Directus"})])
    );

    let updated = node.ok(
        "settings",
        "update",
        &json!({
            "data": "={\"project_descriptor\": \"{{ $json.project_name }} via noderun\"}",
            "additionalFields": {"fields": "project_name,project_descriptor"},
        }),
        &got.stdout,
    );
    assert_eq!(
        updated.items(),
        paired(
            0,
            [json!({"project_name": "Directus", "project_descriptor": "Directus via noderun"})]
        )
    );

    // The JSON/RAW query of Settings → Update: the query as JSON, the body from `data`.
    let updated = node.ok(
        "settings",
        "update",
        &json!({
            "jsonParameters": true,
            "queryParametersJson": "{\"fields\": \"project_descriptor\"}",
            "data": "={\"project_descriptor\": \"{{ $json.project_descriptor }}, again\"}",
        }),
        &updated.stdout,
    );
    assert_eq!(
        updated.items(),
        paired(
            0,
            [json!({"project_descriptor": "Directus via noderun, again"})]
        )
    );
}

#[test]
fn server_ping_health_info_and_specs() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "server");
    let none = input(json!({}));

    let out = node.ok("server", "ping", &json!({}), &none);
    assert_eq!(out.items(), paired(0, [json!({"data": "pong"})]));

    // Health: the observed values (response times, connections of the pool in use at that
    // moment) vary, and so does the status of a timed check and of the whole: "warn" when a
    // response time exceeds its threshold (a busy machine). Everything else is exact.
    let out = node.ok("server", "health", &json!({}), &none);
    let mut health = out.items();
    assert_eq!(health.len(), 1, "{}", out.stdout);
    let ok_or_warn = |status: &mut Value| {
        assert!(
            *status == json!("ok") || *status == json!("warn"),
            "{status}"
        );
        *status = json!("<ok or warn>");
    };
    ok_or_warn(&mut health[0]["json"]["status"]);
    for check in health[0]["json"]["checks"]
        .as_object_mut()
        .expect("checks")
        .values_mut()
    {
        let check = &mut check[0];
        if let Some(value) = check.get_mut("observedValue") {
            assert!(value.is_number(), "{value}");
            *value = json!("<observed>");
        }
        if check.get("threshold").is_some() {
            ok_or_warn(&mut check["status"]);
        }
    }
    let observed = |component: &str, unit_and_threshold: Option<(&str, u32)>| {
        let mut check =
            json!({"status": "ok", "componentType": component, "observedValue": "<observed>"});
        if let Some((unit, threshold)) = unit_and_threshold {
            check["observedUnit"] = json!(unit);
            check["threshold"] = json!(threshold);
            check["status"] = json!("<ok or warn>");
        }
        json!([check])
    };
    assert_eq!(
        health,
        paired(
            0,
            [json!({
                "status": "<ok or warn>", "releaseId": "12.4.0", "serviceId": directus.url,
                "checks": {
                    "sqlite3:responseTime": observed("datastore", Some(("ms", 150))),
                    "sqlite3:connectionsAvailable": observed("datastore", None),
                    "sqlite3:connectionsUsed": observed("datastore", None),
                    "storage:local:responseTime": observed("objectstore", Some(("ms", 750))),
                    "email:connection": [{"status": "ok", "componentType": "email"}],
                },
            })]
        )
    );

    // Info: exactly what Directus answers.
    let out = node.ok("server", "info", &json!({}), &none);
    let raw = directus.admin(Method::GET, "/server/info", None, 200);
    assert_eq!(out.items(), paired(0, [raw["data"].clone()]));
    assert_eq!(
        out.items()[0]["json"]["project"]["project_name"],
        json!("Directus")
    );

    // The OpenAPI document and the GraphQL schema describe every table, and other tests make
    // and drop tables meanwhile: their fixed parts are asserted exactly, and that they
    // describe this test's own table. The document's `info.version` differs on every request.
    let collection = directus.table("specs");
    let out = node.ok("server", "getOpenAPI", &json!({}), &none);
    let mut items = out.items();
    assert_eq!(items.len(), 1, "{}", out.stdout);
    assert_eq!(items[0]["pairedItem"], json!({"item": 0}));
    let document = &mut items[0]["json"];
    let version = document["info"]["version"].as_str().unwrap_or_default();
    assert!(
        version.len() == 40 && version.chars().all(|c| c.is_ascii_hexdigit()),
        "{version}"
    );
    document["info"]["version"] = json!("<version>");
    assert_eq!(document["openapi"], json!("3.0.1"));
    assert_eq!(
        document["info"],
        json!({
            "title": "Dynamic API Specification",
            "description": "This is a dynamically generated API specification for all endpoints existing on the current project.",
            "version": "<version>",
        })
    );
    assert_eq!(
        document["servers"],
        json!([{"url": directus.url, "description": "Your current Directus instance."}])
    );
    for path in [
        "/server/info".to_string(),
        format!("/items/{collection}"),
        format!("/items/{collection}/{{id}}"),
    ] {
        assert!(
            document["paths"].get(&path).is_some(),
            "{path} not in the document"
        );
    }

    let out = node.ok("server", "getGraphQL", &json!({}), &none);
    let items = out.items();
    assert_eq!(items.len(), 1, "{}", out.stdout);
    assert_eq!(items[0]["pairedItem"], json!({"item": 0}));
    let sdl = items[0]["json"]["data"].as_str().unwrap_or_default();
    assert!(sdl.starts_with("type Query {\n"), "{sdl}");
    assert!(
        sdl.contains(&format!(
            "\n  {collection}_by_id(id: ID!, version: String): {collection}\n"
        )),
        "{sdl}"
    );
}

#[test]
fn utils_random_string_clear_cache_and_sort() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "utils");

    let out = node.ok(
        "utils",
        "getRandomString",
        &json!({"additionalFields": {"length": "={{ $json.length }}"}}),
        &ndjson(&[json!({"length": 10}), json!({"length": 40})]),
    );
    let strings = column(&out, "data");
    assert_eq!(strings.len(), 2, "{}", out.stdout);
    let lengths: Vec<usize> = strings
        .iter()
        .map(|s| s.as_str().map_or(0, str::len))
        .collect();
    assert_eq!(lengths, [10, 40], "{}", out.stdout);
    let out = node.ok("utils", "getRandomString", &json!({}), &input(json!({})));
    assert_eq!(
        out.items()[0]["json"]["data"].as_str().map(str::len),
        Some(32)
    );

    let out = node.ok("utils", "clearCache", &json!({}), &input(json!({})));
    assert_eq!(out.items(), success(0));

    // Sort Items: a collection with a sort field; item 3 moves to where item 1 is.
    let collection = directus.table("sort");
    seed(
        &directus,
        &format!("/items/{collection}"),
        "title",
        (1..=3)
            .map(|i| json!({"title": format!("t{i}"), "sort": i}))
            .collect(),
    );
    let out = node.ok(
        "utils",
        "sortItems",
        &json!({"collection": collection, "item": "={{ $json.id }}", "to": "={{ $json.to }}"}),
        &input(json!({"id": 3, "to": 1})),
    );
    assert_eq!(out.items(), success(0));
    let order = directus.admin(
        Method::GET,
        &format!("/items/{collection}?fields=id&sort=sort"),
        None,
        200,
    );
    assert_eq!(order, json!({"data": [{"id": 3}, {"id": 1}, {"id": 2}]}));
}

#[test]
fn extensions_list() {
    let directus = Directus::connect();
    let node = Node::new(&directus, "extensions");
    // The server has no extensions installed: no item, for every type the community node offers.
    for kind in ["displays", "interfaces", "layouts", "modules"] {
        let out = node.ok(
            "extensions",
            "list",
            &json!({"type": kind}),
            &input(json!({})),
        );
        assert_eq!(out.stdout, "", "{kind}");
    }
    let out = node.ok("extensions", "list", &json!({}), &input(json!({})));
    assert_eq!(out.stdout, "");
}
