//! Directus changes as a stream of n8n items, exactly once, without a public URL.
//!
//! The primary type is [`Feed`]: given a credential and [`Options`] (collections, events,
//! fields, filter), it reads Directus's activity log (`directus_activity`) from a [`Cursor`] and
//! turns each create, update and delete of the followed collections into an n8n item
//! `{"json": {"event", "collection", "keys", "data", "user", "timestamp"}}`, in the order of the
//! log, with the record as the token may read it. [`follow`] runs a feed until it is stopped,
//! delivered N events or saw no change for a while, woken by [`Wake`] (the realtime WebSocket)
//! or polling at an interval.
//!
//! The key decision: the activity log is the source of truth, the WebSocket only a wake-up.
//! The log is durable and ordered, written in the same transaction as the change, so a cursor
//! over it survives restarts: a restarted feed delivers every change made while it was down,
//! none twice. The WebSocket has no replay and sends a delete's keys to every subscriber
//! without a permission check, so nothing it carries is passed on. On PostgreSQL activity ids
//! can become visible out of order (two writers commit in the opposite order of their ids): the
//! cursor keeps the ids it has not seen below its high-water mark and reads them again until
//! they commit or a commit window passes ([`cursor`]). Every request is one of the Directus
//! node's own operations, run by the executor (`directus` module): the trigger makes no request
//! of its own.
//!
//! Permissions: a change is delivered only if the token may read its record now (creates and
//! updates: the record is read with the token, fields it may not read are absent) or, for a
//! delete, may read every record of the collection. The token must be able to read the activity
//! log: admins can; other users need a policy granting read on `directus_activity`.

#![deny(missing_docs)]

pub mod cursor;
mod directus;
mod feed;
mod follow;
mod wake;

pub use cursor::{Cursor, Prepared};
pub use feed::{Change, Event, Feed, Options};
pub use follow::{Ended, Follow, Sink, follow};
pub use wake::{Socket, Wake};

/// Why a feed cannot start or go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The options, the credential or the token's permissions do not allow the feed.
    #[error("{0}")]
    Setup(String),
    /// Directus failed to answer a read.
    #[error("{message}")]
    Directus {
        /// What failed, in the executor's words (secrets redacted).
        message: String,
        /// Whether trying again later can help (network failures, 429, 5xx).
        retryable: bool,
    },
}

impl Error {
    /// Whether trying again later can help.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Error::Directus {
                retryable: true,
                ..
            }
        )
    }
}
