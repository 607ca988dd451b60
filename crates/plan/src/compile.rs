//! Compiling a run: everything that does not depend on the item, done once.
//!
//! [`Plan::compile`] looks the node, its credential type and the operation up once, applies
//! displayOptions and defaults (n8n applies them to the node's raw parameters, so they cannot
//! change per item), parses every expression, prepares the literal parameters
//! ([`crate::parameters`]), collects the routing of every shown property in n8n's order
//! ([`crate::routing`]) and builds the part of the request that no item changes: the request
//! defaults, the credential's headers and query parameters, and every routing step up to the
//! first one that depends on the item.

use std::borrow::Cow;
use std::sync::Arc;

use noderun_definitions::display::{effective_parameters, is_displayed};
use noderun_definitions::model::{CredentialType, Property, PropertyType, RequestOptions};
use noderun_definitions::{Operation, Registry, Violation, suggest};
use noderun_expression::{Context, ContextData, NodeInfo, Resolvable, Scope};
use serde_json::{Map, Value};

use crate::compat::CompatPlan;
use crate::credentials::Credentials;
use crate::error::{ItemFailure, SetupError};
use crate::item::Item;
use crate::parameters::ParameterPlan;
use crate::redact::Redactor;
use crate::request::RequestDraft;
use crate::routing::{Collected, FollowUpPlan, PaginationPlan, ParseError, ResponsePlan, Step};

/// A run's compiled form: a node, its operation and parameters, its credential. Cheap to share
/// between concurrent items; each item goes through [`Plan::for_item`]. Its `Debug` names the
/// node, resource and operation only: parameters and the credential's headers may hold secrets.
pub struct Plan {
    registry: Arc<Registry>,
    node: String,
    resource: String,
    operation: String,
    pub(crate) parameters: ParameterPlan,
    /// For another package's node type: its parameters, translated per item.
    compat: Option<CompatPlan>,
    /// Dotted paths of the parameters marked `password`.
    secret_parameters: Vec<String>,
    /// The body keys the operation's secret parameters are sent as (hidden in a dry run also
    /// when a raw JSON body carries them).
    secret_keys: Vec<String>,
    /// `requestDefaults.baseURL`, evaluated.
    base_url: String,
    /// The request every item starts from: `requestDefaults` and the routing steps before the
    /// first one that depends on the item.
    pub(crate) base: RequestDraft,
    /// The paging decision of those steps, if one of them made it.
    pub(crate) base_paginate: Option<bool>,
    /// `requestDefaults`, evaluated (follow-up requests start from them).
    defaults: RequestDraft,
    /// The routing steps each item applies (after those in `base`).
    pub(crate) steps: Vec<Step>,
    pub(crate) follow_ups: Vec<FollowUpPlan>,
    pub(crate) pagination: Option<PaginationPlan>,
    pub(crate) response: ResponsePlan,
    /// The credential's headers and query parameters, evaluated once.
    pub(crate) auth_headers: Map<String, Value>,
    pub(crate) auth_qs: Map<String, Value>,
    credentials: Credentials,
    credential_secrets: Redactor,
    literal_failure: Option<ItemFailure>,
    /// What the items' expressions see beyond the item when the run gives nothing more
    /// ([`Plan::for_item_in`]): this node alone, with its parameters.
    expression_context: Context,
}

/// A run that cannot start because an expression does not parse.
fn parse_failure(e: ParseError, what: &str) -> SetupError {
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
    /// Compiles a run of `node` (a node's name or a workflow node type,
    /// [`Registry::node_type`]) with the node's raw `parameters` (as in an n8n workflow, with
    /// `resource` and `operation` among them) and the fields of its credential. Another
    /// package's node type (a compat file) has its parameters translated into the node's: here
    /// for the operation and its toggles, for each item once its expressions are resolved.
    ///
    /// # Errors
    /// Unknown node, resource or operation (the valid ones listed), credentials that do not fit
    /// the node's credential type, an unknown parameter, or an expression that does not parse
    /// (named with its parameter).
    pub fn compile(
        registry: Arc<Registry>,
        node: &str,
        mut parameters: Map<String, Value>,
        credentials: Map<String, Value>,
    ) -> Result<Plan, SetupError> {
        let node_type = registry
            .node_type(node)
            .map_err(|e| SetupError(e.to_string()))?;
        let n = node_type.node;
        let credential_type = n
            .description
            .credentials
            .first()
            .and_then(|c| registry.credential(&c.name))
            .ok_or_else(|| SetupError(format!("node '{node}' names no known credential type")))?;
        let credentials = Credentials::new(credential_type, credentials)?;
        let compat = match node_type.compat {
            Some(c) => {
                let (compat, ours) =
                    CompatPlan::compile(c, &parameters, |e| parse_failure(e, "Parameter"))?;
                parameters = ours;
                Some(compat)
            }
            None => None,
        };
        n.resolve_aliases(&mut parameters);
        let effective = effective_parameters(&n.description.properties, &parameters);
        let text = |k: &str| {
            effective
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (resource, operation) = (text("resource"), text("operation"));
        let op = n
            .operation(&resource, &operation)
            .map_err(|e| SetupError(e.to_string()))?;
        let own = n.operation_properties(op);
        check_names(&n.description.properties, &own, op, &parameters)?;
        let secret_keys = secret_keys(&own);

        let mut collected = Collected::default();
        let mut shown = Vec::new();
        for p in &n.description.properties {
            if !effective.contains_key(&p.name) || !is_displayed(p, &effective, &effective) {
                continue;
            }
            shown.push(p.clone());
            collected
                .property(p, &effective)
                .map_err(|e| parse_failure(e, "routing of"))?;
        }
        let parameter_plan = ParameterPlan::compile(
            effective,
            shown,
            &collected.json_parameters,
            op,
            compat.is_some(),
        )
        .map_err(|e| parse_failure(e, "Parameter"))?;
        let credentials_scope = Scope {
            credentials: Some(credentials.fields()),
            ..Scope::default()
        };
        let defaults = Resolvable::new(
            &serde_json::to_value(&n.description.request_defaults).unwrap_or_default(),
        )
        .and_then(|r| r.resolve_dropping_undefined(&credentials_scope))
        .map_err(|e| parse_failure(e, "requestDefaults"))?
        .unwrap_or_default();
        check_base_url(
            &defaults,
            n.description
                .request_defaults
                .as_ref()
                .unwrap_or(&RequestOptions::default()),
            credential_type,
            &credentials,
        )?;
        let authenticate = &credential_type.authenticate.properties;
        let evaluate_auth = |entries: &Map<String, Value>, what: &str| {
            Resolvable::new(&Value::Object(entries.clone()))
                .and_then(|r| r.resolve_dropping_undefined(&credentials_scope))
                .map_err(|e| parse_failure(e, what))
                .map(|v| match v {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                })
        };
        let auth_headers = evaluate_auth(&authenticate.headers, "credential header")?;
        let auth_qs = evaluate_auth(&authenticate.qs, "credential query parameter")?;
        let credential_secrets = credentials.redactor();

        // The steps up to the first one that depends on the item go into the base request.
        let mut base = RequestDraft::from_defaults(&defaults);
        let mut base_paginate = None;
        let constant = collected
            .steps
            .iter()
            .take_while(|s| s.is_constant(|path| parameter_plan.is_literal(path)))
            .count();
        let scope = Scope {
            parameter: Some(&parameter_plan.skeleton),
            credentials: Some(credentials.fields()),
            ..Scope::default()
        };
        for step in &collected.steps[..constant] {
            step.apply(
                &mut base,
                &mut base_paginate,
                &parameter_plan.skeleton,
                &scope,
            )
            .expect("a step without expressions cannot fail");
        }
        let steps = collected.steps.split_off(constant);

        let this = NodeInfo {
            name: node.to_string(),
            parameters: compat
                .as_ref()
                .map_or_else(|| parameter_plan.raw().clone(), |c| c.raw().clone()),
            ..NodeInfo::default()
        };
        let expression_context = Context::new(ContextData {
            nodes: [(this.name.clone(), this.clone())].into(),
            node: this,
            ..ContextData::default()
        });
        let mut plan = Plan {
            expression_context,
            node: n.description.name.clone(),
            resource,
            operation,
            parameters: parameter_plan,
            compat,
            secret_parameters: collected.secret_parameters,
            secret_keys,
            base_url: defaults
                .get("baseURL")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            base,
            base_paginate,
            defaults: RequestDraft::from_defaults(&defaults),
            steps,
            follow_ups: collected.follow_ups,
            pagination: collected.pagination,
            response: collected.response,
            auth_headers,
            auth_qs,
            credentials,
            credential_secrets,
            literal_failure: None,
            registry,
        };
        if plan.parameters.is_literal_only() {
            let outcome = plan.validate(&plan.parameters.skeleton);
            plan.parameters.decide(outcome);
        }
        plan.literal_failure = plan.parameters.literal_failure(
            |parameters| {
                plan.operation()
                    .validate(&Value::Object(parameters.clone()))
            },
            |violations| plan.violation_failure(violations, &plan.parameters.skeleton),
        );
        Ok(plan)
    }

    /// The base URL every request of the run starts from (`requestDefaults.baseURL`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The failure every item would get because of a parameter that holds no expression (a
    /// missing required one, a value of the wrong type, JSON text that does not parse), found
    /// at compile time; `None` when the literal parameters are valid, or when only the items'
    /// values can tell. A caller may refuse such a run before its first item; the run itself
    /// reports it per item, as the item's failure.
    pub fn literal_failure(&self) -> Option<&ItemFailure> {
        self.literal_failure.as_ref()
    }

    /// The credential's field values (`$credentials`).
    pub(crate) fn credential_fields(&self) -> &Map<String, Value> {
        self.credentials.fields()
    }

    /// The follow-up requests start from the request defaults.
    pub(crate) fn defaults(&self) -> &RequestDraft {
        &self.defaults
    }

    /// The item's parameters: resolved, translated when they are another node's, validated.
    /// `context`: what expressions see beyond the item (`None`: this node alone).
    pub(crate) fn parameters_of<'p>(
        &'p self,
        index: usize,
        item: &Item,
        context: Option<&Context>,
    ) -> Result<Cow<'p, Map<String, Value>>, ItemFailure> {
        let whole = |p: &Map<String, Value>| self.validate(p);
        let context = context.unwrap_or(&self.expression_context);
        match &self.compat {
            None => self.parameters.resolve(index, item, context, whole),
            Some(compat) => {
                let node = self
                    .registry
                    .node(&self.node)
                    .expect("checked in Plan::compile");
                compat
                    .resolve(
                        index,
                        item,
                        context,
                        &node.description.properties,
                        &self.parameters,
                        whole,
                    )
                    .map(Cow::Owned)
            }
        }
    }

    fn operation(&self) -> &Operation {
        self.registry
            .node(&self.node)
            .and_then(|n| n.operation(&self.resource, &self.operation))
            .expect("checked in Plan::compile")
    }

    /// A redactor knowing the run's credential secrets and the secret parameters' values.
    pub(crate) fn redactor_for(&self, parameters: &Map<String, Value>) -> Redactor {
        let mut r = self.credential_secrets.clone();
        self.secret_keys.iter().for_each(|k| r.add_key(k));
        for path in &self.secret_parameters {
            match noderun_definitions::display::get_path(parameters, path) {
                Some(Value::String(s)) => r.add(s),
                Some(Value::Null) | None => {}
                // A secret of the wrong type is still a secret: hide its JSON text.
                Some(other) => r.add(&other.to_string()),
            }
        }
        r
    }

    /// Validates parameters against the whole operation schema.
    ///
    /// # Errors
    /// The violations as the item's failure, named by the first.
    pub(crate) fn validate(&self, parameters: &Map<String, Value>) -> Result<(), ItemFailure> {
        self.operation()
            .validate(&Value::Object(parameters.clone()))
            .map_err(|violations| self.violation_failure(violations, parameters))
    }

    /// Violations as an item failure: named by the first, every message, secrets hidden.
    fn violation_failure(
        &self,
        violations: Vec<Violation>,
        parameters: &Map<String, Value>,
    ) -> ItemFailure {
        let name = violations.first().map_or("", Violation::parameter);
        let messages: Vec<&str> = violations.iter().map(|v| v.message.as_str()).collect();
        ItemFailure::parameter(
            name,
            self.redactor_for(parameters).scrub(&messages.join("; ")),
        )
    }
}

/// n8n silently drops parameters it does not know; noderun refuses names that no property of the
/// node has and collection fields the shown collection does not have (typos: the closest of the
/// operation's own names is suggested, else they are listed), while parameters of other
/// operations (stale values in a workflow) are dropped as n8n drops them.
fn check_names(
    properties: &[Property],
    own: &[&Property],
    op: &Operation,
    values: &Map<String, Value>,
) -> Result<(), SetupError> {
    for name in values.keys() {
        if !properties.iter().any(|p| &p.name == name) {
            let mut seen = std::collections::HashSet::new();
            let known: Vec<&str> = own
                .iter()
                .map(|p| p.name.as_str())
                .filter(|n| seen.insert(*n))
                .collect();
            return Err(SetupError(format!(
                "Unknown parameter '{name}'; {}",
                suggest::hint(
                    name,
                    &format!("parameters of {} {}", op.resource, op.operation),
                    &known
                )
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
                "Unknown parameter '{key}' (in {}); {}",
                p.name,
                suggest::hint(key, &format!("options of {}", p.name), &known)
            )));
        }
    }
    Ok(())
}

/// The keys the operation's secret parameters (at any depth) are sent as: a raw JSON body that
/// carries one of them carries a secret too.
fn secret_keys(own: &[&Property]) -> Vec<String> {
    fn walk(p: &Property, keys: &mut Vec<String>) {
        if p.is_secret()
            && let Some(key) = p
                .routing
                .as_ref()
                .and_then(|r| r.send.as_ref())
                .and_then(|s| s.property.as_deref())
                .filter(|k| !k.starts_with('='))
                .and_then(|k| k.rsplit('.').next())
            && !keys.iter().any(|k| k == key)
        {
            keys.push(key.to_string());
        }
        p.sub_properties().for_each(|s| walk(s, keys));
        p.groups()
            .flat_map(|g| &g.values)
            .for_each(|v| walk(v, keys));
    }
    let mut keys = Vec::new();
    own.iter().for_each(|p| walk(p, &mut keys));
    keys
}

/// The run's base URL must be an http(s) URL with a host, else every item would fail: refused
/// before the first one, naming the credential field it comes from.
fn check_base_url(
    defaults: &Value,
    declared: &RequestOptions,
    credential_type: &CredentialType,
    credentials: &Credentials,
) -> Result<(), SetupError> {
    let Some(base) = defaults.get("baseURL").and_then(Value::as_str) else {
        return Ok(());
    };
    let no_scheme = "must start with http:// or https://".to_string();
    let problem = match url::Url::parse(base) {
        // `localhost:8055` parses with the scheme `localhost`.
        _ if !base.contains("://") => no_scheme,
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            format!("{no_scheme}, not {}://", u.scheme())
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => "has no host".to_string(),
        Ok(_) => return Ok(()),
        Err(url::ParseError::EmptyHost) => "has no host".to_string(),
        Err(e) => format!("is not a URL ({e})"),
    };
    // The credential field the base URL is made of (`={{ $credentials.url }}`).
    let source = declared.base_url.as_deref().unwrap_or_default();
    let referenced: Vec<&str> = source
        .split("$credentials.")
        .skip(1)
        .filter_map(|rest| {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
        })
        .collect();
    let field = credential_type
        .properties
        .iter()
        .find(|p| referenced.contains(&p.name.as_str()));
    let shown = credentials.redactor().scrub(base);
    Err(SetupError(match field {
        Some(f) => format!(
            "credential '{}' field '{}': '{shown}' {problem}{}",
            credential_type.name,
            f.name,
            f.placeholder
                .as_deref()
                .map(|e| format!(" (e.g. {e})"))
                .unwrap_or_default()
        ),
        None => format!("the node's base URL '{shown}' {problem}"),
    }))
}
