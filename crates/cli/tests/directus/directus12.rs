//! End to end against REAL Directus 12.4 servers: the parts of Directus 11 and 12 that neither
//! the community node nor the official one covers (flows and their operations, comments,
//! policies and access, content versions, schema migration between two servers, shares,
//! notifications, dashboards, panels, translations, my permissions and roles, reverting a
//! revision, public registration), every operation run through the `noderun` binary as a user
//! runs it, against the servers `scripts/test` starts (NODERUN_TEST_DIRECTUS_URL and, for the
//! migration, the fresh NODERUN_TEST_DIRECTUS2_URL; see `support::directus`).
//!
//! Each test makes its own collections, users and records with unique names, so the tests are
//! independent of each other and of earlier runs against the same server. Outputs are asserted
//! exactly: whole items where the server's answer is known, else the exact keys and every value
//! that is not a fresh id or a timestamp.

use crate::support;

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, schema_lock, unique, unique_email};
use support::{Out, assert_output, error_item, keys, run_directus};

const SUCCESS: &str = r#"{"json":{"success":true},"pairedItem":{"item":0}}"#;
const FORBIDDEN: &str = "You don't have permission to access this. (HTTP 403, FORBIDDEN)";

/// `run directus --resource R --operation O --parameters P --credentials C -q`, with
/// `--continue-on-fail` when asked, on `input` (NDJSON).
fn run(
    credentials: &Path,
    resource: &str,
    operation: &str,
    parameters: &Value,
    input: &[Value],
    continue_on_fail: bool,
) -> Out {
    let extra: &[&str] = if continue_on_fail {
        &["--continue-on-fail"]
    } else {
        &[]
    };
    run_directus(resource, operation, parameters, credentials, input, extra)
}

/// The `json` of every output item of a run that must succeed, checking that each is paired
/// with the input index `paired` gives for it.
fn outputs(out: &Out, paired: &[usize]) -> Vec<Value> {
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (0, ""),
        "stdout: {}",
        out.stdout
    );
    let items = out.items();
    assert_eq!(items.len(), paired.len(), "{}", out.stdout);
    items
        .iter()
        .zip(paired)
        .map(|(item, &index)| assert_output(item, index).clone())
        .collect()
}

/// A run on one input item `{}`.
fn run_once(
    credentials: &Path,
    resource: &str,
    operation: &str,
    parameters: &Value,
    continue_on_fail: bool,
) -> Out {
    let input = [json!({})];
    run(
        credentials,
        resource,
        operation,
        parameters,
        &input,
        continue_on_fail,
    )
}

/// The items one input item `{}` gives (all paired with it).
fn many(credentials: &Path, resource: &str, operation: &str, parameters: Value) -> Vec<Value> {
    let out = run_once(credentials, resource, operation, &parameters, false);
    let count = out.items().len();
    outputs(&out, &vec![0; count])
}

/// The one item one input item `{}` gives.
fn one(credentials: &Path, resource: &str, operation: &str, parameters: Value) -> Value {
    let mut items = many(credentials, resource, operation, parameters);
    assert_eq!(items.len(), 1, "{resource} {operation}: {items:?}");
    items.remove(0)
}

/// The whole output of a run on one input item `{}` with continue-on-fail: one line.
fn single_line(credentials: &Path, resource: &str, operation: &str, parameters: Value) -> Value {
    let out = run_once(credentials, resource, operation, &parameters, true);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (0, ""),
        "stdout: {}",
        out.stdout
    );
    let mut items = out.items();
    assert_eq!(items.len(), 1, "{}", out.stdout);
    items.remove(0)
}

/// A run on one input item `{}` whose whole output is `{"success": true}` (Directus's 204).
fn succeeds(credentials: &Path, resource: &str, operation: &str, parameters: Value) {
    let out = run_once(credentials, resource, operation, &parameters, false);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, format!("{SUCCESS}\n").as_str(), ""),
        "{resource} {operation}"
    );
}

/// Deletes a record through noderun and checks it is gone (Directus answers 403 for what does
/// not exist).
fn delete(credentials: &Path, resource: &str, id: &str) {
    succeeds(credentials, resource, "delete", json!({"id": id}));
    assert_eq!(
        single_line(credentials, resource, "get", json!({"id": id})),
        forbidden(),
        "{resource}"
    );
}

fn forbidden() -> Value {
    error_item(0, FORBIDDEN, 403, "FORBIDDEN")
}

/// A string value of an output.
fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_string()
}

/// A new collection (auto-increment `id`, string `title`), with content versioning when asked,
/// and items with the given titles (ids 1, 2, ...). Returns its name.
fn collection(directus: &Directus, tag: &str, versioning: bool, titles: &[&str]) -> String {
    let name = format!("e2e_{tag}_{}", unique("").replace('-', "_"));
    {
        let _schema = schema_lock();
        directus.create_collection(json!({
            "collection": name,
            "meta": {"versioning": versioning, "note": "noderun e2e"},
            "schema": {},
            "fields": [
                {"field": "id", "type": "integer", "meta": {"hidden": true},
                 "schema": {"is_primary_key": true, "has_auto_increment": true}},
                {"field": "title", "type": "string", "meta": {"interface": "input"},
                 "schema": {"max_length": 200}},
            ],
        }));
    }
    for title in titles {
        directus.admin(
            Method::POST,
            &format!("/items/{name}?fields=id"),
            Some(json!({"title": title})),
            200,
        );
    }
    name
}

fn title_of(directus: &Directus, collection: &str, id: u64) -> Value {
    directus.admin(
        Method::GET,
        &format!("/items/{collection}/{id}?fields=title"),
        None,
        200,
    )["data"]["title"]
        .clone()
}

// ---------------------------------------------------------------------------------------------
// Flows

#[test]
fn a_webhook_flow_with_a_script_is_built_triggered_and_removed_through_noderun() {
    let directus = Directus::connect();
    let creds = directus.admin_credentials_file("d12-flows", "admin");
    let name = unique("e2e-flow-");

    // The flow, then its one step: a script returning what the trigger received.
    let flow = one(
        &creds,
        "flows",
        "create",
        json!({"data": {
            "name": name, "trigger": "webhook", "status": "active", "accountability": "all",
            "options": {"method": "POST", "async": false, "return": "$last"},
        }}),
    );
    assert_eq!(
        keys(&flow),
        [
            "accountability",
            "color",
            "date_created",
            "description",
            "folder",
            "icon",
            "id",
            "name",
            "operation",
            "operations",
            "options",
            "status",
            "trigger",
            "user_created"
        ]
    );
    assert_eq!(
        (&flow["name"], &flow["trigger"], &flow["operation"]),
        (&json!(name), &json!("webhook"), &Value::Null)
    );
    assert_eq!(flow["operations"], json!([]));
    let flow_id = text(&flow["id"]);

    let script = "module.exports = async function (data) { const t = data.$trigger; \
                  return { method: t.method, body: t.body, query: t.query, \
                  sum: (t.body.a || 0) + (t.body.b || 0) }; }";
    let step = one(
        &creds,
        "operations",
        "create",
        json!({"data": {
            "flow": flow_id, "name": "Script", "key": "script", "type": "exec",
            "position_x": 19, "position_y": 1, "options": {"code": script},
        }}),
    );
    let step_id = text(&step["id"]);
    assert_eq!(
        keys(&step),
        [
            "date_created",
            "flow",
            "id",
            "key",
            "name",
            "options",
            "position_x",
            "position_y",
            "reject",
            "resolve",
            "type",
            "user_created"
        ]
    );
    assert_eq!(
        (&step["flow"], &step["type"], &step["options"]["code"]),
        (&json!(flow_id), &json!("exec"), &json!(script))
    );
    assert_eq!(
        one(&creds, "operations", "get", json!({"id": step_id})),
        step
    );
    let renamed = one(
        &creds,
        "operations",
        "update",
        json!({"id": step_id, "data": {"name": "Sum"}}),
    );
    assert_eq!(renamed["name"], json!("Sum"));
    assert_eq!(
        many(
            &creds,
            "operations",
            "list",
            json!({"additionalFields": {"filter": {"flow": {"_eq": flow_id}}, "fields": "id,name,flow"}})
        ),
        [json!({"id": step_id, "name": "Sum", "flow": flow_id})]
    );

    // The step becomes the flow's first.
    let linked = one(
        &creds,
        "flows",
        "update",
        json!({"id": flow_id, "data": {"operation": step_id}}),
    );
    assert_eq!(
        (&linked["operation"], &linked["operations"]),
        (&json!(step_id), &json!([step_id]))
    );
    assert_eq!(
        one(
            &creds,
            "flows",
            "get",
            json!({"id": flow_id, "additionalFields": {"fields": "id,name,operation"}})
        ),
        json!({"id": flow_id, "name": name, "operation": step_id})
    );
    assert_eq!(
        many(
            &creds,
            "flows",
            "list",
            json!({"returnAll": false, "limit": 5,
                   "additionalFields": {"filter": {"name": {"_eq": name}}, "fields": "id,trigger"}})
        ),
        [json!({"id": flow_id, "trigger": "webhook"})]
    );

    // Triggered with a body per item and a query: the flow's result is the output.
    let out = run(
        &creds,
        "flows",
        "trigger",
        &json!({"id": "={{ $json.flow }}", "data": "={{ $json.body }}",
                "additionalFields": {"query": {"parameters": [{"name": "source", "value": "noderun"}]}}}),
        &[
            json!({"flow": flow_id, "body": {"a": 1, "b": 2}}),
            json!({"flow": flow_id, "body": {"a": 40, "b": 2, "note": "x"}}),
        ],
        false,
    );
    assert_eq!(
        outputs(&out, &[0, 1]),
        [
            json!({"method": "POST", "body": {"a": 1, "b": 2}, "query": {"source": "noderun"}, "sum": 3}),
            json!({"method": "POST", "body": {"a": 40, "b": 2, "note": "x"}, "query": {"source": "noderun"}, "sum": 42}),
        ]
    );

    // The same flow with a GET trigger: no body, the query only.
    one(
        &creds,
        "flows",
        "update",
        json!({"id": flow_id, "data": {"options": {"method": "GET", "async": false, "return": "$last"}}}),
    );
    assert_eq!(
        one(
            &creds,
            "flows",
            "trigger",
            json!({"id": flow_id, "additionalFields": {"method": "GET",
                   "query": {"parameters": [{"name": "x", "value": 1}]}}})
        ),
        json!({"method": "GET", "body": {}, "query": {"x": "1"}, "sum": 0})
    );

    succeeds(&creds, "operations", "delete", json!({"id": step_id}));
    delete(&creds, "flows", &flow_id);
    assert_eq!(
        single_line(&creds, "flows", "trigger", json!({"id": flow_id})),
        forbidden()
    );
}

// ---------------------------------------------------------------------------------------------
// Schema

/// The collections, fields and relations of a snapshot, each list sorted, for comparing the
/// schemas of two servers.
fn schema_of(snapshot: &Value) -> Value {
    let sorted = |key: &str| {
        let mut entries = snapshot[key]
            .as_array()
            .unwrap_or_else(|| panic!("no {key} in the snapshot: {snapshot}"))
            .clone();
        entries.sort_by_key(|e| format!("{}/{}", e["collection"], e["field"]));
        Value::Array(entries)
    };
    json!({"collections": sorted("collections"), "fields": sorted("fields"), "relations": sorted("relations")})
}

#[test]
fn a_schema_snapshot_of_one_server_diffed_and_applied_to_a_fresh_second_one() {
    let first = Directus::connect();
    let second = Directus::connect_second();
    let from = first.admin_credentials_file("d12-schema", "first");
    let to = second.admin_credentials_file("d12-schema", "second");
    let articles = collection(&first, "schema", true, &[]);
    let _articles = first.dropping(&articles);
    // (and its copy on the second server)
    let _copied = second.dropping(&articles);
    let own = collection(&second, "second_only", false, &[]);
    let _own = second.dropping(&own);
    {
        let _schema = schema_lock();
        first.admin(
            Method::POST,
            &format!("/fields/{articles}?fields=field"),
            Some(json!({"field": "author", "type": "uuid", "meta": {"interface": "select-dropdown-m2o", "special": ["m2o"]}})),
            200,
        );
        first.admin(
            Method::POST,
            "/relations?fields=collection",
            Some(json!({"collection": articles, "field": "author", "related_collection": "directus_users"})),
            200,
        );
    }

    // Snapshot → diff on the second server → apply there, piped item to item.
    let snapshot = one(&from, "schema", "snapshot", json!({}));
    assert_eq!(
        keys(&snapshot),
        [
            "collections",
            "directus",
            "fields",
            "relations",
            "systemFields",
            "vendor",
            "version"
        ]
    );
    assert_eq!(
        (
            &snapshot["version"],
            &snapshot["directus"],
            &snapshot["vendor"]
        ),
        (&json!(1), &json!("12.4.0"), &json!("sqlite"))
    );
    let mine: Vec<&Value> = snapshot["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter(|f| f["collection"] == json!(articles))
        .map(|f| &f["field"])
        .collect();
    assert_eq!(mine, [&json!("id"), &json!("title"), &json!("author")]);
    // Only this test's collection goes on: the snapshot also holds the collections of the tests
    // running beside this one, which the second server must not receive (they are deleted
    // there by no one, and the licence counts them).
    let mut snapshot = snapshot;
    for key in ["collections", "fields", "relations"] {
        snapshot[key]
            .as_array_mut()
            .expect("a list")
            .retain(|e| e["collection"] == json!(articles));
    }

    // Mirror (the default): the second server would become the first, its own collection
    // deleted. Merge: additions and changes only.
    let diff = |extra: Value| {
        let mut parameters = json!({"data": "={{ $json }}"});
        parameters
            .as_object_mut()
            .expect("an object")
            .extend(extra.as_object().expect("an object").clone());
        let out = run(
            &to,
            "schema",
            "diff",
            &parameters,
            std::slice::from_ref(&snapshot),
            false,
        );
        let diff = outputs(&out, &[0]).remove(0);
        assert_eq!(keys(&diff), ["diff", "hash"]);
        assert_eq!(text(&diff["hash"]).len(), 40, "{diff}");
        diff
    };
    let kind = |diff: &Value, collection: &str| {
        diff["diff"]["collections"]
            .as_array()
            .expect("collections")
            .iter()
            .find(|c| c["collection"] == json!(collection))
            .map(|c| c["diff"][0]["kind"].clone())
    };
    let mirror = diff(json!({}));
    assert_eq!(kind(&mirror, &articles), Some(json!("N")));
    assert_eq!(kind(&mirror, &own), Some(json!("D")));
    let merge = diff(json!({"additionalFields": {"mode": "merge"}}));
    assert_eq!(kind(&merge, &articles), Some(json!("N")));
    assert_eq!(kind(&merge, &own), None);

    let out = run(
        &to,
        "schema",
        "apply",
        &json!({"data": "={{ $json }}"}),
        &[merge],
        false,
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, format!("{SUCCESS}\n").as_str()),
        "{}",
        out.stderr
    );

    // The second server now has the first one's collections, fields and relations, and kept
    // its own.
    let again = one(&to, "schema", "snapshot", json!({}));
    let theirs: Vec<&Value> = snapshot["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .map(|c| &c["collection"])
        .collect();
    let mut same_collections = again.clone();
    for key in ["collections", "fields", "relations"] {
        same_collections[key]
            .as_array_mut()
            .expect("a list")
            .retain(|e| theirs.contains(&&e["collection"]));
    }
    assert_eq!(schema_of(&same_collections), schema_of(&snapshot));
    assert!(
        again["collections"]
            .as_array()
            .expect("collections")
            .iter()
            .any(|c| c["collection"] == json!(own)),
        "{own} is gone"
    );

    // A partial snapshot of the new collection is the same on both servers.
    let partial = json!({"additionalFields": {"includeCollections": articles}});
    let here = one(&from, "schema", "snapshot", partial.clone());
    let there = one(&to, "schema", "snapshot", partial);
    assert_eq!(here["version"], json!(2));
    assert_eq!(here["collections"].as_array().map(Vec::len), Some(1));
    assert_eq!(schema_of(&here), schema_of(&there));

    // Nothing is left to merge (Directus answers 204), also when forced.
    let out = run(
        &to,
        "schema",
        "diff",
        &json!({"data": "={{ $json }}", "force": true, "additionalFields": {"mode": "merge"}}),
        &[snapshot],
        false,
    );
    assert_eq!(out.stdout, format!("{SUCCESS}\n"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// Content versions

#[test]
fn a_content_version_is_created_saved_into_compared_and_promoted() {
    let directus = Directus::connect();
    let creds = directus.admin_credentials_file("d12-versions", "admin");
    let articles = collection(&directus, "versions", true, &["Original"]);
    let _articles = directus.dropping(&articles);

    let version = one(
        &creds,
        "versions",
        "create",
        json!({"data": {"collection": articles, "item": "1", "key": "draft", "name": "Draft"}}),
    );
    assert_eq!(
        keys(&version),
        [
            "collection",
            "date_created",
            "date_updated",
            "delta",
            "hash",
            "id",
            "item",
            "key",
            "name",
            "user_created",
            "user_updated"
        ]
    );
    assert_eq!(
        (
            &version["collection"],
            &version["item"],
            &version["key"],
            &version["delta"]
        ),
        (&json!(articles), &json!("1"), &json!("draft"), &Value::Null)
    );
    let id = text(&version["id"]);
    assert_eq!(
        one(&creds, "versions", "get", json!({"id": id}))["id"],
        json!(id)
    );
    assert_eq!(
        one(
            &creds,
            "versions",
            "update",
            json!({"id": id, "data": {"name": "Spring draft"}})
        )["name"],
        json!("Spring draft")
    );
    assert_eq!(
        many(
            &creds,
            "versions",
            "list",
            json!({"additionalFields": {"filter": {"collection": {"_eq": articles}}, "fields": "id,key,name"}})
        ),
        [json!({"id": id, "key": "draft", "name": "Spring draft"})]
    );

    // Save: the output is the item with the saved changes; the main item is unchanged.
    let saved = one(
        &creds,
        "versions",
        "save",
        json!({"id": id, "data": "{\"title\": \"Revised\"}"}),
    );
    assert_eq!(keys(&saved), ["_date", "_user", "id", "title"]);
    assert_eq!(
        (&saved["id"], &saved["title"]),
        (&json!(1), &json!("Revised"))
    );
    assert_eq!(title_of(&directus, &articles, 1), json!("Original"));

    let compared = one(&creds, "versions", "compare", json!({"id": id}));
    assert_eq!(keys(&compared), ["current", "main", "mainHash", "outdated"]);
    assert_eq!(compared["outdated"], json!(false));
    assert_eq!(compared["current"]["title"], json!("Revised"));
    assert_eq!(compared["main"], json!({"id": 1, "title": "Original"}));
    assert_eq!(text(&compared["mainHash"]).len(), 40, "{compared}");

    // Promote with the hash Compare gave (by expression from its output).
    let out = run(
        &creds,
        "versions",
        "promote",
        &json!({"id": id, "mainHash": "={{ $json.mainHash }}", "additionalFields": {"fields": "title"}}),
        std::slice::from_ref(&compared),
        false,
    );
    assert_eq!(outputs(&out, &[0]), [json!({"data": "1"})]);
    assert_eq!(title_of(&directus, &articles, 1), json!("Revised"));

    // The main item changed since that hash: refused.
    let out = run(
        &creds,
        "versions",
        "promote",
        &json!({"id": id, "mainHash": "={{ $json.mainHash }}"}),
        &[compared],
        true,
    );
    assert_eq!(
        out.items(),
        [error_item(
            0,
            "Main item has changed since this version was last updated. (HTTP 422, VERSION_HASH_MISMATCH)",
            422,
            "VERSION_HASH_MISMATCH"
        )]
    );

    delete(&creds, "versions", &id);
}

// ---------------------------------------------------------------------------------------------
// Comments

#[test]
fn comments_are_made_on_items_listed_edited_and_deleted() {
    let directus = Directus::connect();
    let creds = directus.admin_credentials_file("d12-comments", "admin");
    let articles = collection(&directus, "comments", false, &["One", "Two"]);
    let _articles = directus.dropping(&articles);
    let admin_id =
        directus.admin(Method::GET, "/users/me?fields=id", None, 200)["data"]["id"].clone();

    let out = run(
        &creds,
        "comments",
        "create",
        &json!({"collection": articles, "item": "={{ $json.id }}", "comment": "={{ $json.text }}"}),
        &[
            json!({"id": 1, "text": "First!"}),
            json!({"id": 2, "text": "Looks **good**"}),
        ],
        false,
    );
    let made = outputs(&out, &[0, 1]);
    for (comment, (item, words)) in made.iter().zip([("1", "First!"), ("2", "Looks **good**")]) {
        assert_eq!(
            keys(comment),
            [
                "collection",
                "comment",
                "date_created",
                "date_updated",
                "id",
                "item",
                "user_created",
                "user_updated"
            ]
        );
        assert_eq!(
            (
                &comment["collection"],
                &comment["item"],
                &comment["comment"]
            ),
            (&json!(articles), &json!(item), &json!(words))
        );
        assert_eq!(comment["user_created"], admin_id);
    }
    let listed = many(
        &creds,
        "comments",
        "list",
        json!({"additionalFields": {"filter": {"collection": {"_eq": articles}}, "sort": "item"}}),
    );
    assert_eq!(listed, made);
    let first = text(&made[0]["id"]);
    assert_eq!(
        one(&creds, "comments", "get", json!({"id": first})),
        made[0]
    );

    let edited = one(
        &creds,
        "comments",
        "update",
        json!({"id": first, "comment": "First, edited"}),
    );
    assert_eq!(
        (&edited["comment"], &edited["user_updated"], &edited["item"]),
        (&json!("First, edited"), &admin_id, &json!("1"))
    );
    succeeds(&creds, "comments", "delete", json!({"id": first}));
    assert_eq!(
        many(
            &creds,
            "comments",
            "list",
            json!({"additionalFields": {"filter": {"collection": {"_eq": articles}}, "fields": "item,comment"}})
        ),
        [json!({"item": "2", "comment": "Looks **good**"})]
    );
}

// ---------------------------------------------------------------------------------------------
// The plain resources: list, get, create, update, delete

/// One resource's round: what to create, what to change.
struct Round {
    resource: &'static str,
    create: Value,
    update: Value,
}

/// create → get (the same) → update (the changes) → list by id (the updated one) → delete →
/// get (forbidden: Directus says so for what does not exist).
fn round(creds: &Path, r: &Round) {
    let resource = r.resource;
    let created = one(creds, resource, "create", json!({"data": r.create}));
    for (key, value) in r.create.as_object().expect("an object") {
        assert_eq!(&created[key], value, "{resource} {key}: {created}");
    }
    let id = created["id"].clone();
    let id_text = match &id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    assert_eq!(
        one(creds, resource, "get", json!({"id": id_text})),
        created,
        "{resource}"
    );
    let updated = one(
        creds,
        resource,
        "update",
        json!({"id": id_text, "data": r.update.to_string()}),
    );
    assert_eq!(keys(&updated), keys(&created), "{resource}");
    for (key, value) in r.update.as_object().expect("an object") {
        assert_eq!(&updated[key], value, "{resource} {key}: {updated}");
    }
    assert_eq!(
        many(
            creds,
            resource,
            "list",
            json!({"returnAll": false, "limit": 10,
                   "additionalFields": {"filter": {"id": {"_eq": id}}}})
        ),
        [updated],
        "{resource}"
    );
    delete(creds, resource, &id_text);
}

#[test]
fn shares_notifications_dashboards_panels_translations_policies_and_access_round_trip() {
    let directus = Directus::connect();
    let creds = directus.admin_credentials_file("d12-rounds", "admin");
    let articles = collection(&directus, "shares", false, &["Shared"]);
    let _articles = directus.dropping(&articles);
    let admin_id =
        directus.admin(Method::GET, "/users/me?fields=id", None, 200)["data"]["id"].clone();
    // What panels and access entries belong to, made as the admin.
    let named = |path: &str| {
        directus.admin(
            Method::POST,
            &format!("/{path}?fields=id"),
            Some(json!({"name": unique("e2e-round-")})),
            200,
        )["data"]["id"]
            .clone()
    };
    let (dashboard, policy, role) = (named("dashboards"), named("policies"), named("roles"));
    let rounds = [
        Round {
            resource: "shares",
            create: json!({"name": "Review", "collection": articles, "item": "1", "max_uses": 3}),
            update: json!({"name": "Final review", "max_uses": 5}),
        },
        Round {
            resource: "notifications",
            create: json!({"recipient": admin_id, "subject": unique("e2e-"), "message": "Hello"}),
            update: json!({"status": "archived"}),
        },
        Round {
            resource: "dashboards",
            create: json!({"name": unique("e2e-dash-"), "icon": "insights"}),
            update: json!({"note": "Weekly", "color": "#6644FF"}),
        },
        Round {
            resource: "panels",
            create: json!({"dashboard": dashboard, "type": "label", "position_x": 1,
                           "position_y": 1, "width": 6, "height": 4, "options": {"text": "Hi"}}),
            update: json!({"width": 12, "options": {"text": "Hello"}}),
        },
        Round {
            resource: "translations",
            create: json!({"language": "en-US", "key": unique("e2e_"), "value": "Hello"}),
            update: json!({"value": "Hello, world"}),
        },
        Round {
            resource: "policies",
            create: json!({"name": unique("e2e-policy-"), "app_access": false, "admin_access": false}),
            update: json!({"description": "Read-only", "enforce_tfa": true}),
        },
        Round {
            resource: "access",
            create: json!({"role": role, "policy": policy}),
            update: json!({"sort": 5}),
        },
    ];
    for r in &rounds {
        round(&creds, r);
    }
}

// ---------------------------------------------------------------------------------------------
// My permissions and roles, revert, registration

#[test]
fn my_permissions_and_roles() {
    let directus = Directus::connect();
    let creds = directus.admin_credentials_file("d12-mine", "admin");
    let permissions = one(&creds, "permissions", "getMine", json!({}));
    assert_eq!(
        permissions["directus_users"]["read"],
        json!({"access": "full", "fields": ["*"]})
    );
    assert!(
        permissions.as_object().expect("an object").len() > 20,
        "{permissions}"
    );
    let roles = many(&creds, "roles", "getMine", json!({}));
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(roles[0]["name"], json!("Administrator"));
    assert_eq!(
        keys(&roles[0]),
        [
            "children",
            "description",
            "icon",
            "id",
            "name",
            "parent",
            "policies",
            "users"
        ]
    );
}

#[test]
fn an_item_is_reverted_to_a_revision() {
    let directus = Directus::connect();
    let creds = directus.admin_credentials_file("d12-revert", "admin");
    let articles = collection(&directus, "revert", false, &["One"]);
    let _articles = directus.dropping(&articles);
    for title in ["Two", "Three"] {
        directus.admin(
            Method::PATCH,
            &format!("/items/{articles}/1?fields=id"),
            Some(json!({"title": title})),
            200,
        );
    }
    let revisions = directus.admin(
        Method::GET,
        &format!("/revisions?filter[collection][_eq]={articles}&sort=id&fields=id,data"),
        None,
        200,
    )["data"]
        .clone();
    assert_eq!(revisions[1]["data"]["title"], json!("Two"), "{revisions}");
    // The revision's id (a number) straight from the revision, by expression.
    assert_eq!(
        run(
            &creds,
            "utils",
            "revert",
            &json!({"revision": "={{ $json.id }}"}),
            &[revisions[1].clone()],
            false
        )
        .stdout,
        format!("{SUCCESS}\n")
    );
    assert_eq!(title_of(&directus, &articles, 1), json!("Two"));
}

#[test]
fn public_registration_and_email_verification() {
    let directus = Directus::connect();
    let anonymous = directus.credentials_file("d12-register");
    let email = unique_email("register");
    let register = json!({"email": email, "password": "Reg-Passw0rd-123",
                          "additionalFields": {"first_name": "Ada", "last_name": "Lovelace"}});

    let closed = directus.settings(json!({"public_registration": false}));
    assert_eq!(
        single_line(&anonymous, "users", "register", register.clone()),
        forbidden()
    );
    drop(closed);

    let _open = directus.settings(json!({
        "public_registration": true,
        "public_registration_verify_email": true,
        "public_registration_role": null,
    }));
    succeeds(&anonymous, "users", "register", register);
    let user = directus.admin(
        Method::GET,
        &format!("/users?filter[email][_eq]={email}&fields=id,status,first_name,last_name,role"),
        None,
        200,
    )["data"][0]
        .clone();
    assert_eq!(
        (
            &user["status"],
            &user["first_name"],
            &user["last_name"],
            &user["role"]
        ),
        (
            &json!("unverified"),
            &json!("Ada"),
            &json!("Lovelace"),
            &Value::Null
        )
    );

    // The link of the verification email goes to the server's own verify endpoint.
    let mail = directus.reset_mails(&email, 1).remove(0);
    assert_eq!(
        mail.page,
        format!("{}/users/register/verify-email", directus.url)
    );
    let verified = single_line(
        &anonymous,
        "users",
        "verifyEmail",
        json!({"token": mail.token}),
    );
    assert_eq!(
        verified,
        json!({"json": {"statusCode": 302, "location": format!("/admin/users/{}", text(&user["id"]))},
               "pairedItem": {"item": 0}})
    );
    let status = directus.admin(
        Method::GET,
        &format!("/users/{}?fields=status", text(&user["id"])),
        None,
        200,
    )["data"]["status"]
        .clone();
    assert_eq!(status, json!("active"));
    assert_eq!(
        directus.login(&email, "Reg-Passw0rd-123")["expires"],
        json!(900000)
    );

    assert_eq!(
        single_line(
            &anonymous,
            "users",
            "verifyEmail",
            json!({"token": "not-a-token"})
        ),
        error_item(
            0,
            "Invalid token. (HTTP 403, INVALID_TOKEN)",
            403,
            "INVALID_TOKEN"
        )
    );
}
