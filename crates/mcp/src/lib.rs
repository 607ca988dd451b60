//! A node's operations as Model Context Protocol tools, for AI agents.
//!
//! The primary type is [`ToolServer`], an MCP server (on the official Rust SDK, `rmcp`) whose
//! tools are the operations of one node of the registry: `items_list`, `files_create`, … Each
//! tool's `inputSchema` is the operation's form-ready JSON Schema made flat for agents
//! ([`schema`](crate)), its annotations come from the HTTP methods of its routing (GET only:
//! read-only; DELETE: destructive), and a call runs one item through the executor exactly as
//! `noderun run` does. Served on stdio ([`ToolServer::serve_stdio`]) or on streamable HTTP
//! ([`HttpServer`]: loopback, its own bearer token, `Host`/`Origin` checked), for clients of
//! both protocol eras (`initialize` up to 2025-11-25, stateless `server/discover` from
//! 2026-07-28), which rmcp negotiates.
//!
//! The key decision: the server is thin glue. Which tools exist, what they take and what they
//! say comes from the node definitions (the operations and their schemas; the default tool set
//! and the service's instructions in the node's `agentTools`); a call is the executor's run, so
//! validation, messages naming the parameter, paging and secret redaction are the executor's.
//! What the glue adds is what an agent needs: a failure is a tool result with `isError` and
//! noderun's message (never a protocol error), argument values are never evaluated as n8n
//! expressions, a parameter given where its switch hides it is refused by name instead of being
//! dropped, and results are cut to a size a client takes, saying how to read on.

#![deny(missing_docs)]

mod call;
mod catalog;
mod http;
mod schema;
mod server;

pub use catalog::Selection;
pub use http::{HttpOptions, HttpServer, PATH, generate_token};
pub use server::{Config, DEFAULT_MAX_RESULT_BYTES, ToolServer, tools};
