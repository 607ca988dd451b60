//! Cancelling runs: stop starting items, give the ones in flight a grace period, then abort them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// Where a run stands: running, or stopping with the deadline of the items in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Running,
    /// No new item starts; items in flight are aborted at the deadline (`None`: never, they
    /// finish however long they take).
    Stopping(Option<Instant>),
}

/// A cancellation signal for runs ([`Runner::with_cancel`](crate::Runner::with_cancel)). Clones
/// share it; [`stop`](Cancel::stop) and [`abort`](Cancel::abort) may be called from any thread or
/// task, as often as wanted (a signal handler, an engine's "cancel execution", a closed output).
///
/// Once stopped, a run started with it:
/// - starts no new item; the rest of the input is read and counted as not run (until the
///   deadline),
/// - lets the items in flight finish and delivers their outputs, in input order,
/// - at the deadline drops the items still in flight: they are [`Summary::interrupted`]
///   (their request was sent, its outcome is unknown), and the outputs of items that had
///   completed are still delivered.
///
/// A `Cancel` stays stopped: a run started with a stopped one runs no item.
///
/// [`Summary::interrupted`]: crate::Summary::interrupted
#[derive(Debug, Clone)]
pub struct Cancel(Arc<watch::Sender<State>>);

impl Default for Cancel {
    fn default() -> Self {
        Cancel(Arc::new(watch::Sender::new(State::Running)))
    }
}

impl Cancel {
    /// A signal that has not fired.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops the runs: no new item starts, the items in flight get `grace` to finish (counted
    /// from now; `Duration::MAX` waits for them however long they take), then they are aborted.
    /// A later call can shorten the deadline, never extend it.
    pub fn stop(&self, grace: Duration) {
        let deadline = Instant::now().checked_add(grace);
        self.0.send_if_modified(|state| {
            let sooner = match *state {
                State::Running => true,
                State::Stopping(None) => deadline.is_some(),
                State::Stopping(Some(current)) => deadline.is_some_and(|d| d < current),
            };
            if sooner {
                *state = State::Stopping(deadline);
            }
            sooner
        });
    }

    /// Stops the runs without a grace period: the items in flight are aborted now (the outputs of
    /// those that completed are still delivered). The same as `stop(Duration::ZERO)`.
    pub fn abort(&self) {
        self.stop(Duration::ZERO);
    }

    /// Whether [`stop`](Cancel::stop) or [`abort`](Cancel::abort) was called.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow() != State::Running
    }

    /// Completes once [`stop`](Cancel::stop) or [`abort`](Cancel::abort) is called (at once if
    /// it was): e.g. to stop feeding a run's input.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut state = self.watch();
        async move {
            // The sender lives as long as `self` and its clones; if all are gone, so is the run.
            let _ = state.wait_for(|s| *s != State::Running).await;
        }
    }

    pub(crate) fn watch(&self) -> watch::Receiver<State> {
        self.0.subscribe()
    }
}
