//! End to end against a REAL Directus (the server `scripts/test` starts): binary data, Files,
//! Assets, Relations, and the operations that make two calls or send arrays, run through the
//! `noderun` binary as a user runs them. Outputs are asserted exactly where they are not
//! server-generated (ids, dates), and files byte for byte.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};
use support::directus::{Directus, scratch, unique};
use support::{Out, ndjson, noderun};

/// `noderun run directus --resource R --operation O --parameters P --credentials C -q EXTRA…`
/// with `items` on stdin.
fn run(
    resource: &str,
    operation: &str,
    parameters: &Value,
    credentials: &Path,
    items: &[Value],
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
    noderun(&args, ndjson(items))
}

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

/// Serves `body` with `content_type` on 127.0.0.1 to every GET, from a thread of its own; the
/// URL of the file.
fn serve(body: Vec<u8>, content_type: &'static str, name: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!(
        "http://{}/{name}",
        listener.local_addr().expect("an address")
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = reader.into_inner();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

#[test]
fn a_file_uploaded_from_a_binary_item_reads_back_through_assets_byte_for_byte() {
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("files_upload");
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
    // 40×30 fits 8×6 as 8×6; rotated by 90° it is 6×8.
    assert_eq!(png_size(&binary_bytes(&raw[0], "data")), (6, 8));
    directus.admin(Method::DELETE, &format!("/files/{id}"), None, 204);
}

#[test]
fn binary_files_pass_through_a_binary_directory_streamed_both_ways() {
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("files_binary_dir");
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
    let credentials = directus.admin_credentials_file("files_crud");
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
        &json!({"additionalFields": {"filter": filter, "fields": "id", "sort": "uploaded_on"}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(
        listed,
        [
            json!({"json": {"id": id}, "pairedItem": {"item": 0}}),
            json!({"json": {"id": second}, "pairedItem": {"item": 0}})
        ]
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
        &json!({"additionalFields": {"filter": filter, "fields": "id,location", "sort": "uploaded_on",
                                     "export": "csv", "binaryPropertyName": "csv", "fileName": "files"}}),
        &credentials,
        &[json!({})],
        &[],
    ));
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["json"], json!({}));
    assert_eq!(
        String::from_utf8(binary_bytes(&exported[0], "csv")).expect("UTF-8"),
        format!("\"id\",\"location\"\n\"{id}\",\"noderun\"\n\"{second}\",\"noderun\"")
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
    let directus = Directus::connect();
    let credentials = directus.admin_credentials_file("relations");
    let tag = unique("").replace('-', "_");
    let (authors, books) = (format!("authors_{tag}"), format!("books_{tag}"));
    for name in [&authors, &books] {
        directus.admin(
            Method::POST,
            "/collections",
            Some(json!({"collection": name, "schema": {}, "meta": {},
                        "fields": [{"field": "id", "type": "integer", "schema": {"is_primary_key": true, "has_auto_increment": true}}]})),
            200,
        );
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
