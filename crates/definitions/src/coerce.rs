//! Values as n8n passes them: an expression's result reaches a node with its own JSON type, so
//! a number arrives where a string is declared (`={{ $json.id }}` for an integer key), or text
//! where a number is. [`coerce`] takes such values the way the node's user meant them, before
//! validation, and leaves everything else for the schema to refuse with a message naming the
//! parameter.
//!
//! | declared type | also accepted | becomes |
//! |---|---|---|
//! | `string` | a number | its decimal text (`15` → `"15"`) |
//! | `options` | a number or text equal to a choice's text | that choice's value |
//! | `number` | text holding a number (`"15"`, `" 2.5 "`) | the number |
//! | `boolean` | the text `"true"` or `"false"` | the boolean |
//!
//! Collections and fixedCollections are coerced field by field. Objects, arrays, `null` and
//! booleans where text is declared are left alone (and refused by the schema): they cannot be
//! meant as a path segment or a name. `json` parameters are parsed later, by their shape.

use serde_json::{Map, Number, Value};

use crate::model::{Property, PropertyType};

/// Coerces `value`, the resolved value of `property`, in place.
pub fn coerce(property: &Property, value: &mut Value) {
    match property.kind {
        PropertyType::String => {
            if let Value::Number(n) = value {
                *value = Value::String(n.to_string());
            }
        }
        PropertyType::Options => {
            let text = match value {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => return,
            };
            if let Some(choice) = property
                .choices()
                .find(|c| c.value != *value && text_of(&c.value).is_some_and(|t| t == text))
            {
                *value = choice.value.clone();
            }
        }
        PropertyType::Number => {
            if let Value::String(s) = value
                && let Some(n) = number(s.trim())
            {
                *value = Value::Number(n);
            }
        }
        PropertyType::Boolean => {
            if let Value::String(s) = value {
                match s.as_str() {
                    "true" => *value = Value::Bool(true),
                    "false" => *value = Value::Bool(false),
                    _ => {}
                }
            }
        }
        PropertyType::Collection => {
            let multiple = property
                .type_options
                .as_ref()
                .is_some_and(|t| t.multiple_values);
            for_entries(value, multiple, &mut |entry| {
                coerce_fields(property.sub_properties(), entry);
            });
        }
        PropertyType::FixedCollection => {
            let multiple = property
                .type_options
                .as_ref()
                .is_some_and(|t| t.multiple_values);
            let Value::Object(groups) = value else { return };
            for group in property.groups() {
                if let Some(entries) = groups.get_mut(&group.name) {
                    for_entries(entries, multiple, &mut |entry| {
                        coerce_fields(group.values.iter(), entry);
                    });
                }
            }
        }
        PropertyType::Json | PropertyType::MultiOptions | PropertyType::Notice => {}
    }
}

fn coerce_fields<'a>(fields: impl Iterator<Item = &'a Property>, entry: &mut Map<String, Value>) {
    for field in fields {
        if let Some(v) = entry.get_mut(&field.name) {
            coerce(field, v);
        }
    }
}

fn for_entries(value: &mut Value, multiple: bool, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Array(entries) if multiple => entries.iter_mut().for_each(|e| {
            if let Value::Object(m) = e {
                f(m);
            }
        }),
        Value::Object(m) if !multiple => f(m),
        _ => {}
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON number from text as JavaScript's `Number()` reads decimal text: integers stay
/// integers; empty text, `NaN`, infinities and anything else are not numbers.
fn number(s: &str) -> Option<Number> {
    if s.is_empty() {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Number::from(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::coerce;
    use crate::model::Property;

    fn property(p: Value) -> Property {
        serde_json::from_value(p).unwrap()
    }

    fn coerced(p: &Property, v: Value) -> Value {
        let mut v = v;
        coerce(p, &mut v);
        v
    }

    #[test]
    fn values_are_taken_as_n8n_passes_them() {
        let string =
            property(json!({"displayName": "ID", "name": "id", "type": "string", "default": ""}));
        assert_eq!(coerced(&string, json!(15)), json!("15"));
        assert_eq!(coerced(&string, json!(2.5)), json!("2.5"));
        for kept in [json!(true), json!(null), json!({"a": 1}), json!([1])] {
            assert_eq!(coerced(&string, kept.clone()), kept);
        }
        let number =
            property(json!({"displayName": "To", "name": "to", "type": "number", "default": 0}));
        assert_eq!(coerced(&number, json!("15")), json!(15));
        assert_eq!(coerced(&number, json!(" 2.5 ")), json!(2.5));
        for kept in [
            json!(""),
            json!("NaN"),
            json!("Infinity"),
            json!("0x10"),
            json!("15 px"),
        ] {
            assert_eq!(coerced(&number, kept.clone()), kept);
        }
        let boolean =
            property(json!({"displayName": "B", "name": "b", "type": "boolean", "default": false}));
        assert_eq!(coerced(&boolean, json!("true")), json!(true));
        assert_eq!(coerced(&boolean, json!("false")), json!(false));
        assert_eq!(coerced(&boolean, json!("yes")), json!("yes"));
        let collection = property(
            json!({"displayName": "A", "name": "a", "type": "collection", "default": {},
            "options": [{"displayName": "Offset", "name": "offset", "type": "number", "default": 0},
                        {"displayName": "Agg", "name": "agg", "type": "fixedCollection", "default": {},
                         "typeOptions": {"multipleValues": true},
                         "options": [{"displayName": "F", "name": "f", "values": [
                             {"displayName": "V", "name": "v", "type": "string", "default": ""}]}]}]}),
        );
        assert_eq!(
            coerced(
                &collection,
                json!({"offset": "5", "agg": {"f": [{"v": 1}, {"v": "x"}]}})
            ),
            json!({"offset": 5, "agg": {"f": [{"v": "1"}, {"v": "x"}]}})
        );
    }
}
