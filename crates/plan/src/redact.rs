//! The redactor: secrets (credential fields, parameters marked `password`) replaced by `***` in
//! every message that could show them, and in the requests a dry run prints (there also the
//! body keys a secret parameter is sent as, and the `Authorization` and `Cookie` headers).

use noderun_expression::encode_uri_component;
use serde_json::Value;

use crate::request::encode_rfc3986;

/// Replaces every known secret by `***`.
#[derive(Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
    /// Body keys whose values are secrets whatever they are (the keys the operation's secret
    /// parameters are sent as: `password` also in a raw JSON body).
    keys: Vec<String>,
}

impl Redactor {
    /// Adds a secret (texts shorter than 3 bytes are not secrets that can be told apart), also
    /// as it appears percent-encoded in a URL.
    pub fn add(&mut self, secret: &str) {
        // Shorter strings cannot be told apart from ordinary text.
        if secret.len() < 3 {
            return;
        }
        for s in [
            secret.to_string(),
            encode_uri_component(secret),
            encode_rfc3986(secret),
        ] {
            if !self.secrets.contains(&s) {
                self.secrets.push(s);
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Adds a body key whose value is always a secret.
    pub(crate) fn add_key(&mut self, key: &str) {
        if !self.keys.iter().any(|k| k == key) {
            self.keys.push(key.to_string());
        }
    }

    /// The text with every known secret replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }

    /// A JSON value with every known secret in its texts replaced by `***`, and the values of
    /// secret keys (at any depth) replaced whole.
    pub(crate) fn scrub_json(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.scrub(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if self.keys.contains(k) && !v.is_null() {
                        *v = Value::String("***".into());
                    } else {
                        self.scrub_json(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// A header's value as a dry run shows it: credentials in `Authorization` hidden after
    /// their scheme (`Bearer ***`), cookie values hidden after their names, known secrets
    /// hidden in any other header.
    pub(crate) fn header(&self, name: &str, value: &str) -> String {
        if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            match value.trim().split_once(' ') {
                Some((scheme, _)) => format!("{scheme} ***"),
                None => "***".into(),
            }
        } else if name.eq_ignore_ascii_case("cookie") {
            value
                .split(';')
                .map(|c| match c.trim().split_once('=') {
                    Some((cookie, _)) => format!("{cookie}=***"),
                    None => "***".into(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            self.scrub(value)
        }
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Redactor;

    #[test]
    fn secrets_are_hidden_in_texts_urls_bodies_and_headers() {
        let mut r = Redactor::default();
        r.add("s3cr3t (x)");
        r.add_key("password");
        assert_eq!(
            r.scrub("a s3cr3t (x) b s3cr3t%20%28x%29 c s3cr3t%20(x)"),
            "a *** b *** c ***"
        );
        let mut body = json!({"user": {"password": ["a"], "note": "s3cr3t (x)"}, "password": null});
        r.scrub_json(&mut body);
        assert_eq!(
            body,
            json!({"user": {"password": "***", "note": "***"}, "password": null})
        );
        assert_eq!(r.header("Authorization", "Bearer abc"), "Bearer ***");
        assert_eq!(r.header("authorization", "abc"), "***");
        assert_eq!(
            r.header("Cookie", "directus_refresh_token=abc; other=1"),
            "directus_refresh_token=***; other=***"
        );
        assert_eq!(r.header("X-Note", "is s3cr3t (x)"), "is ***");
        assert_eq!(format!("{r:?}"), "Redactor(3 secrets)");
    }
}
