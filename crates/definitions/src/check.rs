//! Consistency checks of definitions, beyond what the format schema says: displayOptions name
//! real parameters and possible values, option values and names are unique, defaults fit their
//! type, expressions parse, credentials referenced exist, every property is reachable. Each
//! problem is located by file and JSON pointer.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::condition::{Condition, deep_equal};
use crate::model::{
    CredentialType, NodeDescription, Pagination, Property, PropertyOption, PropertyType, Routing,
};
use crate::problem::Problem;

/// The node's credential references name credential types there are.
pub(crate) fn credential_references(
    node_path: &str,
    description: &NodeDescription,
    credentials: &BTreeMap<String, (String, CredentialType)>,
    problems: &mut Vec<Problem>,
) {
    for (i, c) in description.credentials.iter().enumerate() {
        if !credentials.contains_key(&c.name) {
            problems.push(Problem {
                file: node_path.into(),
                pointer: format!("/credentials/{i}/name"),
                message: format!(
                    "no credential type '{}' (expected credentials/{}.json)",
                    c.name, c.name
                ),
            });
        }
    }
}

/// A node's expressions parse and its properties (the resource files' included, each located
/// in its file by `locate`) hold together.
pub(crate) fn node(
    node_path: &str,
    description: &NodeDescription,
    locate: &dyn Fn(usize, &str) -> (String, String),
    problems: &mut Vec<Problem>,
) {
    for text in [description.subtitle.as_deref()].into_iter().flatten() {
        expression(text, node_path, "/subtitle", problems);
    }
    if let Some(defaults) = &description.request_defaults {
        expressions(
            &serde_json::to_value(defaults).unwrap_or_default(),
            node_path,
            "/requestDefaults",
            problems,
        );
    }
    property_list(&description.properties, locate, problems);
}

/// Every flag of a node's `commandLine` carries one of its parameters, once, and looks like a
/// long flag.
pub(crate) fn command_line(node: &NodeDescription, file: &str, problems: &mut Vec<Problem>) {
    let Some(command_line) = &node.command_line else {
        return;
    };
    let mut seen = HashSet::new();
    for (i, f) in command_line.flags.iter().enumerate() {
        let (top, field) = match f.parameter.split_once('.') {
            Some((top, field)) => (top, Some(field)),
            None => (f.parameter.as_str(), None),
        };
        let known = node.properties.iter().any(|p| {
            p.name == top
                && match field {
                    None => true,
                    Some(field) => {
                        p.kind == PropertyType::Collection
                            && p.sub_properties().any(|s| s.name == field)
                    }
                }
        });
        let message = if !known {
            Some(format!("'{}' is not a parameter of the node", f.parameter))
        } else if !seen.insert(f.parameter.as_str()) {
            Some(format!("'{}' has a flag already", f.parameter))
        } else if !f.flag.starts_with("--")
            || f.flag.len() < 3
            || f.flag.contains(char::is_whitespace)
        {
            Some(format!("'{}' is not a long flag (--name)", f.flag))
        } else {
            None
        };
        if let Some(message) = message {
            problems.push(Problem {
                file: file.into(),
                pointer: format!("/commandLine/flags/{i}"),
                message,
            });
        }
    }
}

/// Every property but the resource selector is shown in some operation (`reached`).
pub(crate) fn unreachable(
    properties: &[Property],
    reached: &HashSet<usize>,
    locate: &dyn Fn(usize, &str) -> (String, String),
    problems: &mut Vec<Problem>,
) {
    for (i, p) in properties.iter().enumerate() {
        if !reached.contains(&i) && p.name != "resource" {
            let (file, pointer) = locate(i, "");
            problems.push(Problem {
                file,
                pointer,
                message: format!(
                    "property '{}' is shown in no operation (check its displayOptions)",
                    p.name
                ),
            });
        }
    }
}

/// A credential type: its field aliases name fields, its ignored fields are neither fields nor
/// aliases, its expressions parse, its properties hold.
pub(crate) fn credential(path: &str, c: &CredentialType, problems: &mut Vec<Problem>) {
    for (alias, field) in &c.field_aliases {
        let names = |n: &str| c.properties.iter().any(|p| p.name == n);
        if !names(field) || names(alias) {
            problems.push(Problem {
                file: path.into(),
                pointer: format!("/fieldAliases/{alias}"),
                message: "a field alias must map a name that is not a field to a field's name"
                    .into(),
            });
        }
    }
    for (i, ignored) in c.ignored_fields.iter().enumerate() {
        if c.properties.iter().any(|p| &p.name == ignored) || c.field_aliases.contains_key(ignored)
        {
            problems.push(Problem {
                file: path.into(),
                pointer: format!("/ignoredFields/{i}"),
                message: format!("'{ignored}' is a field or a field alias; it cannot be ignored"),
            });
        }
    }
    let value = serde_json::to_value(&c.authenticate).unwrap_or_default();
    expressions(&value, path, "/authenticate", problems);
    if let Some(test) = &c.test {
        expressions(
            &serde_json::to_value(test).unwrap_or_default(),
            path,
            "/test",
            problems,
        );
    }
    property_list(
        &c.properties,
        &|i, rest| (path.to_string(), format!("/properties/{i}{rest}")),
        problems,
    );
}

thread_local! {
    /// Whether expressions outside the native subset are compiled by the JavaScript engine to
    /// check them (off while loading the embedded definitions: see [`without_script_checks`]).
    static SCRIPT_CHECKS: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Runs `f` without compiling the expressions that need the JavaScript engine: the embedded
/// definitions are checked whole by the test suite, and starting the engine at every start of
/// the binary would cost more than the rest of loading them.
pub(crate) fn without_script_checks<T>(f: impl FnOnce() -> T) -> T {
    let before = SCRIPT_CHECKS.replace(false);
    let out = f();
    SCRIPT_CHECKS.set(before);
    out
}

fn expression(text: &str, file: &str, pointer: &str, problems: &mut Vec<Problem>) {
    if !SCRIPT_CHECKS.get() && !noderun_expression::Template::is_native(text) {
        return;
    }
    if let Err(e) = noderun_expression::Template::parse(text) {
        problems.push(Problem {
            file: file.into(),
            pointer: pointer.into(),
            message: format!("expression {text:?} does not parse: {e}"),
        });
    }
}

fn expressions(value: &Value, file: &str, pointer: &str, problems: &mut Vec<Problem>) {
    match value {
        Value::String(s) if s.starts_with('=') => expression(s, file, pointer, problems),
        Value::Object(map) => {
            for (k, v) in map {
                expressions(
                    v,
                    file,
                    &format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                    problems,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                expressions(v, file, &format!("{pointer}/{i}"), problems);
            }
        }
        _ => {}
    }
}

/// Checks one level of properties (and, recursively, collections and groups). The problems of
/// this level come first, then those of the levels below.
fn property_list(
    properties: &[Property],
    locate: &dyn Fn(usize, &str) -> (String, String),
    problems: &mut Vec<Problem>,
) {
    let mut nested = Vec::new();
    for (i, p) in properties.iter().enumerate() {
        let mut push = |rest: &str, message: String| {
            let (file, pointer) = locate(i, rest);
            problems.push(Problem {
                file,
                pointer,
                message,
            });
        };
        if let Some(message) = default_problem(p) {
            push("/default", message);
        }
        if let Some(routing) = &p.routing {
            routing_expressions(routing, "/routing", &mut push);
            if let Some(message) = keyset_problem(routing) {
                push("/routing/operations/pagination/properties/keyset", message);
            }
        }
        display_options(p, properties, &mut push);
        options(p, &mut push);
        let subs: Vec<Property> = p.sub_properties().cloned().collect();
        if !subs.is_empty() {
            let (file, base) = locate(i, "");
            property_list(
                &subs,
                &|si, rest| (file.clone(), format!("{base}/options/{si}{rest}")),
                &mut nested,
            );
        }
        for (gi, g) in p.groups().enumerate() {
            let (file, base) = locate(i, "");
            property_list(
                &g.values,
                &|si, rest| {
                    (
                        file.clone(),
                        format!("{base}/options/{gi}/values/{si}{rest}"),
                    )
                },
                &mut nested,
            );
        }
    }
    problems.extend(nested);
}

/// The expressions of a routing parse; problems located below `at`.
fn routing_expressions(routing: &Routing, at: &str, push: &mut dyn FnMut(&str, String)) {
    let mut inner = Vec::new();
    expressions(
        &serde_json::to_value(routing).unwrap_or_default(),
        "",
        at,
        &mut inner,
    );
    for problem in inner {
        push(&problem.pointer, problem.message);
    }
}

/// A keyset pagination names its key or says how to look it up, not both, and its templates
/// use what they stand for: `after` the key and the last one, `join` both filters.
fn keyset_problem(routing: &Routing) -> Option<String> {
    let Some(Pagination::Offset { properties }) = routing.operations.as_ref()?.pagination.as_ref()
    else {
        return None;
    };
    let keyset = properties.keyset.as_ref()?;
    match (&keyset.key, &keyset.lookup) {
        (Some(_), None) | (None, Some(_)) => {}
        (Some(_), Some(_)) => {
            return Some("a keyset has either 'key' or 'lookup', not both".into());
        }
        (None, None) => {
            return Some(
                "a keyset needs 'key' (the list's key) or 'lookup' (how to learn it)".into(),
            );
        }
    }
    [
        ("after", &keyset.after, ["{key}", "{last}"]),
        ("join", &keyset.join, ["{filter}", "{after}"]),
    ]
    .into_iter()
    .find_map(|(name, template, needs)| {
        let missing: Vec<&str> = needs
            .into_iter()
            .filter(|n| !mentions(template, n))
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "the keyset's '{name}' never uses {}: each of {} stands for a value the filter needs",
                missing.join(" or "),
                needs.join(", ")
            )
        })
    })
}

/// Whether `template` has `placeholder` where it is filled: as a whole string, or, for `{key}`
/// (the one that stands for a text), as an object key.
fn mentions(template: &Value, placeholder: &str) -> bool {
    match template {
        Value::String(s) => s == placeholder,
        Value::Array(items) => items.iter().any(|v| mentions(v, placeholder)),
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| (placeholder == "{key}" && k == placeholder) || mentions(v, placeholder)),
        _ => false,
    }
}

/// displayOptions name parameters of this level (or the root, with '/', or `@version`), with
/// conditions they can meet (a value one of its choices, a boolean for a boolean).
fn display_options(p: &Property, level: &[Property], push: &mut dyn FnMut(&str, String)) {
    let Some(d) = &p.display_options else {
        return;
    };
    for (rule_name, rule) in [("show", &d.show), ("hide", &d.hide)] {
        for (key, conditions) in rule.iter().flat_map(|r| r.iter()) {
            let rest = format!("/displayOptions/{rule_name}/{key}");
            if key.starts_with('@') {
                if key != "@version" {
                    push(&rest, format!("'{key}' is not supported (only @version)"));
                }
                continue;
            }
            if key.starts_with('/') {
                continue;
            }
            let targets: Vec<&Property> = level.iter().filter(|t| &t.name == key).collect();
            if targets.is_empty() {
                push(
                    &rest,
                    format!("displayOptions names '{key}', which is not a property here"),
                );
                continue;
            }
            for (ci, c) in conditions.iter().enumerate() {
                if let Some(op) = c.unsupported_operator() {
                    push(
                        &format!("{rest}/{ci}"),
                        format!("unsupported condition '_cnd.{op}'"),
                    );
                    continue;
                }
                let Condition::Value(c) = c else {
                    continue;
                };
                let possible = targets.iter().any(|t| match t.kind {
                    PropertyType::Options | PropertyType::MultiOptions => {
                        t.choices().any(|choice| deep_equal(&choice.value, c))
                    }
                    PropertyType::Boolean => c.is_boolean(),
                    _ => true,
                });
                if !possible {
                    push(&format!("{rest}/{ci}"), format!("'{key}' can never be {c}"));
                }
            }
        }
    }
}

/// Options: of the kind the property's type takes, with unique values (choices) or names
/// (fields, groups); the choices' routing expressions parse.
fn options(p: &Property, push: &mut dyn FnMut(&str, String)) {
    let mut seen = HashSet::new();
    for (oi, o) in p.options.iter().enumerate() {
        let (key, ok_kind) = match o {
            PropertyOption::Choice(c) => (
                c.value.to_string(),
                matches!(p.kind, PropertyType::Options | PropertyType::MultiOptions),
            ),
            PropertyOption::Property(sub) => (sub.name.clone(), p.kind == PropertyType::Collection),
            PropertyOption::Group(g) => (g.name.clone(), p.kind == PropertyType::FixedCollection),
        };
        if !ok_kind {
            push(
                &format!("/options/{oi}"),
                format!(
                    "this kind of option does not belong to a '{:?}' property",
                    p.kind
                ),
            );
        }
        if !seen.insert(key.clone()) {
            push(&format!("/options/{oi}"), format!("duplicate option {key}"));
        }
        if let PropertyOption::Choice(c) = o
            && let Some(routing) = &c.routing
        {
            routing_expressions(routing, &format!("/options/{oi}/routing"), push);
        }
    }
}

/// Whether a property's default fits its type.
fn default_problem(p: &Property) -> Option<String> {
    let d = &p.default;
    let ok = match p.kind {
        PropertyType::String | PropertyType::Notice => d.is_string(),
        PropertyType::Number => d.is_number(),
        PropertyType::Boolean => d.is_boolean(),
        PropertyType::Options => p.choices().any(|c| deep_equal(&c.value, d)) || d == "",
        PropertyType::MultiOptions => d.as_array().is_some_and(|items| {
            items
                .iter()
                .all(|v| p.choices().any(|c| deep_equal(&c.value, v)))
        }),
        PropertyType::Json => d.is_string() || d.is_object() || d.is_array(),
        PropertyType::Collection | PropertyType::FixedCollection => d.is_object() || d.is_array(),
    };
    (!ok).then(|| format!("default {d} does not fit type {:?}", p.kind))
}
