//! What goes wrong with definitions: [`Problem`] (a file and a JSON pointer) and the crate's
//! [`Error`].

/// A problem in a definition file, located by file and JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path of the file below the definitions directory, e.g. `directus/auth.json`.
    pub file: String,
    /// JSON pointer into the file, e.g. `/properties/3/displayOptions/show/operation`.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}: {}", self.file, self.pointer, self.message)
    }
}

/// Errors of the definitions crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more definition files are invalid.
    #[error("invalid node definitions:\n{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// A definitions directory could not be read.
    #[error("cannot read definitions from {path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A lookup named something the registry does not have.
    #[error("{0}")]
    NotFound(String),
}
