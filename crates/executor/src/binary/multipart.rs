//! The multipart/form-data body of an upload: the JSON body's fields, then the file parts,
//! streamed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::upload::{Source, Upload};

/// A multipart/form-data body: the JSON body's fields first (strings as they are, other values
/// as JSON text), then the file parts, streamed. Returns the Content-Type, the body and its
/// length.
pub(crate) fn body(fields: Option<&Value>, uploads: &[Upload]) -> (String, reqwest::Body, u64) {
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
