//! The streamable HTTP transport, locked down: the server holds the user's credentials, so no one
//! else may use it. It listens where it is told (the CLI's default is loopback), answers only
//! requests with its own bearer token, and refuses requests whose `Host` is not one of its names
//! or that carry an `Origin` it was not told to allow (a web page's, DNS rebinding), as the MCP
//! specification asks of local servers.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::server::ToolServer;

/// The path the MCP endpoint is served at.
pub const PATH: &str = "/mcp";

/// How the HTTP transport is reached and who may use it.
#[derive(Clone)]
pub struct HttpOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The bearer token every request must carry (`Authorization: Bearer <token>`).
    pub token: String,
    /// `Host` values accepted besides the loopback names (`localhost`, `127.0.0.1`, `::1`),
    /// as `host` or `host:port`.
    pub allowed_hosts: Vec<String>,
    /// `Origin` values accepted (`scheme://host:port`); none by default, so that no web page
    /// can call the server. Requests without `Origin` (every non-browser client) pass.
    pub allowed_origins: Vec<String>,
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("listen", &self.listen)
            .field("token", &"<redacted>")
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

/// A new random bearer token: 32 bytes from the operating system, base64url (43 characters).
///
/// # Errors
/// The operating system has no randomness to give.
pub fn generate_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("cannot generate a token: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The HTTP transport, bound and ready to run.
pub struct HttpServer {
    listener: TcpListener,
    router: Router,
    stop: CancellationToken,
}

impl HttpServer {
    /// Binds `options.listen` and prepares the endpoint at [`PATH`].
    ///
    /// # Errors
    /// The address cannot be bound, or the token is empty.
    pub async fn bind(server: ToolServer, options: HttpOptions) -> Result<HttpServer, String> {
        if options.token.trim().is_empty() {
            return Err("the bearer token is empty".into());
        }
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if !options.listen.ip().is_unspecified() {
            hosts.push(options.listen.ip().to_string());
        }
        hosts.extend(options.allowed_hosts.iter().cloned());
        let stop = CancellationToken::new();
        let config = StreamableHttpServerConfig::default()
            .with_allowed_hosts(hosts)
            .with_allowed_origins(options.allowed_origins.iter().cloned())
            .enforce_origin_validation()
            .with_cancellation_token(stop.child_token());
        let service = StreamableHttpService::new(
            move || Ok(server.clone()),
            LocalSessionManager::default().into(),
            config,
        );
        let expected = Token(format!("Bearer {}", options.token).into_bytes());
        let router =
            Router::new()
                .nest_service(PATH, service)
                .layer(middleware::from_fn_with_state(
                    std::sync::Arc::new(expected),
                    require_token,
                ));
        Ok(HttpServer {
            listener,
            router,
            stop,
        })
    }

    /// The address listened on (with the port chosen when 0 was asked for).
    ///
    /// # Errors
    /// The socket has no local address.
    pub fn local_addr(&self) -> Result<SocketAddr, String> {
        self.listener.local_addr().map_err(|e| e.to_string())
    }

    /// Serves until `shutdown` completes, then closes the open streams and returns.
    ///
    /// # Errors
    /// The server failed.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let stop = self.stop.clone();
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                stop.cancel();
            })
            .await
            .map_err(|e| format!("MCP over HTTP: {e}"))
    }
}

/// The `Authorization` header value a request must carry.
struct Token(Vec<u8>);

/// Refuses, with 401, a request without the server's bearer token (compared in constant time).
async fn require_token(
    State(expected): State<std::sync::Arc<Token>>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    if given.len() == expected.0.len() && bool::from(given.ct_eq(&expected.0)) {
        return next.run(request).await;
    }
    let mut response = Response::new(Body::from(
        "Unauthorized: this MCP server needs its bearer token (Authorization: Bearer <token>)\n",
    ));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"noderun\""),
    );
    // The request's body was not read: the connection cannot carry another request.
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
