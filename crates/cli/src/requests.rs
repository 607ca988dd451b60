//! The requests an operation sends, as its definition declares them (the operation's routing
//! and its follow-up requests): what `describe` shows, and whether a run changes anything on
//! the server (a closed stdout then ends a run that only reads quietly, as `rg | head` does).

use noderun_definitions::display::Visibility;
use noderun_definitions::model::{Method, Property, RequestOptions};
use noderun_definitions::{Node, Operation};
use serde_json::{Value, json};

/// What the definitions say about an operation: its description and the requests it sends.
pub(crate) struct OperationInfo {
    pub(crate) description: Option<String>,
    /// `METHOD url` of its request, and of the follow-up requests one of which it may send
    /// after it (Items → Upsert: a create or an update).
    pub(crate) requests: Value,
    /// Every request it may send is a GET (or HEAD) and no parameter changes the method: it
    /// changes nothing on the server.
    pub(crate) read_only: bool,
}

impl OperationInfo {
    pub(crate) fn new(node: &Node, op: &Operation) -> OperationInfo {
        let properties = &node.description.properties;
        let visibility = Visibility::new(properties);
        let state = op.states.first().cloned().unwrap_or_default();
        let choice = visibility
            .visible(&state)
            .into_iter()
            .map(|i| &properties[i])
            .filter(|p| p.name == "operation")
            .flat_map(Property::choices)
            .find(|c| c.value == op.operation.as_str());
        let routing = choice.and_then(|c| c.routing.as_ref());
        let defaults = node.description.request_defaults.as_ref();
        let method = |r: Option<&RequestOptions>| {
            r.and_then(|r| r.method)
                .or(defaults.and_then(|d| d.method))
                .unwrap_or(Method::Get)
        };
        let request = |r: Option<&RequestOptions>| {
            let url = r.and_then(|r| r.url.as_deref()).unwrap_or("");
            format!("{} {}", method(r).as_str(), readable_url(url))
        };
        let first = routing.and_then(|r| r.request.as_ref());
        let follow_ups: Vec<&RequestOptions> = routing
            .into_iter()
            .flat_map(|r| &r.then)
            .map(|f| &f.request)
            .collect();
        // A parameter of the operation that sets the method (Flows → Trigger's GET or POST)
        // could make any request: not read-only.
        let method_parameter = op.states.iter().any(|s| {
            visibility.visible(s).into_iter().any(|i| {
                let p = &properties[i];
                p.name != "operation" && sets_method(p)
            })
        });
        let safe = |m: Method| matches!(m, Method::Get | Method::Head);
        OperationInfo {
            description: choice.and_then(|c| c.description.clone()),
            read_only: !method_parameter
                && safe(method(first))
                && follow_ups.iter().all(|r| safe(method(Some(r)))),
            requests: json!({
                "request": request(first),
                "then": follow_ups.iter().map(|r| request(Some(r))).collect::<Vec<_>>(),
            }),
        }
    }
}

/// Whether a property's routing (its own, its choices' or its sub-properties') sets the method.
fn sets_method(p: &Property) -> bool {
    let sets = |r: Option<&noderun_definitions::model::Routing>| {
        r.and_then(|r| r.request.as_ref())
            .is_some_and(|r| r.method.is_some())
    };
    sets(p.routing.as_ref())
        || p.choices().any(|c| sets(c.routing.as_ref()))
        || p.sub_properties().any(sets_method)
        || p.groups().flat_map(|g| &g.values).any(sets_method)
}

/// A routing URL as a person reads it: `=/items/{{ encodeURIComponent($parameter.id) }}` is
/// `/items/{id}`, another expression is `{expression}`.
fn readable_url(url: &str) -> String {
    let Some(template) = url.strip_prefix('=') else {
        return url.to_string();
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + len].trim();
        let inner = inner
            .strip_prefix("encodeURIComponent(")
            .and_then(|i| i.strip_suffix(')'))
            .unwrap_or(inner);
        let name = inner
            .strip_prefix("$parameter.")
            .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        out.push('{');
        out.push_str(name.unwrap_or(inner));
        out.push('}');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}
