//! The wake-up: Directus's realtime WebSocket (`WEBSOCKETS_ENABLED`) tells that something
//! changed in a followed collection, and the feed reads the activity log at once. Nothing a
//! message carries is passed on (a delete's keys reach every subscriber without a permission
//! check): a message only wakes the feed. The socket reconnects with backoff; while it is down,
//! and where WebSockets are off, the feed polls at its interval.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio_tungstenite::tungstenite::Message;

/// The wake-up's state, as the feed's loop sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Socket {
    /// Connecting (or reconnecting after a failure).
    Connecting,
    /// Subscribed to every followed collection: changes wake the feed.
    Subscribed,
    /// Not available (WebSockets off, or refused): the feed polls. The reason.
    Unavailable(String),
}

/// A running WebSocket wake-up; dropping it closes the socket.
pub struct Wake {
    notify: Arc<Notify>,
    state: watch::Receiver<Socket>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Wake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Wake {
    /// Connects to `<url>/websocket`, authenticates with `token` and subscribes to each
    /// collection (asking for its primary key only, one row: the subscription's first message
    /// reads the collection).
    pub fn start(url: &str, token: Option<String>, collections: Vec<(String, String)>) -> Wake {
        let notify = Arc::new(Notify::new());
        let (tx, state) = watch::channel(Socket::Connecting);
        let ws_url = format!(
            "{}/websocket",
            url.trim_end_matches('/')
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1)
        );
        let task = tokio::spawn(run(ws_url, token, collections, notify.clone(), tx));
        Wake {
            notify,
            state,
            task,
        }
    }

    /// Waits for a change notice (notices that came meanwhile are one).
    pub async fn notified(&self) {
        self.notify.notified().await;
    }

    /// The socket's state now.
    pub fn state(&self) -> Socket {
        self.state.borrow().clone()
    }

    /// Waits until the state is no longer [`Socket::Connecting`] (or `timeout` passed).
    pub async fn settled(&mut self, timeout: Duration) -> Socket {
        let _ =
            tokio::time::timeout(timeout, self.state.wait_for(|s| *s != Socket::Connecting)).await;
        self.state()
    }
}

async fn run(
    url: String,
    token: Option<String>,
    collections: Vec<(String, String)>,
    notify: Arc<Notify>,
    state: watch::Sender<Socket>,
) {
    let mut backoff = Duration::from_millis(500);
    loop {
        let result = session(&url, token.as_deref(), &collections, &notify, &state).await;
        let reason = match result {
            Ok(()) => "the server closed the connection".to_string(),
            Err(e) => e,
        };
        // A socket that never subscribed: WebSockets are probably off; retry rarely.
        let subscribed_before = *state.borrow() == Socket::Subscribed;
        tracing::info!(%reason, "realtime WebSocket down; polling until it is back");
        let _ = state.send(Socket::Unavailable(reason));
        // changes may have been missed while it was down: read the log
        notify.notify_one();
        if subscribed_before {
            backoff = Duration::from_millis(500);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// One connection: auth, subscribe, then wake on every subscription message and answer pings.
async fn session(
    url: &str,
    token: Option<&str>,
    collections: &[(String, String)],
    notify: &Notify,
    state: &watch::Sender<Socket>,
) -> Result<(), String> {
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .map_err(|_| "no WebSocket connection within 10s".to_string())?
    .map_err(|e| match e {
        tokio_tungstenite::tungstenite::Error::Http(r) => format!(
            "the server refused the WebSocket (HTTP {}): is WEBSOCKETS_ENABLED set?",
            r.status().as_u16()
        ),
        other => format!("WebSocket: {other}"),
    })?;
    let send = |v: Value| Message::Text(v.to_string().into());
    match token {
        Some(t) => ws.send(send(json!({"type": "auth", "access_token": t}))),
        None => ws.send(send(json!({"type": "ping"}))),
    }
    .await
    .map_err(|e| format!("WebSocket: {e}"))?;
    let mut waiting: std::collections::BTreeSet<&str> =
        collections.iter().map(|(c, _)| c.as_str()).collect();
    let subscribe = |c: &str, pk: &str| {
        send(json!({"type": "subscribe", "collection": c, "uid": c,
                    "query": {"fields": [pk], "limit": 1}}))
    };
    if token.is_none() {
        for (c, pk) in collections {
            ws.send(subscribe(c, pk))
                .await
                .map_err(|e| format!("WebSocket: {e}"))?;
        }
    }
    while let Some(message) = ws.next().await {
        let message = message.map_err(|e| format!("WebSocket: {e}"))?;
        let text = match &message {
            Message::Text(t) => t.as_str(),
            Message::Close(_) => return Ok(()),
            _ => continue,
        };
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let field = |k: &str| v.get(k).and_then(Value::as_str);
        match (field("type"), field("status"), field("event")) {
            (Some("ping"), _, _) => ws
                .send(send(json!({"type": "pong"})))
                .await
                .map_err(|e| format!("WebSocket: {e}"))?,
            (Some("auth"), Some("ok"), _) => {
                for (c, pk) in collections {
                    ws.send(subscribe(c, pk))
                        .await
                        .map_err(|e| format!("WebSocket: {e}"))?;
                }
            }
            (Some("auth"), Some("error"), _) => {
                return Err(format!(
                    "WebSocket authentication failed: {}",
                    v.pointer("/error/message")
                        .and_then(Value::as_str)
                        .unwrap_or("no reason given")
                ));
            }
            (Some("subscribe"), Some("error"), _) => {
                return Err(format!(
                    "WebSocket subscription to '{}' refused: {}",
                    field("uid").unwrap_or("?"),
                    v.pointer("/error/message")
                        .and_then(Value::as_str)
                        .unwrap_or("no reason given")
                ));
            }
            (Some("subscription"), _, Some("init")) => {
                if let Some(uid) = field("uid") {
                    waiting.remove(uid);
                }
                if waiting.is_empty() {
                    let _ = state.send(Socket::Subscribed);
                    // changes between the last read and the subscription
                    notify.notify_one();
                }
            }
            (Some("subscription"), _, Some(_)) => notify.notify_one(),
            _ => {}
        }
    }
    Ok(())
}
