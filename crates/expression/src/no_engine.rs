//! The build without a JavaScript engine (the `engine` feature off: the forms page's WebAssembly
//! planner). Expressions within the native subset evaluate as in every build; one that needs the
//! engine parses (its syntax is checked by builds with the engine) and fails when evaluated,
//! with a message saying so.

use std::sync::Arc;

use serde_json::Value;

use crate::{Error, Scope};

/// The longest expression the engine compiles (as in the build with the engine).
pub const MAX_SOURCE: usize = 64 << 10;

/// A compiled expression's facts, for the [`crate::Template`] holding it.
pub(crate) struct Prepared {
    /// The static `$json` paths it reads: unknown without the engine's parser.
    pub(crate) paths: Vec<String>,
}

/// Accepts the expression (the engine of a full build checks its syntax).
pub(crate) fn prepare(_source: &Arc<str>) -> Result<Prepared, Error> {
    Ok(Prepared { paths: Vec::new() })
}

/// Fails: the expression is outside the native subset (the message is given with the
/// expression, e.g. `the expression ={{ $now }} failed: …`).
pub(crate) fn evaluate(_source: &Arc<str>, _scope: &Scope<'_>) -> Result<Option<Value>, Error> {
    Err(Error::new(
        "it is outside the native subset of expressions and needs the JavaScript engine of the noderun binary, which this build does not have",
    ))
}
