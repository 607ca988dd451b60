//! One item's way through the plan: its parameters, then its request(s).

use std::borrow::Cow;

use noderun_expression::{Context, Resolvable, Scope, Template, truthy};
use serde_json::{Map, Value};

use crate::compile::Plan;
use crate::error::ItemFailure;
use crate::item::Item;
use crate::paging::{Pages, Paging};
use crate::redact::Redactor;
use crate::request::RequestSpec;
use crate::routing::ResponsePlan;

/// An item with its parameters resolved and validated: what its requests are built from.
pub struct ItemPlan<'p> {
    plan: &'p Plan,
    index: usize,
    item: &'p Item,
    parameters: Cow<'p, Map<String, Value>>,
}

impl Plan {
    /// Resolves and validates the parameters of input item `index`.
    ///
    /// # Errors
    /// The failing parameter with a message naming it and what was expected.
    pub fn for_item<'p>(
        &'p self,
        index: usize,
        item: &'p Item,
    ) -> Result<ItemPlan<'p>, ItemFailure> {
        self.for_item_in(index, item, None)
    }

    /// [`Plan::for_item`] with what the expressions see beyond the item: the workflow around
    /// the node, other nodes' items, `$vars`, the time zone ([`noderun_expression::ContextData`]);
    /// `None`: this node alone, with its parameters.
    ///
    /// # Errors
    /// The failing parameter with a message naming it and what was expected.
    pub fn for_item_in<'p>(
        &'p self,
        index: usize,
        item: &'p Item,
        context: Option<&Context>,
    ) -> Result<ItemPlan<'p>, ItemFailure> {
        Ok(ItemPlan {
            parameters: self.parameters_of(index, item, context)?,
            plan: self,
            index,
            item,
        })
    }
}

impl<'p> ItemPlan<'p> {
    /// The item's input index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The item's parameters: expressions evaluated, values coerced, JSON text parsed.
    pub fn parameters(&self) -> &Map<String, Value> {
        &self.parameters
    }

    /// What to do with the responses of the item's (first) request.
    pub fn response_plan(&self) -> &'p ResponsePlan {
        &self.plan.response
    }

    /// Whether the operation may send a follow-up request (`routing.then`).
    pub fn has_follow_ups(&self) -> bool {
        !self.plan.follow_ups.is_empty()
    }

    /// A redactor knowing the run's credential secrets and this item's secret parameters.
    pub fn redactor(&self) -> Redactor {
        self.plan.redactor_for(&self.parameters)
    }

    /// The scope of the item's routing and pagination expressions.
    pub(crate) fn scope(&self) -> Scope<'_> {
        Scope {
            json: Some(&self.item.json),
            parameter: Some(&self.parameters),
            credentials: Some(self.plan.credential_fields()),
            item_index: self.index,
            ..Scope::default()
        }
    }

    /// The item's requests: the first one, and the following pages when the operation pages
    /// (`paging`: the run's page size and whether keyset paging may be used).
    ///
    /// # Errors
    /// A routing expression that fails for this item.
    pub fn pages(&self, paging: &Paging) -> Result<Pages<'_>, ItemFailure> {
        let plan = self.plan;
        let scope = self.scope();
        let mut draft = plan.base.clone();
        let mut paginate = plan.base_paginate;
        for step in &plan.steps {
            step.apply(&mut draft, &mut paginate, &self.parameters, &scope)?;
        }
        let pagination = plan.pagination.as_ref().filter(|_| paginate == Some(true));
        Pages::new(
            draft,
            pagination,
            paging,
            scope,
            plan.defaults(),
            (&plan.auth_headers, &plan.auth_qs),
        )
    }

    /// The follow-up request of a two-call operation (`routing.then`), given the first
    /// response (`$response`: `{statusCode, body}`): the first enabled alternative's request and
    /// what to do with its answer, or `None` when no alternative is enabled.
    ///
    /// # Errors
    /// A follow-up expression that fails for this item.
    pub fn follow_up(
        &self,
        response: &Value,
    ) -> Result<Option<(RequestSpec, &'p ResponsePlan)>, ItemFailure> {
        let scope = Scope {
            response: Some(response),
            ..self.scope()
        };
        let failed = |(path, source, e): (String, String, noderun_expression::Error)| {
            ItemFailure::parameter(
                &path,
                format!("follow-up expression {source} failed: {}", e.message),
            )
        };
        for follow_up in &self.plan.follow_ups {
            if let Some(enabled) = &follow_up.enabled
                && !truthy(
                    enabled
                        .resolve_dropping_undefined(&scope)
                        .map_err(failed)?
                        .as_ref(),
                )
            {
                continue;
            }
            let options = follow_up
                .request
                .resolve_dropping_undefined(&scope)
                .map_err(failed)?;
            return Ok(Some((self.follow_up_request(options), &follow_up.response)));
        }
        Ok(None)
    }

    /// A follow-up request from its resolved routing options: the request defaults, the
    /// options merged in, the credential's headers and query parameters.
    fn follow_up_request(&self, options: Option<Value>) -> RequestSpec {
        let mut draft = self.plan.defaults().clone();
        if let Some(Value::Object(r)) = options {
            draft.merge(r);
        }
        draft.finish(&self.plan.auth_headers, &self.plan.auth_qs)
    }

    /// What a dry run outputs for the item: its (first) `request` as [`RequestSpec`] shows it
    /// with `files` (each file part's field → what would be sent), and under `then` the
    /// follow-up requests of a two-call operation: each alternative this item enables, with
    /// `when` (the condition's source) when only the first response can tell, and
    /// `{{ … }}` left as written where a value comes from that response. Every secret is
    /// `***` ([`ItemPlan::redactor`]: credential fields, secret parameters and the body keys
    /// they are sent as, `Authorization` and `Cookie`) unless `show_secrets`.
    pub fn dry_run(
        &self,
        request: &RequestSpec,
        files: Map<String, Value>,
        show_secrets: bool,
    ) -> Item {
        let redactor = (!show_secrets).then(|| self.redactor());
        let mut json = request.dry_run(files, redactor.as_ref());
        // No response exists: what needs it stays unresolved.
        let scope = self.scope();
        let mut then = Vec::new();
        for follow_up in &self.plan.follow_ups {
            let mut entry = Map::new();
            if let Some(enabled) = &follow_up.enabled {
                match enabled.resolve_dropping_undefined(&scope) {
                    Ok(v) if !truthy(v.as_ref()) => continue,
                    Ok(_) => {}
                    Err((_, source, _)) => {
                        entry.insert("when".into(), Value::String(source));
                    }
                }
            }
            let request = self.follow_up_request(resolve_partially(&follow_up.request, &scope));
            entry.extend(request.dry_run(Map::new(), redactor.as_ref()));
            then.push(Value::Object(entry));
        }
        if !then.is_empty() {
            json.insert("then".into(), Value::Array(then));
        }
        Item::new(json)
    }
}

impl ItemPlan<'_> {
    /// What a dry run shows of a key lookup ([`crate::Pages::key_lookup`]): its requests, as
    /// [`RequestSpec`] shows them, secrets `***` unless `show_secrets`.
    pub fn dry_run_lookup(&self, requests: &[RequestSpec], show_secrets: bool) -> Value {
        let redactor = (!show_secrets).then(|| self.redactor());
        Value::Array(
            requests
                .iter()
                .map(|r| Value::Object(r.dry_run(Map::new(), redactor.as_ref())))
                .collect(),
        )
    }
}

/// Evaluates what can be evaluated: an expression that fails (it needs a response a dry run
/// does not have) keeps, inside its text, each `{{ … }}` segment that fails as written.
fn resolve_partially(value: &Resolvable, scope: &Scope<'_>) -> Option<Value> {
    match value {
        Resolvable::Literal(v) => Some(v.clone()),
        Resolvable::Expression(template, source) => match template.evaluate(scope) {
            Ok(v) => v,
            Err(_) => Some(Value::String(partial_template(source, scope))),
        },
        Resolvable::Object(entries) => Some(Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| resolve_partially(v, scope).map(|v| (k.clone(), v)))
                .collect(),
        )),
        Resolvable::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|v| resolve_partially(v, scope).unwrap_or(Value::Null))
                .collect(),
        )),
    }
}

/// A template's text with each `{{ … }}` segment evaluated, or kept as written when it fails.
fn partial_template(source: &str, scope: &Scope<'_>) -> String {
    let mut out = String::new();
    let mut rest = source.strip_prefix('=').unwrap_or(source);
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        // The first `}}` that closes a segment that parses.
        let segment = after.match_indices("}}").find_map(|(end, _)| {
            Template::parse(&format!("={{{{{}}}}}", &after[..end]))
                .ok()
                .map(|t| (end, t))
        });
        let Some((end, template)) = segment else {
            out.push_str(&rest[start..]);
            return out;
        };
        match template.evaluate(scope) {
            Ok(Some(Value::String(s))) => out.push_str(&s),
            Ok(Some(Value::Null) | None) => {}
            Ok(Some(v)) => out.push_str(&v.to_string()),
            Err(_) => out.push_str(&format!("{{{{ {} }}}}", after[..end].trim())),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}
