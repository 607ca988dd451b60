//! End to end against a REAL Directus (the server `scripts/test` starts): binary data, Files,
//! Assets, Relations, Create Multiple, Items → Create or Update, user invitations and
//! two-factor, import and export, run through the `noderun` binary as a user runs them. Outputs are asserted exactly where they are not
//! server-generated (ids, dates), and files byte for byte.

use crate::support;

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, current_totp, schema_lock, scratch, unique, unique_email};
use support::{Out, run_directus as run, serve};

/// The output items of a run that must succeed.
fn ok(out: Out) -> Vec<Value> {
    assert_eq!(
        out.code, 0,
        "stderr: {}\nstdout: {}",
        out.stderr, out.stdout
    );
    out.items()
}

/// A `width`×`height` RGB PNG (stored deflate blocks: no compressor needed).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend_from_slice(&[(x * 7) as u8, (y * 5) as u8, 128]);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i == blocks.len() - 1));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(&b"IHDR"[..], ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(&data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Width and height of a PNG (its IHDR).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (word(16), word(20))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        other => panic!("not base64: {other}"),
    };
    let mut out = Vec::new();
    let (mut bits, mut count) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        bits = (bits << 6) | u32::from(value(c));
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The bytes of an output item's binary property (base64 `data`, or the file at `path`).
fn binary_bytes(item: &Value, property: &str) -> Vec<u8> {
    let binary = &item["binary"][property];
    match (binary["data"].as_str(), binary["path"].as_str()) {
        (Some(data), _) => unbase64(data),
        (None, Some(path)) => std::fs::read(path).expect("the binary file"),
        _ => panic!("no binary property {property}: {item}"),
    }
}

/// The metadata of an output binary property (without its bytes or path).
fn binary_meta(item: &Value, property: &str) -> Value {
    let mut meta = item["binary"][property].clone();
    let object = meta.as_object_mut().expect("a binary property");
    object.remove("data");
    object.remove("path");
    meta
}

#[test]
fn a_file_uploaded_from_a_binary_item_reads_back_through_assets_byte_for_byte() {
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("files_upload", "admin");
    let image = png(40, 30);
    let title = unique("upload-");
    let item = json!({
        "json": {"title": title},
        "binary": {"photo": {"data": base64(&image), "mimeType": "image/png", "fileName": "grid.png"}}
    });
    let created = ok(run(
        "files",
        "create",
        &json!({"sendBinaryData": true, "binaryPropertyName": "photo",
                "additionalFields": {"data": "={{ JSON.stringify({title: $json.title, description: 'from noderun'}) }}"}}),
        &credentials,
        std::slice::from_ref(&item),
        &[],
    ));
    assert_eq!(created.len(), 1);
    let file = &created[0]["json"];
    assert_eq!(created[0]["pairedItem"], json!({"item": 0}));
    assert_eq!(
        (
            &file["title"],
            &file["description"],
            &file["filename_download"],
            &file["type"],
            &file["filesize"],
            &file["width"],
            &file["height"]
        ),
        (
            &json!(title),
            &json!("from noderun"),
            &json!("grid.png"),
            &json!("image/png"),
            &json!(image.len()),
            &json!(40),
            &json!(30)
        )
    );
    let id = file["id"].as_str().expect("an id").to_string();

    // Assets → Get: the same bytes, in the named binary property, json empty.
    let got = ok(run(
        "assets",
        "get",
        &json!({"id": "={{ $json.id }}", "binaryPropertyName": "copy"}),
        &credentials,
        &[json!({"id": id})],
        &[],
    ));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["json"], json!({}));
    assert_eq!(got[0]["pairedItem"], json!({"item": 0}));
    assert_eq!(binary_bytes(&got[0], "copy"), image);
    assert_eq!(
        binary_meta(&got[0], "copy"),
        json!({"mimeType": "image/png", "fileName": "grid.png", "fileExtension": "png",
               "fileSize": format!("{} kB", (image.len() as f64 / 10.0).round() / 100.0),
               "bytes": image.len()})
    );

    // Resized (transform options), with the file's metadata as json (a second request).
    let resized = ok(run(
        "assets",
        "get",
        &json!({"id": id, "includeFileData": true,
                "additionalFields": {"width": 20, "height": 10, "fit": "cover", "format": "png", "quality": 90}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(resized[0]["json"]["id"], json!(id));
    assert_eq!(resized[0]["json"]["title"], json!(title));
    assert_eq!(png_size(&binary_bytes(&resized[0], "data")), (20, 10));

    // The same through JSON/RAW query parameters, with a Sharp transform.
    let raw = ok(run(
        "assets",
        "get",
        &json!({"id": id, "jsonParameters": true,
                "queryParametersJson": {"width": 8, "height": 6, "fit": "inside", "format": "png",
                                        "transforms": [["rotate", 90]]}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    // Rotated first (30×40), then fitted inside 8×6: 5×6 (4.5 rounded).
    assert_eq!(png_size(&binary_bytes(&raw[0], "data")), (5, 6));
    directus.admin(Method::DELETE, &format!("/files/{id}"), None, 204);
}

#[test]
fn binary_files_pass_through_a_binary_directory_streamed_both_ways() {
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("files_binary_dir", "admin");
    let dir = scratch("files_binary_dir").join("binary");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory");
    // 3 MB of varied bytes: several chunks each way.
    let bytes: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("blob.bin"), &bytes).expect("write");
    let dir_arg = dir.to_str().expect("UTF-8");
    let created = ok(run(
        "files",
        "create",
        &json!({"sendBinaryData": true}),
        &credentials,
        &[
            json!({"json": {}, "binary": {"data": {"path": "blob.bin", "mimeType": "application/octet-stream"}}}),
        ],
        &["--binary-dir", dir_arg],
    ));
    let file = &created[0]["json"];
    assert_eq!(file["filesize"], json!(bytes.len()));
    assert_eq!(file["filename_download"], json!("blob.bin"));
    let id = file["id"].as_str().expect("an id");
    let got = ok(run(
        "assets",
        "get",
        &json!({"id": id}),
        &credentials,
        &[json!({})],
        &["--binary-dir", dir_arg],
    ));
    let path = got[0]["binary"]["data"]["path"].as_str().expect("a path");
    assert!(Path::new(path).starts_with(&dir), "{path}");
    assert_eq!(std::fs::read(path).expect("the file"), bytes);
    assert_eq!(got[0]["binary"]["data"]["bytes"], json!(bytes.len()));
    assert_eq!(got[0]["binary"]["data"]["fileSize"], json!("3 MB"));
    directus.admin(Method::DELETE, &format!("/files/{id}"), None, 204);
}

#[test]
fn files_import_get_list_update_replace_export_and_delete() {
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("files_crud", "admin");
    let image = png(16, 12);
    let url = serve(image.clone(), "image/png", "imported.png");
    let title = unique("imported-");
    let imported = ok(run(
        "files",
        "import",
        &json!({"url": "={{ $json.url }}", "additionalFields": {"data": {"title": title}}}),
        &credentials,
        &[json!({"url": url})],
        &[],
    ));
    let file = &imported[0]["json"];
    assert_eq!(
        (
            &file["title"],
            &file["type"],
            &file["filesize"],
            &file["width"]
        ),
        (
            &json!(title),
            &json!("image/png"),
            &json!(image.len()),
            &json!(16)
        )
    );
    let id = file["id"].as_str().expect("an id").to_string();
    // The 1.0 value of the operation runs the same.
    let again = ok(run(
        "files",
        "importFile",
        &json!({"url": url}),
        &credentials,
        &[json!({})],
        &[],
    ));
    let second = again[0]["json"]["id"].as_str().expect("an id").to_string();

    let got = ok(run(
        "files",
        "get",
        &json!({"id": id, "additionalFields": {"fields": "id,title,filesize"}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(
        got,
        [json!({"json": {"id": id, "title": title, "filesize": image.len().to_string()}, "pairedItem": {"item": 0}})]
            .map(|mut v| {
                // Directus gives filesize as a number or a string depending on the database.
                v["json"]["filesize"] = got[0]["json"]["filesize"].clone();
                v
            })
    );

    // Metadata only, then metadata and a replacement file.
    let updated = ok(run(
        "files",
        "update",
        &json!({"id": id, "additionalFields": {"data": {"description": "changed"}}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(updated[0]["json"]["description"], json!("changed"));
    let bigger = png(64, 48);
    let replaced = ok(run(
        "files",
        "update",
        &json!({"id": id, "sendBinaryData": true, "additionalFields": {"data": {"title": "replaced"}}}),
        &credentials,
        &[
            json!({"json": {}, "binary": {"data": {"data": base64(&bigger), "mimeType": "image/png", "fileName": "bigger.png"}}}),
        ],
        &[],
    ));
    assert_eq!(
        (
            &replaced[0]["json"]["title"],
            &replaced[0]["json"]["width"],
            &replaced[0]["json"]["height"]
        ),
        (&json!("replaced"), &json!(64), &json!(48))
    );
    let asset = ok(run(
        "assets",
        "get",
        &json!({"id": id}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(binary_bytes(&asset[0], "data"), bigger);

    // List with a filter, then Update Multiple, then export as CSV into a binary property.
    let filter = json!({"id": {"_in": [id, second]}});
    let listed = ok(run(
        "files",
        "list",
        &json!({"additionalFields": {"filter": filter, "fields": "id", "sort": "id"}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    let mut sorted = [id.clone(), second.clone()];
    sorted.sort();
    assert_eq!(
        listed,
        sorted
            .clone()
            .map(|i| json!({"json": {"id": i}, "pairedItem": {"item": 0}}))
    );
    let many = ok(run(
        "files",
        "updateMultiple",
        &json!({"data": {"keys": [id, second], "data": {"location": "noderun"}}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(many.len(), 2);
    let exported = ok(run(
        "files",
        "list",
        &json!({"additionalFields": {"filter": filter, "fields": "id,location", "sort": "id",
                                     "export": "csv", "binaryPropertyName": "csv", "fileName": "files"}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["json"], json!({}));
    assert_eq!(
        String::from_utf8(binary_bytes(&exported[0], "csv")).expect("UTF-8"),
        format!(
            "\"id\",\"location\"\n\"{}\",\"noderun\"\n\"{}\",\"noderun\"",
            sorted[0], sorted[1]
        )
    );
    assert_eq!(
        (
            &exported[0]["binary"]["csv"]["fileName"],
            &exported[0]["binary"]["csv"]["mimeType"]
        ),
        (&json!("files.csv"), &json!("text/csv"))
    );

    // Delete one, then Delete Multiple with the keys as a JSON array.
    assert_eq!(
        run(
            "files",
            "delete",
            &json!({"id": second}),
            &credentials,
            &[json!({})],
            &[]
        )
        .stdout,
        "{\"json\":{\"success\":true},\"pairedItem\":{\"item\":0}}\n"
    );
    let uploaded = directus.admin(
        Method::POST,
        "/files/import",
        Some(json!({"url": url})),
        200,
    )["data"]["id"]
        .clone();
    assert_eq!(
        ok(run(
            "files",
            "deleteMultiple",
            &json!({"keys": "={{ JSON.stringify($json.keys) }}"}),
            &credentials,
            &[json!({"keys": [id, uploaded]})],
            &[]
        )),
        [json!({"json": {"success": true}, "pairedItem": {"item": 0}})]
    );
    directus.admin(Method::GET, &format!("/files/{id}"), None, 403);
}

#[test]
fn relations_between_two_collections() {
    let _schema = schema_lock();
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("relations", "admin");
    let tag = unique("").replace('-', "_");
    let (authors, books) = (format!("authors_{tag}"), format!("books_{tag}"));
    for name in [&authors, &books] {
        directus.create_collection(json!({"collection": name, "schema": {}, "meta": {},
            "fields": [{"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}}]}));
    }
    directus.admin(
        Method::POST,
        &format!("/fields/{books}"),
        Some(json!({"field": "author", "type": "integer", "schema": {}, "meta": {"interface": "select-dropdown-m2o"}})),
        200,
    );
    let created = ok(run(
        "relations",
        "create",
        &json!({"data": {"collection": books, "field": "author", "related_collection": authors}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    let relation = &created[0]["json"];
    assert_eq!(
        (
            &relation["collection"],
            &relation["field"],
            &relation["related_collection"]
        ),
        (&json!(books), &json!("author"), &json!(authors))
    );
    let got = ok(run(
        "relations",
        "get",
        &json!({"collection": "={{ $json.c }}", "field": "author"}),
        &credentials,
        &[json!({"c": books})],
        &[],
    ));
    assert_eq!(got[0]["json"]["related_collection"], json!(authors));
    let listed = ok(run(
        "relations",
        "list",
        &json!({"collection": books}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["json"]["field"], json!("author"));
    let all = ok(run(
        "relations",
        "listAll",
        &json!({}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert!(
        all.iter()
            .any(|r| r["json"]["collection"] == json!(books) && r["json"]["field"] == "author"),
        "{all:?}"
    );
    let updated = ok(run(
        "relations",
        "update",
        &json!({"collection": books, "field": "author", "data": {"meta": {"one_field": "books"}}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(updated[0]["json"]["meta"]["one_field"], json!("books"));
    assert_eq!(
        ok(run(
            "relations",
            "delete",
            &json!({"collection": books, "field": "author"}),
            &credentials,
            &[json!({})],
            &[]
        )),
        [json!({"json": {"success": true}, "pairedItem": {"item": 0}})]
    );
    for name in [&books, &authors] {
        directus.admin(Method::DELETE, &format!("/collections/{name}"), None, 204);
    }
}

/// A collection with an auto-increment `id` and the given extra fields (`[name, type]`); its
/// name (unique to the run).
fn collection(directus: &Directus, tag: &str, fields: &[(&str, &str)]) -> String {
    let name = format!("{tag}_{}", unique("").replace('-', "_"));
    let mut all = vec![json!({"field": "id", "type": "integer",
                              "schema": {"is_primary_key": true, "has_auto_increment": true}})];
    all.extend(
        fields
            .iter()
            .map(|(f, t)| json!({"field": f, "type": t, "schema": {}, "meta": {}})),
    );
    directus
        .create_collection(json!({"collection": name, "schema": {}, "meta": {}, "fields": all}));
    name
}

/// A credentials file holding `token`.
fn token_credentials(directus: &Directus, test: &str, token: &str) -> std::path::PathBuf {
    let file = scratch(test).join("token-credentials.json");
    std::fs::write(
        &file,
        json!({"url": directus.url, "accessToken": token}).to_string(),
    )
    .expect("write");
    file
}

/// The `json.id` of each output item.
fn ids(items: &[Value]) -> Vec<Value> {
    items.iter().map(|i| i["json"]["id"].clone()).collect()
}

#[test]
fn create_multiple_gives_one_item_per_entry_whose_ids_chain_to_the_next_step() {
    let _schema = schema_lock();
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("create_multiple", "admin");
    let articles = collection(&directus, "articles", &[("title", "string")]);
    let policy = directus.admin(
        Method::POST,
        "/policies",
        Some(json!({"name": unique("policy-")})),
        200,
    )["data"]["id"]
        .clone();
    let tag = unique("");
    let cases = [
        (
            "items",
            json!({"collection": articles}),
            json!([{"title": "one"}, {"title": "two"}]),
            "title",
        ),
        (
            "folders",
            json!({}),
            json!([{"name": format!("a-{tag}")}, {"name": format!("b-{tag}")}]),
            "name",
        ),
        (
            "roles",
            json!({}),
            json!([{"name": format!("r1-{tag}")}, {"name": format!("r2-{tag}")}]),
            "name",
        ),
        (
            "presets",
            json!({}),
            json!([{"collection": articles, "layout": "tabular", "bookmark": format!("p1-{tag}")},
                                      {"collection": articles, "layout": "cards", "bookmark": format!("p2-{tag}")}]),
            "layout",
        ),
        (
            "permissions",
            json!({}),
            json!([{"policy": policy, "collection": articles, "action": "read", "fields": ["*"]},
                                          {"policy": policy, "collection": articles, "action": "create", "fields": ["*"]}]),
            "action",
        ),
        (
            "users",
            json!({}),
            json!([{"email": unique_email("multi-a"), "password": "Multi-Passw0rd-1"},
                                    {"email": unique_email("multi-b"), "password": "Multi-Passw0rd-1"}]),
            "email",
        ),
    ];
    for (resource, base, data, field) in cases {
        let mut parameters = base.clone();
        // Given as text, the way the community node's JSON field stores it.
        parameters["data"] = json!(data.to_string());
        let mut created = ok(run(
            resource,
            "createMultiple",
            &parameters,
            &credentials,
            &[json!({})],
            &[],
        ));
        // Directus 12.4 answers a permissions batch with the policy's permissions plus the
        // system's (those have no id): the created ones are those with an id.
        created.retain(|i| !i["json"]["id"].is_null());
        assert_eq!(created.len(), 2, "{resource}: {created:?}");
        // Directus answers in its own order (roles by id): compare the sets.
        let mut given: Vec<String> = data
            .as_array()
            .expect("an array")
            .iter()
            .map(|e| e[field].to_string())
            .collect();
        let mut got: Vec<String> = created
            .iter()
            .map(|i| i["json"][field].to_string())
            .collect();
        given.sort();
        got.sort();
        assert_eq!(got, given, "{resource}");
        for item in &created {
            assert_eq!(item["pairedItem"], json!({"item": 0}), "{resource}");
        }
        // The ids feed the next step: get each, by expression.
        let mut get = base.clone();
        get["id"] = json!("={{ $json.id }}");
        let got = ok(run(resource, "get", &get, &credentials, &created, &[]));
        assert_eq!(ids(&got), ids(&created), "{resource}");
        assert_eq!(
            got.iter()
                .map(|i| i["pairedItem"].clone())
                .collect::<Vec<_>>(),
            [json!({"item": 0}), json!({"item": 1})]
        );
        let keys = Value::Array(ids(&created));
        let mut delete = base;
        let key_parameter = if resource == "items" { "data" } else { "keys" };
        delete[key_parameter] = keys;
        assert_eq!(
            ok(run(
                resource,
                "deleteMultiple",
                &delete,
                &credentials,
                &[json!({})],
                &[]
            )),
            [json!({"json": {"success": true}, "pairedItem": {"item": 0}})],
            "{resource}"
        );
    }
    // Not an array: a per-item error naming the parameter.
    let out = run(
        "folders",
        "createMultiple",
        &json!({"data": "{\"name\": \"x\"}"}),
        &credentials,
        &[json!({})],
        &["--continue-on-fail"],
    );
    assert_eq!(
        out.items()[0]["json"]["error"],
        json!("Parameter 'data' must be a JSON array; got {\"name\":\"x\"}")
    );
    directus.admin(
        Method::DELETE,
        &format!("/policies/{}", policy.as_str().expect("an id")),
        None,
        204,
    );
    directus.admin(
        Method::DELETE,
        &format!("/collections/{articles}"),
        None,
        204,
    );
}

#[test]
fn create_or_update_creates_then_updates_the_match_and_refuses_a_missing_filter() {
    let _schema = schema_lock();
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("upsert", "admin");
    let products = collection(
        &directus,
        "products",
        &[("sku", "string"), ("title", "string")],
    );
    let parameters = json!({
        "collection": products,
        "idFieldname": "id",
        "filters": {"filter": "={{ JSON.stringify({sku: {_eq: $json.sku} }) }}"},
        "data": "={{ JSON.stringify({sku: $json.sku, title: $json.title}) }}",
    });
    let first = ok(run(
        "items",
        "upsert",
        &parameters,
        &credentials,
        &[
            json!({"sku": "A-1", "title": "first"}),
            json!({"sku": "B-2", "title": "other"}),
        ],
        &[],
    ));
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["json"]["title"], json!("first"));
    let id = first[0]["json"]["id"].clone();
    // Again with the same sku: the match is updated, no new item.
    let second = ok(run(
        "items",
        "upsert",
        &parameters,
        &credentials,
        &[json!({"sku": "A-1", "title": "second"})],
        &[],
    ));
    assert_eq!(
        second,
        [json!({"json": {"id": id, "sku": "A-1", "title": "second"}, "pairedItem": {"item": 0}})]
    );
    // skipUpdate: the match is output unchanged.
    let mut skip = parameters.clone();
    skip["skipUpdate"] = json!(true);
    let skipped = ok(run(
        "items",
        "upsert",
        &skip,
        &credentials,
        &[json!({"sku": "A-1", "title": "third"})],
        &[],
    ));
    assert_eq!(
        skipped,
        [json!({"json": {"id": id, "sku": "A-1", "title": "second"}, "pairedItem": {"item": 0}})]
    );
    let all = directus.admin(
        Method::GET,
        &format!("/items/{products}?sort=id&fields=sku,title"),
        None,
        200,
    );
    assert_eq!(
        all["data"],
        json!([{"sku": "A-1", "title": "second"}, {"sku": "B-2", "title": "other"}])
    );
    // No filter: a per-item error, nothing sent, nothing changed.
    let mut unfiltered = parameters.clone();
    unfiltered
        .as_object_mut()
        .expect("an object")
        .remove("filters");
    let out = run(
        "items",
        "upsert",
        &unfiltered,
        &credentials,
        &[json!({"sku": "A-1", "title": "everything"})],
        &["--continue-on-fail"],
    );
    assert_eq!(out.code, 0);
    assert_eq!(
        out.items()[0]["json"],
        json!({"error": "Missing required parameter: filter (in filters)"})
    );
    let mut empty = parameters;
    empty["filters"] = json!({"filter": {}});
    let out = run(
        "items",
        "upsert",
        &empty,
        &credentials,
        &[json!({"sku": "A-1", "title": "x"})],
        &[],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("item 0: Parameter 'filter' must not be an empty object (in filters)"),
        "{}",
        out.stderr
    );
    let all_after = directus.admin(
        Method::GET,
        &format!("/items/{products}?sort=id&fields=sku,title"),
        None,
        200,
    );
    assert_eq!(all_after, all);
    directus.admin(
        Method::DELETE,
        &format!("/collections/{products}"),
        None,
        204,
    );
}

#[test]
fn an_invited_user_accepts_from_the_email_and_logs_in() {
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("invite", "admin");
    let role =
        directus.admin(Method::GET, "/users/me?fields=role", None, 200)["data"]["role"].clone();
    let email = unique_email("invited");
    assert_eq!(
        ok(run(
            "users",
            "inviteUser",
            &json!({"email": "={{ $json.email }}", "role": role,
                       "additionalFields": {"inviteUrl": "http://127.0.0.1:3000/accept-invite"}}),
            &credentials,
            &[json!({"email": email})],
            &[]
        )),
        [json!({"json": {"success": true}, "pairedItem": {"item": 0}})]
    );
    let mail = directus.reset_mails(&email, 1).remove(0);
    assert_eq!(mail.page, "http://127.0.0.1:3000/accept-invite");
    let password = "Invited-Passw0rd-1";
    assert_eq!(
        ok(run(
            "users",
            "acceptUserInvite",
            &json!({"token": mail.token, "password": password}),
            &directus.credentials_file("invite"),
            &[json!({})],
            &[]
        )),
        [json!({"json": {"success": true}, "pairedItem": {"item": 0}})]
    );
    let token = directus.login(&email, password)["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    let id = directus.me(&token).expect("the invited user");
    // The user takes a licence seat: remove it.
    directus.admin(Method::DELETE, &format!("/users/{id}"), None, 204);
}

#[test]
fn two_factor_is_generated_enabled_and_disabled_by_the_user() {
    let directus = Directus::connect();
    let tfa = directus.tfa_user();
    let public = directus.credentials_file("two_factor");
    // Two-factor is on: log in with a one-time password (auth login's otp).
    let login = ok(run(
        "auth",
        "login",
        &json!({"email": tfa.user.email, "password": tfa.user.password,
                               "additionalFields": {"otp": current_totp(&tfa.secret)}}),
        &public,
        &[json!({})],
        &[],
    ));
    let token = login[0]["json"]["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    let credentials = token_credentials(&directus, "two_factor", &token);
    let success = [json!({"json": {"success": true}, "pairedItem": {"item": 0}})];
    assert_eq!(
        ok(run(
            "users",
            "disable2FA",
            &json!({"otp": current_totp(&tfa.secret)}),
            &credentials,
            &[json!({})],
            &[]
        )),
        success
    );
    directus.login(&tfa.user.email, &tfa.user.password);
    let generated = ok(run(
        "users",
        "generate2FA",
        &json!({"password": tfa.user.password}),
        &credentials,
        &[json!({})],
        &[],
    ));
    let secret = generated[0]["json"]["secret"]
        .as_str()
        .expect("a secret")
        .to_string();
    assert!(
        generated[0]["json"]["otpauth_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://totp/")),
        "{generated:?}"
    );
    assert_eq!(
        ok(run(
            "users",
            "enable2FA",
            &json!({"secret": "={{ $json.secret }}", "otp": current_totp(&secret)}),
            &credentials,
            &[generated[0].clone()],
            &[]
        )),
        success
    );
    // On again: a login without a one-time password is refused.
    let refused = run(
        "auth",
        "login",
        &json!({"email": tfa.user.email, "password": tfa.user.password}),
        &public,
        &[json!({})],
        &["--continue-on-fail"],
    );
    assert_eq!(
        refused.items()[0]["json"]["error"],
        json!("Invalid user OTP. (HTTP 401, INVALID_OTP)")
    );
    assert_eq!(
        ok(run(
            "users",
            "disable2FA",
            &json!({"otp": current_totp(&secret)}),
            &credentials,
            &[json!({})],
            &[]
        )),
        success
    );
}

#[test]
fn csv_and_json_import_from_a_binary_property_and_export_back() {
    let _schema = schema_lock();
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("import_export", "admin");
    let stock = collection(
        &directus,
        "stock",
        &[("name", "string"), ("qty", "integer")],
    );
    let csv = "name,qty\nbolt,12\nnut,30\n";
    let json_file = r#"[{"name": "washer", "qty": 7}]"#;
    let items = [
        json!({"json": {}, "binary": {"data": {"data": base64(csv.as_bytes()), "mimeType": "text/csv", "fileName": "stock.csv"}}}),
        json!({"json": {}, "binary": {"file": {"data": base64(json_file.as_bytes()), "mimeType": "application/json", "fileName": "more.json"}}}),
    ];
    assert_eq!(
        ok(run(
            "utils",
            "importFileData",
            &json!({"collection": stock, "binaryPropertyName": "={{ $itemIndex === 0 ? 'data' : 'file' }}"}),
            &credentials,
            &items,
            &[]
        )),
        [
            json!({"json": {"success": true}, "pairedItem": {"item": 0}}),
            json!({"json": {"success": true}, "pairedItem": {"item": 1}})
        ]
    );
    let listed = ok(run(
        "items",
        "list",
        &json!({"collection": stock, "additionalFields": {"fields": "name,qty", "sort": "id"}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(
        listed.iter().map(|i| i["json"].clone()).collect::<Vec<_>>(),
        [
            json!({"name": "bolt", "qty": 12}),
            json!({"name": "nut", "qty": 30}),
            json!({"name": "washer", "qty": 7})
        ]
    );
    for (format, expected, mime) in [
        (
            "csv",
            "\"name\",\"qty\"\n\"bolt\",12\n\"nut\",30\n\"washer\",7",
            "text/csv",
        ),
        (
            "json",
            r#"[{"name":"bolt","qty":12},{"name":"nut","qty":30},{"name":"washer","qty":7}]"#,
            "application/json",
        ),
    ] {
        let exported = ok(run(
            "items",
            "list",
            &json!({"collection": stock,
                                      "additionalFields": {"fields": "name,qty", "sort": "id", "export": format,
                                                           "binaryPropertyName": "export", "fileName": "stock"}}),
            &credentials,
            &[json!({})],
            &[],
        ));
        assert_eq!(exported.len(), 1, "{format}");
        assert_eq!(exported[0]["json"], json!({}));
        let text = String::from_utf8(binary_bytes(&exported[0], "export")).expect("UTF-8");
        let text = if format == "json" {
            serde_json::from_str::<Value>(&text)
                .expect("JSON")
                .to_string()
        } else {
            text
        };
        assert_eq!(text, expected, "{format}");
        assert_eq!(
            exported[0]["binary"]["export"]["fileName"],
            json!(format!("stock.{format}"))
        );
        assert_eq!(exported[0]["binary"]["export"]["mimeType"], json!(mime));
    }
    // The CSV export imports back into an empty copy.
    let copy = collection(
        &directus,
        "stock_copy",
        &[("name", "string"), ("qty", "integer")],
    );
    let exported = ok(run(
        "items",
        "list",
        &json!({"collection": stock, "additionalFields": {"fields": "name,qty", "sort": "id", "export": "csv"}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    ok(run(
        "utils",
        "importFileData",
        &json!({"collection": copy}),
        &credentials,
        &exported,
        &[],
    ));
    let copied = directus.admin(
        Method::GET,
        &format!("/items/{copy}?sort=id&fields=name,qty"),
        None,
        200,
    );
    assert_eq!(
        copied["data"],
        json!([{"name": "bolt", "qty": 12}, {"name": "nut", "qty": 30}, {"name": "washer", "qty": 7}])
    );
    for name in [&stock, &copy] {
        directus.admin(Method::DELETE, &format!("/collections/{name}"), None, 204);
    }
}
