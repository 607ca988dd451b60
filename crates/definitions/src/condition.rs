//! `displayOptions` conditions, typed: a value a parameter must have, or one of n8n's `_cnd`
//! operators. [`Operator`] lists the operators noderun supports, once: the format schema, the
//! registry's checks and the display rules all take them from it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One entry of a `displayOptions.show`/`hide` list; the list holds when any entry does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Condition {
    /// `{"_cnd": {"<operator>": <operand>}}` (n8n's `DisplayCondition`): holds when every value
    /// of the parameter satisfies the operator.
    Operator(OperatorCondition),
    /// A value: holds when the parameter (or one of its values, for a list) is this value.
    /// An object with `_cnd` whose operator noderun does not support lands here, and the
    /// registry refuses it.
    Value(Value),
}

/// The `{"_cnd": …}` object of a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorCondition {
    /// The operator and its operand.
    #[serde(rename = "_cnd")]
    pub cnd: Operator,
}

/// n8n's condition operators that noderun supports (`regex` is not: n8n runs a JavaScript
/// regular expression there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Operator {
    /// Equal to the operand (lodash `isEqual`).
    Eq(Value),
    /// Not equal to the operand; also holds when the parameter is absent.
    Not(Value),
    /// At least the operand (numbers, or strings in code-unit order).
    Gte(Value),
    /// At most the operand.
    Lte(Value),
    /// Greater than the operand.
    Gt(Value),
    /// Less than the operand.
    Lt(Value),
    /// Between `from` and `to`, both included.
    Between(Range),
    /// A string containing the operand.
    Includes(String),
    /// A string starting with the operand.
    StartsWith(String),
    /// A string ending with the operand.
    EndsWith(String),
    /// Set: neither absent, null nor empty text (`{"exists": true}`).
    Exists(bool),
}

/// The operand of `between`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// The lower bound, included.
    pub from: Value,
    /// The upper bound, included.
    pub to: Value,
}

impl Condition {
    /// The operator name of an object that looks like an operator condition but is not one
    /// noderun supports (`"regex"`, a misspelt name), for the registry's message.
    pub fn unsupported_operator(&self) -> Option<String> {
        match self {
            Condition::Value(Value::Object(map)) => map.get("_cnd").map(|cnd| {
                cnd.as_object()
                    .and_then(|o| o.keys().next())
                    .cloned()
                    .unwrap_or_default()
            }),
            _ => None,
        }
    }
}

/// n8n's `checkConditions`: whether any condition holds for the parameter's `values` (one
/// value, the elements of a list value, or none when the parameter is absent).
pub fn any_holds(conditions: &[Condition], values: &[Option<&Value>]) -> bool {
    conditions.iter().any(|condition| match condition {
        Condition::Operator(OperatorCondition { cnd }) if values.is_empty() => {
            matches!(cnd, Operator::Not(_))
        }
        Condition::Operator(OperatorCondition { cnd }) => values.iter().all(|v| cnd.holds(*v)),
        Condition::Value(expected) => values
            .iter()
            .any(|v| v.is_some_and(|v| same_value(v, expected))),
    })
}

impl Operator {
    /// Whether `value` (absent: `None`) satisfies the operator, as n8n decides it.
    pub fn holds(&self, value: Option<&Value>) -> bool {
        let text = value.and_then(Value::as_str);
        match self {
            Operator::Eq(target) => value.is_some_and(|v| deep_equal(v, target)),
            Operator::Not(target) => !value.is_some_and(|v| deep_equal(v, target)),
            Operator::Gte(target) => compare(value, target).is_some_and(|o| o.is_ge()),
            Operator::Lte(target) => compare(value, target).is_some_and(|o| o.is_le()),
            Operator::Gt(target) => compare(value, target).is_some_and(|o| o.is_gt()),
            Operator::Lt(target) => compare(value, target).is_some_and(|o| o.is_lt()),
            Operator::Between(Range { from, to }) => {
                compare(value, from).is_some_and(|o| o.is_ge())
                    && compare(value, to).is_some_and(|o| o.is_le())
            }
            Operator::Includes(s) => text.is_some_and(|t| t.contains(s.as_str())),
            Operator::StartsWith(s) => text.is_some_and(|t| t.starts_with(s.as_str())),
            Operator::EndsWith(s) => text.is_some_and(|t| t.ends_with(s.as_str())),
            Operator::Exists(_) => value.is_some_and(|v| !v.is_null() && v != ""),
        }
    }
}

fn compare(value: Option<&Value>, target: &Value) -> Option<std::cmp::Ordering> {
    match (value?, target) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// lodash `isEqual` on JSON values (numbers compared by value).
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| deep_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        _ => a == b,
    }
}

/// JavaScript's SameValueZero as `Array.prototype.includes` uses it: objects are never equal.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        _ => deep_equal(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conditions(v: Value) -> Vec<Condition> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn operators_and_values_hold_as_in_n8n() {
        let c = conditions(json!([{"_cnd": {"gte": 2}}, "x"]));
        assert!(any_holds(&c, &[Some(&json!(3))]));
        assert!(!any_holds(&c, &[Some(&json!(1))]));
        assert!(any_holds(&c, &[Some(&json!("x"))]));
        assert!(any_holds(&conditions(json!([{"_cnd": {"not": 1}}])), &[]));
        assert!(any_holds(
            &conditions(json!([{"_cnd": {"between": {"from": 1, "to": 3}}}])),
            &[Some(&json!(3)), Some(&json!(1))]
        ));
        assert!(!any_holds(
            &conditions(json!([{"a": 1}])),
            &[Some(&json!({"a": 1}))]
        ));
    }

    #[test]
    fn unsupported_operators_are_named_and_serialization_is_unchanged() {
        let c = conditions(json!([{"_cnd": {"regex": "^a"}}, {"_cnd": {"startsWith": "a"}}]));
        assert_eq!(c[0].unsupported_operator().as_deref(), Some("regex"));
        assert_eq!(c[1].unsupported_operator(), None);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!([{"_cnd": {"regex": "^a"}}, {"_cnd": {"startsWith": "a"}}])
        );
    }
}
