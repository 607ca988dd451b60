//! Writing outputs as NDJSON: every output reaches its file as soon as it and every output before
//! it are complete, one input item's outputs at a time, and a write that fails is accounted for.
//!
//! The run serializes every output into its target's buffer as it is delivered; whenever the run
//! waits (no further output is ready), [`write_when_ready`] writes the buffers with one `write`
//! call per target: so outputs flow one by one when items are slow, in large writes when they are
//! fast (and between two items once 1 MiB is buffered, for a run that never waits). Writes end on item boundaries: when a write fails part way
//! (disk full), a regular file is cut back to the end of the last whole item, so that a file never
//! holds part of an item's outputs (`--resume` relies on it). After a failure nothing more is
//! written to that target; the items whose outputs it could not take are listed in the [`Lost`]
//! report.

use std::convert::Infallible;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use noderun_executor::{Item, Output};
use tokio::sync::Notify;

/// Buffered bytes that are written between two items even if the run has not waited yet.
const FULL: usize = 1 << 20;

/// Where one output goes.
pub(crate) struct Target {
    file: File,
    /// "stdout" or the path, for messages.
    name: String,
    /// A regular file, which can be cut back after a partial write.
    regular: bool,
    /// Outputs not written yet; `groups` marks where each input item's outputs end.
    buf: Vec<u8>,
    groups: Vec<Group>,
    lost: Lost,
}

/// One input item's outputs in a target's buffer.
struct Group {
    index: usize,
    end: usize,
    failed: bool,
}

/// What a target could not write, and why.
#[derive(Default)]
pub(crate) struct Lost {
    /// The write error, once one happened.
    pub(crate) error: Option<std::io::Error>,
    /// Items that succeeded whose outputs were not delivered.
    pub(crate) succeeded: Vec<usize>,
    /// Items that failed whose error items were not delivered.
    pub(crate) failed: Vec<usize>,
}

impl Target {
    /// Standard output (a duplicate of its descriptor: written without Rust's line buffering).
    pub(crate) fn stdout() -> Result<Target, String> {
        use std::os::fd::AsFd;
        let fd = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| format!("cannot use stdout: {e}"))?;
        Ok(Target::new(File::from(fd), "stdout".into()))
    }

    /// A file, created (emptied if it exists), or appended to.
    pub(crate) fn file(path: &Path, append: bool) -> Result<Target, String> {
        let file = if append {
            File::options().append(true).create(true).open(path)
        } else {
            File::create(path)
        }
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Target::new(file, path.display().to_string()))
    }

    fn new(file: File, name: String) -> Target {
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        Target {
            file,
            name,
            regular,
            buf: Vec::with_capacity(1 << 16),
            groups: Vec::new(),
            lost: Lost::default(),
        }
    }

    /// Buffers an output; returns false when a write (of a full buffer) failed.
    fn push(&mut self, item: &Item) -> bool {
        let index = item.paired_item.map_or(usize::MAX, |p| p.item);
        let failed = item.error.is_some();
        // A run that never waits (a dry run over a JSON array) still writes, between items.
        let ok = self.buf.len() < FULL
            || self.groups.last().is_some_and(|g| g.index == index)
            || self.flush();
        if self.lost.error.is_some() {
            let list = if failed {
                &mut self.lost.failed
            } else {
                &mut self.lost.succeeded
            };
            if list.last() != Some(&index) {
                list.push(index);
            }
            return ok;
        }
        serde_json::to_writer(&mut self.buf, item).expect("items serialize");
        self.buf.push(b'\n');
        match self.groups.last_mut() {
            Some(g) if g.index == index => g.end = self.buf.len(),
            _ => self.groups.push(Group {
                index,
                end: self.buf.len(),
                failed,
            }),
        }
        true
    }

    /// Buffers a line that is no item's outcome (the empty item of n8n's `alwaysOutputData`).
    pub(crate) fn push_line(&mut self, value: &serde_json::Value) -> bool {
        if self.lost.error.is_some() {
            return false;
        }
        serde_json::to_writer(&mut self.buf, value).expect("values serialize");
        self.buf.push(b'\n');
        self.groups.push(Group {
            index: usize::MAX,
            end: self.buf.len(),
            failed: false,
        });
        true
    }

    /// Writes the buffer; returns false when the write failed.
    fn flush(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let mut written = 0;
        let mut error = None;
        while written < self.buf.len() {
            match self.file.write(&self.buf[written..]) {
                Ok(0) => error = Some(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => error = Some(e),
            }
            if error.is_some() {
                break;
            }
        }
        let ok = error.is_none();
        if let Some(e) = error {
            let whole = self.groups.iter().take_while(|g| g.end <= written).count();
            let kept = whole.checked_sub(1).map_or(0, |i| self.groups[i].end);
            if written > kept && self.regular {
                // Cut the partly written item off again; if that fails too it stays (reported).
                if let Ok(at) = self.file.stream_position() {
                    let _ = self.file.set_len(at - (written - kept) as u64);
                    let _ = self.file.seek(SeekFrom::End(0));
                }
            }
            for g in &self.groups[whole..] {
                if g.failed {
                    self.lost.failed.push(g.index);
                } else {
                    self.lost.succeeded.push(g.index);
                }
            }
            self.lost.error = Some(e);
        }
        self.buf.clear();
        self.groups.clear();
        ok
    }

    /// The name and what was lost, when a write failed.
    pub(crate) fn into_lost(self) -> Option<(String, Lost)> {
        self.lost.error.is_some().then_some((self.name, self.lost))
    }
}

/// The outputs of a run: the main output and the error output.
pub(crate) struct Sinks {
    pub(crate) main: Target,
    pub(crate) error: Option<Target>,
}

impl Sinks {
    /// Buffers an output (an error output without an error target has nowhere to go); returns
    /// false when a write failed.
    pub(crate) fn push(&mut self, output: &Output) -> bool {
        match output {
            Output::Main(item) => self.main.push(item),
            Output::Error(item) => self.error.as_mut().is_none_or(|e| e.push(item)),
        }
    }

    /// Writes what is buffered, one write per target; false when a write failed.
    pub(crate) fn flush(&mut self) -> bool {
        self.main.flush() & self.error.as_mut().is_none_or(Target::flush)
    }

    /// Every target that could not write, with what it lost.
    pub(crate) fn into_lost(self) -> Vec<(String, Lost)> {
        [Some(self.main), self.error]
            .into_iter()
            .flatten()
            .filter_map(Target::into_lost)
            .collect()
    }
}

/// Writes the buffered outputs (`flush`, which says whether the writes succeeded) each time
/// `ready` is notified. Polled next to the run in the same task, after it, this runs when the
/// run waits: when no further output is ready. `on_failure` is called when a write failed (to
/// stop the run).
pub(crate) async fn write_when_ready(
    ready: &Notify,
    flush: impl Fn() -> bool,
    on_failure: impl Fn(),
) -> Infallible {
    loop {
        ready.notified().await;
        if !flush() {
            on_failure();
        }
    }
}
