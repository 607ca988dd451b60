//! The definitions format's own JSON Schema, generated from the [`model`](crate::model) types
//! with schemars (`node-definitions/format.schema.json`), and its compiled validators.

use serde_json::{Value, json};

use crate::compat::CompatFile;
use crate::model::{CredentialType, NodeDescription, ResourceFile};

/// The four kinds of definition files.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FileKind {
    /// `<node>/node.json`.
    Node,
    /// `<node>/<resource>.json`.
    Resource,
    /// `credentials/<name>.json`.
    Credential,
    /// `<node>/compat/<name>.json`.
    Compat,
}

/// The JSON Schema of the definitions format (draft 2020-12), generated from the model types;
/// checked in as `node-definitions/format.schema.json`.
pub fn format_schema() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let node = generator.subschema_for::<NodeDescription>();
    let resource = generator.subschema_for::<ResourceFile>();
    let credential = generator.subschema_for::<CredentialType>();
    let compat = generator.subschema_for::<CompatFile>();
    let defs = generator.take_definitions(true);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:noderun:definitions-format",
        "title": "noderun node definitions",
        "description": "A file of node-definitions/: a node (<node>/node.json), one resource's properties (<node>/<resource>.json), a credential type (credentials/<name>.json) or another package's node type that runs on a node (<node>/compat/<name>.json). The format is n8n's INodeTypeDescription / ICredentialType; compat files are noderun's.",
        "anyOf": [node, resource, credential, compat],
        "$defs": defs,
    })
}

/// Compiled validators of the four file kinds.
pub(crate) struct FormatSchemas {
    node: jsonschema::Validator,
    resource: jsonschema::Validator,
    credential: jsonschema::Validator,
    compat: jsonschema::Validator,
}

impl FormatSchemas {
    pub(crate) fn new() -> FormatSchemas {
        let full = format_schema();
        let compile = |def: &str| {
            let mut schema = full.clone();
            let obj = schema.as_object_mut().expect("object");
            obj.remove("anyOf");
            obj.insert("$ref".into(), Value::String(format!("#/$defs/{def}")));
            jsonschema::draft202012::new(&schema).expect("the generated format schema compiles")
        };
        FormatSchemas {
            node: compile("NodeDescription"),
            resource: compile("ResourceFile"),
            credential: compile("CredentialType"),
            compat: compile("CompatFile"),
        }
    }

    /// Format violations as (JSON pointer, message).
    pub(crate) fn check(&self, kind: FileKind, value: &Value) -> Vec<(String, String)> {
        let validator = match kind {
            FileKind::Node => &self.node,
            FileKind::Resource => &self.resource,
            FileKind::Credential => &self.credential,
            FileKind::Compat => &self.compat,
        };
        validator
            .iter_errors(value)
            .map(|e| (e.instance_path().to_string(), e.to_string()))
            .collect()
    }
}
