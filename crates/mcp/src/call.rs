//! One tool call: the arguments checked and made the node's parameters, one item run through the
//! executor as `noderun run` runs it, the outputs as MCP content, cut to the size a client takes.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use noderun_definitions::{Node, Registry, effective_parameters};
use noderun_executor::{BinaryData, Cancel, Invocation, Item, Output, Runner, Settings};
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::catalog::ToolDef;
use crate::schema::FILE;

/// What a call needs besides its arguments.
pub(crate) struct Context<'a> {
    pub registry: &'a Arc<Registry>,
    pub node: &'a Node,
    pub credentials: &'a Map<String, Value>,
    pub settings: &'a Settings,
    /// Largest text a result carries, in bytes.
    pub max_result_bytes: usize,
    /// Texts never to show (the credential's secrets).
    pub secrets: &'a [String],
}

/// Runs the tool; every failure is a tool error (`isError: true`) with noderun's message.
pub(crate) async fn call(
    cx: &Context<'_>,
    tool: &ToolDef,
    arguments: Map<String, Value>,
    cancelled: CancellationToken,
) -> CallToolResult {
    let result = match prepare(cx.node, tool, arguments) {
        Ok((parameters, item)) => run(cx, tool, parameters, item, cancelled).await,
        Err(message) => Err(message),
    };
    let scrub = |text: String| {
        cx.secrets
            .iter()
            .filter(|s| s.len() >= 3)
            .fold(text, |t, s| t.replace(s.as_str(), "***"))
    };
    match result {
        Ok(content) => CallToolResult::success(
            content
                .into_iter()
                .map(|block| match block {
                    ContentBlock::Text(text) => ContentBlock::text(scrub(text.text)),
                    other => other,
                })
                .collect(),
        ),
        Err(message) => CallToolResult::error(vec![ContentBlock::text(scrub(message))]),
    }
}

/// The node parameters and the input item of a call. Argument values are taken literally: a
/// string starting with `=` (an n8n expression) is read from the item instead, so that no
/// argument is ever evaluated.
fn prepare(
    node: &Node,
    tool: &ToolDef,
    mut arguments: Map<String, Value>,
) -> Result<(Map<String, Value>, Item), String> {
    let name = &tool.tool.name;
    let known: Vec<&String> = tool.input.names().collect();
    if let Some(unknown) = arguments.keys().find(|k| !known.contains(k)) {
        return Err(format!(
            "{name} has no parameter '{unknown}'; its parameters are: {}",
            known
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let file = arguments.remove(FILE);
    check_switches(node, tool, &mut arguments)?;
    let mut literals = Map::new();
    let mut parameters = Map::new();
    parameters.insert("resource".into(), json!(tool.resource));
    parameters.insert("operation".into(), json!(tool.operation));
    for (k, v) in &arguments {
        parameters.insert(k.clone(), literal(v, &mut literals));
    }
    let mut binary = None;
    if let Some((parameter, default)) = &tool.input.file {
        let property = default.as_str().filter(|s| !s.is_empty()).unwrap_or("data");
        if let Some(file) = &file {
            parameters.insert(parameter.clone(), json!(property));
            let mut map = Map::new();
            map.insert(property.to_string(), file_data(file)?);
            binary = Some(map);
        }
    }
    let effective = effective_parameters(&node.description.properties, &parameters);
    let given = arguments.keys().map(|k| (k.as_str(), k.as_str())).chain(
        tool.input
            .file
            .as_ref()
            .filter(|_| file.is_some())
            .map(|(p, _)| (FILE, p.as_str())),
    );
    for (argument, parameter) in given {
        if !effective.contains_key(parameter) {
            let when = tool
                .input
                .conditions
                .get(argument)
                .map_or("other parameters have other values".to_string(), |c| {
                    c.clone()
                });
            return Err(format!(
                "Parameter '{argument}' is used only when {when}: set that too, or leave '{argument}' out"
            ));
        }
    }
    if let Some((parameter, _)) = &tool.input.file
        && file.is_none()
        && effective.contains_key(parameter)
    {
        return Err(format!(
            "Missing required parameter: {FILE} (the file to upload: fileName and its content in text or data)"
        ));
    }
    let item = Item {
        binary,
        ..Item::new(literals)
    };
    Ok((parameters, item))
}

/// Switches (the parameters that show or hide others) as n8n reads them: their values are
/// checked here, because a value the definitions do not list would hide parameters silently.
fn check_switches(
    node: &Node,
    tool: &ToolDef,
    arguments: &mut Map<String, Value>,
) -> Result<(), String> {
    let Ok(op) = node.operation(&tool.resource, &tool.operation) else {
        return Ok(());
    };
    for (name, value) in arguments.iter_mut() {
        let mut allowed: Vec<&Value> = op.states.iter().filter_map(|s| s.get(name)).collect();
        if allowed.is_empty() {
            continue;
        }
        allowed.dedup();
        if allowed.iter().all(|v| v.is_boolean()) {
            match value.as_str() {
                Some("true") => *value = Value::Bool(true),
                Some("false") => *value = Value::Bool(false),
                _ => {}
            }
        }
        if !allowed.contains(&&*value) {
            let mut values: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
            values.sort();
            values.dedup();
            return Err(format!(
                "Parameter '{name}' must be one of: {}; got {value}",
                values.join(", ")
            ));
        }
    }
    Ok(())
}

/// `value` with every string that n8n would take for an expression replaced by an expression
/// reading it, unchanged, from the input item.
fn literal(value: &Value, literals: &mut Map<String, Value>) -> Value {
    match value {
        Value::String(s) if s.starts_with('=') => {
            let key = format!("literal{}", literals.len());
            literals.insert(key.clone(), value.clone());
            Value::String(format!("={{{{ $json.{key} }}}}"))
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| literal(v, literals)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), literal(v, literals)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The `file` argument as an n8n binary property.
fn file_data(file: &Value) -> Result<Value, String> {
    let name = file["fileName"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or("Parameter 'file': fileName is missing (the file's name with its extension)")?;
    let data = match (file.get("text"), file.get("data")) {
        (Some(Value::String(text)), None) => STANDARD.encode(text.as_bytes()),
        (None, Some(Value::String(data))) => data.clone(),
        (Some(_), Some(_)) => {
            return Err("Parameter 'file': give its content in text or in data, not both".into());
        }
        (None, None) => {
            return Err(
                "Parameter 'file': its content is missing (text, or base64-encoded data)".into(),
            );
        }
        _ => return Err("Parameter 'file': text and data must be strings".into()),
    };
    let mime = match file.get("mimeType").and_then(Value::as_str) {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => mime_guess::from_path(name)
            .first_or_octet_stream()
            .essence_str()
            .to_string(),
    };
    Ok(json!({"data": data, "mimeType": mime, "fileName": name}))
}

/// Runs the call's one item; the outputs rendered, or the failure's message.
async fn run(
    cx: &Context<'_>,
    tool: &ToolDef,
    parameters: Map<String, Value>,
    item: Item,
    cancelled: CancellationToken,
) -> Result<Vec<ContentBlock>, String> {
    let runner = Runner::new(
        cx.registry.clone(),
        Invocation {
            node: cx.node.description.name.clone(),
            parameters,
            credentials: cx.credentials.clone(),
            settings: cx.settings.clone(),
        },
    )
    .map_err(|e| e.0)?;
    let cancel = Cancel::new();
    let runner = runner.with_cancel(cancel.clone());
    // The client's cancellation (notifications/cancelled, a closed connection) stops the run.
    let watcher = {
        let cancel = cancel.clone();
        let cancelled = cancelled.clone();
        tokio::spawn(async move {
            cancelled.cancelled().await;
            cancel.abort();
        })
    };
    let mut collected = Collected::default();
    let budget = cx.max_result_bytes;
    let summary = runner
        .run_stream(futures::stream::iter([Ok(item)]), |output| {
            let Output::Main(item) = output else { return };
            let c = &mut collected;
            c.total += 1;
            if c.cut {
                return;
            }
            let size = serde_json::to_string(&item.json).map_or(0, |s| s.len()) + 1;
            if c.size + size > budget && !c.items.is_empty() {
                c.cut = true;
                // A read need not go on: the rest would not be shown. A write must.
                if tool.read_only {
                    cancel.abort();
                }
            } else {
                c.size += size;
                c.items.push(item);
            }
        })
        .await;
    watcher.abort();
    if let Some(stopped) = summary.stopped {
        return Err(stopped.failure.details.message);
    }
    if cancelled.is_cancelled() {
        return Err("The call was cancelled by the client".into());
    }
    if !collected.cut && !summary.interrupted.is_empty() {
        return Err("The call was interrupted before it completed".into());
    }
    Ok(render(tool, collected, cx.max_result_bytes))
}

#[derive(Default)]
struct Collected {
    items: Vec<Item>,
    /// Outputs delivered (more than `items` when cut).
    total: usize,
    size: usize,
    cut: bool,
}

/// The outputs as content: their json as one JSON text (the object of a single output, else an
/// array), every binary property as an image or an embedded resource, then a note when the
/// result was cut.
fn render(tool: &ToolDef, collected: Collected, budget: usize) -> Vec<ContentBlock> {
    let Collected {
        items, total, cut, ..
    } = collected;
    let shown = items.len();
    let mut files = vec![];
    let mut file_notes = vec![];
    let jsons: Vec<Value> = items
        .into_iter()
        .map(|item| {
            for (property, data) in item.binary.into_iter().flatten() {
                if let Ok(data) = serde_json::from_value::<BinaryData>(data) {
                    file_notes.push(describe_file(&property, &data));
                    files.push(file_block(tool, &property, data));
                }
            }
            Value::Object(item.json)
        })
        .collect();
    let value = match jsons.as_slice() {
        [one] => one.clone(),
        _ => Value::Array(jsons),
    };
    let mut text = serde_json::to_string(&value).unwrap_or_default();
    let mut notes = file_notes;
    if text.len() > budget {
        let full = text.len();
        let mut end = budget;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        notes.push(format!(
            "Cut: the result is {full} bytes; the first {end} are shown.{}",
            narrowing(tool)
        ));
    } else if cut {
        notes.push(if tool.read_only {
            format!(
                "Cut: the first {shown} entries are shown (results are limited to {budget} bytes); there are more.{}{}",
                reading_on(tool, shown),
                narrowing(tool)
            )
        } else {
            format!(
                "Cut: {total} entries in all, the first {shown} are shown (results are limited to {budget} bytes)."
            )
        });
    }
    let mut blocks = vec![ContentBlock::text(text)];
    blocks.extend(files);
    if !notes.is_empty() {
        blocks.push(ContentBlock::text(notes.join("\n")));
    }
    blocks
}

/// How to read the entries after the first `shown`, when the tool has the parameters for it.
fn reading_on(tool: &ToolDef, shown: usize) -> String {
    let Some(offset) = tool.input.find("offset") else {
        return String::new();
    };
    let mut how = vec![];
    if tool.input.find("returnAll").is_some() {
        how.push("returnAll false".to_string());
    }
    if let Some(limit) = tool.input.find("limit") {
        how.push(format!("{limit} {shown}"));
    }
    how.push(format!("{offset} {shown} (then {}, …)", shown * 2));
    format!(
        " To read on, call {} again with {}.",
        tool.tool.name,
        how.join(", ")
    )
}

/// How to make entries smaller, when the tool can select fields.
fn narrowing(tool: &ToolDef) -> String {
    tool.input
        .find("fields")
        .map(|f| format!(" Ask for fewer fields with {f} (e.g. \"id,title\") to see more."))
        .unwrap_or_default()
}

fn describe_file(property: &str, data: &BinaryData) -> String {
    let name = data.file_name.as_deref().unwrap_or(property);
    let size = data
        .bytes
        .map(|b| format!(", {b} bytes"))
        .unwrap_or_default();
    format!("File {name} ({}{size}) attached.", data.mime_type)
}

/// A binary property as content: an image, or an embedded resource (text for text types).
fn file_block(tool: &ToolDef, property: &str, data: BinaryData) -> ContentBlock {
    let name = data
        .file_name
        .clone()
        .unwrap_or_else(|| property.to_string());
    let uri = format!("noderun://{}/{}", tool.tool.name, encode_path(&name));
    let base64 = data.data.unwrap_or_default();
    let mime = data.mime_type;
    if matches!(
        mime.as_str(),
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    ) {
        return ContentBlock::image(base64, mime);
    }
    let textual = mime.starts_with("text/")
        || ["json", "xml", "yaml", "csv", "javascript"]
            .iter()
            .any(|t| mime.contains(t));
    if textual
        && let Ok(bytes) = STANDARD.decode(&base64)
        && let Ok(text) = String::from_utf8(bytes)
    {
        return ContentBlock::resource(ResourceContents::text(text, uri).with_mime_type(mime));
    }
    ContentBlock::resource(ResourceContents::blob(base64, uri).with_mime_type(mime))
}

fn encode_path(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
