//! Parameter validation against an operation's schema, with messages a user can act on.

use jsonschema::JsonType;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

/// An operation's compiled schema.
pub(crate) struct ParameterValidator {
    validator: jsonschema::Validator,
    schema: Value,
}

impl std::fmt::Debug for ParameterValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParameterValidator")
            .field("id", &self.schema.get("$id"))
            .finish_non_exhaustive()
    }
}

impl ParameterValidator {
    pub(crate) fn new(schema: &Value) -> Result<ParameterValidator, String> {
        let validator = jsonschema::draft202012::new(schema).map_err(|e| e.to_string())?;
        Ok(ParameterValidator {
            validator,
            schema: schema.clone(),
        })
    }

    pub(crate) fn validate(&self, parameters: &Value) -> Result<(), Vec<String>> {
        if self.validator.is_valid(parameters) {
            return Ok(());
        }
        let mut messages: Vec<String> = self
            .validator
            .iter_errors(parameters)
            .map(|e| describe(&e, &self.schema))
            .collect();
        messages.dedup();
        Err(messages)
    }
}

/// A parameter path as its name and where it sits: ("mode", " (in additionalFields)").
fn label(path: &[String]) -> (String, String) {
    match path {
        [] => ("parameters".into(), String::new()),
        [name] => (name.clone(), String::new()),
        [parents @ .., name] => (name.clone(), format!(" (in {})", parents.join("."))),
    }
}

fn render(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn describe(e: &jsonschema::ValidationError<'_>, schema: &Value) -> String {
    let path: Vec<String> = e
        .instance_path()
        .as_str()
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let instance = e.instance().as_ref();
    let (bare, within) = label(&path);
    let name = format!("'{bare}'");
    // A secret's value is never repeated in a message, whatever its type.
    let secret =
        subschema(schema, &path).and_then(|s| s.get("writeOnly")) == Some(&Value::Bool(true));
    let got = if secret {
        "(value hidden)".to_string()
    } else {
        render(instance)
    };
    match e.kind() {
        ValidationErrorKind::Required { property } => {
            let mut full = path.clone();
            full.push(property.as_str().unwrap_or_default().to_string());
            let (bare, within) = label(&full);
            format!("Missing required parameter: {bare}{within}")
        }
        ValidationErrorKind::MinLength { limit: 1 } if instance == "" => {
            format!("Missing required parameter: {bare}{within}")
        }
        ValidationErrorKind::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "Parameter '{bare}' must be one of {}; got {got}{within}",
                list.join(", ")
            )
        }
        ValidationErrorKind::Constant { expected_value } => format!(
            "Parameter {name} must be {}; got {got}{within}",
            render(expected_value)
        ),
        // Empty text where a number or a boolean is declared: nothing was given.
        ValidationErrorKind::Type {
            kind: TypeKind::Single(t),
        } if instance == "" => {
            format!(
                "Parameter {name} is empty; expected a {}{within}",
                t.as_str()
            )
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => format!("{t:?}").to_lowercase(),
                TypeKind::Multiple(ts) => {
                    let named: Vec<&str> = ts
                        .iter()
                        .filter(|t| *t != JsonType::Null)
                        .map(|t| t.as_str())
                        .collect();
                    let or_null = if ts.contains(JsonType::Null) {
                        " (or null)"
                    } else {
                        ""
                    };
                    format!("{}{or_null}", named.join(" or "))
                }
            };
            format!(
                "Parameter {name} must be of type {expected}; got {} {got}{within}",
                type_name(instance)
            )
        }
        ValidationErrorKind::AnyOf { .. } if !unknown_keys(schema, &path, instance).is_empty() => {
            let allowed = subschema(schema, &path)
                .and_then(|s| s.pointer("/anyOf/0/propertyNames/enum"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!(
                "Parameter {name} has unknown key{}{within}: {}; the keys it can have: {allowed}",
                if unknown_keys(schema, &path, instance).len() > 1 {
                    "s"
                } else {
                    ""
                },
                unknown_keys(schema, &path, instance).join(", ")
            )
        }
        ValidationErrorKind::AnyOf { .. } if json_property(schema, &path).is_some() => {
            format!(
                "Parameter {name} must be {} (or text holding one); got {} {got}{within}",
                json_property(schema, &path).unwrap_or_default(),
                type_name(instance)
            )
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<String> = property_names(schema, &path);
            format!(
                "Unknown parameter{} {} in {}; expected one of: {}",
                if unexpected.len() > 1 { "s" } else { "" },
                unexpected
                    .iter()
                    .map(|u| format!("'{u}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if path.is_empty() {
                    "this operation".to_string()
                } else {
                    format!("{name}{within}")
                },
                known.join(", ")
            )
        }
        ValidationErrorKind::FalseSchema => {
            format!(
                "Parameter {name} is not used with the other parameters' current values{within}"
            )
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("Parameter {name} must be at least {limit}; got {got}{within}")
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("Parameter {name} must be at most {limit}; got {got}{within}")
        }
        _ => format!("Parameter {name}{within}: {e}"),
    }
}

fn subschema<'a>(schema: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut s = schema;
    for p in path {
        s = s.get("properties")?.get(p)?;
    }
    Some(s)
}

/// The keys of a `json` object that its closed set of keys (`propertyNames`) lacks, quoted.
fn unknown_keys(schema: &Value, path: &[String], instance: &Value) -> Vec<String> {
    let (Some(Value::Array(allowed)), Value::Object(given)) = (
        subschema(schema, path).and_then(|s| s.pointer("/anyOf/0/propertyNames/enum")),
        instance,
    ) else {
        return vec![];
    };
    given
        .keys()
        .filter(|k| !allowed.iter().any(|a| a == k.as_str()))
        .map(|k| format!("'{k}'"))
        .collect()
}

/// For a `json` property, what it holds ("a JSON object", "a JSON array", ...).
fn json_property(schema: &Value, path: &[String]) -> Option<&'static str> {
    let any_of = subschema(schema, path)?.get("anyOf")?;
    if !any_of.to_string().contains("application/json") {
        return None;
    }
    Some(match any_of.get(0).and_then(|s| s.get("type")) {
        Some(Value::String(t)) if t == "array" => "a JSON array",
        Some(Value::Array(_)) => "a JSON object or array",
        _ => "a JSON object",
    })
}

fn property_names(schema: &Value, path: &[String]) -> Vec<String> {
    subschema(schema, path)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}
