//! `displayOptions` and defaults, applied exactly as n8n applies them.
//!
//! [`effective_parameters`] is n8n's `NodeHelpers.getNodeParameters(properties, values, true,
//! false, node, description)`: the parameters a node really has, hidden ones dropped and
//! defaults filled. It follows n8n-workflow 2.x step by step (dependency order, the simple-type
//! pre-pass used for display checks, duplicate parameter names, collection handling), and the
//! test suite compares it with n8n's own function for every operation.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::condition::any_holds;
use crate::model::{DisplayOptions, Property, PropertyType};

/// Whether a value is an n8n expression (a string starting with `=`).
pub fn is_expression(value: &Value) -> bool {
    matches!(value, Value::String(s) if s.starts_with('='))
}

/// The parameters of a node given the values the user set: visible parameters only, defaults
/// filled (n8n's `getNodeParameters(..., returnDefaults = true, returnNoneDisplayed = false)`).
pub fn effective_parameters(
    properties: &[Property],
    values: &Map<String, Value>,
) -> Map<String, Value> {
    resolve(properties, Some(values), Pass::Full, None, None)
}

/// Whether `property` is shown given the (defaults-filled) values of its level and the root.
pub fn is_displayed(
    property: &Property,
    level: &Map<String, Value>,
    root: &Map<String, Value>,
) -> bool {
    property
        .display_options
        .as_ref()
        .is_none_or(|d| display_options_match(d, level, root))
}

#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// returnDefaults = true, returnNoneDisplayed = false.
    Full,
    /// The pre-pass n8n runs for display checks: returnDefaults and returnNoneDisplayed true,
    /// only simple types, data already resolved.
    SimpleForDisplay,
}

#[derive(Clone, Copy, PartialEq)]
enum Parent {
    Collection,
    FixedCollection,
}

fn resolve(
    properties: &[Property],
    values: Option<&Map<String, Value>>,
    pass: Pass,
    root: Option<&Map<String, Value>>,
    parent: Option<Parent>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(values) = values else { return out };

    let mut seen = HashMap::new();
    for p in properties {
        *seen.entry(p.name.as_str()).or_insert(0usize) += 1;
    }
    let duplicated = |name: &str| seen.get(name).copied().unwrap_or(0) > 1;

    let display_values = match pass {
        Pass::Full => resolve(
            properties,
            Some(values),
            Pass::SimpleForDisplay,
            root,
            parent,
        ),
        Pass::SimpleForDisplay => Map::new(),
    };
    let root_owned;
    let root: &Map<String, Value> = match root {
        Some(r) => r,
        None if pass == Pass::Full => &display_values,
        None => {
            root_owned = Map::new();
            &root_owned
        }
    };

    // In the simple pass n8n checks duplicates against the values built so far (`nodeParametersFull`).
    let mut full = Map::new();
    for index in resolve_order(properties) {
        let p = &properties[index];
        let given = values.get(&p.name);
        if given.is_none() && parent == Some(Parent::Collection) {
            continue;
        }
        let check = if pass == Pass::Full {
            &display_values
        } else {
            &full
        };
        if pass == Pass::Full && !is_displayed(p, check, root) {
            continue;
        }
        match p.kind {
            PropertyType::Collection | PropertyType::FixedCollection => {}
            _ => {
                if duplicated(&p.name) && !is_displayed(p, check, root) {
                    continue;
                }
                let value = simple_value(p, given);
                full.insert(p.name.clone(), value.clone());
                out.insert(p.name.clone(), value);
                continue;
            }
        }
        if pass == Pass::SimpleForDisplay {
            continue;
        }
        let value = match p.kind {
            PropertyType::Collection => resolve_collection(p, given, root),
            _ => resolve_fixed_collection(p, given, root),
        };
        if let Some(value) = value {
            out.insert(p.name.clone(), value);
        }
    }
    out
}

fn resolve_collection(
    p: &Property,
    given: Option<&Value>,
    root: &Map<String, Value>,
) -> Option<Value> {
    let multiple = p.type_options.as_ref().is_some_and(|t| t.multiple_values);
    if multiple {
        return Some(match given {
            Some(v) => v.clone(),
            None if p.default.is_array() => p.default.clone(),
            None => Value::Array(vec![]),
        });
    }
    match given {
        Some(v) => {
            let subs: Vec<Property> = p.sub_properties().cloned().collect();
            Some(Value::Object(resolve(
                &subs,
                v.as_object(),
                Pass::Full,
                Some(root),
                Some(Parent::Collection),
            )))
        }
        None => Some(p.default.clone()),
    }
}

fn resolve_fixed_collection(
    p: &Property,
    given: Option<&Value>,
    root: &Map<String, Value>,
) -> Option<Value> {
    let multiple = p.type_options.as_ref().is_some_and(|t| t.multiple_values);
    let groups_value = given.cloned().unwrap_or_else(|| p.default.clone());
    let mut out = Map::new();
    if let Value::Object(groups) = &groups_value {
        for (group_name, group_value) in groups {
            let Some(group) = p.groups().find(|g| &g.name == group_name) else {
                continue;
            };
            if multiple {
                let list = group_value
                    .as_array()
                    .map(|entries| {
                        entries
                            .iter()
                            .map(|e| {
                                Value::Object(resolve(
                                    &group.values,
                                    e.as_object(),
                                    Pass::Full,
                                    Some(root),
                                    Some(Parent::FixedCollection),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(group_name.clone(), Value::Array(list));
            } else {
                let resolved = resolve(
                    &group.values,
                    group_value.as_object(),
                    Pass::Full,
                    Some(root),
                    Some(Parent::FixedCollection),
                );
                if !resolved.is_empty() {
                    out.insert(group_name.clone(), Value::Object(resolved));
                }
            }
        }
    }
    Some(Value::Object(out))
}

/// The value n8n keeps for a simple property: the given one (for booleans, numbers and options
/// even when falsy; for others unless null) or the default; `noDataExpression` strips a leading `=`.
fn simple_value(p: &Property, given: Option<&Value>) -> Value {
    let value = match (p.kind, given) {
        (PropertyType::Boolean | PropertyType::Number | PropertyType::Options, Some(v)) => {
            v.clone()
        }
        (_, Some(v)) if !v.is_null() => v.clone(),
        _ => p.default.clone(),
    };
    match value {
        Value::String(s) if p.no_data_expression && s.starts_with('=') => {
            Value::String(s[1..].to_string())
        }
        v => v,
    }
}

/// n8n's `getParameterResolveOrder`: parameters that others' displayOptions name come first.
fn resolve_order(properties: &[Property]) -> Vec<usize> {
    let deps: Vec<Vec<&str>> = properties.iter().map(dependencies).collect();
    let known: std::collections::HashSet<&str> =
        properties.iter().map(|p| p.name.as_str()).collect();
    let mut order = Vec::with_capacity(properties.len());
    let mut resolved: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut queue: std::collections::VecDeque<usize> = (0..properties.len()).collect();
    let mut stalled = 0;
    while let Some(i) = queue.pop_front() {
        let ready = deps[i]
            .iter()
            .all(|d| resolved.contains(d) || !known.contains(d));
        if ready {
            order.push(i);
            resolved.insert(properties[i].name.as_str());
            stalled = 0;
        } else {
            queue.push_back(i);
            stalled += 1;
            if stalled > queue.len() {
                // A dependency cycle: the registry rejects these; resolve the rest in file order.
                order.extend(queue.drain(..));
            }
        }
    }
    order
}

/// The parameter names a property's displayOptions depend on (`@` names excluded).
pub fn dependencies(p: &Property) -> Vec<&str> {
    let mut names = Vec::new();
    if let Some(d) = &p.display_options {
        for rule in [&d.show, &d.hide].into_iter().flatten() {
            for key in rule.keys() {
                if !key.starts_with('@') && !names.contains(&key.as_str()) {
                    names.push(key.as_str());
                }
            }
        }
    }
    names
}

fn display_options_match(
    d: &DisplayOptions,
    level: &Map<String, Value>,
    root: &Map<String, Value>,
) -> bool {
    if let Some(show) = &d.show {
        for (name, conditions) in show {
            let values = property_values(level, root, name);
            if values.iter().any(|v| v.is_some_and(is_expression)) {
                return true;
            }
            if !any_holds(conditions, &values) {
                return false;
            }
        }
    }
    if let Some(hide) = &d.hide {
        for (name, conditions) in hide {
            let values = property_values(level, root, name);
            if !values.is_empty() && any_holds(conditions, &values) {
                return false;
            }
        }
    }
    true
}

fn property_values<'a>(
    level: &'a Map<String, Value>,
    root: &'a Map<String, Value>,
    name: &str,
) -> Vec<Option<&'a Value>> {
    let value = match name {
        "@version" => return vec![Some(&VERSION_ONE)],
        n if n.starts_with('/') => get_path(root, &n[1..]),
        n => get_path(level, n),
    };
    match value {
        Some(Value::Array(items)) => items.iter().map(Some).collect(),
        other => vec![other],
    }
}

static VERSION_ONE: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::from(1));

/// lodash `get` with a dotted path.
pub fn get_path<'a>(map: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = map.get(parts.next()?)?;
    for part in parts {
        current = match current {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Indices of the top-level properties shown for `values` (defaults filled as n8n does for its
/// display checks). To ask for many value sets, build a [`Visibility`] once.
pub fn visible_properties(properties: &[Property], values: &Map<String, Value>) -> Vec<usize> {
    Visibility::new(properties).visible(values)
}

/// Which top-level properties are shown, for many value sets of one property list: what does not
/// depend on the values (resolve order, the names displayOptions read) is computed once.
pub struct Visibility<'a> {
    properties: &'a [Property],
    /// Indices, in n8n's resolve order, of the simple properties some displayOptions read.
    switches: Vec<usize>,
    duplicated: std::collections::HashSet<&'a str>,
    named: std::collections::HashSet<&'a str>,
}

impl<'a> Visibility<'a> {
    /// Prepares the checks for `properties`.
    pub fn new(properties: &'a [Property]) -> Visibility<'a> {
        let named: std::collections::HashSet<&str> =
            properties.iter().flat_map(dependencies).collect();
        let mut seen = std::collections::HashSet::new();
        let duplicated = properties
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| !seen.insert(*n))
            .collect();
        let switches = resolve_order(properties)
            .into_iter()
            .filter(|&i| {
                let p = &properties[i];
                named.contains(p.name.as_str())
                    && !matches!(
                        p.kind,
                        PropertyType::Collection | PropertyType::FixedCollection
                    )
            })
            .collect();
        Visibility {
            properties,
            switches,
            duplicated,
            named,
        }
    }

    /// Whether some property's displayOptions read the parameter `name`.
    pub fn is_read(&self, name: &str) -> bool {
        self.named.contains(name)
    }

    /// Indices of the properties shown for `values`. Only the properties displayOptions read
    /// matter for this, so n8n's simple-type pre-pass is run over those alone.
    pub fn visible(&self, values: &Map<String, Value>) -> Vec<usize> {
        self.visible_among(values, 0..self.properties.len())
    }

    /// The properties that may be shown whatever the other values are, when the parameters of
    /// `fixed` hold those values (plain values, no expressions): those whose `show` rules on
    /// `fixed`'s names hold. For the many value sets of one operation (its switch states), the
    /// others need not be checked again: give these to [`Visibility::visible_among`].
    pub fn candidates(&self, fixed: &Map<String, Value>) -> Vec<usize> {
        self.properties
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                let show = p.display_options.as_ref().and_then(|d| d.show.as_ref());
                show.into_iter().flatten().all(|(name, conditions)| {
                    !fixed.contains_key(name)
                        || any_holds(conditions, &property_values(fixed, fixed, name))
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// [`Visibility::visible`], checking only `candidates` (from [`Visibility::candidates`] of
    /// values that `values` holds too; the others are not shown).
    pub fn visible_among(
        &self,
        values: &Map<String, Value>,
        candidates: impl IntoIterator<Item = usize>,
    ) -> Vec<usize> {
        let mut display = Map::new();
        for &i in &self.switches {
            let p = &self.properties[i];
            if self.duplicated.contains(p.name.as_str()) && !is_displayed(p, &display, &display) {
                continue;
            }
            display.insert(p.name.clone(), simple_value(p, values.get(&p.name)));
        }
        candidates
            .into_iter()
            .filter(|&i| is_displayed(&self.properties[i], &display, &display))
            .collect()
    }
}
