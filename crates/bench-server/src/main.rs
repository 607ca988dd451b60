//! `bench-server`: the stand-in server of `scripts/bench`.
//!
//! A minimal HTTP/1.1 keep-alive responder on tokio that answers `POST /auth/refresh` with a
//! fixed, Directus-shaped `200` refresh response
//! (`{"data":{"access_token":"<JWT-like>","expires":900000,"refresh_token":"<64 chars>"}}`)
//! and every other request with Directus's `404 ROUTE_NOT_FOUND` body. It exists so that the
//! benchmark measures the client (noderun, wrk, the Directus SDK) and not a server: the
//! response is precomputed, requests are parsed in place with `httparse`, pipelined
//! requests are answered with one write, and by default it runs on one thread (pin it to a
//! core of its own with `taskset`).
//!
//! It is not a general HTTP server: request bodies must carry `Content-Length` (chunked
//! bodies get `501` and the connection is closed), and request heads are limited to 64 KiB.
//!
//! Usage: `bench-server [--port P] [--threads N]`
//!
//! - binds **127.0.0.1 only** (port 0, i.e. a free one, unless `--port` says otherwise) and
//!   prints the port on the first line of stdout;
//! - exits on SIGTERM, SIGINT, or when its stdin is closed (start it with stdin on a pipe the
//!   caller holds, so it also goes away if the caller dies); on exit it prints
//!   `bench-server: N requests answered (M refreshes)` on stderr.
//! - `--threads 1` (the default) runs a current-thread runtime; more use a multi-thread one.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};

/// A JWT-shaped access token (HS256 header, a Directus-like payload, a 32-byte signature).
const ACCESS_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjRmMWIyYzNkLTVlNmYtNGE3Yi04YzlkLTBlMWYyYTNiNGM1ZCIsInJvbGUiOiI5YThiN2M2ZC01ZTRmLTRhM2ItMmMxZC0wZTlmOGE3YjZjNWQiLCJhcHBfYWNjZXNzIjp0cnVlLCJhZG1pbl9hY2Nlc3MiOnRydWUsImlhdCI6MTc2Mzg1MDAwMCwiZXhwIjoxNzYzODUwOTAwLCJpc3MiOiJkaXJlY3R1cyJ9.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
/// A 64-character refresh token, as Directus issues them.
const REFRESH_TOKEN: &str = "Zm9vYmFyYmF6cXV4LWJlbmNoLXNlcnZlci1yZWZyZXNoLXRva2VuLTY0LWNoYXJz";
const NOT_FOUND_BODY: &str = r#"{"errors":[{"message":"Route /not-found doesn't exist.","extensions":{"path":"/not-found","code":"ROUTE_NOT_FOUND"}}]}"#;
const NOT_IMPLEMENTED_BODY: &str = r#"{"errors":[{"message":"bench-server: chunked request bodies are not supported","extensions":{"code":"NOT_IMPLEMENTED"}}]}"#;
const BAD_REQUEST_BODY: &str = r#"{"errors":[{"message":"bench-server: malformed request","extensions":{"code":"INVALID_PAYLOAD"}}]}"#;

/// Largest request head (and head + body) kept in the buffer.
const MAX_REQUEST: usize = 64 * 1024;

static ANSWERED: AtomicU64 = AtomicU64::new(0);
static REFRESHES: AtomicU64 = AtomicU64::new(0);

fn refresh_body() -> String {
    format!(
        r#"{{"data":{{"access_token":"{ACCESS_TOKEN}","expires":900000,"refresh_token":"{REFRESH_TOKEN}"}}}}"#
    )
}

fn response(status: &str, body: &str, close: bool) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n{}\r\n{body}",
        body.len(),
        if close { "Connection: close\r\n" } else { "" },
    )
    .into_bytes()
}

/// The precomputed responses.
struct Responses {
    refresh: Vec<u8>,
    refresh_close: Vec<u8>,
    not_found: Vec<u8>,
    not_found_close: Vec<u8>,
    not_implemented: Vec<u8>,
    bad_request: Vec<u8>,
}

impl Responses {
    fn new() -> Self {
        let refresh = refresh_body();
        Self {
            refresh: response("200 OK", &refresh, false),
            refresh_close: response("200 OK", &refresh, true),
            not_found: response("404 Not Found", NOT_FOUND_BODY, false),
            not_found_close: response("404 Not Found", NOT_FOUND_BODY, true),
            not_implemented: response("501 Not Implemented", NOT_IMPLEMENTED_BODY, true),
            bad_request: response("400 Bad Request", BAD_REQUEST_BODY, true),
        }
    }
}

/// What parsing the start of the buffer gave.
enum Parsed {
    /// A whole request of this many bytes (head and body): its response, and whether the
    /// connection closes after it.
    Request {
        len: usize,
        refresh: bool,
        close: bool,
    },
    /// More bytes are needed.
    Partial,
    /// Answer with this and close.
    Fatal(fn(&Responses) -> &[u8]),
}

fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; 48];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Fatal(|r| &r.bad_request),
    };
    let mut content_length = 0usize;
    let mut close = req.version == Some(0);
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
            {
                Some(n) => content_length = n,
                None => return Parsed::Fatal(|r| &r.bad_request),
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Fatal(|r| &r.not_implemented);
        } else if h.name.eq_ignore_ascii_case("connection") {
            let v = h.value;
            if v.eq_ignore_ascii_case(b"close") {
                close = true;
            } else if v.eq_ignore_ascii_case(b"keep-alive") {
                close = false;
            }
        }
    }
    let len = head_len.saturating_add(content_length);
    if len > MAX_REQUEST {
        return Parsed::Fatal(|r| &r.bad_request);
    }
    if buf.len() < len {
        return Parsed::Partial;
    }
    let path = req.path.unwrap_or("");
    let path = path.split('?').next().unwrap_or(path);
    let refresh = req.method == Some("POST") && path == "/auth/refresh";
    Parsed::Request {
        len,
        refresh,
        close,
    }
}

async fn connection(mut sock: TcpStream, responses: &'static Responses) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut out: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let mut start = 0;
        let mut close = false;
        // Answer every whole request in the buffer (pipelining) with one write.
        while start < buf.len() {
            match parse(&buf[start..]) {
                Parsed::Request {
                    len,
                    refresh,
                    close: c,
                } => {
                    start += len;
                    ANSWERED.fetch_add(1, Ordering::Relaxed);
                    let r = match (refresh, c) {
                        (true, false) => &responses.refresh,
                        (true, true) => &responses.refresh_close,
                        (false, false) => &responses.not_found,
                        (false, true) => &responses.not_found_close,
                    };
                    if refresh {
                        REFRESHES.fetch_add(1, Ordering::Relaxed);
                    }
                    out.extend_from_slice(r);
                    if c {
                        close = true;
                        break;
                    }
                }
                Parsed::Partial => break,
                Parsed::Fatal(r) => {
                    out.extend_from_slice(r(responses));
                    close = true;
                    break;
                }
            }
        }
        if !out.is_empty() {
            sock.write_all(&out).await?;
            out.clear();
        }
        if close {
            return sock.shutdown().await;
        }
        buf.drain(..start);
        if buf.len() >= MAX_REQUEST {
            sock.write_all(&responses.bad_request).await?;
            return sock.shutdown().await;
        }
        buf.reserve(8192);
        if sock.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("bench-server: {msg}\nusage: bench-server [--port P] [--threads N]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut port: u16 = 0;
    let mut threads: usize = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value.as_deref().map(str::parse::<usize>)) {
            ("--port", Some(Ok(p))) if p <= usize::from(u16::MAX) => port = p as u16,
            ("--threads", Some(Ok(n))) if n >= 1 => threads = n,
            ("-h" | "--help", _) => return usage("a stand-in Directus for scripts/bench"),
            _ => return usage(&format!("bad argument '{a}'")),
        }
    }
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(port));
    eprintln!(
        "bench-server: {} requests answered ({} refreshes)",
        ANSWERED.load(Ordering::Relaxed),
        REFRESHES.load(Ordering::Relaxed)
    );
    // Exit without waiting for the thread blocked on stdin or for open connections.
    std::process::exit(match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("bench-server: {e}");
            1
        }
    });
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let responses: &'static Responses = Box::leak(Box::new(Responses::new()));
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", listener.local_addr()?.port())?;
        stdout.flush()?;
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    // stdin is read on a plain thread: EOF (or an error) means the caller is gone.
    let (stdin_tx, stdin_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut chunk = [0u8; 512];
        while matches!(stdin.read(&mut chunk), Ok(n) if n > 0) {}
        let _ = stdin_tx.send(());
    });
    let accept = async {
        loop {
            match listener.accept().await {
                Ok((sock, _)) => {
                    tokio::spawn(async move {
                        let _ = connection(sock, responses).await;
                    });
                }
                // Out of file descriptors and the like: back off a little and go on.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    };
    tokio::select! {
        () = accept => {}
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = stdin_rx => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_body_is_directus_shaped() {
        assert_eq!(REFRESH_TOKEN.len(), 64);
        let body = refresh_body();
        assert!(body.starts_with(r#"{"data":{"access_token":"eyJ"#));
        assert!(body.ends_with(&format!(
            r#""expires":900000,"refresh_token":"{REFRESH_TOKEN}"}}}}"#
        )));
    }

    #[test]
    fn parses_pipelined_and_partial_requests() {
        let one = b"POST /auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
        match parse(one) {
            Parsed::Request {
                len,
                refresh: true,
                close: false,
            } => assert_eq!(len, one.len()),
            _ => panic!("whole request"),
        }
        assert!(matches!(parse(&one[..one.len() - 1]), Parsed::Partial));
        assert!(matches!(
            parse(b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n"),
            Parsed::Request {
                refresh: false,
                close: true,
                ..
            }
        ));
        assert!(matches!(
            parse(b"POST /auth/refresh HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Parsed::Fatal(_)
        ));
    }
}
