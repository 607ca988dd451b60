//! The request being built ([`RequestDraft`], n8n's `requestData.options`) and the request as
//! sent ([`RequestSpec`]): merging routing options, the query string as n8n encodes it, and the
//! dry run's rendering of a request.

use noderun_definitions::model::{Encoding, Method};
use noderun_expression::encode_uri_component;
use serde_json::{Map, Value};

use crate::redact::Redactor;

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
    /// JSON body, if any (with `files`: the form fields of a multipart body).
    pub body: Option<Value>,
    /// Whether a same-origin redirect is followed (else it is the output); `false` when the
    /// routing says `disableFollowRedirect`.
    pub follow_redirects: bool,
    /// A multipart/form-data body: each file part's form field and the item's binary property
    /// whose bytes it carries (`routing.request.multipart`).
    pub files: Vec<(String, String)>,
    /// How the response body is read (`routing.request.encoding`).
    pub encoding: Option<Encoding>,
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

    /// What a dry run shows of this request: `{method, url, headers, body}`, and `files` (each
    /// file part's field → what would be sent) when it uploads; with a redactor, every secret it
    /// knows is `***` ([`Redactor::header`] for the headers).
    pub(crate) fn dry_run(
        &self,
        files: Map<String, Value>,
        redactor: Option<&Redactor>,
    ) -> Map<String, Value> {
        let text = |s: &str| redactor.map_or_else(|| s.to_string(), |r| r.scrub(s));
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| {
                let v = redactor.map_or_else(|| v.clone(), |r| r.header(k, v));
                (k.clone(), Value::String(v))
            })
            .collect();
        let mut body = self.body.clone().unwrap_or(Value::Null);
        if let Some(r) = redactor {
            r.scrub_json(&mut body);
        }
        let mut json = Map::new();
        json.insert("method".into(), Value::String(self.method.as_str().into()));
        json.insert("url".into(), Value::String(text(&self.url)));
        json.insert("headers".into(), Value::Object(headers));
        json.insert("body".into(), body);
        if !files.is_empty() {
            json.insert("files".into(), Value::Object(files));
        }
        json
    }
}

/// n8n's `requestData.options`: the request being built, before the credential's headers and
/// query parameters are added ([`RequestDraft::finish`]).
#[derive(Clone)]
pub(crate) struct RequestDraft {
    pub(crate) method: Method,
    pub(crate) base_url: String,
    pub(crate) url: String,
    pub(crate) qs: Map<String, Value>,
    /// Query keys set to `undefined` (placeholders in `qs`, not sent).
    pub(crate) undefined_qs: Vec<String>,
    pub(crate) headers: Map<String, Value>,
    pub(crate) body: Value,
    pub(crate) follow_redirects: bool,
    pub(crate) files: Vec<(String, String)>,
    pub(crate) encoding: Option<Encoding>,
}

impl RequestDraft {
    /// The draft every request starts from: `requestDefaults` (evaluated once per run).
    pub(crate) fn from_defaults(defaults: &Value) -> RequestDraft {
        RequestDraft {
            method: Method::Get,
            base_url: defaults
                .get("baseURL")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            url: String::new(),
            qs: Map::new(),
            undefined_qs: Vec::new(),
            headers: defaults
                .get("headers")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            body: Value::Object(Map::new()),
            follow_redirects: true,
            files: Vec::new(),
            encoding: None,
        }
    }

    /// The options as pagination expressions see them (`$request`).
    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({
            "method": self.method.as_str(),
            "baseURL": self.base_url,
            "url": self.url,
            "qs": self.qs,
            "headers": self.headers,
            "body": self.body,
        })
    }

    /// `{...options, ...r}`: each key given replaces the option whole (generic pagination).
    pub(crate) fn assign(&mut self, r: Map<String, Value>) {
        for (k, v) in r {
            match k.as_str() {
                "qs" | "headers" => {
                    let m = match v {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    };
                    if k == "qs" {
                        self.qs = m;
                    } else {
                        self.headers = m;
                    }
                }
                "body" => self.body = v,
                other => self.merge([(other.to_string(), v)].into_iter().collect()),
            }
        }
    }

    /// lodash `merge` of routing request options into the draft.
    pub(crate) fn merge(&mut self, r: Map<String, Value>) {
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
                "disableFollowRedirect" => self.follow_redirects = v != Value::Bool(true),
                "encoding" => self.encoding = serde_json::from_value(v).ok(),
                "multipart" => {
                    if let Value::Object(parts) = v {
                        for (field, property) in parts {
                            let property = match property {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            self.files.retain(|(f, _)| f != &field);
                            self.files.push((field, property));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The request as sent, with the credential's headers and query parameters.
    pub(crate) fn finish(
        mut self,
        auth_headers: &Map<String, Value>,
        auth_qs: &Map<String, Value>,
    ) -> RequestSpec {
        self.headers.extend(auth_headers.clone());
        self.qs.extend(auth_qs.clone());
        for key in &self.undefined_qs {
            if self.qs.get(key) == Some(&Value::Null) {
                self.qs.shift_remove(key);
            }
        }
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
            (Value::Object(m), _) if m.is_empty() && self.files.is_empty() => None,
            (b, _) => Some(b.clone()),
        };
        if body.is_some()
            && self.files.is_empty()
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
            follow_redirects: self.follow_redirects,
            files: self.files,
            encoding: self.encoding,
        }
    }
}

/// lodash `set` on a JSON object with a dotted path.
pub(crate) fn set_path(target: &mut Value, path: &str, value: Value) {
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
fn join_url(base: &str, url: &str) -> String {
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
pub(crate) fn encode_rfc3986(s: &str) -> String {
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
