//! Binary data: n8n's `binary` properties read for uploads and written for downloads, streamed.
//!
//! An item's `binary` map is kept as given (read and written unchanged); a property is only
//! interpreted when an upload names it. Two modes, as in n8n: the bytes travel in the item as
//! base64 (`data`, n8n's default), or, with [`Settings::binary_dir`], in files of that
//! directory that the item references (`path`, like n8n's filesystem mode). Uploads are sent as
//! a stream (a file is never read whole), downloads are streamed to a file or base64-encoded as
//! they arrive, so a file is held in memory at most once (base64 mode) or not at all.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{FailureKind, ItemFailure};
use crate::item::Item;
use crate::plan::RequestSpec;
use crate::settings::Settings;

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

/// `size` as n8n's `prettyBytes` writes it: SI units, three significant digits.
pub(crate) fn pretty_bytes(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if size < 1000 {
        return format!("{size} B");
    }
    let exponent = ((size as f64).log10() / 3.0).floor() as usize;
    let exponent = exponent.min(UNITS.len() - 1);
    let value = size as f64 / 1000f64.powi(exponent as i32);
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text} {}", UNITS[exponent])
}

/// Where a file part's bytes come from.
#[derive(Debug, Clone)]
enum Source {
    /// Decoded from the item's base64 `data` (once per item, shared by retries).
    Memory(Bytes),
    /// A file of the binary directory, streamed on every attempt.
    File(PathBuf),
}

/// One file part of a multipart upload, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    field: String,
    file_name: String,
    mime_type: String,
    len: u64,
    source: Source,
}

/// The file parts a request sends, read from the item's binary properties and checked against
/// the size limit before anything is sent.
///
/// # Errors
/// A missing binary property (named with the item and what it has), `data` that is not
/// base64, a `path` outside the binary directory or unreadable, or a file over the limit.
pub(crate) async fn uploads(
    spec: &RequestSpec,
    index: usize,
    item: &Item,
    settings: &Settings,
) -> Result<Vec<Upload>, ItemFailure> {
    let mut out = Vec::with_capacity(spec.files.len());
    for (field, property) in &spec.files {
        let failure = |message: String| ItemFailure::parameter("binaryPropertyName", message);
        let Some(value) = item.binary.as_ref().and_then(|b| b.get(property)) else {
            let has: Vec<&str> = item
                .binary
                .iter()
                .flat_map(|b| b.keys())
                .map(String::as_str)
                .collect();
            return Err(failure(format!(
                "Item {index} has no binary property '{property}' (binaryPropertyName); {}",
                if has.is_empty() {
                    "it has no binary data".to_string()
                } else {
                    format!("its binary properties are: {}", has.join(", "))
                }
            )));
        };
        let data: BinaryData = serde_json::from_value(value.clone()).map_err(|e| {
            failure(format!(
                "Item {index}: binary property '{property}' is not n8n binary data ({e})"
            ))
        })?;
        let (source, len) = match (&data.path, &data.data) {
            (Some(path), _) => {
                let path = inside_binary_dir(path, settings).map_err(|m| {
                    failure(format!("Item {index}: binary property '{property}': {m}"))
                })?;
                let len = tokio::fs::metadata(&path)
                    .await
                    .map_err(|e| {
                        failure(format!(
                            "Item {index}: binary property '{property}': cannot read {}: {e}",
                            path.display()
                        ))
                    })?
                    .len();
                (Source::File(path), len)
            }
            (None, Some(text)) => {
                // Whitespace (line breaks of wrapped base64) is allowed, as n8n's Buffer allows it.
                let decoded = if text.bytes().any(|b| b.is_ascii_whitespace()) {
                    let compact: String = text.split_ascii_whitespace().collect();
                    STANDARD.decode(compact)
                } else {
                    STANDARD.decode(text)
                }
                .map_err(|e| {
                    let why = match e {
                        base64::DecodeError::InvalidByte(at, byte) => format!(
                            "{:?} at character {} is not a base64 character",
                            byte as char,
                            at + 1
                        ),
                        other => other.to_string(),
                    };
                    failure(format!(
                        "Item {index}: binary property '{property}': `data` is not valid base64 ({why})"
                    ))
                })?;
                let len = decoded.len() as u64;
                (Source::Memory(Bytes::from(decoded)), len)
            }
            (None, None) => {
                return Err(failure(format!(
                    "Item {index}: binary property '{property}' has neither `data` (base64) nor `path`"
                )));
            }
        };
        if len > settings.max_binary_bytes {
            return Err(failure(format!(
                "Item {index}: binary property '{property}' is {len} bytes, more than the upload limit of {} bytes; nothing was sent",
                settings.max_binary_bytes
            )));
        }
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
        out.push(Upload {
            field: field.clone(),
            file_name,
            mime_type: data.mime_type,
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

/// A multipart/form-data body: the JSON body's fields first (strings as they are, other values
/// as JSON text), then the file parts, streamed. Returns the Content-Type, the body and its
/// length.
pub(crate) fn multipart(
    fields: Option<&Value>,
    uploads: &[Upload],
) -> (String, reqwest::Body, u64) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let boundary = format!(
        "----noderun{:x}{nanos:x}{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut parts: Vec<BoxStream<'static, std::io::Result<Bytes>>> = Vec::new();
    let mut file_bytes = 0u64;
    let mut len = 0u64;
    let mut text = |parts: &mut Vec<BoxStream<'static, std::io::Result<Bytes>>>, s: String| {
        len += s.len() as u64;
        parts.push(futures::stream::once(async move { Ok(Bytes::from(s)) }).boxed());
    };
    if let Some(Value::Object(fields)) = fields {
        for (name, value) in fields {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            text(
                &mut parts,
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                    quote(name)
                ),
            );
        }
    }
    for upload in uploads {
        text(
            &mut parts,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                quote(&upload.field),
                quote(&upload.file_name),
                upload.mime_type
            ),
        );
        file_bytes += upload.len;
        parts.push(match &upload.source {
            Source::Memory(bytes) => {
                let bytes = bytes.clone();
                futures::stream::once(async move { Ok(bytes) }).boxed()
            }
            Source::File(path) => file_stream(path.clone()),
        });
        text(&mut parts, "\r\n".into());
    }
    text(&mut parts, format!("--{boundary}--\r\n"));
    let body = reqwest::Body::wrap_stream(futures::stream::iter(parts).flatten());
    (
        format!("multipart/form-data; boundary={boundary}"),
        body,
        len + file_bytes,
    )
}

/// A header parameter value: quotes and line breaks escaped as browsers do.
fn quote(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A file read in chunks (never whole).
fn file_stream(path: PathBuf) -> BoxStream<'static, std::io::Result<Bytes>> {
    futures::stream::try_unfold((path, None::<tokio::fs::File>), |(path, file)| async move {
        let mut file = match file {
            Some(f) => f,
            None => tokio::fs::File::open(&path).await?,
        };
        let mut buf = vec![0u8; 256 * 1024];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), (path, Some(file)))))
    })
    .boxed()
}

/// Where a download goes: the writer of one response body.
enum Sink {
    /// Base64-encoded as it arrives; `carry` holds the 0–2 bytes of an incomplete group.
    Base64 { text: String, carry: Vec<u8> },
    /// A file of the binary directory.
    File {
        path: PathBuf,
        file: tokio::io::BufWriter<tokio::fs::File>,
    },
}

/// A file name from a `Content-Disposition` header (`filename*=UTF-8''…` or `filename="…"`).
pub(crate) fn disposition_file_name(header: &str) -> Option<String> {
    let mut plain = None;
    for part in header.split(';').map(str::trim) {
        if let Some(v) = part.strip_prefix("filename*=") {
            let v = v.trim_matches('"');
            let encoded = v.rsplit("''").next().unwrap_or(v);
            return Some(percent_decode(encoded));
        }
        if let Some(v) = part.strip_prefix("filename=") {
            plain = Some(v.trim_matches('"').to_string());
        }
    }
    plain
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A name safe as a file name in the binary directory.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned.chars().take(100).collect()
    }
}

/// What a download records about the body it receives.
pub(crate) struct DownloadInfo {
    pub mime_type: String,
    pub file_name: String,
}

/// Streams a successful response body into a binary property value: a file in the binary
/// directory when one is set, else base64. Past `max_binary_bytes` the download is refused (and
/// a partial file removed).
///
/// # Errors
/// The network failing mid-body, the limit, or the file not being writable.
pub(crate) async fn download(
    mut response: reqwest::Response,
    info: DownloadInfo,
    settings: &Settings,
    network_failure: impl Fn(&reqwest::Error) -> ItemFailure,
) -> Result<Value, ItemFailure> {
    let limit = settings.max_binary_bytes;
    let too_large = || {
        ItemFailure::new(
            FailureKind::Response,
            format!("The file is larger than the binary limit of {limit} bytes; it was not kept"),
        )
    };
    if response.content_length().is_some_and(|l| l > limit) {
        return Err(too_large());
    }
    let write_failure = |path: &Path, e: std::io::Error| {
        ItemFailure::new(
            FailureKind::Response,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    let mut sink = match &settings.binary_dir {
        Some(dir) => {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let path = dir.join(format!(
                "{}-{nanos:x}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                safe_name(&info.file_name)
            ));
            let file = tokio::fs::File::create(&path)
                .await
                .map_err(|e| write_failure(&path, e))?;
            Sink::File {
                file: tokio::io::BufWriter::with_capacity(256 * 1024, file),
                path,
            }
        }
        None => Sink::Base64 {
            text: String::with_capacity(
                response
                    .content_length()
                    .map_or(0, |l| (l as usize).div_ceil(3) * 4),
            ),
            carry: Vec::new(),
        },
    };
    let mut size = 0u64;
    let result: Result<(), ItemFailure> = async {
        while let Some(chunk) = response.chunk().await.map_err(|e| network_failure(&e))? {
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_large());
            }
            match &mut sink {
                Sink::Base64 { text, carry } => {
                    carry.extend_from_slice(&chunk);
                    let whole = carry.len() / 3 * 3;
                    STANDARD.encode_string(&carry[..whole], text);
                    carry.drain(..whole);
                }
                Sink::File { file, path } => file
                    .write_all(&chunk)
                    .await
                    .map_err(|e| write_failure(path, e))?,
            }
        }
        Ok(())
    }
    .await;
    let mut data = BinaryData {
        mime_type: info.mime_type,
        file_extension: Path::new(&info.file_name)
            .extension()
            .map(|e| e.to_string_lossy().into_owned()),
        file_name: Some(info.file_name),
        file_size: Some(pretty_bytes(size)),
        bytes: Some(size),
        ..BinaryData::default()
    };
    match sink {
        Sink::Base64 { mut text, carry } => {
            result?;
            STANDARD.encode_string(&carry, &mut text);
            data.data = Some(text);
        }
        Sink::File { mut file, path } => {
            let flushed = match result {
                Ok(()) => file.flush().await.map_err(|e| write_failure(&path, e)),
                Err(e) => Err(e),
            };
            if let Err(e) = flushed {
                drop(file);
                let _ = tokio::fs::remove_file(&path).await;
                return Err(e);
            }
            data.path = Some(path.to_string_lossy().into_owned());
        }
    }
    Ok(serde_json::to_value(data).expect("binary data serializes"))
}

/// The dry-run description of a request's file parts: field → what would be sent.
pub(crate) fn describe(uploads: &[Upload]) -> Map<String, Value> {
    uploads
        .iter()
        .map(|u| {
            (
                u.field.clone(),
                serde_json::json!({"fileName": u.file_name, "mimeType": u.mime_type, "bytes": u.len}),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_as_n8n_writes_them() {
        assert_eq!(pretty_bytes(0), "0 B");
        assert_eq!(pretty_bytes(999), "999 B");
        assert_eq!(pretty_bytes(1000), "1 kB");
        assert_eq!(pretty_bytes(1234), "1.23 kB");
        assert_eq!(pretty_bytes(45_678), "45.7 kB");
        assert_eq!(pretty_bytes(1_000_000_000), "1 GB");
    }

    #[test]
    fn file_names_come_from_content_disposition() {
        assert_eq!(
            disposition_file_name("inline; filename=\"a b.png\"").as_deref(),
            Some("a b.png")
        );
        assert_eq!(
            disposition_file_name("attachment; filename=\"x\"; filename*=UTF-8''%C3%A9t%C3%A9.csv")
                .as_deref(),
            Some("été.csv")
        );
        assert_eq!(disposition_file_name("inline"), None);
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
    }
}
