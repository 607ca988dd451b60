//! `noderun describe [NODE [RESOURCE [OPERATION]]]`: the nodes, a node's resources, a
//! resource's operations, or an operation's parameters, as tables a person reads (`--json` for
//! tools).
//!
//! Everything comes from the registry: the operations it indexes and the properties each shows
//! in one of its states (the switch combinations), so what is described is what `run` accepts.

use std::io::IsTerminal;

use clap::Args;
use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets};
use noderun_definitions::display::Visibility;
use noderun_definitions::model::{DisplayOptions, Property, PropertyType};
use noderun_definitions::{Node, Operation, Registry};
use serde_json::{Map, Value, json};

use crate::export::print_in_order;
use crate::requests::OperationInfo;

#[derive(Args)]
pub(crate) struct DescribeArgs {
    #[command(flatten)]
    path: OperationPath,
    /// JSON for tools instead of tables.
    #[arg(long)]
    json: bool,
}

/// A node, a resource of it, an operation of that: the positional arguments of `describe` and
/// `schema`.
#[derive(Args)]
pub(crate) struct OperationPath {
    /// Node, e.g. directus.
    #[arg(value_name = "NODE")]
    pub(crate) node: Option<String>,
    /// Resource, e.g. auth.
    #[arg(value_name = "RESOURCE")]
    pub(crate) resource: Option<String>,
    /// Operation, e.g. login.
    #[arg(value_name = "OPERATION")]
    pub(crate) operation: Option<String>,
}

pub(crate) fn describe(registry: &Registry, args: &DescribeArgs) -> Result<(), String> {
    let path = &args.path;
    let Some(node_name) = &path.node else {
        return show(args.json, nodes(registry));
    };
    let node = registry.node(node_name).map_err(|e| e.to_string())?;
    let Some(resource) = &path.resource else {
        return show(args.json, resources(node));
    };
    let operations = node.resource(resource).map_err(|e| e.to_string())?;
    let Some(operation) = &path.operation else {
        return show(args.json, operations_of(node, &operations));
    };
    let op = node
        .operation(resource, operation)
        .map_err(|e| e.to_string())?;
    show(args.json, parameters(node, op))
}

/// What `describe` prints: a heading, a table, and its JSON form.
struct Description {
    heading: Vec<String>,
    header: Vec<&'static str>,
    rows: Vec<Row>,
    /// Said after the table (how to go one level deeper).
    next: Option<String>,
    json: Value,
}

/// A table row, and the lines said under it (a parameter's description and choices).
struct Row {
    cells: Vec<String>,
    notes: Vec<String>,
}

impl From<Vec<String>> for Row {
    fn from(cells: Vec<String>) -> Row {
        Row {
            cells,
            notes: Vec::new(),
        }
    }
}

fn show(json: bool, d: Description) -> Result<(), String> {
    if json {
        return print_in_order(&d.json);
    }
    // Wrapped to the terminal (or COLUMNS); a pipe gets whole lines.
    let width = if std::io::stdout().is_terminal() {
        console::Term::stdout().size_checked().map(|(_, w)| w)
    } else {
        std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
    };
    let with_notes = d.rows.iter().any(|r| !r.notes.is_empty());
    let empty = d.rows.is_empty();
    let mut table = Table::new();
    table.load_style(presets::NOTHING).set_header(d.header);
    let mut notes = Vec::new();
    for row in d.rows {
        table.add_row(row.cells);
        notes.push(row.notes);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    // Rows with notes stay one line each (the notes take the width); otherwise the last column
    // wraps.
    if let (Some(width), false) = (width, with_notes) {
        table
            .set_width(width)
            .set_content_arrangement(ContentArrangement::Dynamic);
        // Names stay whole, the last column takes the rest.
        let last = table.column_count() - 1;
        for column in table.column_iter_mut().take(last) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    let mut text = String::new();
    for line in &d.heading {
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    if empty {
        text.push_str("No parameters.\n");
    }
    let mut lines = table.lines().skip_while(|_| empty);
    // The header, or every line when no row has notes.
    for line in lines.by_ref().take(if with_notes { 1 } else { usize::MAX }) {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let indent = "    ";
    for (line, notes) in lines.zip(notes) {
        text.push_str(line.trim_end());
        text.push('\n');
        for note in notes {
            match width {
                Some(w) => {
                    let options = textwrap::Options::new(usize::from(w).max(40))
                        .initial_indent(indent)
                        .subsequent_indent(indent);
                    for l in textwrap::wrap(&note, options) {
                        text.push_str(&l);
                        text.push('\n');
                    }
                }
                None => {
                    text.push_str(indent);
                    text.push_str(&note);
                    text.push('\n');
                }
            }
        }
    }
    if let Some(next) = &d.next {
        text.push('\n');
        text.push_str(next);
        text.push('\n');
    }
    crate::export::print_text(&text)
}

fn nodes(registry: &Registry) -> Description {
    let list: Vec<Value> = registry
        .nodes()
        .map(|n| {
            json!({
                "name": n.description.name,
                "displayName": n.description.display_name,
                "description": n.description.description,
                "resources": resource_names(n).len(),
                "operations": n.operations().len(),
                "trigger": n.description.polling,
            })
        })
        .collect();
    Description {
        heading: vec![format!("{} node{}", list.len(), plural(list.len()))],
        header: vec!["NODE", "NAME", "RESOURCES", "OPERATIONS", "DESCRIPTION"],
        rows: list
            .iter()
            .map(|n| {
                [
                    "name",
                    "displayName",
                    "resources",
                    "operations",
                    "description",
                ]
                .iter()
                .map(|k| match *k {
                    // A trigger has parameters, not resources and operations.
                    "resources" | "operations" if n["trigger"] == true => "-".to_string(),
                    _ => text(&n[*k]),
                })
                .collect::<Vec<_>>()
                .into()
            })
            .collect(),
        next: Some("A node's resources: noderun describe NODE".into()),
        json: Value::Array(list),
    }
}

fn resources(node: &Node) -> Description {
    let d = &node.description;
    let list: Vec<Value> = resource_names(node)
        .into_iter()
        .map(|(value, name)| {
            let operations: Vec<&str> = node
                .operations()
                .iter()
                .filter(|o| o.resource == value)
                .map(|o| o.operation.as_str())
                .collect();
            json!({"value": value, "name": name, "operations": operations})
        })
        .collect();
    let credentials: Vec<&str> = d.credentials.iter().map(|c| c.name.as_str()).collect();
    if d.polling {
        return trigger(node, &credentials);
    }
    Description {
        heading: vec![
            format!("{} ({}): {}", d.display_name, d.name, d.description),
            format!(
                "{} resources, {} operations; credentials: {}",
                list.len(),
                node.operations().len(),
                credentials.join(", ")
            ),
        ],
        header: vec!["RESOURCE", "NAME", "OPERATIONS"],
        rows: list
            .iter()
            .map(|r| {
                let ops: Vec<String> = r["operations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(text)
                    .collect();
                vec![text(&r["value"]), text(&r["name"]), ops.join(", ")].into()
            })
            .collect(),
        next: Some(format!(
            "A resource's operations: noderun describe {} RESOURCE",
            d.name
        )),
        json: json!({
            "name": d.name,
            "displayName": d.display_name,
            "description": d.description,
            "credentials": credentials,
            "resources": list,
        }),
    }
}

/// How a trigger node is run, from its `commandLine` (data): the command with its first flag,
/// and the command of its help, e.g. (`noderun trigger directus --collection NAME`,
/// `noderun trigger --help`).
pub(crate) fn trigger_usage(d: &noderun_definitions::model::NodeDescription) -> (String, String) {
    let Some(line) = &d.command_line else {
        return ("noderun trigger".into(), "noderun trigger --help".into());
    };
    let first = line
        .flags
        .first()
        .map(|f| format!(" {} NAME", f.flag))
        .unwrap_or_default();
    let help = line
        .command
        .rsplit_once(' ')
        .map_or(line.command.as_str(), |(c, _)| c);
    (format!("{}{first}", line.command), format!("{help} --help"))
}

/// A trigger node: its parameters, and the command that follows its changes.
fn trigger(node: &Node, credentials: &[&str]) -> Description {
    let d = &node.description;
    let list: Vec<Value> = d.properties.iter().map(parameter).collect();
    let mut rows = Vec::new();
    for p in &list {
        rows_of(p, "", &mut rows);
    }
    Description {
        heading: vec![
            format!("{} ({}): {}", d.display_name, d.name, d.description),
            format!(
                "A trigger: it starts on changes, not on items; credentials: {}",
                credentials.join(", ")
            ),
        ],
        header: vec!["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "SHOWN WHEN"],
        rows,
        next: Some({
            let (command, help) = trigger_usage(d);
            format!("Follow the changes: {command} ({help})")
        }),
        json: json!({
            "name": d.name,
            "displayName": d.display_name,
            "description": d.description,
            "trigger": true,
            "credentials": credentials,
            "parameters": list,
        }),
    }
}

fn operations_of(node: &Node, operations: &[&Operation]) -> Description {
    let resource = &operations[0].resource;
    let resource_name = resource_name(node, resource);
    let list: Vec<Value> = operations
        .iter()
        .map(|op| {
            let info = OperationInfo::new(node, op);
            json!({
                "value": op.operation,
                "name": op.display_name,
                "description": info.description,
                "requests": info.requests,
                "readOnly": info.read_only,
            })
        })
        .collect();
    Description {
        heading: vec![format!(
            "{} › {resource_name} ({resource}): {} operations",
            node.description.display_name,
            list.len()
        )],
        header: vec!["OPERATION", "NAME", "REQUEST"],
        rows: list
            .iter()
            .map(|o| {
                let then: Vec<String> = o["requests"]["then"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(text)
                    .collect();
                let mut notes = vec![text(&o["description"])];
                if !then.is_empty() {
                    notes.push(format!("Then: {}", then.join(" or ")));
                }
                Row {
                    cells: vec![
                        text(&o["value"]),
                        text(&o["name"]),
                        text(&o["requests"]["request"]),
                    ],
                    notes,
                }
            })
            .collect(),
        next: Some(format!(
            "An operation's parameters: noderun describe {} {resource} OPERATION",
            node.description.name
        )),
        json: json!({
            "node": node.description.name,
            "resource": {"value": resource, "name": resource_name},
            "operations": list,
        }),
    }
}

fn parameters(node: &Node, op: &Operation) -> Description {
    let info = OperationInfo::new(node, op);
    let list: Vec<Value> = node
        .operation_properties(op)
        .into_iter()
        .map(parameter)
        .collect();
    let mut rows = Vec::new();
    for p in &list {
        rows_of(p, "", &mut rows);
    }
    let node_name = &node.description.name;
    let mut heading = vec![format!(
        "{} › {} › {} ({node_name} {} {})",
        node.description.display_name,
        resource_name(node, &op.resource),
        op.display_name,
        op.resource,
        op.operation
    )];
    if let Some(d) = &info.description {
        heading.push(d.clone());
    }
    heading.push(format!("Request: {}", requests_text(&info.requests)));
    Description {
        heading,
        header: vec!["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "SHOWN WHEN"],
        rows,
        next: Some(run_example(node, op)),
        json: json!({
            "node": node_name,
            "resource": op.resource,
            "operation": op.operation,
            "name": op.display_name,
            "description": info.description,
            "requests": info.requests,
            "readOnly": info.read_only,
            "parameters": list,
        }),
    }
}

/// A command that runs the operation, its required parameters taken from the items by
/// expression (also the secrets: never typed on the command line).
fn run_example(node: &Node, op: &Operation) -> String {
    let properties = &node.description.properties;
    let mut state = Map::new();
    state.insert("resource".into(), json!(op.resource));
    state.insert("operation".into(), json!(op.operation));
    let required: Vec<String> = Visibility::new(properties)
        .visible(&state)
        .into_iter()
        .map(|i| &properties[i])
        .filter(|p| p.required && p.name != "resource" && p.name != "operation")
        .filter(|p| default_text(&p.default).is_empty())
        .map(|p| format!("\"{0}\": \"={{{{ $json.{0} }}}}\"", p.name))
        .collect();
    let parameters = if required.is_empty() {
        String::new()
    } else {
        format!(" \\\n    --parameters '{{{}}}'", required.join(", "))
    };
    format!(
        "Run it:\n  noderun run {} --resource {} --operation {} --credentials creds.json{parameters} < items.ndjson",
        node.description.name, op.resource, op.operation
    )
}

/// One table row per parameter, with the sub-parameters of collections below it
/// (`additionalFields.fields`); under each, its display name, description and choices.
fn rows_of(p: &Value, prefix: &str, rows: &mut Vec<Row>) {
    let name = format!("{prefix}{}", text(&p["name"]));
    let kind = match p["secret"].as_bool() {
        Some(true) => format!("{}, secret", text(&p["type"])),
        _ => text(&p["type"]),
    };
    let mut notes = vec![match p["description"].as_str() {
        Some(d) => format!("{}: {d}", text(&p["displayName"])),
        None => text(&p["displayName"]),
    }];
    let options: Vec<String> = p["options"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let (value, label) = (text(&o["value"]), text(&o["name"]));
            if value.eq_ignore_ascii_case(&label) {
                value
            } else {
                format!("{value} ({label})")
            }
        })
        .collect();
    if !options.is_empty() {
        notes.push(format!("One of: {}", options.join(", ")));
    }
    rows.push(Row {
        cells: vec![
            name.clone(),
            kind,
            if p["required"] == true { "yes" } else { "no" }.into(),
            default_text(&p["default"]),
            shown_when(&p["displayOptions"]),
        ],
        notes,
    });
    let list = if p["multipleValues"] == true {
        "[]"
    } else {
        ""
    };
    for sub in p["parameters"].as_array().into_iter().flatten() {
        rows_of(sub, &format!("{name}{list}."), rows);
    }
}

/// A parameter as `describe --json` gives it.
fn parameter(p: &Property) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(p.name));
    out.insert("displayName".into(), json!(p.display_name));
    out.insert("type".into(), json!(p.kind));
    out.insert("secret".into(), json!(p.is_secret()));
    out.insert("required".into(), json!(p.required));
    out.insert("default".into(), p.default.clone());
    if let Some(d) = p.display_options.as_ref().and_then(conditions) {
        out.insert("displayOptions".into(), d);
    }
    out.insert("description".into(), json!(p.description));
    let choices: Vec<Value> = p
        .choices()
        .map(|c| json!({"value": c.value, "name": c.name, "description": c.description}))
        .collect();
    if !choices.is_empty() {
        out.insert("options".into(), Value::Array(choices));
    }
    let multiple = p.type_options.as_ref().is_some_and(|t| t.multiple_values);
    match p.kind {
        PropertyType::Collection => {
            out.insert("multipleValues".into(), json!(multiple));
            out.insert(
                "parameters".into(),
                p.sub_properties().map(parameter).collect(),
            );
        }
        PropertyType::FixedCollection => {
            out.insert(
                "parameters".into(),
                p.groups()
                    .map(|g| {
                        json!({
                            "name": g.name,
                            "displayName": g.display_name,
                            "type": "group",
                            "secret": false,
                            "required": false,
                            "default": null,
                            "description": null,
                            "multipleValues": multiple,
                            "parameters": g.values.iter().map(parameter).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            );
        }
        _ => {}
    }
    Value::Object(out)
}

/// A property's displayOptions without the resource and operation (the operation described
/// implies them), in n8n's shape; none when nothing else is left.
fn conditions(d: &DisplayOptions) -> Option<Value> {
    let mut out = Map::new();
    for (key, conditions) in [("show", &d.show), ("hide", &d.hide)] {
        let rest: Map<String, Value> = conditions
            .iter()
            .flatten()
            .filter(|(name, _)| *name != "resource" && *name != "operation")
            .map(|(name, values)| {
                (
                    name.clone(),
                    serde_json::to_value(values).unwrap_or_default(),
                )
            })
            .collect();
        if !rest.is_empty() {
            out.insert(key.into(), Value::Object(rest));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// displayOptions as a person reads them: `returnAll: false; jsonParameters: not true`.
fn shown_when(d: &Value) -> String {
    let mut parts = Vec::new();
    for (key, not) in [("show", ""), ("hide", "not ")] {
        for (name, values) in d[key].as_object().into_iter().flatten() {
            let values: Vec<String> = match values {
                Value::Array(list) => list.iter().map(text).collect(),
                other => vec![text(other)],
            };
            parts.push(format!("{name}: {not}{}", values.join(" or ")));
        }
    }
    parts.join("; ")
}

/// The resources of a node: value and display name, in the registry's order.
fn resource_names(node: &Node) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for op in node.operations() {
        if seen.last().is_none_or(|(v, _)| v != &op.resource) {
            seen.push((op.resource.clone(), resource_name(node, &op.resource)));
        }
    }
    seen
}

/// A resource's display name (the `resource` selector's choice label).
pub(crate) fn resource_name(node: &Node, resource: &str) -> String {
    node.description
        .properties
        .iter()
        .filter(|p| p.name == "resource")
        .flat_map(Property::choices)
        .find(|c| c.value == resource)
        .map_or_else(|| resource.to_string(), |c| c.name.clone())
}

/// `GET /a`, or `GET /a, then POST /b or PATCH /c`.
fn requests_text(requests: &Value) -> String {
    let then: Vec<String> = requests["then"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    let first = text(&requests["request"]);
    if then.is_empty() {
        first
    } else {
        format!("{first}, then {}", then.join(" or "))
    }
}

/// A default as the table shows it: nothing for the empty ones (`""`, `{}`, `[]`, null).
fn default_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.is_empty() => String::new(),
        Value::Object(m) if m.is_empty() => String::new(),
        Value::Array(a) if a.is_empty() => String::new(),
        other => text(other),
    }
}

/// Text as it is, anything else as compact JSON, null as nothing.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
