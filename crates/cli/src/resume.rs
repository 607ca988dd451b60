//! `--resume FILE`: the input items an earlier, interrupted run of the same input already did,
//! read from the `pairedItem` indices of the outputs it wrote, and the last entry each wrote (a
//! Return All list read by key continues after it: [`LastEntries`]).
//!
//! noderun writes an item's outputs whole (see `output`), so every complete line belongs to a
//! complete item, except in one case: a run killed in the middle of a write (SIGKILL, power loss)
//! leaves a last line without its newline. Then that line and the outputs of the item before it
//! are dropped (its outputs may be incomplete) and the item runs again; when this run appends to
//! that file, the file is cut back to the end of the kept lines first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

/// The last output entry of each item in the resume files, or `None` for an item that failed
/// (its error item was written: it is done, its list is not continued).
pub(crate) type LastEntries = BTreeMap<usize, Option<Map<String, Value>>>;

/// Adds to `done` the input indices whose outputs `path` holds. `appended` says this run appends
/// its outputs to that file: it may then be missing (the first run) and an incomplete end is cut
/// off. Records each item's last entry in `last`. Returns a note for stderr when lines were
/// dropped.
pub(crate) fn read_done(
    path: &Path,
    appended: bool,
    done: &mut BTreeSet<usize>,
    last_entries: &mut LastEntries,
) -> Result<Option<String>, String> {
    let data = match std::fs::read(path) {
        Err(e) if appended && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the resume file {}: {e}",
                path.display()
            ));
        }
        Ok(data) => data,
    };
    let name = path.display();
    // The last item's index and where its outputs start.
    let mut last: Option<(usize, usize)> = None;
    let mut pos = 0;
    let mut line = 0;
    while let Some(len) = data[pos..].iter().position(|b| *b == b'\n') {
        line += 1;
        let text = &data[pos..pos + len];
        if !text.iter().all(u8::is_ascii_whitespace) {
            let value: Value = serde_json::from_slice(text).map_err(|e| {
                format!("the resume file {name}, line {line}: not valid JSON ({e}); is it an output of noderun?")
            })?;
            let index = value
                .pointer("/pairedItem/item")
                .and_then(Value::as_u64)
                .ok_or_else(|| {
                    format!("the resume file {name}, line {line}: an item without pairedItem.item; is it an output of noderun?")
                })? as usize;
            if last.is_none_or(|(i, _)| i != index) {
                last = Some((index, pos));
            }
            done.insert(index);
            let json = match value {
                Value::Object(mut item) if item.get("error").is_none() => match item.remove("json")
                {
                    Some(Value::Object(json)) => Some(json),
                    _ => None,
                },
                _ => None,
            };
            // A failed item stays marked as failed whatever follows it.
            let failed = last_entries.get(&index).is_some_and(Option::is_none);
            last_entries.insert(index, json.filter(|_| !failed));
        }
        pos += len + 1;
    }
    if data[pos..].iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // An incomplete last line: the item before it may be incomplete too.
    let keep = last.map_or(0, |(index, start)| {
        done.remove(&index);
        last_entries.remove(&index);
        start
    });
    if appended {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(keep as u64))
            .map_err(|e| format!("cannot cut the incomplete end off {name}: {e}"))?;
    }
    let again = last.map_or(String::new(), |(index, _)| {
        format!("; item {index}'s outputs may be incomplete: it runs again")
    });
    Ok(Some(format!(
        "the resume file {name} ends in an incomplete line (its run was killed while writing){again}{}",
        if appended {
            "; the file is cut back to its complete lines"
        } else {
            ""
        }
    )))
}

/// Whether two paths name the same file (the same path, or the same device and inode).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a == b
        || match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done_of(text: &str, appended: bool) -> (BTreeSet<usize>, Option<String>, String) {
        let dir = std::env::temp_dir().join(format!("noderun-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.ndjson", text.len()));
        std::fs::write(&path, text).unwrap();
        let mut done = BTreeSet::new();
        let note = read_done(&path, appended, &mut done, &mut LastEntries::new()).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        (done, note, after)
    }

    const A: &str = "{\"json\":{\"a\":1},\"pairedItem\":{\"item\":0}}\n";
    const B1: &str = "{\"json\":{\"b\":1},\"pairedItem\":{\"item\":3}}\n";
    const B2: &str = "{\"json\":{\"b\":2},\"pairedItem\":{\"item\":3}}\n";

    #[test]
    fn complete_lines_give_their_items() {
        let text = format!("{A}{B1}{B2}");
        let (done, note, after) = done_of(&text, true);
        assert_eq!(done, BTreeSet::from([0, 3]));
        assert_eq!(note, None);
        assert_eq!(after, text);
    }

    #[test]
    fn an_incomplete_end_drops_the_last_item_and_is_cut_off_when_appended() {
        let text = format!("{A}{B1}{B2}{{\"json\":{{\"b\":3");
        let (done, note, after) = done_of(&text, true);
        assert_eq!(done, BTreeSet::from([0]));
        assert_eq!(after, A);
        let (done, note_read, after) = done_of(&text, false);
        assert_eq!(done, BTreeSet::from([0]));
        assert_eq!(after, text);
        assert!(
            note.unwrap().contains(
                "item 3's outputs may be incomplete: it runs again; the file is cut back"
            )
        );
        assert!(!note_read.unwrap().contains("cut back"));
    }

    #[test]
    fn a_line_without_paired_item_is_an_error() {
        let dir = std::env::temp_dir();
        let path = dir.join(format!("noderun-resume-bad-{}.ndjson", std::process::id()));
        std::fs::write(&path, format!("{A}{{\"json\":{{}}}}\n")).unwrap();
        let err =
            read_done(&path, false, &mut BTreeSet::new(), &mut LastEntries::new()).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(
            err.ends_with("line 2: an item without pairedItem.item; is it an output of noderun?"),
            "{err}"
        );
    }
}
