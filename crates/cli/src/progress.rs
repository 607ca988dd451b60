//! The progress line on a terminal (indicatif): items done, of how many when that is knowable
//! (a JSON array, or a file counted in the background), the rate and the time left; redrawn on
//! stderr only, and cleared while outputs are written to the same terminal.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// The progress line (hidden when stderr is not a terminal, or with --quiet).
pub(crate) struct Progress {
    bar: ProgressBar,
    /// Outputs go to the terminal the line is drawn on: clear it while writing them.
    suspend_writes: bool,
}

impl Progress {
    pub(crate) fn new(quiet: bool, writes_to_stdout: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
                suspend_writes: false,
            };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(style(false));
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar,
            suspend_writes: writes_to_stdout && std::io::stdout().is_terminal(),
        }
    }

    /// The number of input items, once known: the line gets a bar and the time left.
    pub(crate) fn set_total(&self, total: u64) {
        if !self.bar.is_hidden() {
            self.bar.set_length(total);
            self.bar.set_style(style(true));
        }
    }

    /// Counts the items of an NDJSON file in the background (the items are read as a stream:
    /// the run does not wait for this), then sets the total.
    pub(crate) fn count_lines_of(&self, path: PathBuf) {
        if self.bar.is_hidden() {
            return;
        }
        let bar = self.bar.clone();
        std::thread::spawn(move || {
            if let Some(n) = count_items(path) {
                bar.set_length(n);
                bar.set_style(style(true));
            }
        });
    }

    /// An output of input item `index` was delivered: the items before it are done.
    pub(crate) fn item(&self, index: usize) {
        let done = index as u64 + 1;
        if done > self.bar.position() {
            self.bar.set_position(done);
        }
    }

    /// Runs `f` (a write to stdout, a note on stderr) with the line cleared if it could mix.
    pub(crate) fn around_write<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.suspend_writes {
            self.bar.suspend(f)
        } else {
            f()
        }
    }

    /// Runs `f` (a note on stderr) with the line cleared.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `⠁ [#####     ] 120/1000 items, 48/s, 18s left` once the total is known, else
/// `⠁ 120 items, 48/s, 2s`.
fn style(with_total: bool) -> ProgressStyle {
    let template = if with_total {
        "{spinner} [{bar:30}] {pos}/{len} items, {rate}, {eta} left"
    } else {
        "{spinner} {pos} items, {rate}, {elapsed}"
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .progress_chars("#> ")
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let rate = state.per_sec();
                let _ = if rate < 10.0 {
                    write!(w, "{rate:.1}/s")
                } else {
                    write!(w, "{rate:.0}/s")
                };
            },
        )
}

/// The non-blank lines of a regular file (its NDJSON items); None for anything else, or a file
/// that holds a JSON array (its items are counted when it is parsed).
fn count_items(path: PathBuf) -> Option<u64> {
    let mut file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut buf = vec![0u8; 1 << 16];
    let mut count = 0;
    // Whether the current line has a byte that is not whitespace; whether any line had one.
    let (mut filled, mut first) = (false, None);
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            if b == b'\n' {
                count += u64::from(filled);
                filled = false;
            } else if !b.is_ascii_whitespace() {
                first.get_or_insert(b);
                filled = true;
            }
        }
    }
    count += u64::from(filled);
    (first != Some(b'[')).then_some(count)
}
