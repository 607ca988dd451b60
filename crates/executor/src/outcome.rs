//! From an HTTP response to output items, or to an item failure: a binary body streamed into a
//! binary property, any other body read whole and put through the post-receive actions.

use noderun_definitions::display::get_path;
use noderun_definitions::model::PostReceive;
use noderun_expression::{Resolvable, Scope, truthy};
use noderun_plan::{FailureKind, Item, ItemFailure, ResponsePlan};
use serde_json::{Map, Value};

use crate::binary::download;
use crate::settings::Settings;
use crate::transport::{HttpResponse, Transport, host_of};

/// What the item expects of a response.
pub(crate) struct Expect<'a> {
    /// The post-receive actions and cookies.
    pub plan: &'a ResponsePlan,
    /// The item's parameters (`$parameter` of the post-receive expressions).
    pub parameters: &'a Map<String, Value>,
    /// For a binary response: the binary property it goes to and the file name to record.
    pub binary: Option<(String, Option<String>)>,
    /// Keep `$response` (`{statusCode, body}`) for a follow-up request.
    pub keep: bool,
    /// Give the pagination's `$response` (`{body, headers, statusCode}`).
    pub want_response: bool,
}

/// What a response gave.
pub(crate) struct Outcome {
    /// The output items.
    pub items: Vec<Item>,
    /// `$response` for a follow-up request when asked (`Null` otherwise).
    pub kept: Value,
    /// The pagination's `$response` when asked.
    pub page_response: Option<Value>,
}

/// Reads the response to the request sent to `url`.
///
/// # Errors
/// An error status, a body that cannot be read or used, a network failure while reading it.
pub(crate) async fn read(
    response: reqwest::Response,
    url: &str,
    transport: &Transport,
    settings: &Settings,
    expect: Expect<'_>,
) -> Result<Outcome, ItemFailure> {
    let url = reqwest::Url::parse(url).ok();
    let host = url.as_ref().map(host_of).unwrap_or_default();
    let status = response.status().as_u16();
    if let Some((property, file_name)) = expect.binary
        && response.status().is_success()
        && status != 204
    {
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let mime_type = header(reqwest::header::CONTENT_TYPE)
            .map(|c| c.split(';').next().unwrap_or_default().trim().to_string())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "application/octet-stream".into());
        let file_name = file_name
            .or_else(|| {
                header(reqwest::header::CONTENT_DISPOSITION)
                    .and_then(|d| download::disposition_file_name(&d))
            })
            .or_else(|| {
                url.as_ref()
                    .and_then(|u| u.path_segments()?.next_back().map(String::from))
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "file".into());
        let value = download::download(
            response,
            download::DownloadInfo {
                mime_type,
                file_name,
            },
            settings,
            |e| transport.body_failure(e, &host),
        )
        .await?;
        let mut item = Item::new(Map::new());
        item.binary = Some([(property, value)].into_iter().collect());
        let kept = if expect.keep {
            serde_json::json!({"statusCode": status, "body": Value::Null})
        } else {
            Value::Null
        };
        return Ok(Outcome {
            items: vec![item],
            kept,
            page_response: None,
        });
    }
    let response = transport.read(response, &host).await?;
    let page_response = expect.want_response.then(|| as_value(&response));
    let (items, kept) = items(response, expect.plan, expect.parameters, &host, expect.keep)?;
    Ok(Outcome {
        items: items.into_iter().map(Item::new).collect(),
        kept,
        page_response,
    })
}

/// The items a response gives: a success body through the post-receive actions, a 204 or empty
/// body as `{"success": true}`, a redirect that was not followed as `{statusCode, location}`.
///
/// Also returns `$response` for a follow-up request (`{statusCode, body}`, the body parsed)
/// when `keep` is set, else `Null`.
fn items(
    response: HttpResponse,
    plan: &ResponsePlan,
    parameters: &Map<String, Value>,
    host: &str,
    keep: bool,
) -> Result<(Vec<Map<String, Value>>, Value), ItemFailure> {
    let status = response.status;
    if !(200..400).contains(&status) {
        return Err(http_failure(&response, host));
    }
    if (300..400).contains(&status) {
        let location = header(&response, "location").unwrap_or_default();
        let json = serde_json::json!({"statusCode": status, "location": location});
        let kept = if keep {
            serde_json::json!({"statusCode": status, "body": Value::Null})
        } else {
            Value::Null
        };
        return Ok((vec![object(json)], kept));
    }
    let mut kept = Value::Null;
    let mut values = if status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
        if keep {
            kept = serde_json::json!({"statusCode": status, "body": Value::Null});
        }
        vec![serde_json::json!({"success": true})]
    } else {
        let body = parse_body(&response, host)?;
        if keep {
            kept = serde_json::json!({"statusCode": status, "body": body.clone()});
        }
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
    Ok((out, kept))
}

/// The binary property a response is written to, and the file name to record, when the plan
/// has an enabled `binaryData` action (`None` otherwise).
pub(crate) fn binary_destination(
    plan: &ResponsePlan,
    parameters: &Map<String, Value>,
) -> Result<Option<(String, Option<String>)>, ItemFailure> {
    for action in &plan.post_receive {
        let PostReceive::BinaryData {
            enabled,
            properties,
        } = action
        else {
            continue;
        };
        if let Some(e) = enabled
            && !truthy(evaluate(e, parameters, None)?.as_ref())
        {
            continue;
        }
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::Null) | None => None,
            Some(Value::String(_)) => None,
            Some(other) => Some(other.to_string()),
        };
        let property = text(evaluate(
            &Value::String(properties.destination_property.clone()),
            parameters,
            None,
        )?)
        .unwrap_or_else(|| "data".into());
        let file_name = match &properties.file_name {
            Some(f) => text(evaluate(&Value::String(f.clone()), parameters, None)?),
            None => None,
        };
        return Ok(Some((property, file_name)));
    }
    Ok(None)
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
            // Binary responses are streamed before this point (see `binary_destination`).
            PostReceive::BinaryData { .. } => continue,
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
            PostReceive::BinaryData { .. } => values,
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

/// Name and value of each of the response's `Set-Cookie` headers (RFC 6265, parsed by the
/// `cookie` crate: attributes dropped, a quoted value unquoted); a header that is not a cookie
/// is ignored.
fn set_cookies(response: &HttpResponse) -> Vec<(String, String)> {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| cookie::Cookie::parse(c).ok())
        .map(|c| (c.name().to_string(), c.value_trimmed().to_string()))
        .collect()
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date (RFC 9110; a date already
/// past asks for no wait).
fn retry_after(value: &str, now: std::time::SystemTime) -> Option<std::time::Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(std::time::Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
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
            .and_then(|v| retry_after(&v, std::time::SystemTime::now()));
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

/// The response as n8n's pagination expressions see it (`$response`): `{body, headers,
/// statusCode}`, the body parsed when it is JSON.
fn as_value(response: &HttpResponse) -> Value {
    let body = if response.body.iter().all(u8::is_ascii_whitespace) {
        Value::String(String::new())
    } else {
        parse_body(response, "")
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&response.body).into_owned()))
    };
    let headers: Map<String, Value> = response
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), Value::from(v.to_str().ok()?))))
        .collect();
    serde_json::json!({"body": body, "headers": headers, "statusCode": response.status})
}

/// n8n's headline for an HTTP status (NodeApiError).
fn status_headline(status: u16) -> &'static str {
    match status {
        400 => "Bad request - please check your parameters",
        401 => "Authorization failed - please check your credentials",
        403 => "Forbidden - perhaps check your credentials?",
        404 => "The resource you are requesting could not be found",
        429 => "The service is receiving too many requests from you",
        500 => "The service was not able to process your request",
        502 => "Bad gateway - the service failed to handle your request",
        503 => {
            "Service unavailable - try again later or consider setting this node to retry automatically"
        }
        504 => "Gateway timed out - perhaps try again later?",
        s if s >= 500 => "The service was not able to process your request",
        _ => "The request failed",
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::retry_after;

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        // The obsolete forms RFC 9110 requires a recipient to accept.
        assert_eq!(
            retry_after("Sunday, 06-Nov-94 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Sun Nov  6 08:50:07 1994", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", SystemTime::now()), None);
    }
}
