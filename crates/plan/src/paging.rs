//! Paged requests: n8n's declarative pagination (`routing.operations.pagination`), one page at
//! a time, so that a list of any length is output as it arrives with memory bounded by a page.
//!
//! [`Pages`] follows n8n's `RoutingNode.makeRequest` step by step:
//! - **offset**: `limitParameter` = `pageSize`, `offsetParameter` = 0 before the first page (in
//!   the query or the body), the offset grows by `pageSize` after each page; the items of a
//!   page are the response after its `postReceive` actions (or, with `rootProperty`, that
//!   property of the first of them); a page with fewer than `pageSize` items is the last.
//! - **keyset** (noderun's extension of the offset pagination, [`KeysetPagination`]): when the
//!   request is sorted by the list's key, the pages after the first keep offset 0 and filter
//!   on the entries after the last key received (the definition's `after` template, joined to
//!   the user's filter by its `join` template), so that rows
//!   inserted or deleted while the list is read neither shift nor repeat entries, and the
//!   server does not walk the skipped rows again for each page. Any other sort, or entries
//!   without the key (grouped, or Fields leaving it out), page by offset. A list whose key the
//!   definition cannot name (a user's collection) has a `lookup`: requests the executor sends
//!   once per run before the first page ([`Pages::key_lookup`]), whose responses say the key
//!   the server orders an unsorted list by ([`Pages::key_in`], [`Pages::use_key`]); the pages
//!   then sort by it and go on by key, or by offset when there is none.
//! - **generic**: each page's request is the operation's request with the pagination's
//!   `request` (evaluated over `$request` and the previous `$response`) shallow-merged over it;
//!   another page follows while `continue` is true.
//!
//! Without pagination (or when `send.paginate` is false) there is one request.

use noderun_definitions::display::get_path;
use noderun_definitions::model::{KeyType, KeysetPagination, OffsetPagination, SendType};
use noderun_expression::{Scope, truthy};
use serde_json::{Map, Value};

use crate::error::{FailureKind, ItemFailure};
use crate::item::Item;
use crate::request::{RequestDraft, RequestSpec};
use crate::routing::{LookupPlan, PaginationPlan, routing_error};

/// How a run pages its lists, beyond what the definitions say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    /// Entries per page instead of the definition's `pageSize` (the server must allow it:
    /// Directus refuses a limit above its `QUERY_LIMIT_MAX`).
    pub page_size: Option<u64>,
    /// Page by offset even where the definition allows keyset paging (n8n's own requests).
    pub offset_only: bool,
}

/// The requests of one item: one, or one per page. Pure: it is given each page's items and
/// response and says what to request next.
pub struct Pages<'a> {
    draft: RequestDraft,
    /// The scope of the item's expressions.
    scope: Scope<'a>,
    /// The credential's headers and query parameters, added to every request.
    auth: (&'a Map<String, Value>, &'a Map<String, Value>),
    /// The request defaults (a key lookup's requests start from them).
    defaults: &'a RequestDraft,
    mode: Mode<'a>,
    /// Pages requested so far.
    pages: usize,
    done: bool,
    /// `$response` of the last page (generic pagination), `{}` before the first.
    response: Value,
}

enum Mode<'a> {
    Single,
    Offset {
        pagination: &'a OffsetPagination,
        page_size: u64,
        offset: u64,
        keyset: Keyset<'a>,
    },
    Generic(
        &'a noderun_expression::Resolvable,
        &'a noderun_expression::Resolvable,
    ),
}

/// Where a keyset-paged list stands.
enum Keyset<'a> {
    /// The list pages by offset.
    Off,
    /// The key is not known yet: the lookup's responses will say it ([`Pages::use_key`]); with
    /// the entry an earlier run output last when the list is continued. Until then the list
    /// reads as by offset.
    Lookup(
        &'a KeysetPagination,
        &'a LookupPlan,
        Option<Box<Map<String, Value>>>,
    ),
    /// Sorted by the key (its name): the first page is read by offset, the next ones after its
    /// last key.
    Ready(&'a KeysetPagination, String),
    /// The next page holds the entries whose key (its name) is greater than this one.
    After(&'a KeysetPagination, String, Value),
}

impl<'a> Pages<'a> {
    /// The pages of an item whose first request is `draft`: one request without `pagination`
    /// (the operation does not page, or the routing did not ask for pages), else each page's.
    ///
    /// # Errors
    /// A key lookup's `enabled` expression that fails for this item.
    pub(crate) fn new(
        mut draft: RequestDraft,
        pagination: Option<&'a PaginationPlan>,
        paging: &Paging,
        scope: Scope<'a>,
        defaults: &'a RequestDraft,
        auth: (&'a Map<String, Value>, &'a Map<String, Value>),
    ) -> Result<Pages<'a>, ItemFailure> {
        let mode = match pagination {
            Some(PaginationPlan::Offset(p, lookup)) => {
                let page_size = paging.page_size.unwrap_or(p.page_size).max(1);
                let keyset = match (p.keyset.as_deref(), lookup) {
                    (Some(_), _) if paging.offset_only || p.kind != SendType::Query => Keyset::Off,
                    (Some(k), Some(lookup)) if looks_up(&draft, k, lookup, &scope)? => {
                        Keyset::Lookup(k, lookup, None)
                    }
                    (Some(k), None) => match &k.key {
                        Some(key) if keyset_applies(&draft, k, key) => {
                            Keyset::Ready(k, key.clone())
                        }
                        _ => Keyset::Off,
                    },
                    _ => Keyset::Off,
                };
                let target = offset_target(&mut draft, p.kind);
                target.insert(p.limit_parameter.clone(), Value::from(page_size));
                target.insert(p.offset_parameter.clone(), Value::from(0));
                Mode::Offset {
                    pagination: p,
                    page_size,
                    offset: 0,
                    keyset,
                }
            }
            Some(PaginationPlan::Generic { continue_, request }) => {
                Mode::Generic(continue_, request)
            }
            None => Mode::Single,
        };
        Ok(Pages {
            draft,
            scope,
            auth,
            defaults,
            mode,
            pages: 0,
            done: false,
            response: Value::Object(Map::new()),
        })
    }

    /// Pages requested so far.
    pub fn requested(&self) -> usize {
        self.pages
    }

    /// Continues a list whose entries up to `last` were output by an earlier run (`--resume`):
    /// the next request asks for the entries after `last`'s key. Only a keyset-paged list that
    /// has not sent a request yet can continue; `false` otherwise (nothing changes). A list
    /// whose key is looked up continues only if the lookup finds one: [`Pages::use_key`] tells.
    pub fn continue_after(&mut self, last: &Map<String, Value>) -> bool {
        if self.pages > 0 {
            return false;
        }
        let Mode::Offset { keyset, .. } = &mut self.mode else {
            return false;
        };
        match keyset {
            Keyset::Lookup(_, _, resume) => {
                *resume = Some(Box::new(last.clone()));
                true
            }
            Keyset::Ready(k, key) => match last.get(key.as_str()) {
                Some(value) if comparable(k, value) => {
                    *keyset = Keyset::After(k, std::mem::take(key), value.clone());
                    true
                }
                _ => false,
            },
            Keyset::Off | Keyset::After(..) => false,
        }
    }

    /// The requests that learn the list's key, to send (once per run for the same requests)
    /// before the first page; `None` when the list needs no lookup.
    ///
    /// # Errors
    /// A lookup request's expression that fails for this item.
    pub fn key_lookup(&self) -> Result<Option<Vec<RequestSpec>>, ItemFailure> {
        let Mode::Offset {
            keyset: Keyset::Lookup(_, lookup, _),
            ..
        } = &self.mode
        else {
            return Ok(None);
        };
        lookup
            .requests
            .iter()
            .map(|request| {
                let mut draft = self.defaults.clone();
                if let Some(Value::Object(r)) = request
                    .resolve_dropping_undefined(&self.scope)
                    .map_err(routing_error)?
                {
                    draft.merge(r);
                }
                Ok(draft.finish(self.auth.0, self.auth.1))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The key the lookup's responses (`{statusCode, body}` each, in the order of
    /// [`Pages::key_lookup`]) give: `None` when they give none (the list pages by offset), or
    /// when the list needs no lookup.
    pub fn key_in(&self, responses: Vec<Value>) -> Option<String> {
        let Mode::Offset {
            keyset: Keyset::Lookup(_, lookup, _),
            ..
        } = &self.mode
        else {
            return None;
        };
        let responses = Value::Array(responses);
        let scope = Scope {
            response: Some(&responses),
            ..self.scope
        };
        match lookup.key.resolve_dropping_undefined(&scope) {
            Ok(Some(Value::String(key))) if !key.is_empty() => Some(key),
            _ => None,
        }
    }

    /// Pages by `key` (sending it as the sort), the key a lookup found ([`Pages::key_in`]), or
    /// by offset without one. `false` when the list was to continue after an earlier run's last
    /// entry ([`Pages::continue_after`]) and cannot (no key, or that entry has none): the
    /// earlier run's entries stand and nothing more is to be read.
    pub fn use_key(&mut self, key: Option<&str>) -> bool {
        let Mode::Offset { keyset, .. } = &mut self.mode else {
            return true;
        };
        let Keyset::Lookup(k, _, resume) = keyset else {
            return true;
        };
        let (k, resume) = (*k, resume.take());
        let Some(key) = key else {
            *keyset = Keyset::Off;
            return resume.is_none();
        };
        self.draft
            .qs
            .insert(k.sort_parameter.clone(), Value::String(key.to_string()));
        match resume {
            None => {
                *keyset = Keyset::Ready(k, key.to_string());
                true
            }
            Some(last) => match last.get(key) {
                Some(value) if comparable(k, value) => {
                    *keyset = Keyset::After(k, key.to_string(), value.clone());
                    true
                }
                _ => {
                    *keyset = Keyset::Ready(k, key.to_string());
                    false
                }
            },
        }
    }

    /// Whether [`Pages::advance`] needs the page's `$response`.
    pub fn wants_response(&self) -> bool {
        matches!(self.mode, Mode::Generic(..))
    }

    /// The request of the next page, or `None` when the list is complete.
    ///
    /// # Errors
    /// A pagination expression that fails for this item.
    pub fn next_request(&mut self) -> Result<Option<RequestSpec>, ItemFailure> {
        if self.done {
            return Ok(None);
        }
        self.pages += 1;
        let draft = match &self.mode {
            Mode::Single => {
                self.done = true;
                self.draft.clone()
            }
            Mode::Offset {
                pagination,
                offset,
                keyset,
                ..
            } => {
                let mut draft = self.draft.clone();
                match keyset {
                    Keyset::After(k, key, last) => after_key(&mut draft, k, key, last),
                    Keyset::Off | Keyset::Lookup(..) | Keyset::Ready(..) => {
                        offset_target(&mut draft, pagination.kind)
                            .insert(pagination.offset_parameter.clone(), Value::from(*offset));
                    }
                }
                draft
            }
            Mode::Generic(_, request) => {
                let request_json = self.draft.to_json();
                let scope = Scope {
                    request: Some(&request_json),
                    response: Some(&self.response),
                    ..self.scope
                };
                let mut draft = self.draft.clone();
                if let Some(Value::Object(r)) = request
                    .resolve_dropping_undefined(&scope)
                    .map_err(routing_error)?
                {
                    draft.assign(r);
                }
                draft
            }
        };
        Ok(Some(draft.finish(self.auth.0, self.auth.1)))
    }

    /// Takes a page's items (after the `postReceive` actions) and its `$response` (when
    /// [`Pages::wants_response`]); gives the entries to output and decides whether another page
    /// follows.
    ///
    /// # Errors
    /// A page without its `rootProperty`, or a pagination expression that fails.
    pub fn advance(
        &mut self,
        items: Vec<Item>,
        response: Option<Value>,
    ) -> Result<Vec<Item>, ItemFailure> {
        match &mut self.mode {
            Mode::Single => Ok(items),
            Mode::Offset {
                pagination,
                page_size,
                offset,
                keyset,
            } => {
                *offset += *page_size;
                let items = match &pagination.root_property {
                    None => items,
                    Some(property) => {
                        root_property(items.into_iter().map(|i| i.json).collect(), property)?
                            .into_iter()
                            .map(Item::new)
                            .collect()
                    }
                };
                if items.is_empty() || items.len() as u64 != *page_size {
                    self.done = true;
                }
                let first = matches!(keyset, Keyset::Ready(..));
                if let (Keyset::Ready(k, key) | Keyset::After(k, key, _), Some(last)) =
                    (&mut *keyset, items.last())
                {
                    let k = *k;
                    match last.json.get(key.as_str()) {
                        Some(value) if comparable(k, value) => {
                            *keyset = Keyset::After(k, std::mem::take(key), value.clone());
                        }
                        // Entries without the key (grouped, or Fields leaving it out), or keys
                        // the server cannot compare: the list goes on by offset, as it began.
                        _ if first => *keyset = Keyset::Off,
                        _ => {
                            return Err(ItemFailure::new(
                                FailureKind::Response,
                                format!(
                                    "an entry of the list has no '{key}' to read the next page after"
                                ),
                            ));
                        }
                    }
                }
                Ok(items)
            }
            Mode::Generic(continue_, _) => {
                self.response = response.unwrap_or_default();
                let request_json = self.draft.to_json();
                let scope = Scope {
                    request: Some(&request_json),
                    response: Some(&self.response),
                    ..self.scope
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

/// Whether keyset paging applies to the list `draft` asks for: sorted by `key` alone
/// (ascending), with a filter (if any) that is a JSON object.
fn keyset_applies(draft: &RequestDraft, k: &KeysetPagination, key: &str) -> bool {
    draft.qs.get(&k.sort_parameter).and_then(Value::as_str) == Some(key)
        && user_filter(draft, k).is_some()
}

/// Whether the list `draft` asks for needs its key looked up: it sends no sort (the server's
/// order, which the lookup tells), its filter (if any) is a JSON object, and the lookup's
/// `enabled` holds (over `$request`, the request's options).
fn looks_up(
    draft: &RequestDraft,
    k: &KeysetPagination,
    lookup: &LookupPlan,
    scope: &Scope<'_>,
) -> Result<bool, ItemFailure> {
    let unsorted = match draft.qs.get(&k.sort_parameter) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    };
    if !unsorted || user_filter(draft, k).is_none() {
        return Ok(false);
    }
    let Some(enabled) = &lookup.enabled else {
        return Ok(true);
    };
    let request = draft.to_json();
    let scope = Scope {
        request: Some(&request),
        ..*scope
    };
    Ok(truthy(
        enabled
            .resolve_dropping_undefined(&scope)
            .map_err(routing_error)?
            .as_ref(),
    ))
}

/// Whether the server can page after `key` (a key of one of the types it compares).
fn comparable(k: &KeysetPagination, key: &Value) -> bool {
    let kind = match key {
        Value::Number(_) => KeyType::Number,
        Value::String(_) => KeyType::String,
        _ => return false,
    };
    k.key_types.is_empty() || k.key_types.contains(&kind)
}

/// The request's filter as a JSON object (empty without one); `None` when it is not one.
fn user_filter(draft: &RequestDraft, k: &KeysetPagination) -> Option<Map<String, Value>> {
    match draft.qs.get(&k.filter_parameter) {
        None | Some(Value::Null) => Some(Map::new()),
        Some(Value::String(s)) if s.trim().is_empty() => Some(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        },
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => None,
    }
}

/// The request for the entries after `last`: offset 0, and the keyset's `after` filter (joined
/// to the user's filter by `join`), as JSON text.
fn after_key(draft: &mut RequestDraft, k: &KeysetPagination, key: &str, last: &Value) {
    let key = Value::String(key.to_string());
    let after = fill(&k.after, &[("{key}", &key), ("{last}", last)]);
    let filter = match user_filter(draft, k) {
        Some(user) if !user.is_empty() => fill(
            &k.join,
            &[("{filter}", &Value::Object(user)), ("{after}", &after)],
        ),
        _ => after,
    };
    draft.qs.insert(
        k.filter_parameter.clone(),
        Value::String(filter.to_string()),
    );
}

/// `template` with each string that is exactly a placeholder of `values` replaced by its value,
/// and each object key that is a placeholder of a text value (`{key}`) by that text.
fn fill(template: &Value, values: &[(&str, &Value)]) -> Value {
    let value_of = |s: &str| values.iter().find(|(p, _)| *p == s).map(|(_, v)| *v);
    match template {
        Value::String(s) => value_of(s).cloned().unwrap_or_else(|| template.clone()),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, values)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let k = match value_of(k) {
                        Some(Value::String(name)) => name.clone(),
                        _ => k.clone(),
                    };
                    (k, fill(v, values))
                })
                .collect(),
        ),
        _ => template.clone(),
    }
}

/// Where the offset pagination puts its parameters.
fn offset_target(draft: &mut RequestDraft, kind: SendType) -> &mut Map<String, Value> {
    match kind {
        SendType::Query => &mut draft.qs,
        SendType::Body => {
            if !draft.body.is_object() {
                draft.body = Value::Object(Map::new());
            }
            draft.body.as_object_mut().expect("made an object")
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
