//! Requests a recording server (wiremock) received, as Directus reads them: for the tests that
//! check which request a saved workflow node sends.

use serde_json::{Map, Value, json};
use wiremock::Request;

/// Query parameters as Directus reads them: `a[b][0]=x` nested (indices make lists), and
/// JSON text in `filter`, `deep`, `alias` and `aggregate` parsed.
pub fn query_as_directus_reads_it(request: &Request) -> Value {
    let mut root = Value::Object(Map::new());
    for (key, value) in request.url.query_pairs() {
        let mut parts = vec![key.split('[').next().unwrap_or_default().to_string()];
        parts.extend(
            key.split('[')
                .skip(1)
                .map(|p| p.trim_end_matches(']').to_string()),
        );
        let mut slot = &mut root;
        for part in &parts {
            slot = slot
                .as_object_mut()
                .expect("no key is both a value and a group")
                .entry(part.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        *slot = Value::String(value.into_owned());
    }
    fn finish(v: Value, key: &str) -> Value {
        match v {
            Value::Object(m) if !m.is_empty() && m.keys().all(|k| k.parse::<usize>().is_ok()) => {
                let mut entries: Vec<(usize, Value)> = m
                    .into_iter()
                    .map(|(k, v)| (k.parse().unwrap(), finish(v, "")))
                    .collect();
                entries.sort_by_key(|e| e.0);
                Value::Array(entries.into_iter().map(|e| e.1).collect())
            }
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        let v = finish(v, &k);
                        (k, v)
                    })
                    .collect(),
            ),
            Value::String(s) if ["filter", "deep", "alias", "aggregate"].contains(&key) => {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
            other => other,
        }
    }
    let Value::Object(top) = root else {
        unreachable!()
    };
    Value::Object(
        top.into_iter()
            .map(|(k, v)| {
                let v = finish(v, &k);
                (k, v)
            })
            .collect(),
    )
}

/// A multipart body as `{field: value}` for fields, `{field: "<filename> <type> <n> bytes"}` for
/// files, in order.
pub fn multipart_parts(body: &[u8], boundary: &str) -> Map<String, Value> {
    let text = String::from_utf8_lossy(body);
    let mut parts = Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let attribute = |name: &str| {
            head.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
        };
        let Some(field) = attribute("name") else {
            continue;
        };
        let shown = match attribute("filename") {
            Some(file) => {
                let kind = head
                    .split("Content-Type: ")
                    .nth(1)
                    .unwrap_or_default()
                    .trim();
                format!("{file} {kind} {} bytes", value.len())
            }
            None => value.to_string(),
        };
        parts.insert(field.to_string(), json!(shown));
    }
    parts
}

/// A recorded request as Directus reads it: method, path below `prefix`, query (decoded),
/// body (JSON, or `{"multipart": {...}}`) and the Authorization header.
pub fn recorded(request: &Request, prefix: &str) -> Value {
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body: Value = if request.body.is_empty() {
        Value::Null
    } else if let Some(boundary) = content_type.split("boundary=").nth(1) {
        json!({"multipart": multipart_parts(&request.body, boundary)})
    } else {
        serde_json::from_slice(&request.body).expect("a JSON body")
    };
    json!({
        "method": request.method.as_str(),
        "path": request.url.path().strip_prefix(prefix).unwrap_or(request.url.path()),
        "query": query_as_directus_reads_it(request),
        "body": body,
        "authorization": request.headers.get("authorization").and_then(|v| v.to_str().ok()),
    })
}

/// The recorded requests (as [`recorded`] gives them) of a saved node, without the key lookup an
/// items list with Return All sends first (`GET /fields/<collection>`, `GET
/// /collections/<collection>` before `GET /items/<collection>`: docs/paging.md): the request
/// the node's parameters decide.
pub fn without_key_lookup(mut requests: Vec<Value>) -> Vec<Value> {
    let is = |r: &Value, path: &str| r["method"] == "GET" && r["path"] == path;
    let lookup = match requests.as_slice() {
        [fields, collections, list, ..] => list["path"]
            .as_str()
            .and_then(|p| p.strip_prefix("/items/"))
            .is_some_and(|c| {
                is(fields, &format!("/fields/{c}")) && is(collections, &format!("/collections/{c}"))
            }),
        _ => false,
    };
    if lookup {
        requests.drain(..2);
    }
    requests
}
