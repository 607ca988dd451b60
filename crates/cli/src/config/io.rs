//! Where items come from and where outputs go: `--input` or stdin, `--output` or stdout,
//! `--error-output`, and the `--resume` files, checked before anything is opened.

use std::path::{Path, PathBuf};

use crate::args::IoArgs;
use crate::resume::same_file;

/// The run's files, checked: no output is the input, no resume file is the stdout the shell
/// emptied.
pub(crate) struct Io {
    /// Items from this file, or stdin.
    pub(crate) input: Option<PathBuf>,
    /// Outputs to this file, or stdout.
    pub(crate) output: Option<PathBuf>,
    pub(crate) error_output: Option<PathBuf>,
    pub(crate) resume: Vec<PathBuf>,
}

/// The path of standard output, to compare files with.
pub(crate) const STDOUT: &str = "/dev/stdout";

impl Io {
    pub(crate) fn new(args: IoArgs) -> Result<Io, String> {
        // Opening an output empties it: refuse the one that is the input before anything is
        // opened (`--input F --output F`, or `--output F < F`).
        let input = args.input.as_deref().unwrap_or(Path::new("/dev/stdin"));
        for (flag, path) in [
            ("--output", args.output.as_deref()),
            ("--error-output", args.error_output.as_deref()),
        ] {
            if let Some(path) = path.filter(|p| same_file(p, input)) {
                return Err(format!(
                    "{flag} {} is the input file: writing it would empty it before its items are read; write to another file",
                    path.display()
                ));
            }
        }
        let resumed_stdout = args.resume.iter().find(|p| same_file(p, Path::new(STDOUT)));
        if let Some(path) = resumed_stdout.filter(|_| args.output.is_none() && !stdout_appends()) {
            return Err(format!(
                "--resume {0} reads the file stdout replaces (the shell emptied it already): write with >> {0} or --output {0}",
                path.display()
            ));
        }
        Ok(Io {
            input: args.input,
            output: args.output,
            error_output: args.error_output,
            resume: args.resume,
        })
    }

    /// Whether `path` is one of the outputs (then outputs are appended to it).
    pub(crate) fn is_output(&self, path: &Path) -> bool {
        [self.output.as_deref(), self.error_output.as_deref()]
            .into_iter()
            .flatten()
            .chain(self.output.is_none().then_some(Path::new(STDOUT)))
            .any(|o| same_file(path, o))
    }

    /// Whether an output file is also a resume file (then it is appended to).
    pub(crate) fn resumed(&self, output: &Path) -> bool {
        self.resume.iter().any(|r| same_file(r, output))
    }
}

/// Whether stdout was opened for appending (`>>`).
fn stdout_appends() -> bool {
    // SAFETY: F_GETFL reads the flags of descriptor 1; no memory is passed.
    let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL) };
    flags >= 0 && flags & libc::O_APPEND != 0
}
