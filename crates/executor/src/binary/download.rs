//! Downloads: a successful binary response streamed into a binary property, base64 or a file of
//! the binary directory, never past the size limit.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use noderun_plan::{FailureKind, ItemFailure};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::{BinaryData, pretty_bytes};
use crate::settings::Settings;

/// Where a download goes: the writer of one response body.
enum DownloadTarget {
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
    let mut target = match &settings.binary_dir {
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
            DownloadTarget::File {
                file: tokio::io::BufWriter::with_capacity(256 * 1024, file),
                path,
            }
        }
        None => DownloadTarget::Base64 {
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
            match &mut target {
                DownloadTarget::Base64 { text, carry } => {
                    carry.extend_from_slice(&chunk);
                    let whole = carry.len() / 3 * 3;
                    STANDARD.encode_string(&carry[..whole], text);
                    carry.drain(..whole);
                }
                DownloadTarget::File { file, path } => file
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
    match target {
        DownloadTarget::Base64 { mut text, carry } => {
            result?;
            STANDARD.encode_string(&carry, &mut text);
            data.data = Some(text);
        }
        DownloadTarget::File { mut file, path } => {
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

#[cfg(test)]
mod tests {
    use super::*;

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
