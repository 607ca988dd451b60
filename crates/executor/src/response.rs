//! From an HTTP response to output items, or to an item failure.

use noderun_definitions::display::get_path;
use noderun_definitions::model::PostReceive;
use noderun_expression::{Resolvable, Scope, truthy};
use serde_json::{Map, Value};

use crate::error::{FailureKind, ItemFailure, status_headline};
use crate::plan::ResponsePlan;
use crate::transport::HttpResponse;

/// The items a response gives: a success body through the post-receive actions, a 204 or empty
/// body as `{"success": true}`, a redirect that was not followed as `{statusCode, location}`.
pub(crate) fn items(
    response: HttpResponse,
    plan: &ResponsePlan,
    parameters: &Map<String, Value>,
    host: &str,
) -> Result<Vec<Map<String, Value>>, ItemFailure> {
    let status = response.status;
    if !(200..400).contains(&status) {
        return Err(http_failure(&response, host));
    }
    if (300..400).contains(&status) {
        let location = header(&response, "location").unwrap_or_default();
        return Ok(vec![object(
            serde_json::json!({"statusCode": status, "location": location}),
        )]);
    }
    let mut values = if status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
        vec![serde_json::json!({"success": true})]
    } else {
        let body = parse_body(&response, host)?;
        let not_json = body.is_string().then(|| {
            let kind = header(&response, "content-type").unwrap_or_else(|| "non-JSON".into());
            let kind = kind
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            format!("{host} answered HTTP {status} with a {kind} body where JSON was expected")
        });
        post_receive(vec![body], plan, parameters, not_json.as_deref())?
    };
    let cookies = set_cookies(&response);
    let mut out = Vec::with_capacity(values.len());
    for value in values.drain(..) {
        let mut json = object(value);
        for (cookie, key) in &plan.cookies {
            if let Some((_, v)) = cookies
                .iter()
                .find(|(name, v)| name == cookie && !v.is_empty())
            {
                json.insert(key.clone(), Value::String(v.clone()));
            }
        }
        out.push(json);
    }
    Ok(out)
}

/// An item's json must be an object: anything else is wrapped as `{"data": value}`.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        other => [("data".to_string(), other)].into_iter().collect(),
    }
}

fn header(response: &HttpResponse, name: &str) -> Option<String> {
    response
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

fn is_json(response: &HttpResponse) -> bool {
    header(response, "content-type").is_some_and(|c| c.contains("json"))
        || response
            .body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[')
}

fn parse_body(response: &HttpResponse, host: &str) -> Result<Value, ItemFailure> {
    if is_json(response) {
        serde_json::from_slice(&response.body).map_err(|e| {
            ItemFailure::new(
                FailureKind::Response,
                format!(
                    "{host} answered HTTP {} with a body that is not valid JSON ({e})",
                    response.status
                ),
            )
        })
    } else {
        Ok(Value::String(
            String::from_utf8_lossy(&response.body).into_owned(),
        ))
    }
}

fn post_receive(
    mut values: Vec<Value>,
    plan: &ResponsePlan,
    parameters: &Map<String, Value>,
    not_json: Option<&str>,
) -> Result<Vec<Value>, ItemFailure> {
    for action in &plan.post_receive {
        let enabled = match action {
            PostReceive::RootProperty { enabled, .. }
            | PostReceive::Filter { enabled, .. }
            | PostReceive::Limit { enabled, .. } => enabled,
        };
        if let Some(e) = enabled
            && !truthy(evaluate(e, parameters, None)?.as_ref())
        {
            continue;
        }
        values = match action {
            PostReceive::RootProperty { properties, .. } => {
                let mut out = Vec::new();
                for v in values {
                    let taken = match &v {
                        Value::Object(m) => get_path(m, &properties.property).cloned(),
                        _ => None,
                    };
                    match taken {
                        Some(Value::Array(items)) => out.extend(items),
                        Some(other) => out.push(other),
                        None => {
                            let missing =
                                format!("the response has no property '{}'", properties.property);
                            let message = match not_json {
                                Some(context) => format!("{context}: {missing}"),
                                None => missing,
                            };
                            return Err(ItemFailure::new(FailureKind::Response, message));
                        }
                    }
                }
                out
            }
            PostReceive::Filter { properties, .. } => {
                let mut kept = Vec::with_capacity(values.len());
                for v in values {
                    if truthy(evaluate(&properties.pass, parameters, Some(&v))?.as_ref()) {
                        kept.push(v);
                    }
                }
                kept
            }
            PostReceive::Limit { properties, .. } => {
                let max = evaluate(&properties.max_results, parameters, None)?
                    .as_ref()
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::MAX);
                values.truncate(max.max(0.0) as usize);
                values
            }
        };
    }
    Ok(values)
}

fn evaluate(
    value: &Value,
    parameters: &Map<String, Value>,
    response_item: Option<&Value>,
) -> Result<Option<Value>, ItemFailure> {
    let scope = Scope {
        parameter: Some(parameters),
        response_item,
        ..Scope::default()
    };
    Resolvable::new(value)
        .and_then(|r| r.resolve_dropping_undefined(&scope))
        .map_err(|(_, source, e)| {
            ItemFailure::new(
                FailureKind::Response,
                format!("output expression {source} failed: {}", e.message),
            )
        })
}

/// `name=value` pairs of the response's `Set-Cookie` headers.
fn set_cookies(response: &HttpResponse) -> Vec<(String, String)> {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// An error status: the service's own message and code (the `{"errors":[{message,
/// extensions:{code}}]}` body of Directus and GraphQL servers, or a `message`/`error` field),
/// the HTTP status, and n8n's headline as the description.
fn http_failure(response: &HttpResponse, host: &str) -> ItemFailure {
    let status = response.status;
    let headline = status_headline(status);
    let body: Option<Value> = serde_json::from_slice(&response.body).ok();
    let (messages, code) = match &body {
        Some(b) => service_error(b),
        None => (Vec::new(), None),
    };
    let mut message = if messages.is_empty() {
        let text = String::from_utf8_lossy(&response.body);
        let text = text.trim();
        if text.is_empty() || text.len() > 200 || text.starts_with('<') {
            format!("{headline} (HTTP {status} from {host})")
        } else {
            format!("{headline} (HTTP {status} from {host}: {text})")
        }
    } else {
        match &code {
            Some(c) => format!("{} (HTTP {status}, {c})", messages.join("; ")),
            None => format!("{} (HTTP {status})", messages.join("; ")),
        }
    };
    if messages.is_empty() && body.is_none() && !response.body.is_empty() && is_json(response) {
        message =
            format!("{headline} (HTTP {status} from {host}; the error body is not valid JSON)");
    }
    let mut failure = ItemFailure::new(FailureKind::Http, message).described(headline);
    failure.details.http_code = Some(status.to_string());
    failure.details.code = code;
    if status == 429 || status == 503 {
        failure.retry_after = header(response, "retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(std::time::Duration::from_secs);
    }
    failure
}

fn service_error(body: &Value) -> (Vec<String>, Option<String>) {
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        let messages = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .map(String::from)
            .collect();
        let code = errors
            .iter()
            .find_map(|e| {
                e.get("extensions")
                    .and_then(|x| x.get("code"))
                    .and_then(Value::as_str)
            })
            .map(String::from);
        return (messages, code);
    }
    let message = ["message", "error"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(String::from);
    (
        message.into_iter().collect(),
        body.get("code").and_then(Value::as_str).map(String::from),
    )
}
