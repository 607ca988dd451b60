//! The parameters of a run, split once into what holds no expression and what each item adds.
//!
//! At compile time every top-level parameter without an expression is coerced (values as n8n
//! passes them, `noderun_definitions::coerce`), its JSON text parsed by its shape, and, when no
//! parameter holds an expression, the whole set is validated once. A top-level parameter with
//! an expression anywhere inside is a [`Slot`]: per item only the slots are evaluated, coerced,
//! parsed and validated, each against its own schema, with the same messages as the whole
//! operation schema gives (on any doubt, and for every failure, the whole schema decides).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU8, Ordering};

use noderun_definitions::coerce::coerce;
use noderun_definitions::display::get_path;
use noderun_definitions::model::{JsonShape, Property};
use noderun_definitions::{Operation, Violation};
use noderun_expression::{Context, Resolvable, Scope, Template};
use serde_json::{Map, Value};

use crate::error::ItemFailure;
use crate::item::Item;
use crate::routing::ParseError;

/// The parameters of a run, compiled.
pub(crate) struct ParameterPlan {
    /// `$parameter` of parameter expressions: the parameters as given, defaults filled.
    raw: Map<String, Value>,
    /// Another node's parameters, translated for each item ([`crate::compat`]): nothing here is
    /// decided before the item.
    translated: bool,
    /// The shown properties (their types decide the coercion).
    shown: Vec<Property>,
    /// The parameters with every literal value coerced and its JSON text parsed; a slot's key
    /// holds its raw value until an item fills it.
    pub(crate) skeleton: Map<String, Value>,
    slots: Vec<Slot>,
    json: Vec<JsonParameter>,
    validation: Validation,
}

/// A top-level parameter holding an expression: evaluated per item.
struct Slot {
    key: String,
    template: Resolvable,
    /// The shown properties of this name (indices into `shown`).
    properties: Vec<usize>,
    /// The schema of this parameter alone, when its validity does not depend on the others.
    validator: Option<jsonschema::Validator>,
}

/// A `json` parameter: its path, its shape and, for a literal one, the outcome of parsing it
/// (`None` inside a slot: parsed per item).
struct JsonParameter {
    path: Vec<String>,
    shape: JsonShape,
    literal: Option<Result<(), ItemFailure>>,
}

/// How an item's parameters are validated.
enum Validation {
    /// No slot: decided at compile time.
    Decided(Result<(), ItemFailure>),
    /// Each slot against its own schema; the whole schema when one fails, and for the first
    /// item whose slots pass (which proves the literal parameters valid): [`UNPROVEN`],
    /// [`PROVEN`] or, when that first item failed, [`WHOLE`].
    Slots(AtomicU8),
    /// The whole schema for every item.
    Whole,
}

const UNPROVEN: u8 = 0;
const PROVEN: u8 = 1;
const WHOLE: u8 = 2;

impl ParameterPlan {
    /// Splits the effective parameters into literals and slots, prepares the literals and
    /// decides what can be decided without an item. `translated`: they are another node's
    /// parameters, translated per item.
    ///
    /// # Errors
    /// An expression that does not parse, with its dotted path.
    pub(crate) fn compile(
        raw: Map<String, Value>,
        shown: Vec<Property>,
        json_parameters: &[(Vec<String>, JsonShape)],
        operation: &Operation,
        translated: bool,
    ) -> Result<ParameterPlan, ParseError> {
        let mut skeleton = raw.clone();
        let mut slots = Vec::new();
        let switches: Vec<&String> = operation.states.iter().flat_map(|s| s.keys()).collect();
        for (key, value) in &mut skeleton {
            let properties: Vec<usize> = (0..shown.len())
                .filter(|&i| &shown[i].name == key)
                .collect();
            match Resolvable::new(value)
                .map_err(|(path, source, e)| (under(key, &path), source, e))?
            {
                Resolvable::Literal(_) => properties.iter().for_each(|&i| coerce(&shown[i], value)),
                template => {
                    let validator = (!switches.contains(&key))
                        .then(|| fragment(&operation.schema, key))
                        .flatten()
                        .and_then(|f| jsonschema::draft202012::new(f).ok());
                    slots.push(Slot {
                        key: key.clone(),
                        template,
                        properties,
                        validator,
                    });
                }
            }
        }
        let is_slot = |path: &[String]| slots.iter().any(|s| s.key == path[0]);
        let json = json_parameters
            .iter()
            .map(|(path, shape)| JsonParameter {
                literal: (!is_slot(path))
                    .then(|| parse_json_parameter(&mut skeleton, path, *shape)),
                path: path.clone(),
                shape: *shape,
            })
            .collect();
        let validation = if translated {
            Validation::Whole
        } else if slots.is_empty() {
            Validation::Decided(Ok(()))
        } else if slots.iter().all(|s| s.validator.is_some()) {
            Validation::Slots(AtomicU8::new(UNPROVEN))
        } else {
            Validation::Whole
        };
        Ok(ParameterPlan {
            raw,
            translated,
            shown,
            skeleton,
            slots,
            json,
            validation,
        })
    }

    /// The parameters as given, defaults filled (`$parameter`).
    pub(crate) fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// Whether no parameter holds an expression.
    pub(crate) fn is_literal_only(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether the parameter at a dotted path is the same for every item.
    pub(crate) fn is_literal(&self, path: &str) -> bool {
        let key = path.split('.').next().unwrap_or_default();
        !self.translated && !self.slots.iter().any(|s| s.key == key)
    }

    /// Records the outcome of validating the parameters of a plan without slots (validated once,
    /// by the plan, which knows the secrets to hide in messages).
    pub(crate) fn decide(&mut self, outcome: Result<(), ItemFailure>) {
        if let Validation::Decided(decided) = &mut self.validation {
            *decided = outcome;
        }
    }

    /// The failure every item gets whatever its expressions give, when the literal parameters
    /// already decide it: a literal `json` parameter that does not parse, or a literal parameter
    /// the schema refuses.
    pub(crate) fn literal_failure(
        &self,
        validate: impl Fn(&Map<String, Value>) -> Result<(), Vec<Violation>>,
        failure: impl Fn(Vec<Violation>) -> ItemFailure,
    ) -> Option<ItemFailure> {
        if self.translated {
            return None;
        }
        if let Some(f) = self.json_failure() {
            return Some(f.clone());
        }
        match &self.validation {
            Validation::Decided(outcome) => outcome.clone().err(),
            // A slot that a condition reads: the literal parameters alone decide nothing.
            Validation::Whole => None,
            Validation::Slots(_) => {
                let mut literals = self.skeleton.clone();
                literals.retain(|k, _| !self.slots.iter().any(|s| &s.key == k));
                let violations: Vec<Violation> = validate(&literals)
                    .err()?
                    .into_iter()
                    .filter(|v| {
                        !v.path
                            .first()
                            .is_some_and(|k| self.slots.iter().any(|s| &s.key == k))
                    })
                    .collect();
                (!violations.is_empty()).then(|| failure(violations))
            }
        }
    }

    /// The first literal `json` parameter that does not parse.
    fn json_failure(&self) -> Option<&ItemFailure> {
        self.json.iter().find_map(|j| match &j.literal {
            Some(Err(f)) => Some(f),
            _ => None,
        })
    }

    /// Resolves the item's parameters (expressions evaluated, values taken as n8n passes them
    /// (`noderun_definitions::coerce`), JSON text parsed by its shape) and validates them;
    /// `whole` validates against the whole operation schema.
    ///
    /// # Errors
    /// The failing parameter with a message naming it and what was expected.
    pub(crate) fn resolve(
        &self,
        index: usize,
        item: &Item,
        context: &Context,
        whole: impl Fn(&Map<String, Value>) -> Result<(), ItemFailure>,
    ) -> Result<Cow<'_, Map<String, Value>>, ItemFailure> {
        if self.slots.is_empty() {
            if let Some(f) = self.json_failure() {
                return Err(f.clone());
            }
            if let Validation::Decided(Err(f)) = &self.validation {
                return Err(f.clone());
            }
            return Ok(Cow::Borrowed(&self.skeleton));
        }
        let scope = item_scope(index, item, context);
        let mut parameters = self.skeleton.clone();
        for slot in &self.slots {
            let value = evaluate(&slot.template, Some(&slot.key), &scope, item)?;
            if let (Some(value), Some(at)) = (value, parameters.get_mut(&slot.key)) {
                *at = value;
            }
        }
        for slot in &self.slots {
            if let Some(value) = parameters.get_mut(&slot.key) {
                slot.properties
                    .iter()
                    .for_each(|&i| coerce(&self.shown[i], value));
            }
        }
        for json in &self.json {
            match &json.literal {
                Some(Ok(())) => {}
                Some(Err(f)) => return Err(f.clone()),
                None => parse_json_parameter(&mut parameters, &json.path, json.shape)?,
            }
        }
        self.validate(&parameters, whole)?;
        Ok(Cow::Owned(parameters))
    }

    /// Takes parameters of which nothing was prepared (another node's, translated) as n8n
    /// passes them, parses their JSON text and validates them against the whole schema.
    ///
    /// # Errors
    /// The failing parameter with a message naming it and what was expected.
    pub(crate) fn check(
        &self,
        mut parameters: Map<String, Value>,
        whole: impl Fn(&Map<String, Value>) -> Result<(), ItemFailure>,
    ) -> Result<Map<String, Value>, ItemFailure> {
        for p in &self.shown {
            if let Some(value) = parameters.get_mut(&p.name) {
                coerce(p, value);
            }
        }
        for json in &self.json {
            parse_json_parameter(&mut parameters, &json.path, json.shape)?;
        }
        whole(&parameters)?;
        Ok(parameters)
    }

    /// Validates an item's parameters: its slots alone when that decides, else the whole
    /// operation schema (whose messages every failure carries).
    fn validate(
        &self,
        parameters: &Map<String, Value>,
        whole: impl Fn(&Map<String, Value>) -> Result<(), ItemFailure>,
    ) -> Result<(), ItemFailure> {
        let state = match &self.validation {
            Validation::Decided(outcome) => return outcome.clone(),
            Validation::Whole => return whole(parameters),
            Validation::Slots(state) => state,
        };
        let slots_valid = self.slots.iter().all(|s| {
            s.validator
                .as_ref()
                .zip(parameters.get(&s.key))
                .is_some_and(|(v, value)| v.is_valid(value))
        });
        let now = state.load(Ordering::Relaxed);
        if slots_valid && now == PROVEN {
            return Ok(());
        }
        let outcome = whole(parameters);
        if slots_valid && now == UNPROVEN {
            let proven = if outcome.is_ok() { PROVEN } else { WHOLE };
            let _ = state.compare_exchange(UNPROVEN, proven, Ordering::Relaxed, Ordering::Relaxed);
        }
        outcome
    }
}

/// The schema of top-level parameter `key` in an operation's schema, when it has one only
/// (shown in every state, or in one conditional branch; or the same in several).
fn fragment<'s>(schema: &'s Value, key: &str) -> Option<&'s Value> {
    let branches = schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("then"));
    let mut found: Option<&Value> = None;
    for properties in std::iter::once(schema)
        .chain(branches)
        .filter_map(|s| s.get("properties"))
    {
        if let Some(f) = properties.get(key) {
            if found.is_some_and(|g| g != f) {
                return None;
            }
            found = Some(f);
        }
    }
    found
}

/// What a user's expression in a parameter sees: the item (its json, binary and paired item),
/// its index and the run's context. `$parameter` is the node's parameters resolved, as n8n
/// gives it: the engine resolves them from the context's node.
pub(crate) fn item_scope<'a>(index: usize, item: &'a Item, context: &'a Context) -> Scope<'a> {
    Scope {
        json: Some(&item.json),
        parameter: None,
        credentials: None,
        item_index: index,
        binary: item.binary.as_ref(),
        paired_item: item.lineage.as_ref(),
        context: Some(context),
        ..Scope::default()
    }
}

/// Evaluates the expressions of `template` (the value of top-level parameter `key`, or with
/// `None` the parameters as a whole) for `item`.
///
/// # Errors
/// An expression that fails or gives `undefined`, naming the parameter (and, for `undefined`,
/// the `$json` paths the item does not have).
pub(crate) fn evaluate(
    template: &Resolvable,
    key: Option<&str>,
    scope: &Scope<'_>,
    item: &Item,
) -> Result<Option<Value>, ItemFailure> {
    let full = |path: &str| key.map_or_else(|| path.to_string(), |k| under(k, path));
    let mut undefined = None;
    template
        .resolve(scope, &mut |path, source, t| {
            undefined = Some(undefined_message(&full(path), source, t, item));
            Err(noderun_expression::Error {
                message: "undefined".into(),
            })
        })
        .map_err(|(path, source, e)| {
            let path = full(&path);
            let message = undefined.take().unwrap_or_else(|| {
                format!(
                    "Parameter '{path}': the expression {source} failed: {}",
                    e.message
                )
            });
            ItemFailure::parameter(&path, message)
        })
}

/// A dotted path inside top-level parameter `key`, from the top.
fn under(key: &str, path: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{key}.{path}")
    }
}

fn undefined_message(path: &str, source: &str, template: &Template, item: &Item) -> String {
    let missing: Vec<String> = template
        .json_paths()
        .into_iter()
        .filter(|p| get_path(&item.json, p).is_none())
        .collect();
    if missing.is_empty() {
        format!("Parameter '{path}': the expression {source} gave no value (undefined)")
    } else {
        format!(
            "Parameter '{path}': the expression {source} refers to {}, which the item does not have",
            missing
                .iter()
                .map(|m| format!("$json.{m}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Parses a `json` parameter given as text; it must hold a JSON value of its shape.
fn parse_json_parameter(
    parameters: &mut Map<String, Value>,
    path: &[String],
    shape: JsonShape,
) -> Result<(), ItemFailure> {
    let name = path.join(".");
    let mut slot = parameters.get_mut(&path[0]);
    for key in &path[1..] {
        slot = slot.and_then(|v| v.get_mut(key));
    }
    let Some(slot) = slot else { return Ok(()) };
    let expected = match shape {
        JsonShape::Object => "a JSON object",
        JsonShape::Array => "a JSON array",
        JsonShape::ObjectOrArray => "a JSON object or array",
    };
    if let Value::String(text) = slot {
        if text.trim().is_empty() {
            return Err(ItemFailure::parameter(
                &name,
                format!("Missing required parameter: {name} (it is empty; expected {expected})"),
            ));
        }
        let parsed: Value = serde_json::from_str(text).map_err(|e| {
            ItemFailure::parameter(
                &name,
                format!(
                    "Parameter '{name}' must be {expected}; got text that is not valid JSON ({e})"
                ),
            )
        })?;
        let fits = match shape {
            JsonShape::Object => parsed.is_object(),
            JsonShape::Array => parsed.is_array(),
            JsonShape::ObjectOrArray => parsed.is_object() || parsed.is_array(),
        };
        if !fits {
            return Err(ItemFailure::parameter(
                &name,
                format!(
                    "Parameter '{name}' must be {expected}; got {}",
                    abbreviated(&parsed)
                ),
            ));
        }
        *slot = parsed;
    }
    Ok(())
}

/// A value's JSON text, cut after 60 characters.
fn abbreviated(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(60).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}
