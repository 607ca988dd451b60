//! HTTP with reqwest: one client (one connection pool) per run, timeouts on everything, a cap
//! on response size, redirects followed only within the same origin (so a token never follows
//! a redirect to another host), and network failures put in plain words naming the host.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use noderun_plan::{FailureKind, ItemFailure, RequestSpec, SetupError};

use crate::binary::upload::Upload;
use crate::settings::Settings;

/// A response, read whole (up to the size limit).
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    /// The same client without redirects, for requests that output them; made on first use.
    no_redirects: std::sync::OnceLock<reqwest::Client>,
    tls: bool,
    settings: Settings,
}

impl Transport {
    /// A client for a run. Without `tls` (the base URL is plain `http://`) the system's CA
    /// certificates are not loaded: reading and parsing them is a third of a short run's start-up.
    pub(crate) fn new(settings: &Settings, tls: bool) -> Result<Transport, SetupError> {
        let same_origin = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().cloned();
            if attempt.previous().len() >= 5 {
                attempt.stop()
            } else if first.is_some_and(|f| f.origin() == attempt.url().origin()) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        Ok(Transport {
            client: client(settings, tls, same_origin)
                .map_err(|e| SetupError(format!("cannot create the HTTP client: {e}")))?,
            no_redirects: std::sync::OnceLock::new(),
            tls,
            settings: settings.clone(),
        })
    }

    /// Sends a request and returns the response once its head arrived (the body is not read):
    /// `uploads` are the file parts of a multipart body.
    pub(crate) async fn start(
        &self,
        spec: &RequestSpec,
        uploads: &[Upload],
        binary: bool,
    ) -> Result<reqwest::Response, ItemFailure> {
        let url = reqwest::Url::parse(&spec.url).map_err(|e| {
            ItemFailure::new(
                FailureKind::Parameter,
                format!("the request URL is not valid ({e}); check the credential's url"),
            )
        })?;
        let host = host_of(&url);
        let method =
            reqwest::Method::from_bytes(spec.method.as_str().as_bytes()).expect("known methods");
        let mut headers = HeaderMap::new();
        for (k, v) in &spec.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                ItemFailure::new(
                    FailureKind::Parameter,
                    format!("'{k}' is not a valid header name"),
                )
            })?;
            let value = HeaderValue::from_str(v).map_err(|_| {
                ItemFailure::new(
                    FailureKind::Parameter,
                    format!("the value of header '{k}' is not valid in HTTP"),
                )
            })?;
            headers.insert(name, value);
        }
        let client = if spec.follow_redirects {
            &self.client
        } else if let Some(c) = self.no_redirects.get() {
            c
        } else {
            let made = client(&self.settings, self.tls, reqwest::redirect::Policy::none())
                .map_err(|e| {
                    ItemFailure::new(
                        FailureKind::Network,
                        format!("cannot create the HTTP client: {e}"),
                    )
                })?;
            self.no_redirects.get_or_init(|| made)
        };
        let mut request = client.request(method, url).headers(headers);
        if !spec.files.is_empty() {
            let (content_type, body, len) =
                crate::binary::multipart::body(spec.body.as_ref(), uploads);
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .header(reqwest::header::CONTENT_LENGTH, len)
                .body(body);
        } else if let Some(body) = &spec.body {
            request = request.body(body.to_string());
        }
        if binary || !spec.files.is_empty() {
            request = request.timeout(self.settings.binary_timeout);
        }
        request
            .send()
            .await
            .map_err(|e| network_failure(&e, &host, &self.settings))
    }

    /// A network failure while reading a response body from `host`.
    pub(crate) fn body_failure(&self, e: &reqwest::Error, host: &str) -> ItemFailure {
        network_failure(e, host, &self.settings)
    }

    /// Reads a response's body whole (up to the size limit).
    pub(crate) async fn read(
        &self,
        mut response: reqwest::Response,
        host: &str,
    ) -> Result<HttpResponse, ItemFailure> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let limit = self.settings.max_response_bytes;
        // An error's body only explains the status: past the limit it is cut, not refused.
        let is_error = status >= 400;
        if !is_error && response.content_length().is_some_and(|l| l > limit as u64) {
            return Err(too_large(host, limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| network_failure(&e, host, &self.settings))?
        {
            if body.len() + chunk.len() > limit {
                if is_error {
                    body.extend_from_slice(&chunk[..limit - body.len()]);
                    break;
                }
                return Err(too_large(host, limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// An HTTP client with the run's settings and a redirect policy. Without `tls` (the base URL is
/// plain `http://`) the system's CA certificates are not loaded.
fn client(
    settings: &Settings,
    tls: bool,
    redirects: reqwest::redirect::Policy,
) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder();
    if !tls {
        builder = builder.tls_certs_only(std::iter::empty());
    }
    builder
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .redirect(redirects)
        .user_agent(concat!("noderun/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(settings.concurrency.max(1))
        .build()
}

/// `host:port` of a URL, as messages name it.
pub(crate) fn host_of(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

fn too_large(host: &str, limit: usize) -> ItemFailure {
    ItemFailure::new(
        FailureKind::Response,
        format!(
            "The response from {host} is larger than the limit of {limit} bytes; it was not read"
        ),
    )
}

/// Network failures in n8n's words, plus the host and the detail.
fn network_failure(e: &reqwest::Error, host: &str, settings: &Settings) -> ItemFailure {
    let chain = error_chain(e);
    let lower = chain.to_lowercase();
    let secs = |d: Duration| format!("{}s", d.as_secs_f64());
    let (headline, detail) = if e.is_timeout() && e.is_connect() {
        (
            "The connection timed out",
            format!(
                "no connection to {host} within {}",
                secs(settings.connect_timeout)
            ),
        )
    } else if e.is_timeout() {
        (
            "The connection timed out",
            format!(
                "{host} did not answer completely within {}",
                secs(settings.request_timeout)
            ),
        )
    } else if lower.contains("connection refused") {
        (
            "The service refused the connection - perhaps it is offline",
            format!("connection refused by {host}"),
        )
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        (
            "The connection cannot be established, this usually occurs due to an incorrect host",
            format!(
                "unknown host {}",
                host.rsplit_once(':').map_or(host, |(h, _)| h)
            ),
        )
    } else if lower.contains("tls")
        || lower.contains("certificate")
        || lower.contains("corrupt message")
        || lower.contains("handshake")
    {
        (
            "The secure (TLS) connection could not be established",
            format!("TLS handshake with {host} failed: {chain}; does the server speak HTTPS?"),
        )
    } else if e.is_body()
        || e.is_decode()
        || lower.contains("reset")
        || lower.contains("closed")
        || lower.contains("incomplete")
    {
        (
            "The connection was closed before the whole response arrived",
            format!("{host}: {chain}"),
        )
    } else {
        ("The request could not be sent", format!("{host}: {chain}"))
    };
    ItemFailure::new(FailureKind::Network, format!("{headline} ({detail})")).described(headline)
}

/// The error and its sources, deduplicated ("error sending request: connection refused").
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = e.source();
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    if parts.is_empty() {
        // The top-level message names the URL, which may carry query values; keep it out.
        return "request failed".into();
    }
    parts.join(": ")
}
