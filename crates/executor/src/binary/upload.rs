//! Uploads: the file parts a request sends, read from the item's binary properties (base64
//! `data`, or a `path` inside the binary directory) and checked against the size limit before
//! anything is sent.

use std::path::PathBuf;

use bytes::Bytes;
use noderun_plan::{FileSource, Item, ItemFailure, RequestSpec, file_dry_run};
use serde_json::{Map, Value};

use crate::settings::Settings;

/// Where a file part's bytes come from.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// Decoded from the item's base64 `data` (once per item, shared by retries).
    Memory(Bytes),
    /// A file of the binary directory, streamed on every attempt.
    File(PathBuf),
}

/// One file part of a multipart upload, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub(super) field: String,
    pub(super) file_name: String,
    pub(super) mime_type: String,
    pub(super) len: u64,
    pub(super) source: Source,
}

/// The file parts a request sends, read from the item's binary properties and checked against
/// the size limit before anything is sent.
///
/// # Errors
/// A missing binary property (named with what the item has), `data` that is not
/// base64, a `path` outside the binary directory or unreadable, or a file over the limit.
pub(crate) async fn read(
    spec: &RequestSpec,
    item: &Item,
    settings: &Settings,
) -> Result<Vec<Upload>, ItemFailure> {
    let mut out = Vec::with_capacity(spec.files.len());
    for part in spec.file_parts(item)? {
        let failure = |m: String| {
            ItemFailure::parameter(
                "binaryPropertyName",
                format!("binary property '{}': {m}", part.property),
            )
        };
        let (source, len) = match part.source {
            FileSource::Path(path) => {
                let path = inside_binary_dir(&path, settings).map_err(failure)?;
                let len = tokio::fs::metadata(&path)
                    .await
                    .map_err(|e| failure(format!("cannot read {}: {e}", path.display())))?
                    .len();
                (Source::File(path), len)
            }
            FileSource::Data(bytes) => {
                let len = bytes.len() as u64;
                (Source::Memory(Bytes::from(bytes)), len)
            }
        };
        if len > settings.max_binary_bytes {
            return Err(ItemFailure::parameter(
                "binaryPropertyName",
                format!(
                    "binary property '{}' is {len} bytes, more than the upload limit of {} bytes; nothing was sent",
                    part.property, settings.max_binary_bytes
                ),
            ));
        }
        out.push(Upload {
            field: part.field,
            file_name: part.file_name,
            mime_type: part.mime_type,
            len,
            source,
        });
    }
    Ok(out)
}

/// A `path` reference resolved inside the binary directory (never outside it: items may come
/// from anywhere, and a path must not make noderun upload an arbitrary file).
fn inside_binary_dir(path: &str, settings: &Settings) -> Result<PathBuf, String> {
    let Some(dir) = &settings.binary_dir else {
        return Err(format!(
            "it references the file {path}, but no binary directory is set (--binary-dir); \
             without one, binary data must be base64 in `data`"
        ));
    };
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("the binary directory {}: {e}", dir.display()))?;
    let full = dir
        .join(path)
        .canonicalize()
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    if !full.starts_with(&dir) {
        return Err(format!(
            "the file {path} is outside the binary directory {}",
            dir.display()
        ));
    }
    Ok(full)
}

/// The dry-run description of a request's file parts: field → what would be sent.
pub(crate) fn describe(uploads: &[Upload]) -> Map<String, Value> {
    uploads
        .iter()
        .map(|u| {
            (
                u.field.clone(),
                file_dry_run(&u.file_name, &u.mime_type, u.len),
            )
        })
        .collect()
}
