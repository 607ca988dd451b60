//! Errors: why an item failed, and why a run could not start.

use crate::item::ItemError;

/// Why one item failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    /// What kind of failure; decides whether a retry can help.
    pub kind: FailureKind,
    /// The parameter at fault, when one is.
    pub parameter: Option<String>,
    /// The details given to users (message, n8n headline, HTTP status, service code).
    pub details: Box<ItemError>,
    /// Seconds the server asked to wait (`Retry-After`), on 429 and 503.
    pub retry_after: Option<std::time::Duration>,
}

/// Kinds of item failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The input item could not be read.
    Input,
    /// A parameter is missing, of the wrong type, or its expression failed: no request was sent.
    Parameter,
    /// The server answered with an error status.
    Http,
    /// The request did not get a complete answer (refused, timed out, reset, unknown host, TLS).
    Network,
    /// The server answered success with a body that cannot be used.
    Response,
}

impl ItemFailure {
    /// A failure of `kind` with `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> ItemFailure {
        ItemFailure {
            kind,
            parameter: None,
            details: Box::new(ItemError {
                message: message.into(),
                description: None,
                http_code: None,
                code: None,
            }),
            retry_after: None,
        }
    }

    /// A [`FailureKind::Parameter`] failure of the parameter `name`.
    pub fn parameter(name: &str, message: impl Into<String>) -> ItemFailure {
        let mut f = ItemFailure::new(FailureKind::Parameter, message);
        f.parameter = Some(name.to_string());
        f
    }

    /// With n8n's headline (`description`).
    pub fn described(mut self, description: impl Into<String>) -> ItemFailure {
        self.details.description = Some(description.into());
        self
    }

    /// Whether trying again may succeed (network failures and HTTP errors, not bad parameters).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            FailureKind::Http | FailureKind::Network | FailureKind::Response
        )
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.details.message
    }
}

/// A run that could not start: unknown node, resource or operation, bad parameters for the whole
/// run (an expression that does not parse), or incomplete credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);
