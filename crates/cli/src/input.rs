//! Reading input items: NDJSON (one item per line, read as a stream) or one JSON array.

use futures::Stream;
use noderun_executor::Item;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Entries of the input, each an item or the reason it could not be read (with its line).
/// Blank lines are skipped. A first non-blank byte `[` means one JSON array (read whole).
pub(crate) fn items<R: AsyncBufRead + Unpin + Send + 'static>(
    reader: R,
) -> impl Stream<Item = Result<Item, String>> {
    futures::stream::unfold(State::Start(reader), |state| async move {
        match state {
            State::Start(mut reader) => {
                let first = match first_byte(&mut reader).await {
                    Ok(b) => b,
                    Err(e) => {
                        return Some((Err(format!("cannot read the input: {e}")), State::Done));
                    }
                };
                match first {
                    None => None,
                    Some(b'[') => {
                        let mut text = Vec::new();
                        if let Err(e) =
                            tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut text).await
                        {
                            return Some((Err(format!("cannot read the input: {e}")), State::Done));
                        }
                        match serde_json::from_slice::<Vec<serde_json::Value>>(&text) {
                            Ok(values) => {
                                let mut rest = values.into_iter();
                                let first = rest.next()?;
                                Some((
                                    Item::from_input(first)
                                        .map_err(|e| format!("input entry 1: {e}")),
                                    State::Array(rest, 1),
                                ))
                            }
                            Err(e) => Some((
                                Err(format!("the input is not a valid JSON array: {e}")),
                                State::Done,
                            )),
                        }
                    }
                    Some(_) => next_line(reader, 0).await,
                }
            }
            State::Lines(reader, line) => next_line(reader, line).await,
            State::Array(mut rest, n) => {
                let value = rest.next()?;
                Some((
                    Item::from_input(value).map_err(|e| format!("input entry {}: {e}", n + 1)),
                    State::Array(rest, n + 1),
                ))
            }
            State::Done => None,
        }
    })
}

enum State<R> {
    Start(R),
    Lines(R, usize),
    Array(std::vec::IntoIter<serde_json::Value>, usize),
    Done,
}

async fn first_byte<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => return Ok(Some(buf[i])),
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

async fn next_line<R: AsyncBufRead + Unpin>(
    mut reader: R,
    mut line: usize,
) -> Option<(Result<Item, String>, State<R>)> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        line += 1;
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                return Some((
                    Err(format!("line {line}: cannot read the input: {e}")),
                    State::Done,
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
            Ok(text) => serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| format!("line {line}: not valid JSON ({e})"))
                .and_then(|v| Item::from_input(v).map_err(|e| format!("line {line}: {e}"))),
        };
        return Some((entry, State::Lines(reader, line)));
    }
}
