//! Paged requests: n8n's declarative pagination (`routing.operations.pagination`), one page at
//! a time, so that a list of any length is output as it arrives with memory bounded by a page.
//!
//! [`Pager`] follows n8n's `RoutingNode.makeRequest` step by step:
//! - **offset**: `limitParameter` = `pageSize`, `offsetParameter` = 0 before the first page (in
//!   the query or the body), the offset grows by `pageSize` after each page; the items of a
//!   page are the response after its `postReceive` actions (or, with `rootProperty`, that
//!   property of the first of them); a page with fewer than `pageSize` items is the last.
//! - **generic**: each page's request is the operation's request with the pagination's
//!   `request` (evaluated over `$request` and the previous `$response`) shallow-merged over it;
//!   another page follows while `continue` is true.
//!
//! Without pagination (or when `send.paginate` is false) there is one request.

use noderun_definitions::display::get_path;
use noderun_definitions::model::SendType;
use noderun_expression::{Scope, truthy};
use serde_json::{Map, Value};

use crate::error::{FailureKind, ItemFailure};
use crate::item::Item;
use crate::plan::{CompiledPagination, Plan, Prepared, RequestOptions, RequestSpec, routing_error};

/// The pages of one item's request.
pub(crate) struct Pager<'a> {
    plan: &'a Plan,
    options: RequestOptions,
    mode: Mode<'a>,
    /// Pages requested so far.
    pub pages: usize,
    done: bool,
    /// `$response` of the last page (generic pagination), `{}` before the first.
    response: Value,
}

enum Mode<'a> {
    Single,
    Offset(&'a noderun_definitions::model::OffsetPagination, u64),
    Generic(
        &'a noderun_expression::Resolvable,
        &'a noderun_expression::Resolvable,
    ),
}

impl<'a> Pager<'a> {
    pub(crate) fn new(plan: &'a Plan, prepared: Prepared) -> Pager<'a> {
        let Prepared {
            mut options,
            paginate,
        } = prepared;
        let mode = match (&plan.pagination, paginate) {
            (Some(CompiledPagination::Offset(p)), true) => {
                let target = offset_target(&mut options, p.kind);
                target.insert(p.limit_parameter.clone(), Value::from(p.page_size));
                target.insert(p.offset_parameter.clone(), Value::from(0));
                Mode::Offset(p, 0)
            }
            (Some(CompiledPagination::Generic { continue_, request }), true) => {
                Mode::Generic(continue_, request)
            }
            _ => Mode::Single,
        };
        Pager {
            plan,
            options,
            mode,
            pages: 0,
            done: false,
            response: Value::Object(Map::new()),
        }
    }

    /// Whether [`Pager::advance`] needs the page's `$response`.
    pub(crate) fn wants_response(&self) -> bool {
        matches!(self.mode, Mode::Generic(..))
    }

    /// The request of the next page, or `None` when the list is complete.
    pub(crate) fn next_request(
        &mut self,
        scope: &Scope<'_>,
    ) -> Result<Option<RequestSpec>, ItemFailure> {
        if self.done {
            return Ok(None);
        }
        self.pages += 1;
        let options = match &self.mode {
            Mode::Single => {
                self.done = true;
                self.options.clone()
            }
            Mode::Offset(p, offset) => {
                let mut options = self.options.clone();
                offset_target(&mut options, p.kind)
                    .insert(p.offset_parameter.clone(), Value::from(*offset));
                options
            }
            Mode::Generic(_, request) => {
                let request_json = self.options.to_json();
                let scope = Scope {
                    request: Some(&request_json),
                    response: Some(&self.response),
                    ..*scope
                };
                let mut options = self.options.clone();
                if let Some(Value::Object(r)) = request
                    .resolve_dropping_undefined(&scope)
                    .map_err(routing_error)?
                {
                    options.assign(r);
                }
                options
            }
        };
        Ok(Some(self.plan.spec(options)))
    }

    /// Takes a page's items (after the `postReceive` actions) and its `$response` (when
    /// [`Pager::wants_response`]); gives the entries to output and decides whether another page
    /// follows.
    pub(crate) fn advance(
        &mut self,
        items: Vec<Item>,
        response: Option<Value>,
        scope: &Scope<'_>,
    ) -> Result<Vec<Item>, ItemFailure> {
        match &mut self.mode {
            Mode::Single => Ok(items),
            Mode::Offset(p, offset) => {
                *offset += p.page_size;
                let items = match &p.root_property {
                    None => items,
                    Some(property) => {
                        root_property(items.into_iter().map(|i| i.json).collect(), property)?
                            .into_iter()
                            .map(Item::new)
                            .collect()
                    }
                };
                if items.is_empty() || items.len() as u64 != p.page_size {
                    self.done = true;
                }
                Ok(items)
            }
            Mode::Generic(continue_, _) => {
                self.response = response.unwrap_or_default();
                let request_json = self.options.to_json();
                let scope = Scope {
                    request: Some(&request_json),
                    response: Some(&self.response),
                    ..*scope
                };
                let more = continue_
                    .resolve_dropping_undefined(&scope)
                    .map_err(routing_error)?;
                if !truthy(more.as_ref()) {
                    self.done = true;
                }
                Ok(items)
            }
        }
    }
}

/// Where the offset pagination puts its parameters.
fn offset_target(options: &mut RequestOptions, kind: SendType) -> &mut Map<String, Value> {
    match kind {
        SendType::Query => &mut options.qs,
        SendType::Body => {
            if !options.body.is_object() {
                options.body = Value::Object(Map::new());
            }
            options.body.as_object_mut().expect("made an object")
        }
    }
}

/// The offset pagination's `rootProperty`: the entries are that property of the page's first
/// item (n8n: `get(items[0].json, rootProperty)`).
fn root_property(
    items: Vec<Map<String, Value>>,
    property: &str,
) -> Result<Vec<Map<String, Value>>, ItemFailure> {
    let missing = || {
        ItemFailure::new(
            FailureKind::Response,
            format!("The rootProperty \"{property}\" could not be found on item."),
        )
    };
    let first = items.into_iter().next().ok_or_else(missing)?;
    match get_path(&first, property) {
        Some(Value::Array(entries)) => Ok(entries
            .iter()
            .map(|e| match e {
                Value::Object(m) => m.clone(),
                other => [("data".to_string(), other.clone())].into_iter().collect(),
            })
            .collect()),
        Some(_) => Err(ItemFailure::new(
            FailureKind::Response,
            format!("The rootProperty \"{property}\" of the response is not a list"),
        )),
        None => Err(missing()),
    }
}
