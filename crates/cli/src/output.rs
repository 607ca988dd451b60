//! Writing outputs as NDJSON: every output reaches its file as soon as it and every output before
//! it are complete, one input item's outputs at a time, and a write that fails is accounted for.
//!
//! The run delivers outputs into a channel; [`write`] takes whatever is there, writes it with one
//! `write` call per target and waits for more: so outputs flow one by one when items are slow, in
//! large writes when they are fast. Writes end on item boundaries: when a write fails part way
//! (disk full), a regular file is cut back to the end of the last whole item, so that a file never
//! holds part of an item's outputs (`--resume` relies on it). After a failure nothing more is
//! written to that target; the items whose outputs it could not take are listed in the [`Lost`]
//! report.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use noderun_executor::{Item, Output};
use tokio::sync::mpsc::UnboundedReceiver;

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

    fn push(&mut self, item: &Item) {
        let index = item.paired_item.map_or(usize::MAX, |p| p.item);
        let failed = item.error.is_some();
        if self.lost.error.is_some() {
            let list = if failed {
                &mut self.lost.failed
            } else {
                &mut self.lost.succeeded
            };
            if list.last() != Some(&index) {
                list.push(index);
            }
            return;
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

/// Writes the outputs received until the run drops its sender. `on_failure` is called once, at
/// the first failed write (to stop the run).
pub(crate) async fn write(
    mut outputs: UnboundedReceiver<Output>,
    main: &mut Target,
    mut error: Option<&mut Target>,
    mut on_failure: impl FnMut(),
) {
    let mut failed = false;
    while let Some(first) = outputs.recv().await {
        let mut next = Some(first);
        // Everything that is ready now, then one write per target.
        while let Some(output) = next {
            match output {
                Output::Main(item) => main.push(&item),
                Output::Error(item) => {
                    if let Some(e) = error.as_deref_mut() {
                        e.push(&item);
                    }
                }
            }
            next = outputs.try_recv().ok();
        }
        let ok = main.flush() & error.as_deref_mut().is_none_or(Target::flush);
        if !ok && !failed {
            failed = true;
            on_failure();
        }
    }
}
