//! Parameter validation against an operation's schema, with messages a user can act on.

use jsonschema::JsonType;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::{Map, Value};

/// One way resolved parameters break an operation's schema: the parameter at fault and a
/// sentence naming it and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where the parameter at fault sits: `["additionalFields", "mode"]`; for a missing or
    /// unknown parameter, its own path; empty for the parameters as a whole.
    pub path: Vec<String>,
    /// The sentence, e.g. `Missing required parameter: mode (in additionalFields)`.
    pub message: String,
}

impl Violation {
    /// The name of the parameter at fault (the last part of its path), or `parameters` for the
    /// parameters as a whole.
    pub fn parameter(&self) -> &str {
        self.path.last().map_or("parameters", String::as_str)
    }
}

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

    pub(crate) fn validate(&self, parameters: &Value) -> Result<(), Vec<Violation>> {
        if self.validator.is_valid(parameters) {
            return Ok(());
        }
        let errors: Vec<_> = self.validator.iter_errors(parameters).collect();
        // A `then` that fails drops its annotations, so its properties also come out as
        // unevaluated: that echo is left out when a real error is there.
        let echo = |e: &jsonschema::ValidationError<'_>| {
            matches!(e.kind(), ValidationErrorKind::UnevaluatedProperties { .. })
        };
        let only_echoes = errors.iter().all(echo);
        let mut violations: Vec<Violation> = errors
            .iter()
            .filter(|e| only_echoes || !echo(e))
            .map(|e| describe(e, &self.schema))
            .collect();
        violations.dedup_by(|a, b| a.message == b.message);
        Err(violations)
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

/// A value as a list entry: strings bare, others as JSON.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

/// The values of an options schema (`oneOf` of `const`s); empty for any other schema.
fn choice_values(schema: &Value) -> Vec<&Value> {
    let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) else {
        return vec![];
    };
    let values: Vec<&Value> = alternatives.iter().filter_map(|a| a.get("const")).collect();
    if values.len() == alternatives.len() {
        values
    } else {
        vec![]
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

fn describe(e: &jsonschema::ValidationError<'_>, schema: &Value) -> Violation {
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
    let message = match e.kind() {
        ValidationErrorKind::Required { property } => {
            let mut full = path.clone();
            full.push(property.as_str().unwrap_or_default().to_string());
            let (bare, within) = label(&full);
            format!("Missing required parameter: {bare}{within}")
        }
        ValidationErrorKind::MinLength { limit: 1 } if instance == "" => {
            format!("Missing required parameter: {bare}{within}")
        }
        ValidationErrorKind::OneOfNotValid { .. }
            if subschema(schema, &path).is_some_and(|s| !choice_values(s).is_empty()) =>
        {
            let list: Vec<String> = subschema(schema, &path)
                .map(|s| choice_values(s).into_iter().map(text).collect())
                .unwrap_or_default();
            format!(
                "Parameter '{bare}' must be one of {}; got {got}{within}",
                list.join(", ")
            )
        }
        ValidationErrorKind::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(text).collect())
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
        ValidationErrorKind::Type { .. } | ValidationErrorKind::Pattern { .. }
            if json_property(schema, &path).is_some() =>
        {
            format!(
                "Parameter {name} must be {} (or text holding one); got {} {got}{within}",
                json_property(schema, &path).unwrap_or_default(),
                type_name(instance)
            )
        }
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
        ValidationErrorKind::PropertyNames { .. }
            if !unknown_keys(schema, &path, instance).is_empty() =>
        {
            let allowed = subschema(schema, &path)
                .and_then(|s| s.pointer("/propertyNames/enum"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let unknown = unknown_keys(schema, &path, instance);
            format!(
                "Parameter {name} has unknown key{}{within}: {}; the keys it can have: {allowed}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.join(", ")
            )
        }
        ValidationErrorKind::MinProperties { .. }
            if instance.as_object().is_some_and(|o| o.is_empty()) =>
        {
            format!("Parameter {name} must not be an empty object{within}")
        }
        ValidationErrorKind::UnevaluatedProperties { unexpected }
            if unexpected.iter().all(|u| {
                let mut full = path.clone();
                full.push(u.clone());
                subschema(schema, &full).is_some()
            }) =>
        {
            let names: Vec<String> = unexpected.iter().map(|u| format!("'{u}'")).collect();
            format!(
                "Parameter{} {} {} not used with the other parameters' current values{within}",
                if names.len() > 1 { "s" } else { "" },
                names.join(", "),
                if names.len() > 1 { "are" } else { "is" }
            )
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
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
        ValidationErrorKind::Minimum { limit } => {
            format!("Parameter {name} must be at least {limit}; got {got}{within}")
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("Parameter {name} must be at most {limit}; got {got}{within}")
        }
        _ => format!("Parameter {name}{within}: {e}"),
    };
    let at = match e.kind() {
        ValidationErrorKind::Required { property } => {
            let mut full = path;
            full.push(property.as_str().unwrap_or_default().to_string());
            full
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let mut full = path;
            full.extend(unexpected.first().cloned());
            full
        }
        _ => path,
    };
    Violation { path: at, message }
}

/// The `properties` maps of an object schema: its own and, at the top of an operation's schema,
/// those of its conditional branches (`allOf[].then`).
fn property_maps(schema: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    let branches = schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("then"));
    std::iter::once(schema)
        .chain(branches)
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
}

fn subschema<'a>(schema: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut s = schema;
    for p in path {
        s = match s.get("items") {
            Some(items) if p.parse::<usize>().is_ok() => items,
            _ => property_maps(s).find_map(|m| m.get(p))?,
        };
    }
    Some(s)
}

/// The keys of a `json` object that its closed set of keys (`propertyNames`) lacks, quoted.
fn unknown_keys(schema: &Value, path: &[String], instance: &Value) -> Vec<String> {
    let (Some(Value::Array(allowed)), Value::Object(given)) = (
        subschema(schema, path).and_then(|s| s.pointer("/propertyNames/enum")),
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
    let s = subschema(schema, path)?;
    if s.get("contentMediaType") != Some(&Value::String("application/json".into())) {
        return None;
    }
    let types = s.get("type").map(Value::to_string).unwrap_or_default();
    Some(match (types.contains("object"), types.contains("array")) {
        (false, true) => "a JSON array",
        (true, true) => "a JSON object or array",
        _ => "a JSON object",
    })
}

fn property_names(schema: &Value, path: &[String]) -> Vec<String> {
    let mut names: Vec<String> = subschema(schema, path)
        .map(|s| property_maps(s).flat_map(|m| m.keys().cloned()).collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}
