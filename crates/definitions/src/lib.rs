//! Node definitions as data: the model of n8n's node-description format, the registry that loads
//! and checks definitions, displayOptions resolution, per-operation JSON Schemas, and the source
//! form the Directus files are generated from.
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
//! test suite checks against n8n's code. The data is itself written once: the resource files are
//! generated from [`source`], where blocks many resources share are parts used by name.
//!
//! One job per room, each using only those above it in this list (but the compat file's types,
//! which `format` and `load` take too; there is no circle):
//!
//! | module | job |
//! |---|---|
//! | [`condition`], [`model`] | displayOptions conditions; the format's types (serde + schemars) |
//! | [`extensions`] | noderun's extensions of n8n's format, declared once; the export for n8n |
//! | `format` | the format's own schema, from the types |
//! | `problem`, [`suggest`] | [`Problem`] (file + JSON pointer) and [`Error`]; did-you-mean for lookups |
//! | `load` | reading files (embedded, a directory, pairs), format-checked and deserialized |
//! | `check` | consistency checks beyond the format |
//! | [`display`], [`coerce`] | n8n's parameter resolution and value coercion |
//! | `operation_schema`, `validate` | each operation's schema, and validation against it |
//! | `assemble` | node file + resource files → [`Node`] with its [`Operation`]s and aliases |
//! | [`compat`] | other packages' node types: their file's types, their translation checked against a [`Node`] |
//! | `registry` | [`Registry`]: load → check → assemble → compat, lookups ([`Registry::node_type`]) |
//! | [`source`] | the source form: parts, the generator, the repetition measure |

#![deny(missing_docs)]

mod assemble;
mod check;
pub mod coerce;
pub mod compat;
pub mod condition;
pub mod display;
pub mod extensions;
mod format;
mod load;
pub mod model;
mod operation_schema;
mod problem;
mod registry;
pub mod source;
pub mod suggest;
mod validate;

pub use assemble::{Node, Operation};
pub use display::effective_parameters;
pub use extensions::{EXTENSIONS, for_n8n};
pub use format::format_schema;
pub use operation_schema::{JSON_OBJECT_TEXT_PATTERN, property_schema};
pub use problem::{Error, Problem};
pub use registry::{NodeType, Registry};
pub use validate::Violation;

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
