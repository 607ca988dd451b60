//! Every operation of the official Directus node (`@directus/n8n-nodes-directus`) against a
//! REAL Directus 12.4 (the second server of `scripts/test`): workflow nodes of its type, with its parameter names and value shapes and
//! its credential's field names (`url`, `token`), run through `noderun run --workflow-node` as a
//! user runs them, one run per workflow step, ids taken from the previous step's output by
//! expression. Outputs are asserted exactly; where the server lists what other tests may change
//! (users, files), against the admin's own request made right after.
//!
//! The server is the one `scripts/test` starts (see `support::directus`).

use crate::support;

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, scratch, unique, unique_email};
use support::{Out, ndjson, noderun, serve};

const TABLES: [&str; 1] = ["official"];

/// The official node as one test uses it: the admin's static token in a credential with the
/// official node's field names.
struct Official {
    credentials: PathBuf,
    dir: PathBuf,
}

impl Official {
    fn new(directus: &Directus, test: &str) -> Official {
        directus.prepare_tables(&TABLES);
        let ours = directus.admin_credentials_file(test, "admin");
        let fields: Value =
            serde_json::from_str(&std::fs::read_to_string(&ours).expect("read")).expect("JSON");
        let dir = scratch(test);
        let credentials = dir.join("official-credential.json");
        std::fs::write(
            &credentials,
            json!({"url": fields["url"], "token": fields["accessToken"]}).to_string(),
        )
        .expect("write");
        Official { credentials, dir }
    }

    /// A workflow node of the official type with `parameters`, fed `input`.
    fn run(&self, parameters: Value, input: &[Value]) -> Out {
        let node = json!({
            "parameters": parameters,
            "name": "Directus",
            "type": "@directus/n8n-nodes-directus.directus",
            "typeVersion": 1,
            "position": [0, 0],
            "credentials": {"directusApi": {"id": "1", "name": "Directus account"}}
        });
        let file = self.dir.join("node.json");
        std::fs::write(&file, node.to_string()).expect("write");
        noderun(
            &[
                "run".as_ref(),
                "--workflow-node".as_ref(),
                file.as_os_str(),
                "--credentials".as_ref(),
                self.credentials.as_os_str(),
                "-q".as_ref(),
            ],
            ndjson(input),
        )
    }

    /// A step that must succeed; the `json` of its output items.
    fn ok(&self, parameters: Value, input: &[Value]) -> Vec<Value> {
        let out = self.run(parameters.clone(), input);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, ""),
            "{parameters}: {}",
            out.stdout
        );
        out.items()
            .into_iter()
            .map(|item| {
                assert_eq!(item["pairedItem"], json!({"item": 0}), "{item}");
                item["json"].clone()
            })
            .collect()
    }
}

#[test]
fn items_every_operation() {
    let directus = Directus::connect_second();
    let node = Official::new(&directus, "official_items");
    let table = directus.table("official");
    // Create: the fields as name/value pairs (values are text in the official node; Directus
    // casts them), the collection left for its default operation.
    let created = node.ok(
        json!({"collection": table, "collectionFields": {"fields": {"field": [
            {"name": "title", "value": "={{ $json.title }}"}, {"name": "rank", "value": "1"}]}}}),
        &[json!({"title": "First"})],
    );
    assert_eq!(
        created,
        [json!({"id": 1, "title": "First", "rank": 1, "sort": null})]
    );
    let raw = node.ok(
        json!({"operation": "createRaw", "collection": table,
               "jsonData": "{\"title\": \"Second\", \"rank\": 2}"}),
        &[json!({})],
    );
    assert_eq!(
        raw,
        [json!({"id": 2, "title": "Second", "rank": 2, "sort": null})]
    );
    let got = node.ok(
        json!({"operation": "get", "collection": table, "itemId": "={{ $json.id }}",
               "itemFields": ["id", "title"]}),
        &created,
    );
    assert_eq!(got, [json!({"id": 1, "title": "First"})]);
    let got_raw = node.ok(
        json!({"operation": "getRaw", "collection": table, "itemId": "2",
               "queryParameters": "{\"fields\": [\"title\", \"rank\"]}"}),
        &[json!({})],
    );
    assert_eq!(got_raw, [json!({"title": "Second", "rank": 2})]);
    let first = node.ok(
        json!({"operation": "getAll", "collection": table, "limit": 1, "itemFields": ["id"]}),
        &[json!({})],
    );
    assert_eq!(first, [json!({"id": 1})]);
    // Return All returns all: 120 items, more than Directus's default page of 100 (the official
    // node would return that one page).
    let more: Vec<Value> = (3..=120)
        .map(|i| json!({"title": format!("Item {i}"), "rank": i}))
        .collect();
    directus.admin(
        Method::POST,
        &format!("/items/{table}?fields=id"),
        Some(Value::Array(more)),
        200,
    );
    let all = node.ok(
        json!({"operation": "getAll", "collection": table, "returnAll": true, "itemFields": ["id"]}),
        &[json!({})],
    );
    assert_eq!(
        all,
        (1..=120).map(|id| json!({"id": id})).collect::<Vec<_>>()
    );
    let filtered = node.ok(
        json!({"operation": "getAllRaw", "collection": table,
               "queryParameters": {"filter": {"rank": {"_lte": 2}}, "fields": ["title"], "sort": "-rank"}}),
        &[json!({})],
    );
    assert_eq!(
        filtered,
        [json!({"title": "Second"}), json!({"title": "First"})]
    );
    let updated = node.ok(
        json!({"operation": "update", "collection": table, "itemId": "={{ $json.id }}",
               "collectionFields": {"fields": {"field": [{"name": "title", "value": "First, updated"}]}}}),
        &created,
    );
    assert_eq!(
        updated,
        [json!({"id": 1, "title": "First, updated", "rank": 1, "sort": null})]
    );
    let updated_raw = node.ok(
        json!({"operation": "updateRaw", "collection": table, "itemId": "1",
               "jsonData": {"rank": 10}}),
        &[json!({})],
    );
    assert_eq!(
        updated_raw,
        [json!({"id": 1, "title": "First, updated", "rank": 10, "sort": null})]
    );
    let deleted = node.ok(
        json!({"operation": "delete", "collection": table, "itemId": "={{ $json.id }}"}),
        &created,
    );
    assert_eq!(deleted, [json!({"success": true})]);
    let left = directus.admin(
        Method::GET,
        &format!("/items/{table}?filter[id][_lte]=2&fields=id"),
        None,
        200,
    );
    assert_eq!(left["data"], json!([{"id": 2}]));
    // A required value left empty: the item fails, naming the official node's parameter.
    let out = node.run(
        json!({"operation": "updateRaw", "collection": table, "itemId": "2"}),
        &[json!({})],
    );
    assert_eq!(
        (out.code, out.stderr.trim()),
        (
            1,
            "noderun: error: item 0: Parameter 'jsonData' is required and has no value"
        )
    );
}

#[test]
fn users_every_operation() {
    let directus = Directus::connect_second();
    let node = Official::new(&directus, "official_users");
    let role =
        directus.admin(Method::GET, "/users/me?fields=role", None, 200)["data"]["role"].clone();
    let email = unique_email("official-invite");
    let invited = node.ok(
        json!({"resource": "user", "email": "={{ $json.email }}", "role": role,
               "invite_url": "http://127.0.0.1:3000/accept-invite"}),
        &[json!({"email": email})],
    );
    assert_eq!(invited, [json!({"success": true})]);
    let mail = directus.reset_mails(&email, 1).remove(0);
    assert_eq!(mail.page, "http://127.0.0.1:3000/accept-invite");
    // Directus needs a role: the official node would send the invitation without one.
    let out = node.run(
        json!({"resource": "user", "email": "nobody@example.com"}),
        &[json!({})],
    );
    assert_eq!(
        (out.code, out.stderr.trim()),
        (
            1,
            "noderun: error: item 0: Missing required parameter: role"
        )
    );

    let found = node.ok(
        json!({"resource": "user", "operation": "getAllRaw",
               "queryParameters": {"filter": {"email": {"_eq": email}}, "fields": ["id", "email", "status"]}}),
        &[json!({})],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let id = found[0]["id"].as_str().expect("an id").to_string();
    assert_eq!(
        found,
        [json!({"id": id, "email": email, "status": "invited"})]
    );
    let _user = directus.dropper(format!("/users/{id}"));
    let got = node.ok(
        json!({"resource": "user", "operation": "get", "userId": "={{ $json.id }}",
               "userFieldsToReturn": ["email", "status"]}),
        &found,
    );
    assert_eq!(got, [json!({"email": email, "status": "invited"})]);
    let got_raw = node.ok(
        json!({"resource": "user", "operation": "getRaw", "userId": id,
               "queryParameters": "{\"fields\": [\"email\"]}"}),
        &[json!({})],
    );
    assert_eq!(got_raw, [json!({"email": email})]);
    let updated = node.ok(
        json!({"resource": "user", "operation": "update", "userId": id,
               "userFields": {"fields": {"field": [{"name": "first_name", "value": "Ada"}]}}}),
        &[json!({})],
    );
    assert_eq!(
        (&updated[0]["id"], &updated[0]["first_name"]),
        (&json!(id), &json!("Ada"))
    );
    let updated_raw = node.ok(
        json!({"resource": "user", "operation": "updateRaw", "userId": id,
               "jsonData": "{\"last_name\": \"Lovelace\"}"}),
        &[json!({})],
    );
    assert_eq!(
        (&updated_raw[0]["first_name"], &updated_raw[0]["last_name"]),
        (&json!("Ada"), &json!("Lovelace"))
    );
    // Get Many: the first 50 (the default), the fields asked for, as the admin sees them.
    let listed = node.ok(
        json!({"resource": "user", "operation": "getAll", "userFieldsToReturn": ["id", "email"]}),
        &[json!({})],
    );
    let admin_list = directus.admin(Method::GET, "/users?limit=50&fields=id,email", None, 200);
    assert_eq!(Value::Array(listed), admin_list["data"]);
    // Simplify: the official node's essential fields of every user.
    let simple = node.ok(
        json!({"resource": "user", "operation": "getAll", "returnAll": true, "simplify": true}),
        &[json!({})],
    );
    // The official node's essential fields that Directus 12 has (users have no date_created).
    let fields = "id,email,first_name,last_name,status,role,last_access";
    let admin_all = directus.admin(
        Method::GET,
        &format!("/users?limit=-1&sort=id&fields={fields}"),
        None,
        200,
    );
    assert_eq!(Value::Array(simple.clone()), admin_all["data"]);
    let ours = simple
        .iter()
        .find(|u| u["id"] == json!(id))
        .expect("the user");
    assert_eq!(
        (&ours["first_name"], &ours["last_name"], &ours["status"]),
        (&json!("Ada"), &json!("Lovelace"), &json!("invited"))
    );
    let deleted = node.ok(
        json!({"resource": "user", "operation": "delete", "userId": id}),
        &[json!({})],
    );
    assert_eq!(deleted, [json!({"success": true})]);
    directus.admin(Method::GET, &format!("/users/{id}"), None, 403);
}

#[test]
fn files_every_operation() {
    let directus = Directus::connect_second();
    let node = Official::new(&directus, "official_files");
    let text = b"imported by the official node".to_vec();
    let url = serve(text.clone(), "text/plain", "imported.txt");
    let imported = node.ok(
        json!({"resource": "file", "file": "={{ $json.url }}"}),
        &[json!({"url": url})],
    );
    let import_id = imported[0]["id"].as_str().expect("an id").to_string();
    let _import = directus.dropper(format!("/files/{import_id}"));
    assert_eq!(
        (
            &imported[0]["filename_download"],
            &imported[0]["type"],
            &imported[0]["filesize"]
        ),
        (
            &json!("imported.txt"),
            &json!("text/plain"),
            &json!(text.len())
        )
    );
    // Upload: the item's first binary property, whatever its name.
    let uploaded = node.ok(
        json!({"resource": "file", "operation": "upload"}),
        &[json!({"json": {}, "binary": {
            "attachment_0": {"data": "aGVsbG8gd29ybGQ=", "mimeType": "text/plain", "fileName": "hello.txt"},
            "other": {"data": "eA==", "mimeType": "text/plain", "fileName": "x.txt"}}})],
    );
    let upload_id = uploaded[0]["id"].as_str().expect("an id").to_string();
    let _upload = directus.dropper(format!("/files/{upload_id}"));
    assert_eq!(
        (
            &uploaded[0]["filename_download"],
            &uploaded[0]["type"],
            &uploaded[0]["filesize"]
        ),
        (&json!("hello.txt"), &json!("text/plain"), &json!(11))
    );
    let got = node.ok(
        json!({"resource": "file", "operation": "get", "fileId": "={{ $json.id }}",
               "fileFieldsToReturn": ["id", "filename_download"]}),
        &uploaded,
    );
    assert_eq!(
        got,
        [json!({"id": upload_id, "filename_download": "hello.txt"})]
    );
    let got_raw = node.ok(
        json!({"resource": "file", "operation": "getRaw", "fileId": upload_id,
               "queryParameters": "{\"fields\": [\"type\", \"filesize\"]}"}),
        &[json!({})],
    );
    assert_eq!(got_raw, [json!({"type": "text/plain", "filesize": 11})]);
    let title = unique("official-file-");
    let updated = node.ok(
        json!({"resource": "file", "operation": "update", "fileId": upload_id,
               "fileFields": {"fields": {"field": [{"name": "title", "value": title}]}}}),
        &[json!({})],
    );
    assert_eq!(
        (&updated[0]["id"], &updated[0]["title"]),
        (&json!(upload_id), &json!(title))
    );
    let updated_raw = node.ok(
        json!({"resource": "file", "operation": "updateRaw", "fileId": upload_id,
               "jsonData": {"description": "said hello"}}),
        &[json!({})],
    );
    assert_eq!(
        (&updated_raw[0]["title"], &updated_raw[0]["description"]),
        (&json!(title), &json!("said hello"))
    );
    let ids = json!([import_id, upload_id]);
    let raw = node.ok(
        json!({"resource": "file", "operation": "getAllRaw",
               "queryParameters": {"filter": {"id": {"_in": ids}}, "fields": ["filename_download", "description"],
                                   "sort": "filename_download"}}),
        &[json!({})],
    );
    assert_eq!(
        raw,
        [
            json!({"filename_download": "hello.txt", "description": "said hello"}),
            json!({"filename_download": "imported.txt", "description": null})
        ]
    );
    // Get Many and its Simplify, as the admin sees the files.
    let listed = node.ok(
        json!({"resource": "file", "operation": "getAll", "limit": 20,
               "fileFieldsToReturn": ["id", "filename_download"]}),
        &[json!({})],
    );
    let admin_list = directus.admin(
        Method::GET,
        "/files?limit=20&fields=id,filename_download",
        None,
        200,
    );
    assert_eq!(Value::Array(listed), admin_list["data"]);
    let simple = node.ok(
        json!({"resource": "file", "operation": "getAll", "returnAll": true, "simplify": true}),
        &[json!({})],
    );
    // The official node's essential fields that Directus 12 has (files have no date_created,
    // date_updated).
    let fields = "id,filename_download,title,type,filesize,width,height";
    let admin_all = directus.admin(
        Method::GET,
        &format!("/files?limit=-1&sort=id&fields={fields}"),
        None,
        200,
    );
    assert_eq!(Value::Array(simple), admin_all["data"]);
    for id in [&import_id, &upload_id] {
        let deleted = node.ok(
            json!({"resource": "file", "operation": "delete", "fileId": id}),
            &[json!({})],
        );
        assert_eq!(deleted, [json!({"success": true})]);
        directus.admin(Method::GET, &format!("/files/{id}"), None, 403);
    }
}
