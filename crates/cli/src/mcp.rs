//! `noderun mcp`: a node's operations as MCP tools, on stdio or on streamable HTTP.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use noderun_definitions::Registry;
use noderun_executor::Settings;
use noderun_mcp::{
    Config, DEFAULT_MAX_RESULT_BYTES, HttpOptions, HttpServer, PATH, Selection, ToolServer,
    generate_token,
};

use crate::args::CredentialArgs;
use crate::config::credentials::credentials;
use crate::config::settings::seconds;
use crate::report::fail;

/// Port of `--listen` without a value.
const DEFAULT_PORT: u16 = 8765;

#[derive(Args)]
pub(crate) struct McpArgs {
    /// Node whose operations are the tools, e.g. directus.
    node: String,
    #[command(flatten)]
    credentials: CredentialArgs,
    /// Resources whose operations are tools (comma-separated): resource values, `default` (the
    /// node's default set) or `all`. Default: `default`, or `all` when --operations is given.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    resources: Vec<String>,
    /// Keep only these operations (comma-separated): operation values (list, get) or tool
    /// names (items_list).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    operations: Vec<String>,
    /// Keep only the tools that read (every request a GET).
    #[arg(long)]
    read_only: bool,
    /// Print the selected tools (name, title, hints) and exit.
    #[arg(long)]
    list_tools: bool,
    /// Serve streamable HTTP at ADDR (`/mcp`) instead of stdio: an IP and port, or a port
    /// (127.0.0.1 is used); without a value 127.0.0.1:8765. Anything but loopback must be asked
    /// for by address (e.g. 0.0.0.0:8765).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8765")]
    listen: Option<String>,
    /// The bearer token HTTP clients must send, read from this file (else from the environment
    /// variable NODERUN_MCP_TOKEN, else generated and printed once).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Another `Host` the HTTP server answers to, besides localhost, 127.0.0.1 and ::1
    /// (`name` or `name:port`). Repeatable.
    #[arg(long, value_name = "HOST")]
    allow_host: Vec<String>,
    /// An `Origin` (scheme://host:port) whose web pages may call the HTTP server; none by
    /// default. Repeatable.
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Largest text a tool result carries, in bytes; longer results are cut, saying so.
    #[arg(long, default_value_t = DEFAULT_MAX_RESULT_BYTES, value_name = "BYTES")]
    max_result_bytes: usize,
    /// Largest file a tool uploads or downloads, in bytes.
    #[arg(long, default_value_t = 10 << 20, value_name = "BYTES")]
    max_binary_bytes: u64,
    /// Seconds to establish a connection.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    connect_timeout: f64,
    /// Seconds for a whole request, response included.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    timeout: f64,
}

pub(crate) fn run(registry: Arc<Registry>, args: McpArgs) -> ExitCode {
    match serve(registry, args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn serve(registry: Arc<Registry>, args: McpArgs) -> Result<(), String> {
    let settings = Settings {
        connect_timeout: seconds(args.connect_timeout, "--connect-timeout")?,
        request_timeout: seconds(args.timeout, "--timeout")?,
        max_binary_bytes: args.max_binary_bytes,
        ..Settings::default()
    };
    if args.max_result_bytes < 1000 {
        return Err("--max-result-bytes must be at least 1000".into());
    }
    let config = Config {
        credentials: if args.list_tools {
            serde_json::Map::new() // the list needs no service
        } else {
            credentials(&args.credentials, &registry, &args.node)?
        },
        node: args.node.clone(),
        selection: Selection {
            resources: args.resources.clone(),
            operations: args.operations.clone(),
            read_only: args.read_only,
        },
        settings,
        max_result_bytes: args.max_result_bytes,
    };
    if args.list_tools {
        return list_tools(registry, config);
    }
    let server = ToolServer::new(registry, config)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let Some(listen) = &args.listen else {
        return runtime.block_on(server.serve_stdio());
    };
    let listen = listen_address(listen)?;
    let token = token(&args)?;
    let tools = server.tools().len();
    runtime.block_on(async move {
        let http = HttpServer::bind(
            server,
            HttpOptions {
                listen,
                token: token.value,
                allowed_hosts: args.allow_host.clone(),
                allowed_origins: args.allow_origin.clone(),
            },
        )
        .await?;
        let at = http.local_addr()?;
        eprintln!(
            "noderun: MCP server for {} ({tools} tools) at http://{at}{PATH}",
            args.node
        );
        if !at.ip().is_loopback() {
            eprintln!(
                "noderun: warning: listening on {} (not loopback): anyone who can reach it and has the token uses your {} credentials",
                at.ip(),
                args.node
            );
        }
        if let Some(generated) = token.generated {
            eprintln!(
                "noderun: bearer token (generated, shown only now; choose one with --token-file or NODERUN_MCP_TOKEN): {generated}"
            );
        }
        http.run(shutdown_signal()).await
    })
}

/// `--list-tools`: one line per tool, name, title and hints.
fn list_tools(registry: Arc<Registry>, config: Config) -> Result<(), String> {
    let tools = noderun_mcp::tools(&registry, &config.node, &config.selection)?;
    let width = tools.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for t in &tools {
        let a = t.annotations.clone().unwrap_or_default();
        let hint = if a.read_only_hint == Some(true) {
            "read-only"
        } else if a.destructive_hint == Some(true) {
            "destructive"
        } else if a.idempotent_hint == Some(true) {
            "idempotent"
        } else {
            ""
        };
        let title = t.title.clone().unwrap_or_default();
        let line = format!("{:width$}  {title:32}  {hint}", t.name);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    print!("{out}");
    eprintln!("noderun: {} tools", tools.len());
    Ok(())
}

fn listen_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse().map_err(|_| {
        format!(
            "--listen takes an address such as 127.0.0.1:{DEFAULT_PORT} or a port; got '{text}'"
        )
    })
}

struct Token {
    value: String,
    /// The token, when it was generated (to be shown once).
    generated: Option<String>,
}

fn token(args: &McpArgs) -> Result<Token, String> {
    let given = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?
                .trim()
                .to_string(),
        ),
        None => std::env::var("NODERUN_MCP_TOKEN").ok(),
    };
    match given {
        Some(value) if value.len() < 16 => Err(
            "the bearer token must be at least 16 characters (--token-file or NODERUN_MCP_TOKEN)"
                .into(),
        ),
        Some(value) => Ok(Token {
            value,
            generated: None,
        }),
        None => {
            let value = generate_token()?;
            Ok(Token {
                generated: Some(value.clone()),
                value,
            })
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}
