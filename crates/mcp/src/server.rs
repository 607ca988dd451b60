//! The MCP server: rmcp's `ServerHandler` over the catalogue and the executor.

use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_executor::{Credentials, Settings};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Map, Value};

use crate::call::{Context, call};
use crate::catalog::{Catalog, Selection};

/// What the server serves and how it runs the calls.
#[derive(Clone)]
pub struct Config {
    /// The node whose operations are the tools, e.g. `directus`.
    pub node: String,
    /// The credential's fields, as for `noderun run` (never shown to the client).
    pub credentials: Map<String, Value>,
    /// Which operations are tools.
    pub selection: Selection,
    /// Settings of every call's run (timeouts, retries, binary limits); errors always stop the
    /// call (they are its result).
    pub settings: Settings,
    /// Largest text a tool result carries, in bytes: longer results are cut, saying so.
    pub max_result_bytes: usize,
}

/// Default of [`Config::max_result_bytes`]: about 10,000 tokens of JSON, the size at which
/// Claude Code starts warning about a tool result (its limit is 25,000 tokens).
pub const DEFAULT_MAX_RESULT_BYTES: usize = 40_000;

/// An MCP server whose tools are a node's operations. Cheap to clone (the streamable HTTP
/// transport makes one per session). Its `Debug` shows no credential.
#[derive(Clone)]
pub struct ToolServer {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    node: String,
    catalog: Catalog,
    credentials: Map<String, Value>,
    secrets: Vec<String>,
    settings: Settings,
    max_result_bytes: usize,
    instructions: String,
}

impl std::fmt::Debug for ToolServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolServer")
            .field("node", &self.inner.node)
            .field("tools", &self.inner.catalog.tools.len())
            .finish_non_exhaustive()
    }
}

impl ToolServer {
    /// A server for `config.node` of `registry`.
    ///
    /// # Errors
    /// An unknown node, a selection naming what the node does not have or leaving no tool, or
    /// credentials that do not fit the node's credential type (the field named, never its value).
    pub fn new(registry: Arc<Registry>, config: Config) -> Result<ToolServer, String> {
        let node = registry.node(&config.node).map_err(|e| e.to_string())?;
        let catalog = Catalog::new(node, &config.selection)?;
        let credential_type = node
            .description
            .credentials
            .first()
            .and_then(|c| registry.credential(&c.name))
            .ok_or_else(|| format!("node '{}' names no known credential type", config.node))?;
        let credentials =
            Credentials::new(credential_type, config.credentials.clone()).map_err(|e| e.0)?;
        let secrets = credentials.secrets().map(String::from).collect();
        let instructions = instructions(node, &catalog, credentials.fields(), &config);
        Ok(ToolServer {
            inner: Arc::new(Inner {
                node: config.node,
                catalog,
                credentials: config.credentials,
                secrets,
                settings: config.settings,
                max_result_bytes: config.max_result_bytes,
                instructions,
                registry,
            }),
        })
    }

    /// The tools served, in order.
    pub fn tools(&self) -> Vec<Tool> {
        self.inner
            .catalog
            .tools
            .iter()
            .map(|t| t.tool.clone())
            .collect()
    }

    /// The server's `instructions` (sent in `initialize` and `server/discover`).
    pub fn instructions(&self) -> &str {
        &self.inner.instructions
    }

    /// Serves MCP on stdin/stdout until the client closes stdin.
    ///
    /// # Errors
    /// The transport failed.
    pub async fn serve_stdio(self) -> Result<(), String> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("MCP on stdio: {e}"))?;
        running
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| format!("MCP on stdio: {e}"))
    }
}

/// The tools `selection` picks among the operations of `node` (what a server for them lists).
///
/// # Errors
/// An unknown node, or a selection naming what the node does not have or leaving no tool.
pub fn tools(registry: &Registry, node: &str, selection: &Selection) -> Result<Vec<Tool>, String> {
    let node = registry.node(node).map_err(|e| e.to_string())?;
    Ok(Catalog::new(node, selection)?
        .tools
        .iter()
        .map(|t| t.tool.clone())
        .collect())
}

/// The server's instructions: how the tools are named and behave (generic), then what the
/// definitions say about the service (`agentTools.instructions`).
fn instructions(
    node: &noderun_definitions::Node,
    catalog: &Catalog,
    credentials: &Map<String, Value>,
    config: &Config,
) -> String {
    let display = &node.description.display_name;
    let at = credentials
        .get("url")
        .and_then(Value::as_str)
        .map(|u| format!(" at {}", u.trim_end_matches('/')))
        .unwrap_or_default();
    let mut text = format!(
        "Tools for the {display}{at}, run by noderun: each tool is one operation of its {display} node, named <resource>_<operation> (items_list, files_create, …); {} of the node's {} operations are served (whoever starts the server chooses them). \
         A call that fails returns what went wrong as its result (isError), naming the parameter at fault: correct the arguments and call again. \
         A parameter whose description says \"Used only when …\" needs the switch it names set that way. \
         Results are limited to {} bytes: a longer one is cut and says so, and how to read on (returnAll false, limit and offset) or to ask for fewer fields.",
        catalog.tools.len(),
        node.operations().len(),
        config.max_result_bytes,
    );
    if let Some(service) = node
        .description
        .agent_tools
        .as_ref()
        .and_then(|a| a.instructions.as_ref())
    {
        text.push_str("\n\n");
        text.push_str(service);
    }
    text
}

impl ServerHandler for ToolServer {
    fn get_info(&self) -> ServerConfig {
        let node = &self.inner.node;
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("noderun", env!("CARGO_PKG_VERSION"))
                    .with_title(format!("noderun: {node}")),
            )
            .with_instructions(self.inner.instructions.clone())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.catalog.get(name).map(|t| t.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let inner = &self.inner;
        let Some(tool) = inner.catalog.get(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool '{}'", request.name),
                None,
            ));
        };
        let node = inner
            .registry
            .node(&inner.node)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        let cx = Context {
            registry: &inner.registry,
            node,
            credentials: &inner.credentials,
            settings: &inner.settings,
            max_result_bytes: inner.max_result_bytes,
            secrets: &inner.secrets,
        };
        let arguments = request.arguments.unwrap_or_default();
        tracing::info!(tool = %request.name, "tool call");
        Ok(call(&cx, tool, arguments, context.ct).await.into())
    }
}
