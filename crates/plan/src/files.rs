//! The file parts a request uploads, taken from the item's binary properties without IO: base64
//! `data` decoded here, a `path` (noderun's filesystem mode) left for the executor to read. The
//! forms page's planner (crates/wasm) and the executor share it, and [`file_dry_run`] writes what
//! a dry run shows of a part.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ItemFailure;
use crate::item::Item;
use crate::request::RequestSpec;

/// A binary property's value (n8n's `IBinaryData`), as items carry it under `binary.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinaryData {
    /// The bytes, base64-encoded (n8n's default mode); absent when `path` holds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The media type, e.g. `image/png`.
    #[serde(default = "octet_stream")]
    pub mime_type: String,
    /// The file name, e.g. `photo.png`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// The file name's extension, without the dot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_extension: Option<String>,
    /// The size for people, as n8n writes it (`"1.23 MB"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<String>,
    /// The size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// noderun's filesystem mode: the file holding the bytes, inside the binary directory
    /// (absolute, or relative to that directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

fn octet_stream() -> String {
    "application/octet-stream".into()
}

/// Where a file part's bytes are.
#[derive(Debug, Clone)]
pub enum FileSource {
    /// Decoded from the item's base64 `data`.
    Data(Vec<u8>),
    /// The `path` of the item's binary property, for the executor to resolve inside its binary
    /// directory and read.
    Path(String),
}

/// One file part of a multipart upload: its form field, the binary property it comes from, its
/// file name and media type, and where its bytes are.
#[derive(Debug, Clone)]
pub struct FilePart {
    /// The multipart field.
    pub field: String,
    /// The item's binary property (`binaryPropertyName`).
    pub property: String,
    /// The file name sent: the property's `fileName`, the name of its `path`, or the property's
    /// name with an extension for its media type.
    pub file_name: String,
    /// The media type sent.
    pub mime_type: String,
    /// Where the bytes are.
    pub source: FileSource,
}

fn failure(message: String) -> ItemFailure {
    ItemFailure::parameter("binaryPropertyName", message)
}

impl RequestSpec {
    /// The file parts this request uploads, from `item`'s binary properties.
    ///
    /// # Errors
    /// A missing binary property (named with what the item has), a property that is not n8n
    /// binary data, `data` that is not base64, or neither `data` nor `path`.
    pub fn file_parts(&self, item: &Item) -> Result<Vec<FilePart>, ItemFailure> {
        let mut out = Vec::with_capacity(self.files.len());
        for (field, property) in &self.files {
            let Some(value) = item.binary.as_ref().and_then(|b| b.get(property)) else {
                let has: Vec<&str> = item
                    .binary
                    .iter()
                    .flat_map(|b| b.keys())
                    .map(String::as_str)
                    .collect();
                return Err(failure(format!(
                    "the item has no binary property '{property}' (binaryPropertyName); {}",
                    if has.is_empty() {
                        "it has no binary data".to_string()
                    } else {
                        format!("its binary properties are: {}", has.join(", "))
                    }
                )));
            };
            let data: BinaryData = serde_json::from_value(value.clone()).map_err(|e| {
                failure(format!(
                    "binary property '{property}' is not n8n binary data ({e})"
                ))
            })?;
            let source = match (&data.path, &data.data) {
                (Some(path), _) => FileSource::Path(path.clone()),
                (None, Some(text)) => FileSource::Data(decode(text).map_err(|why| {
                    failure(format!(
                        "binary property '{property}': `data` is not valid base64 ({why})"
                    ))
                })?),
                (None, None) => {
                    return Err(failure(format!(
                        "binary property '{property}' has neither `data` (base64) nor `path`"
                    )));
                }
            };
            let file_name = data
                .file_name
                .clone()
                .or_else(|| {
                    data.path.as_deref().and_then(|p| {
                        Path::new(p)
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                    })
                })
                .unwrap_or_else(|| format!("{property}{}", extension_for(&data.mime_type)));
            out.push(FilePart {
                field: field.clone(),
                property: property.clone(),
                file_name,
                mime_type: data.mime_type,
                source,
            });
        }
        Ok(out)
    }
}

/// Base64 text decoded; whitespace (line breaks of wrapped base64) is allowed, as n8n's Buffer
/// allows it.
fn decode(text: &str) -> Result<Vec<u8>, String> {
    let decoded = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.split_ascii_whitespace().collect();
        STANDARD.decode(compact)
    } else {
        STANDARD.decode(text)
    };
    decoded.map_err(|e| match e {
        base64::DecodeError::InvalidByte(at, byte) => format!(
            "{:?} at character {} is not a base64 character",
            byte as char,
            at + 1
        ),
        other => other.to_string(),
    })
}

/// What a dry run shows of a file part: its file name, media type and size in bytes.
pub fn file_dry_run(file_name: &str, mime_type: &str, bytes: u64) -> Value {
    json!({"fileName": file_name, "mimeType": mime_type, "bytes": bytes})
}

/// A file extension (with its dot) for a media type, for files that have no name.
fn extension_for(mime: &str) -> &'static str {
    match mime.split(';').next().unwrap_or_default().trim() {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "image/avif" => ".avif",
        "image/tiff" => ".tiff",
        "image/svg+xml" => ".svg",
        "application/pdf" => ".pdf",
        "application/json" => ".json",
        "text/csv" => ".csv",
        "text/plain" => ".txt",
        "text/xml" | "application/xml" => ".xml",
        "text/yaml" | "application/yaml" | "application/x-yaml" => ".yaml",
        "text/html" => ".html",
        "application/zip" => ".zip",
        _ => "",
    }
}
