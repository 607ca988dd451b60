//! The routing of a run (n8n's `getRequestOptionsFromParameters`): every shown property's
//! `routing` collected once, in n8n's order, as [`Step`]s; per item each step puts its value into
//! the request being built. Also the follow-up requests (`routing.then`), the pagination and
//! what to do with the responses.

use noderun_definitions::display::get_path;
use noderun_definitions::model::{
    FollowUp, JsonShape, OffsetPagination, Pagination, PostReceive, Property, PropertyType,
    Routing, RoutingOutput, SendType,
};
use noderun_expression::{Resolvable, Scope, truthy};
use serde_json::{Map, Value};

use crate::error::ItemFailure;
use crate::request::{RequestDraft, set_path};

/// What to do with the responses of a run (the same for every item).
#[derive(Debug, Clone, Default)]
pub struct ResponsePlan {
    /// The `postReceive` actions, in order.
    pub post_receive: Vec<PostReceive>,
    /// Cookies copied into the output: cookie name → output key (`output.cookies`).
    pub cookies: Vec<(String, String)>,
}

impl ResponsePlan {
    fn add(&mut self, output: &RoutingOutput) {
        self.post_receive
            .extend(output.post_receive.iter().cloned());
        self.cookies.extend(
            output
                .cookies
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or(k).to_string())),
        );
    }
}

/// One property's routing, with the path of the value it routes.
#[derive(Debug)]
pub(crate) struct Step {
    /// Dotted path of the routed value in the parameters.
    value_path: String,
    /// The collection holding the value (`$self`), if any.
    self_path: Option<String>,
    /// The fixedCollection entry holding the value (`$parent`), if any.
    parent_path: Option<String>,
    request: Option<Resolvable>,
    send: Option<SendPlan>,
}

/// `routing.send`, its expressions parsed.
#[derive(Debug)]
struct SendPlan {
    kind: SendType,
    property: Option<Resolvable>,
    value: Option<Resolvable>,
    dotted: bool,
    paginate: Option<Resolvable>,
}

/// `routing.operations.pagination`, its expressions parsed.
#[derive(Debug)]
pub(crate) enum PaginationPlan {
    Offset(OffsetPagination, Option<Box<LookupPlan>>),
    Generic {
        continue_: Resolvable,
        request: Resolvable,
    },
}

/// A keyset's `lookup`, its expressions parsed.
#[derive(Debug)]
pub(crate) struct LookupPlan {
    pub(crate) enabled: Option<Resolvable>,
    pub(crate) requests: Vec<Resolvable>,
    pub(crate) key: Resolvable,
}

/// A `routing.then` alternative, its expressions parsed.
#[derive(Debug)]
pub(crate) struct FollowUpPlan {
    pub(crate) enabled: Option<Resolvable>,
    pub(crate) request: Resolvable,
    pub(crate) response: ResponsePlan,
}

/// What walking the shown properties gathers for a run.
#[derive(Default)]
pub(crate) struct Collected {
    pub(crate) steps: Vec<Step>,
    pub(crate) response: ResponsePlan,
    pub(crate) follow_ups: Vec<FollowUpPlan>,
    /// `json` parameters (dotted path as parts) and the shape of their value.
    pub(crate) json_parameters: Vec<(Vec<String>, JsonShape)>,
    /// Parameters marked `password`, by dotted path.
    pub(crate) secret_parameters: Vec<String>,
    pub(crate) pagination: Option<PaginationPlan>,
}

/// What holds a property's value: nothing (a top-level parameter), a collection (`$self`) or a
/// fixedCollection entry (`$parent`), each given by its dotted path.
#[derive(Clone)]
enum Holder {
    None,
    Collection(String),
    Entry(String),
}

/// An expression that does not parse: its path, its source and why.
pub(crate) type ParseError = (String, String, noderun_expression::Error);

impl Collected {
    /// Walks one shown top-level property.
    pub(crate) fn property(
        &mut self,
        p: &Property,
        values: &Map<String, Value>,
    ) -> Result<(), ParseError> {
        self.walk(p, values, &[], Holder::None)
    }

    /// Walks one shown property: its own routing, the routing of the chosen option, and, for
    /// collections and fixedCollections, the sub-properties that are set (n8n's
    /// `getRequestOptionsFromParameters`).
    fn walk(
        &mut self,
        p: &Property,
        values: &Map<String, Value>,
        parent: &[String],
        holder: Holder,
    ) -> Result<(), ParseError> {
        let mut path = parent.to_vec();
        path.push(p.name.clone());
        let Some(value) = values.get(&p.name) else {
            return Ok(());
        };
        if p.kind == PropertyType::Json {
            self.json_parameters.push((path.clone(), p.json_shape()));
        }
        if p.is_secret() {
            self.secret_parameters.push(path.join("."));
        }
        if let Some(routing) = &p.routing {
            self.routing(routing, path.join("."), holder.clone())?;
        }
        match p.kind {
            PropertyType::Options => {
                if let Some(choice) = p.choices().find(|c| &c.value == value)
                    && let Some(routing) = &choice.routing
                {
                    self.routing(routing, path.join("."), holder)?;
                }
            }
            PropertyType::Collection => {
                if let Value::Object(sub_values) = value {
                    for sub in p.sub_properties() {
                        self.walk(sub, sub_values, &path, Holder::Collection(path.join(".")))?;
                    }
                }
            }
            PropertyType::FixedCollection => {
                let Value::Object(groups) = value else {
                    return Ok(());
                };
                let multiple = p.type_options.as_ref().is_some_and(|t| t.multiple_values);
                for group in p.groups() {
                    let mut entry_path = path.clone();
                    entry_path.push(group.name.clone());
                    let entries: Vec<(Vec<String>, &Map<String, Value>)> =
                        match groups.get(&group.name) {
                            Some(Value::Array(entries)) if multiple => entries
                                .iter()
                                .enumerate()
                                .filter_map(|(i, e)| {
                                    let mut at = entry_path.clone();
                                    at.push(i.to_string());
                                    e.as_object().map(|m| (at, m))
                                })
                                .collect(),
                            Some(Value::Object(entry)) if !multiple => vec![(entry_path, entry)],
                            _ => vec![],
                        };
                    for (at, entry) in entries {
                        for field in &group.values {
                            self.walk(field, entry, &at, Holder::Entry(at.join(".")))?;
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// One routing: its step, its follow-ups, its pagination and its output.
    fn routing(
        &mut self,
        routing: &Routing,
        value_path: String,
        holder: Holder,
    ) -> Result<(), ParseError> {
        let request = routing
            .request
            .as_ref()
            .map(|r| Resolvable::new(&serde_json::to_value(r).unwrap_or_default()))
            .transpose()?;
        let send = routing
            .send
            .as_ref()
            .map(|s| -> Result<SendPlan, ParseError> {
                Ok(SendPlan {
                    kind: s.kind.unwrap_or(SendType::Query),
                    property: s
                        .property
                        .as_ref()
                        .map(|p| Resolvable::new(&Value::String(p.clone())))
                        .transpose()?,
                    value: s.value.as_ref().map(Resolvable::new).transpose()?,
                    dotted: s.property_in_dot_notation.unwrap_or(true),
                    paginate: s.paginate.as_ref().map(Resolvable::new).transpose()?,
                })
            })
            .transpose()?;
        // n8n: `Object.assign(requestOperations, property.routing.operations)`.
        if let Some(pagination) = routing
            .operations
            .as_ref()
            .and_then(|o| o.pagination.as_ref())
        {
            self.pagination = Some(match pagination {
                Pagination::Offset { properties } => {
                    let lookup = properties
                        .keyset
                        .as_ref()
                        .and_then(|k| k.lookup.as_ref())
                        .map(|l| -> Result<Box<LookupPlan>, ParseError> {
                            Ok(Box::new(LookupPlan {
                                enabled: l.enabled.as_ref().map(Resolvable::new).transpose()?,
                                requests: l
                                    .requests
                                    .iter()
                                    .map(|r| {
                                        Resolvable::new(
                                            &serde_json::to_value(r).unwrap_or_default(),
                                        )
                                    })
                                    .collect::<Result<_, _>>()?,
                                key: Resolvable::new(&Value::String(l.key.clone()))?,
                            }))
                        })
                        .transpose()?;
                    PaginationPlan::Offset(properties.clone(), lookup)
                }
                Pagination::Generic { properties } => PaginationPlan::Generic {
                    continue_: Resolvable::new(&properties.continue_)?,
                    request: Resolvable::new(
                        &serde_json::to_value(&properties.request).unwrap_or_default(),
                    )?,
                },
            });
        }
        if let Some(output) = &routing.output {
            self.response.add(output);
        }
        let (self_path, parent_path) = match holder {
            Holder::None => (None, None),
            Holder::Collection(p) => (Some(p), None),
            Holder::Entry(p) => (None, Some(p)),
        };
        self.steps.push(Step {
            value_path,
            self_path,
            parent_path,
            request,
            send,
        });
        for follow_up in &routing.then {
            self.follow_ups.push(follow_up_plan(follow_up)?);
        }
        Ok(())
    }
}

fn follow_up_plan(f: &FollowUp) -> Result<FollowUpPlan, ParseError> {
    let mut response = ResponsePlan::default();
    if let Some(output) = &f.output {
        response.add(output);
    }
    Ok(FollowUpPlan {
        enabled: f.enabled.as_ref().map(Resolvable::new).transpose()?,
        request: Resolvable::new(&serde_json::to_value(&f.request).unwrap_or_default())?,
        response,
    })
}

impl Step {
    /// Whether the step puts the same into every item's request: no expression in its routing,
    /// and, when it sends, a routed value that holds none (`is_literal` tells, by dotted path).
    pub(crate) fn is_constant(&self, is_literal: impl Fn(&str) -> bool) -> bool {
        let literal = |r: &Option<Resolvable>| {
            r.as_ref()
                .is_none_or(|r| matches!(r, Resolvable::Literal(_)))
        };
        literal(&self.request)
            && self.send.as_ref().is_none_or(|s| {
                literal(&s.property)
                    && literal(&s.value)
                    && literal(&s.paginate)
                    && is_literal(&self.value_path)
            })
    }

    /// Puts the step's value into `draft` (n8n's order and rules: `request` merged, `send` into
    /// the body or the query, the first `paginate` decision kept).
    ///
    /// # Errors
    /// A routing expression that fails for this item.
    pub(crate) fn apply(
        &self,
        draft: &mut RequestDraft,
        paginate: &mut Option<bool>,
        parameters: &Map<String, Value>,
        scope: &Scope<'_>,
    ) -> Result<(), ItemFailure> {
        let value = get_path(parameters, &self.value_path);
        let at = |path: &Option<String>| path.as_ref().and_then(|p| get_path(parameters, p));
        let scope = Scope {
            value,
            self_value: at(&self.self_path),
            parent: at(&self.parent_path),
            ..*scope
        };
        if let Some(request) = &self.request
            && let Some(Value::Object(r)) = request
                .resolve_dropping_undefined(&scope)
                .map_err(routing_error)?
        {
            draft.merge(r);
        }
        let Some(send) = &self.send else {
            return Ok(());
        };
        // n8n keeps the first decision: `paginate ?? source.paginate`.
        if let Some(p) = &send.paginate
            && paginate.is_none()
        {
            *paginate = Some(truthy(
                p.resolve_dropping_undefined(&scope)
                    .map_err(routing_error)?
                    .as_ref(),
            ));
        }
        let Some(property) = &send.property else {
            return Ok(());
        };
        let property = property
            .resolve_dropping_undefined(&scope)
            .map_err(routing_error)?;
        let property = property
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        // An optional field's null is not sent in a query (n8n would send `key=`).
        if send.kind == SendType::Query && value == Some(&Value::Null) {
            return Ok(());
        }
        let value = match &send.value {
            Some(v) => v
                .resolve_dropping_undefined(&scope)
                .map_err(routing_error)?,
            None => value.cloned(),
        };
        if let Some(value) = value {
            match send.kind {
                SendType::Body if send.dotted => set_path(&mut draft.body, &property, value),
                SendType::Body => {
                    if let Value::Object(b) = &mut draft.body {
                        b.insert(property, value);
                    }
                }
                SendType::Query => {
                    draft.undefined_qs.retain(|k| k != &property);
                    draft.qs.insert(property, value);
                }
            }
        } else if send.kind == SendType::Query && !draft.qs.contains_key(&property) {
            // n8n sets the key to `undefined`: not sent, but it keeps its place in the query
            // for a value set later.
            draft.qs.insert(property.clone(), Value::Null);
            draft.undefined_qs.push(property);
        }
        Ok(())
    }
}

/// A routing expression that failed for an item, as the item's failure.
pub(crate) fn routing_error(
    (path, source, e): (String, String, noderun_expression::Error),
) -> ItemFailure {
    ItemFailure::parameter(
        &path,
        format!("routing expression {source} failed: {}", e.message),
    )
}
