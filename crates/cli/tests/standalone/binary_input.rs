//! Bad binary input: every problem with an item's binary data is a per-item error naming the
//! item and the binary property, found before anything is sent (a listener on 127.0.0.1 checks
//! that no connection was made).

use crate::support;

use std::net::TcpListener;

use serde_json::{Value, json};
use support::{ndjson, noderun};

/// Runs Files → Create (upload from `binaryPropertyName`) with continue-on-fail against a
/// listener that must see no connection; the error messages of the items, in order.
fn upload_errors(items: &[Value], property: &str, extra: &[&str]) -> Vec<String> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.set_nonblocking(true).expect("non-blocking");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("binary_input");
    std::fs::create_dir_all(&dir).expect("a directory");
    let credentials = dir.join(format!(
        "credentials-{}.json",
        listener.local_addr().expect("addr").port()
    ));
    std::fs::write(
        &credentials,
        json!({"url": format!("http://{}", listener.local_addr().expect("addr"))}).to_string(),
    )
    .expect("write");
    let mut args: Vec<String> = [
        "run",
        "directus",
        "--resource",
        "files",
        "--operation",
        "create",
        "--continue-on-fail",
        "-q",
        "--credentials",
    ]
    .map(String::from)
    .into();
    args.push(credentials.to_str().expect("UTF-8").into());
    args.push("--parameters".into());
    args.push(json!({"sendBinaryData": true, "binaryPropertyName": property}).to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = noderun(&args, ndjson(items));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        listener.accept().is_err(),
        "a request was sent for bad binary input"
    );
    out.items()
        .iter()
        .enumerate()
        .map(|(i, item)| {
            assert_eq!(item["pairedItem"], json!({"item": i}));
            assert_eq!(item["error"]["message"], item["json"]["error"]);
            item["json"]["error"]
                .as_str()
                .expect("an error item")
                .to_string()
        })
        .collect()
}

fn text_item(data: &str) -> Value {
    json!({"json": {}, "binary": {"data": {"data": data, "mimeType": "text/plain", "fileName": "a.txt"}}})
}

#[test]
fn a_missing_binary_property_names_the_item_and_the_property() {
    assert_eq!(
        upload_errors(&[text_item("aGVsbG8="), json!({"json": {}})], "photo", &[]),
        [
            "the item has no binary property 'photo' (binaryPropertyName); its binary properties are: data",
            "the item has no binary property 'photo' (binaryPropertyName); it has no binary data",
        ]
    );
}

#[test]
fn data_that_is_not_base64_is_a_per_item_error() {
    assert_eq!(
        upload_errors(
            &[
                text_item("not base64!"),
                json!({"json": {}, "binary": {"data": {"mimeType": "text/plain"}}})
            ],
            "data",
            &[]
        ),
        [
            "binary property 'data': `data` is not valid base64 ('!' at character 10 is not a base64 character)",
            "binary property 'data' has neither `data` (base64) nor `path`",
        ]
    );
}

#[test]
fn an_upload_over_the_limit_is_refused_before_sending() {
    // 12 bytes ("hello world!") against a limit of 10.
    assert_eq!(
        upload_errors(
            &[text_item("aGVsbG8gd29ybGQh")],
            "data",
            &["--max-binary-bytes", "10"]
        ),
        [
            "binary property 'data' is 12 bytes, more than the upload limit of 10 bytes; nothing was sent"
        ]
    );
}

#[test]
fn file_references_stay_inside_the_binary_directory() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("binary_input_dir");
    std::fs::create_dir_all(&dir).expect("a directory");
    let outside = json!({"json": {}, "binary": {"data": {"path": "../binary_input_outside.txt"}}});
    std::fs::write(dir.join("../binary_input_outside.txt"), "secret").expect("write");
    let missing = json!({"json": {}, "binary": {"data": {"path": "nope.bin"}}});
    assert_eq!(
        upload_errors(std::slice::from_ref(&outside), "data", &[]),
        [
            "binary property 'data': it references the file ../binary_input_outside.txt, but no binary directory is set (--binary-dir); without one, binary data must be base64 in `data`"
        ]
    );
    let errors = upload_errors(
        &[outside, missing],
        "data",
        &["--binary-dir", dir.to_str().expect("UTF-8")],
    );
    assert_eq!(
        errors[0],
        format!(
            "binary property 'data': the file ../binary_input_outside.txt is outside the binary directory {}",
            dir.canonicalize().expect("exists").display()
        )
    );
    assert_eq!(
        errors[1],
        "binary property 'data': cannot read nope.bin: No such file or directory (os error 2)"
    );
}
