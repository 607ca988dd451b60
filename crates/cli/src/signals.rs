//! SIGINT, SIGTERM and SIGHUP: the first stops the run gracefully, a second one aborts what is
//! still in flight. A signal the process inherited as ignored (`nohup`, background jobs of
//! non-interactive shells) stays ignored.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// A stop signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Interrupt,
    Terminate,
    Hangup,
}

impl Stop {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
            Stop::Hangup => "SIGHUP",
        }
    }

    /// 128 + the signal's number, as shells report a process the signal ended.
    pub(crate) fn exit_code(self) -> u8 {
        128 + match self {
            Stop::Hangup => 1,
            Stop::Interrupt => 2,
            Stop::Terminate => 15,
        }
    }
}

/// The stop signals listened to.
pub(crate) struct Signals(Vec<(Stop, Signal)>);

impl Signals {
    /// Installs the handlers (from now on these signals no longer end the process).
    pub(crate) fn install() -> Result<Signals, String> {
        let mut listened = Vec::new();
        for (stop, number, kind) in [
            (Stop::Interrupt, libc::SIGINT, SignalKind::interrupt()),
            (Stop::Terminate, libc::SIGTERM, SignalKind::terminate()),
            (Stop::Hangup, libc::SIGHUP, SignalKind::hangup()),
        ] {
            if inherited_ignored(number) {
                continue;
            }
            let s = signal(kind).map_err(|e| format!("cannot listen to {}: {e}", stop.name()))?;
            listened.push((stop, s));
        }
        Ok(Signals(listened))
    }

    /// The next stop signal (never, when all are ignored).
    pub(crate) async fn recv(&mut self) -> Stop {
        if self.0.is_empty() {
            return std::future::pending().await;
        }
        let (stop, _, _) = futures::future::select_all(
            self.0
                .iter_mut()
                .map(|(stop, s)| Box::pin(async move { s.recv().await.map(|_| *stop) })),
        )
        .await;
        match stop {
            Some(stop) => stop,
            None => std::future::pending().await,
        }
    }
}

/// Whether the signal's disposition is "ignore" (as the parent left it).
fn inherited_ignored(number: libc::c_int) -> bool {
    // SAFETY: sigaction with a null new action only reads the current disposition into `old`,
    // a zeroed, properly sized sigaction struct.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(number, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}
