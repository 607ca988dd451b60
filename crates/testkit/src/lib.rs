//! The one scriptable local HTTP server of the fault and interruption tests.
//!
//! The primary type is [`Server`]: it listens on a loopback address, reads each HTTP/1.1 request
//! (a `Content-Length` or chunked body, connections kept alive), asks the test's script what to
//! do with it, and records what it saw in a [`Log`]: every request, which ones were answered, how
//! many were in flight at once. The script gives a [`Reply`]: bytes to write (a proper response
//! or a broken one), how long to wait first, and what to do with the connection afterwards
//! (keep it, close it, reset it, stall it).
//!
//! The key decision: the server tells the test what happened instead of the test guessing from
//! the clock. A test waits until the server has received or answered what it needs
//! ([`Server::wait_for`]), never sleeps against a server delay, and checks concurrency by the
//! overlap the server observed ([`Log::most_in_flight`]), not by wall time. It runs on threads
//! of its own, so sync tests (the `noderun` binary) and async ones (the executor on tokio) use
//! it alike. The script is plain Rust over the request, so one server covers what a mock
//! library's matchers do (answers by path, body or arrival number) and what they cannot: bytes
//! that are no valid response and connections that break. The request-shape tests that only
//! record what noderun sent keep `wiremock`.

#![deny(missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long [`Server::wait_for`] waits before it fails the test.
const WAIT: Duration = Duration::from_secs(10);

/// How long a stalled connection ([`After::Stall`]) is held open.
const STALL: Duration = Duration::from_secs(5);

/// One request as the server read it (no `Debug`: its headers may hold a credential).
#[derive(Clone)]
pub struct Request {
    /// Its position among the requests the server received (0 first).
    pub number: usize,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path with its query, as sent.
    pub target: String,
    /// The header fields, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body (a chunked one decoded).
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What to do with a connection after a reply's bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Read the next request on it.
    KeepAlive,
    /// Close it normally (FIN).
    Close,
    /// Reset it (RST, not FIN), once the bytes have had a moment to reach the client.
    Reset,
    /// Keep it open without writing more for 5 s, then close it.
    Stall,
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub struct Reply {
    delay: Duration,
    content: Content,
    after: After,
}

#[derive(Debug, Clone)]
enum Content {
    /// A proper response, `Content-Length` added.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Bytes written as they are.
    Raw(Vec<u8>),
}

impl Reply {
    /// A response with `status` and no body, the connection kept alive.
    pub fn status(status: u16) -> Reply {
        Reply {
            delay: Duration::ZERO,
            content: Content::Response {
                status,
                headers: Vec::new(),
                body: Vec::new(),
            },
            after: After::KeepAlive,
        }
    }

    /// A JSON response with `status`, the connection kept alive.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::status(status).body("application/json", body.to_string())
    }

    /// These bytes as they are (a response or not), then the connection closed.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply {
            delay: Duration::ZERO,
            content: Content::Raw(bytes.into()),
            after: After::Close,
        }
    }

    /// The same response with this body and `Content-Type`.
    ///
    /// # Panics
    /// On [`Reply::bytes`], which has no parts.
    #[must_use]
    pub fn body(self, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let mut reply = self.header("Content-Type", content_type);
        if let Content::Response { body: b, .. } = &mut reply.content {
            *b = body.into();
        }
        reply
    }

    /// The same response with one more header field (a name may come several times).
    ///
    /// # Panics
    /// On [`Reply::bytes`], which has no parts.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        let Content::Response { headers, .. } = &mut self.content else {
            panic!("Reply::bytes is written as it is: it takes no header")
        };
        headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same, written after `delay`.
    #[must_use]
    pub fn after(self, delay: Duration) -> Reply {
        Reply { delay, ..self }
    }

    /// The same, with the connection treated as `after` says once written.
    #[must_use]
    pub fn then(self, after: After) -> Reply {
        Reply { after, ..self }
    }

    /// The bytes on the wire.
    fn render(&self) -> Vec<u8> {
        match &self.content {
            Content::Raw(bytes) => bytes.clone(),
            Content::Response {
                status,
                headers,
                body,
            } => {
                let reason = http::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
                for (name, value) in headers {
                    out.push_str(&format!("{name}: {value}\r\n"));
                }
                out.push_str(&format!("Content-Length: {}\r\n", body.len()));
                if self.after != After::KeepAlive {
                    out.push_str("Connection: close\r\n");
                }
                out.push_str("\r\n");
                let mut out = out.into_bytes();
                out.extend_from_slice(body);
                out
            }
        }
    }
}

/// What the server saw (no `Debug`, as for [`Request`]).
#[derive(Default, Clone)]
pub struct Log {
    /// Every request received, in order of arrival.
    pub received: Vec<Request>,
    /// The [`Request::number`]s of the requests whose reply was written, in that order
    /// (recorded just before the reply is written, so a client that has the reply finds it
    /// here).
    pub answered: Vec<usize>,
    in_flight: usize,
    most_in_flight: usize,
}

impl Log {
    /// The most requests the server held at once (received, reply not yet written).
    pub fn most_in_flight(&self) -> usize {
        self.most_in_flight
    }
}

/// The script: what to reply to a request.
type Script = dyn Fn(&Request) -> Reply + Send + Sync;

struct Shared {
    log: Mutex<Log>,
    changed: Condvar,
    script: Box<Script>,
}

/// A scriptable HTTP/1.1 server on a loopback address, serving until the test process ends (also when
/// this handle is dropped); its clones share one log.
#[derive(Clone)]
pub struct Server {
    url: String,
    shared: Arc<Shared>,
}

impl Server {
    /// A server on 127.0.0.1 answering each request as `script` says.
    pub fn start(script: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1", script)
    }

    /// The same on another loopback address (`127.0.0.2`: another host on this machine).
    ///
    /// # Panics
    /// When the address cannot be bound.
    pub fn start_on(
        host: &str,
        script: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener =
            TcpListener::bind((host, 0)).unwrap_or_else(|e| panic!("cannot bind {host}: {e}"));
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let shared = Arc::new(Shared {
            log: Mutex::default(),
            changed: Condvar::new(),
            script: Box::new(script),
        });
        let serving = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = serving.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Server { url, shared }
    }

    /// `http://host:port`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `host:port`.
    pub fn host(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// What the server saw until now.
    pub fn log(&self) -> Log {
        self.lock().clone()
    }

    /// How many requests it received.
    pub fn hits(&self) -> usize {
        self.lock().received.len()
    }

    /// Waits until `done` holds for the log; `what` names it when it does not within 10 s.
    ///
    /// # Panics
    /// When it does not.
    pub fn wait_for(&self, what: &str, done: impl Fn(&Log) -> bool) {
        let deadline = Instant::now() + WAIT;
        let mut log = self.lock();
        while !done(&log) {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("the server never saw {what} (within {WAIT:?})"));
            log = self
                .shared
                .changed
                .wait_timeout(log, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        self.shared.lock()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the log and wakes the waiters.
    fn record<T>(&self, change: impl FnOnce(&mut Log) -> T) -> T {
        let out = change(&mut self.lock());
        self.changed.notify_all();
        out
    }
}

/// One connection: requests read and answered in turn until the client closes it or a reply
/// ends it.
fn serve(stream: TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut writer = stream;
    loop {
        // what does not start like a request line (a TLS handshake) is answered as a web server
        // does, and not logged
        match reader.fill_buf() {
            Ok([first, ..]) if first.is_ascii_uppercase() => {}
            Ok([_, ..]) => {
                let _ = writer.write_all(&Reply::status(400).then(After::Close).render());
                return;
            }
            _ => return,
        }
        let Some((method, target, headers, body)) = read_request(&mut reader) else {
            return;
        };
        let request = shared.record(|log| {
            let request = Request {
                number: log.received.len(),
                method,
                target,
                headers,
                body,
            };
            log.received.push(request.clone());
            log.in_flight += 1;
            log.most_in_flight = log.most_in_flight.max(log.in_flight);
            request
        });
        let reply = (shared.script)(&request);
        std::thread::sleep(reply.delay);
        shared.record(|log| {
            log.answered.push(request.number);
            log.in_flight -= 1;
        });
        if writer.write_all(&reply.render()).is_err() || writer.flush().is_err() {
            return;
        }
        match reply.after {
            After::KeepAlive => {}
            After::Close => {
                let _ = writer.shutdown(std::net::Shutdown::Write);
                return;
            }
            After::Reset => {
                // let the bytes reach the client before the RST
                std::thread::sleep(Duration::from_millis(20));
                let _ = socket2::SockRef::from(&writer).set_linger(Some(Duration::ZERO));
                return;
            }
            After::Stall => {
                std::thread::sleep(STALL);
                return;
            }
        }
    }
}

/// The method, target, headers and body of the next request; `None` when the connection ends
/// first.
type Parts = (String, String, Vec<(String, String)>, Vec<u8>);

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Parts> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let method = words.next()?.to_string();
    let target = words.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let value = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let body = if value("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        read_chunked(reader)?
    } else {
        let length = value("content-length").map_or(Some(0), |v| v.parse().ok())?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    Some((method, target, headers, body))
}

/// A chunked body, decoded (trailers skipped).
fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        if size == 0 {
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer).ok()? == 0 || trailer.trim().is_empty() {
                    return Some(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).ok()?;
        let mut end = [0; 2];
        reader.read_exact(&mut end).ok()?;
    }
}
