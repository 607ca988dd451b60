//! Node definitions as data: the model of n8n's node-description format, the registry that loads
//! and checks definitions, displayOptions resolution and per-operation JSON Schemas.
//!
//! The primary type is [`Registry`]: it holds every node (n8n's `INodeTypeDescription`, assembled
//! from `node-definitions/<node>/node.json` and one file per resource) and credential type, each
//! checked at load time against the format schema ([`format_schema`], generated from the
//! [`model`] types with schemars) and for consistency (displayOptions name real parameters and
//! possible values, option values are unique, defaults fit their type, expressions parse, no
//! parameter is unreachable). Problems are reported with the file and a JSON pointer.
//!
//! The key design decision: Directus (or any service) is described only in data. An operation's
//! HTTP call is n8n's declarative `routing`, its parameters n8n properties, and the per-operation
//! schema is *derived* from those properties, never written by hand, so a new operation is a
//! data change and the schema, the validation and the UI export cannot drift apart. Parameter
//! visibility follows n8n's own `getNodeParameters` ([`display::effective_parameters`]), which the
//! test suite checks against n8n's code.

#![deny(missing_docs)]

pub mod coerce;
pub mod display;
pub mod model;
mod n8n;
mod registry;
mod schema;
mod validate;

pub use display::effective_parameters;
pub use n8n::{EXTENSIONS, for_n8n};
pub use registry::{Error, Node, Operation, Problem, Registry, parameters_for};
pub use schema::{JSON_OBJECT_TEXT_PATTERN, format_schema, property_schema};

/// A copy of `value` with every object's keys sorted, for stable, diffable output.
pub fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(sorted).collect())
        }
        other => other.clone(),
    }
}
