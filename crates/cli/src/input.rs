//! Reading input items: NDJSON (one item per line, read as a stream) or one JSON array.

use futures::stream::{BoxStream, StreamExt};
use noderun_executor::Item;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The input's entries, each an item or the reason it could not be read (naming its line or
/// entry), and how many there are when that is known (a JSON array). Blank lines are skipped.
/// When the first non-blank byte is `[` the input is one JSON array, read whole: if it does not
/// parse, no item can be read and that is an error here.
pub(crate) async fn open<R>(
    mut reader: R,
) -> Result<(BoxStream<'static, Result<Item, String>>, Option<u64>), String>
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    let (first, blank_lines) = skip_blank(&mut reader)
        .await
        .map_err(|e| format!("cannot read the input: {e}"))?;
    if first != Some(b'[') {
        let state = (Some(reader), blank_lines);
        let lines = futures::stream::unfold(state, |(reader, line)| async move {
            next_line(reader?, line).await
        });
        return Ok((lines.boxed(), None));
    }
    let mut text = Vec::new();
    reader
        .read_to_end(&mut text)
        .await
        .map_err(|e| format!("cannot read the input: {e}"))?;
    let values: Vec<serde_json::Value> = serde_json::from_slice(&text)
        .map_err(|e| format!("the input is not a valid JSON array: {e}"))?;
    let total = values.len() as u64;
    let items = futures::stream::iter(
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| Item::from_input(v).map_err(|e| format!("input entry {}: {e}", i + 1))),
    );
    Ok((items.boxed(), Some(total)))
}

/// Consumes leading whitespace; returns the first other byte and the lines consumed.
async fn skip_blank<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<(Option<u8>, usize)> {
    let mut lines = 0;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok((None, lines));
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                // Keep the partial line's whitespace: only whole blank lines are consumed.
                let whole = buf[..i]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1);
                lines += buf[..whole].iter().filter(|b| **b == b'\n').count();
                let first = buf[i];
                reader.consume(whole);
                return Ok((Some(first), lines));
            }
            None => {
                let n = buf.len();
                lines += buf.iter().filter(|b| **b == b'\n').count();
                reader.consume(n);
            }
        }
    }
}

/// The next entry and the state after it (no reader once the input failed).
type Next<R> = Option<(Result<Item, String>, (Option<R>, usize))>;

async fn next_line<R: AsyncBufRead + Unpin>(mut reader: R, mut line: usize) -> Next<R> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        line += 1;
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return None,
            Ok(_) => {}
            // The stream ends after an unreadable input; the error is its last entry.
            Err(e) => {
                return Some((
                    Err(format!("line {line}: cannot read the input: {e}")),
                    (None, line),
                ));
            }
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry = match std::str::from_utf8(&buf) {
            Err(e) => Err(format!(
                "line {line}: not valid UTF-8 (byte {})",
                e.valid_up_to() + 1
            )),
            Ok(text) => {
                serde_json::from_str::<serde_json::Value>(text.trim_end_matches(['\n', '\r']))
                    .map_err(|e| format!("line {line}: not valid JSON ({})", without_line(&e)))
                    .and_then(|v| Item::from_input(v).map_err(|e| format!("line {line}: {e}")))
            }
        };
        return Some((entry, (Some(reader), line)));
    }
}

/// serde_json's message without its "at line 1 column N" (the line is named already); a line
/// that ends inside a value says so ("EOF" means the end of the line here).
fn without_line(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    match message.strip_prefix("EOF while parsing ") {
        Some(what) => format!("the line ends inside {what}, at column {}", e.column()),
        None => format!("{message} at column {}", e.column()),
    }
}
