//! Following a feed: poll, deliver each change and save the cursor after it, wait for the
//! wake-up (or the interval), until stopped, N events delivered, or idle.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::wake::{Socket, Wake};
use crate::{Change, Cursor, Error, Feed};

/// How [`follow`] runs.
#[derive(Debug, Clone)]
pub struct Follow {
    /// Between reads of the activity log when no WebSocket wakes the feed.
    pub poll_interval: Duration,
    /// Between reads while the WebSocket is subscribed (writes that send no realtime event,
    /// such as a flow's with "emit events" off, are still logged).
    pub socket_interval: Duration,
    /// Stop once this many changes were delivered.
    pub max_events: Option<u64>,
    /// Stop when no change came for this long.
    pub until_idle: Option<Duration>,
}

/// Why [`follow`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// `max_events` changes were delivered.
    MaxEvents,
    /// No change came for `until_idle`.
    Idle,
    /// The `stop` future completed (a signal).
    Stopped,
    /// `deliver` or `save` failed (the output closed, the disk is full): the message. The
    /// cursor saved last is that of the last change delivered.
    Failed(String),
}

/// Where [`follow`] delivers changes and saves the cursor.
pub trait Sink {
    /// Makes the save of `cursor` ready (write it beside the cursor file).
    ///
    /// # Errors
    /// It cannot be saved: the feed ends ([`Ended::Failed`]).
    fn prepare(&mut self, cursor: &Cursor) -> Result<(), String>;
    /// Delivers a change (write it and flush).
    ///
    /// # Errors
    /// It cannot be delivered (the output closed): the feed ends.
    fn deliver(&mut self, change: &Change) -> Result<(), String>;
    /// Completes the prepared save (as little as possible between a change's delivery and this:
    /// a rename).
    ///
    /// # Errors
    /// It cannot be saved: the feed ends.
    fn commit(&mut self) -> Result<(), String>;
    /// A warning (retries, permissions), as a sentence.
    fn note(&mut self, warning: &str);
}

/// Runs `feed` until it ends. For each change: [`Sink::prepare`] its cursor,
/// [`Sink::deliver`] it, [`Sink::commit`] the cursor; after a poll whose changes were all
/// delivered, the feed's cursor (which also moved past rows of other collections) is saved too.
/// Returns why it ended and how many changes were delivered.
///
/// # Errors
/// A failure that retrying cannot fix (the token was revoked, permissions changed).
pub async fn follow(
    feed: &mut Feed,
    wake: Option<&Wake>,
    options: &Follow,
    stop: impl Future<Output = ()>,
    sink: &mut impl Sink,
) -> Result<(Ended, u64), Error> {
    let mut stop = std::pin::pin!(stop);
    let mut delivered: u64 = 0;
    let mut saved: Option<Cursor> = None;
    let mut last_change = Instant::now();
    let mut backoff = Duration::from_secs(1);
    loop {
        let left = options
            .max_events
            .map_or(usize::MAX, |m| m.saturating_sub(delivered) as usize);
        let polled = tokio::select! {
            biased;
            () = &mut stop => return Ok((Ended::Stopped, delivered)),
            polled = feed.poll(left) => polled,
        };
        for w in feed.take_warnings() {
            sink.note(&w);
        }
        let changes = match polled {
            Ok(c) => {
                backoff = Duration::from_secs(1);
                c
            }
            Err(e) if e.retryable() => {
                sink.note(&format!("{e}; trying again in {}s", backoff.as_secs_f64()));
                tokio::select! {
                    biased;
                    () = &mut stop => return Ok((Ended::Stopped, delivered)),
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
            Err(e) => return Err(e),
        };
        if !changes.is_empty() {
            last_change = Instant::now();
        }
        for change in &changes {
            if let Err(e) = sink
                .prepare(&change.cursor)
                .and_then(|()| sink.deliver(change))
                .and_then(|()| sink.commit())
            {
                return Ok((Ended::Failed(e), delivered));
            }
            saved = Some(change.cursor.clone());
            delivered += 1;
        }
        if saved.as_ref() != Some(feed.cursor()) {
            if let Err(e) = sink.prepare(feed.cursor()).and_then(|()| sink.commit()) {
                return Ok((Ended::Failed(e), delivered));
            }
            saved = Some(feed.cursor().clone());
        }
        if options.max_events.is_some_and(|m| delivered >= m) {
            return Ok((Ended::MaxEvents, delivered));
        }
        if !changes.is_empty() && changes.len() >= left {
            continue;
        }
        if changes.is_empty()
            && options
                .until_idle
                .is_some_and(|d| last_change.elapsed() >= d)
        {
            return Ok((Ended::Idle, delivered));
        }
        let subscribed = wake.is_some_and(|w| w.state() == Socket::Subscribed);
        let interval = if subscribed {
            options.socket_interval
        } else {
            options.poll_interval
        };
        let idle = async {
            match options.until_idle {
                Some(d) => tokio::time::sleep_until((last_change + d).into()).await,
                None => std::future::pending().await,
            }
        };
        let woken = async {
            match wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = &mut stop => return Ok((Ended::Stopped, delivered)),
            // at the deadline, one more read: what came just before it is not left behind
            () = idle => {}
            () = woken => {}
            () = tokio::time::sleep(interval) => {}
        }
    }
}
