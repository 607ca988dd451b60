//! The per-run plan and the per-item path: resolve → validate → build the request.
//!
//! Everything that does not depend on the item is done once in [`Plan::new`]: displayOptions
//! and defaults (n8n applies them to the node's raw parameters, so they cannot change per item),
//! expressions parsed, the routing of every shown property collected in n8n's order. Per item,
//! [`Plan::parameters_for`] and the request building only evaluate expressions, validate and
//! assemble the request.

use std::sync::Arc;

use noderun_definitions::coerce::coerce;
use noderun_definitions::display::{effective_parameters, get_path, is_displayed};
use noderun_definitions::model::{
    JsonShape, Method, PostReceive, Property, PropertyType, Routing, SendType,
};
use noderun_definitions::{Node, Operation, Registry};
use noderun_expression::{Resolvable, Scope, Template, encode_uri_component};
use serde_json::{Map, Value};

use crate::credentials::{Credentials, Redactor};
use crate::error::{ItemFailure, SetupError};
use crate::item::Item;

/// The HTTP request of one item, before it is sent. Its `Debug` shows the method, the path and
/// the header names only: header values, the query and the body may hold secrets.
#[derive(Clone, PartialEq)]
pub struct RequestSpec {
    /// Method.
    pub method: Method,
    /// Full URL, query string included.
    pub url: String,
    /// Headers (names as written in the definitions).
    pub headers: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
}

impl std::fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSpec")
            .field("method", &self.method)
            .field("path", &self.path_for_logs())
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("body", &self.body.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl RequestSpec {
    /// The URL without its query string (safe to log: queries may carry values).
    pub fn path_for_logs(&self) -> &str {
        self.url.split('?').next().unwrap_or(&self.url)
    }
}

/// What to do with the responses of a run (the same for every item).
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponsePlan {
    pub post_receive: Vec<PostReceive>,
    pub cookies: Vec<(String, String)>,
}

/// One property's routing, with the path of the value it routes.
#[derive(Debug)]
struct Step {
    /// Dotted path of the routed value in the parameters.
    value_path: String,
    /// The collection holding the value (`$self`), if any.
    self_path: Option<String>,
    /// The fixedCollection entry holding the value (`$parent`), if any.
    parent_path: Option<String>,
    request: Option<Resolvable>,
    send: Option<CompiledSend>,
}

#[derive(Debug)]
struct CompiledSend {
    kind: SendType,
    property: Resolvable,
    value: Option<Resolvable>,
    dotted: bool,
}

/// A run's compiled form. Cheap to share between concurrent items. Its `Debug` names the node,
/// resource and operation only: parameters and the credential's headers may hold secrets.
pub struct Plan {
    registry: Arc<Registry>,
    node: String,
    resource: String,
    operation: String,
    parameters: Resolvable,
    raw_parameters: Map<String, Value>,
    /// Indices (in the node's properties) of the properties shown, whose values are coerced.
    shown: Vec<usize>,
    json_parameters: Vec<(Vec<String>, JsonShape)>,
    secret_parameters: Vec<Vec<String>>,
    /// `requestDefaults` evaluated once (they may use `$credentials` only).
    defaults: Value,
    /// The credential's headers and query parameters, evaluated once.
    auth_headers: Map<String, Value>,
    auth_qs: Map<String, Value>,
    pub(crate) response: ResponsePlan,
    steps: Vec<Step>,
    credentials: Credentials,
    credential_secrets: Redactor,
}

fn setup(e: (String, String, noderun_expression::Error), what: &str) -> SetupError {
    SetupError(format!(
        "{what} '{}': expression {} does not parse: {}",
        e.0, e.1, e.2
    ))
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("node", &self.node)
            .field("resource", &self.resource)
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// Compiles a run of `node` with the node's raw `parameters` (as in an n8n workflow, with
    /// `resource` and `operation` among them) and its credentials.
    ///
    /// # Errors
    /// Unknown node, resource or operation (the valid ones listed), or an expression that does
    /// not parse (named with its parameter).
    pub fn new(
        registry: Arc<Registry>,
        node: &str,
        mut parameters: Map<String, Value>,
        credentials: Credentials,
    ) -> Result<Plan, SetupError> {
        let n = registry.node(node).map_err(|e| SetupError(e.to_string()))?;
        n.resolve_aliases(&mut parameters);
        check_names(&n.description.properties, &parameters)?;
        let effective = effective_parameters(&n.description.properties, &parameters);
        let text = |k: &str| {
            effective
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (resource, operation) = (text("resource"), text("operation"));
        n.operation(&resource, &operation)
            .map_err(|e| SetupError(e.to_string()))?;

        let mut collected = Collected::default();
        let mut shown = Vec::new();
        for (i, p) in n.description.properties.iter().enumerate() {
            if !effective.contains_key(&p.name) || !is_displayed(p, &effective, &effective) {
                continue;
            }
            shown.push(i);
            collect(p, &effective, &[], Holder::None, &mut collected)
                .map_err(|e| setup(e, "routing of"))?;
        }
        let parameters_resolvable = Resolvable::new(&Value::Object(effective.clone()))
            .map_err(|e| setup(e, "Parameter"))?;
        let credentials_scope = Scope {
            credentials: Some(credentials.fields()),
            ..Scope::default()
        };
        let defaults = Resolvable::new(
            &serde_json::to_value(&n.description.request_defaults).unwrap_or_default(),
        )
        .and_then(|r| r.resolve_dropping_undefined(&credentials_scope))
        .map_err(|e| setup(e, "requestDefaults"))?
        .unwrap_or_default();
        let credential_type = n
            .description
            .credentials
            .first()
            .and_then(|c| registry.credential(&c.name))
            .map(|c| &c.authenticate.properties);
        let evaluate_auth = |entries: Option<&Map<String, Value>>, what: &str| {
            Resolvable::new(&Value::Object(entries.cloned().unwrap_or_default()))
                .and_then(|r| r.resolve_dropping_undefined(&credentials_scope))
                .map_err(|e| setup(e, what))
                .map(|v| match v {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                })
        };
        let auth_headers = evaluate_auth(credential_type.map(|a| &a.headers), "credential header")?;
        let auth_qs = evaluate_auth(credential_type.map(|a| &a.qs), "credential query parameter")?;
        let mut credential_secrets = Redactor::default();
        credentials
            .secrets()
            .for_each(|s| credential_secrets.add(s));
        Ok(Plan {
            node: node.to_string(),
            resource,
            operation,
            parameters: parameters_resolvable,
            raw_parameters: effective,
            shown,
            json_parameters: collected.json_parameters,
            secret_parameters: collected.secret_parameters,
            defaults,
            auth_headers,
            auth_qs,
            response: collected.response,
            steps: collected.steps,
            credentials,
            credential_secrets,
            registry,
        })
    }

    /// The base URL every request of the run starts from (`requestDefaults.baseURL`).
    pub fn base_url(&self) -> &str {
        self.defaults
            .get("baseURL")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn node(&self) -> &Node {
        self.registry
            .node(&self.node)
            .expect("checked in Plan::new")
    }

    fn operation(&self) -> &Operation {
        self.node()
            .operation(&self.resource, &self.operation)
            .expect("checked in Plan::new")
    }

    /// A redactor knowing the run's credential secrets and this item's secret parameters.
    pub(crate) fn redactor_for(&self, parameters: Option<&Map<String, Value>>) -> Redactor {
        let mut r = self.credential_secrets.clone();
        if let Some(parameters) = parameters {
            for path in &self.secret_parameters {
                match get_path(parameters, &path.join(".")) {
                    Some(Value::String(s)) => r.add(s),
                    Some(Value::Null) | None => {}
                    // A secret of the wrong type is still a secret: hide its JSON text.
                    Some(other) => r.add(&other.to_string()),
                }
            }
        }
        r
    }

    /// Resolves the item's parameters (expressions evaluated, values taken as n8n passes them
    /// (`noderun_definitions::coerce`), JSON text parsed by its shape) and validates them.
    ///
    /// # Errors
    /// The failing parameter with a message naming it and what was expected.
    pub fn parameters_for(
        &self,
        index: usize,
        item: &Item,
    ) -> Result<Map<String, Value>, ItemFailure> {
        let scope = Scope {
            json: Some(&item.json),
            parameter: Some(&self.raw_parameters),
            credentials: None,
            item_index: index,
            ..Scope::default()
        };
        let mut undefined = None;
        let resolved = self
            .parameters
            .resolve(&scope, &mut |path, source, template| {
                undefined = Some(undefined_message(path, source, template, item));
                Err(noderun_expression::Error {
                    message: "undefined".into(),
                })
            })
            .map_err(|(path, source, e)| {
                let message = undefined.take().unwrap_or_else(|| {
                    format!(
                        "Parameter '{path}': the expression {source} failed: {}",
                        e.message
                    )
                });
                ItemFailure::parameter(&path, message)
            })?;
        let Some(Value::Object(mut parameters)) = resolved else {
            return Err(ItemFailure::parameter("", "parameters must be an object"));
        };
        let properties = &self.node().description.properties;
        for &i in &self.shown {
            if let Some(value) = parameters.get_mut(&properties[i].name) {
                coerce(&properties[i], value);
            }
        }
        for (path, shape) in &self.json_parameters {
            parse_json_parameter(&mut parameters, path, *shape)?;
        }
        if let Err(messages) = self
            .operation()
            .validate(&Value::Object(parameters.clone()))
        {
            let redactor = self.redactor_for(Some(&parameters));
            let first = messages.first().map(String::as_str).unwrap_or_default();
            let name = first
                .split('\'')
                .nth(1)
                .or_else(|| first.strip_prefix("Missing required parameter: "))
                .unwrap_or_default();
            return Err(ItemFailure::parameter(
                name.split(' ').next().unwrap_or_default(),
                redactor.scrub(&messages.join("; ")),
            ));
        }
        Ok(parameters)
    }

    /// Builds the item's request from the routing data.
    ///
    /// # Errors
    /// A routing expression that fails for this item.
    pub(crate) fn request_for(
        &self,
        index: usize,
        item: &Item,
        parameters: &Map<String, Value>,
    ) -> Result<RequestSpec, ItemFailure> {
        let base_scope = Scope {
            json: Some(&item.json),
            parameter: Some(parameters),
            credentials: Some(self.credentials.fields()),
            item_index: index,
            ..Scope::default()
        };
        let routing_error = |(path, source, e): (String, String, noderun_expression::Error)| {
            ItemFailure::parameter(
                &path,
                format!("routing expression {source} failed: {}", e.message),
            )
        };
        let defaults = &self.defaults;
        let mut options = RequestOptions {
            method: Method::Get,
            base_url: defaults
                .get("baseURL")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            url: String::new(),
            qs: Map::new(),
            headers: defaults
                .get("headers")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            body: Value::Object(Map::new()),
        };
        for step in &self.steps {
            let value = get_path(parameters, &step.value_path);
            let at = |path: &Option<String>| path.as_ref().and_then(|p| get_path(parameters, p));
            let scope = Scope {
                value,
                self_value: at(&step.self_path),
                parent: at(&step.parent_path),
                ..base_scope
            };
            if let Some(request) = &step.request
                && let Some(Value::Object(r)) = request
                    .resolve_dropping_undefined(&scope)
                    .map_err(routing_error)?
            {
                options.merge(r);
            }
            if let Some(send) = &step.send {
                let property = send
                    .property
                    .resolve_dropping_undefined(&scope)
                    .map_err(routing_error)?;
                let property = property
                    .as_ref()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                // An optional field's null is not sent in a query (n8n would send `key=`).
                if send.kind == SendType::Query && value == Some(&Value::Null) {
                    continue;
                }
                let value = match &send.value {
                    Some(v) => v
                        .resolve_dropping_undefined(&scope)
                        .map_err(routing_error)?,
                    None => value.cloned(),
                };
                if let Some(value) = value {
                    match send.kind {
                        SendType::Body if send.dotted => {
                            set_path(&mut options.body, &property, value)
                        }
                        SendType::Body => {
                            if let Value::Object(b) = &mut options.body {
                                b.insert(property, value);
                            }
                        }
                        SendType::Query => {
                            options.qs.insert(property, value);
                        }
                    }
                }
            }
        }
        options.headers.extend(self.auth_headers.clone());
        options.qs.extend(self.auth_qs.clone());
        Ok(options.finish())
    }
}

/// n8n silently drops parameters it does not know; noderun refuses names that no property of the
/// node has and collection fields the shown collection does not have (typos), while parameters
/// of other operations (stale values in a workflow) are dropped as n8n drops them.
fn check_names(properties: &[Property], values: &Map<String, Value>) -> Result<(), SetupError> {
    for name in values.keys() {
        if !properties.iter().any(|p| &p.name == name) {
            let mut known: Vec<&str> = properties.iter().map(|p| p.name.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            return Err(SetupError(format!(
                "Unknown parameter '{name}'; the node's parameters are: {}",
                known.join(", ")
            )));
        }
    }
    let effective = effective_parameters(properties, values);
    for p in properties
        .iter()
        .filter(|p| p.kind == PropertyType::Collection && is_displayed(p, &effective, &effective))
    {
        let Some(Value::Object(given)) = values.get(&p.name) else {
            continue;
        };
        if let Some(key) = given
            .keys()
            .find(|k| !p.sub_properties().any(|s| &s.name == *k))
        {
            let known: Vec<&str> = p.sub_properties().map(|s| s.name.as_str()).collect();
            return Err(SetupError(format!(
                "Unknown parameter '{key}' (in {}); here it can hold: {}",
                p.name,
                known.join(", ")
            )));
        }
    }
    Ok(())
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

/// What walking the shown properties gathers for a run.
#[derive(Default)]
struct Collected {
    steps: Vec<Step>,
    response: ResponsePlan,
    json_parameters: Vec<(Vec<String>, JsonShape)>,
    secret_parameters: Vec<Vec<String>>,
}

/// What holds a property's value: nothing (a top-level parameter), a collection (`$self`) or a
/// fixedCollection entry (`$parent`), each given by its dotted path.
#[derive(Clone)]
enum Holder {
    None,
    Collection(String),
    Entry(String),
}

type CompileError = (String, String, noderun_expression::Error);

/// Walks one shown property: its own routing, the routing of the chosen option, and, for
/// collections and fixedCollections, the sub-properties that are set (n8n's
/// `getRequestOptionsFromParameters`).
fn collect(
    p: &Property,
    values: &Map<String, Value>,
    parent: &[String],
    holder: Holder,
    into: &mut Collected,
) -> Result<(), CompileError> {
    let mut path = parent.to_vec();
    path.push(p.name.clone());
    let Some(value) = values.get(&p.name) else {
        return Ok(());
    };
    if p.kind == PropertyType::Json {
        into.json_parameters.push((path.clone(), p.json_shape()));
    }
    if p.is_secret() {
        into.secret_parameters.push(path.clone());
    }
    let push = |routing: &Routing, into: &mut Collected| -> Result<(), CompileError> {
        let step = compile(routing, path.join("."), holder.clone(), &mut into.response)?;
        into.steps.push(step);
        Ok(())
    };
    if let Some(routing) = &p.routing {
        push(routing, into)?;
    }
    match p.kind {
        PropertyType::Options => {
            if let Some(choice) = p.choices().find(|c| &c.value == value)
                && let Some(routing) = &choice.routing
            {
                push(routing, into)?;
            }
        }
        PropertyType::Collection => {
            if let Value::Object(sub_values) = value {
                for sub in p.sub_properties() {
                    collect(
                        sub,
                        sub_values,
                        &path,
                        Holder::Collection(path.join(".")),
                        into,
                    )?;
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
                let entries: Vec<(Vec<String>, &Map<String, Value>)> = match groups.get(&group.name)
                {
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
                        collect(field, entry, &at, Holder::Entry(at.join(".")), into)?;
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn compile(
    routing: &Routing,
    value_path: String,
    holder: Holder,
    response: &mut ResponsePlan,
) -> Result<Step, CompileError> {
    let request = routing
        .request
        .as_ref()
        .map(|r| Resolvable::new(&serde_json::to_value(r).unwrap_or_default()))
        .transpose()?;
    let send = routing
        .send
        .as_ref()
        .map(|s| -> Result<CompiledSend, CompileError> {
            Ok(CompiledSend {
                kind: s.kind,
                property: Resolvable::new(&Value::String(s.property.clone()))?,
                value: s.value.as_ref().map(Resolvable::new).transpose()?,
                dotted: s.property_in_dot_notation.unwrap_or(true),
            })
        })
        .transpose()?;
    if let Some(output) = &routing.output {
        response
            .post_receive
            .extend(output.post_receive.iter().cloned());
        response.cookies.extend(
            output
                .cookies
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or(k).to_string())),
        );
    }
    let (self_path, parent_path) = match holder {
        Holder::None => (None, None),
        Holder::Collection(p) => (Some(p), None),
        Holder::Entry(p) => (None, Some(p)),
    };
    Ok(Step {
        value_path,
        self_path,
        parent_path,
        request,
        send,
    })
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
                    short(&parsed)
                ),
            ));
        }
        *slot = parsed;
    }
    Ok(())
}

fn short(v: &Value) -> String {
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

/// lodash `set` on a JSON object with a dotted path.
fn set_path(target: &mut Value, path: &str, value: Value) {
    let mut current = target;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Value::Object(map) = current else { return };
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        current = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// lodash `merge`: objects merged key by key, anything else replaced.
fn merge(target: &mut Value, source: Value) {
    match (target, source) {
        (Value::Object(t), Value::Object(s)) => {
            for (k, v) in s {
                match t.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        t.insert(k, v);
                    }
                }
            }
        }
        (t, s) => *t = s,
    }
}

struct RequestOptions {
    method: Method,
    base_url: String,
    url: String,
    qs: Map<String, Value>,
    headers: Map<String, Value>,
    body: Value,
}

impl RequestOptions {
    fn merge(&mut self, r: Map<String, Value>) {
        for (k, v) in r {
            match k.as_str() {
                "method" => {
                    if let Ok(m) = serde_json::from_value(v) {
                        self.method = m;
                    }
                }
                "url" => self.url = v.as_str().unwrap_or_default().to_string(),
                "baseURL" => self.base_url = v.as_str().unwrap_or_default().to_string(),
                "qs" => merge_map(&mut self.qs, v),
                "headers" => merge_map(&mut self.headers, v),
                "body" => merge(&mut self.body, v),
                _ => {}
            }
        }
    }

    fn finish(self) -> RequestSpec {
        let mut url = join_url(&self.base_url, &self.url);
        let query = encode_query(&self.qs);
        if !query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&query);
        }
        let mut headers: Vec<(String, String)> = self
            .headers
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::Null => None,
                Value::String(s) => Some((k, s)),
                other => Some((k, other.to_string())),
            })
            .collect();
        let body = match (&self.body, self.method) {
            (_, Method::Get | Method::Head) => None,
            (Value::Object(m), _) if m.is_empty() => None,
            (b, _) => Some(b.clone()),
        };
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        RequestSpec {
            method: self.method,
            url,
            headers,
            body,
        }
    }
}

fn merge_map(target: &mut Map<String, Value>, v: Value) {
    if let Value::Object(m) = v {
        let mut t = Value::Object(std::mem::take(target));
        merge(&mut t, Value::Object(m));
        if let Value::Object(m) = t {
            *target = m;
        }
    }
}

/// Joins a base URL and a path the way axios does: one slash between them, whatever each has.
pub(crate) fn join_url(base: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        return url.to_string();
    }
    if url.is_empty() {
        return base.to_string();
    }
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        url.trim_start_matches('/')
    )
}

/// A query string as n8n sends it (the `qs` package's defaults): nested objects in bracket
/// notation, arrays with indices (`a[0]=x`), every component percent-encoded per RFC 3986.
fn encode_query(qs: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    for (k, v) in qs {
        push_query(&mut parts, k.clone(), v);
    }
    parts.join("&")
}

fn push_query(parts: &mut Vec<String>, key: String, value: &Value) {
    match value {
        Value::Null => parts.push(format!("{}=", encode_rfc3986(&key))),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                push_query(parts, format!("{key}[{i}]"), item);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                push_query(parts, format!("{key}[{k}]"), v);
            }
        }
        Value::String(s) => parts.push(format!("{}={}", encode_rfc3986(&key), encode_rfc3986(s))),
        other => parts.push(format!(
            "{}={}",
            encode_rfc3986(&key),
            encode_rfc3986(&other.to_string())
        )),
    }
}

/// `encodeURIComponent` plus the characters RFC 3986 reserves that it leaves alone (`!'()*`).
fn encode_rfc3986(s: &str) -> String {
    let mut out = encode_uri_component(s);
    for (c, e) in [
        ('!', "%21"),
        ('\'', "%27"),
        ('(', "%28"),
        (')', "%29"),
        ('*', "%2A"),
    ] {
        if out.contains(c) {
            out = out.replace(c, e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// The expected text is what `require('qs').stringify` gives for the same value.
    #[test]
    fn query_strings_are_encoded_as_n8n_encodes_them() {
        let qs = json!({"a": [1, 2], "b": {"c": "x y"}, "d": "(!)'*", "e": null, "f": true});
        assert_eq!(
            super::encode_query(qs.as_object().unwrap()),
            "a%5B0%5D=1&a%5B1%5D=2&b%5Bc%5D=x%20y&d=%28%21%29%27%2A&e=&f=true"
        );
    }
}
