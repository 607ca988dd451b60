//! n8n items: what flows into and out of a node.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An n8n item: `{"json": {...}, "binary"?: {...}, "pairedItem"?: {"item": i}, "error"?: {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The item's data.
    pub json: Map<String, Value>,
    /// Binary attachments (passed through, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<Map<String, Value>>,
    /// The input item this output came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_item: Option<PairedItem>,
    /// For a failed item under continue-on-fail: the error's details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
    /// The `pairedItem` an input item came with (its link into the input of the node before):
    /// how `$('Node').item` finds its way back. Read from the input, never written out.
    #[serde(skip)]
    pub lineage: Option<Value>,
}

/// The link from an output item to its input item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedItem {
    /// Index of the input item.
    pub item: usize,
}

/// The error details carried by a failed item (n8n's `NodeApiError` fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemError {
    /// What went wrong, with the service's own message when there is one.
    pub message: String,
    /// n8n's headline for the HTTP status or the network failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The HTTP status, as n8n gives it (a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_code: Option<String>,
    /// The service's error code (for Directus: `extensions.code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl Item {
    /// An item holding `json` and nothing else.
    pub fn new(json: Map<String, Value>) -> Item {
        Item {
            json,
            binary: None,
            paired_item: None,
            error: None,
            lineage: None,
        }
    }

    /// Reads one input entry: an n8n item (`{"json": {...}}`) or a bare object (taken as the
    /// item's json).
    ///
    /// # Errors
    /// A value that is not an object, or an item whose `json` is not an object.
    pub fn from_input(value: Value) -> Result<Item, String> {
        let Value::Object(mut map) = value else {
            return Err(format!(
                "expected a JSON object (an n8n item or its json), got {}",
                kind(&value)
            ));
        };
        if map.contains_key("json") {
            match map.remove("json") {
                Some(Value::Object(json)) => {
                    let binary = match map.remove("binary") {
                        Some(Value::Object(b)) => Some(b),
                        _ => None,
                    };
                    Ok(Item {
                        json,
                        binary,
                        paired_item: None,
                        error: None,
                        lineage: map.remove("pairedItem"),
                    })
                }
                Some(other) => Err(format!(
                    "the item's \"json\" must be an object, got {}",
                    kind(&other)
                )),
                None => unreachable!("checked above"),
            }
        } else {
            Ok(Item::new(map))
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
